package synth

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
)

// Campaign kinds in truth.json.
const (
	KindBurst  = "burst"  // tens to hundreds of logons within a few hours
	KindTiny   = "tiny"   // fewer than 10 logons
	KindReplay = "replay" // lines of a replayed LANL redteam file
)

// Campaign is one red-team campaign: a compromised user logging on from one source
// workstation to targets it never used before.
type Campaign struct {
	ID      int      `json:"id"`
	Kind    string   `json:"kind"`
	User    string   `json:"user"`
	Source  string   `json:"source"`
	Targets []string `json:"targets"`
	// Start and End are the times of the first and last red-team logon (seconds).
	Start int64 `json:"start"`
	End   int64 `json:"end"`
	// Events is the number of red-team logons (lines of redteam.txt.gz).
	Events int `json:"events"`
}

// Truth is the content of truth.json: how the data set was made and its campaigns.
type Truth struct {
	Seed      uint64     `json:"seed"`
	Days      int        `json:"days"`
	Scale     float64    `json:"scale"`
	Users     int        `json:"users,omitempty"`
	Computers int        `json:"computers,omitempty"`
	Replay    string     `json:"replay,omitempty"`
	Campaigns []Campaign `json:"campaigns"`
}

// ReadTruth reads a truth.json written by Generate.
func ReadTruth(path string) (Truth, error) {
	var t Truth
	b, err := os.ReadFile(path)
	if err != nil {
		return t, fmt.Errorf("synth: %w", err)
	}
	if err := json.Unmarshal(b, &t); err != nil {
		return t, fmt.Errorf("synth: %s: %w", path, err)
	}
	return t, nil
}

// redTeam is the red team's plan: its lines and the events they cause in each stream.
type redTeam struct {
	campaigns []Campaign
	lines     []timed[rtLine]
	auth      []timed[authEvent]
	proc      []timed[procEvent]
	flows     []timed[flowEvent]
	dns       []timed[dnsEvent]
}

// planCampaigns draws synthetic campaigns: about 1.4 a day, two in five of them
// bursts, each from one of a few footholds (LANL's red team worked mostly from one
// workstation, C17693) as a user who never logged on to its targets before.
func planCampaigns(w *world, cfg Config) *redTeam {
	r := rand.New(rand.NewPCG(cfg.Seed, seqRedTeam))
	n := max(2, int(math.Round(1.4*float64(cfg.Days))))
	kinds := make([]string, n)
	for i := range kinds {
		kinds[i] = KindTiny
		if i < max(1, n*2/5) {
			kinds[i] = KindBurst
		}
	}
	r.Shuffle(n, func(i, j int) { kinds[i], kinds[j] = kinds[j], kinds[i] })

	// Footholds: preferably workstations nobody calls home.
	spare := w.workstations[len(w.users):]
	if len(spare) == 0 {
		spare = w.workstations
	}
	footholds := []int32{spare[r.IntN(len(spare))]}
	for range 2 {
		footholds = append(footholds, w.workstations[r.IntN(len(w.workstations))])
	}

	end := int64(cfg.Days) * 86400
	used := map[int]bool{}
	rt := &redTeam{}
	for i, kind := range kinds {
		ui := r.IntN(len(w.users))
		for tries := 0; (used[ui] || w.users[ui].admin) && tries < 50; tries++ {
			ui = r.IntN(len(w.users))
		}
		used[ui] = true
		u := &w.users[ui]
		src := footholds[0]
		if r.Float64() < 0.3 {
			src = footholds[1+r.IntN(len(footholds)-1)]
		}

		var events, nTargets int
		var window int64
		if kind == KindBurst {
			events = int(math.Round(math.Exp(math.Log(25) + r.Float64()*(math.Log(300)-math.Log(25)))))
			nTargets = max(5, int(float64(events)*(0.5+0.4*r.Float64())))
			window = 1200 + r.Int64N(9000)
		} else {
			events = 1 + r.IntN(9)
			nTargets = 1 + r.IntN(events)
			window = 60 + r.Int64N(5400)
		}
		targets := pickTargets(r, w, u, src, nTargets)
		if len(targets) == 0 {
			continue // a world too small to hold a target: no campaign
		}
		w.avoid[u.id] = append(w.avoid[u.id], targets...)

		day := int64(i * cfg.Days / n)
		hour := int64(8 + r.IntN(11))
		if r.Float64() < 0.2 {
			hour = int64(r.IntN(24))
		}
		start := day*86400 + hour*secondsPerHour + r.Int64N(secondsPerHour)
		start = max(1, min(start, end-window-120))

		times := make([]int64, events)
		for k := range times {
			times[k] = start + r.Int64N(window+1)
		}
		slices.Sort(times)
		for k := 1; k < events; k++ {
			if kind == KindBurst && r.Float64() < 0.15 {
				times[k] = times[k-1] // tools fire several logons in one second
			}
		}
		c := Campaign{ID: len(rt.campaigns) + 1, Kind: kind, User: string(appendPrincipal(nil, userP(u.id))),
			Source: string(appendComputer(nil, src)), Start: times[0], End: times[events-1], Events: events}
		for _, t := range targets {
			c.Targets = append(c.Targets, string(appendComputer(nil, t)))
		}
		for k, t := range times {
			dst := targets[k%len(targets)]
			if k >= len(targets) {
				dst = targets[r.IntN(len(targets))]
			}
			rt.lines = append(rt.lines, timed[rtLine]{t, rtLine{user: userP(u.id), src: src, dst: dst}})
		}
		rt.campaigns = append(rt.campaigns, c)
	}
	slices.SortStableFunc(rt.lines, func(a, b timed[rtLine]) int { return cmp.Compare(a.t, b.t) })
	rt.followOn(r, w, end)
	return rt
}

// pickTargets draws n distinct computers u never logs on to: workstations and
// ordinary servers outside u's habits, the hubs and DCs, and the source itself.
func pickTargets(r *rand.Rand, w *world, u *user, src int32, n int) []int32 {
	cands := slices.Concat(w.workstations, w.servers)
	var out []int32
	for tries := 0; len(out) < n && tries < 50*n; tries++ {
		c := cands[r.IntN(len(cands))]
		if c == src || w.infra[c] || w.habitual(u, c) || slices.Contains(out, c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// followOn turns red-team lines into events: the successful NTLM network logon
// itself (LANL's red team used those), its LogOff, the SMB flow to port 445 that
// carried it, often a DNS lookup of the target and a tool process started there.
func (rt *redTeam) followOn(r *rand.Rand, w *world, end int64) {
	tools := map[principal]int32{}
	for _, l := range rt.lines {
		t, e := l.t, l.e
		rt.auth = append(rt.auth, timed[authEvent]{t, authEvent{e.user, e.user, e.src, e.dst, atNTLM, ltNetwork, dirLogOn, resSuccess}})
		if r.Float64() < 0.8 {
			rt.auth = append(rt.auth, timed[authEvent]{t + r.Int64N(30), authEvent{e.user, e.user, e.dst, e.dst, atUnknown, ltNetwork, dirLogOff, resSuccess}})
		}
		if r.Float64() < 0.4 && t > 1 {
			rt.dns = append(rt.dns, timed[dnsEvent]{t - 1, dnsEvent{e.src, e.dst}})
		}
		if r.Float64() < 0.9 {
			f := flowEvent{src: e.src, dst: e.dst, srcPort: ephemeralPort(r), dstPort: 445, protocol: 6}
			flowVolume(r, &f, true)
			rt.flows = append(rt.flows, timed[flowEvent]{t, f})
		}
		if r.Float64() < 0.7 {
			tool, ok := tools[e.user]
			if !ok { // a rare program from the vocabulary's tail
				tool = w.procs[len(w.procs)-1-r.IntN(max(1, len(w.procs)/4))]
				tools[e.user] = tool
			}
			rt.proc = processRun(rt.proc, r, t+1+r.Int64N(5), procEvent{user: e.user, comp: e.dst, proc: tool}, 0.6)
		}
	}
	rt.auth = sortedBefore(rt.auth, end)
	rt.proc = sortedBefore(rt.proc, end)
	rt.flows = sortedBefore(rt.flows, end)
	rt.dns = sortedBefore(rt.dns, end)
}

// sortedBefore sorts events by time (stably) and drops those at or after end.
func sortedBefore[E any](ev []timed[E], end int64) []timed[E] {
	slices.SortStableFunc(ev, func(a, b timed[E]) int { return cmp.Compare(a.t, b.t) })
	i, _ := slices.BinarySearchFunc(ev, end, func(e timed[E], t int64) int { return cmp.Compare(e.t, t) })
	return ev[:i]
}

func writeTruth(path string, t Truth) error {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}
