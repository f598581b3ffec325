package graphkit

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// TypedConfig configures a Typed scorer. Zero fields take the defaults.
type TypedConfig struct {
	// HalfLife, in intervals, of the contact histories (default DefaultMemory).
	HalfLife float64
	// PriorWeight is how many contacts of its kind's average first-contact share an
	// artifact's own share starts from (default 2).
	PriorWeight float64
}

// Typed scores an artifact's first contacts by how they happened: a contact is an
// account or a source computer meeting a destination computer in an authentication
// event, typed by the event's auth package, logon type and the account's class
// (ordinary or machine account). An NTLM network logon of a user account is its own
// population, not pooled with Kerberos service tickets or computers logging on by
// themselves: where one type's first contacts are rare, one of them is news even if
// the artifact meets new hosts every hour in another type.
//
// For artifact v and type t in an interval, m is the number of distinct typed
// contacts of v and k how many of them were never seen before (with that type). Each
// contact is a Bernoulli draw "first or not" with v's own share q of first contacts
// of type t, estimated from its discounted history (K first of M contacts) shrunk to
// its kind's share of that type, and that to its kind's share over all types:
// q = (K + w·q_Kt)/(M + w), q_Kt = (K_Kt + w·q_K)/(M_Kt + w), q_K = (K_K + ½)/(M_K + 1).
// So a type nobody used yet is judged by how rare first contacts are in general.
// The tail is binomial with mid-p (discrete: an observation at the boundary counts
// half, Rubin-Delanchy, Heard & Lawson 2019), P(X > k) + ½P(X = k), X ~ Bin(m, q);
// v's types are combined by Šidák on the smallest p (few strong signals, one type at a
// time, are what this scorer is for). Value is Σ k, Expected Σ m·q. An artifact's first
// interval with typed contacts is New with Surprise 0 (all its contacts are new by
// definition), as in Novelty.
//
// Memory: a Go map entry per typed contact ever seen (about 40 bytes) and per
// (artifact, type) history (about 50 bytes); at LANL's 30 days this is tens of
// millions of contacts, a few GB: a windowed or hashed set is the next step if that
// matters.
type Typed struct {
	cfg   TypedConfig
	kinds *Kinds
	ak    AuthKinds

	types map[[3]int64]uint16 // (auth id, logon id, account class) → type
	// The typed contacts met, each with the last interval it was met in (which also
	// tells a repeat within an interval): packed into one word (packContact) when the
	// ids fit, which is what makes the set affordable at LANL rates (a map of 8-byte
	// keys has a fast path; 24-byte struct keys cost about three times as much), and
	// in seenWide otherwise.
	seen     map[uint64]int32
	seenWide map[typedContact]int32
	hist     map[uint64]typedRate // (artifact id << 16 | type)
	pop      map[uint32]typedRate // (kind << 16 | type)
	started  bool
	last     int
	active   map[int64]bool // artifacts with typed history

	// This interval's (artifact, type) keys with their counts m, k in
	// counts[index[key]]: values, not pointers, so that the maps hold nothing the
	// garbage collector must trace and no entry is allocated on its own.
	index  map[uint64]int32
	counts [][2]float64
	keys   []uint64
	best   []float64 // per vertex: smallest p
	ntypes []int32   // per vertex: types seen
	first  []int32   // per vertex: first typed contacts
	exp    []float64 // per vertex: expected first typed contacts
	newV   []bool
	auth   []AuthEvent
	fresh  [][3]int64 // this interval's new contact types
}

// allTypes is the type index of a kind's population over all its types.
const allTypes = 0xffff

type typedContact struct {
	a, b int64
	t    uint16
}

// Packed contacts: a and b in 24 bits each, the type in 16.
const (
	packedIDBits = 24
	packedIDMax  = 1<<packedIDBits - 1
)

// packContact packs c into one word, or returns false when an id does not fit.
func packContact(c typedContact) (uint64, bool) {
	if c.a < 0 || c.b < 0 || c.a > packedIDMax || c.b > packedIDMax {
		return 0, false
	}
	return uint64(c.a)<<(64-packedIDBits) | uint64(c.b)<<16 | uint64(c.t), true
}

// unpackContact is packContact's inverse.
func unpackContact(k uint64) typedContact {
	return typedContact{int64(k >> (64 - packedIDBits)), int64(k >> 16 & packedIDMax), uint16(k)}
}

// neverMet is the interval recorded for a contact met before any this Typed scored
// (loaded from a saved state).
const neverMet = math.MinInt32

// meet records that contact c was met in interval and reports whether it was already
// met in this interval (again) and, if not, whether in an earlier one (before).
func (ty *Typed) meet(c typedContact, interval int32) (before, again bool) {
	if k, ok := packContact(c); ok {
		last, met := ty.seen[k]
		if met && last == interval {
			return true, true
		}
		ty.seen[k] = interval
		return met, false
	}
	last, met := ty.seenWide[c]
	if met && last == interval {
		return true, true
	}
	ty.seenWide[c] = interval
	return met, false
}

type typedRate struct {
	k, m float64
	last int
}

// NewTyped returns a Typed scorer over artifacts typed by kinds, reading auth events
// by ak (see NotebookAuthKinds).
func NewTyped(kinds *Kinds, ak AuthKinds, cfg TypedConfig) (*Typed, error) {
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultMemory
	}
	if cfg.PriorWeight == 0 {
		cfg.PriorWeight = 2
	}
	if !(cfg.HalfLife > 0) || math.IsInf(cfg.HalfLife, 0) || !(cfg.PriorWeight > 0) {
		return nil, fmt.Errorf("%w: typed half-life %v, prior weight %v", ErrInvalidConfig, cfg.HalfLife, cfg.PriorWeight)
	}
	return &Typed{cfg: cfg, kinds: kinds, ak: ak,
		types: map[[3]int64]uint16{}, seen: map[uint64]int32{}, seenWide: map[typedContact]int32{},
		hist: map[uint64]typedRate{}, pop: map[uint32]typedRate{}, active: map[int64]bool{},
		index: map[uint64]int32{}}, nil
}

// typeOf returns the type index of an event's contacts, and false for an event
// without an account or of an unknown one.
func (ty *Typed) typeOf(e *AuthEvent) (uint16, bool) {
	c := ty.kinds.classOf(e.User)
	if c == ClassUnknown {
		return 0, false
	}
	key := [3]int64{e.Auth, e.Logon, int64(c)}
	t, ok := ty.types[key]
	if !ok {
		if len(ty.types) == allTypes {
			return 0, false
		}
		t = uint16(len(ty.types))
		ty.types[key] = t
	}
	return t, true
}

// numberTypes numbers the contact types first met in this interval's events in the
// order of their keys, not in the order the events come (DuckDB's order is not fixed
// from run to run), so that the numbers, and the state saved, are the same every run.
func (ty *Typed) numberTypes() {
	ty.fresh = ty.fresh[:0]
	for i := range ty.auth {
		e := &ty.auth[i]
		if e.Dest < 0 || ty.kinds.classOf(e.Dest) == ClassUnknown {
			continue
		}
		c := ty.kinds.classOf(e.User)
		if c == ClassUnknown {
			continue
		}
		key := [3]int64{e.Auth, e.Logon, int64(c)}
		if _, ok := ty.types[key]; !ok {
			ty.fresh = append(ty.fresh, key)
		}
	}
	slices.SortFunc(ty.fresh, func(a, b [3]int64) int { return slices.Compare(a[:], b[:]) })
	for _, key := range slices.Compact(ty.fresh) {
		if len(ty.types) == allTypes {
			return
		}
		ty.types[key] = uint16(len(ty.types))
	}
}

// Update scores interval `interval` (increasing, gaps allowed) from its graph g and its
// tuples, and remembers its contacts. It returns one Evidence per vertex of g (parallel
// to g.IDs) in dst, grown as needed; vertices without typed contacts get a zero one.
func (ty *Typed) Update(interval int, g *Graph, tuples *Tuples, dst []Evidence) []Evidence {
	if ty.started && interval <= ty.last {
		panic(fmt.Sprintf("graphkit: Typed.Update for interval %d after %d", interval, ty.last))
	}
	ty.started, ty.last = true, interval
	ty.auth = AuthEvents(tuples, ty.kinds, ty.ak, ty.auth)
	ty.numberTypes()
	clear(ty.index)
	ty.counts = ty.counts[:0]
	ty.keys = ty.keys[:0]
	add := func(id int64, t uint16, first bool) {
		key := uint64(id)<<16 | uint64(t)
		i, ok := ty.index[key]
		if !ok {
			i = int32(len(ty.counts))
			ty.index[key] = i
			ty.counts = append(ty.counts, [2]float64{})
			ty.keys = append(ty.keys, key)
		}
		c := &ty.counts[i]
		c[0]++
		if first {
			c[1]++
		}
	}
	contact := func(a, b int64, t uint16) {
		met, again := ty.meet(typedContact{a, b, t}, int32(interval))
		if again {
			return
		}
		add(a, t, !met)
		add(b, t, !met)
	}
	for i := range ty.auth {
		e := &ty.auth[i]
		if e.Dest < 0 || ty.kinds.classOf(e.Dest) == ClassUnknown {
			continue
		}
		t, ok := ty.typeOf(e)
		if !ok {
			continue
		}
		if e.User >= 0 {
			contact(e.User, e.Dest, t)
		}
		if e.Source >= 0 && ty.kinds.classOf(e.Source) != ClassUnknown && ty.kinds.entityOf(e.Source) != ty.kinds.entityOf(e.Dest) {
			contact(e.Source, e.Dest, t)
		}
	}
	slices.Sort(ty.keys) // a deterministic order for the population updates

	n := g.NumVertices()
	dst = grow(dst, n)
	clear(dst)
	ty.best = grow(ty.best, n)
	ty.ntypes = grow(ty.ntypes, n)
	ty.first = grow(ty.first, n)
	ty.exp = grow(ty.exp, n)
	ty.newV = grow(ty.newV, n)
	for v := range n {
		ty.best[v], ty.ntypes[v], ty.first[v], ty.exp[v], ty.newV[v] = 1, 0, 0, 0, false
	}
	w := ty.cfg.PriorWeight
	for _, key := range ty.keys {
		id, t := int64(key>>16), uint16(key&0xffff)
		v := g.Index(id)
		if v < 0 {
			continue // an artifact of the tuples without an edge: not scored
		}
		c := ty.counts[ty.index[key]]
		m, k := c[0], c[1]
		ty.first[v] += int32(k)
		if !ty.active[id] {
			ty.newV[v] = true
			continue
		}
		kind := uint32(ty.kinds.Of(id)) << 16
		qK := 0.5
		if p, ok := ty.pop[kind|allTypes]; ok {
			d := ty.decay(p.last, interval)
			qK = (p.k*d + 0.5) / (p.m*d + 1)
		}
		if p, ok := ty.pop[kind|uint32(t)]; ok {
			d := ty.decay(p.last, interval)
			qK = (p.k*d + w*qK) / (p.m*d + w)
		}
		K, M := 0.0, 0.0
		if h, ok := ty.hist[key]; ok {
			d := ty.decay(h.last, interval)
			K, M = h.k*d, h.m*d
		}
		q := (K + w*qK) / (M + w)
		ty.exp[v] += m * q
		ty.ntypes[v]++
		if p := binomMidP(k, m, q); p < ty.best[v] {
			ty.best[v] = p
		}
	}
	for v := range n {
		if ty.ntypes[v] == 0 && !ty.newV[v] {
			continue
		}
		e := Evidence{Value: float64(ty.first[v]), Expected: ty.exp[v], New: ty.newV[v] && ty.ntypes[v] == 0}
		if ty.ntypes[v] > 0 {
			e.Surprise = sidakSurprise(ty.best[v], int(ty.ntypes[v]))
		}
		dst[v] = e
	}
	// Remember: the histories and the kinds' shares learn from this interval only
	// after it is scored.
	for _, key := range ty.keys {
		id, t := int64(key>>16), uint16(key&0xffff)
		c := ty.counts[ty.index[key]]
		h, ok := ty.hist[key]
		if !ok {
			h.last = interval
		}
		d := ty.decay(h.last, interval)
		h.k, h.m, h.last = h.k*d+c[1], h.m*d+c[0], interval
		ty.hist[key] = h
		kind := uint32(ty.kinds.Of(id)) << 16
		for _, pk := range [2]uint32{kind | uint32(t), kind | allTypes} {
			p, ok := ty.pop[pk]
			if !ok {
				p.last = interval
			}
			d = ty.decay(p.last, interval)
			p.k, p.m, p.last = p.k*d+c[1], p.m*d+c[0], interval
			ty.pop[pk] = p
		}
		ty.active[id] = true
	}
	return dst
}

func (ty *Typed) decay(last, now int) float64 {
	return math.Exp2(-float64(now-last) / ty.cfg.HalfLife)
}

// FirstContacts returns each vertex's first typed contacts in the last Update,
// parallel to that interval's Graph.IDs (valid until the next Update).
func (ty *Typed) FirstContacts() []int32 { return ty.first }

// binomMidP returns the mid-p upper tail P(X > k) + ½P(X = k) of X ~ Bin(m, q); 1 for
// k ≤ 0.
func binomMidP(k, m, q float64) float64 {
	if k <= 0 || m <= 0 {
		return 1
	}
	q = min(max(q, 1e-12), 1)
	if q == 1 {
		return 0.5 // every contact was expected new: k = m is the median, half counts
	}
	ge := mathext.RegIncBeta(k, m-k+1, q) // P(X ≥ k)
	lc, _ := math.Lgamma(m + 1)
	l1, _ := math.Lgamma(k + 1)
	l2, _ := math.Lgamma(m - k + 1)
	eq := math.Exp(lc - l1 - l2 + k*math.Log(q) + (m-k)*math.Log1p(-q))
	return max(ge-eq/2, eq/2, 1e-300)
}

// sidakSurprise returns −log10 of 1 − (1 − p)^n, the smallest of n p-values
// corrected for taking the smallest.
func sidakSurprise(p float64, n int) float64 {
	if n <= 1 {
		return max(-math.Log10(p), 0)
	}
	// 1 − (1−p)^n = −expm1(n·log1p(−p)), exact for tiny p.
	c := -math.Expm1(float64(n) * math.Log1p(-p))
	if c <= 0 {
		return max(-math.Log10(p)-math.Log10(float64(n)), 0)
	}
	return max(-math.Log10(c), 0)
}
