package synth

import "math/rand/v2"

// Well-known destination ports and how often clients use them.
var (
	flowPorts       = []int32{443, 80, 445, 389, 88, 53, 135, 139, 0}
	flowPortWeights = newSampler([]float64{24, 14, 18, 8, 7, 10, 5, 4, 10})
)

// flowsGen generates flows.txt: clients to servers on well-known ports from
// anonymised ephemeral ports, some records seen from the server side, some
// port-to-port, a little ICMP, with heavy-tailed durations and volumes.
type flowsGen struct {
	w      *world
	r      *rand.Rand
	scale  float64
	active activeUsers
}

func newFlowsGen(w *world, cfg Config) *flowsGen {
	return &flowsGen{w: w, r: rand.New(rand.NewPCG(cfg.Seed, seqFlows)), scale: cfg.Scale, active: activeUsers{w: w}}
}

// ephemeralPort is an anonymised client port N<k>.
func ephemeralPort(r *rand.Rand) int32 { return -(1 + r.Int32N(30000)) }

// flowVolume fills a flow's duration, packets and bytes; bulk marks file copies.
func flowVolume(r *rand.Rand, e *flowEvent, bulk bool) {
	if r.Float64() < 0.45 && !bulk {
		e.duration = 0
	} else {
		e.duration = heavyInt(r, 1.5, 1.8, 10*secondsPerHour)
	}
	mu := 1.2 + 0.35*float64(bitsLen(e.duration))
	if bulk {
		mu += 2.5
	}
	e.packets = 1 + heavyInt(r, mu, 1.3, 50_000_000)
	e.bytes = e.packets * (46 + heavyInt(r, 5, 1, 1454))
}

func bitsLen(x int64) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

func (g *flowsGen) fill(h int, out []timed[flowEvent]) []timed[flowEvent] {
	w, r := g.w, g.r
	b := flowsRate.hourBudget(r, h, g.scale)
	for range b.machine {
		client := w.computers[w.machine.pick(r)]
		server := w.siteDC[client]
		if r.Float64() < 0.6 {
			server = w.hubs[w.hubPick.pick(r)]
		}
		out = append(out, timed[flowEvent]{randomSecond(r, h), g.flow(client, server)})
	}
	g.active.refill(h)
	for range b.human {
		u := g.active.draw(r)
		var server int32
		switch x := r.Float64(); {
		case x < 0.6:
			server = habit(r, u)
		case x < 0.85:
			server = w.hubs[w.hubPick.pick(r)]
		default:
			server = u.dc
		}
		out = append(out, timed[flowEvent]{randomSecond(r, h), g.flow(u.home, server)})
	}
	return out
}

func (g *flowsGen) flow(client, server int32) flowEvent {
	r := g.r
	e := flowEvent{src: client, dst: server, srcPort: ephemeralPort(r), protocol: 6}
	switch port := flowPorts[flowPortWeights.pick(r)]; {
	case r.Float64() < 0.02: // ICMP carries no ports; LANL anonymises them anyway
		e.protocol, e.dstPort = 1, ephemeralPort(r)
	case port == 0: // RPC and other dynamic ports on both sides
		e.dstPort = ephemeralPort(r)
		if r.Float64() < 0.3 {
			e.protocol = 17
		}
	case port == 53, port == 88 && r.Float64() < 0.3:
		e.dstPort, e.protocol = port, 17
	default:
		e.dstPort = port
	}
	flowVolume(r, &e, false)
	if r.Float64() < 0.3 { // the record seen from the server's side
		e.src, e.dst, e.srcPort, e.dstPort = e.dst, e.src, e.dstPort, e.srcPort
	}
	return e
}
