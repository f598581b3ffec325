package graphkit

import (
	"math"
	"math/rand/v2"
	"testing"
)

func scPoisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// volumeDays runs 50 machines (ids 0..49, kind computer) with private peers (kind
// peer) through ten days of hourly intervals and then hour 9 of day 11. Every machine
// meets about 5 peers an hour; machine 3 meets 50 every day at 9 (its daily cycle);
// in the last interval machine 7 meets 50 (ten times its usual). It returns the last
// interval's graph and scores.
func volumeDays(t *testing.T, cfg VolumeConfig) (*Graph, []Evidence) {
	const machines, peersEach = 50, 64
	peer := func(m, j int) int64 { return int64(1000 + m*peersEach + j) }
	kinds := scKinds(t, 1000+machines*peersEach, func(id int) bool { return id >= 1000 })
	vol, err := NewVolume(kinds, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 3))
	var ev []Evidence
	var g *Graph
	last := 10*24 + 9
	for iv := 0; iv <= last; iv++ {
		var e []Edge
		for m := range machines {
			d := max(scPoisson(rng, 5), 1)
			if (m == 3 && iv%24 == 9) || (m == 7 && iv == last) {
				d = 50
			}
			for j := range d {
				e = append(e, Edge{A: int64(m), B: peer(m, j), Weight: 1})
			}
		}
		g = scGraph(t, e)
		ev = vol.Update(iv, g, ev)
	}
	return g, ev
}

func TestVolumeBurstAndDailyCycle(t *testing.T) {
	g, ev := volumeDays(t, VolumeConfig{})
	if r := scRank(g, ev, 7); r != 0 {
		t.Errorf("burst ranks %d: %+v", r, ev[g.Index(7)])
	}
	if r, e := scRank(g, ev, 3), ev[g.Index(3)]; r < 5 || e.Surprise > 2 {
		t.Errorf("machine at its usual busy hour ranks %d: %+v", r, e)
	}
	t.Logf("burst %+v; busy hour %+v", ev[g.Index(7)], ev[g.Index(3)])

	// Without hour-of-day awareness the daily peak is news every day.
	g, ev = volumeDays(t, VolumeConfig{History: HistoryConfig{Period: 1}})
	if r := scRank(g, ev, 3); r > 1 {
		t.Errorf("without seasons, the busy hour ranks %d: %+v", r, ev[g.Index(3)])
	}
	t.Logf("without seasons: burst %+v; busy hour %+v", ev[g.Index(7)], ev[g.Index(3)])
}

func TestVolumeKindsAndMisuse(t *testing.T) {
	kinds := scKinds(t, 10, func(id int) bool { return id >= 5 })
	peer, _ := kinds.Lookup("peer")
	vol, err := NewVolume(kinds, VolumeConfig{Kinds: []Kind{peer}})
	if err != nil {
		t.Fatal(err)
	}
	g := scGraph(t, []Edge{{A: 1, B: 6, Weight: 3}, {A: 1, B: 7, Weight: 1}})
	ev := vol.Update(0, g, nil)
	if ev[g.Index(1)] != (Evidence{}) || !ev[g.Index(6)].New || ev[g.Index(6)].Value != 3 {
		t.Errorf("kinds filter / new artifact: %+v", ev)
	}
	if _, err := NewVolume(kinds, VolumeConfig{History: HistoryConfig{HalfLife: -1}}); err == nil {
		t.Error("negative half-life: want an error")
	}
	defer func() {
		if recover() == nil {
			t.Error("interval order: want a panic")
		}
	}()
	vol.Update(0, g, nil)
}

// TestStudentTSurprise checks the tail against a numerical integral of the density.
func TestStudentTSurprise(t *testing.T) {
	for _, c := range []struct{ z, nu float64 }{{0.5, 2}, {2, 2}, {3, 30}, {8, 200}, {-1, 5}, {0, 3}} {
		lg1, _ := math.Lgamma((c.nu + 1) / 2)
		lg2, _ := math.Lgamma(c.nu / 2)
		f := func(x float64) float64 {
			return math.Exp(lg1 - lg2 - 0.5*math.Log(c.nu*math.Pi) - (c.nu+1)/2*math.Log1p(x*x/c.nu))
		}
		// P(T ≥ z) = ∫_0^1 f(z + u/(1−u)) / (1−u)² du, Simpson's rule.
		const n = 200000
		sum := 0.0
		for i := 0; i <= n; i++ {
			u := float64(i) / n
			w := 2.0
			switch {
			case i == 0 || i == n:
				w = 1
			case i%2 == 1:
				w = 4
			}
			if u < 1 {
				sum += w * f(c.z+u/(1-u)) / ((1 - u) * (1 - u))
			}
		}
		want := -math.Log10(sum / (3 * n))
		if got := studentTSurprise(c.z, c.nu); math.Abs(got-want) > 1e-6*max(1, want) {
			t.Errorf("z %v ν %v: surprise %v, want %v", c.z, c.nu, got, want)
		}
	}
	a, b := studentTSurprise(1e6, 250), studentTSurprise(2e6, 250)
	if math.IsInf(a, 0) || !(b > a) {
		t.Errorf("underflow branch: %v, %v", a, b)
	}
}
