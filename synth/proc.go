package synth

import "math/rand/v2"

// procGen generates proc.txt: computer accounts and services starting and ending
// programs around the clock, people doing so on their workstations by day. Program
// names follow a Zipf law with a per-host tail.
type procGen struct {
	w      *world
	r      *rand.Rand
	scale  float64
	active activeUsers
}

func newProcGen(w *world, cfg Config) *procGen {
	return &procGen{w: w, r: rand.New(rand.NewPCG(cfg.Seed, seqProc)), scale: cfg.Scale, active: activeUsers{w: w}}
}

// processRun appends a Start and, with probability endP, its End after a heavy-tailed
// run time.
func processRun(out []timed[procEvent], r *rand.Rand, t int64, e procEvent, endP float64) []timed[procEvent] {
	e.action = actStart
	out = append(out, timed[procEvent]{t, e})
	if r.Float64() < endP {
		e.action = actEnd
		out = append(out, timed[procEvent]{t + heavyInt(r, 2.5, 2.2, 24*secondsPerHour), e})
	}
	return out
}

func (g *procGen) fill(h int, out []timed[procEvent]) []timed[procEvent] {
	w, r := g.w, g.r
	b := procRate.hourBudget(r, h, g.scale)
	start := len(out)
	for len(out)-start < b.machine {
		t := randomSecond(r, h)
		m := w.computers[w.machine.pick(r)]
		p := machineP(m)
		switch x := r.Float64(); {
		case x < 0.08:
			p = principal{kind: pkSystem, id: m}
		case x < 0.11:
			p = principal{kind: pkLocalService, id: m}
		}
		out = processRun(out, r, t, procEvent{user: p, comp: m, proc: w.process(r, m)}, 0.85)
	}
	g.active.refill(h)
	start = len(out)
	for len(out)-start < b.human {
		t := randomSecond(r, h)
		u := g.active.draw(r)
		comp := u.home
		if r.Float64() < 0.12 {
			comp = habit(r, u)
		}
		out = processRun(out, r, t, procEvent{user: userP(u.id), comp: comp, proc: w.process(r, comp)}, 0.8)
	}
	return out
}
