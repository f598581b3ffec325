package graphkit

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"runtime"
	"slices"
)

// Saved state: what each scorer carries from one interval to the next, written so that
// a scorer loaded from it continues exactly as the one that wrote it would have (the
// equality of incremental and batch scoring rests on it). The format is lanlq's own:
// little-endian fixed-width integers, floats as their IEEE-754 bits (never decimal
// text), a length before every list, maps in key order, each scorer's section opened
// by its name and the settings it was made with, which LoadState checks. Scratch
// buffers of the last interval are not state and are not written.
//
// Artifact ids are the rank of the artifact's name in the dictionary of the whole data
// set, so new data shifts them; an IDMap carries saved ids over to the current ones.
// Ranks keep their order when names are added, so a remapped state keeps every order
// the scorers rely on (ids in a graph, a < b in a pair key).

// StateEncoder appends values in the saved-state format.
type StateEncoder struct{ b []byte }

// Bytes returns what was appended so far.
func (e *StateEncoder) Bytes() []byte { return e.b }

// Grow makes room for n more bytes without reallocating: a state of hundreds of
// megabytes grown by appends alone spends a quarter of an incremental run's CPU copying
// its buffer as it doubles.
func (e *StateEncoder) Grow(n int) { e.b = slices.Grow(e.b, n) }

// Uint64 appends v.
func (e *StateEncoder) Uint64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }

// Uint32 appends v.
func (e *StateEncoder) Uint32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }

// Int appends v as 64 bits.
func (e *StateEncoder) Int(v int64) { e.Uint64(uint64(v)) }

// Float64 appends v's bits.
func (e *StateEncoder) Float64(v float64) { e.Uint64(math.Float64bits(v)) }

// Float32 appends v's bits.
func (e *StateEncoder) Float32(v float32) { e.Uint32(math.Float32bits(v)) }

// Bool appends v as one byte.
func (e *StateEncoder) Bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// String appends s with its length.
func (e *StateEncoder) String(s string) {
	e.Int(int64(len(s)))
	e.b = append(e.b, s...)
}

// Uint64s appends the values (no length: the reader knows it).
func (e *StateEncoder) Uint64s(v []uint64) {
	e.b = slices.Grow(e.b, 8*len(v))
	for _, x := range v {
		e.b = binary.LittleEndian.AppendUint64(e.b, x)
	}
}

// Float64s appends a length and the values.
func (e *StateEncoder) Float64s(v []float64) {
	e.Int(int64(len(v)))
	for _, x := range v {
		e.Float64(x)
	}
}

// Section opens a section: its name, then settings the loader must find equal.
func (e *StateEncoder) Section(name string, settings ...float64) {
	e.String(name)
	e.Float64s(settings)
}

// StateDecoder reads what a StateEncoder wrote. The first error (a short or corrupt
// state) sticks: later reads return zeros, and Err reports it.
type StateDecoder struct {
	b   []byte
	off int
	err error
}

// NewStateDecoder reads b.
func NewStateDecoder(b []byte) *StateDecoder { return &StateDecoder{b: b} }

// Err returns the first error met.
func (d *StateDecoder) Err() error { return d.err }

// Remaining returns the number of bytes not read yet.
func (d *StateDecoder) Remaining() int { return len(d.b) - d.off }

func (d *StateDecoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrState, d.off, fmt.Sprintf(format, args...))
	}
}

func (d *StateDecoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b)-d.off {
		d.fail("needs %d bytes, %d left", n, len(d.b)-d.off)
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

// Uint64 reads a uint64.
func (d *StateDecoder) Uint64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

// Uint32 reads a uint32.
func (d *StateDecoder) Uint32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

// Int reads an int64.
func (d *StateDecoder) Int() int64 { return int64(d.Uint64()) }

// Float64 reads a float64.
func (d *StateDecoder) Float64() float64 { return math.Float64frombits(d.Uint64()) }

// Float32 reads a float32.
func (d *StateDecoder) Float32() float32 { return math.Float32frombits(d.Uint32()) }

// Bool reads a bool.
func (d *StateDecoder) Bool() bool {
	if p := d.take(1); p != nil {
		return p[0] != 0
	}
	return false
}

// Len reads a length of items of at least minBytes each, refusing one that the bytes
// left cannot hold (so a corrupt length never allocates gigabytes).
func (d *StateDecoder) Len(minBytes int) int {
	n := d.Int()
	if d.err == nil && (n < 0 || n > int64(d.Remaining()/max(minBytes, 1))) {
		d.fail("length %d exceeds the %d bytes left", n, d.Remaining())
		return 0
	}
	return int(n)
}

// Uint64s reads n values written by Uint64s.
func (d *StateDecoder) Uint64s(n int) []uint64 {
	p := d.take(8 * n)
	if p == nil {
		return nil
	}
	v := make([]uint64, n)
	for i := range v {
		v[i] = binary.LittleEndian.Uint64(p[8*i:])
	}
	return v
}

// String reads a string.
func (d *StateDecoder) String() string { return string(d.take(d.Len(1))) }

// Float64s reads a list of float64.
func (d *StateDecoder) Float64s() []float64 {
	v := make([]float64, d.Len(8))
	for i := range v {
		v[i] = d.Float64()
	}
	return v
}

// Section reads a section's opening and checks its name and settings.
func (d *StateDecoder) Section(name string, settings ...float64) {
	got := d.String()
	vals := d.Float64s()
	if d.err != nil {
		return
	}
	if got != name {
		d.fail("section %q where %q was expected", got, name)
		return
	}
	if len(vals) != len(settings) {
		d.fail("%s: %d settings saved, %d expected", name, len(vals), len(settings))
		return
	}
	for i := range vals {
		if math.Float64bits(vals[i]) != math.Float64bits(settings[i]) {
			d.fail("%s: setting %d is %v in the saved state, %v now", name, i, vals[i], settings[i])
			return
		}
	}
}

// IDMap carries saved ids over to the current dictionary: Artifact[old] is the new id
// of saved artifact old, Entity[old] the new number of saved entity old (see
// Kinds.Entity). Both must keep order (old a < old b ⇒ new a < new b), as ranks of
// names do. A nil IDMap, or a nil slice, keeps ids as they are.
type IDMap struct {
	Artifact []int64
	Entity   []int32
}

func (m *IDMap) artifact(d *StateDecoder, old int64) int64 {
	if m == nil || m.Artifact == nil || old < 0 { // −1: no artifact (an event without one)
		return old
	}
	if old >= int64(len(m.Artifact)) {
		d.fail("artifact id %d outside the saved dictionary (%d)", old, len(m.Artifact))
		return 0
	}
	return m.Artifact[old]
}

func (m *IDMap) entity(d *StateDecoder, old int64) int64 {
	if m == nil || m.Entity == nil {
		return old
	}
	if old < 0 || old >= int64(len(m.Entity)) {
		d.fail("entity %d outside the saved dictionary (%d)", old, len(m.Entity))
		return 0
	}
	return int64(m.Entity[old])
}

// pair maps both halves of a pair key (a<<32 | b).
func (m *IDMap) pair(d *StateDecoder, key uint64) uint64 {
	a, b := m.artifact(d, int64(key>>32)), m.artifact(d, int64(key&(1<<32-1)))
	return uint64(a)<<32 | uint64(b)
}

// checkID reports an id outside the current kind table.
func checkID(d *StateDecoder, kinds *Kinds, id int64) bool {
	if id < 0 || id >= int64(len(kinds.ByID)) {
		d.fail("artifact id %d outside the current dictionary (%d artifacts)", id, len(kinds.ByID))
		return false
	}
	return true
}

// save writes a windowed set's size and its keys (with their counters) in table order, or
// with sorted in key order: a set filled in an order that varies from run to run (the
// events') is then saved as the same bytes.
func (s *pairSet) save(e *StateEncoder, sorted bool) {
	e.Bool(s.counted)
	e.Int(int64(len(s.keys)))
	e.Int(int64(s.count))
	slots := make([]int, 0, s.count)
	for i, k := range s.keys {
		if k != 0 {
			slots = append(slots, i)
		}
	}
	if sorted {
		slices.SortFunc(slots, func(a, b int) int { return cmp.Compare(s.keys[a], s.keys[b]) })
	}
	for _, i := range slots {
		k := s.keys[i]
		e.Uint64(k)
		if s.windowed {
			e.Uint32(s.lastSeen[i])
		}
		if s.counted {
			e.Uint32(s.met[i])
		}
	}
}

// load reads a saved windowed set into s (whose windowed and counted are set), keeping its
// table size so that it grows and expires at the same moments as the saved one would.
func (s *pairSet) load(d *StateDecoder, m *IDMap) {
	windowed := s.windowed
	counted := d.Bool()
	size, count := d.Int(), d.Len(8)
	if d.err != nil {
		return
	}
	if counted != s.counted {
		d.fail("pair set: counted %v saved, %v now", counted, s.counted)
		return
	}
	*s = pairSet{windowed: windowed, counted: counted}
	if size == 0 {
		return
	}
	if size < pairSetMinSize || size&(size-1) != 0 || int64(count)*4 > size*3 || size > 1<<40 {
		d.fail("pair set of %d keys in a table of %d", count, size)
		return
	}
	s.rehash(int(size))
	mask := uint64(size - 1)
	for range count {
		k := m.pair(d, d.Uint64())
		var last, met uint32
		if windowed {
			last = d.Uint32()
		}
		if counted {
			met = d.Uint32()
		}
		if d.err != nil {
			return
		}
		if k == 0 {
			d.fail("pair set: the empty key")
			return
		}
		j := pairHash(k) >> s.shift
		for s.keys[j] != 0 {
			if s.keys[j] == k {
				d.fail("pair set: key %x twice", k)
				return
			}
			j = (j + 1) & mask
		}
		s.keys[j] = k
		if windowed {
			s.lastSeen[j] = last
		}
		if counted {
			s.met[j] = met
		}
		s.count++
	}
}

// GrowingSet is a scorer's set of pairs that only grows (or, counted, whose counters
// change only where the scorer visits): at LANL rates most of a saved state, so a
// caller may save it whole once (SaveBase) and then, run after run, only what changed
// since it was last saved or loaded (SaveDelta), which LoadDelta applies, in order,
// over the loaded base. A windowed set drops keys as they expire: it is always saved
// whole (DeltaReady is false).
//
// Its keys are pairs of stable ids, not of the current dictionary's: ids that a
// name keeps from the run that first saved it (SetIDs maps the current ids onto
// them), so a saved set needs no remapping when the dictionary grows. A set that is
// not windowed is saved as its keys in order, delta-coded as in its packed part
// (encodePairs: 2–3 bytes a key, and a byte or two of visits when counted), and
// loaded into the packed part whole. A windowed set, whose table's size decides when
// keys expire, is saved as its table: when not sorted as it is, flat, loaded
// without rebuilding it key by key; when sorted (filled in an order that varies from
// run to run, so its table's layout does too) as its keys in order, rebuilt on
// load.
type GrowingSet struct {
	name   string
	s      *pairSet
	sorted bool
}

// StableIDs returns the map from current ids to stable ones for SetIDs: m.Artifact
// maps stable ids to current ones (the saved dictionary's ids onto the current
// dictionary's); the n current ids m does not reach get the next stable ids, in
// order. A nil m (or Artifact) keeps the ids: nil.
func StableIDs(m *IDMap, n int) []uint32 {
	if m == nil || m.Artifact == nil {
		return nil
	}
	ids := make([]uint32, n)
	hit := make([]bool, n)
	for stable, cur := range m.Artifact {
		ids[cur], hit[cur] = uint32(stable), true
	}
	next := uint32(len(m.Artifact))
	for cur := range ids {
		if !hit[cur] {
			ids[cur] = next
			next++
		}
	}
	return ids
}

// Name returns the set's section name.
func (g GrowingSet) Name() string { return g.name }

// SetIDs makes the set keep the pairs it is given under stable ids: ids[current id]
// (see StableIDs); nil keeps the current ids.
func (g GrowingSet) SetIDs(ids []uint32) { g.s.ids = ids }

// Track starts recording the keys added or changed from now on, for SaveDelta.
func (g GrowingSet) Track() {
	g.s.logging, g.s.logLost, g.s.log = !g.s.windowed, g.s.windowed, nil
}

// DeltaReady reports whether SaveDelta can save what changed since Track: the set
// was tracked, is not windowed, and its changes did not outgrow half of it.
func (g GrowingSet) DeltaReady() bool { return g.s.logging && !g.s.logLost }

// Adopt makes g hold from's pairs, sharing their memory (from must not be used
// after): a set kept in memory by the process that saved it stands for the set
// loaded from that save, with the same pairs and counts (SetIDs's map of g stays;
// call Track after, as after loading).
func (g GrowingSet) Adopt(from GrowingSet) error {
	if from.name != g.name || from.sorted != g.sorted || from.s.windowed != g.s.windowed || from.s.counted != g.s.counted {
		return fmt.Errorf("%w: set %q (sorted %v, windowed %v, counted %v) kept for %q (sorted %v, windowed %v, counted %v)", ErrState,
			from.name, from.sorted, from.s.windowed, from.s.counted, g.name, g.sorted, g.s.windowed, g.s.counted)
	}
	ids := g.s.ids
	*g.s = *from.s
	g.s.ids = ids
	return nil
}

// Len returns the number of keys in the set.
func (g GrowingSet) Len() int { return g.s.len() }

// SaveBase writes the whole set, in its stable ids.
func (g GrowingSet) SaveBase(e *StateEncoder) {
	s := g.s
	e.Section(g.name)
	e.Bool(g.sorted)
	e.Bool(s.windowed)
	if !s.windowed {
		s.savePacked(e)
		return
	}
	if g.sorted {
		s.save(e, true)
		return
	}
	e.Bool(s.counted)
	e.Int(int64(len(s.keys)))
	e.Int(int64(s.count))
	// The table as it is: a bit per slot (occupied), then the occupied slots' keys and
	// values in slot order — the table's layout without its empty slots.
	words := make([]uint64, len(s.keys)/64)
	for i, k := range s.keys {
		if k != 0 {
			words[i/64] |= 1 << (i % 64)
		}
	}
	e.Uint64s(words)
	e.Grow(16 * s.count)
	for _, k := range s.keys {
		if k != 0 {
			e.Uint64(k)
		}
	}
	for _, vals := range [][]uint32{s.lastSeen, s.met} {
		for i, v := range vals {
			if s.keys[i] != 0 {
				e.Uint32(v)
			}
		}
	}
}

// LoadBase replaces the set by a saved one (its stable ids kept; SetIDs's map
// stays).
func (g GrowingSet) LoadBase(d *StateDecoder) error {
	s := g.s
	defer func(ids []uint32) { s.ids = ids }(s.ids)
	d.Section(g.name)
	if sorted := d.Bool(); d.err == nil && sorted != g.sorted {
		d.fail("%s: sorted %v saved, %v now", g.name, sorted, g.sorted)
	}
	if windowed := d.Bool(); d.err == nil && windowed != s.windowed {
		d.fail("%s: windowed %v saved, %v now", g.name, windowed, s.windowed)
	}
	if d.err != nil {
		return d.err
	}
	if !s.windowed {
		*s = pairSet{counted: s.counted}
		s.loadPacked(d, g.name)
		return d.err
	}
	if g.sorted {
		s.load(d, nil)
		return d.Err()
	}
	windowed, counted := s.windowed, d.Bool()
	size, count := d.Int(), d.Int()
	if d.err != nil {
		return d.err
	}
	if counted != s.counted {
		d.fail("%s: counted %v saved, %v now", g.name, counted, s.counted)
		return d.err
	}
	*s = pairSet{windowed: windowed, counted: counted}
	if size == 0 && count == 0 {
		return nil
	}
	per := int64(8)
	if windowed {
		per += 4
	}
	if counted {
		per += 4
	}
	if size < pairSetMinSize || size&(size-1) != 0 || count < 0 || count*4 > size*3 || size/8+count*per > int64(d.Remaining()) {
		d.fail("%s: %d keys in a table of %d", g.name, count, size)
		return d.err
	}
	words := d.Uint64s(int(size / 64))
	occupied := 0
	for _, w := range words {
		occupied += bits.OnesCount64(w)
	}
	if int64(occupied) != count {
		d.fail("%s: %d slots occupied, %d keys saved", g.name, occupied, count)
		return d.err
	}
	// Each packed list scattered back to the occupied slots, in order.
	scatter := func(width int, set func(slot, k int, p []byte)) {
		p := d.take(width * int(count))
		if p == nil {
			return
		}
		k := 0
		for wi, w := range words {
			for w != 0 {
				b := bits.TrailingZeros64(w)
				w &= w - 1
				set(wi*64+b, k, p)
				k++
			}
		}
	}
	s.keys = make([]uint64, size)
	scatter(8, func(slot, k int, p []byte) { s.keys[slot] = binary.LittleEndian.Uint64(p[8*k:]) })
	if windowed {
		s.lastSeen = make([]uint32, size)
		scatter(4, func(slot, k int, p []byte) { s.lastSeen[slot] = binary.LittleEndian.Uint32(p[4*k:]) })
	}
	if counted {
		s.met = make([]uint32, size)
		scatter(4, func(slot, k int, p []byte) { s.met[slot] = binary.LittleEndian.Uint32(p[4*k:]) })
	}
	if d.err != nil {
		return d.err
	}
	s.count = int(count)
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	// Every key where the hash and linear probing put it: a table read as it is must
	// be one the set could have built.
	mask := uint64(size - 1)
	n := int64(0)
	for i, k := range s.keys {
		if k == 0 {
			continue
		}
		n++
		for j := pairHash(k) >> s.shift; j != uint64(i); j = (j + 1) & mask {
			if s.keys[j] == 0 {
				d.fail("%s: key %x out of its place", g.name, k)
				return d.err
			}
		}
	}
	if n != count {
		d.fail("%s: %d keys in the table, %d saved", g.name, n, count)
	}
	return d.err
}

// SaveDelta writes the keys added or changed since Track (or the last SaveDelta), in
// key order, with their current values (encodePairs), and the set's count, then
// starts the record anew. Only when DeltaReady.
func (g GrowingSet) SaveDelta(e *StateEncoder) {
	s := g.s
	e.Section(g.name + " delta")
	e.Bool(s.counted)
	e.Int(int64(s.len()))
	slices.Sort(s.log)
	keys := slices.Compact(s.log)
	encodePairs(e, s.counted, len(keys), func(fn func(key uint64, met uint32)) {
		for _, k := range keys {
			fn(k, s.lookupMet(k))
		}
	})
	s.log = s.log[:0]
}

// LoadDelta applies a delta saved by SaveDelta over the set loaded so far.
func (g GrowingSet) LoadDelta(d *StateDecoder) error {
	s := g.s
	d.Section(g.name + " delta")
	counted, count := d.Bool(), d.Int()
	if d.err == nil && (s.windowed || counted != s.counted) {
		d.fail("%s delta: counted %v saved, %v now (windowed %v)", g.name, counted, s.counted, s.windowed)
	}
	if d.err != nil {
		return d.err
	}
	decodePairs(d, g.name+" delta", counted, func(int, int) {}, s.put)
	if d.err == nil && int64(s.len()) != count {
		d.fail("%s delta: %d keys after it, %d when it was saved", g.name, s.len(), count)
	}
	return d.err
}

// save writes the seen artifacts' rates and the kind means.
func (h *rateHistory) save(e *StateEncoder) {
	e.Float64(h.halfLife)
	e.Float64(h.priorWeight)
	e.Int(int64(len(h.pop)))
	for _, p := range h.pop {
		e.Float64(p.events)
		e.Float64(p.intervals)
	}
	n := 0
	for i := range h.state {
		if h.state[i].seen {
			n++
		}
	}
	e.Int(int64(n))
	for id, st := range h.state {
		if st.seen {
			e.Int(int64(id))
			e.Float32(st.a)
			e.Float32(st.n)
			e.Uint32(uint32(st.last))
		}
	}
}

// load reads a saved rate history into h (made with the current kinds).
func (h *rateHistory) load(d *StateDecoder, m *IDMap, kinds *Kinds) {
	if hl, pw := d.Float64(), d.Float64(); d.err == nil && (hl != h.halfLife || pw != h.priorWeight) {
		d.fail("rates: half-life %v, prior weight %v saved, %v %v now", hl, pw, h.halfLife, h.priorWeight)
	}
	if n := d.Len(16); d.err == nil && n != len(h.pop) {
		d.fail("%d kind rates saved, %d kinds now", n, len(h.pop))
	}
	for i := range h.pop {
		if d.err != nil {
			return
		}
		h.pop[i], h.pending[i] = rateStat{d.Float64(), d.Float64()}, rateStat{}
	}
	n := d.Len(20)
	h.state = make([]rateState, len(kinds.ByID))
	for range n {
		id := m.artifact(d, d.Int())
		st := rateState{a: d.Float32(), n: d.Float32(), last: int32(d.Uint32()), seen: true}
		if d.err != nil || !checkID(d, kinds, id) {
			return
		}
		h.state[id] = st
	}
}

func saveClock(e *StateEncoder, started bool, first, last int) {
	e.Bool(started)
	e.Int(int64(first))
	e.Int(int64(last))
}

func loadClock(d *StateDecoder) (started bool, first, last int) {
	return d.Bool(), int(d.Int()), int(d.Int())
}

// SaveState writes the tracker's histories (not its interval summaries: Intervals
// after LoadState lists the intervals consumed since).
func (tr *Tracker) SaveState(e *StateEncoder) {
	e.Section("tracker", float64(tr.cfg.Mode), tr.cfg.HalfLife)
	e.Int(int64(tr.roles))
	saveClock(e, tr.started, 0, tr.last)
	ids := slices.Sorted(maps.Keys(tr.history))
	e.Int(int64(len(ids)))
	for _, id := range ids {
		h := tr.history[id]
		e.Int(id)
		e.Int(int64(h.last))
		e.Float64(h.weight)
		e.Float64s(h.sum)
	}
}

// LoadState replaces the histories of a new Tracker (made with the same settings) by
// the saved ones, ids carried over by m.
func (tr *Tracker) LoadState(d *StateDecoder, m *IDMap) error {
	d.Section("tracker", float64(tr.cfg.Mode), tr.cfg.HalfLife)
	tr.roles = int(d.Int())
	tr.started, _, tr.last = loadClock(d)
	n := d.Len(32)
	tr.history = make(map[int64]*artifactHistory, n)
	for range n {
		id := m.artifact(d, d.Int())
		h := &artifactHistory{last: int(d.Int()), weight: d.Float64(), sum: d.Float64s()}
		if len(h.sum) == 0 {
			h.sum = nil
		}
		if d.err != nil {
			break
		}
		tr.history[id] = h
	}
	tr.intervals = nil
	return d.Err()
}

// SaveMain writes the state but the contacts met (Sets): the rate histories.
func (nv *Novelty) SaveMain(e *StateEncoder) {
	c := nv.cfg
	settings := []float64{float64(c.Window), c.HalfLife, c.PriorWeight, b2f(c.Graded), b2f(c.Counterpart), float64(nv.nk)}
	for _, p := range c.Pairs {
		settings = append(settings, float64(p.A), float64(p.B))
	}
	e.Section("novelty", settings...)
	saveClock(e, nv.started, nv.first, nv.last)
	nv.rates.save(e)
}

// SaveState writes the contacts met so far and the rate histories.
func (nv *Novelty) SaveState(e *StateEncoder) {
	nv.SaveMain(e)
	nv.Sets()[0].SaveBase(e)
}

// Sets returns the contacts met, saved apart from the rest (SaveMain).
func (nv *Novelty) Sets() []GrowingSet {
	return []GrowingSet{{name: "novelty contacts", s: &nv.seen}} // filled in the graph's order, the same every run
}

// LoadState replaces the state of a new Novelty (same settings, the current kind
// table) by the saved one, ids carried over by m.
func (nv *Novelty) LoadState(d *StateDecoder, m *IDMap) error {
	if err := nv.LoadMain(d, m); err != nil {
		return err
	}
	set := nv.Sets()[0]
	set.SetIDs(StableIDs(m, len(nv.kinds.ByID)))
	return set.LoadBase(d)
}

// LoadMain reads what SaveMain wrote.
func (nv *Novelty) LoadMain(d *StateDecoder, m *IDMap) error {
	c := nv.cfg
	settings := []float64{float64(c.Window), c.HalfLife, c.PriorWeight, b2f(c.Graded), b2f(c.Counterpart), float64(nv.nk)}
	for _, p := range c.Pairs {
		settings = append(settings, float64(p.A), float64(p.B))
	}
	d.Section("novelty", settings...)
	nv.started, nv.first, nv.last = loadClock(d)
	nv.rates.load(d, m, nv.kinds)
	return d.Err()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (h *seasonalHistory) save(e *StateEncoder, name string) {
	c := h.cfg
	e.Section(name, c.HalfLife, float64(c.Period), c.ProfileAfter, c.PriorWeight, c.SlotWeight, c.PriorDoF, c.MinScale,
		float64(h.m), b2f(h.poissonFloor), float64(len(h.kinds.Names)))
	e.Bool(h.started)
	e.Int(int64(h.first))
	e.Int(int64(h.popLast))
	e.Int(int64(len(h.pop)))
	for _, p := range h.pop {
		e.Float64(p.n)
		e.Float64(p.sum)
		e.Float64(p.en)
		e.Float64(p.err2)
	}
	n := 0
	for _, c := range h.n {
		if c != 0 {
			n++
		}
	}
	e.Int(int64(n))
	m := h.m
	for id, c := range h.n {
		if c == 0 {
			continue
		}
		e.Int(int64(id))
		e.Uint32(uint32(h.last[id]))
		e.Float32(c)
		for j := range m {
			e.Float32(h.mean[id*m+j])
			e.Float32(h.err2[id*m+j])
		}
		e.Int(int64(len(h.profile[id])))
		for _, x := range h.profile[id] {
			e.Float32(x)
		}
	}
}

func (h *seasonalHistory) load(d *StateDecoder, m *IDMap, name string) error {
	c := h.cfg
	d.Section(name, c.HalfLife, float64(c.Period), c.ProfileAfter, c.PriorWeight, c.SlotWeight, c.PriorDoF, c.MinScale,
		float64(h.m), b2f(h.poissonFloor), float64(len(h.kinds.Names)))
	h.started, h.first, h.popLast = d.Bool(), int(d.Int()), int(d.Int())
	if n := d.Len(32); d.err == nil && n != len(h.pop) {
		d.fail("%s: %d kind statistics saved, %d now", name, n, len(h.pop))
	}
	for i := range h.pop {
		if d.err != nil {
			break
		}
		h.pop[i] = popStat{n: d.Float64(), sum: d.Float64(), en: d.Float64(), err2: d.Float64()}
		h.pending[i] = popStat{}
	}
	size, mm := len(h.kinds.ByID), h.m
	h.last, h.n = make([]int32, size), make([]float32, size)
	h.mean, h.err2 = make([]float32, size*mm), make([]float32, size*mm)
	h.profile = make([][]float32, size)
	n := d.Len(16)
	for range n {
		id := m.artifact(d, d.Int())
		if d.err != nil || !checkID(d, h.kinds, id) {
			break
		}
		h.last[id], h.n[id] = int32(d.Uint32()), d.Float32()
		for j := range mm {
			h.mean[int(id)*mm+j], h.err2[int(id)*mm+j] = d.Float32(), d.Float32()
		}
		if np := d.Len(4); np > 0 {
			if np != c.Period*(1+mm) {
				d.fail("%s: a profile of %d values, want %d", name, np, c.Period*(1+mm))
				break
			}
			prof := make([]float32, np)
			for i := range prof {
				prof[i] = d.Float32()
			}
			h.profile[id] = prof
		}
	}
	return d.Err()
}

// SaveState writes the degree and event-count histories.
func (vs *Volume) SaveState(e *StateEncoder) {
	vs.hist.save(e, "volume")
	e.Bool(vs.only != nil)
	for _, b := range vs.only {
		e.Bool(b)
	}
}

// LoadState replaces the histories of a new Volume (same settings) by the saved ones.
func (vs *Volume) LoadState(d *StateDecoder, m *IDMap) error {
	if err := vs.hist.load(d, m, "volume"); err != nil {
		return err
	}
	if only := d.Bool(); only != (vs.only != nil) {
		d.fail("volume: kind filter differs")
	}
	for i := range vs.only {
		if d.Bool() != vs.only[i] {
			d.fail("volume: kind filter differs")
		}
	}
	return d.Err()
}

// SaveState writes the role-change histories.
func (r *RoleNormalizer) SaveState(e *StateEncoder) { r.hist.save(e, "role") }

// LoadState replaces the histories of a new RoleNormalizer (same settings) by the saved ones.
func (r *RoleNormalizer) LoadState(d *StateDecoder, m *IDMap) error { return r.hist.load(d, m, "role") }

// SaveState writes the contact types, the typed contacts met and their rates.
func (ty *Typed) SaveState(e *StateEncoder) {
	e.Section("typed", ty.cfg.HalfLife, ty.cfg.PriorWeight, float64(len(ty.kinds.Names)))
	saveClock(e, ty.started, 0, ty.last)
	types := slices.SortedFunc(maps.Keys(ty.types), func(a, b [3]int64) int { return slices.Compare(a[:], b[:]) })
	e.Int(int64(len(types)))
	for _, k := range types {
		e.Int(k[0])
		e.Int(k[1])
		e.Int(k[2])
		e.Uint32(uint32(ty.types[k]))
	}
	// Sized once and compared without allocating: tens of millions of contacts at LANL
	// rates, where growing the slice and a slice per comparison cost seconds.
	seen := make([]typedContact, 0, len(ty.seen)+len(ty.seenWide))
	seen = slices.AppendSeq(seen, maps.Keys(ty.seenWide))
	for k := range ty.seen {
		seen = append(seen, unpackContact(k))
	}
	slices.SortFunc(seen, func(a, b typedContact) int {
		return cmp.Or(cmp.Compare(a.a, b.a), cmp.Compare(a.b, b.b), cmp.Compare(a.t, b.t))
	})
	e.Int(int64(len(seen)))
	for _, c := range seen {
		e.Int(c.a)
		e.Int(c.b)
		e.Uint32(uint32(c.t))
	}
	hist := slices.Sorted(maps.Keys(ty.hist))
	e.Int(int64(len(hist)))
	for _, k := range hist {
		h := ty.hist[k]
		e.Uint64(k)
		e.Float64(h.k)
		e.Float64(h.m)
		e.Int(int64(h.last))
	}
	pop := slices.Sorted(maps.Keys(ty.pop))
	e.Int(int64(len(pop)))
	for _, k := range pop {
		h := ty.pop[k]
		e.Uint32(k)
		e.Float64(h.k)
		e.Float64(h.m)
		e.Int(int64(h.last))
	}
	active := slices.Sorted(maps.Keys(ty.active))
	e.Int(int64(len(active)))
	for _, id := range active {
		e.Int(id)
	}
}

// LoadState replaces the state of a new Typed (same settings) by the saved one, ids
// carried over by m.
func (ty *Typed) LoadState(d *StateDecoder, m *IDMap) error {
	d.Section("typed", ty.cfg.HalfLife, ty.cfg.PriorWeight, float64(len(ty.kinds.Names)))
	ty.started, _, ty.last = loadClock(d)
	clear(ty.types)
	for range d.Len(28) {
		a, l, c := m.artifact(d, d.Int()), m.artifact(d, d.Int()), d.Int()
		ty.types[[3]int64{a, l, c}] = uint16(d.Uint32())
	}
	// The maps are made at their final size: filled by growing, their rehashing was a
	// third of loading a LANL-rate day's state.
	n := d.Len(20)
	ty.seen, ty.seenWide = make(map[uint64]int32, n), map[typedContact]int32{}
	for range n {
		// What meet(c, neverMet) records, without its lookup: the saved contacts are
		// distinct.
		c := typedContact{m.artifact(d, d.Int()), m.artifact(d, d.Int()), uint16(d.Uint32())}
		if k, ok := packContact(c); ok {
			ty.seen[k] = neverMet
		} else {
			ty.seenWide[c] = neverMet
		}
	}
	n = d.Len(32)
	ty.hist = make(map[uint64]typedRate, n)
	for range n {
		k := d.Uint64()
		id := m.artifact(d, int64(k>>16))
		ty.hist[uint64(id)<<16|k&0xffff] = typedRate{k: d.Float64(), m: d.Float64(), last: int(d.Int())}
	}
	clear(ty.pop)
	for range d.Len(28) {
		k := d.Uint32()
		ty.pop[k] = typedRate{k: d.Float64(), m: d.Float64(), last: int(d.Int())}
	}
	clear(ty.active)
	for range d.Len(8) {
		ty.active[m.artifact(d, d.Int())] = true
	}
	return d.Err()
}

// SaveState writes the emissions met so far, the rates and the last interval's
// inbound logons.
func (s *Switching) SaveState(e *StateEncoder) {
	s.SaveMain(e)
	s.Sets()[0].SaveBase(e)
}

// Sets returns the emissions met, saved apart from the rest (SaveMain).
func (s *Switching) Sets() []GrowingSet {
	return []GrowingSet{{name: "switching emissions", s: &s.emitted, sorted: true}}
}

// SaveMain writes the state but the emissions met (Sets).
func (s *Switching) SaveMain(e *StateEncoder) {
	e.Section("switching", s.cfg.HalfLife, s.cfg.PriorWeight, float64(len(s.kinds.Names)))
	saveClock(e, s.started, s.first, s.last)
	e.Int(int64(s.prevAt))
	s.rates.save(e)
	// Only the last interval's logons are read again (as the previous interval's).
	hosts := slices.Sorted(maps.Keys(s.inbound))
	e.Int(int64(len(hosts)))
	for _, h := range hosts {
		// Only membership is read: saved sorted, the bytes do not depend on the
		// events' order.
		users := slices.Sorted(slices.Values(s.inbound[h]))
		e.Int(h)
		e.Int(int64(len(users)))
		for _, u := range users {
			e.Int(u)
		}
	}
}

// LoadState replaces the state of a new Switching (same settings) by the saved one,
// ids and entities carried over by m.
func (s *Switching) LoadState(d *StateDecoder, m *IDMap) error {
	if err := s.LoadMain(d, m); err != nil {
		return err
	}
	set := s.Sets()[0]
	set.SetIDs(StableIDs(m, len(s.kinds.ByID)))
	return set.LoadBase(d)
}

// LoadMain reads what SaveMain wrote.
func (s *Switching) LoadMain(d *StateDecoder, m *IDMap) error {
	d.Section("switching", s.cfg.HalfLife, s.cfg.PriorWeight, float64(len(s.kinds.Names)))
	s.started, s.first, s.last = loadClock(d)
	s.prevAt = int(d.Int())
	s.rates.load(d, m, s.kinds)
	clear(s.inbound)
	clear(s.prevIn)
	for range d.Len(16) {
		h := m.entity(d, d.Int())
		users := make([]int64, d.Len(8))
		for i := range users {
			users[i] = m.entity(d, d.Int())
		}
		if d.err != nil {
			break
		}
		s.inbound[h] = users
	}
	return d.Err()
}

// SaveState writes the contacts met so far, who reached what, and the rates.
func (p *Peers) SaveState(e *StateEncoder) {
	p.SaveMain(e)
	p.Sets()[0].SaveBase(e)
}

// Sets returns the contacts met, saved apart from the rest (SaveMain).
func (p *Peers) Sets() []GrowingSet {
	return []GrowingSet{{name: "peers contacts", s: &p.seen}} // filled in the graph's order
}

// SaveMain writes the state but the contacts met (Sets).
func (p *Peers) SaveMain(e *StateEncoder) {
	settings := []float64{p.cfg.HubShare, p.cfg.HalfLife, p.cfg.PriorWeight, float64(p.nk)}
	for _, kp := range p.cfg.Pairs {
		settings = append(settings, float64(kp.A), float64(kp.B))
	}
	e.Section("peers", settings...)
	saveClock(e, p.started, p.first, p.last)
	e.Int(int64(p.nUsers))
	p.rates.save(e)
	for _, lists := range []map[int64][]int64{p.dests, p.users} {
		keys := slices.Sorted(maps.Keys(lists))
		e.Int(int64(len(keys)))
		for _, k := range keys {
			e.Int(k)
			e.Int(int64(len(lists[k])))
			for _, x := range lists[k] {
				e.Int(x)
			}
		}
	}
}

// LoadState replaces the state of a new Peers (same settings) by the saved one, ids
// carried over by m.
func (p *Peers) LoadState(d *StateDecoder, m *IDMap) error {
	if err := p.LoadMain(d, m); err != nil {
		return err
	}
	set := p.Sets()[0]
	set.SetIDs(StableIDs(m, len(p.kinds.ByID)))
	return set.LoadBase(d)
}

// LoadMain reads what SaveMain wrote.
func (p *Peers) LoadMain(d *StateDecoder, m *IDMap) error {
	settings := []float64{p.cfg.HubShare, p.cfg.HalfLife, p.cfg.PriorWeight, float64(p.nk)}
	for _, kp := range p.cfg.Pairs {
		settings = append(settings, float64(kp.A), float64(kp.B))
	}
	d.Section("peers", settings...)
	p.started, p.first, p.last = loadClock(d)
	p.nUsers = int(d.Int())
	p.rates.load(d, m, p.kinds)
	for _, lists := range []map[int64][]int64{p.dests, p.users} {
		clear(lists)
		for range d.Len(16) {
			k := m.artifact(d, d.Int())
			vals := make([]int64, d.Len(8))
			for i := range vals {
				vals[i] = m.artifact(d, d.Int())
			}
			if d.err != nil {
				break
			}
			lists[k] = vals
		}
	}
	return d.Err()
}

// SaveState writes the learned feature set: names, recipes and scales.
func (fs *FeatureSet) SaveState(e *StateEncoder) {
	e.Section("features")
	e.Int(int64(len(fs.names)))
	for j, name := range fs.names {
		e.String(name)
		r := fs.recipe[j]
		e.Int(int64(r.op))
		e.Int(int64(r.arg))
		e.Int(int64(r.gen))
		e.Float64(fs.scale[j])
	}
}

// LoadFeatureSet reads a feature set saved by SaveState; workers is as in RefexConfig
// (results do not depend on it).
func LoadFeatureSet(d *StateDecoder, workers int) (*FeatureSet, error) {
	d.Section("features")
	n := d.Len(40)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	fs := &FeatureSet{workers: workers}
	for range n {
		fs.names = append(fs.names, d.String())
		fs.recipe = append(fs.recipe, featureRecipe{op: featureOp(d.Int()), arg: int(d.Int()), gen: int(d.Int())})
		fs.scale = append(fs.scale, d.Float64())
	}
	if d.err != nil {
		return nil, d.err
	}
	for j, r := range fs.recipe {
		if r.gen > 0 && (r.arg < 0 || r.arg >= j) {
			return nil, fmt.Errorf("%w: feature %d aggregates column %d", ErrState, j, r.arg)
		}
	}
	return fs, nil
}
