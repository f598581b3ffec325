package graphkit

import "fmt"

// Spread lets evidence spread within one interval along who met whom: an artifact that
// met an anomalous one in an unfamiliar contact takes on part of that one's evidence.
// A source computer an attacker works from is loud (first contacts by the dozen, new
// accounts), while each destination it reaches and each account it uses may look
// ordinary on its own; Argus (Xu et al., S&P 2024) averages an edge's score with its
// source's other edges for this reason.
//
// For vertex v, over its contacts {v,u} (edges between kinds of Pairs, as in Novelty)
// with familiarity grade f ∈ (0, 1] (1 a first contact, 1/(1+c) a pair met in c
// earlier intervals, Novelty.Grades), the spread surprise is
//
//	max_u f(v,u) · S(u)
//
// with S(u) the surprise of u's own evidence (the fusion of the other components):
// evidence reaches v in full over a first contact and fades with familiarity, so a
// habit of weeks passes on almost nothing and a server that everyone meets daily is
// not lit up by one loud client. It is one hop: S excludes spread. Value is S(u),
// Expected f, Surprise their product; From names u. Spread is a ranking device, not a
// p-value: fused with v's own evidence by Fisher, it lifts the artifacts a loud one
// reached and leaves their order to their own evidence.
type Spread struct {
	kinds *Kinds
	nk    int
	sel   []bool
	from  []int64
}

// NewSpread returns a Spread over the contacts of pairs.
func NewSpread(kinds *Kinds, pairs []KindPair) (*Spread, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%w: spread without kind pairs", ErrInvalidConfig)
	}
	nk := max(len(kinds.Names), 1)
	s := &Spread{kinds: kinds, nk: nk, sel: make([]bool, nk*nk)}
	for _, p := range pairs {
		if int(p.A) >= nk || int(p.B) >= nk {
			return nil, fmt.Errorf("%w: kind pair %v outside the %d kinds", ErrInvalidConfig, p, nk)
		}
		s.sel[int(p.A)*nk+int(p.B)], s.sel[int(p.B)*nk+int(p.A)] = true, true
	}
	return s, nil
}

// Update returns the spread Evidence of every vertex of g (parallel to g.IDs) in dst,
// given base[v], the surprise of v's own evidence, and grade, the familiarity of each
// adjacency slot of g (parallel to g.Nbrs; 0 for an edge that is no contact). A
// mismatch of lengths is a wiring bug and panics.
func (s *Spread) Update(g *Graph, base []float64, grade []float32, dst []Evidence) []Evidence {
	n := g.NumVertices()
	if len(base) != n || len(grade) != len(g.Nbrs) {
		panic(fmt.Sprintf("graphkit: Spread with %d base values for %d vertices, %d grades for %d slots", len(base), n, len(grade), len(g.Nbrs)))
	}
	dst = grow(dst, n)
	clear(dst)
	s.from = grow(s.from, n)
	byID := s.kinds.ByID
	for v := range n {
		s.from[v] = -1
		kv := int(byID[g.IDs[v]]) * s.nk
		lo := g.Offsets[v]
		best, bestU, bestF := 0.0, -1, 0.0
		for j, u := range g.Nbrs[lo:g.Offsets[v+1]] {
			f := float64(grade[lo+j])
			if f <= 0 || !s.sel[kv+int(byID[g.IDs[u]])] {
				continue
			}
			if x := f * base[u]; x > best {
				best, bestU, bestF = x, int(u), f
			}
		}
		if bestU >= 0 {
			dst[v] = Evidence{Value: base[bestU], Expected: bestF, Surprise: best}
			s.from[v] = g.IDs[bestU]
		}
	}
	return dst
}

// From returns, per vertex of the last Update, the artifact id whose evidence spread
// to it (−1: none), valid until the next Update.
func (s *Spread) From() []int64 { return s.from }
