package graphkit

import (
	"fmt"
	"math"
)

// rateHistory is the Gamma–Poisson rate memory the count scorers share (Novelty,
// Switching, Peers). Per artifact it keeps the discounted count A and the discounted
// number of active intervals N as of its latest active interval; per kind, the
// discounted mean count per active interval m_K. An artifact's rate then has the
// posterior Gamma(α, β) with α = ½ + A + w·m_K and β = N + w (w the prior weight, ½
// Jeffreys' shape), and a count k is judged by the negative binomial predictive.
//
// One interval is scoreInterval: decayKinds, then observe for every active artifact,
// then mergeKinds, so the kind means learn an interval only after all of it is scored.
// Memory: 16 bytes per artifact (dense ids), 32 per kind.
type rateHistory struct {
	halfLife, priorWeight float64

	state        []rateState // by artifact id
	pop, pending []rateStat  // by kind: as of the previous interval, this interval's
}

type rateState struct {
	a, n float32 // discounted counts and active intervals, as of last
	last int32   // the latest active interval, relative to the scorer's first
	seen bool    // has been active before
}

type rateStat struct{ events, intervals float64 }

func newRateHistory(nk int, halfLife, priorWeight float64) rateHistory {
	return rateHistory{halfLife: halfLife, priorWeight: priorWeight,
		pop: make([]rateStat, nk), pending: make([]rateStat, nk)}
}

// cover makes room for the artifact ids up to maxID.
func (h *rateHistory) cover(maxID int64) {
	if need := int(maxID) + 1; need > len(h.state) {
		h.state = append(h.state, make([]rateState, need-len(h.state))...)
	}
}

// scoreInterval scores one interval: each vertex v of its graph (artifact ids[v], of
// kind byID[ids[v]]) that is active gets the Evidence of its count(v) judged by surprise
// (observe); the others a zero Evidence. It returns dst grown to len(ids).
func (h *rateHistory) scoreInterval(dst []Evidence, ids []int64, byID []Kind, active []bool, elapsed, rel int,
	count func(v int) float64, surprise func(k, alpha, beta float64) float64) []Evidence {
	dst = grow(dst, len(ids))
	clear(dst)
	h.decayKinds(elapsed)
	for v, id := range ids {
		if active[v] {
			dst[v] = h.observe(id, byID[id], rel, count(v), surprise)
		}
	}
	h.mergeKinds()
	return dst
}

// decayKinds fades the kind means by the intervals elapsed since the previous one.
func (h *rateHistory) decayKinds(elapsed int) {
	d := math.Exp2(-float64(elapsed) / h.halfLife)
	for i := range h.pop {
		h.pop[i].events *= d
		h.pop[i].intervals *= d
	}
}

// posterior returns artifact id's discounted history A and N as of interval rel and
// the Gamma(α, β) posterior of its rate, kind its kind; an artifact without history
// has A = N = 0, its kind's prior. The kind means may be taken before or after
// decayKinds: it scales both alike.
func (h *rateHistory) posterior(id int64, kind Kind, rel int) (A, N, alpha, beta float64) {
	if st := &h.state[id]; st.seen {
		d := math.Exp2(-float64(int32(rel)-st.last) / h.halfLife)
		A, N = float64(st.a)*d, float64(st.n)*d
	}
	mK := 0.0
	if p := h.pop[kind]; p.intervals > 0 {
		mK = p.events / p.intervals
	}
	return A, N, 0.5 + A + h.priorWeight*mK, N + h.priorWeight
}

// observe judges count k of artifact id (of kind kind) in interval rel by surprise
// (negBinomSurprise or its mid-p variant) against its posterior, then adds k to its
// history and to its kind's pending mean. An artifact's first active interval is New,
// Surprise 0: it starts its history without entering its rate.
func (h *rateHistory) observe(id int64, kind Kind, rel int, k float64, surprise func(k, alpha, beta float64) float64) Evidence {
	st := &h.state[id]
	if !st.seen {
		*st = rateState{last: int32(rel), seen: true}
		return Evidence{Value: k, New: true}
	}
	A, N, alpha, beta := h.posterior(id, kind, rel)
	st.a, st.n, st.last = float32(A+k), float32(N+1), int32(rel)
	h.pending[kind].events += k
	h.pending[kind].intervals++
	return Evidence{Value: k, Expected: alpha / beta, Surprise: surprise(k, alpha, beta)}
}

// mergeKinds adds the interval's counts to the kind means.
func (h *rateHistory) mergeKinds() {
	for i := range h.pop {
		h.pop[i].events += h.pending[i].events
		h.pop[i].intervals += h.pending[i].intervals
		h.pending[i] = rateStat{}
	}
}

// intervalClock is a scorer's position in time: Update takes intervals in increasing
// order, gaps allowed, and the histories count from the first one.
type intervalClock struct {
	started     bool
	first, last int
}

// advance moves the clock to interval and returns the intervals elapsed since the
// previous one (0 at the first) and interval's distance from the first. An interval
// not after the previous one, or too far from the first for the histories' int32, is a
// programmer's error: it panics, naming the scorer who.
func (c *intervalClock) advance(who string, interval int) (elapsed, rel int) {
	if c.started && interval <= c.last {
		panic(fmt.Sprintf("graphkit: %s.Update for interval %d after %d", who, interval, c.last))
	}
	if !c.started {
		c.started, c.first, c.last = true, interval, interval
	}
	elapsed, rel = interval-c.last, interval-c.first
	if rel > math.MaxInt32 {
		panic(fmt.Sprintf("graphkit: %s interval %d too far from the first, %d", who, interval, c.first))
	}
	c.last = interval
	return elapsed, rel
}
