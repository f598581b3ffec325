package graphkit

import (
	"fmt"
	"math"
)

// PeersConfig configures a Peers scorer. Zero fields take the defaults.
type PeersConfig struct {
	// Pairs are the (account kind, destination kind) pairs whose edges are contacts,
	// the account first: userdomain_source–computer_destination in the notebook
	// architecture, user–computer in the entity one (required).
	Pairs []KindPair
	// HubShare: a destination reached by more than this share of the accounts seen so
	// far is a hub (a DC, a file server) and makes no one a peer (default 0.05).
	HubShare float64
	// HalfLife, in intervals, of an artifact's rate history (default DefaultMemory).
	HalfLife float64
	// PriorWeight is how many active intervals of its kind's average rate an
	// artifact's rate starts from (default 2).
	PriorWeight float64
}

// Peers scores first contacts that no peer explains, an embedding of the history by
// its own neighbourhoods (item-based collaborative filtering, the two-step random walk
// account → destination → account → destination that link predictors over
// random-walk embeddings of the user–computer graph generalise, Bowman et al. 2020).
//
// An account's peers are the accounts that reached, in history, one of the
// destinations it reached, hubs excepted (a destination reached by more than HubShare
// of the accounts links everyone). A first contact of account u with destination d is
// peer-supported when d is a hub or some peer of u reached d before; otherwise it is
// unexplained. A new hire's first contacts are its team's servers (supported); an
// attacker's are hosts nobody around the account uses. Per interval, k counts each
// artifact's unexplained first contacts (the account's and the destination's) and is
// judged against its own rate as Switching does (Gamma posterior, negative binomial
// mid-p); an account's first interval in the history is New with Surprise 0 when it has
// no destinations to have peers by. The history learns each interval only after
// scoring it.
//
// Memory: each (account, destination) pair of the history twice, in slices (about 8
// bytes each), plus a pairSet of them (packed: about 2 bytes a pair, see Novelty); a
// query walks the accounts of d and, for each, its destinations, so hubs are skipped
// and a destination's account list is bounded by HubShare.
type Peers struct {
	cfg    PeersConfig
	kinds  *Kinds
	nk     int
	acct   []bool // [ka*nk+kb]: ka is an account kind whose edges to kb are contacts
	seen   pairSet
	dests  map[int64][]int64 // account → destinations, in order of first contact
	users  map[int64][]int64 // destination → accounts
	nUsers int

	rates rateHistory
	intervalClock

	newPairs    [][2]int64
	unexplained []int32
	firsts      []int32
	active      []bool
	mark        map[int64]bool
}

// NewPeers returns a Peers scorer.
func NewPeers(kinds *Kinds, cfg PeersConfig) (*Peers, error) {
	if cfg.HubShare == 0 {
		cfg.HubShare = 0.05
	}
	if cfg.HalfLife == 0 {
		cfg.HalfLife = DefaultMemory
	}
	if cfg.PriorWeight == 0 {
		cfg.PriorWeight = 2
	}
	switch {
	case len(cfg.Pairs) == 0:
		return nil, fmt.Errorf("%w: peers without kind pairs", ErrInvalidConfig)
	case !(cfg.HubShare > 0 && cfg.HubShare <= 1):
		return nil, fmt.Errorf("%w: peers hub share %v", ErrInvalidConfig, cfg.HubShare)
	case !(cfg.HalfLife > 0) || math.IsInf(cfg.HalfLife, 0) || !(cfg.PriorWeight > 0):
		return nil, fmt.Errorf("%w: peers half-life %v, prior weight %v", ErrInvalidConfig, cfg.HalfLife, cfg.PriorWeight)
	}
	nk := max(len(kinds.Names), 1)
	p := &Peers{cfg: cfg, kinds: kinds, nk: nk, acct: make([]bool, nk*nk),
		dests: map[int64][]int64{}, users: map[int64][]int64{},
		rates: newRateHistory(nk, cfg.HalfLife, cfg.PriorWeight), mark: map[int64]bool{}}
	for _, kp := range cfg.Pairs {
		if int(kp.A) >= nk || int(kp.B) >= nk {
			return nil, fmt.Errorf("%w: kind pair %v outside the %d kinds", ErrInvalidConfig, kp, nk)
		}
		p.acct[int(kp.A)*nk+int(kp.B)] = true
	}
	return p, nil
}

// DefaultPeerPairs returns the account–destination kind pairs of the built-in
// architectures that kinds has.
func DefaultPeerPairs(kinds *Kinds) []KindPair {
	return lookupPairs(kinds, [][2]string{{"userdomain_source", "computer_destination"}, {"user", "computer"}})
}

// isHub reports whether destination d is reached by more than HubShare of the accounts.
func (p *Peers) isHub(d int64) bool {
	return float64(len(p.users[d])) > p.cfg.HubShare*float64(max(p.nUsers, 1)) && len(p.users[d]) > 2
}

// supported reports whether a peer of account u reached destination d.
func (p *Peers) supported(u, d int64) bool {
	if p.isHub(d) {
		return true
	}
	mine := p.dests[u]
	if len(mine) == 0 {
		return false
	}
	clear(p.mark)
	for _, x := range mine {
		if !p.isHub(x) {
			p.mark[x] = true
		}
	}
	for _, v := range p.users[d] {
		if v == u {
			continue
		}
		for _, x := range p.dests[v] {
			if p.mark[x] {
				return true
			}
		}
	}
	return false
}

// Update scores interval `interval` (increasing, gaps allowed) and learns its contacts.
// It returns one Evidence per vertex of g, parallel to g.IDs, in dst (grown as needed).
// Artifact ids must be below 2³² and inside the kind table.
func (p *Peers) Update(interval int, g *Graph, dst []Evidence) []Evidence {
	elapsed, rel := p.advance("Peers", interval)
	n := g.NumVertices()
	p.unexplained = grow(p.unexplained, n)
	p.firsts = grow(p.firsts, n)
	p.active = grow(p.active, n)
	clear(p.unexplained)
	clear(p.firsts)
	clear(p.active)
	if n > 0 {
		if g.IDs[n-1] >= 1<<32-1 {
			panic(fmt.Sprintf("graphkit: Peers needs artifact ids below 2³²−1, got %d", g.IDs[n-1]))
		}
		p.rates.cover(g.IDs[n-1])
	}
	p.newPairs = p.newPairs[:0]
	byID := p.kinds.ByID
	for v := range n {
		u := g.IDs[v]
		ka := int(byID[u]) * p.nk
		if p.kinds.classOf(u) == ClassUnknown {
			continue
		}
		for _, w := range g.Nbrs[g.Offsets[v]:g.Offsets[v+1]] {
			d := g.IDs[w]
			if !p.acct[ka+int(byID[d])] || p.kinds.classOf(d) == ClassUnknown {
				continue
			}
			p.active[v], p.active[w] = true, true
			key := uint64(u)<<32 | uint64(d)
			if _, isNew := p.seen.visit(key, 0, 0); !isNew {
				continue
			}
			p.newPairs = append(p.newPairs, [2]int64{u, d})
			p.firsts[v]++
			p.firsts[w]++
			if !p.supported(u, d) {
				p.unexplained[v]++
				p.unexplained[w]++
			}
		}
	}

	dst = p.rates.scoreInterval(dst, g.IDs, byID, p.active, elapsed, rel,
		func(v int) float64 { return float64(p.unexplained[v]) }, negBinomMidSurprise)
	// Learn the interval's first contacts (in a fixed order: the graph's).
	for _, pr := range p.newPairs {
		u, d := pr[0], pr[1]
		if len(p.dests[u]) == 0 {
			p.nUsers++
		}
		p.dests[u] = append(p.dests[u], d)
		p.users[d] = append(p.users[d], u)
	}
	return dst
}

// Unexplained returns each vertex's first contacts in the last Update that no peer
// explains, and all its first contacts, parallel to that interval's Graph.IDs (valid
// until the next Update).
func (p *Peers) Unexplained() (unexplained, firsts []int32) { return p.unexplained, p.firsts }
