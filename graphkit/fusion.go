package graphkit

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// The scorers of this package (Novelty, Volume, RoleNormalizer) share one shape with
// the role-dynamics Tracker: they consume the intervals in increasing order, one call
// per interval, and return one Evidence per vertex of that interval's Graph, parallel
// to Graph.IDs. Fusion combines the Evidence of several scorers into one score per
// artifact with an explanation.

// Evidence is one scorer's verdict on one artifact in one interval.
type Evidence struct {
	// Value is what was observed: new contacts, degree, role change δ.
	Value float64
	// Expected is what the artifact's own history predicts for Value.
	Expected float64
	// Surprise is −log10 of the tail probability P(an observation at least as large as
	// Value | the artifact's history): 0 means no evidence, 3 means p = 0.001. It is
	// always finite and ≥ 0.
	Surprise float64
	// New marks an artifact without history in this scorer: its Surprise is from the
	// population prior of its kind, or 0 where the scorer cannot judge a newcomer.
	New bool
}

// Kind is the type of an artifact: the `kind` column of the artifact dictionary
// (computer_source, userdomain_source, … in the notebook architecture; computer,
// user, process, port, … in the entity one), numbered by Kinds.
type Kind uint8

// Kinds maps global artifact ids to their kinds. The engine fills it once per run from
// the artifact dictionary (SELECT id, kind FROM artifact_dictionary ORDER BY id): the
// ids are dense (0..N−1), so ByID costs one byte per artifact.
type Kinds struct {
	// Names[k] is the name of kind k.
	Names []string
	// ByID[id] is the kind of artifact id.
	ByID []Kind
	// Class[id], if set (SetClasses), says whether artifact id is an ordinary account
	// or computer, a machine account or no identity; nil: every artifact is ordinary.
	Class []Class
	// Entity[id], if set, numbers the value of artifact id: computer_source::C1 and
	// computer_destination::C1 share one. nil: every artifact is its own.
	Entity []int32
}

// NewKinds builds a Kinds from the kind name of every artifact, kindOf[id] for id
// 0..len(kindOf)−1. Kinds are numbered in order of first appearance; at most 256.
func NewKinds(kindOf []string) (*Kinds, error) {
	k := &Kinds{ByID: make([]Kind, len(kindOf))}
	index := map[string]Kind{}
	for id, name := range kindOf {
		c, ok := index[name]
		if !ok {
			if len(k.Names) == 256 {
				return nil, fmt.Errorf("%w: more than 256 artifact kinds", ErrInvalidConfig)
			}
			c = Kind(len(k.Names))
			index[name] = c
			k.Names = append(k.Names, name)
		}
		k.ByID[id] = c
	}
	return k, nil
}

// Of returns the kind of artifact id. An id outside the table is a wiring bug and
// panics.
func (k *Kinds) Of(id int64) Kind {
	if id < 0 || id >= int64(len(k.ByID)) {
		panic(fmt.Sprintf("graphkit: artifact %d outside the kind table (%d artifacts)", id, len(k.ByID)))
	}
	return k.ByID[id]
}

// Lookup returns the kind called name.
func (k *Kinds) Lookup(name string) (Kind, bool) {
	i := slices.Index(k.Names, name)
	return Kind(max(i, 0)), i >= 0
}

// Fused is the fused score of one artifact in one interval, with what explains it.
type Fused struct {
	ID int64
	// Score is −log10 of the combined tail probability (Fisher's method over the
	// components): higher is more anomalous, 0 is no evidence.
	Score float64
	// Dominant is the index (into Fusion.Names) of the component with the largest
	// Surprise, the one that contributed most to Score; the first such on ties; −1 when
	// no component has any evidence.
	Dominant int
	// Components holds each component's Evidence, in the order of Fusion.Names. It
	// aliases a buffer that the next Fuse call overwrites.
	Components []Evidence
}

// Fusion combines per-artifact Evidence of several scorers into one score.
//
// The principle: every scorer reports a tail probability p_i of what it saw under the
// artifact's own history (its Surprise s_i = −log10 p_i), so components of different
// units are already on one scale, and Fisher's method combines them into the
// probability, under "nothing unusual" and independence, of evidence at least as
// strong in total:
//
//	S = Σ_i −ln p_i,   p = P(χ²_{2k} ≥ 2S) = e^{−S} Σ_{j<k} S^j / j!,   Score = −log10 p.
//
// Why Fisher rather than the best single component (Tippett, min p): an attacker's
// lateral movement shows up at once as first contacts, a jump in degree and a role
// change, while benign oddities tend to move one component (a quiet machine's role
// flips at night; a server meets new clients), and Fisher rewards the agreement of
// independent weak evidence. It is a proper combination (a p-value again), strictly
// increasing in every component's Surprise, and a component without evidence (p = 1)
// costs nothing. The components are not truly independent (new contacts also raise
// the degree), so Score is an anomaly ranking, not a calibrated probability: the
// dependence inflates it alike for every artifact with new contacts.
type Fusion struct {
	names []string
	slab  []Evidence
	out   []Fused
	parts []float64
}

// NewFusion returns a Fusion of the named components (e.g. "novelty", "volume",
// "role"), in the order Fuse receives them.
func NewFusion(names ...string) (*Fusion, error) {
	if len(names) == 0 {
		return nil, fmt.Errorf("%w: fusion of no components", ErrInvalidConfig)
	}
	return &Fusion{names: slices.Clone(names), parts: make([]float64, len(names))}, nil
}

// Names returns the component names in order. The slice must not be modified.
func (f *Fusion) Names() []string { return f.names }

// Fuse combines the components' Evidence for the artifacts ids (usually Graph.IDs):
// components[c][i] is component c's Evidence on ids[i]. A nil component means "no
// evidence from this scorer in this interval" for every artifact. It returns one Fused
// per id, in the order of ids; the result and its Components alias buffers that the
// next Fuse call overwrites. Mismatched lengths are programmer errors and panic.
func (f *Fusion) Fuse(ids []int64, components ...[]Evidence) []Fused {
	k := len(f.names)
	if len(components) != k {
		panic(fmt.Sprintf("graphkit: Fuse with %d components, want %d", len(components), k))
	}
	for c, comp := range components {
		if comp != nil && len(comp) != len(ids) {
			panic(fmt.Sprintf("graphkit: Fuse component %s has %d entries for %d ids", f.names[c], len(comp), len(ids)))
		}
	}
	f.slab = grow(f.slab, len(ids)*k)
	f.out = grow(f.out, len(ids))
	for i, id := range ids {
		parts := f.slab[i*k : (i+1)*k : (i+1)*k]
		best, dominant := 0.0, -1
		for c, comp := range components {
			var e Evidence
			if comp != nil {
				e = comp[i]
			}
			parts[c] = e
			f.parts[c] = e.Surprise
			if e.Surprise > best {
				best, dominant = e.Surprise, c
			}
		}
		f.out[i] = Fused{ID: id, Score: FisherSurprise(f.parts), Dominant: dominant, Components: parts}
	}
	return f.out
}

// Explain renders a Fused as one line, e.g.
// "novelty 10 (expected 0.02, p=1e-14) drove it; volume 13 (expected 3.1, p=2e-05); role 0.1 (expected 0.08, p=0.4)".
func (f *Fusion) Explain(s Fused) string {
	var b strings.Builder
	for c, e := range s.Components {
		if c > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s %.3g (expected %.3g, p=%.2g)", f.names[c], e.Value, e.Expected, math.Pow(10, -e.Surprise))
		if e.New {
			b.WriteString(" new")
		}
		if c == s.Dominant {
			b.WriteString(" drove it")
		}
	}
	return b.String()
}

// SortFused orders scores from the most anomalous: by Score descending, ties by ID
// ascending, so the order is the same whatever the input order.
func SortFused(s []Fused) {
	slices.SortFunc(s, func(a, b Fused) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// FisherSurprise combines surprises s_i = −log10 p_i by Fisher's method and returns
// −log10 of the combined p. Negative or NaN surprises count as 0; +Inf gives +Inf.
func FisherSurprise(surprises []float64) float64 {
	S := 0.0
	for _, s := range surprises {
		if s > 0 {
			S += s * math.Ln10
		}
	}
	if S == 0 {
		return 0
	}
	if math.IsInf(S, 1) {
		return S
	}
	// ln Σ_{j<k} S^j/j! by log-sum-exp over the terms j·ln S − ln j!.
	lnS := math.Log(S)
	k := len(surprises)
	top := math.Inf(-1)
	for j := range k {
		lg, _ := math.Lgamma(float64(j + 1))
		top = max(top, float64(j)*lnS-lg)
	}
	sum := 0.0
	for j := range k {
		lg, _ := math.Lgamma(float64(j + 1))
		sum += math.Exp(float64(j)*lnS - lg - top)
	}
	lnP := -S + top + math.Log(sum)
	return max(-lnP/math.Ln10, 0)
}
