package graphkit

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// scKinds returns a kind table with n artifacts, all of kind "computer" except those
// listed in other, which get the kind "peer".
func scKinds(t testing.TB, n int, other func(id int) bool) *Kinds {
	t.Helper()
	names := make([]string, n)
	for id := range names {
		names[id] = "computer"
		if other != nil && other(id) {
			names[id] = "peer"
		}
	}
	k, err := NewKinds(names)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func scGraph(t testing.TB, edges []Edge) *Graph {
	t.Helper()
	g, err := FromEdges(edges)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// scRank returns the 0-based rank of id by Surprise (descending, ties by id) among
// the vertices of g.
func scRank(g *Graph, ev []Evidence, id int64) int {
	order := make([]int, len(ev))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case ev[a].Surprise > ev[b].Surprise:
			return -1
		case ev[a].Surprise < ev[b].Surprise:
			return 1
		}
		return 0
	})
	for r, i := range order {
		if g.IDs[i] == id {
			return r
		}
	}
	return -1
}

func scNovelty(t testing.TB, kinds *Kinds, cfg NoveltyConfig) *Novelty {
	t.Helper()
	if cfg.Pairs == nil {
		cfg.Pairs = []KindPair{{0, 0}}
	}
	nv, err := NewNovelty(kinds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return nv
}

// habits are 50 computers, each meeting the three next ones (on a ring) every interval,
// plus two random pairs per interval (occasional first contacts for everybody but
// computer 7, so that its ten first contacts below are exactly ten).
func habits(rng *rand.Rand) []Edge {
	var e []Edge
	for i := range int64(50) {
		for d := int64(1); d <= 3; d++ {
			e = append(e, Edge{A: i, B: (i + d) % 50, Weight: 2})
		}
	}
	for range 2 {
		a, b := rng.Int64N(50), rng.Int64N(50)
		if a != b && a != 7 && b != 7 {
			e = append(e, Edge{A: a, B: b, Weight: 1})
		}
	}
	return e
}

// TestNoveltyTenNewHosts: after 48 intervals of stable habits, computer 7 contacts ten
// hosts it never met. It ranks first in novelty and in the fused score.
func TestNoveltyTenNewHosts(t *testing.T) {
	kinds := scKinds(t, 50, nil)
	nv := scNovelty(t, kinds, NoveltyConfig{})
	vol, err := NewVolume(kinds, VolumeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	fu, err := NewFusion("novelty", "volume", "role")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	var nov, vo []Evidence
	for iv := range 48 {
		g := scGraph(t, habits(rng))
		nov = nv.Update(iv, g, nov)
		vo = vol.Update(iv, g, vo)
	}
	edges := habits(rng)
	for d := int64(10); d < 20; d++ {
		edges = append(edges, Edge{A: 7, B: (7 + d) % 50, Weight: 1})
	}
	g := scGraph(t, edges)
	nov = nv.Update(48, g, nov)
	vo = vol.Update(48, g, vo)
	v7 := g.Index(7)
	if r := scRank(g, nov, 7); r != 0 || nov[v7].Value != 10 {
		t.Errorf("novelty: computer 7 ranks %d with %+v", r, nov[v7])
	}
	if nov[v7].Surprise < 8 {
		t.Errorf("ten first contacts of a settled computer: surprise %v, want ≥ 8", nov[v7].Surprise)
	}
	fused := slices.Clone(fu.Fuse(g.IDs, nov, vo, nil))
	SortFused(fused)
	if fused[0].ID != 7 || fu.Names()[fused[0].Dominant] != "novelty" {
		t.Errorf("fused: first %d (dominant %d), want 7 driven by novelty; top %v", fused[0].ID, fused[0].Dominant, fused[:3])
	}
	t.Logf("novelty %+v volume %+v; fused: %s", nov[v7], vo[v7], fu.Explain(fused[0]))
	t.Logf("runner-up %d: %s", fused[1].ID, fu.Explain(fused[1]))
}

// TestNoveltyRoutineServer: a server that meets five new clients every interval ranks
// below a workstation that meets three hosts it never met.
func TestNoveltyRoutineServer(t *testing.T) {
	const server, ws = 0, 1
	kinds := scKinds(t, 1000, nil)
	nv := scNovelty(t, kinds, NoveltyConfig{})
	client := int64(100)
	interval := func(iv int, extra ...Edge) []Evidence {
		var e []Edge
		for w := int64(1); w <= 20; w++ { // 20 workstations, two usual hosts each
			e = append(e, Edge{A: w, B: 30 + w%7, Weight: 3}, Edge{A: w, B: 40 + w%5, Weight: 1})
		}
		for range 5 {
			e = append(e, Edge{A: server, B: client, Weight: 1})
			client++
		}
		g := scGraph(t, append(e, extra...))
		ev := nv.Update(iv, g, nil)
		if iv == 48 {
			s, w := ev[g.Index(server)], ev[g.Index(ws)]
			if !(w.Surprise > s.Surprise+3) || s.Surprise > 1 {
				t.Errorf("server %+v, workstation %+v: want the workstation far above", s, w)
			}
			if r := scRank(g, ev, ws); r != 0 {
				t.Errorf("workstation ranks %d", r)
			}
			if r := scRank(g, ev, server); r < 4 {
				t.Errorf("server ranks %d, want below the workstation and its three hosts", r)
			}
			t.Logf("server %+v; workstation %+v", s, w)
		}
		return ev
	}
	for iv := range 48 {
		interval(iv)
	}
	// Workstation 1 meets 32, 33, 44: hosts of others it never met.
	interval(48, Edge{A: ws, B: 32, Weight: 1}, Edge{A: ws, B: 33, Weight: 1}, Edge{A: ws, B: 44, Weight: 1})
}

func TestNoveltyWindowAndNew(t *testing.T) {
	kinds := scKinds(t, 10, func(id int) bool { return id >= 8 })
	computer, _ := kinds.Lookup("computer")
	peer, _ := kinds.Lookup("peer")
	for _, window := range []int{0, 5} {
		nv := scNovelty(t, kinds, NoveltyConfig{Pairs: []KindPair{{computer, peer}}, Window: window})
		// Interval 0: 1–8 is a contact (computer–peer), 1–2 is not (computer–computer).
		g := scGraph(t, []Edge{{A: 1, B: 8, Weight: 1}, {A: 1, B: 2, Weight: 1}})
		ev := nv.Update(0, g, nil)
		if e := ev[g.Index(1)]; !e.New || e.Value != 1 || e.Surprise != 0 {
			t.Errorf("window %d: first appearance %+v", window, e)
		}
		if e := ev[g.Index(2)]; e != (Evidence{}) {
			t.Errorf("window %d: computer without contacts %+v", window, e)
		}
		g = scGraph(t, []Edge{{A: 1, B: 9, Weight: 1}})
		ev = nv.Update(3, g, ev)
		if e := ev[g.Index(1)]; e.New || e.Value != 1 {
			t.Errorf("window %d: second appearance %+v", window, e)
		}
		g = scGraph(t, []Edge{{A: 1, B: 8, Weight: 1}, {A: 1, B: 9, Weight: 1}})
		ev = nv.Update(7, g, ev)
		// 1–8 was last seen at 0 (7 ago), 1–9 at 3 (4 ago).
		want := 0.0
		if window == 5 {
			want = 1
		}
		if e := ev[g.Index(1)]; e.Value != want {
			t.Errorf("window %d: %+v, want %v first contacts", window, e, want)
		}
		if p, b := nv.Pairs(); p != 2 || b == 0 {
			t.Errorf("window %d: %d pairs in %d bytes", window, p, b)
		}
	}
}

func TestNoveltyMisuse(t *testing.T) {
	kinds := scKinds(t, 10, nil)
	if _, err := NewNovelty(kinds, NoveltyConfig{}); err == nil {
		t.Error("no pairs: want an error")
	}
	if _, err := NewNovelty(kinds, NoveltyConfig{Pairs: []KindPair{{0, 3}}}); err == nil {
		t.Error("unknown kind: want an error")
	}
	nv := scNovelty(t, kinds, NoveltyConfig{})
	g := scGraph(t, []Edge{{A: 1, B: 2, Weight: 1}})
	nv.Update(5, g, nil)
	for name, f := range map[string]func(){
		"interval order": func() { nv.Update(5, g, nil) },
		"id outside the kind table": func() {
			nv.Update(6, scGraph(t, []Edge{{A: 1, B: 20, Weight: 1}}), nil)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: want a panic", name)
				}
			}()
			f()
		}()
	}
}

// TestPairSet checks the set against a map, with growth, a window and visit counts.
func TestPairSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, window := range []uint32{0, 3} {
		for _, counted := range []bool{false, true} {
			s := pairSet{windowed: window > 0, counted: counted}
			type entry struct{ last, visits uint32 }
			ref := map[uint64]entry{}
			for now := range uint32(40) {
				for range 500 {
					key := rng.Uint64N(5000) + 1
					e, ok := ref[key]
					wantNew := !ok || (window > 0 && now-e.last > window)
					if wantNew {
						e.visits = 0
					}
					wantMet := uint32(0)
					if counted {
						wantMet = e.visits
					}
					met, isNew := s.visit(key, now, window)
					if isNew != wantNew || met != wantMet {
						t.Fatalf("window %d, counted %v, interval %d, key %d: (met, new) = (%d, %v), want (%d, %v)",
							window, counted, now, key, met, isNew, wantMet, wantNew)
					}
					ref[key] = entry{last: now, visits: e.visits + 1}
				}
			}
			if window == 0 && s.count != len(ref) {
				t.Errorf("count %d, want %d", s.count, len(ref))
			}
			if s.count > len(ref) || (s.count+1)*4 > len(s.keys)*3+4 {
				t.Errorf("window %d: count %d of %d slots, %d distinct keys", window, s.count, len(s.keys), len(ref))
			}
		}
	}
}

// TestNegBinomSurprise checks the tail against the sum of the probability mass.
func TestNegBinomSurprise(t *testing.T) {
	for _, c := range []struct{ k, alpha, beta float64 }{
		{1, 0.5, 2}, {3, 0.52, 50}, {5, 250, 50}, {10, 0.7, 48}, {2, 3.5, 0.5}, {40, 2, 1},
	} {
		// pmf(j) = Γ(j+α)/(Γ(α) j!) · (β/(1+β))^α · (1/(1+β))^j
		cdf := 0.0
		for j := 0.0; j < c.k; j++ {
			lg1, _ := math.Lgamma(j + c.alpha)
			lg2, _ := math.Lgamma(j + 1)
			lg3, _ := math.Lgamma(c.alpha)
			cdf += math.Exp(lg1 - lg2 - lg3 + c.alpha*math.Log(c.beta/(1+c.beta)) - j*math.Log(1+c.beta))
		}
		want := -math.Log10(1 - cdf)
		if got := negBinomSurprise(c.k, c.alpha, c.beta); math.Abs(got-want) > 1e-6*max(1, want) && 1-cdf > 1e-12 {
			t.Errorf("%+v: surprise %v, want %v", c, got, want)
		}
	}
	// Beyond float64: finite and still increasing in k.
	a, b := negBinomSurprise(400, 0.5, 1000), negBinomSurprise(401, 0.5, 1000)
	if math.IsInf(a, 0) || !(b > a) || a < 300 {
		t.Errorf("underflow branch: %v, %v", a, b)
	}
	if negBinomSurprise(0, 1, 1) != 0 {
		t.Error("k = 0 is no evidence")
	}
}

// TestNoveltyGradedAgainstBruteForce checks Evidence.Value with Graded and Counterpart
// against a direct computation: every contact {u,v} of a selected kind pair counts
// 1/(1+c) for c the earlier intervals in which u and v met, divided (Counterpart) by
// 1 + the counterpart's expected novelty, which is the Expected the scorer reports for
// the counterpart in the same interval (everyone has a contact from interval 0 on, so
// no counterpart is new after it).
func TestNoveltyGradedAgainstBruteForce(t *testing.T) {
	const n = 60
	kinds := scKinds(t, n, func(id int) bool { return id >= 50 }) // 50..59 are "peer"
	pairs := []KindPair{{0, 0}, {0, 1}}                           // computer–computer, computer–peer; peer–peer is not a contact
	for _, cp := range []bool{false, true} {
		nv := scNovelty(t, kinds, NoveltyConfig{Pairs: pairs, Graded: true, Counterpart: cp})
		rng := rand.New(rand.NewPCG(7, 7))
		met := map[[2]int64]int{}
		var ev []Evidence
		for iv := range 30 {
			var e []Edge
			for i := range int64(50) { // a ring of computers with a peer on ten keeps everyone active
				e = append(e, Edge{A: i, B: (i + 1) % 50, Weight: 1})
			}
			for p := int64(50); p < n; p++ {
				e = append(e, Edge{A: p, B: p - 50, Weight: 1})
			}
			for range 40 {
				a, b := rng.Int64N(n), rng.Int64N(n)
				if a != b {
					e = append(e, Edge{A: a, B: b, Weight: 1})
				}
			}
			g := scGraph(t, e)
			ev = nv.Update(iv, g, ev)
			want := make([]float64, g.NumVertices())
			for v := range g.NumVertices() {
				nbrs, _ := g.Neighbors(v)
				for _, u := range nbrs {
					a, b := g.IDs[v], g.IDs[u]
					if kinds.Of(a) == 1 && kinds.Of(b) == 1 {
						continue
					}
					key := [2]int64{min(a, b), max(a, b)}
					w := 1 / (1 + float64(met[key]))
					if cp && iv > 0 {
						w /= 1 + ev[u].Expected
					}
					want[v] += w
				}
			}
			for v := range g.NumVertices() {
				nbrs, _ := g.Neighbors(v)
				for _, u := range nbrs {
					if int(u) > v {
						a, b := g.IDs[v], g.IDs[u]
						if kinds.Of(a) != 1 || kinds.Of(b) != 1 {
							met[[2]int64{a, b}]++
						}
					}
				}
			}
			if iv == 0 {
				continue // everyone is new: Value is the count, judged later
			}
			for v := range want {
				if math.Abs(ev[v].Value-want[v]) > 1e-9*max(1, want[v]) {
					t.Fatalf("counterpart %v, interval %d, artifact %d: value %v, want %v", cp, iv, g.IDs[v], ev[v].Value, want[v])
				}
			}
		}
	}
}

// TestNoveltyGradedReturn: a settled computer reaches ten hosts it never met, and
// comes back to them in the next two intervals. Counting first contacts only, the
// return visits are no evidence; graded, each counts ½ then ⅓ and the computer still
// ranks first, while habits of weeks weigh next to nothing.
func TestNoveltyGradedReturn(t *testing.T) {
	kinds := scKinds(t, 50, nil)
	for _, graded := range []bool{false, true} {
		nv := scNovelty(t, kinds, NoveltyConfig{Graded: graded})
		rng := rand.New(rand.NewPCG(1, 1))
		var ev []Evidence
		for iv := range 48 {
			ev = nv.Update(iv, scGraph(t, habits(rng)), ev)
		}
		for back := range 3 {
			edges := habits(rng)
			for d := int64(10); d < 20; d++ {
				edges = append(edges, Edge{A: 7, B: (7 + d) % 50, Weight: 1})
			}
			g := scGraph(t, edges)
			ev = nv.Update(48+back, g, ev)
			e7 := ev[g.Index(7)]
			switch {
			case back == 0 && (e7.Value < 10 || scRank(g, ev, 7) != 0):
				t.Errorf("graded %v: first visit %+v ranks %d", graded, e7, scRank(g, ev, 7))
			case back > 0 && !graded && e7.Value != 0:
				t.Errorf("first contacts only, return visit %d: value %v, want 0", back, e7.Value)
			case back > 0 && graded:
				// Ten return contacts weigh 10/(1+back); the ring habits (met 48+ times)
				// add 3/49 or so; random pairs a little more.
				if want := 10 / float64(1+back); e7.Value < want || e7.Value > want+1 {
					t.Errorf("graded return visit %d: value %v, want about %v", back, e7.Value, want)
				}
				if r := scRank(g, ev, 7); r != 0 || e7.Surprise < 1 {
					t.Errorf("graded return visit %d: computer 7 ranks %d with %+v", back, r, e7)
				}
			}
		}
	}
}

// TestNoveltyCounterpart: a scanner meets five new hosts every interval. When it
// reaches quiet workstation A while quiet host C reaches quiet workstation B, both A
// and B have one first contact; weighting by the counterpart, B's is the news.
func TestNoveltyCounterpart(t *testing.T) {
	const scanner, A, B, C = 0, 1, 2, 3
	kinds := scKinds(t, 2000, nil)
	for _, cp := range []bool{false, true} {
		nv := scNovelty(t, kinds, NoveltyConfig{Counterpart: cp})
		target := int64(100)
		var ev []Evidence
		step := func(iv int, extra ...Edge) *Graph {
			var e []Edge
			for w := int64(1); w <= 20; w++ { // 20 machines with two usual hosts each
				e = append(e, Edge{A: w, B: 30 + w%7, Weight: 3}, Edge{A: w, B: 40 + w%5, Weight: 1})
			}
			for range 5 {
				e = append(e, Edge{A: scanner, B: target, Weight: 1})
				target++
			}
			g := scGraph(t, append(e, extra...))
			ev = nv.Update(iv, g, ev)
			return g
		}
		for iv := range 48 {
			step(iv)
		}
		g := step(48, Edge{A: scanner, B: A, Weight: 1}, Edge{A: C, B: B, Weight: 1})
		a, b := ev[g.Index(A)], ev[g.Index(B)]
		if !cp {
			if a.Value != 1 || b.Value != 1 || a.Surprise != b.Surprise {
				t.Errorf("unweighted: A %+v, B %+v, want alike", a, b)
			}
			continue
		}
		if !(b.Value > 3*a.Value) || !(b.Surprise > a.Surprise+0.5) {
			t.Errorf("counterpart-weighted: A (met the scanner) %+v, B (met a quiet host) %+v: want B well above", a, b)
		}
		t.Logf("A %+v; B %+v", a, b)
	}
}
