// Package graphtest is a contract test suite for graphkit.Graph constructors, in the
// spirit of gonum's graph/testgraph: any function that turns an edge list into a Graph
// (graphkit.FromEdges, the Arrow path, …) can run Run, and any Graph can be checked
// against the edge list it came from with Check.
package graphtest

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lanlq/lanlq/graphkit"
)

// Constructor builds the graph of an edge list. Pairs may repeat, in either orientation;
// every weight is a positive integer value, so sums are exact in any order.
type Constructor func(t testing.TB, edges []graphkit.Edge) (*graphkit.Graph, error)

// Case is one named edge list of the suite.
type Case struct {
	Name  string
	Edges []graphkit.Edge
}

// Cases returns the suite's edge lists, generated from a fixed seed: empty, one edge,
// duplicates in both orientations, a star wider than small-row heuristics, dense ids,
// sparse ids spread over the whole int64 range (including its ends), and random
// multigraphs of a few sizes.
func Cases() []Case {
	rng := rand.New(rand.NewPCG(1, 1))
	cs := []Case{
		{"empty", nil},
		{"one edge", []graphkit.Edge{{A: 7, B: 3, Weight: 2}}},
		{"duplicates both orientations", []graphkit.Edge{
			{A: 1, B: 2, Weight: 1}, {A: 2, B: 1, Weight: 3}, {A: 1, B: 2, Weight: 5},
			{A: 2, B: 3, Weight: 1}, {A: 3, B: 2, Weight: 1}, {A: 1, B: 3, Weight: 4},
		}},
		{"negative and extreme ids", []graphkit.Edge{
			{A: math.MinInt64, B: math.MaxInt64, Weight: 1}, {A: -5, B: math.MinInt64, Weight: 2},
			{A: 0, B: -5, Weight: 3}, {A: math.MaxInt64, B: 0, Weight: 4}, {A: math.MaxInt64, B: math.MinInt64, Weight: 5},
		}},
	}
	star := make([]graphkit.Edge, 0, 300)
	for i := range 300 {
		leaf := int64(2000 - 3*i)
		if i%2 == 0 {
			star = append(star, graphkit.Edge{A: 500, B: leaf + 1, Weight: float64(1 + i%4)})
		} else {
			star = append(star, graphkit.Edge{A: leaf + 1, B: 500, Weight: float64(1 + i%3)})
		}
	}
	cs = append(cs, Case{"star", star})
	for _, sz := range []struct {
		name        string
		edges       int
		vertices    int64
		base, scale int64
	}{
		{"dense small", 50, 20, 0, 1},
		{"dense", 5000, 800, 1 << 40, 1},
		{"dense many duplicates", 20000, 60, -100, 1},
		{"sparse ids", 3000, 1500, -1 << 62, 1 << 50},
		{"sparse ids narrow", 4000, 2000, 12345, 1 << 20},
		{"large", 60000, 20000, 0, 3},
	} {
		cs = append(cs, Case{sz.name, RandomEdges(rng, sz.edges, sz.vertices, sz.base, sz.scale)})
	}
	return cs
}

// RandomEdges returns n edges between ids base + scale·k, k in [0,vertices), with
// skewed endpoint popularity (like artifacts: a few hubs, many rare ones), random
// orientation, repeats, and integer weights in [1,5].
func RandomEdges(rng *rand.Rand, n int, vertices, base, scale int64) []graphkit.Edge {
	if vertices < 2 {
		panic("graphtest: RandomEdges needs at least two vertices")
	}
	pick := func() int64 {
		u := rng.Float64()
		return int64(u * u * float64(vertices))
	}
	edges := make([]graphkit.Edge, 0, n)
	for len(edges) < n {
		a, b := pick(), pick()
		if a == b {
			continue
		}
		edges = append(edges, graphkit.Edge{A: base + scale*a, B: base + scale*b, Weight: float64(1 + rng.IntN(5))})
	}
	return edges
}

// Run checks build against every case of Cases, each as a subtest.
func Run(t *testing.T, build Constructor) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) {
			g, err := build(t, c.Edges)
			if err != nil {
				t.Fatalf("building %d edges: %v", len(c.Edges), err)
			}
			Check(t, g, c.Edges)
		})
	}
}

type pair struct{ lo, hi int64 }

// Check verifies that g is the graph of edges: CSR shape (Offsets monotone from 0 to
// len(Nbrs), Weights parallel), IDs strictly ascending and exactly the artifacts with an
// edge, rows strictly ascending (sorted, no duplicate neighbours), no self-loops,
// symmetric weights (bit-identical), each pair's weight the sum of its input weights,
// and Degree, WeightedDegree, Neighbors, Index, NumVertices, NumEdges consistent with
// the slices.
func Check(t testing.TB, g *graphkit.Graph, edges []graphkit.Edge) {
	t.Helper()
	if g == nil {
		t.Fatal("nil graph")
	}
	want := make(map[pair]float64)
	vertices := make(map[int64]bool)
	for _, e := range edges {
		p := pair{min(e.A, e.B), max(e.A, e.B)}
		want[p] += e.Weight
		vertices[e.A], vertices[e.B] = true, true
	}
	nv := len(g.IDs)
	errs := 0
	fail := func(format string, args ...any) {
		t.Helper()
		errs++
		if errs <= 10 {
			t.Errorf(format, args...)
		}
		if errs == 10 {
			t.Fatalf("too many contract violations")
		}
	}

	// Shape.
	if len(g.Offsets) != nv+1 {
		t.Fatalf("len(Offsets) = %d, want NumVertices+1 = %d", len(g.Offsets), nv+1)
	}
	if g.Offsets[0] != 0 || g.Offsets[nv] != len(g.Nbrs) || len(g.Nbrs) != len(g.Weights) {
		t.Fatalf("Offsets[0] = %d, Offsets[%d] = %d, len(Nbrs) = %d, len(Weights) = %d", g.Offsets[0], nv, g.Offsets[nv], len(g.Nbrs), len(g.Weights))
	}
	for v := range nv {
		if g.Offsets[v] > g.Offsets[v+1] {
			t.Fatalf("Offsets not monotone at %d: %d > %d", v, g.Offsets[v], g.Offsets[v+1])
		}
	}
	if g.NumVertices() != nv || g.NumEdges() != len(g.Nbrs)/2 || len(g.Nbrs)%2 != 0 {
		fail("NumVertices = %d, NumEdges = %d, len(IDs) = %d, len(Nbrs) = %d", g.NumVertices(), g.NumEdges(), nv, len(g.Nbrs))
	}

	// Vertex set: strictly ascending, exactly the endpoints of the input.
	for i := 1; i < nv; i++ {
		if g.IDs[i-1] >= g.IDs[i] {
			fail("IDs not strictly ascending at %d: %d, %d", i, g.IDs[i-1], g.IDs[i])
		}
	}
	if nv != len(vertices) {
		fail("NumVertices = %d, want %d (artifacts with an edge)", nv, len(vertices))
	}
	for i, id := range g.IDs {
		if !vertices[id] {
			fail("vertex %d (id %d) has no input edge", i, id)
		}
		if got := g.Index(id); got != i {
			fail("Index(%d) = %d, want %d", id, got, i)
		}
	}
	for _, id := range absentIDs(g.IDs) {
		if vertices[id] {
			continue
		}
		if got := g.Index(id); got != -1 {
			fail("Index(%d) = %d for an absent id, want -1", id, got)
		}
	}

	// Rows.
	for v := range nv {
		nbrs, wts := g.Neighbors(v)
		lo, hi := g.Offsets[v], g.Offsets[v+1]
		if len(nbrs) != hi-lo || len(wts) != hi-lo || g.Degree(v) != hi-lo {
			fail("vertex %d: Degree = %d, len(Neighbors) = %d/%d, row length %d", v, g.Degree(v), len(nbrs), len(wts), hi-lo)
			continue
		}
		if hi == lo {
			fail("vertex %d (id %d) has no neighbours", v, g.IDs[v])
		}
		sum := 0.0
		for k, u := range nbrs {
			w := wts[k]
			sum += w
			switch {
			case u < 0 || int(u) >= nv:
				fail("vertex %d: neighbour %d out of range", v, u)
				continue
			case int(u) == v:
				fail("vertex %d: self-loop", v)
			case k > 0 && nbrs[k-1] >= u:
				fail("vertex %d: neighbours not strictly ascending at %d: %d, %d", v, k, nbrs[k-1], u)
			case !(w > 0):
				fail("vertex %d: weight %v to %d, want > 0", v, w, u)
			}
			// Symmetry, bit for bit.
			un, uw := g.Neighbors(int(u))
			j, ok := slices.BinarySearch(un, int32(v))
			if !ok {
				fail("edge %d–%d stored in row %d only", v, u, v)
			} else if math.Float64bits(uw[j]) != math.Float64bits(w) {
				fail("w(%d,%d) = %v but w(%d,%d) = %v", v, u, w, u, v, uw[j])
			}
			// Against the input.
			a, b := g.IDs[v], g.IDs[u]
			p := pair{min(a, b), max(a, b)}
			exp, ok := want[p]
			if !ok {
				fail("edge {%d,%d} not in the input", a, b)
			} else if !near(w, exp) {
				fail("w{%d,%d} = %v, want %v (summed input)", a, b, w, exp)
			}
		}
		if wd := g.WeightedDegree(v); !near(wd, sum) {
			fail("vertex %d: WeightedDegree = %v, want %v", v, wd, sum)
		}
	}
	if g.NumEdges() != len(want) {
		fail("NumEdges = %d, want %d distinct pairs", g.NumEdges(), len(want))
	}
}

func near(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-12*math.Max(math.Abs(got), math.Abs(want))
}

// absentIDs returns ids next to and between those present, most of them absent.
func absentIDs(ids []int64) []int64 {
	out := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}
	for i, id := range ids {
		if i%7 != 0 {
			continue
		}
		if id > math.MinInt64 {
			out = append(out, id-1)
		}
		if id < math.MaxInt64 {
			out = append(out, id+1)
		}
	}
	return out
}

// SortedEdges returns the distinct pairs of g as edges with A < B (global ids), ordered
// by (A, B): a canonical form for comparing graphs in tests.
func SortedEdges(g *graphkit.Graph) []graphkit.Edge {
	var out []graphkit.Edge
	for v := range g.NumVertices() {
		nbrs, wts := g.Neighbors(v)
		for k, u := range nbrs {
			if int(u) > v {
				out = append(out, graphkit.Edge{A: g.IDs[v], B: g.IDs[u], Weight: wts[k]})
			}
		}
	}
	slices.SortFunc(out, func(x, y graphkit.Edge) int {
		return cmp.Or(cmp.Compare(x.A, y.A), cmp.Compare(x.B, y.B))
	})
	return out
}

// String renders a small graph as "id: nbr(weight) …" lines, for test failure messages.
func String(g *graphkit.Graph) string {
	s := ""
	for v := range g.NumVertices() {
		s += fmt.Sprintf("%d:", g.IDs[v])
		nbrs, wts := g.Neighbors(v)
		for k, u := range nbrs {
			s += fmt.Sprintf(" %d(%g)", g.IDs[u], wts[k])
		}
		s += "\n"
	}
	return s
}
