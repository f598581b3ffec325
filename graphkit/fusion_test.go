package graphkit

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat/distuv"
)

// TestFisherSurprise checks the closed form against the χ² distribution:
// p = P(χ²_{2k} ≥ 2S), S = Σ −ln p_i.
func TestFisherSurprise(t *testing.T) {
	for _, s := range [][]float64{{1}, {2, 0}, {0.5, 0.5, 0.5}, {3, 1, 0.2}, {12, 0, 0}, {0, 0, 0}, {40, 30, 20, 10}} {
		S := 0.0
		for _, x := range s {
			S += x * math.Ln10
		}
		want := -math.Log10(distuv.ChiSquared{K: float64(2 * len(s))}.Survival(2 * S))
		if got := FisherSurprise(s); math.Abs(got-want) > 1e-9*max(1, want) {
			t.Errorf("%v: %v, want %v", s, got, want)
		}
	}
	// One component: Fisher is the identity.
	if got := FisherSurprise([]float64{7.5}); math.Abs(got-7.5) > 1e-12 {
		t.Errorf("one component: %v", got)
	}
	// Beyond float64, finite and ordered.
	if a, b := FisherSurprise([]float64{400, 300, 1}), FisherSurprise([]float64{400, 300, 2}); math.IsInf(a, 0) || !(b > a) {
		t.Errorf("large surprises: %v, %v", a, b)
	}
}

func TestFusionMonotone(t *testing.T) {
	fu, err := NewFusion("novelty", "volume", "role")
	if err != nil {
		t.Fatal(err)
	}
	grid := []float64{0, 0.1, 0.5, 1, 2, 3, 5, 8, 13, 40}
	ids := []int64{1}
	one := func(s ...float64) Fused {
		comps := make([][]Evidence, 3)
		for c := range comps {
			comps[c] = []Evidence{{Surprise: s[c]}}
		}
		return fu.Fuse(ids, comps...)[0]
	}
	for _, a := range grid {
		for _, b := range grid {
			for c := range 3 {
				prev := -1.0
				for _, x := range grid {
					s := []float64{a, b}
					s = slices.Insert(s, c, x)
					got := one(s...).Score
					if !(got > prev) && !(x == 0 && got == prev) {
						t.Fatalf("not increasing in component %d at %v: %v after %v", c, s, got, prev)
					}
					prev = got
				}
			}
		}
	}
}

func TestFusionTiesAndExplanation(t *testing.T) {
	fu, err := NewFusion("novelty", "volume", "role")
	if err != nil {
		t.Fatal(err)
	}
	ids := []int64{4, 9, 2, 7}
	nov := []Evidence{{Value: 1, Surprise: 2}, {Value: 10, Expected: 0.02, Surprise: 14}, {Value: 1, Surprise: 2}, {}}
	vol := []Evidence{{Value: 5, Surprise: 1}, {Value: 13, Expected: 3, Surprise: 4}, {Value: 5, Surprise: 1}, {Value: 9, Surprise: 0.2}}
	out := slices.Clone(fu.Fuse(ids, nov, vol, nil))
	if out[0].Score != out[2].Score {
		t.Fatalf("equal evidence, unequal scores: %v %v", out[0], out[2])
	}
	SortFused(out)
	if got := []int64{out[0].ID, out[1].ID, out[2].ID, out[3].ID}; !slices.Equal(got, []int64{9, 2, 4, 7}) {
		t.Errorf("order %v, want 9 2 4 7 (ties by id)", got)
	}
	// The same whatever the input order.
	rev := slices.Clone(out)
	slices.Reverse(rev)
	SortFused(rev)
	for i := range rev {
		if rev[i].ID != out[i].ID {
			t.Fatalf("order depends on input order: %v vs %v", rev, out)
		}
	}
	if out[0].Dominant != 0 || out[3].Dominant != 1 {
		t.Errorf("dominant: %d, %d; want novelty, volume", out[0].Dominant, out[3].Dominant)
	}
	ex := fu.Explain(out[0])
	if !strings.Contains(ex, "novelty 10 (expected 0.02, p=1e-14) drove it") || strings.Count(ex, "drove it") != 1 {
		t.Errorf("explanation %q", ex)
	}
	none := fu.Fuse([]int64{1}, []Evidence{{}}, []Evidence{{}}, []Evidence{{}})[0]
	if none.Score != 0 || none.Dominant != -1 || strings.Contains(fu.Explain(none), "drove") {
		t.Errorf("no evidence: %+v %q", none, fu.Explain(none))
	}
	// A tie between components names the first.
	tie := fu.Fuse([]int64{1}, []Evidence{{Surprise: 3}}, []Evidence{{Surprise: 3}}, nil)[0]
	if tie.Dominant != 0 {
		t.Errorf("component tie: dominant %d", tie.Dominant)
	}
	for name, f := range map[string]func(){
		"component count":  func() { fu.Fuse(ids, nov, vol) },
		"component length": func() { fu.Fuse(ids, nov[:2], vol, nil) },
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
	if _, err := NewFusion(); err == nil {
		t.Error("no components: want an error")
	}
}

func TestKinds(t *testing.T) {
	k, err := NewKinds([]string{"computer_source", "userdomain_source", "computer_destination", "computer_source", "auth"})
	if err != nil {
		t.Fatal(err)
	}
	if k.Of(3) != 0 || k.Of(2) != 2 || len(k.Names) != 4 {
		t.Errorf("kinds %+v", k)
	}
	if c, ok := k.Lookup("auth"); !ok || c != 3 {
		t.Errorf("lookup auth: %v %v", c, ok)
	}
	if _, ok := k.Lookup("port"); ok {
		t.Error("lookup of a missing kind")
	}
	pairs := DefaultNoveltyPairs(k)
	want := []KindPair{{1, 2}, {0, 2}, {1, 0}}
	if !slices.Equal(pairs, want) {
		t.Errorf("default pairs %v, want %v", pairs, want)
	}
}

// BenchmarkScorers feeds 200 intervals of random graphs (50k vertices, about 500k edges
// each: 90% drawn from a pool of 2M habitual pairs, 10% fresh) through novelty, volume
// and fusion. Graph generation is outside the timer.
//
//	go test -tags duckdb_arrow -run '^$' -bench Scorers -benchtime 1x ./graphkit/
func BenchmarkScorers(b *testing.B) {
	const vertices, edges, intervals, habitPairs = 50_000, 500_000, 200, 2_000_000
	names := make([]string, vertices)
	kindNames := []string{"userdomain_source", "computer_source", "computer_destination", "process"}
	for id := range names {
		names[id] = kindNames[id%4]
	}
	kinds, err := NewKinds(names)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	habits := make([][2]int64, habitPairs)
	for i := range habits {
		habits[i] = [2]int64{rng.Int64N(vertices), rng.Int64N(vertices)}
	}
	var bld Builder
	b.ReportAllocs()
	b.SetBytes(int64(intervals * edges * 24)) // CSR: both directions, int32 + float64
	var scored, pairs, setBytes int
	var elapsed time.Duration
	for range b.N {
		b.StopTimer()
		nv, err := NewNovelty(kinds, NoveltyConfig{Pairs: DefaultNoveltyPairs(kinds)})
		if err != nil {
			b.Fatal(err)
		}
		vol, err := NewVolume(kinds, VolumeConfig{})
		if err != nil {
			b.Fatal(err)
		}
		fu, err := NewFusion("novelty", "volume")
		if err != nil {
			b.Fatal(err)
		}
		var nov, vo []Evidence
		for iv := range intervals {
			b.StopTimer()
			for range edges {
				a, c := rng.Int64N(vertices), rng.Int64N(vertices)
				if rng.IntN(10) != 0 {
					h := habits[rng.IntN(habitPairs)]
					a, c = h[0], h[1]
				}
				if a != c {
					_ = bld.Add(a, c, float64(1+rng.IntN(4)))
				}
			}
			g, err := bld.Build()
			if err != nil {
				b.Fatal(err)
			}
			scored += g.NumEdges()
			start := time.Now()
			b.StartTimer()
			nov = nv.Update(iv, g, nov)
			vo = vol.Update(iv, g, vo)
			fused := fu.Fuse(g.IDs, nov, vo)
			_ = fused
			b.StopTimer()
			elapsed += time.Since(start)
		}
		pairs, setBytes = nv.Pairs()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(elapsed.Nanoseconds())/float64(scored), "ns/edge")
	b.ReportMetric(float64(pairs), "pairs")
	b.ReportMetric(float64(setBytes)/float64(pairs), "set-B/pair")
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
}
