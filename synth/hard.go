package synth

import (
	"math/rand/v2"
	"slices"
)

// seqHard is the PCG stream of the harder background's choices: a stream of its own,
// so that without Config.Hard every file stays byte-identical.
const seqHard uint64 = 0x5eed00ff

// hardHabits are the benign first contacts Config.Hard adds to a user: it may be a new
// hire (inactive before its first hour, then reaching the servers its peers use), have
// its workstation rebuilt (a fresh source computer from some hour on), roam (log on
// from other workstations now and then: admins, lab users) or be a helpdesk account
// (from any workstation, to a new host half of the time).
type hardHabits struct {
	start     int     // first active hour (new hires); 0 for everyone else
	rebuildAt int     // hour from which the user works from newHome; 0: never
	newHome   int32   // the rebuilt workstation
	roam      float64 // probability that a network logon comes from another workstation
	helpdesk  bool
}

// The shares of the harder background (Config.Hard).
const (
	hardNewHires = 0.10  // of the users: start at a random hour after the first two days
	hardRebuilt  = 0.05  // of the users: workstation rebuilt at a random hour
	hardRoamers  = 0.15  // of the users: roam with probability hardRoamP (admins: 0.3)
	hardRoamP    = 0.05  // a roamer's share of logons from another workstation
	hardHelpdesk = 0.005 // of the users, at least two
)

// addHardHabits gives the users of w their hardHabits. Reserved users (a replayed red
// team's accounts) are never new hires, so that their replayed logons meet a history.
func (w *world) addHardHabits(cfg Config, res reserved) {
	r := rand.New(rand.NewPCG(cfg.Seed, seqHard))
	hours := cfg.Days * hoursPerDay
	// Spare workstations (nobody's home) become the rebuilt ones.
	var spare []int32
	for _, c := range w.workstations {
		if _, owned := w.owner[c]; !owned {
			spare = append(spare, c)
		}
	}
	helpdesk := max(2, int(hardHelpdesk*float64(len(w.users))+0.5))
	for i := range w.users {
		u := &w.users[i]
		reservedUser := slices.Contains(res.users, u.id)
		h := &u.hard
		if !reservedUser && r.Float64() < hardNewHires && hours > 3*hoursPerDay {
			h.start = 2*hoursPerDay + r.IntN(hours-2*hoursPerDay)
		}
		if len(spare) > 0 && r.Float64() < hardRebuilt && hours > 2*hoursPerDay {
			j := r.IntN(len(spare))
			if !slices.Contains(w.avoid[u.id], spare[j]) {
				h.rebuildAt = hoursPerDay + r.IntN(hours-hoursPerDay)
				h.newHome = spare[j]
				spare = slices.Delete(spare, j, j+1)
			}
		}
		switch {
		case u.admin:
			h.roam = 0.3
		case r.Float64() < hardRoamers:
			h.roam = hardRoamP
		}
		if !reservedUser && helpdesk > 0 && r.Float64() < 4*hardHelpdesk {
			h.helpdesk, h.roam = true, 0.5
			helpdesk--
		}
	}
}

// homeAt is the workstation user u works from in hour h.
func (u *user) homeAt(h int) int32 {
	if u.hard.rebuildAt > 0 && h >= u.hard.rebuildAt {
		return u.hard.newHome
	}
	return u.home
}

// sourceAt is the source computer of one of u's network logons in hour h: its
// workstation, or with a roamer's probability another one.
func (w *world) sourceAt(r *rand.Rand, u *user, h int) int32 {
	if u.hard.roam > 0 && r.Float64() < u.hard.roam {
		c := w.workstations[r.IntN(len(w.workstations))]
		if !slices.Contains(w.avoid[u.id], c) {
			return c
		}
	}
	return u.homeAt(h)
}
