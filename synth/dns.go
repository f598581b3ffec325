package synth

import "math/rand/v2"

// dnsGen generates dns.txt: a few heavy resolvers, and lookups mostly of the hubs,
// DCs and each user's own servers.
type dnsGen struct {
	w      *world
	r      *rand.Rand
	scale  float64
	active activeUsers
}

func newDNSGen(w *world, cfg Config) *dnsGen {
	return &dnsGen{w: w, r: rand.New(rand.NewPCG(cfg.Seed, seqDNS)), scale: cfg.Scale, active: activeUsers{w: w}}
}

func (g *dnsGen) fill(h int, out []timed[dnsEvent]) []timed[dnsEvent] {
	w, r := g.w, g.r
	b := dnsRate.hourBudget(r, h, g.scale)
	for range b.machine {
		src := w.computers[w.dnsSrc.pick(r)]
		dst := w.dnsTargs[w.dnsDst.pick(r)]
		if r.Float64() < 0.1 {
			dst = w.workstations[r.IntN(len(w.workstations))]
		}
		out = append(out, timed[dnsEvent]{randomSecond(r, h), dnsEvent{src, dst}})
	}
	g.active.refill(h)
	for range b.human {
		u := g.active.draw(r)
		dst := w.dnsTargs[w.dnsDst.pick(r)]
		if r.Float64() < 0.2 {
			dst = habit(r, u)
		}
		out = append(out, timed[dnsEvent]{randomSecond(r, h), dnsEvent{u.home, dst}})
	}
	return out
}
