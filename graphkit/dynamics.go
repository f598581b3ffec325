package graphkit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Expectation selects how an artifact's expected role membership is formed from its
// own history.
type Expectation int

const (
	// ExpectEWMA (the default) expects the exponentially weighted mean of the
	// artifact's past memberships: the appearance k intervals ago has weight
	// 2^(−k/HalfLife), and the weights are normalised over the past appearances, so
	// gaps between appearances age the history as a whole but do not shrink it.
	ExpectEWMA Expectation = iota
	// ExpectPrevious expects the membership at the artifact's previous appearance
	// (the notebook's t−1 comparison, extended to artifacts that skip intervals).
	ExpectPrevious
)

func (e Expectation) String() string {
	switch e {
	case ExpectEWMA:
		return "ewma"
	case ExpectPrevious:
		return "previous"
	}
	return fmt.Sprintf("Expectation(%d)", int(e))
}

// DefaultHalfLife is the EWMA half-life in intervals: one day of one-hour intervals.
const DefaultHalfLife = 24

// DynamicsConfig configures a Tracker. Zero fields take the defaults.
type DynamicsConfig struct {
	Mode Expectation
	// HalfLife is the EWMA half-life, in intervals (not appearances). 0 selects
	// DefaultHalfLife.
	HalfLife float64
}

// ArtifactScore is one artifact's role-dynamics score in one interval.
type ArtifactScore struct {
	ID int64
	// Score is δ = Σ_r |After_r − Before_r|, in [0,2].
	Score float64
	// New marks an artifact seen for the first time. Its Before is the uniform
	// membership 1/R (no history, no preference), so its Score is its distance from
	// uniform: 0 for an evenly mixed artifact, up to 2(1−1/R) for a pure role.
	New bool
	// Before is the expected membership (from history), After the observed one,
	// both L1-normalised. They alias one buffer per Update call.
	Before, After []float64
}

// IntervalScore is the summary of one interval.
type IntervalScore struct {
	Interval int
	// Delta is Δ(t), the mean of δ over all of the interval's artifacts, new ones
	// included (so the first interval, where all artifacts are new, measures how far
	// memberships are from uniform). NaN when the interval has no artifacts.
	Delta float64
	// DeltaKnown is the mean of δ over the artifacts seen before (NaN if none).
	DeltaKnown float64
	// Artifacts and New count the interval's artifacts and the new ones among them.
	Artifacts, New int
}

type artifactHistory struct {
	last   int       // interval of the latest appearance
	weight float64   // EWMA: Σ of the weights, as of last
	sum    []float64 // EWMA: weighted sum of memberships; previous: the membership
}

// Tracker scores role dynamics: it consumes the role memberships of consecutive
// intervals and scores each artifact against its own history. The zero value is not
// usable; make one with NewTracker. A Tracker is not safe for concurrent use.
type Tracker struct {
	cfg       DynamicsConfig
	roles     int // memberships per row (0 before the first Update; -1 when fed by Appear)
	started   bool
	last      int
	history   map[int64]*artifactHistory
	intervals []IntervalScore
}

// NewTracker returns a Tracker with the given configuration.
func NewTracker(cfg DynamicsConfig) (*Tracker, error) {
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultHalfLife
	}
	if !(cfg.HalfLife > 0) || math.IsInf(cfg.HalfLife, 1) {
		return nil, fmt.Errorf("%w: half-life %v", ErrInvalidConfig, cfg.HalfLife)
	}
	if cfg.Mode != ExpectEWMA && cfg.Mode != ExpectPrevious {
		return nil, fmt.Errorf("%w: expectation mode %v", ErrInvalidConfig, cfg.Mode)
	}
	return &Tracker{cfg: cfg, history: make(map[int64]*artifactHistory)}, nil
}

// NormalizeMembership L1-normalises a membership row in place. Negative and
// non-finite entries are taken as 0; a row with no positive entry becomes uniform (1/R each): an artifact
// that no role explains is treated as "no preference", which is also the prior of a
// new artifact.
func NormalizeMembership(m []float64) {
	s := 0.0
	for i, x := range m {
		if !(x > 0) || math.IsInf(x, 1) {
			m[i] = 0
		}
		s += m[i]
	}
	if s == 0 {
		for i := range m {
			m[i] = 1 / float64(len(m))
		}
		return
	}
	for i := range m {
		m[i] /= s
	}
}

// Update scores the artifacts of interval `interval`: ids[i] has the role memberships
// in row i of G (any non-negative scale; they are L1-normalised here). Intervals must
// be given in increasing order (gaps allowed), ids must be distinct, and every call
// must have the same number of roles; violations are programmer errors and panic.
//
// δn = Σ_r |Gnr − Enr|, E the expectation (DynamicsConfig.Mode) from n's appearances
// before this interval; then the history is updated with this interval's memberships.
func (tr *Tracker) Update(interval int, ids []int64, G *mat.Dense) []ArtifactScore {
	if tr.started && interval <= tr.last {
		panic(fmt.Sprintf("graphkit: Tracker.Update for interval %d after %d", interval, tr.last))
	}
	if len(ids) == 0 {
		tr.record(interval, nil)
		return nil
	}
	n, r := G.Dims()
	if n != len(ids) {
		panic(fmt.Sprintf("graphkit: Tracker.Update with %d ids and %d membership rows", len(ids), n))
	}
	if tr.roles < 0 {
		panic("graphkit: Tracker.Update after Appear")
	}
	if tr.roles == 0 {
		tr.roles = r
	} else if r != tr.roles {
		panic(fmt.Sprintf("graphkit: Tracker.Update with %d roles, earlier %d", r, tr.roles))
	}

	slab := make([]float64, 2*n*r)
	out := make([]ArtifactScore, n)
	raw := G.RawMatrix()
	for i, id := range ids {
		before, after := slab[2*i*r:(2*i+1)*r], slab[(2*i+1)*r:(2*i+2)*r]
		copy(after, raw.Data[i*raw.Stride:i*raw.Stride+r])
		NormalizeMembership(after)
		h := tr.history[id]
		isNew := h == nil
		switch {
		case isNew:
			for a := range before {
				before[a] = 1 / float64(r)
			}
			h = &artifactHistory{sum: make([]float64, r)}
			tr.history[id] = h
		case h.last == interval:
			panic(fmt.Sprintf("graphkit: artifact %d twice in interval %d", id, interval))
		case tr.cfg.Mode == ExpectPrevious:
			copy(before, h.sum)
		default:
			for a := range before {
				before[a] = h.sum[a] / h.weight
			}
		}
		d := 0.0
		for a := range after {
			d += math.Abs(after[a] - before[a])
		}
		out[i] = ArtifactScore{ID: id, Score: d, New: isNew, Before: before, After: after}

		// Fold this appearance into the history.
		if tr.cfg.Mode == ExpectPrevious || isNew {
			copy(h.sum, after)
			h.weight = 1
		} else {
			decay := math.Exp2(-float64(interval-h.last) / tr.cfg.HalfLife)
			for a := range h.sum {
				h.sum[a] = h.sum[a]*decay + after[a]
			}
			h.weight = h.weight*decay + 1
		}
		h.last = interval
	}
	tr.record(interval, out)
	return out
}

// Appear records the artifacts of interval `interval` for a run that computes no role
// memberships: each returned ArtifactScore has its ID and New (first appearance) alone,
// Score NaN and no Before or After. The interval summaries count artifacts and new
// ones as Update's do; their Delta and DeltaKnown are NaN. A Tracker is fed either by
// Update or by Appear: mixing them is a programmer error and panics. The history it
// keeps is one small entry per artifact ever seen (about 60 bytes), not memberships.
func (tr *Tracker) Appear(interval int, ids []int64) []ArtifactScore {
	if tr.started && interval <= tr.last {
		panic(fmt.Sprintf("graphkit: Tracker.Appear for interval %d after %d", interval, tr.last))
	}
	if tr.roles > 0 {
		panic("graphkit: Tracker.Appear after Update")
	}
	tr.roles = -1
	if len(ids) == 0 {
		tr.record(interval, nil)
		return nil
	}
	out := make([]ArtifactScore, len(ids))
	for i, id := range ids {
		h := tr.history[id]
		isNew := h == nil
		if isNew {
			h = &artifactHistory{}
			tr.history[id] = h
		} else if h.last == interval {
			panic(fmt.Sprintf("graphkit: artifact %d twice in interval %d", id, interval))
		}
		h.last = interval
		out[i] = ArtifactScore{ID: id, Score: math.NaN(), New: isNew}
	}
	tr.record(interval, out)
	return out
}

func (tr *Tracker) record(interval int, scores []ArtifactScore) {
	tr.started, tr.last = true, interval
	s := IntervalScore{Interval: interval, Delta: Delta(scores), Artifacts: len(scores)}
	known, sum := 0, 0.0
	for _, a := range scores {
		if a.New {
			s.New++
			continue
		}
		known++
		sum += a.Score
	}
	s.DeltaKnown = math.NaN()
	if known > 0 {
		s.DeltaKnown = sum / float64(known)
	}
	tr.intervals = append(tr.intervals, s)
}

// Intervals returns the summary of every interval consumed so far, in order. The slice
// must not be modified.
func (tr *Tracker) Intervals() []IntervalScore { return tr.intervals }

// Seen returns the number of distinct artifacts seen so far.
func (tr *Tracker) Seen() int { return len(tr.history) }

// Delta returns the interval score Δ = mean of the artifacts' scores (NaN for none).
func Delta(scores []ArtifactScore) float64 {
	if len(scores) == 0 {
		return math.NaN()
	}
	s := 0.0
	for _, a := range scores {
		s += a.Score
	}
	return s / float64(len(scores))
}
