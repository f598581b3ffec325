package graphkit

import "math"

// VolumeConfig configures a Volume scorer. Zero fields take the defaults; the default
// History.MinScale is 0.05 (a 5% change in degree is never news), and counts are
// never taken as less noisy than Poisson.
type VolumeConfig struct {
	History HistoryConfig
	// Kinds, if not empty, are the only kinds scored (and remembered); the others get
	// a zero Evidence. Empty scores every kind.
	Kinds []Kind
}

// Volume scores how far an artifact's degree (distinct neighbours) and weighted degree
// (events, in the co-occurrence graph) are above what its own history predicts at this
// hour of day.
//
// Both are taken as y = ln(1+x): bursts are multiplicative (ten times the usual
// contacts is as remarkable for a workstation with 3 as for a server with 300) and the
// log makes the errors of a busy and a quiet artifact comparable. Each is judged by a
// seasonalHistory (see RoleNormalizer): the artifact's discounted mean log-volume at
// this slot (interval mod Period), shrunk to its overall mean and that to its kind's,
// against the spread of its own past prediction errors, with a Student-t tail; the
// spread is never below Poisson noise, Var ln(1+X) ≈ λ/(1+λ)². Hour-of-day awareness
// is the per-slot level, learnt by every artifact seen at least ProfileAfter times: a
// machine busy every morning at nine is expected to be. Only the upper tail counts
// (a quiet hour is no attack), and the two tails are combined by Bonferroni:
// Surprise = max(s_degree, s_weighted) − log10 2, at least 0; Value and Expected are
// those of the component that drove it, back on the count scale.
//
// The history is conditional on presence: an artifact absent from an interval is not
// taken as having degree 0, so a machine used once a week is compared with the weeks
// it was used.
type Volume struct {
	hist     *seasonalHistory
	only     []bool // per kind; nil = all
	y, z, mu [2]float64
}

// NewVolume returns a Volume scorer over the artifacts typed by kinds.
func NewVolume(kinds *Kinds, cfg VolumeConfig) (*Volume, error) {
	if err := cfg.History.setDefaults(0.05); err != nil {
		return nil, err
	}
	v := &Volume{hist: newSeasonalHistory(cfg.History, 2, kinds, true)}
	if len(cfg.Kinds) > 0 {
		v.only = make([]bool, 256)
		for _, k := range cfg.Kinds {
			v.only[k] = true
		}
	}
	return v, nil
}

// Update scores interval `interval` (intervals in increasing order, gaps allowed) and
// folds it into the history. It returns one Evidence per vertex of g, parallel to
// g.IDs, written into dst (grown as needed). Artifact ids must be inside the kind
// table (else it panics).
func (vs *Volume) Update(interval int, g *Graph, dst []Evidence) []Evidence {
	h := vs.hist
	elapsed := interval - h.popLast
	h.begin(interval, "Volume")
	n := g.NumVertices()
	dst = grow(dst, n)
	clear(dst)
	if n > 0 {
		h.kinds.Of(g.IDs[n-1])
		h.ensure(g.IDs[n-1])
	}
	byID := h.kinds.ByID
	for v := range n {
		id := g.IDs[v]
		if vs.only != nil && !vs.only[byID[id]] {
			continue
		}
		vs.y[0] = math.Log1p(float64(g.Degree(v)))
		vs.y[1] = math.Log1p(g.WeightedDegree(v))
		nu, isNew := h.observe(id, interval, vs.y[:], vs.z[:], vs.mu[:])
		// Both metrics share ν, so the larger z has the larger tail.
		j := 0
		if vs.z[1] > vs.z[0] {
			j = 1
		}
		e := Evidence{
			Value: math.Expm1(vs.y[j]), Expected: math.Expm1(vs.mu[j]),
			Surprise: max(studentTSurprise(vs.z[j], nu)-math.Log10(2), 0), New: isNew,
		}
		dst[v] = e
	}
	h.end(elapsed)
	return dst
}
