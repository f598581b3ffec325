package graphkit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// unprunedFeatureSet returns every ReFeX feature up to the given generation, without
// pruning: base features, then sum and mean of each feature of the previous generation.
func unprunedFeatureSet(generations, workers int) *FeatureSet {
	fs := &FeatureSet{workers: workers}
	var prev []int
	for b := range numBase {
		prev = append(prev, len(fs.recipe))
		fs.recipe = append(fs.recipe, featureRecipe{op: opBase, arg: b})
		fs.names = append(fs.names, baseNames[b])
		fs.scale = append(fs.scale, 1)
	}
	for gen := 1; gen <= generations; gen++ {
		var next []int
		for _, op := range []featureOp{opSum, opMean} {
			for _, c := range prev {
				next = append(next, len(fs.recipe))
				fs.recipe = append(fs.recipe, featureRecipe{op: op, arg: c, gen: gen})
				fs.names = append(fs.names, opName(op)+"("+fs.names[c]+")")
				fs.scale = append(fs.scale, 1)
			}
		}
		prev = next
	}
	return fs
}

func mustGraph(t testing.TB, edges []Edge) *Graph {
	t.Helper()
	g, err := FromEdges(edges)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func column(t testing.TB, fs *FeatureSet, x *mat.Dense, name string) []float64 {
	t.Helper()
	j := slices.Index(fs.Names(), name)
	if j < 0 {
		t.Fatalf("no feature %q in %v", name, fs.Names())
	}
	return mat.Col(nil, j, x)
}

// TestRefexHandComputed checks base and first-generation features against values worked
// out by hand. The clustering coefficients and weighted degrees agree with networkx
// 3.6.1:
//
//	import networkx as nx
//	G = nx.Graph([(1,2),(1,3),(2,3),(3,4)])
//	nx.clustering(G)   # {1: 1.0, 2: 1.0, 3: 0.3333333333333333, 4: 0}
//	H = nx.Graph()
//	H.add_weighted_edges_from([(1,2,2),(1,3,2),(2,3,2),(4,5,3),(4,6,3),(5,6,3),(3,4,1)])
//	nx.clustering(H)   # {1: 1.0, 2: 1.0, 3: 0.333…, 4: 0.333…, 5: 1.0, 6: 1.0}
//	dict(H.degree(weight="weight"))  # {1: 4, 2: 4, 3: 5, 4: 7, 5: 6, 6: 6}
func TestRefexHandComputed(t *testing.T) {
	third := 1.0 / 3
	cases := []struct {
		name  string
		edges []Edge
		want  map[string][]float64 // by vertex in id order
	}{
		{
			name:  "triangle with a tail",
			edges: []Edge{{1, 2, 1}, {1, 3, 1}, {2, 3, 1}, {3, 4, 1}},
			want: map[string][]float64{
				FeatDegree:                     {2, 2, 3, 1},
				FeatWeightedDegree:             {2, 2, 3, 1},
				FeatEgoInternal:                {3, 3, 4, 1},
				FeatEgoBoundary:                {1, 1, 0, 2},
				FeatClustering:                 {1, 1, third, 0},
				"sum(degree)":                  {5, 5, 5, 3},
				"mean(degree)":                 {2.5, 2.5, 5.0 / 3, 3},
				"sum(clustering)":              {1 + third, 1 + third, 2, third},
				"mean(egonet_boundary_weight)": {0.5, 0.5, 4.0 / 3, 0},
			},
		},
		{
			name:  "star",
			edges: []Edge{{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 1}},
			want: map[string][]float64{
				FeatDegree:                    {4, 1, 1, 1, 1},
				FeatEgoInternal:               {4, 1, 1, 1, 1},
				FeatEgoBoundary:               {0, 3, 3, 3, 3},
				FeatClustering:                {0, 0, 0, 0, 0},
				"sum(degree)":                 {4, 4, 4, 4, 4},
				"mean(degree)":                {1, 4, 4, 4, 4},
				"sum(egonet_boundary_weight)": {12, 0, 0, 0, 0},
			},
		},
		{
			name: "two weighted cliques joined by an edge",
			edges: []Edge{
				{1, 2, 2}, {1, 3, 2}, {2, 3, 2},
				{4, 5, 3}, {4, 6, 3}, {5, 6, 3},
				{3, 4, 1},
			},
			want: map[string][]float64{
				FeatDegree:                    {2, 2, 3, 3, 2, 2},
				FeatWeightedDegree:            {4, 4, 5, 7, 6, 6},
				FeatEgoInternal:               {6, 6, 7, 10, 9, 9},
				FeatEgoBoundary:               {1, 1, 6, 4, 1, 1},
				FeatClustering:                {1, 1, third, third, 1, 1},
				"sum(weighted_degree)":        {9, 9, 15, 17, 13, 13},
				"mean(weighted_degree)":       {4.5, 4.5, 5, 17.0 / 3, 6.5, 6.5},
				"sum(egonet_internal_weight)": {13, 13, 22, 25, 19, 19},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := mustGraph(t, tc.edges)
			for _, workers := range []int{1, 2} {
				fs := unprunedFeatureSet(1, workers)
				var x mat.Dense
				if err := fs.Compute(g, &x); err != nil {
					t.Fatal(err)
				}
				for name, want := range tc.want {
					got := column(t, fs, &x, name)
					for v := range want {
						if math.Abs(got[v]-want[v]) > 1e-12 {
							t.Errorf("workers %d: %s of vertex id %d = %v, want %v", workers, name, g.IDs[v], got[v], want[v])
						}
					}
				}
			}
		})
	}
}

// bruteFeatures computes the unpruned ReFeX features from a dense weighted adjacency
// matrix with the definitions' loops.
func bruteFeatures(adj [][]float64, generations int) [][]float64 {
	n := len(adj)
	feats := make([][]float64, n)
	var prev []int
	for v := range n {
		deg, wdeg := 0.0, 0.0
		for u := range n {
			if adj[v][u] > 0 {
				deg++
				wdeg += adj[v][u]
			}
		}
		ego := make([]bool, n)
		ego[v] = true
		for u := range n {
			if adj[v][u] > 0 {
				ego[u] = true
			}
		}
		internal, boundary := 0.0, 0.0
		for a := range n {
			for b := a + 1; b < n; b++ {
				if adj[a][b] == 0 {
					continue
				}
				switch {
				case ego[a] && ego[b]:
					internal += adj[a][b]
				case ego[a] != ego[b]:
					boundary += adj[a][b]
				}
			}
		}
		tri := 0.0
		for a := range n {
			for b := a + 1; b < n; b++ {
				if adj[v][a] > 0 && adj[v][b] > 0 && adj[a][b] > 0 {
					tri++
				}
			}
		}
		cc := 0.0
		if deg >= 2 {
			cc = tri / (deg * (deg - 1) / 2)
		}
		feats[v] = []float64{deg, wdeg, internal, boundary, cc}
	}
	for j := range numBase {
		prev = append(prev, j)
	}
	for range generations {
		var next []int
		width := len(feats[0])
		for k := range 2 { // sum, then mean
			for _, c := range prev {
				for v := range n {
					s, d := 0.0, 0.0
					for u := range n {
						if adj[v][u] > 0 {
							s += feats[u][c]
							d++
						}
					}
					if k == 1 {
						s /= d
					}
					feats[v] = append(feats[v], s)
				}
				next = append(next, width)
				width++
			}
		}
		prev = next
	}
	return feats
}

// randomGraph returns a seeded random weighted graph on ids 0..n-1 with a few hubs, as
// an edge list and a dense adjacency matrix. Isolated vertices are not in the graph, so
// the adjacency is compacted to the graph's vertices.
func randomGraph(rng *rand.Rand, n int, p float64) ([]Edge, [][]float64) {
	var edges []Edge
	for a := range n {
		for b := a + 1; b < n; b++ {
			q := p
			if a < 3 { // hubs
				q = 0.7
			}
			if rng.Float64() < q {
				edges = append(edges, Edge{int64(a), int64(b), 0.25 + 3*rng.Float64()})
			}
		}
	}
	present := make([]int, n)
	for i := range present {
		present[i] = -1
	}
	for _, e := range edges {
		present[e.A], present[e.B] = 0, 0
	}
	k := 0
	for i := range present {
		if present[i] == 0 {
			present[i] = k
			k++
		}
	}
	adj := make([][]float64, k)
	for i := range adj {
		adj[i] = make([]float64, k)
	}
	for _, e := range edges {
		a, b := present[e.A], present[e.B]
		adj[a][b], adj[b][a] = e.Weight, e.Weight
	}
	return edges, adj
}

func TestRefexBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for trial := range 8 {
		n := 10 + rng.IntN(50)
		edges, adj := randomGraph(rng, n, 0.05+0.3*rng.Float64())
		if len(edges) == 0 {
			continue
		}
		g := mustGraph(t, edges)
		want := bruteFeatures(adj, 2)
		for _, workers := range []int{1, 3} {
			fs := unprunedFeatureSet(2, workers)
			var x mat.Dense
			if err := fs.Compute(g, &x); err != nil {
				t.Fatal(err)
			}
			r, c := x.Dims()
			if r != len(want) || c != len(want[0]) {
				t.Fatalf("trial %d: dims %d×%d, want %d×%d", trial, r, c, len(want), len(want[0]))
			}
			for v := range r {
				for j := range c {
					got, exp := x.At(v, j), want[v][j]
					if math.Abs(got-exp) > 1e-9*max(1, math.Abs(exp)) {
						t.Errorf("trial %d workers %d: %s[%d] = %v, want %v", trial, workers, fs.names[j], v, got, exp)
					}
				}
			}
		}
	}
}

// TestRefexLargeHubs exercises both triangle-counting branches (a neighbour's list
// shorter and longer than the vertex's) on a graph with hubs and compares with the
// brute force.
func TestRefexLargeHubs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	edges, adj := randomGraph(rng, 150, 0.03)
	g := mustGraph(t, edges)
	want := bruteFeatures(adj, 0)
	fs := unprunedFeatureSet(0, 2)
	var x mat.Dense
	if err := fs.Compute(g, &x); err != nil {
		t.Fatal(err)
	}
	for v := range want {
		for j := range numBase {
			if got := x.At(v, j); math.Abs(got-want[v][j]) > 1e-9*max(1, want[v][j]) {
				t.Errorf("%s[%d] = %v, want %v", baseNames[j], v, got, want[v][j])
			}
		}
	}
}

// TestVerticalLogBinning uses the table of GraphRole's tests/test_features/test_binning.py.
func TestVerticalLogBinning(t *testing.T) {
	r10 := []float64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	neg := func(s []float64, k float64) []float64 {
		out := make([]float64, len(s))
		for i, x := range s {
			out[i] = -k * x
		}
		return out
	}
	rev := func(s []int32) []int32 { s = slices.Clone(s); slices.Reverse(s); return s }
	cases := []struct {
		name string
		in   []float64
		frac float64
		want []int32
	}{
		{"single 0", []float64{0}, 0.5, []int32{0}},
		{"single nonzero", []float64{1}, 0.5, []int32{0}},
		{"repeated", []float64{1, 1}, 0.5, []int32{0, 0}},
		{"2 bins", []float64{1, 2}, 0.5, []int32{0, 1}},
		{"2 bins with repeated lower bin", []float64{1, 2, 1}, 0.5, []int32{0, 1, 0}},
		{"2 bins with repeated upper bin", []float64{1, 2, 2}, 0.5, []int32{0, 1, 1}},
		{"negative and zeros", []float64{-1, 0, 0}, 0.5, []int32{0, 1, 1}},
		{"1 through 4", []float64{1, 2, 3, 4}, 0.5, []int32{0, 0, 1, 2}},
		{"1 through 5", []float64{1, 2, 3, 4, 5}, 0.5, []int32{0, 0, 1, 2, 3}},
		{"1 through 6", []float64{1, 2, 3, 4, 5, 6}, 0.5, []int32{0, 0, 0, 1, 2, 3}},
		{"range(10)", r10, 0.5, []int32{0, 0, 0, 0, 0, 1, 1, 2, 3, 4}},
		{"-range(10)", neg(r10, 1), 0.5, rev([]int32{0, 0, 0, 0, 0, 1, 1, 2, 3, 4})},
		{"non-integer", neg(r10, 0.1), 0.5, rev([]int32{0, 0, 0, 0, 0, 1, 1, 2, 3, 4})},
		{"frac=0.1", r10, 0.1, []int32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}},
		{"frac=0.25", r10, 0.25, []int32{0, 0, 1, 1, 2, 3, 4, 5, 6, 7}},
	}
	for _, tc := range cases {
		got := newLogBinner(len(tc.in), tc.frac).bin(tc.in)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

// binReference is vertical logarithmic binning as GraphRole defines it: sort the
// indices by value, give each bin the smallest frac of the rest, extended to all copies
// of its largest value.
func binReference(x []float64, frac float64) []int32 {
	n := len(x)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	sort.SliceStable(perm, func(a, b int) bool { return x[perm[a]] < x[perm[b]] })
	out := make([]int32, n)
	binned := 0
	for b := int32(0); binned < n; b++ {
		end := binned + max(int(frac*float64(n-binned)), 1)
		for end < n && x[perm[end]] == x[perm[end-1]] {
			end++
		}
		for _, p := range perm[binned:end] {
			out[p] = b
		}
		binned = end
	}
	return out
}

// TestLogBinnerReference checks the binner against binReference on random values with
// many ties, heavy tails and negatives, reusing one binner across sizes.
func TestLogBinnerReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	lb := newLogBinner(0, 0.5)
	for trial := range 200 {
		n := 1 + rng.IntN(3000)
		x := make([]float64, n)
		distinct := 1 + rng.IntN(50)
		for i := range x {
			switch trial % 3 {
			case 0:
				x[i] = float64(rng.IntN(distinct))
			case 1:
				x[i] = math.Floor(math.Exp(rng.NormFloat64() * 3))
			default:
				x[i] = rng.NormFloat64()
			}
		}
		for _, frac := range []float64{0.5, 0.1, 0.25} {
			lb.frac = frac
			if got, want := lb.bin(x), binReference(x, frac); !slices.Equal(got, want) {
				t.Fatalf("trial %d, n %d, frac %g: binner and reference differ", trial, n, frac)
			}
		}
	}
}

func TestLearnFeaturesPruning(t *testing.T) {
	// A cycle: every feature is constant, so every base feature falls in one bin and
	// they are all linked to degree; the first generation's aggregates are constant too
	// and are linked to degree, so nothing new is retained and learning stops.
	var cycle []Edge
	for i := range 12 {
		cycle = append(cycle, Edge{int64(i), int64((i + 1) % 12), 1})
	}
	// The star: degree (and weighted degree and egonet internal weight, identical) bins
	// leaves 0 and the hub 1; the boundary weight (hub 0, leaves 3) bins all five
	// vertices together (⌊0.5·5⌋ = 2 smallest values extended to every copy of 3), as
	// does the clustering coefficient (all 0), so those two are linked and the boundary
	// weight, the older column, stays. At generation 1 the threshold is 1 and every
	// candidate's bins are within 1 of degree's, so none is retained.
	star := []Edge{{0, 1, 1}, {0, 2, 1}, {0, 3, 1}, {0, 4, 1}}
	cases := []struct {
		name  string
		edges []Edge
		want  []string
	}{
		{"cycle", cycle, []string{FeatDegree}},
		{"star", star, []string{FeatDegree, FeatEgoBoundary}},
	}
	for _, tc := range cases {
		fs, err := LearnFeatures([]*Graph{mustGraph(t, tc.edges)}, RefexConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(fs.Names(), tc.want) {
			t.Errorf("%s: features %v, want %v", tc.name, fs.Names(), tc.want)
		}
	}
}

// TestLearnFeaturesConsistent checks that a learned set is internally consistent
// (sources of generation g are retained features of generation g−1), that Compute
// reproduces the unpruned values of the retained features, and that learning is
// deterministic and independent of the number of workers.
func TestLearnFeaturesConsistent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var graphs []*Graph
	for range 3 {
		edges, _ := randomGraph(rng, 80, 0.06)
		graphs = append(graphs, mustGraph(t, edges))
	}
	fs1, err := LearnFeatures(graphs, RefexConfig{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	fs2, err := LearnFeatures(graphs, RefexConfig{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(fs1.Names(), fs2.Names()) || !slices.Equal(fs1.Scales(), fs2.Scales()) {
		t.Fatalf("learning depends on workers:\n%v\n%v", fs1.Names(), fs2.Names())
	}
	t.Logf("learned %d features:\n%s", fs1.NumFeatures(), fs1)
	if fs1.NumFeatures() < 3 {
		t.Errorf("only %d features retained", fs1.NumFeatures())
	}
	for j, r := range fs1.recipe {
		if r.op != opBase && fs1.recipe[r.arg].gen != r.gen-1 {
			t.Errorf("feature %s (gen %d) aggregates a gen-%d column", fs1.names[j], r.gen, fs1.recipe[r.arg].gen)
		}
	}
	full := unprunedFeatureSet(3, 2)
	for _, g := range graphs {
		var x, y mat.Dense
		if err := fs1.Compute(g, &x); err != nil {
			t.Fatal(err)
		}
		if err := full.Compute(g, &y); err != nil {
			t.Fatal(err)
		}
		for j, name := range fs1.Names() {
			got, want := mat.Col(nil, j, &x), column(t, full, &y, name)
			for v := range got {
				if math.Abs(got[v]-want[v]) > 1e-9*max(1, math.Abs(want[v])) {
					t.Fatalf("%s[%d] = %v, unpruned %v", name, v, got[v], want[v])
				}
			}
			// Normalised training values lie in [0,1].
			s := fs1.Scales()[j]
			for v := range got {
				if z := math.Log1p(got[v]) / s; z < 0 || z > 1+1e-12 {
					t.Fatalf("normalised %s[%d] = %v outside [0,1]", name, v, z)
				}
			}
		}
		// Reuse of a Reset buffer.
		x.Reset()
		if err := fs1.Compute(g, &x); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRefexErrors(t *testing.T) {
	if _, err := LearnFeatures(nil, RefexConfig{}); err == nil {
		t.Error("no training graphs: no error")
	}
	if _, err := LearnFeatures([]*Graph{mustGraph(t, []Edge{{1, 2, 1}})}, RefexConfig{BinFraction: 1.5}); err == nil {
		t.Error("bin fraction 1.5: no error")
	}
	fs := unprunedFeatureSet(1, 1)
	var x mat.Dense
	if err := fs.Compute(&Graph{Offsets: []int{0}}, &x); err == nil {
		t.Error("empty graph: no error")
	}
	defer func() {
		if recover() == nil {
			t.Error("wrong dst shape: no panic")
		}
	}()
	_ = fs.Compute(mustGraph(t, []Edge{{1, 2, 1}}), mat.NewDense(3, 3, nil))
}

func ExampleLearnFeatures() {
	g, _ := FromEdges([]Edge{{1, 2, 1}, {1, 3, 1}, {2, 3, 1}, {3, 4, 1}, {4, 5, 2}})
	fs, _ := LearnFeatures([]*Graph{g}, RefexConfig{})
	var x mat.Dense
	_ = fs.Compute(g, &x)
	r, c := x.Dims()
	fmt.Println(r, c == fs.NumFeatures())
	// Output: 5 true
}

// TestRefexWorkersIdentical checks, on a graph large enough for several vertex chunks,
// that the features are bit-for-bit the same whatever the number of workers (and, under
// -race, that the parallel passes do not race).
func TestRefexWorkersIdentical(t *testing.T) {
	g := heavyTailedGraph(t, 4000, 30000, 2)
	var ref mat.Dense
	for i, workers := range []int{1, 2, 5} {
		fs := unprunedFeatureSet(2, workers)
		var x mat.Dense
		if err := fs.Compute(g, &x); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			ref.CloneFrom(&x)
			continue
		}
		if !mat.Equal(&x, &ref) {
			t.Errorf("features with %d workers differ from 1 worker", workers)
		}
	}
}

func TestComputeNormalized(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var graphs []*Graph
	for range 3 {
		edges, _ := randomGraph(rng, 40, 0.1)
		graphs = append(graphs, mustGraph(t, edges))
	}
	fs, err := LearnFeatures(graphs, RefexConfig{})
	if err != nil {
		t.Fatal(err)
	}
	stack, err := fs.ComputeNormalized(graphs)
	if err != nil {
		t.Fatal(err)
	}
	at := 0
	for _, g := range graphs {
		var x mat.Dense
		if err := fs.Compute(g, &x); err != nil {
			t.Fatal(err)
		}
		fs.Normalize(&x)
		n := g.NumVertices()
		if !mat.Equal(stack.Slice(at, at+n, 0, fs.NumFeatures()), &x) {
			t.Errorf("rows %d..%d differ from the graph's own normalised features", at, at+n)
		}
		at += n
	}
	if r, _ := stack.Dims(); r != at {
		t.Errorf("%d rows, want %d", r, at)
	}
	if _, err := fs.ComputeNormalized(nil); err == nil {
		t.Error("no graphs: no error")
	}
}

// cliqueGraph returns a seeded union of cliques shaped like lanlq's event graphs: each
// of `events` tuples picks up to 6 vertices of n, the first few from a handful of hub
// values that nearly every tuple holds, the rest skewed towards low ids, and adds its
// weight (an integer, or a float when floatW) to every pair. It returns the graph and
// its dense adjacency over the graph's vertices, summed from the tuples directly.
func cliqueGraph(t *testing.T, rng *rand.Rand, n, events int, floatW bool) (*Graph, [][]float64) {
	t.Helper()
	pairs := map[[2]int]float64{}
	for range events {
		var tup []int
		for c := range 6 {
			var v int
			switch {
			case c < 3 && rng.Float64() < 0.9: // hubs: 3 per column
				v = 3*c + rng.IntN(3)
			case rng.Float64() < 0.2:
				continue
			default:
				v = 9 + int(float64(n-9)*math.Pow(rng.Float64(), 3))
			}
			if !slices.Contains(tup, v) {
				tup = append(tup, v)
			}
		}
		w := float64(1 + rng.IntN(3))
		if floatW {
			w = 0.25 + 3*rng.Float64()
		}
		for i, a := range tup {
			for _, b := range tup[i+1:] {
				pairs[[2]int{min(a, b), max(a, b)}] += w
			}
		}
	}
	var b Builder
	present := make([]int, n)
	for p, w := range pairs {
		if err := b.Add(int64(p[0]), int64(p[1]), w); err != nil {
			t.Fatal(err)
		}
		present[p[0]], present[p[1]] = 1, 1
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for i, p := range present {
		if p == 1 {
			present[i] = k
			k++
		} else {
			present[i] = -1
		}
	}
	adj := make([][]float64, k)
	for i := range adj {
		adj[i] = make([]float64, k)
	}
	for p, w := range pairs {
		a, c := present[p[0]], present[p[1]]
		adj[a][c], adj[c][a] = w, w
	}
	return g, adj
}

// TestRefexCliquesBruteForce checks the base features against the brute force on
// unions of cliques with hubs, shaped like lanlq's event graphs (most triangles through
// a few hubs), with one and several workers: equal within rounding for float weights,
// and bit for bit across worker counts for integer weights.
func TestRefexCliquesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := range 6 {
		floatW := trial%2 == 1
		n := 60 + rng.IntN(240)
		g, adj := cliqueGraph(t, rng, n, 40+rng.IntN(400), floatW)
		want := bruteFeatures(adj, 0)
		var ref []float64
		for _, workers := range []int{1, 3} {
			x := make([]float64, g.NumVertices()*numBase)
			computeBase(g, x, numBase, [numBase]int{0, 1, 2, 3, 4}, workers)
			for v := range want {
				for j := range numBase {
					got, exp := x[v*numBase+j], want[v][j]
					if math.Abs(got-exp) > 1e-9*max(1, math.Abs(exp)) {
						t.Fatalf("trial %d (%d vertices), workers %d: %s[%d] = %v, want %v",
							trial, g.NumVertices(), workers, baseNames[j], v, got, exp)
					}
				}
			}
			if ref == nil {
				ref = x
			} else if !floatW && !slices.Equal(x, ref) {
				t.Errorf("trial %d: integer weights, workers %d: features differ from 1 worker", trial, workers)
			}
		}
	}
}

// TestLearnFeaturesNormalized checks that the training matrix from learning equals,
// bit for bit, ComputeNormalized on the learned set, for windows of random graphs and of
// unions of cliques with hubs, with empty graphs among them, for several generations.
func TestLearnFeaturesNormalized(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	var windows [][]*Graph
	for range 3 {
		var w []*Graph
		for range 3 {
			edges, _ := randomGraph(rng, 30+rng.IntN(60), 0.05+0.2*rng.Float64())
			w = append(w, mustGraph(t, edges))
		}
		windows = append(windows, w)
	}
	var cl []*Graph
	for i := range 3 {
		g, _ := cliqueGraph(t, rng, 300, 500, i == 1)
		cl = append(cl, g)
	}
	empty, err := (&Builder{}).Build()
	if err != nil {
		t.Fatal(err)
	}
	windows = append(windows, cl, []*Graph{cl[0], empty, cl[2]})
	for wi, w := range windows {
		for _, gens := range []int{-1, 1, 0, 4} {
			cfg := RefexConfig{Generations: gens, Workers: 2}
			fs, err := LearnFeatures(w, cfg)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fs.ComputeNormalized(w)
			if err != nil {
				t.Fatal(err)
			}
			fs2, got, err := LearnFeaturesNormalized(w, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fs.Names(), fs2.Names()) || !slices.Equal(fs.Scales(), fs2.Scales()) {
				t.Fatalf("window %d, generations %d: feature sets differ", wi, gens)
			}
			if !mat.Equal(got, want) {
				t.Errorf("window %d, generations %d: training matrix differs from ComputeNormalized (%d features)", wi, gens, fs.NumFeatures())
			}
		}
	}
	if _, _, err := LearnFeaturesNormalized([]*Graph{empty}, RefexConfig{}); !errors.Is(err, ErrNoTrainingData) {
		t.Errorf("no vertices: %v, want ErrNoTrainingData", err)
	}
}
