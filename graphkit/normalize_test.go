package graphkit

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestRoleNormalizerAlternator feeds 50 artifacts through the Tracker (previous
// appearance) for 48 hourly intervals. Artifact 5 alternates between roles 0 and 1
// every interval (δ = 2 each time); the others keep one role with a little noise. At
// interval 48 artifact 9 flips to another role. The raw δ ranks the alternator at the
// top; the normalised score ranks the flip first and the alternator low.
func TestRoleNormalizerAlternator(t *testing.T) {
	const n, roles, alternator, flipper = 50, 3, 5, 9
	kinds := scKinds(t, n, nil)
	tr, err := NewTracker(DynamicsConfig{Mode: ExpectPrevious})
	if err != nil {
		t.Fatal(err)
	}
	rn, err := NewRoleNormalizer(kinds, RoleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ring []Edge
	ids := make([]int64, n)
	for i := range int64(n) {
		ring = append(ring, Edge{A: i, B: (i + 1) % n, Weight: 1})
		ids[i] = i
	}
	g := scGraph(t, ring)
	rng := rand.New(rand.NewPCG(4, 4))
	var raw []ArtifactScore
	var ev []Evidence
	for iv := 0; iv <= 48; iv++ {
		G := mat.NewDense(n, roles, nil)
		for i := range n {
			role := i % roles
			switch {
			case i == alternator:
				role = iv % 2
			case i == flipper && iv == 48:
				role = (role + 1) % roles
			}
			for r := range roles {
				G.Set(i, r, 0.03*rng.Float64())
			}
			G.Set(i, role, 1)
		}
		raw = tr.Update(iv, ids, G)
		ev = rn.Update(iv, g, raw, ev)
	}
	rawEv := make([]Evidence, n)
	for i, a := range raw {
		rawEv[i] = Evidence{Surprise: a.Score}
	}
	if r := scRank(g, rawEv, alternator); r > 1 {
		t.Errorf("raw δ ranks the alternator %d, want at the top", r)
	}
	if r := scRank(g, ev, flipper); r != 0 {
		t.Errorf("normalised: the flip ranks %d: %+v", r, ev[flipper])
	}
	if r := scRank(g, ev, alternator); r < 10 || ev[alternator].Surprise > 1 {
		t.Errorf("normalised: the alternator ranks %d: %+v", r, ev[alternator])
	}
	t.Logf("raw δ: alternator %.3f, flip %.3f; normalised: alternator %+v, flip %+v",
		raw[alternator].Score, raw[flipper].Score, ev[alternator], ev[flipper])
}

// TestRoleNormalizerNewAndMissing: artifacts new to the Tracker get no surprise and
// stay out of the history; raw scores are matched to the graph by id.
func TestRoleNormalizerNewAndMissing(t *testing.T) {
	kinds := scKinds(t, 10, nil)
	rn, err := NewRoleNormalizer(kinds, RoleConfig{})
	if err != nil {
		t.Fatal(err)
	}
	g := scGraph(t, []Edge{{A: 1, B: 2, Weight: 1}, {A: 2, B: 3, Weight: 1}})
	ev := rn.Update(0, g, []ArtifactScore{{ID: 3, Score: 1.5, New: true}, {ID: 1, Score: 0.4}}, nil)
	if e := ev[g.Index(3)]; !e.New || e.Surprise != 0 || e.Value != 1.5 {
		t.Errorf("new to the tracker: %+v", e)
	}
	if e := ev[g.Index(1)]; !e.New || e.Value != 0.4 || !(e.Surprise > 0) {
		t.Errorf("first δ, judged by the prior: %+v", e)
	}
	if e := ev[g.Index(2)]; e != (Evidence{}) {
		t.Errorf("no raw score: %+v", e)
	}
	ev = rn.Update(1, g, []ArtifactScore{{ID: 3, Score: 0.4}}, ev)
	if e := ev[g.Index(3)]; !e.New {
		t.Errorf("the tracker's first appearance must not enter the history: %+v", e)
	}
	if e := ev[g.Index(1)]; e != (Evidence{}) {
		t.Errorf("buffer reuse: %+v", e)
	}
}
