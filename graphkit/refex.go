package graphkit

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"gonum.org/v1/gonum/mat"
)

// Base ReFeX features, in the order they are computed. Every vertex of a Graph has at
// least one edge, so all of them are well defined.
const (
	// FeatDegree is the number of neighbours.
	FeatDegree = "degree"
	// FeatWeightedDegree is the total weight of the vertex's edges.
	FeatWeightedDegree = "weighted_degree"
	// FeatEgoInternal is the total weight of the edges with both ends in the egonet
	// (the vertex and its neighbours): the vertex's own edges plus the edges among its
	// neighbours.
	FeatEgoInternal = "egonet_internal_weight"
	// FeatEgoBoundary is the total weight of the edges with exactly one end in the
	// egonet, i.e. from a neighbour to a vertex outside the egonet.
	FeatEgoBoundary = "egonet_boundary_weight"
	// FeatClustering is the unweighted local clustering coefficient, networkx's
	// clustering(G, v): 2·T(v) / (deg(v)·(deg(v)−1)), T(v) the triangles through v,
	// and 0 when deg(v) < 2.
	FeatClustering = "clustering"
)

var baseNames = [numBase]string{FeatDegree, FeatWeightedDegree, FeatEgoInternal, FeatEgoBoundary, FeatClustering}

const numBase = 5

// Defaults of RefexConfig.
const (
	DefaultGenerations = 3
	DefaultBinFraction = 0.5
)

// RefexConfig configures feature learning. Zero fields take the defaults.
type RefexConfig struct {
	// Generations is the number of recursive generations after the base features
	// (each aggregates the previous generation's retained features). 0 selects
	// DefaultGenerations; -1 keeps the base features only.
	Generations int
	// BinFraction is the fraction of the not yet binned vertices that goes into each
	// vertical logarithmic bin, in (0,1). 0 selects DefaultBinFraction.
	BinFraction float64
	// Workers bounds the goroutines used per graph. 0 selects runtime.GOMAXPROCS(0).
	Workers int
}

func (c RefexConfig) withDefaults() (RefexConfig, error) {
	switch {
	case c.Generations == 0:
		c.Generations = DefaultGenerations
	case c.Generations == -1:
		c.Generations = 0
	case c.Generations < -1:
		return c, fmt.Errorf("%w: refex generations %d", ErrInvalidConfig, c.Generations)
	}
	if c.BinFraction == 0 {
		c.BinFraction = DefaultBinFraction
	}
	if !(c.BinFraction > 0 && c.BinFraction < 1) {
		return c, fmt.Errorf("%w: refex bin fraction %v, want in (0,1)", ErrInvalidConfig, c.BinFraction)
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}

type featureOp uint8

const (
	opBase featureOp = iota // one of the base features
	opSum                   // sum over neighbours of column src
	opMean                  // mean over neighbours of column src
)

// featureRecipe says how one column of a FeatureSet is computed.
type featureRecipe struct {
	op  featureOp
	arg int // base feature index for opBase, source column for opSum and opMean
	gen int // 0 for base features, g for the g-th recursive generation
}

// FeatureSet is a learned ReFeX feature set: the names of the retained features and how
// to compute each one, plus the per-feature scales used by Normalize. Learn it once with
// LearnFeatures on a training window and Compute it for every interval, so that every
// interval's feature matrix has the same columns. A FeatureSet is immutable and safe for
// concurrent use.
//
// Columns are ordered by generation; a recursive column's source is always a column of
// the previous generation, and every retained feature of generation g−1 that some
// generation-g feature aggregates is itself a column, so Compute never evaluates a
// feature it does not return.
type FeatureSet struct {
	names   []string
	recipe  []featureRecipe
	scale   []float64 // log1p of the training-window maximum of each feature (≥ tiny)
	workers int
}

// NumFeatures returns the number of columns Compute produces.
func (fs *FeatureSet) NumFeatures() int { return len(fs.names) }

// Names returns the feature names, one per column: base names such as "degree", and
// recursive ones such as "mean(sum(degree))". The slice must not be modified.
func (fs *FeatureSet) Names() []string { return fs.names }

// Generations returns the generation of each column (0 for base features).
func (fs *FeatureSet) Generations() []int {
	gens := make([]int, len(fs.recipe))
	for j, r := range fs.recipe {
		gens[j] = r.gen
	}
	return gens
}

// Scales returns the per-feature divisors Normalize applies after log1p: the log1p of
// the largest value of the feature over the training window (1 when that is 0).
func (fs *FeatureSet) Scales() []float64 { return fs.scale }

// Compute fills dst with the feature set evaluated on g: row v holds the features of
// local vertex v (global id g.IDs[v]). dst must be empty or NumVertices×NumFeatures;
// an empty dst is resized with ReuseAs, so a dst that was Reset reuses its storage.
// It returns ErrEmptyGraph for a graph without vertices. It runs on the number of
// workers of the RefexConfig the set was learned with, and its result does not depend
// on that number.
func (fs *FeatureSet) Compute(g *Graph, dst *mat.Dense) error {
	n := g.NumVertices()
	if n == 0 {
		return ErrEmptyGraph
	}
	f := len(fs.recipe)
	if dst.IsEmpty() {
		dst.ReuseAs(n, f)
	} else if r, c := dst.Dims(); r != n || c != f {
		panic(mat.ErrShape)
	}
	raw := dst.RawMatrix()
	x, stride := raw.Data, raw.Stride

	var baseCols [numBase]int
	for i := range baseCols {
		baseCols[i] = -1
	}
	for j, r := range fs.recipe {
		if r.op == opBase {
			baseCols[r.arg] = j
		}
	}
	computeBase(g, x, stride, baseCols, fs.workers)

	// One aggregation pass per generation, over all of its source columns at once.
	maxGen := 0
	for _, r := range fs.recipe {
		maxGen = max(maxGen, r.gen)
	}
	for gen := 1; gen <= maxGen; gen++ {
		var plan aggPlan
		for j, r := range fs.recipe {
			if r.gen != gen {
				continue
			}
			k := slices.Index(plan.src, r.arg)
			if k < 0 {
				k = len(plan.src)
				plan.src = append(plan.src, r.arg)
				plan.sum = append(plan.sum, -1)
				plan.mean = append(plan.mean, -1)
			}
			if r.op == opSum {
				plan.sum[k] = j
			} else {
				plan.mean[k] = j
			}
		}
		aggregate(g, x, stride, x, stride, plan, fs.workers)
	}
	return nil
}

// Normalize scales a feature matrix computed by Compute in place, the transform fixed at
// training time that RolX factorises: x → log1p(x) / scale_j, scale_j the log1p of the
// largest value of feature j over the training window. Training values then lie in
// [0,1] and later intervals are on the same scale (values beyond the training maximum
// exceed 1); log1p tames the heavy tails of degree-like features, which would otherwise
// dominate the KL divergence, and the division puts every feature in the same unit.
func (fs *FeatureSet) Normalize(x *mat.Dense) {
	r, c := x.Dims()
	if c != len(fs.scale) {
		panic(mat.ErrShape)
	}
	raw := x.RawMatrix()
	for i := range r {
		row := raw.Data[i*raw.Stride : i*raw.Stride+c]
		for j, v := range row {
			row[j] = math.Log1p(max(v, 0)) / fs.scale[j]
		}
	}
}

// ComputeNormalized returns the normalised features (Compute, then Normalize) of every
// graph, stacked in order: the rows of graphs[0]'s vertices, then graphs[1]'s, and so
// on. It is the training matrix of FitRoles. Empty graphs contribute no rows; it returns
// ErrNoTrainingData when no graph has a vertex.
func (fs *FeatureSet) ComputeNormalized(graphs []*Graph) (*mat.Dense, error) {
	rows := 0
	for _, g := range graphs {
		rows += g.NumVertices()
	}
	if rows == 0 {
		return nil, fmt.Errorf("%w: no vertices in %d graphs", ErrNoTrainingData, len(graphs))
	}
	f := fs.NumFeatures()
	out := mat.NewDense(rows, f, nil)
	at := 0
	for _, g := range graphs {
		n := g.NumVertices()
		if n == 0 {
			continue
		}
		view := out.Slice(at, at+n, 0, f).(*mat.Dense)
		if err := fs.Compute(g, view); err != nil {
			return nil, err
		}
		fs.Normalize(view)
		at += n
	}
	return out, nil
}

// LearnFeatures learns a ReFeX feature set on a training window of graphs.
//
// The features of all training graphs are stacked (one row per vertex per graph) and
// pruned as Henderson et al.'s ReFeX does it in the GraphRole package
// (graphrole/features/prune.py, extract.py), which this follows:
//
//   - every feature column is replaced by its vertical logarithmic binning: the
//     ⌊frac·u⌋ (at least 1) smallest of the u not yet binned values go to the next bin,
//     all copies of a value share a bin (a bin is extended to the last copy of its
//     largest value), bins numbered 0, 1, 2, … from the smallest values;
//   - at generation g (0 for the base features) two features are linked when the
//     Chebyshev distance of their binned columns is at most g, i.e. when their bin
//     numbers differ by at most g at every vertex (GraphRole's pdist(…, 'chebychev') ≤
//     feature_group_thresh, the threshold being the generation number). Note that this
//     is the largest per-vertex difference, not the number of differing positions;
//   - the candidates (this generation's new features) are linked with each other and
//     with the features still active from earlier generations; in each connected
//     component of size > 1 only the oldest feature is kept: the one of the earliest
//     generation, ties broken by column order (GraphRole breaks them by name). Dropped
//     features leave the active set, kept new ones join it and are retained;
//   - generation g > 0 aggregates (sum, then mean over neighbours) exactly the features
//     retained at generation g−1; learning stops early when a generation retains none.
//
// The retained features of all generations are the feature set. Normalize's scales are
// the log1p of each feature's maximum over the training rows.
func LearnFeatures(graphs []*Graph, cfg RefexConfig) (*FeatureSet, error) {
	fs, _, err := learnFeatures(graphs, cfg, false)
	return fs, err
}

// LearnFeaturesNormalized is LearnFeatures followed by ComputeNormalized on the same
// graphs, without computing the features a second time: the retained features' values
// from learning are the training matrix (the same numbers, bit for bit, as Compute gives
// on each graph: the same sums in the same order). On a LANL-rate training window this
// saves one Compute per training graph.
func LearnFeaturesNormalized(graphs []*Graph, cfg RefexConfig) (*FeatureSet, *mat.Dense, error) {
	return learnFeatures(graphs, cfg, true)
}

func learnFeatures(graphs []*Graph, cfg RefexConfig, matrix bool) (*FeatureSet, *mat.Dense, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, nil, err
	}
	train, total := trainingGraphs(graphs)
	if total == 0 {
		return nil, nil, fmt.Errorf("%w: no vertices in %d training graphs", ErrNoTrainingData, len(graphs))
	}

	fs := &FeatureSet{workers: cfg.Workers}
	var pool []activeFeature
	binner := newLogBinner(total, cfg.BinFraction)

	// prev[i] holds, per training graph, the values of the previous generation's
	// retained features (row-major, len(prevCols) columns).
	prev := make([][]float64, len(train))
	var prevCols []int // fs columns of the previous generation's retained features
	// retained[g][i] holds, when the matrix is wanted, generation g's retained values on
	// training graph i (the prev of generation g+1).
	var retained [][][]float64

	for gen := 0; gen <= cfg.Generations; gen++ {
		cand, candNames := fs.candidates(gen, prevCols)
		vals := evaluateCandidates(train, gen, len(cand), prev, len(prevCols), cfg.Workers)
		candBins, candMax := binCandidates(train, total, vals, len(cand), binner)

		var keptCand []int
		pool, keptCand = pruneCandidates(pool, candBins, gen)
		newCols := make([]int, 0, len(keptCand))
		for _, j := range keptCand {
			col := len(fs.recipe)
			fs.recipe = append(fs.recipe, cand[j])
			fs.names = append(fs.names, candNames[j])
			fs.scale = append(fs.scale, logScale(candMax[j]))
			pool = append(pool, activeFeature{col: col, bins: candBins[j]})
			newCols = append(newCols, col)
		}
		prev = retainedValues(train, vals, len(cand), keptCand)
		if matrix && len(keptCand) > 0 {
			retained = append(retained, slices.Clone(prev))
		}
		prevCols = newCols
		if len(newCols) == 0 {
			break
		}
	}
	if !matrix {
		return fs, nil, nil
	}
	V := trainingMatrix(train, total, fs.NumFeatures(), retained)
	fs.Normalize(V)
	return fs, V, nil
}

// activeFeature is a feature still in the pruning pool: its column in the feature set
// and its binned values over the stacked training rows.
type activeFeature struct {
	col  int
	bins []int32
}

// trainingGraphs returns the graphs that have vertices and their total vertex count
// (the number of stacked training rows).
func trainingGraphs(graphs []*Graph) (train []*Graph, total int) {
	for _, g := range graphs {
		if g != nil && g.NumVertices() > 0 {
			train = append(train, g)
			total += g.NumVertices()
		}
	}
	return train, total
}

// candidates returns generation gen's candidate features and their names: the base
// features at generation 0, else the sum and then the mean over neighbours of each of
// prevCols (the previous generation's retained columns).
func (fs *FeatureSet) candidates(gen int, prevCols []int) ([]featureRecipe, []string) {
	var cand []featureRecipe
	var names []string
	if gen == 0 {
		for b := range numBase {
			cand = append(cand, featureRecipe{op: opBase, arg: b})
			names = append(names, baseNames[b])
		}
		return cand, names
	}
	for _, op := range []featureOp{opSum, opMean} {
		for _, c := range prevCols {
			cand = append(cand, featureRecipe{op: op, arg: c, gen: gen})
			names = append(names, opName(op)+"("+fs.names[c]+")")
		}
	}
	return cand, names
}

// evaluateCandidates computes generation gen's nc candidates on every training graph,
// row-major n×nc per graph: the base features at generation 0, else the sums (columns
// 0..k−1) and means (k..2k−1) of the k previous values in prev.
func evaluateCandidates(train []*Graph, gen, nc int, prev [][]float64, k, workers int) [][]float64 {
	vals := make([][]float64, len(train))
	var plan aggPlan
	if gen > 0 {
		plan = aggPlan{src: make([]int, k), sum: make([]int, k), mean: make([]int, k)}
		for j := range k {
			plan.src[j], plan.sum[j], plan.mean[j] = j, j, k+j
		}
	}
	for i, g := range train {
		vals[i] = make([]float64, g.NumVertices()*nc)
		if gen == 0 {
			computeBase(g, vals[i], nc, [numBase]int{0, 1, 2, 3, 4}, workers)
			continue
		}
		aggregate(g, prev[i], k, vals[i], nc, plan, workers)
	}
	return vals
}

// binCandidates bins every candidate column over the stacked training rows and returns
// the bins and each column's maximum.
func binCandidates(train []*Graph, total int, vals [][]float64, nc int, binner *logBinner) ([][]int32, []float64) {
	column := make([]float64, total)
	bins := make([][]int32, nc)
	maxima := make([]float64, nc)
	for j := range nc {
		off := 0
		for i, g := range train {
			n := g.NumVertices()
			for v := range n {
				column[off+v] = vals[i][v*nc+j]
			}
			off += n
		}
		bins[j] = binner.bin(column)
		maxima[j] = slices.Max(column)
	}
	return bins, maxima
}

// pruneCandidates links features (the active pool first, then the candidates: the order
// is age) whose binned columns are within gen of each other everywhere and keeps the
// oldest of each component. It returns the pool members kept and the indexes of the
// candidates kept, in order.
func pruneCandidates(pool []activeFeature, candBins [][]int32, gen int) ([]activeFeature, []int) {
	m := len(pool) + len(candBins)
	binsOf := func(k int) []int32 {
		if k < len(pool) {
			return pool[k].bins
		}
		return candBins[k-len(pool)]
	}
	uf := newUnionFind(m)
	for a := range m {
		for b := a + 1; b < m; b++ {
			if uf.find(a) != uf.find(b) && chebyshevWithin(binsOf(a), binsOf(b), int32(gen)) {
				uf.union(a, b)
			}
		}
	}
	// The union keeps the smaller index as root, so a component's root is its
	// oldest member.
	var kept []activeFeature
	for k := range len(pool) {
		if uf.find(k) == k {
			kept = append(kept, pool[k])
		}
	}
	var keptCand []int
	for j := range candBins {
		if uf.find(len(pool)+j) == len(pool)+j {
			keptCand = append(keptCand, j)
		}
	}
	return kept, keptCand
}

// retainedValues returns, per training graph, the kept candidates' values (row-major,
// len(keptCand) columns): the input of the next generation's aggregation.
func retainedValues(train []*Graph, vals [][]float64, nc int, keptCand []int) [][]float64 {
	k := len(keptCand)
	out := make([][]float64, len(train))
	for i, g := range train {
		n := g.NumVertices()
		next := make([]float64, n*k)
		for v := range n {
			for c, j := range keptCand {
				next[v*k+c] = vals[i][v*nc+j]
			}
		}
		out[i] = next
	}
	return out
}

// trainingMatrix stacks the training rows: per graph, the generations' retained
// columns side by side, in the feature set's column order (by generation, then as
// retained). It frees each graph's retained values once copied.
func trainingMatrix(train []*Graph, total, f int, retained [][][]float64) *mat.Dense {
	V := mat.NewDense(total, f, nil)
	raw := V.RawMatrix()
	at := 0
	for i, g := range train {
		n := g.NumVertices()
		col := 0
		for _, gen := range retained {
			k := len(gen[i]) / n
			for v := range n {
				copy(raw.Data[(at+v)*raw.Stride+col:], gen[i][v*k:(v+1)*k])
			}
			col += k
			gen[i] = nil
		}
		at += n
	}
	return V
}

func logScale(maxVal float64) float64 {
	s := math.Log1p(max(maxVal, 0))
	if s == 0 {
		return 1
	}
	return s
}

func opName(op featureOp) string {
	switch op {
	case opSum:
		return "sum"
	case opMean:
		return "mean"
	}
	return "base"
}

// String describes the feature set, one feature per line.
func (fs *FeatureSet) String() string {
	var b strings.Builder
	for j, name := range fs.names {
		fmt.Fprintf(&b, "%d\tgen %d\t%s\n", j, fs.recipe[j].gen, name)
	}
	return b.String()
}

// chebyshevWithin reports whether max_i |a[i]−b[i]| ≤ limit, stopping at the first
// position that exceeds it.
func chebyshevWithin(a, b []int32, limit int32) bool {
	for i, x := range a {
		d := x - b[i]
		if d > limit || d < -limit {
			return false
		}
	}
	return true
}

// logBinner computes vertical logarithmic binnings, reusing its buffers.
type logBinner struct {
	frac   float64
	sorted []float64
	tops   []float64
}

func newLogBinner(n int, frac float64) *logBinner {
	return &logBinner{frac: frac, sorted: make([]float64, n)}
}

// bin returns the vertical logarithmic binning of x (GraphRole's vertical_log_binning):
// a new slice of bin numbers. A bin takes the smallest frac of the values not yet
// binned, extended to all copies of its largest value, so a bin is a range of values
// (the previous bin's largest, this one's largest]: the values are sorted on their own
// and each is then placed by a binary search over the bins' largest values. (Sorting a
// permutation of indices by value, as the definition reads, took 12% of a LANL-rate
// scoring run's CPU: the training window stacks millions of rows.)
func (lb *logBinner) bin(x []float64) []int32 {
	n := len(x)
	sorted := append(lb.sorted[:0], x...)
	slices.Sort(sorted)
	lb.sorted = sorted
	tops := lb.tops[:0]
	for binned := 0; binned < n; {
		size := max(int(lb.frac*float64(n-binned)), 1)
		end := binned + size
		top := sorted[end-1]
		for end < n && sorted[end] == top {
			end++
		}
		tops = append(tops, top)
		binned = end
	}
	lb.tops = tops
	out := make([]int32, n)
	for i, v := range x {
		b, _ := slices.BinarySearch(tops, v) // the first bin whose largest value is >= v
		out[i] = int32(b)
	}
	return out
}

type unionFind struct{ parent []int }

func newUnionFind(n int) *unionFind {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	return &unionFind{parent: p}
}

func (u *unionFind) find(a int) int {
	for u.parent[a] != a {
		u.parent[a] = u.parent[u.parent[a]]
		a = u.parent[a]
	}
	return a
}

// union merges the sets of a and b; the smaller root becomes the root.
func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if rb < ra {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
}

// parallelChunks calls fn(lo, hi, worker) for consecutive chunks of [0,n) on up to
// workers goroutines. Chunks are handed out dynamically, so heavy vertices (hubs) do not
// leave one worker with all the work; fn must not depend on which worker runs a chunk
// except through per-worker scratch indexed by worker.
func parallelChunks(n, workers, chunk int, fn func(lo, hi, worker int)) {
	if n <= chunk || workers <= 1 {
		fn(0, n, 0)
		return
	}
	workers = min(workers, (n+chunk-1)/chunk)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				fn(lo, min(lo+chunk, n), w)
			}
		}()
	}
	wg.Wait()
}

const vertexChunk = 512

// computeBase writes the base features of every vertex of g into x (row-major with the
// given stride): base feature b goes to column cols[b], or nowhere when cols[b] < 0.
//
// Triangles, and the weight of the edges among a vertex's neighbours, are found by the
// degree-ordered "forward" algorithm: edges are oriented from lower to higher rank
// (degree, then index), and each triangle is found once, at its lowest-ranked vertex a,
// by intersecting a's out-list with the out-lists of its out-neighbours (out-lists have
// at most √(2m) entries, so the cost is O(m·√m) and small on heavy-tailed graphs). Each
// triangle adds to all three of its vertices. The vertices are dealt to triangleChunks
// fixed interleaved chunks, each with its own accumulators, that are added in chunk
// order at the end: results do not depend on the number of workers or the scheduling.
func computeBase(g *Graph, x []float64, stride int, cols [numBase]int, workers int) {
	n := g.NumVertices()
	sc := baseScratchPool.Get().(*baseScratch)
	defer baseScratchPool.Put(sc)
	offsets, nbrs, wts := g.Offsets, g.Nbrs, g.Weights

	// Oriented adjacency: out-neighbours of higher rank, sorted by index as in g.
	sc.wdeg = grow(sc.wdeg, n)
	sc.outOff = grow(sc.outOff, n+1)
	wdeg, outOff := sc.wdeg, sc.outOff
	higher := func(u, v int) bool { // rank(u) > rank(v)
		du, dv := offsets[u+1]-offsets[u], offsets[v+1]-offsets[v]
		return du > dv || (du == dv && u > v)
	}
	parallelChunks(n, workers, 4*vertexChunk, func(lo, hi, _ int) {
		for v := lo; v < hi; v++ {
			s, k := 0.0, 0
			for p := offsets[v]; p < offsets[v+1]; p++ {
				s += wts[p]
				if higher(int(nbrs[p]), v) {
					k++
				}
			}
			wdeg[v], outOff[v+1] = s, k
		}
	})
	outOff[0] = 0
	for v := range n {
		outOff[v+1] += outOff[v]
	}
	m := outOff[n]
	sc.outNbr = grow(sc.outNbr, m)
	sc.outW = grow(sc.outW, m)
	outNbr, outW := sc.outNbr, sc.outW
	parallelChunks(n, workers, 4*vertexChunk, func(lo, hi, _ int) {
		for v := lo; v < hi; v++ {
			k := outOff[v]
			for p := offsets[v]; p < offsets[v+1]; p++ {
				if u := int(nbrs[p]); higher(u, v) {
					outNbr[k], outW[k] = int32(u), wts[p]
					k++
				}
			}
		}
	})

	// Triangles, per chunk of vertices a ≡ chunk (mod triangleChunks).
	if len(sc.acc) < triangleChunks {
		sc.acc = make([][]triAcc, triangleChunks)
	}
	if len(sc.marks) < workers {
		sc.marks = append(sc.marks, make([][]int32, workers-len(sc.marks))...)
	}
	for w := range workers {
		sc.marks[w] = grow(sc.marks[w], n)
		clear(sc.marks[w])
	}
	parallelChunks(triangleChunks, workers, 1, func(lo, hi, w int) {
		mark := sc.marks[w]
		for c := lo; c < hi; c++ {
			sc.acc[c] = grow(sc.acc[c], n)
			acc := sc.acc[c]
			clear(acc)
			for a := c; a < n; a += triangleChunks {
				alo, ahi := outOff[a], outOff[a+1]
				if ahi-alo < 2 {
					continue
				}
				// mark[x] = 1 + slot of x in a's out-list; stale marks of other
				// vertices fall outside a's slot range.
				for p := alo; p < ahi; p++ {
					mark[outNbr[p]] = int32(p + 1)
				}
				span := uint(ahi - alo)
				for p := alo; p < ahi; p++ {
					b, wab := outNbr[p], outW[p]
					bOut, bW := outNbr[outOff[b]:outOff[b+1]], outW[outOff[b]:outOff[b+1]]
					for q, cv := range bOut {
						mp := int(mark[cv]) - 1
						if uint(mp-alo) >= span {
							continue
						}
						wbc, wac := bW[q], outW[mp]
						acc[a].tri++
						acc[a].among += wbc
						acc[b].tri++
						acc[b].among += wac
						acc[cv].tri++
						acc[cv].among += wab
					}
				}
			}
		}
	})

	parallelChunks(n, workers, vertexChunk, func(lo, hi, _ int) {
		for v := lo; v < hi; v++ {
			t, amongV := 0, 0.0 // triangles through v, weight among v's neighbours
			for c := range triangleChunks {
				t += int(sc.acc[c][v].tri)
				amongV += sc.acc[c][v].among
			}
			nbrW := 0.0 // Σ wdeg(u) over v's neighbours
			for _, u := range nbrs[offsets[v]:offsets[v+1]] {
				nbrW += wdeg[u]
			}
			dv := offsets[v+1] - offsets[v]
			row := x[v*stride:]
			if c := cols[0]; c >= 0 {
				row[c] = float64(dv)
			}
			if c := cols[1]; c >= 0 {
				row[c] = wdeg[v]
			}
			if c := cols[2]; c >= 0 {
				row[c] = wdeg[v] + amongV
			}
			if c := cols[3]; c >= 0 {
				// Each neighbour's weighted degree counts its edge to v once, each edge
				// among the neighbours twice and each edge leaving the egonet once.
				row[c] = max(nbrW-wdeg[v]-2*amongV, 0)
			}
			if c := cols[4]; c >= 0 {
				cc := 0.0
				if dv >= 2 {
					cc = 2 * float64(t) / (float64(dv) * float64(dv-1))
				}
				row[c] = cc
			}
		}
	})
}

// triangleChunks is the fixed number of vertex chunks of triangle counting, each with
// its own accumulators (so that sums do not depend on scheduling); enough for load
// balance on a few cores.
const triangleChunks = 16

// baseScratch holds computeBase's work buffers, pooled so that computing the features
// of one interval after another does not allocate them again.
type baseScratch struct {
	wdeg   []float64
	outOff []int
	outNbr []int32
	outW   []float64
	marks  [][]int32
	acc    [][]triAcc
}

// triAcc accumulates, for one vertex, its triangles and the weight of the edges among
// its neighbours (one cache line access per update).
type triAcc struct {
	among float64
	tri   int64
}

var baseScratchPool = sync.Pool{New: func() any { return new(baseScratch) }}

// aggPlan lists the source columns of one aggregation pass and, for each, the
// destination columns of its neighbour sum and mean (−1: not wanted).
type aggPlan struct {
	src, sum, mean []int
}

// aggregate computes, for every vertex, the sum and mean over its neighbours of the
// plan's source columns of x, into y (both row-major with their strides; x and y may be
// the same matrix when the destination columns are disjoint from the sources).
func aggregate(g *Graph, x []float64, xs int, y []float64, ys int, plan aggPlan, workers int) {
	k := len(plan.src)
	if k == 0 {
		return
	}
	n := g.NumVertices()
	parallelChunks(n, workers, vertexChunk, func(lo, hi, _ int) {
		acc := make([]float64, k)
		for v := lo; v < hi; v++ {
			clear(acc)
			nv, _ := g.Neighbors(v)
			for _, u := range nv {
				row := x[int(u)*xs:]
				for j, c := range plan.src {
					acc[j] += row[c]
				}
			}
			out := y[v*ys:]
			d := float64(max(len(nv), 1))
			for j, s := range acc {
				if c := plan.sum[j]; c >= 0 {
					out[c] = s
				}
				if c := plan.mean[j]; c >= 0 {
					out[c] = s / d
				}
			}
		}
	})
}
