package synth

import (
	"math/rand/v2"

	"github.com/lanlq/lanlq/lanl"
)

// PCG stream selectors: every generator draws from its own PCG(seed, seq) source, so
// streams generated in parallel goroutines stay deterministic.
const (
	seqWorld uint64 = 0x5eed0001 + iota
	seqRedTeam
	seqAuth
	seqProc
	seqFlows
	seqDNS
)

const (
	secondsPerHour = 3600
	hoursPerDay    = 24
	// eventsPerDay is the mean number of events a day at scale 1 (LANL has about
	// 28 million a day; scale 1 is a 2 % sample that generates in seconds).
	eventsPerDay = 600_000
	// weekendFactor scales human activity on Saturdays and Sundays.
	weekendFactor = 0.22
)

// firstWeekday is the weekday of day 0, the LANL origin's.
var firstWeekday = int(lanl.Origin.Weekday())

// diurnal is the share of the working population active in each hour of the day.
var diurnal = [hoursPerDay]float64{
	0.06, 0.05, 0.04, 0.04, 0.05, 0.09, 0.20, 0.45, 0.80, 0.95, 1.00, 1.00,
	0.85, 0.95, 1.00, 0.95, 0.85, 0.60, 0.35, 0.25, 0.18, 0.14, 0.10, 0.08,
}

// isWeekend reports whether global hour h falls on a Saturday or Sunday.
func isWeekend(h int) bool {
	wd := (firstWeekday + h/hoursPerDay) % 7
	return wd == 0 || wd == 6
}

// humanActivity is the population's activity in global hour h, in [0, 1].
func humanActivity(h int) float64 {
	a := diurnal[h%hoursPerDay]
	if isWeekend(h) {
		a *= weekendFactor
	}
	return a
}

// userActivity is user u's activity in global hour h: the diurnal curve shifted by
// the user's phase, scaled by its weight and weekend habit.
func userActivity(u *user, h int) float64 {
	if h < u.hard.start {
		return 0 // a new hire not yet arrived
	}
	a := diurnal[(h%hoursPerDay-u.phase+hoursPerDay)%hoursPerDay]
	if isWeekend(h) {
		a *= u.weekend
	}
	return a * u.weight
}

// meanHumanActivity is humanActivity averaged over a week.
func meanHumanActivity() float64 {
	var s float64
	for h := range 7 * hoursPerDay {
		s += humanActivity(h)
	}
	return s / (7 * hoursPerDay)
}

// budget is how many lines a stream generates in one hour, split into machine-driven
// lines (constant over the day) and human-driven ones (following humanActivity).
type budget struct{ machine, human int }

// streamRate fixes a stream's volume: its share of all events (LANL: auth 64 %,
// proc 26 %, flows 8 %, dns 2 %) and the part of it machines drive around the clock.
type streamRate struct {
	share        float64
	machineShare float64
}

var (
	authRate  = streamRate{share: 0.64, machineShare: 0.45}
	procRate  = streamRate{share: 0.26, machineShare: 0.50}
	flowsRate = streamRate{share: 0.08, machineShare: 0.35}
	dnsRate   = streamRate{share: 0.02, machineShare: 0.6}
)

// hourBudget draws the line budget of global hour h: its expectation averaged over a
// week is share × eventsPerDay × scale / 24, with a few percent of noise per hour.
func (s streamRate) hourBudget(r *rand.Rand, h int, scale float64) budget {
	perHour := s.share * eventsPerDay * scale / hoursPerDay
	base := perHour / (s.machineShare + (1-s.machineShare)*meanHumanActivity())
	noise := max(0.7, 1+0.05*r.NormFloat64())
	return budget{
		machine: int(base*s.machineShare*noise + r.Float64()),
		human:   int(base*(1-s.machineShare)*humanActivity(h)*noise + r.Float64()),
	}
}
