package synth

import (
	"fmt"
	"math"

	"github.com/lanlq/lanlq/lanl"
)

// Config sets the size and randomness of a generated data set.
type Config struct {
	// Days is the number of days of telemetry; time runs from 1 to Days*86400-1 seconds.
	Days int
	// Scale multiplies the number of events (linearly) and the number of users,
	// computers and processes (as its square root: an enterprise twice as busy is not
	// twice as big).
	Scale float64
	// Users and Computers, when positive, fix the enterprise's size instead of
	// deriving it from Scale: Users people with an account each, Computers machines in
	// all (workstations, servers, hubs and DCs; at least Users + Users/12 + 14 of them).
	// LANLConfig sets both to LANL's.
	Users, Computers int
	// Seed fixes every random choice: the same Config gives byte-identical files.
	Seed uint64
	// Replay, when set, is a LANL redteam file (time,user@domain,src,dst) whose lines
	// are replayed as the red team instead of synthetic campaigns. Days then defaults
	// to cover its last line.
	Replay string
	// Hard makes the background harder on purpose, with more benign first contacts:
	// new hires (10% of the users start after the second day), rebuilt workstations
	// (5% move to a fresh one), roaming users and admins (network logons from other
	// workstations) and helpdesk accounts (from anywhere, to a new host half of the
	// time). A replayed red team's accounts are never new hires.
	Hard bool
	// Progress, when set, is called from one goroutine after each generated hour
	// of the largest stream with the hours done and the total.
	Progress func(done, total int)
}

// DefaultConfig is five days at scale 1: about three million events.
func DefaultConfig() Config { return Config{Days: 5, Scale: 1, Seed: 1} }

// LANL's size and rate (the cyber1 data set: 1.647 billion events over 1,392 hours,
// auth 1.05 B, proc 426 M, flows 130 M, dns 41 M; 12,425 users, 17,684 computers).
const (
	LANLUsers         = 12_425
	LANLComputers     = 17_684
	LANLEventsPerHour = 1_183_000
	// LANLScale is the Scale that generates LANLEventsPerHour on average over a week
	// (auth 757 k, proc 308 k, flows 95 k, dns 24 k an hour: the stream shares are
	// the generator's, whose dns share of 2 % is a little under LANL's 2.5 %).
	LANLScale = LANLEventsPerHour * hoursPerDay / float64(eventsPerDay)
)

// LANLConfig is days of a LANL-sized enterprise at LANL's event rate.
func LANLConfig(days int) Config {
	return Config{Days: days, Scale: LANLScale, Users: LANLUsers, Computers: LANLComputers, Seed: 1}
}

func (c Config) validate() error {
	switch {
	case c.Days <= 0:
		return fmt.Errorf("%w: days must be positive, got %d", ErrConfig, c.Days)
	case c.Days > 366:
		return fmt.Errorf("%w: days must be at most 366, got %d", ErrConfig, c.Days)
	case !(c.Scale > 0) || math.IsInf(c.Scale, 0):
		return fmt.Errorf("%w: scale must be a positive number, got %g", ErrConfig, c.Scale)
	case c.Scale > 1e4:
		return fmt.Errorf("%w: scale must be at most 10000, got %g", ErrConfig, c.Scale)
	case c.Users < 0 || c.Users > maxEntities:
		return fmt.Errorf("%w: users must be between 0 (from scale) and %d, got %d", ErrConfig, maxEntities, c.Users)
	case c.Computers < 0 || c.Computers > maxEntities:
		return fmt.Errorf("%w: computers must be between 0 (from scale) and %d, got %d", ErrConfig, maxEntities, c.Computers)
	}
	if c.Computers > 0 {
		users, servers, _ := entityCounts(c)
		if need := users + servers + len(hubIDs) + len(dcIDs); c.Computers < need {
			return fmt.Errorf("%w: %d computers cannot hold %d users' workstations, %d servers and %d hubs and DCs: at least %d are needed",
				ErrConfig, c.Computers, users, servers, len(hubIDs)+len(dcIDs), need)
		}
	}
	return nil
}

// maxEntities bounds Users and Computers (ids stay well inside int32).
const maxEntities = 10_000_000

// StreamNames are the files Generate writes, as outDir/NAME.txt.gz, in LANL's order.
var StreamNames = lanl.Names()

// Summary describes what Generate wrote.
type Summary struct {
	// Lines and Bytes (compressed) per stream name, "redteam" included.
	Lines map[string]int64
	Bytes map[string]int64
	// Campaigns is the number of red-team campaigns (replayed files count as one
	// campaign per user and source computer).
	Campaigns int
	// Users, Computers and Processes count the background's entities.
	Users, Computers, Processes int
	// Seconds is the last second covered (Days*86400-1).
	Seconds int64
}

// Events is the number of telemetry events written (redteam excluded: its lines
// repeat auth events).
func (s Summary) Events() int64 {
	var n int64
	for name, l := range s.Lines {
		if name != "redteam" {
			n += l
		}
	}
	return n
}
