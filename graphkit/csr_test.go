package graphkit_test

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/graphkit/graphtest"
)

func TestFromEdgesContract(t *testing.T) {
	graphtest.Run(t, func(_ testing.TB, edges []graphkit.Edge) (*graphkit.Graph, error) {
		return graphkit.FromEdges(edges)
	})
}

// A Builder reused for several graphs gives each the right edges and never writes to a
// graph it returned earlier.
func TestBuilderReuse(t *testing.T) {
	var b graphkit.Builder
	var graphs []*graphkit.Graph
	var snapshots [][]graphkit.Edge
	cases := graphtest.Cases()
	for _, c := range cases {
		for _, e := range c.Edges {
			if err := b.Add(e.A, e.B, e.Weight); err != nil {
				t.Fatal(err)
			}
		}
		if b.Len() != len(c.Edges) {
			t.Fatalf("%s: Len = %d, want %d", c.Name, b.Len(), len(c.Edges))
		}
		g, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() != 0 {
			t.Fatalf("Len after Build = %d", b.Len())
		}
		graphs = append(graphs, g)
		snapshots = append(snapshots, graphtest.SortedEdges(g))
	}
	for i, g := range graphs {
		graphtest.Check(t, g, cases[i].Edges)
		if !slices.Equal(graphtest.SortedEdges(g), snapshots[i]) {
			t.Errorf("%s: graph changed after later builds", cases[i].Name)
		}
	}
}

func TestFromEdgesSmall(t *testing.T) {
	// 10–20 (w 1+2), 10–30 (w 4), 20–30 (w 1), and 40 absent.
	g, err := graphkit.FromEdges([]graphkit.Edge{{A: 20, B: 10, Weight: 1}, {A: 10, B: 30, Weight: 4}, {A: 10, B: 20, Weight: 2}, {A: 30, B: 20, Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	want := "10: 20(3) 30(4)\n20: 10(3) 30(1)\n30: 10(4) 20(1)\n"
	if got := graphtest.String(g); got != want {
		t.Errorf("got\n%swant\n%s", got, want)
	}
	if g.Index(40) != -1 || g.Index(30) != 2 || g.WeightedDegree(0) != 7 || g.Degree(1) != 2 {
		t.Errorf("Index/WeightedDegree/Degree wrong: %v", graphtest.String(g))
	}
}

func TestFromEdgesInvalid(t *testing.T) {
	for _, e := range []graphkit.Edge{
		{A: 1, B: 1, Weight: 1},
		{A: 1, B: 2, Weight: 0},
		{A: 1, B: 2, Weight: -1},
		{A: 1, B: 2, Weight: math.NaN()},
	} {
		if _, err := graphkit.FromEdges([]graphkit.Edge{{A: 5, B: 6, Weight: 1}, e}); !errors.Is(err, graphkit.ErrInvalidEdge) {
			t.Errorf("FromEdges(%v) error = %v, want ErrInvalidEdge", e, err)
		}
	}
}

func BenchmarkBuild(b *testing.B) {
	edges := benchEdges(1_000_000, 200_000)
	var bld graphkit.Builder
	b.ReportAllocs()
	b.SetBytes(int64(len(edges)) * 24)
	for b.Loop() {
		for _, e := range edges {
			_ = bld.Add(e.A, e.B, e.Weight)
		}
		if _, err := bld.Build(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(edges))*float64(b.N)/b.Elapsed().Seconds(), "edges/s")
}

// A repeated pair's weights are summed in input order, in both of its rows, so results
// with non-integer weights are reproducible to the bit. The reference sums each row's
// copies in input order after a stable sort by neighbour.
func TestBuildSumsInInputOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for _, tc := range []struct {
		name     string
		edges    int
		vertices int64
		scale    int64
	}{
		{"dense", 20000, 300, 1},
		{"few vertices", 5000, 6, 1},
		{"sparse ids", 20000, 500, 1 << 40},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var edges []graphkit.Edge
			for len(edges) < tc.edges {
				a, c := rng.Int64N(tc.vertices), rng.Int64N(tc.vertices)
				if a != c {
					edges = append(edges, graphkit.Edge{A: a * tc.scale, B: c * tc.scale, Weight: rng.Float64() + 1e-3})
				}
			}
			g, err := graphkit.FromEdges(edges)
			if err != nil {
				t.Fatal(err)
			}
			type entry struct {
				nbr int64
				w   float64
			}
			rows := map[int64][]entry{}
			for _, e := range edges {
				rows[e.A] = append(rows[e.A], entry{e.B, e.Weight})
				rows[e.B] = append(rows[e.B], entry{e.A, e.Weight})
			}
			for v, id := range g.IDs {
				row := rows[id]
				slices.SortStableFunc(row, func(x, y entry) int { return cmp.Compare(x.nbr, y.nbr) })
				var want []entry
				for _, x := range row {
					if n := len(want); n > 0 && want[n-1].nbr == x.nbr {
						want[n-1].w += x.w
					} else {
						want = append(want, x)
					}
				}
				nbrs, ws := g.Neighbors(v)
				if len(nbrs) != len(want) {
					t.Fatalf("row %d: %d neighbours, want %d", id, len(nbrs), len(want))
				}
				for k, x := range want {
					if got := g.IDs[nbrs[k]]; got != x.nbr || math.Float64bits(ws[k]) != math.Float64bits(x.w) {
						t.Fatalf("row %d entry %d: (%d, %v), want (%d, %v)", id, k, got, ws[k], x.nbr, x.w)
					}
				}
			}
		})
	}
}
