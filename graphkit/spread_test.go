package graphkit

import (
	"testing"
)

// TestSpreadFanOut: the servers the fanning source reached for the first time take on
// its evidence in full; the routine file server it never met and the habitual
// contacts of other workstations take none.
func TestSpreadFanOut(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	nv := scNovelty(t, w.kinds, NoveltyConfig{Pairs: DefaultNoveltyPairs(w.kinds), Graded: true})
	sp, err := NewSpread(w.kinds, DefaultNoveltyPairs(w.kinds))
	if err != nil {
		t.Fatal(err)
	}
	var ev, sev []Evidence
	for k := range 48 {
		g, _ := w.interval(t, routine(10))
		ev = nv.Update(k, g, ev)
	}
	g, _ := w.interval(t, fanOut())
	ev = nv.Update(48, g, ev)
	base := make([]float64, len(ev))
	for v := range ev {
		base[v] = ev[v].Surprise
	}
	sev = sp.Update(g, base, nv.Grades(), sev)
	c5 := g.Index(w.id(t, "computer_source", "C5"))
	if base[c5] < 3 {
		t.Fatalf("C5's own novelty %.3g: the test needs a loud source", base[c5])
	}
	for i := range 5 {
		d := g.Index(w.id(t, "computer_destination", "C5"[:1]+string(rune('0'+5))+string(rune('0'+i))))
		if d < 0 {
			t.Fatalf("server C5%d not in the graph", i)
		}
		if sev[d].Surprise != base[c5] && sev[d].Surprise < base[c5] {
			t.Errorf("server C5%d: spread %+v, want at least C5's %.3g", i, sev[d], base[c5])
		}
	}
	fs := g.Index(w.id(t, "computer_destination", "C40"))
	if sev[fs].Surprise >= 1 {
		t.Errorf("file server C40: spread %+v from %d", sev[fs], sp.From()[fs])
	}
	// Spread is one hop: without base evidence nothing moves.
	zero := make([]float64, len(base))
	for v, e := range sp.Update(g, zero, nv.Grades(), nil) {
		if e.Surprise != 0 {
			t.Errorf("%s: spread %v from no evidence", w.names[g.IDs[v]], e.Surprise)
		}
	}
}

// TestNoveltyGradesSymmetric: both adjacency slots of a contact carry its grade.
func TestNoveltyGradesSymmetric(t *testing.T) {
	w := newAuthWorld(t, 5, 50)
	nv := scNovelty(t, w.kinds, NoveltyConfig{Pairs: DefaultNoveltyPairs(w.kinds), Graded: true})
	for k := range 3 {
		g, _ := w.interval(t, routine(4))
		nv.Update(k, g, nil)
		gr := nv.Grades()
		for v := range g.NumVertices() {
			for j, u := range g.Nbrs[g.Offsets[v]:g.Offsets[v+1]] {
				back := g.Index(g.IDs[v])
				ru := g.Nbrs[g.Offsets[u]:g.Offsets[u+1]]
				for i, x := range ru {
					if int(x) == back && gr[g.Offsets[u]+i] != gr[g.Offsets[v]+j] {
						t.Fatalf("interval %d: grade %s→%s %v, back %v", k, w.names[g.IDs[v]], w.names[g.IDs[u]], gr[g.Offsets[v]+j], gr[g.Offsets[u]+i])
					}
				}
			}
		}
		// Every contact met k times before grades 1/(1+k).
		v := g.Index(w.id(t, "userdomain_source", "U1"))
		u := g.Index(w.id(t, "computer_destination", "C40"))
		for j, x := range g.Nbrs[g.Offsets[v]:g.Offsets[v+1]] {
			if int(x) == u && gr[g.Offsets[v]+j] != float32(1/(1+float64(k))) {
				t.Errorf("interval %d: U1–C40 grade %v, want %v", k, gr[g.Offsets[v]+j], 1/(1+float64(k)))
			}
		}
	}
}
