package graphkit

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"gonum.org/v1/gonum/mathext"
)

// KindPair selects the edges between two kinds of artifacts (in either order) whose
// first occurrence is a first contact, e.g. {user, computer}.
type KindPair struct{ A, B Kind }

// DefaultNoveltyPairs returns the kind pairs whose first contacts mean "someone went
// somewhere new": who met whom, users and computers, for the kinds of the two built-in
// architectures that kinds has:
//
//	entity:   user–computer, computer–computer
//	notebook: userdomain_source–computer_destination, computer_source–computer_destination,
//	          userdomain_source–computer_source, userdomain_destination–computer_destination
//
// Pairs with a categorical artifact (auth type, logon type, result) are left out: they
// have a handful of values and every new user meets them once. Processes and ports
// are left out too (AllNoveltyPairs has them): their vocabularies are heavy-tailed and
// the anonymised ports ephemeral, so a computer meets a new one nearly every hour, and
// on the replayed LANL red team counting them cut novelty's average precision about
// sixfold (BENCHMARKS.md, "Detection").
func DefaultNoveltyPairs(kinds *Kinds) []KindPair {
	return lookupPairs(kinds, [][2]string{
		{"user", "computer"}, {"computer", "computer"},
		{"userdomain_source", "computer_destination"}, {"computer_source", "computer_destination"},
		{"userdomain_source", "computer_source"}, {"userdomain_destination", "computer_destination"},
	})
}

// AllNoveltyPairs returns DefaultNoveltyPairs and the first processes and ports of a
// computer:
//
//	entity:   process–computer, port–computer
//	notebook: process–computer_source, port_destination–computer_destination
func AllNoveltyPairs(kinds *Kinds) []KindPair {
	return append(DefaultNoveltyPairs(kinds), lookupPairs(kinds, [][2]string{
		{"process", "computer"}, {"port", "computer"},
		{"process", "computer_source"}, {"port_destination", "computer_destination"},
	})...)
}

func lookupPairs(kinds *Kinds, named [][2]string) []KindPair {
	var pairs []KindPair
	for _, nm := range named {
		a, okA := kinds.Lookup(nm[0])
		b, okB := kinds.Lookup(nm[1])
		if okA && okB {
			pairs = append(pairs, KindPair{a, b})
		}
	}
	return pairs
}

// NoveltyConfig configures a Novelty scorer. Zero fields take the defaults.
type NoveltyConfig struct {
	// Pairs are the kind pairs whose edges are contacts (required).
	Pairs []KindPair
	// Window, in intervals, is how long a contact is remembered: a pair not seen for
	// more than Window intervals is new again. 0 (the default) remembers forever.
	Window int
	// HalfLife, in intervals, of an artifact's first-contact rate history (default
	// DefaultMemory).
	HalfLife float64
	// PriorWeight is how many active intervals of its kind's average first-contact
	// rate an artifact's rate starts from (default 2).
	PriorWeight float64
	// Graded counts every contact by how unfamiliar it is, 1/(1+c) with c the number
	// of earlier intervals in which the pair met: a first contact counts 1, a pair met
	// once before ½, a daily habit of a month 1/31. False counts first contacts only.
	// Why: an attacker returns to the hosts it reached an hour ago, and those second
	// and third contacts are as foreign to the host's habits as the first; counting
	// them gives the hours after the first their evidence, while a habit of weeks
	// weighs next to nothing.
	Graded bool
	// Counterpart divides each contact's count by 1 + the counterpart's own expected
	// novelty (its posterior mean rate, before this interval): meeting a hub or a
	// scanner that meets someone new every hour is less news than meeting a
	// workstation that never does.
	Counterpart bool
}

// Novelty scores first contacts between typed artifacts with long memory.
//
// Every edge {a,b} of the interval whose kinds form one of Pairs is a contact; it is a
// first contact when the pair was never seen before (or not within Window). An
// artifact's novelty in an interval is k, the number of its first contacts (with
// Graded and Counterpart, the weighted sum of its contacts described there), judged
// against its own rate of first contacts: the intervals in which it had contacts of
// these kinds are Poisson draws of a rate λ with a Gamma(α, β) posterior,
//
//	α = ½ + A + w·m_K,   β = N + w,
//
// A the (discounted) number of its past first contacts, N the (discounted) number of
// its past active intervals, m_K the mean first contacts per active interval of its
// kind, w = PriorWeight and ½ Jeffreys' shape. The new contacts k then follow the
// posterior predictive, a negative binomial, and Surprise = −log10 P(K ≥ k). So a
// server that meets new clients every hour (λ ≈ k) is no news, a workstation that
// never met anyone new and now meets three is, and a short history is judged by its
// kind with heavy tails. The interval in which an artifact first has contacts (all of
// them new by definition) has Surprise 0 and New set; its contacts are remembered but
// do not enter its rate. Artifacts absent from an interval are not counted as active:
// the rate is per active interval, so a machine used once a week is not judged by
// the hours it was off.
//
// Memory: the seen pairs (min id << 32 | max id, ids < 2³²) without Window are kept
// sorted and delta-coded (pairSet's packed part: 2–3 bytes a pair at LANL's spread of
// ids, 2 more with Graded for the visits so far) beside a hash table of the pairs met
// since the last merge, kept below about a sixteenth of them (under a byte a pair):
// 3.3–3.5 bytes a pair packed on LANL-rate data, 4.3–4.5 with the table
// (BENCHMARKS.md, "Novelty's pair set packed"), 10⁸ pairs in about 0.45 GB; a merge
// rebuilds one segment of at most 2²⁰ pairs at a time. With Window the set is the hash table
// alone (a key forgotten must go), at most 3/4 full: 8 bytes a slot, 4 more for the
// last interval seen and 4 with Graded, so 16–43 bytes a pair. Per artifact (dense
// ids) 16 bytes.
type Novelty struct {
	cfg   NoveltyConfig
	kinds *Kinds
	nk    int
	sel   []bool // [ka*nk+kb]: edges between kinds ka and kb are contacts
	rowOK []bool // [ka]: kind ka takes part in some pair
	seen  pairSet

	rates rateHistory
	intervalClock

	count  []int32   // per local vertex: first contacts this interval
	weight []float64 // per local vertex: weighted contacts this interval (Graded, Counterpart)
	expect []float64 // per local vertex: its expected novelty before this interval (Counterpart)
	active []bool    // per local vertex: had a contact this interval
	grades []float32 // per adjacency slot of the last graph: the contact's familiarity (Grades)
}

// NewNovelty returns a Novelty scorer over the artifacts typed by kinds.
func NewNovelty(kinds *Kinds, cfg NoveltyConfig) (*Novelty, error) {
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultMemory
	}
	if cfg.PriorWeight == 0 {
		cfg.PriorWeight = 2
	}
	switch {
	case len(cfg.Pairs) == 0:
		return nil, fmt.Errorf("%w: novelty without kind pairs", ErrInvalidConfig)
	case cfg.Window < 0:
		return nil, fmt.Errorf("%w: novelty window %d", ErrInvalidConfig, cfg.Window)
	case !(cfg.HalfLife > 0) || math.IsInf(cfg.HalfLife, 0) || !(cfg.PriorWeight > 0):
		return nil, fmt.Errorf("%w: novelty half-life %v, prior weight %v", ErrInvalidConfig, cfg.HalfLife, cfg.PriorWeight)
	}
	nk := max(len(kinds.Names), 1)
	nv := &Novelty{
		cfg: cfg, kinds: kinds, nk: nk,
		sel: make([]bool, nk*nk), rowOK: make([]bool, nk),
		rates: newRateHistory(nk, cfg.HalfLife, cfg.PriorWeight),
	}
	for _, p := range cfg.Pairs {
		if int(p.A) >= nk || int(p.B) >= nk {
			return nil, fmt.Errorf("%w: kind pair %v outside the %d kinds", ErrInvalidConfig, p, nk)
		}
		nv.sel[int(p.A)*nk+int(p.B)], nv.sel[int(p.B)*nk+int(p.A)] = true, true
		nv.rowOK[p.A], nv.rowOK[p.B] = true, true
	}
	nv.seen.windowed = cfg.Window > 0
	nv.seen.counted = cfg.Graded
	return nv, nil
}

// Update scores interval `interval` (intervals in increasing order, gaps allowed) and
// remembers its contacts. It returns one Evidence per vertex of g, parallel to g.IDs,
// written into dst (grown as needed): Value the number of first contacts, Expected
// the artifact's expected number (the posterior mean α/β), Surprise the negative
// binomial tail. Vertices without contacts of the selected kinds get a zero Evidence.
// Artifact ids must be below 2³² and inside the kind table (else it panics).
func (nv *Novelty) Update(interval int, g *Graph, dst []Evidence) []Evidence {
	elapsed, rel := nv.advance("Novelty", interval)

	n := g.NumVertices()
	nv.count = grow(nv.count, n)
	nv.weight = grow(nv.weight, n)
	nv.active = grow(nv.active, n)
	clear(nv.count)
	clear(nv.weight)
	clear(nv.active)
	nv.grades = grow(nv.grades, len(g.Nbrs))
	clear(nv.grades)
	if n > 0 {
		if last := g.IDs[n-1]; last >= 1<<32-1 || g.IDs[0] < 0 {
			panic(fmt.Sprintf("graphkit: Novelty needs artifact ids in [0, 2³²−1), got %d..%d", g.IDs[0], last))
		}
		nv.kinds.Of(g.IDs[n-1]) // the kind table covers every id
		nv.rates.cover(g.IDs[n-1])
	}

	if nv.cfg.Counterpart {
		// Each artifact's expected novelty (posterior mean), once per interval rather
		// than once per contact.
		nv.expect = grow(nv.expect, n)
		for v, id := range g.IDs {
			if kind := nv.kinds.ByID[id]; nv.rowOK[kind] {
				_, _, alpha, beta := nv.rates.posterior(id, kind, rel)
				nv.expect[v] = alpha / beta
			}
		}
	}

	// Contacts: each undirected edge once, from its lower-indexed end (so ids a < b).
	nk := nv.nk
	byID := nv.kinds.ByID
	for v := range n {
		ka := int(byID[g.IDs[v]])
		if !nv.rowOK[ka] {
			continue
		}
		nbrs, _ := g.Neighbors(v)
		lo, _ := slices.BinarySearch(nbrs, int32(v+1))
		for j, u := range nbrs[lo:] {
			if !nv.sel[ka*nk+int(byID[g.IDs[u]])] {
				continue
			}
			nv.active[v], nv.active[u] = true, true
			key := uint64(g.IDs[v])<<32 | uint64(g.IDs[u])
			met, first := nv.seen.visit(key, uint32(rel), uint32(nv.cfg.Window))
			if first {
				nv.count[v]++
				nv.count[u]++
			}
			w := 0.0
			switch {
			case first:
				w = 1
			case nv.cfg.Graded:
				w = 1 / (1 + float64(met))
			}
			// Both slots of the edge: v's row at j, u's row where v is.
			nv.grades[g.Offsets[v]+lo+j] = float32(1 / (1 + float64(met)))
			ru, _ := g.Neighbors(int(u))
			iu, _ := slices.BinarySearch(ru, int32(v))
			nv.grades[g.Offsets[u]+iu] = float32(1 / (1 + float64(met)))
			if w == 0 {
				continue
			}
			wv, wu := w, w
			if nv.cfg.Counterpart {
				wv /= 1 + nv.expect[u]
				wu /= 1 + nv.expect[v]
			}
			nv.weight[v] += wv
			nv.weight[u] += wu
		}
	}

	return nv.rates.scoreInterval(dst, g.IDs, byID, nv.active, elapsed, rel,
		func(v int) float64 { return nv.weight[v] }, negBinomSurprise)
}

// NewContacts returns the first contacts of each vertex in the last Update, parallel
// to that interval's Graph.IDs (valid until the next Update). With Graded or
// Counterpart, Evidence.Value is the weighted sum these are part of.
func (nv *Novelty) NewContacts() []int32 { return nv.count }

// Grades returns, per adjacency slot of the last Update's graph (parallel to g.Nbrs),
// the familiarity of the contact: 1/(1+c) for a pair met in c earlier intervals (1 a
// first contact); 0 for an edge that is no contact. The visits are counted only with
// Graded: without it every contact grades 1.
// Valid until the next Update.
func (nv *Novelty) Grades() []float32 { return nv.grades }

// Pairs returns the number of distinct pairs remembered (including, with a Window,
// expired ones not yet dropped) and the bytes the seen-pair set holds.
func (nv *Novelty) Pairs() (pairs int, bytes int) {
	return nv.seen.len(), nv.seen.bytes()
}

// negBinomSurprise returns −log10 P(K ≥ k) for K negative binomial, the Gamma(α, β)
// mixture of Poisson: P(K ≥ k) = I_{1/(1+β)}(k, α) for k ≥ 1. Where it underflows, the
// log of the probability of exactly k (a lower bound of the tail) keeps the ranking.
func negBinomSurprise(k, alpha, beta float64) float64 {
	if k <= 0 {
		return 0
	}
	x := 1 / (1 + beta)
	p := negBinomTail(k, alpha, x)
	if p > 1e-300 {
		return max(-math.Log10(p), 0)
	}
	lg1, _ := math.Lgamma(k + alpha)
	lg2, _ := math.Lgamma(k + 1)
	lg3, _ := math.Lgamma(alpha)
	lnP := lg1 - lg2 - lg3 + alpha*math.Log(beta*x) + k*math.Log(x)
	return -lnP / math.Ln10
}

// negBinomTail returns P(K ≥ k) = I_x(k, α) for K negative binomial with x = 1/(1+β).
func negBinomTail(k, alpha, x float64) float64 { return mathext.RegIncBeta(k, alpha, x) }

// pairSet is a set of non-zero uint64 keys, optionally with the (relative) interval
// each key was last visited (windowed) or the visits so far (counted): an
// open-addressing hash table with linear probing, and when not windowed a packed
// sorted part (packedPairs) into which the table is merged as it fills, so that a
// grow-only set keeps about 2–5 bytes a pair rather than the table's 11–43.
type pairSet struct {
	keys     []uint64
	lastSeen []uint32 // parallel to keys when windowed
	met      []uint32 // parallel to keys when counted: the visits so far
	windowed bool
	counted  bool
	count    int  // keys in the table
	shift    uint // 64 − log2(len(keys))

	// packed holds, when not windowed, the keys merged out of the table (see
	// mergeDue), in segments of consecutive keys: a key is in one of the two.
	packed  []packedPairs
	packedN int // keys in packed
	seg     int // the segment last used

	// The keys added or changed since the set was last saved or loaded, while logging
	// (see GrowingSet): duplicates allowed, dropped (lost) when they outgrow a share of
	// the set, which is then saved whole.
	logging, logLost bool
	log              []uint64

	// ids, when set, maps the current artifact ids of the keys visited to the ids the
	// set keeps (see GrowingSet.SetIDs); nil keeps them as they are.
	ids []uint32
}

// note records that key was added or changed, for the next delta.
func (s *pairSet) note(key uint64) {
	s.log = append(s.log, key)
	if len(s.log) > max(s.len()/2, 1<<16) {
		s.log, s.logging, s.logLost = nil, false, true
	}
}

const pairSetMinSize = 1 << 10

func pairHash(k uint64) uint64 {
	// The finaliser of MurmurHash3: every key bit affects every hash bit.
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	k *= 0xc4ceb9a64ed3fe53
	k ^= k >> 33
	return k
}

// grow makes room for one more key, keeping the table at most 3/4 full; with a
// window it first drops the expired keys, and grows only if that is not enough.
func (s *pairSet) grow(now, window uint32) {
	if s.windowed && s.count > 0 {
		s.expire(now, window)
		// Keep the size only if expiry freed a good part of it, so that a table of live
		// keys is not scanned again at every insertion.
		if (s.count+1)*2 <= len(s.keys) {
			return
		}
	}
	size := max(len(s.keys), pairSetMinSize)
	for (s.count+1)*4 > size*3 {
		size *= 2
	}
	s.rehash(size)
}

func (s *pairSet) rehash(size int) {
	oldKeys, oldLast, oldMet := s.keys, s.lastSeen, s.met
	s.keys = make([]uint64, size)
	if s.windowed {
		s.lastSeen = make([]uint32, size)
	}
	if s.counted {
		s.met = make([]uint32, size)
	}
	s.shift = uint(64 - bits.TrailingZeros(uint(size)))
	mask := uint64(size - 1)
	for i, k := range oldKeys {
		if k == 0 {
			continue
		}
		j := pairHash(k) >> s.shift
		for s.keys[j] != 0 {
			j = (j + 1) & mask
		}
		s.keys[j] = k
		if s.windowed {
			s.lastSeen[j] = oldLast[i]
		}
		if s.counted {
			s.met[j] = oldMet[i]
		}
	}
}

// visit records key at interval now and reports whether it is new: absent, or (with
// a window) last visited more than window intervals before now. met is the number of
// earlier visits (counted sets only; 0 when new, a stale key starting over).
func (s *pairSet) visit(key uint64, now, window uint32) (met uint32, isNew bool) {
	if s.ids != nil {
		key = uint64(s.ids[key>>32])<<32 | uint64(s.ids[key&(1<<32-1)])
	}
	if (s.count+1)*4 > len(s.keys)*3 {
		// Before the lookups: a merge moves the table's keys to the packed part.
		if s.mergeDue() {
			s.merge()
		} else {
			s.grow(now, window)
		}
	}
	if s.packedN > 0 {
		if p, i, ok := s.findPacked(key); ok {
			if s.counted {
				met = p.getMet(i, key)
				p.setMet(i, key, min(met, math.MaxUint32-1)+1)
				if s.logging {
					s.note(key)
				}
			}
			return met, false
		}
	}
	mask := uint64(len(s.keys) - 1)
	j := pairHash(key) >> s.shift
	for {
		switch s.keys[j] {
		case key:
			stale := false
			if s.windowed {
				stale = now-s.lastSeen[j] > window
				s.lastSeen[j] = now
			}
			if s.counted {
				if stale {
					s.met[j] = 0
				}
				met = s.met[j]
				s.met[j] = min(met, math.MaxUint32-1) + 1
			}
			if stale {
				met = 0
			}
			if s.logging && (s.windowed || s.counted) {
				s.note(key)
			}
			return met, stale
		case 0:
			s.keys[j] = key
			if s.windowed {
				s.lastSeen[j] = now
			}
			if s.counted {
				s.met[j] = 1
			}
			s.count++
			if s.logging {
				s.note(key)
			}
			return 0, true
		}
		j = (j + 1) & mask
	}
}

// expire drops the keys last visited more than window intervals before now.
func (s *pairSet) expire(now, window uint32) {
	if !s.windowed || len(s.keys) == 0 {
		return
	}
	live := 0
	for i, k := range s.keys {
		if k != 0 && now-s.lastSeen[i] <= window {
			live++
		}
	}
	if live == s.count {
		return
	}
	keys, last, met := s.keys, s.lastSeen, s.met
	size := len(keys)
	s.keys, s.lastSeen, s.met, s.count = nil, nil, nil, 0
	s.keys = make([]uint64, size)
	s.lastSeen = make([]uint32, size)
	if s.counted {
		s.met = make([]uint32, size)
	}
	mask := uint64(size - 1)
	for i, k := range keys {
		if k == 0 || now-last[i] > window {
			continue
		}
		j := pairHash(k) >> s.shift
		for s.keys[j] != 0 {
			j = (j + 1) & mask
		}
		s.keys[j], s.lastSeen[j] = k, last[i]
		if s.counted {
			s.met[j] = met[i]
		}
		s.count++
	}
}

func (s *pairSet) bytes() int {
	per := 8
	if s.windowed {
		per += 4
	}
	if s.counted {
		per += 4
	}
	b := per * len(s.keys)
	for i := range s.packed {
		b += s.packed[i].bytes()
	}
	return b
}
