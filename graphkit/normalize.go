package graphkit

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// Defaults shared by the history-based scorers.
const (
	// DefaultPeriod is the seasonal period in intervals: one day of one-hour intervals,
	// so slot = interval mod 24 is the hour of day (interval numbers count from the
	// origin 2015-01-01 00:00).
	DefaultPeriod = 24
	// DefaultMemory is the half-life of the scorers' histories, in intervals: one week of
	// one-hour intervals.
	DefaultMemory = 168
)

// HistoryConfig configures the per-artifact history of a real-valued observation (the
// role change δ, the log-degree): how fast it forgets, how its season is cut, and how
// strongly the population of the artifact's kind stands in for a short history. Zero
// fields take the defaults.
type HistoryConfig struct {
	// HalfLife, in intervals, of the weight of past observations (default
	// DefaultMemory). It bounds the effective history to about HalfLife/ln 2
	// observations, so old habits fade.
	HalfLife float64
	// Period is the number of intervals in a season (default DefaultPeriod); the
	// artifact's slot in an interval is interval mod Period. 1 disables seasonality;
	// 168 (a week of hours) needs many weeks of history to pay off.
	Period int
	// ProfileAfter is the (discounted) number of observations after which an artifact
	// gets a per-slot profile (default Period/3). Artifacts seen less often cost no
	// profile memory: they are judged against their overall level.
	ProfileAfter float64
	// PriorWeight is the number of pseudo-observations of the kind's mean level mixed
	// into an artifact's own (default 2): a short history leans on its population.
	PriorWeight float64
	// SlotWeight is the number of pseudo-observations of the artifact's overall level
	// mixed into a slot's own level (default 1).
	SlotWeight float64
	// PriorDoF is the number of pseudo-observations of the kind's typical prediction
	// error mixed into the artifact's own error variance (default 2); it is also the
	// Student-t degrees of freedom of an artifact without history.
	PriorDoF float64
	// MinScale is the smallest standard deviation of a prediction error: changes
	// smaller than this are never news (defaults per scorer).
	MinScale float64
}

func (c *HistoryConfig) setDefaults(minScale float64) error {
	if c.HalfLife == 0 {
		c.HalfLife = DefaultMemory
	}
	if c.Period == 0 {
		c.Period = DefaultPeriod
	}
	if c.ProfileAfter == 0 {
		c.ProfileAfter = float64(c.Period) / 3
	}
	if c.PriorWeight == 0 {
		c.PriorWeight = 2
	}
	if c.SlotWeight == 0 {
		c.SlotWeight = 1
	}
	if c.PriorDoF == 0 {
		c.PriorDoF = 2
	}
	if c.MinScale == 0 {
		c.MinScale = minScale
	}
	switch {
	case !(c.HalfLife > 0) || math.IsInf(c.HalfLife, 0):
		return fmt.Errorf("%w: history half-life %v", ErrInvalidConfig, c.HalfLife)
	case c.Period < 1 || c.Period > 1<<16:
		return fmt.Errorf("%w: period %d", ErrInvalidConfig, c.Period)
	case !(c.ProfileAfter > 0), !(c.PriorWeight > 0), !(c.SlotWeight > 0), !(c.PriorDoF > 0), !(c.MinScale > 0):
		return fmt.Errorf("%w: history weights must be > 0: %+v", ErrInvalidConfig, *c)
	}
	return nil
}

// seasonalHistory is the history of m real-valued metrics per artifact, as an on-line
// forecaster keeps it: a discounted mean level, per-slot levels for regular artifacts,
// and the discounted mean square of its own past prediction errors. The surprise of an
// observation y is the Student-t tail of its standardised prediction error
//
//	ȳ   = (n·mean + n₀·μ_K) / (n + n₀)                 overall level, shrunk to the kind's
//	μ   = (n_s·mean_s + m₀·ȳ) / (n_s + m₀)              level at this slot, shrunk to ȳ
//	σ²  = max((E + ν₀·σ²_K) / (n + ν₀), floor(μ))       error variance, shrunk to the kind's
//	p   = P(T_{n+ν₀} ≥ (y − μ)/σ)
//
// with n, n_s the discounted observation counts (overall and in the slot), E the
// discounted sum of squared prediction errors, μ_K and σ²_K the kind's mean level and
// mean squared prediction error (a discounted population average), and n₀, m₀, ν₀ the
// prior weights. This is the predictive distribution of a normal model with unknown
// mean and variance under a conjugate prior centred on the population: heavy-tailed
// when the history is short, normal when it is long. Judging an artifact by its own
// prediction errors is what makes a machine that always changes is no news.
//
// Storage is struct-of-arrays indexed by the global artifact id (dense dictionary
// ids): 8 + 8·m bytes per artifact, plus a slice header (24 bytes) and, once an
// artifact is regular, a profile of Period·(1+m) float32.
type seasonalHistory struct {
	cfg   HistoryConfig
	m     int
	kinds *Kinds
	// poissonFloor makes floor(μ) the variance of log(1+X) for X Poisson with mean e^μ−1
	// (counts are at least as noisy as Poisson); otherwise floor = MinScale².
	poissonFloor bool

	last    []int32   // interval of the latest observation
	n       []float32 // discounted observation count as of last; 0 = never observed
	mean    []float32 // [id*m+j] discounted mean
	err2    []float32 // [id*m+j] discounted Σ squared prediction errors
	profile [][]float32

	pop     []popStat // [kind*m+j], as of the previous interval
	pending []popStat // [kind*m+j], this interval's contributions
	popLast int
	started bool
	first   int // the first interval, so int32 offsets never overflow
}

type popStat struct {
	n, sum   float64 // observations and Σ y
	en, err2 float64 // prediction errors of artifacts with history, Σ e²
}

func newSeasonalHistory(cfg HistoryConfig, m int, kinds *Kinds, poissonFloor bool) *seasonalHistory {
	nk := max(len(kinds.Names), 1)
	return &seasonalHistory{
		cfg: cfg, m: m, kinds: kinds, poissonFloor: poissonFloor,
		pop: make([]popStat, nk*m), pending: make([]popStat, nk*m),
	}
}

// begin starts interval t: it checks the order and ages the population statistics.
func (h *seasonalHistory) begin(t int, who string) {
	if h.started && t <= h.popLast {
		panic(fmt.Sprintf("graphkit: %s.Update for interval %d after %d", who, t, h.popLast))
	}
	if !h.started {
		h.started, h.first = true, t
	}
	h.popLast = t
}

// end folds the interval's population contributions into the kind priors.
func (h *seasonalHistory) end(elapsed int) {
	d := math.Exp2(-float64(elapsed) / h.cfg.HalfLife)
	for i := range h.pop {
		p, q := &h.pop[i], &h.pending[i]
		p.n, p.sum = p.n*d+q.n, p.sum*d+q.sum
		p.en, p.err2 = p.en*d+q.en, p.err2*d+q.err2
		*q = popStat{}
	}
}

func (h *seasonalHistory) ensure(id int64) {
	if id < 0 || id >= math.MaxInt32 {
		panic(fmt.Sprintf("graphkit: artifact id %d out of range", id))
	}
	if int(id) < len(h.n) {
		return
	}
	size := max(int(id)+1, len(h.n)+len(h.n)/2, 1024)
	size = min(size, max(len(h.kinds.ByID), int(id)+1))
	h.last = append(h.last, make([]int32, size-len(h.last))...)
	h.n = append(h.n, make([]float32, size-len(h.n))...)
	h.mean = append(h.mean, make([]float32, size*h.m-len(h.mean))...)
	h.err2 = append(h.err2, make([]float32, size*h.m-len(h.err2))...)
	h.profile = append(h.profile, make([][]float32, size-len(h.profile))...)
}

// observe judges the observation y (m metrics) of artifact id at interval t and folds
// it into the history. For each metric j it sets z[j], the standardised prediction
// error, and mu[j], the prediction; the Student-t tail of z[j] with nu degrees of
// freedom (the same for every metric) is its surprise, left to the caller so that it
// is computed only where needed. isNew reports that the artifact had no history.
func (h *seasonalHistory) observe(id int64, t int, y, z, mu []float64) (nu float64, isNew bool) {
	h.ensure(id)
	kind := int(h.kinds.Of(id))
	m, i := h.m, int(id)
	slot := ((t % h.cfg.Period) + h.cfg.Period) % h.cfg.Period
	rel := int32(t - h.first)

	d := 1.0
	if h.n[i] > 0 {
		d = math.Exp2(-float64(rel-h.last[i]) / h.cfg.HalfLife)
	}
	n := float64(h.n[i]) * d
	prof := h.profile[i]
	var ns float64
	var slotMean []float32
	if prof != nil {
		ps := prof[slot*(1+m) : (slot+1)*(1+m)]
		ns, slotMean = float64(ps[0])*d, ps[1:]
	}
	n0, m0, nu0 := h.cfg.PriorWeight, h.cfg.SlotWeight, h.cfg.PriorDoF
	for j := range m {
		pop := &h.pop[kind*m+j]
		muK, s2K := 0.0, h.cfg.MinScale*h.cfg.MinScale
		if pop.n > 0 {
			muK = pop.sum / pop.n
		}
		if pop.en > 0 {
			s2K = max(pop.err2/pop.en, s2K)
		}
		ybar := (n*float64(h.mean[i*m+j]) + n0*muK) / (n + n0)
		pred := ybar
		if ns > 0 {
			pred = (ns*float64(slotMean[j]) + m0*ybar) / (ns + m0)
		}
		s2 := (float64(h.err2[i*m+j])*d + nu0*s2K) / (n + nu0)
		floor := h.cfg.MinScale * h.cfg.MinScale
		if h.poissonFloor {
			// Var log(1+X) ≈ λ/(1+λ)² for X ~ Poisson(λ), λ = e^μ − 1.
			lam := math.Expm1(max(pred, 0))
			floor = max(floor, lam/((1+lam)*(1+lam)))
		}
		s2 = max(s2, floor)
		e := y[j] - pred
		z[j], mu[j] = e/math.Sqrt(s2), pred

		q := &h.pending[kind*m+j]
		q.n++
		q.sum += y[j]
		if n > 0 {
			q.en++
			q.err2 += e * e
		}
		// Fold in: the discounted mean moves by e/(n+1) towards y.
		mj := float64(h.mean[i*m+j])
		h.mean[i*m+j] = float32(mj + (y[j]-mj)/(n+1))
		h.err2[i*m+j] = float32(float64(h.err2[i*m+j])*d + e*e)
	}
	isNew = h.n[i] == 0
	h.n[i] = float32(n + 1)
	h.last[i] = rel
	if prof != nil {
		df := float32(d)
		for s := range h.cfg.Period {
			prof[s*(1+m)] *= df
		}
		ps := prof[slot*(1+m) : (slot+1)*(1+m)]
		ps[0]++
		for j := range m {
			ps[1+j] += float32((y[j] - float64(ps[1+j])) / float64(ps[0]))
		}
	} else if n+1 >= h.cfg.ProfileAfter && h.cfg.Period > 1 {
		// A regular now: its profile starts empty (each slot at the overall level).
		h.profile[i] = make([]float32, h.cfg.Period*(1+m))
	}
	return n + nu0, isNew
}

// studentTSurprise returns −log10 P(T_ν ≥ z) for Student's t with ν degrees of
// freedom: P = ½·I_{ν/(ν+z²)}(ν/2, ½) for z > 0. Where P underflows, the leading term
// of its asymptotic expansion, f(z)·(ν+z²)/(ν·z), keeps the ranking.
func studentTSurprise(z, nu float64) float64 {
	if !(z > 0) {
		if math.IsNaN(z) {
			return 0
		}
		// P ≥ ½ here; the exact value matters little but keeps Surprise monotone.
		p := 1 - 0.5*mathext.RegIncBeta(nu/2, 0.5, nu/(nu+z*z))
		return max(-math.Log10(p), 0)
	}
	if math.IsInf(z, 1) {
		return math.MaxFloat64
	}
	p := 0.5 * mathext.RegIncBeta(nu/2, 0.5, nu/(nu+z*z))
	if p > 1e-300 {
		return -math.Log10(p)
	}
	lg1, _ := math.Lgamma((nu + 1) / 2)
	lg2, _ := math.Lgamma(nu / 2)
	lnf := lg1 - lg2 - 0.5*math.Log(nu*math.Pi) - (nu+1)/2*math.Log1p(z*z/nu)
	return -(lnf + math.Log((nu+z*z)/(nu*z))) / math.Ln10
}

// RoleConfig configures a RoleNormalizer. Zero fields take the defaults; the default
// MinScale is 0.1 (a δ, on L1-normalised memberships in [0,2], that moves less than
// this is noise).
type RoleConfig struct {
	History HistoryConfig
}

// RoleNormalizer turns raw role changes δ (Tracker scores) into surprises against each
// artifact's own history of δ.
//
// The raw δ ranks first the artifacts whose roles are least stable in general — quiet
// machines whose few events at night land them in a different role each time — which
// is why it reaches only ROC AUC 0.64 on replayed red-team data. Here an artifact's δ
// is judged against the δ it usually has (a seasonalHistory over δ): its discounted
// mean level at this hour of day, and the spread of its own past prediction errors,
// both shrunk towards its kind's population for a short history. So a machine that
// always flips has a high expected δ and a wide spread and its flips are no news,
// while a machine that never changed role and now does is. Hour-of-day awareness is
// the per-slot level: a machine that reshuffles every night is expected to.
//
// Why not median/MAD over a window: the Student-t predictive of a discounted
// normal model costs 16 bytes per artifact and O(1) per observation where a window of
// W past δ costs 4·W bytes and a selection per observation; an interval is always
// scored before it enters the history, so the robustness of the median matters only
// for a campaign's later hours, which the other scorers catch.
type RoleNormalizer struct {
	hist     *seasonalHistory
	y, z, mu [1]float64
}

// NewRoleNormalizer returns a RoleNormalizer for the artifacts typed by kinds.
func NewRoleNormalizer(kinds *Kinds, cfg RoleConfig) (*RoleNormalizer, error) {
	if err := cfg.History.setDefaults(0.1); err != nil {
		return nil, err
	}
	return &RoleNormalizer{hist: newSeasonalHistory(cfg.History, 1, kinds, false)}, nil
}

// Update scores interval `interval` (intervals in increasing order, gaps allowed):
// raw holds the Tracker's scores of the interval (ArtifactScore.ID, Score and New are
// used). It returns one Evidence per vertex of g, parallel to g.IDs, written into dst
// (grown as needed): Value the raw δ, Expected the δ the artifact's history predicts,
// Surprise its tail. Artifacts new to the Tracker (whose δ is their distance from the
// uniform membership, not a change) and vertices without a raw score get Surprise 0
// and stay out of the history.
func (r *RoleNormalizer) Update(interval int, g *Graph, raw []ArtifactScore, dst []Evidence) []Evidence {
	h := r.hist
	elapsed := interval - h.popLast
	h.begin(interval, "RoleNormalizer")
	dst = grow(dst, g.NumVertices())
	clear(dst)
	aligned := len(raw) == len(g.IDs)
	for i, a := range raw {
		v := i
		if !aligned || g.IDs[i] != a.ID {
			aligned = false
			if v = g.Index(a.ID); v < 0 {
				continue
			}
		}
		if a.New {
			dst[v] = Evidence{Value: a.Score, New: true}
			continue
		}
		r.y[0] = a.Score
		nu, isNew := h.observe(a.ID, interval, r.y[:], r.z[:], r.mu[:])
		dst[v] = Evidence{Value: a.Score, Expected: r.mu[0], Surprise: studentTSurprise(r.z[0], nu), New: isNew}
	}
	h.end(elapsed)
	return dst
}
