package graphkit

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

func memberships(rows ...[]float64) *mat.Dense {
	m := mat.NewDense(len(rows), len(rows[0]), nil)
	for i, r := range rows {
		m.SetRow(i, r)
	}
	return m
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTrackerPrevious(t *testing.T) {
	tr, err := NewTracker(DynamicsConfig{Mode: ExpectPrevious})
	if err != nil {
		t.Fatal(err)
	}
	// Interval 0: both new. Artifact 1 is pure role 0; artifact 2 is evenly mixed.
	s := tr.Update(0, []int64{1, 2}, memberships([]float64{5, 0, 0}, []float64{1, 1, 1}))
	// New: δ = distance from uniform (1/3 each): |1−1/3| + 1/3 + 1/3 = 4/3; 0 for 2.
	if !s[0].New || !near(s[0].Score, 4.0/3, 1e-15) || !s[1].New || !near(s[1].Score, 0, 1e-15) {
		t.Errorf("new artifacts: %+v", s)
	}
	if !near(s[0].Before[1], 1.0/3, 0) || !near(s[0].After[0], 1, 0) {
		t.Errorf("before/after of a new artifact: %v %v", s[0].Before, s[0].After)
	}
	// Interval 1: 1 stable (scale does not matter), 2 absent, 3 new with a zero row.
	s = tr.Update(1, []int64{1, 3}, memberships([]float64{2, 0, 0}, []float64{0, 0, 0}))
	if s[0].New || !near(s[0].Score, 0, 1e-15) {
		t.Errorf("stable artifact: %+v", s[0])
	}
	if !s[1].New || !near(s[1].Score, 0, 1e-15) || !near(s[1].After[2], 1.0/3, 1e-15) {
		t.Errorf("zero row is uniform: %+v", s[1])
	}
	// Interval 3: 1 flips to role 2 (δ = 2); 2 returns after a gap, compared with its
	// last appearance (interval 0).
	s = tr.Update(3, []int64{1, 2}, memberships([]float64{0, 0, 7}, []float64{1, 0, 1}))
	if !near(s[0].Score, 2, 1e-15) {
		t.Errorf("role flip: δ = %v, want 2", s[0].Score)
	}
	if want := 1.0/6 + 1.0/3 + 1.0/6; !near(s[1].Score, want, 1e-15) {
		t.Errorf("return after a gap: δ = %v, want %v", s[1].Score, want)
	}
	iv := tr.Intervals()
	if len(iv) != 3 || iv[2].Interval != 3 || !near(iv[2].Delta, (2+2.0/3)/2, 1e-15) || iv[2].New != 0 {
		t.Errorf("interval summaries: %+v", iv)
	}
	if !near(iv[0].Delta, 2.0/3, 1e-15) || !math.IsNaN(iv[0].DeltaKnown) || iv[0].New != 2 {
		t.Errorf("first interval: %+v", iv[0])
	}
	if !near(iv[1].DeltaKnown, 0, 0) || !near(iv[1].Delta, 0, 0) {
		t.Errorf("second interval: %+v", iv[1])
	}
	if tr.Seen() != 3 {
		t.Errorf("seen %d, want 3", tr.Seen())
	}
}

func TestTrackerEWMA(t *testing.T) {
	// Half-life 1 interval. Artifact 7 appears at t = 0, 1 and 3 with pure roles
	// 0, 1, 0 and is scored at t = 3 and t = 4.
	tr, err := NewTracker(DynamicsConfig{HalfLife: 1})
	if err != nil {
		t.Fatal(err)
	}
	tr.Update(0, []int64{7}, memberships([]float64{1, 0}))
	s := tr.Update(1, []int64{7}, memberships([]float64{0, 1}))
	// E(1) = the membership at 0: (1, 0); δ = 2.
	if !near(s[0].Score, 2, 1e-15) {
		t.Errorf("t=1: δ = %v, want 2", s[0].Score)
	}
	s = tr.Update(3, []int64{7}, memberships([]float64{1, 0}))
	// E(3): weights 2^−3 (t=0) and 2^−2 (t=1) → (1/8, 1/4)/(3/8) = (1/3, 2/3).
	// δ = |1 − 1/3| + |0 − 2/3| = 4/3.
	if !near(s[0].Before[0], 1.0/3, 1e-15) || !near(s[0].Score, 4.0/3, 1e-15) {
		t.Errorf("t=3: E = %v, δ = %v, want (1/3, 2/3), 4/3", s[0].Before, s[0].Score)
	}
	s = tr.Update(4, []int64{7}, memberships([]float64{1, 0}))
	// E(4): weights 2^−4, 2^−3, 2^−1 → (1/16 + 1/2, 1/8)/(11/16) = (9/11, 2/11).
	// δ = 2/11 + 2/11 = 4/11.
	if !near(s[0].Before[0], 9.0/11, 1e-15) || !near(s[0].Score, 4.0/11, 1e-15) {
		t.Errorf("t=4: E = %v, δ = %v, want (9/11, 2/11), 4/11", s[0].Before, s[0].Score)
	}
	// A stable artifact scores 0 in EWMA mode too.
	tr2, _ := NewTracker(DynamicsConfig{})
	for ti := range 5 {
		s := tr2.Update(ti, []int64{1}, memberships([]float64{0.2, 0.8}))
		if ti > 0 && !near(s[0].Score, 0, 1e-15) {
			t.Errorf("stable artifact at %d: δ = %v", ti, s[0].Score)
		}
	}
}

// TestTrackerAppear checks that Appear marks first appearances and counts the
// interval summaries exactly as Update does on the same sequence of ids (random
// subsets of 40 artifacts over intervals with gaps), with no δ.
func TestTrackerAppear(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	withRoles, _ := NewTracker(DynamicsConfig{})
	bare, _ := NewTracker(DynamicsConfig{})
	for k := 0; k < 60; k += 1 + rng.IntN(3) {
		var ids []int64
		for id := range int64(40) {
			if rng.IntN(4) == 0 {
				ids = append(ids, id)
			}
		}
		G := mat.NewDense(max(len(ids), 1), 2, nil)
		for i := range ids {
			G.Set(i, rng.IntN(2), 1)
		}
		var want []ArtifactScore
		if len(ids) > 0 {
			want = withRoles.Update(k, ids, G)
		} else {
			want = withRoles.Update(k, nil, nil)
		}
		got := bare.Appear(k, ids)
		if len(got) != len(want) {
			t.Fatalf("interval %d: %d scores, want %d", k, len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID || got[i].New != want[i].New || !math.IsNaN(got[i].Score) || got[i].Before != nil || got[i].After != nil {
				t.Errorf("interval %d, artifact %d: %+v, want ID %d new %v, no δ", k, i, got[i], want[i].ID, want[i].New)
			}
		}
	}
	wi, gi := withRoles.Intervals(), bare.Intervals()
	if len(wi) != len(gi) || bare.Seen() != withRoles.Seen() {
		t.Fatalf("%d intervals and %d seen, want %d and %d", len(gi), bare.Seen(), len(wi), withRoles.Seen())
	}
	for i := range gi {
		if gi[i].Interval != wi[i].Interval || gi[i].Artifacts != wi[i].Artifacts || gi[i].New != wi[i].New ||
			!math.IsNaN(gi[i].Delta) || !math.IsNaN(gi[i].DeltaKnown) {
			t.Errorf("summary %d: %+v, want counts of %+v and no Δ", i, gi[i], wi[i])
		}
	}
}

func TestTrackerMisuse(t *testing.T) {
	cases := map[string]func(tr *Tracker){
		"interval goes back": func(tr *Tracker) {
			tr.Update(2, []int64{1}, memberships([]float64{1, 0}))
			tr.Update(2, []int64{1}, memberships([]float64{1, 0}))
		},
		"duplicate id": func(tr *Tracker) {
			tr.Update(0, []int64{1, 1}, memberships([]float64{1, 0}, []float64{0, 1}))
		},
		"roles change": func(tr *Tracker) {
			tr.Update(0, []int64{1}, memberships([]float64{1, 0}))
			tr.Update(1, []int64{1}, memberships([]float64{1, 0, 0}))
		},
		"update after appear": func(tr *Tracker) {
			tr.Appear(0, []int64{1})
			tr.Update(1, []int64{1}, memberships([]float64{1, 0}))
		},
		"appear after update": func(tr *Tracker) {
			tr.Update(0, []int64{1}, memberships([]float64{1, 0}))
			tr.Appear(1, []int64{1})
		},
		"appear twice in an interval": func(tr *Tracker) {
			tr.Appear(0, []int64{1, 1})
		},
		"rows and ids differ": func(tr *Tracker) {
			tr.Update(0, []int64{1, 2}, memberships([]float64{1, 0}))
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			tr, _ := NewTracker(DynamicsConfig{})
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			fn(tr)
		})
	}
	if _, err := NewTracker(DynamicsConfig{HalfLife: -1}); err == nil {
		t.Error("negative half-life: no error")
	}
}

// TestRoleDynamicsPipeline runs the whole method on a synthetic sequence: a stable
// random graph in which, at interval 4, one peripheral artifact starts talking to many
// others (a scan). Features and the role basis are learned on intervals 0–2; that
// artifact must then have the highest δ of interval 4, and ranking interval 4's
// artifacts by δ must find it first, for several seeds of the role basis.
func TestRoleDynamicsPipeline(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	const n = 120
	var base []Edge
	for a := range n {
		for b := a + 1; b < n; b++ {
			p := 0.02
			if a < 6 {
				p = 0.4 // servers
			}
			if rng.Float64() < p {
				base = append(base, Edge{int64(a), int64(b), 1})
			}
		}
	}
	const scanner = int64(n - 1)
	graphs := make([]*Graph, 6)
	for ti := range graphs {
		var edges []Edge
		for _, e := range base {
			if rng.Float64() < 0.95 { // a little churn
				edges = append(edges, Edge{e.A, e.B, float64(1 + rng.IntN(3))})
			}
		}
		edges = append(edges, Edge{scanner, 0, 1}) // the scanner is a client of server 0
		if ti == 4 {
			for k := range 40 {
				edges = append(edges, Edge{scanner, int64(10 + 2*k), 1})
			}
		}
		graphs[ti] = mustGraph(t, edges)
	}
	for seed := uint64(1); seed <= 3; seed++ {
		roleDynamicsRun(t, graphs, scanner, seed)
	}
}

func roleDynamicsRun(t *testing.T, graphs []*Graph, scanner int64, seed uint64) {
	fs, err := LearnFeatures(graphs[:3], RefexConfig{})
	if err != nil {
		t.Fatal(err)
	}
	train, err := fs.ComputeNormalized(graphs[:3])
	if err != nil {
		t.Fatal(err)
	}
	model, err := FitRoles(train, RolesConfig{Roles: 4, NMF: NMFConfig{MaxIter: 400}}, rand.NewPCG(seed, 1))
	if err != nil {
		t.Fatal(err)
	}
	tr, _ := NewTracker(DynamicsConfig{})
	var x, G mat.Dense
	for ti, g := range graphs {
		x.Reset()
		G.Reset()
		if err := fs.Compute(g, &x); err != nil {
			t.Fatal(err)
		}
		fs.Normalize(&x)
		if err := ProjectRoles(&G, &x, model.Basis, NMFConfig{}); err != nil {
			t.Fatal(err)
		}
		scores := tr.Update(ti, g.IDs, &G)
		if ti != 4 {
			continue
		}
		var vals []float64
		var labels []bool
		top := scores[0]
		for _, s := range scores {
			if s.New {
				continue
			}
			if s.Score > top.Score {
				top = s
			}
			vals = append(vals, s.Score)
			labels = append(labels, s.ID == scanner)
		}
		if top.ID != scanner {
			t.Errorf("seed %d: top artifact of interval 4 is %d (δ %.3f), want the scanner %d", seed, top.ID, top.Score, scanner)
		}
		m := RankMetrics(vals, labels, []int{1})
		t.Logf("seed %d: interval 4: scanner δ %.3f (before %.2f after %.2f), AUC %.3f, P@1 %.2f, Δ %.3f",
			seed, top.Score, top.Before, top.After, m.AUC, m.AtK[0].Precision, Delta(scores))
	}
}
