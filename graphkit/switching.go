package graphkit

import (
	"fmt"
	"math"
	"slices"
)

// SwitchConfig configures a Switching scorer. Zero fields take the defaults.
type SwitchConfig struct {
	// HalfLife, in intervals, of an artifact's rate history (default DefaultMemory).
	HalfLife float64
	// PriorWeight is how many active intervals of its kind's average rate an
	// artifact's rate starts from (default 2).
	PriorWeight float64
}

// Switching scores credential switching: a source computer emitting user accounts it
// never emitted before, the strongest when someone else logged on to it just before
// (Hopper's login paths: an attacker lands on host a as u, then moves on from a as v).
//
// In every interval, each authentication event whose account is an ordinary user
// account (not a machine account, not anonymous or unknown, see Class) and whose
// source computer is known is an emission (source, account). A first emission — the
// pair never seen before — counts 1 for the source and 1 for the account; it counts 1
// more when the source received a logon of another user account in this interval or
// the previous one (the order within an interval is not in the tuples, so "shortly
// after" is "within the same or the previous interval"). The count k of an artifact is
// judged against its own rate as Novelty does (Gamma posterior of discounted counts
// shrunk to its kind's mean, negative binomial predictive), with mid-p for the discrete
// tail: P(K > k) + ½P(K = k). The interval of an artifact's first emission is New
// with Surprise 0.
//
// Memory: the emitted pairs in a pairSet (packed: 1.7 bytes a pair on LANL-rate data,
// see Novelty), 16 bytes per artifact, and the last two intervals' inbound logons.
type Switching struct {
	cfg   SwitchConfig
	kinds *Kinds
	ak    AuthKinds

	emitted pairSet
	rates   rateHistory
	intervalClock

	inbound, prevIn map[int64][]int64 // computer entity → user entities that logged on to it
	prevAt          int

	newCount []int32   // per vertex: first emissions
	switched []int32   // per vertex: of them, after another account's logon
	active   []bool    // per vertex
	kv       []float64 // per vertex: k
	auth     []AuthEvent
}

// NewSwitching returns a Switching scorer reading auth events by ak.
func NewSwitching(kinds *Kinds, ak AuthKinds, cfg SwitchConfig) (*Switching, error) {
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultMemory
	}
	if cfg.PriorWeight == 0 {
		cfg.PriorWeight = 2
	}
	if !(cfg.HalfLife > 0) || math.IsInf(cfg.HalfLife, 0) || !(cfg.PriorWeight > 0) {
		return nil, fmt.Errorf("%w: switching half-life %v, prior weight %v", ErrInvalidConfig, cfg.HalfLife, cfg.PriorWeight)
	}
	nk := max(len(kinds.Names), 1)
	return &Switching{cfg: cfg, kinds: kinds, ak: ak, rates: newRateHistory(nk, cfg.HalfLife, cfg.PriorWeight),
		inbound: map[int64][]int64{}, prevIn: map[int64][]int64{}}, nil
}

// Update scores interval `interval` (increasing, gaps allowed) from its graph and
// tuples. It returns one Evidence per vertex of g, parallel to g.IDs, in dst (grown as
// needed). Artifact ids must be below 2³² and inside the kind table.
func (s *Switching) Update(interval int, g *Graph, tuples *Tuples, dst []Evidence) []Evidence {
	if !s.started {
		s.prevAt = interval - 2
	}
	elapsed, rel := s.advance("Switching", interval)

	// The inbound logons of the previous interval stay for this one.
	if s.prevAt == interval-1 {
		s.prevIn, s.inbound = s.inbound, s.prevIn
	} else {
		clear(s.prevIn)
	}
	clear(s.inbound)
	s.prevAt = interval
	s.auth = AuthEvents(tuples, s.kinds, s.ak, s.auth)
	for i := range s.auth {
		e := &s.auth[i]
		if e.Dest < 0 || e.User < 0 || s.kinds.classOf(e.User) != ClassOrdinary || s.kinds.classOf(e.Dest) == ClassUnknown {
			continue
		}
		h := s.kinds.entityOf(e.Dest)
		u := s.kinds.entityOf(e.User)
		if !slices.Contains(s.inbound[h], u) {
			s.inbound[h] = append(s.inbound[h], u)
		}
	}

	n := g.NumVertices()
	s.newCount = grow(s.newCount, n)
	s.switched = grow(s.switched, n)
	s.active = grow(s.active, n)
	s.kv = grow(s.kv, n)
	clear(s.newCount)
	clear(s.switched)
	clear(s.active)
	clear(s.kv)
	if n > 0 {
		s.rates.cover(g.IDs[n-1])
	}
	otherLogon := func(host, user int64) bool {
		for _, in := range [][]int64{s.inbound[host], s.prevIn[host]} {
			for _, u := range in {
				if u != user {
					return true
				}
			}
		}
		return false
	}
	for i := range s.auth {
		e := &s.auth[i]
		if e.Source < 0 || e.User < 0 || s.kinds.classOf(e.User) != ClassOrdinary || s.kinds.classOf(e.Source) == ClassUnknown {
			continue
		}
		if e.Source >= 1<<32-1 || e.User >= 1<<32-1 {
			panic(fmt.Sprintf("graphkit: Switching needs artifact ids below 2³²−1, got %d, %d", e.Source, e.User))
		}
		vs, vu := g.Index(e.Source), g.Index(e.User)
		if vs < 0 || vu < 0 {
			continue
		}
		s.active[vs], s.active[vu] = true, true
		_, first := s.emitted.visit(uint64(e.Source)<<32|uint64(e.User), 0, 0)
		if !first {
			continue
		}
		w := 1.0
		s.newCount[vs]++
		s.newCount[vu]++
		if otherLogon(s.kinds.entityOf(e.Source), s.kinds.entityOf(e.User)) {
			w = 2
			s.switched[vs]++
			s.switched[vu]++
		}
		s.kv[vs] += w
		s.kv[vu] += w
	}

	return s.rates.scoreInterval(dst, g.IDs, s.kinds.ByID, s.active, elapsed, rel,
		func(v int) float64 { return s.kv[v] }, negBinomMidSurprise)
}

// Emissions returns each vertex's first emissions in the last Update and how many of
// them followed another account's logon, parallel to that interval's Graph.IDs (valid
// until the next Update).
func (s *Switching) Emissions() (first, switched []int32) { return s.newCount, s.switched }

// negBinomMidSurprise is negBinomSurprise with mid-p: −log10(P(K ≥ k) − ½P(K = k)).
func negBinomMidSurprise(k, alpha, beta float64) float64 {
	if k <= 0 {
		return 0
	}
	x := 1 / (1 + beta)
	lg1, _ := math.Lgamma(k + alpha)
	lg2, _ := math.Lgamma(k + 1)
	lg3, _ := math.Lgamma(alpha)
	lnEq := lg1 - lg2 - lg3 + alpha*math.Log(beta*x) + k*math.Log(x)
	ge := negBinomTail(k, alpha, x)
	p := ge - math.Exp(lnEq)/2
	if p > 1e-300 {
		return max(-math.Log10(p), 0)
	}
	// Underflow: half the probability of exactly k, a lower bound of the mid-p tail.
	return -(lnEq - math.Ln2) / math.Ln10
}
