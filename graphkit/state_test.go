package graphkit

import (
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// stateScorers is every scorer that carries state across intervals, as the engine
// wires them.
type stateScorers struct {
	tracker, appear *Tracker
	novelty         *Novelty
	volume          *Volume
	role            *RoleNormalizer
	typed           *Typed
	switching       *Switching
	peers           *Peers
	spread          *Spread
}

func newStateScorers(t *testing.T, w *authWorld) *stateScorers {
	t.Helper()
	hist := HistoryConfig{Period: 6, ProfileAfter: 2}
	s := &stateScorers{}
	var err error
	check := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	s.tracker, err = NewTracker(DynamicsConfig{Mode: ExpectEWMA, HalfLife: 5})
	check(err)
	s.appear, err = NewTracker(DynamicsConfig{})
	check(err)
	s.novelty, err = NewNovelty(w.kinds, NoveltyConfig{Pairs: DefaultNoveltyPairs(w.kinds), HalfLife: 20, Graded: true, Counterpart: true})
	check(err)
	s.volume, err = NewVolume(w.kinds, VolumeConfig{History: hist})
	check(err)
	s.role, err = NewRoleNormalizer(w.kinds, RoleConfig{History: hist})
	check(err)
	s.typed, err = NewTyped(w.kinds, w.ak, TypedConfig{HalfLife: 20})
	check(err)
	s.switching, err = NewSwitching(w.kinds, w.ak, SwitchConfig{HalfLife: 20})
	check(err)
	s.peers, err = NewPeers(w.kinds, PeersConfig{Pairs: DefaultPeerPairs(w.kinds), HalfLife: 20})
	check(err)
	s.spread, err = NewSpread(w.kinds, DefaultNoveltyPairs(w.kinds))
	check(err)
	return s
}

func (s *stateScorers) save() []byte {
	var e StateEncoder
	s.tracker.SaveState(&e)
	s.appear.SaveState(&e)
	s.novelty.SaveState(&e)
	s.volume.SaveState(&e)
	s.role.SaveState(&e)
	s.typed.SaveState(&e)
	s.switching.SaveState(&e)
	s.peers.SaveState(&e)
	return e.Bytes()
}

func (s *stateScorers) load(b []byte, m *IDMap) error {
	d := NewStateDecoder(b)
	for _, load := range []func(*StateDecoder, *IDMap) error{
		s.tracker.LoadState, s.appear.LoadState, s.novelty.LoadState, s.volume.LoadState,
		s.role.LoadState, s.typed.LoadState, s.switching.LoadState, s.peers.LoadState,
	} {
		if err := load(d, m); err != nil {
			return err
		}
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%d bytes left", d.Remaining())
	}
	return nil
}

// update feeds one interval to every scorer and returns all they said, as bits.
func (s *stateScorers) update(k int, w *authWorld, g *Graph, tu *Tuples) []uint64 {
	var out []uint64
	f := func(x float64) { out = append(out, math.Float64bits(x)) }
	ev := func(es []Evidence) {
		for _, e := range es {
			f(e.Value)
			f(e.Expected)
			f(e.Surprise)
			f(b2f(e.New))
		}
	}
	// Memberships from the names, so that they do not depend on ids.
	n := g.NumVertices()
	G := mat.NewDense(max(n, 1), 3, nil)
	for v, id := range g.IDs {
		h := fnv.New64a()
		fmt.Fprintf(h, "%s@%d", w.names[id], k)
		x := h.Sum64()
		G.Set(v, 0, float64(x&0xff)+1)
		G.Set(v, 1, float64(x>>8&0xff))
		G.Set(v, 2, float64(x>>16&0xff))
	}
	if n == 0 {
		s.tracker.Update(k, nil, nil)
		s.appear.Appear(k, nil)
		return nil
	}
	scores := s.tracker.Update(k, g.IDs, G)
	for _, a := range scores {
		f(a.Score)
		f(b2f(a.New))
	}
	for _, a := range s.appear.Appear(k, g.IDs) {
		f(b2f(a.New))
	}
	nov := s.novelty.Update(k, g, nil)
	ev(nov)
	for _, c := range s.novelty.NewContacts() {
		f(float64(c))
	}
	ev(s.volume.Update(k, g, nil))
	ev(s.role.Update(k, g, scores, nil))
	ev(s.typed.Update(k, g, tu, nil))
	ev(s.switching.Update(k, g, tu, nil))
	ev(s.peers.Update(k, g, nil))
	base := make([]float64, n)
	for v := range base {
		base[v] = nov[v].Surprise
	}
	ev(s.spread.Update(g, base, s.novelty.Grades(), nil))
	for _, from := range s.spread.From() {
		if from >= 0 {
			from = int64(len(w.names[from])) // the name, not the id
		}
		f(float64(from))
	}
	return out
}

// remapWorld returns w with every artifact i moved to id 2i+1, a ghost artifact of
// the same kind, class and entity at 2i (as names added to a dictionary shift ids),
// and the IDMap from w's ids to the new ones.
func remapWorld(t *testing.T, w *authWorld) (*authWorld, *IDMap) {
	t.Helper()
	n := len(w.names)
	r := &authWorld{ids: map[string]int64{}, names: make([]string, 2*n)}
	kindOf := make([]string, 2*n)
	class, entity := make([]Class, 2*n), make([]int32, 2*n)
	m := &IDMap{Artifact: make([]int64, n)}
	for id, name := range w.names {
		r.names[2*id], r.names[2*id+1] = "ghost of "+name, name
		r.ids[name] = int64(2*id + 1)
		m.Artifact[id] = int64(2*id + 1)
		for _, j := range []int{2 * id, 2*id + 1} {
			kindOf[j] = w.kinds.Names[w.kinds.ByID[id]]
			class[j], entity[j] = w.kinds.Class[id], w.kinds.Entity[id]
		}
	}
	k, err := NewKinds(kindOf)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.SetClasses(class, entity); err != nil {
		t.Fatal(err)
	}
	r.kinds = k
	var ok bool
	if r.ak, ok = NotebookAuthKinds(k); !ok {
		t.Fatal("NotebookAuthKinds")
	}
	return r, m
}

// stateHours draws random logons: habits, wanderers, a quiet hour now and then.
func stateHours(n int) [][]logon {
	rng := rand.New(rand.NewPCG(3, 14))
	auths := []string{"Kerberos", "NTLM"}
	hours := make([][]logon, n)
	for h := range hours {
		if h%11 == 7 {
			continue // no events: a gap
		}
		ev := routine(6)
		for range 4 + rng.IntN(8) {
			u := rng.IntN(14)
			user := fmt.Sprintf("U%d", u)
			if u == 13 {
				user = "ANONYMOUS LOGON"
			}
			ev = append(ev, logon{user, fmt.Sprintf("C%d", rng.IntN(30)), fmt.Sprintf("C%d", rng.IntN(45)), auths[rng.IntN(2)]})
		}
		hours[h] = ev
	}
	return hours
}

// TestStateRoundTrip: scorers saved after some intervals and loaded into new ones —
// with the same ids, and with ids shifted as a grown dictionary shifts them — say
// bit for bit what the scorers that never stopped say, interval after interval.
func TestStateRoundTrip(t *testing.T) {
	w := newAuthWorld(t, 14, 45)
	hours := stateHours(60)
	ref := newStateScorers(t, w)
	var want [][]uint64
	for k, ev := range hours {
		g, tu := w.interval(t, ev)
		want = append(want, ref.update(k, w, g, tu))
	}
	shifted, m := remapWorld(t, w)
	for _, split := range []int{1, 7, 30, 59} {
		for _, c := range []struct {
			name  string
			world *authWorld
			m     *IDMap
		}{{"same ids", w, nil}, {"shifted ids", shifted, m}} {
			first := newStateScorers(t, w)
			for k := range split {
				g, tu := w.interval(t, hours[k])
				first.update(k, w, g, tu)
			}
			b := first.save()
			next := newStateScorers(t, c.world)
			if err := next.load(b, c.m); err != nil {
				t.Fatalf("split %d, %s: %v", split, c.name, err)
			}
			for k := split; k < len(hours); k++ {
				g, tu := c.world.interval(t, hours[k])
				got := next.update(k, c.world, g, tu)
				if fmt.Sprint(got) != fmt.Sprint(want[k]) {
					t.Fatalf("split %d, %s: interval %d differs from the uninterrupted run", split, c.name, k)
				}
			}
		}
	}
}

// TestStateRefused: a truncated state, one saved with other settings and one naming
// an artifact outside the dictionary are refused with ErrState.
func TestStateRefused(t *testing.T) {
	w := newAuthWorld(t, 14, 45)
	s := newStateScorers(t, w)
	for k, ev := range stateHours(10) {
		g, tu := w.interval(t, ev)
		s.update(k, w, g, tu)
	}
	var e StateEncoder
	s.novelty.SaveState(&e)
	b := e.Bytes()
	for _, cut := range []int{0, 10, len(b) / 2, len(b) - 1} {
		nv, _ := NewNovelty(w.kinds, s.novelty.cfg)
		if err := nv.LoadState(NewStateDecoder(b[:cut]), nil); !errors.Is(err, ErrState) {
			t.Errorf("cut at %d of %d: %v, want ErrState", cut, len(b), err)
		}
	}
	cfg := s.novelty.cfg
	cfg.HalfLife++
	nv, _ := NewNovelty(w.kinds, cfg)
	if err := nv.LoadState(NewStateDecoder(b), nil); !errors.Is(err, ErrState) {
		t.Errorf("other half-life: %v, want ErrState", err)
	}
	nv, _ = NewNovelty(w.kinds, s.novelty.cfg)
	if err := nv.LoadState(NewStateDecoder(b), &IDMap{Artifact: make([]int64, 3)}); !errors.Is(err, ErrState) {
		t.Errorf("a map too short: %v, want ErrState", err)
	}
}

// TestFeatureSetState: a feature set saved and loaded computes the same features.
func TestFeatureSetState(t *testing.T) {
	w := newAuthWorld(t, 14, 45)
	var graphs []*Graph
	for _, ev := range stateHours(12) {
		if g, _ := w.interval(t, ev); g.NumVertices() > 0 {
			graphs = append(graphs, g)
		}
	}
	fs, _, err := LearnFeaturesNormalized(graphs[:6], RefexConfig{Generations: 2})
	if err != nil {
		t.Fatal(err)
	}
	var e StateEncoder
	fs.SaveState(&e)
	got, err := LoadFeatureSet(NewStateDecoder(e.Bytes()), 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range graphs {
		var a, b mat.Dense
		if err := fs.Compute(g, &a); err != nil {
			t.Fatal(err)
		}
		if err := got.Compute(g, &b); err != nil {
			t.Fatal(err)
		}
		fs.Normalize(&a)
		got.Normalize(&b)
		if fmt.Sprint(a.RawMatrix().Data) != fmt.Sprint(b.RawMatrix().Data) {
			t.Fatal("the loaded feature set computes other features")
		}
	}
}

// sets returns the scorers' growing sets, in a fixed order.
func (s *stateScorers) sets() []GrowingSet {
	return append(append(s.novelty.Sets(), s.switching.Sets()...), s.peers.Sets()...)
}

// saveMain saves everything but the growing sets.
func (s *stateScorers) saveMain() []byte {
	var e StateEncoder
	s.tracker.SaveState(&e)
	s.appear.SaveState(&e)
	s.novelty.SaveMain(&e)
	s.volume.SaveState(&e)
	s.role.SaveState(&e)
	s.typed.SaveState(&e)
	s.switching.SaveMain(&e)
	s.peers.SaveMain(&e)
	return e.Bytes()
}

// loadChain loads what saveMain wrote, the sets' base and their deltas in order, and
// starts tracking the sets.
func (s *stateScorers) loadChain(main, base []byte, deltas [][]byte, m *IDMap, n int) error {
	d := NewStateDecoder(main)
	for _, load := range []func(*StateDecoder, *IDMap) error{
		s.tracker.LoadState, s.appear.LoadState, s.novelty.LoadMain, s.volume.LoadState,
		s.role.LoadState, s.typed.LoadState, s.switching.LoadMain, s.peers.LoadMain,
	} {
		if err := load(d, m); err != nil {
			return err
		}
	}
	for i, b := range append([][]byte{base}, deltas...) {
		d := NewStateDecoder(b)
		for _, g := range s.sets() {
			var err error
			if i == 0 {
				g.SetIDs(StableIDs(m, n))
				err = g.LoadBase(d)
			} else {
				err = g.LoadDelta(d)
			}
			if err != nil {
				return err
			}
		}
		if d.Remaining() != 0 {
			return fmt.Errorf("segment %d: %d bytes left", i, d.Remaining())
		}
	}
	for _, g := range s.sets() {
		g.Track()
	}
	return nil
}

// TestGrowingSetDeltas: scorers stopped and continued many times, the growing sets
// saved whole once and then only as what changed since the last stop (a delta per
// stop, applied in order over the base), say bit for bit what the scorers that never
// stopped say — with the same ids and with ids shifted (the sets keep their stable
// ids, the shifted world's ids mapped onto them); a set whose changes outgrew
// its record is not ready for a delta; deltas out of order are refused.
func TestGrowingSetDeltas(t *testing.T) {
	w := newAuthWorld(t, 14, 45)
	hours := stateHours(60)
	ref := newStateScorers(t, w)
	var want [][]uint64
	for k, ev := range hours {
		g, tu := w.interval(t, ev)
		want = append(want, ref.update(k, w, g, tu))
	}
	shifted, m := remapWorld(t, w)
	stops := []int{20, 21, 25, 26, 40, 59}
	for _, c := range []struct {
		name  string
		world *authWorld
		m     *IDMap
	}{{"same ids", w, nil}, {"shifted ids", shifted, m}} {
		run := newStateScorers(t, w)
		for k := range stops[0] {
			g, tu := w.interval(t, hours[k])
			run.update(k, w, g, tu)
		}
		var e StateEncoder
		for _, g := range run.sets() {
			g.SaveBase(&e)
		}
		base, main := e.Bytes(), run.saveMain()
		var deltas [][]byte
		for i, stop := range stops {
			// A new run of the world's ids continues from what was saved, as each
			// incremental run does (its deltas are in the world's own ids).
			next := newStateScorers(t, w)
			if err := next.loadChain(main, base, deltas, nil, len(w.names)); err != nil {
				t.Fatalf("%s, stop %d: %v", c.name, stop, err)
			}
			// The shifted world loads the same segments through m.
			check := newStateScorers(t, c.world)
			if err := check.loadChain(main, base, deltas, c.m, len(c.world.names)); err != nil {
				t.Fatalf("%s, stop %d: %v", c.name, stop, err)
			}
			end := len(hours)
			if i+1 < len(stops) {
				end = stops[i+1]
			}
			for k := stop; k < len(hours); k++ {
				g, tu := c.world.interval(t, hours[k])
				if got := check.update(k, c.world, g, tu); fmt.Sprint(got) != fmt.Sprint(want[k]) {
					t.Fatalf("%s, stop %d: interval %d differs from the uninterrupted run", c.name, stop, k)
				}
			}
			for k := stop; k < end; k++ {
				g, tu := w.interval(t, hours[k])
				next.update(k, w, g, tu)
			}
			var e StateEncoder
			for _, g := range next.sets() {
				if !g.DeltaReady() {
					t.Fatalf("%s, stop %d: %s not ready for a delta", c.name, stop, g.Name())
				}
				g.SaveDelta(&e)
			}
			deltas, main = append(deltas, e.Bytes()), next.saveMain()
		}
		if len(deltas) > 2 {
			// The count saved with each delta catches these two out of order (a delta
			// applied twice changes nothing: the caller's manifest orders them).
			swapped := slices.Clone(deltas)
			swapped[1], swapped[2] = swapped[2], swapped[1]
			if err := newStateScorers(t, w).loadChain(main, base, swapped, nil, len(w.names)); !errors.Is(err, ErrState) {
				t.Errorf("%s: deltas out of order: %v, want ErrState", c.name, err)
			}
		}
	}
	// Tracked from empty, a set's changes outgrow half of it at once: saved whole.
	s := newStateScorers(t, w)
	for _, g := range s.sets() {
		g.Track()
	}
	var keys []uint64
	for i := range 1 << 17 {
		keys = append(keys, uint64(i+1)<<32|uint64(i+2))
	}
	for _, k := range keys {
		s.novelty.seen.visit(k, 0, 0)
	}
	if s.novelty.Sets()[0].DeltaReady() {
		t.Error("a set whose changes outgrew half of it is ready for a delta")
	}
}
