package graphkit

import (
	"fmt"
	"slices"
)

// Graph is an undirected weighted graph in compressed sparse row form.
//
// Vertices are local indices 0..NumVertices()-1; IDs maps a local index to the global
// artifact id (ascending, so the mapping is deterministic for a given edge set). Row v
// of the adjacency is Nbrs[Offsets[v]:Offsets[v+1]], neighbour indices in ascending
// order, with Weights parallel to Nbrs. Every undirected edge {u,v} is stored twice
// (in row u and in row v) with the same weight; there are no self-loops and only
// vertices with at least one edge are present.
type Graph struct {
	IDs     []int64
	Offsets []int
	Nbrs    []int32
	Weights []float64
}

// NumVertices returns the number of vertices (artifacts with at least one edge).
func (g *Graph) NumVertices() int { return len(g.IDs) }

// NumEdges returns the number of undirected edges.
func (g *Graph) NumEdges() int { return len(g.Nbrs) / 2 }

// Degree returns the number of neighbours of v.
func (g *Graph) Degree(v int) int { return g.Offsets[v+1] - g.Offsets[v] }

// Neighbors returns v's neighbour indices and the weights of the edges to them. The
// slices alias the graph's storage and must not be modified.
func (g *Graph) Neighbors(v int) ([]int32, []float64) {
	lo, hi := g.Offsets[v], g.Offsets[v+1]
	return g.Nbrs[lo:hi], g.Weights[lo:hi]
}

// WeightedDegree returns the sum of the weights of v's edges.
func (g *Graph) WeightedDegree(v int) float64 {
	s := 0.0
	for _, w := range g.Weights[g.Offsets[v]:g.Offsets[v+1]] {
		s += w
	}
	return s
}

// Index returns the local index of global artifact id, or -1 if it is not in g.
func (g *Graph) Index(id int64) int {
	i, ok := slices.BinarySearch(g.IDs, id)
	if !ok {
		return -1
	}
	return i
}

// Edge is one undirected weighted edge between global artifact ids.
type Edge struct {
	A, B   int64
	Weight float64
}

// FromEdges builds a Graph from an edge list over global artifact ids. Each unordered
// pair may appear several times (in either orientation); its weights are summed.
// Self-loops and non-positive total weights are rejected with ErrInvalidEdge.
func FromEdges(edges []Edge) (*Graph, error) {
	var b Builder
	for _, e := range edges {
		if err := b.Add(e.A, e.B, e.Weight); err != nil {
			return nil, err
		}
	}
	return b.Build()
}

// Builder accumulates edges and produces a Graph. The zero value is ready to use; after
// Build it is empty again and its buffers are reused.
type Builder struct {
	src, dst []int64
	w        []float64
}

// Add records the undirected edge {a,b} with weight w.
func (b *Builder) Add(a, c int64, w float64) error {
	if a == c {
		return fmt.Errorf("%w: self-loop on artifact %d", ErrInvalidEdge, a)
	}
	if !(w > 0) {
		return fmt.Errorf("%w: edge (%d,%d) has weight %v, want > 0", ErrInvalidEdge, a, c, w)
	}
	if a > c {
		a, c = c, a
	}
	b.src = append(b.src, a)
	b.dst = append(b.dst, c)
	b.w = append(b.w, w)
	return nil
}

// Len returns the number of edges added since the last Build.
func (b *Builder) Len() int { return len(b.src) }

// Build returns the graph of the edges added so far and resets the builder.
func (b *Builder) Build() (*Graph, error) {
	defer func() { b.src, b.dst, b.w = b.src[:0], b.dst[:0], b.w[:0] }()
	n := len(b.src)
	// Local ids: the sorted distinct artifact ids.
	ids := make([]int64, 0, 2*n)
	ids = append(ids, b.src...)
	ids = append(ids, b.dst...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	ids = slices.Clip(ids)
	local := func(id int64) int32 {
		i, _ := slices.BinarySearch(ids, id)
		return int32(i)
	}
	// Count both directions per row, then fill, then sort and merge duplicates per row.
	counts := make([]int, len(ids)+1)
	lu := make([]int32, n)
	lv := make([]int32, n)
	for i := range n {
		lu[i], lv[i] = local(b.src[i]), local(b.dst[i])
		counts[lu[i]+1]++
		counts[lv[i]+1]++
	}
	for v := 1; v < len(counts); v++ {
		counts[v] += counts[v-1]
	}
	nbrs := make([]int32, 2*n)
	wts := make([]float64, 2*n)
	next := slices.Clone(counts[:len(ids)])
	for i := range n {
		u, v := lu[i], lv[i]
		nbrs[next[u]], wts[next[u]] = v, b.w[i]
		next[u]++
		nbrs[next[v]], wts[next[v]] = u, b.w[i]
		next[v]++
	}
	offsets := make([]int, len(ids)+1)
	out := 0
	for v := range ids {
		lo, hi := counts[v], counts[v+1]
		row := rowSorter{nbrs[lo:hi], wts[lo:hi]}
		row.sort()
		offsets[v] = out
		for k := lo; k < hi; k++ {
			if out > offsets[v] && nbrs[out-1] == nbrs[k] {
				wts[out-1] += wts[k]
				continue
			}
			nbrs[out], wts[out] = nbrs[k], wts[k]
			out++
		}
	}
	offsets[len(ids)] = out
	return &Graph{IDs: ids, Offsets: offsets, Nbrs: slices.Clip(nbrs[:out]), Weights: slices.Clip(wts[:out])}, nil
}

type rowSorter struct {
	n []int32
	w []float64
}

func (r rowSorter) sort() {
	// Rows are short on average; insertion sort for small rows, index sort otherwise.
	if len(r.n) <= 32 {
		for i := 1; i < len(r.n); i++ {
			for j := i; j > 0 && r.n[j] < r.n[j-1]; j-- {
				r.n[j], r.n[j-1] = r.n[j-1], r.n[j]
				r.w[j], r.w[j-1] = r.w[j-1], r.w[j]
			}
		}
		return
	}
	idx := make([]int, len(r.n))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return int(r.n[a]) - int(r.n[b]) })
	n2 := make([]int32, len(r.n))
	w2 := make([]float64, len(r.w))
	for i, j := range idx {
		n2[i], w2[i] = r.n[j], r.w[j]
	}
	copy(r.n, n2)
	copy(r.w, w2)
}
