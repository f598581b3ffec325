package synth

import "math/rand/v2"

// activeUsers samples users by their activity in one hour; each generator keeps
// its own and refills it every hour.
type activeUsers struct {
	w    *world
	pick sampler
}

func (a *activeUsers) refill(h int) {
	a.pick.reset(func(i int) float64 { return userActivity(&a.w.users[i], h) }, len(a.w.users))
}

func (a *activeUsers) draw(r *rand.Rand) *user { return &a.w.users[a.pick.pick(r)] }

// habit draws one of u's habitual servers, the first ones most often.
func habit(r *rand.Rand, u *user) int32 {
	x := r.Float64()
	return u.servers[min(int(x*x*float64(len(u.servers))), len(u.servers)-1)]
}

// hourStart is the first second of global hour h (LANL time starts at 1).
func hourStart(h int) int64 { return max(1, int64(h)*secondsPerHour) }

func randomSecond(r *rand.Rand, h int) int64 {
	s := hourStart(h)
	return s + r.Int64N(int64(h+1)*secondsPerHour-s)
}

// networkSessionLength is how long a network logon lasts before its LogOff: most
// close in the same second, a few stay open for hours.
func networkSessionLength(r *rand.Rand) int64 {
	if r.Float64() < 0.6 {
		return 0
	}
	return heavyInt(r, 2, 1.6, 8*secondsPerHour)
}

// authGen generates auth.txt: computer accounts talking to DCs and hubs around the
// clock, services, anonymous NTLM to file servers, and people's Kerberos, NTLM,
// interactive and remote logons following their working day.
type authGen struct {
	w      *world
	r      *rand.Rand
	scale  float64
	active activeUsers
}

func newAuthGen(w *world, cfg Config) *authGen {
	return &authGen{w: w, r: rand.New(rand.NewPCG(cfg.Seed, seqAuth)), scale: cfg.Scale, active: activeUsers{w: w}}
}

func (g *authGen) fill(h int, out []timed[authEvent]) []timed[authEvent] {
	b := authRate.hourBudget(g.r, h, g.scale)
	start := len(out)
	for len(out)-start < b.machine {
		out = g.machineUnit(h, out)
	}
	g.active.refill(h)
	start = len(out)
	for len(out)-start < b.human {
		out = g.humanUnit(h, out)
	}
	return out
}

// logon appends a LogOn and, unless it fails, its LogOff on the destination after a
// session of the given length (negative: no LogOff).
func logon(out []timed[authEvent], t int64, e authEvent, failP float64, r *rand.Rand, session int64) []timed[authEvent] {
	if r.Float64() < failP {
		e.result = resFail
		return append(out, timed[authEvent]{t, e})
	}
	out = append(out, timed[authEvent]{t, e})
	if session >= 0 {
		off := e
		off.direction = dirLogOff
		off.authType = atUnknown
		off.srcComp = e.dstComp
		out = append(out, timed[authEvent]{t + session, off})
	}
	return out
}

func (g *authGen) machineUnit(h int, out []timed[authEvent]) []timed[authEvent] {
	w, r := g.w, g.r
	t := randomSecond(r, h)
	m := w.computers[w.machine.pick(r)]
	acct := machineP(m)
	x := r.Float64()
	switch {
	case x < 0.36: // computer account to its DC or a hub
		dst := w.siteDC[m]
		if r.Float64() < 0.35 {
			dst = w.hubs[w.hubPick.pick(r)]
		}
		e := authEvent{acct, acct, m, dst, atKerberos, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.008, r, networkSessionLength(r))
	case x < 0.46:
		return append(out, timed[authEvent]{t, authEvent{acct, acct, m, m, atUnknown, ltUnknown, dirTGS, resSuccess}})
	case x < 0.51:
		return append(out, timed[authEvent]{t, authEvent{acct, acct, m, w.siteDC[m], atKerberos, ltUnknown, dirTGT, resSuccess}})
	case x < 0.69:
		sys := principal{kind: pkSystem, id: m}
		return append(out, timed[authEvent]{t, authEvent{acct, sys, m, m, atNegotiate, ltService, dirLogOn, resSuccess}})
	case x < 0.75:
		svc := principal{kind: pkLocalService, id: m}
		if r.IntN(2) == 0 {
			svc.kind = pkNetworkService
		}
		return append(out, timed[authEvent]{t, authEvent{acct, svc, m, m, atNegotiate, ltService, dirLogOn, resSuccess}})
	case x < 0.87: // anonymous NTLM from a workstation to a file server
		ws := w.workstations[r.IntN(len(w.workstations))]
		hub := w.hubs[w.hubPick.pick(r)]
		anon := principal{kind: pkAnonymous, id: hub}
		e := authEvent{anon, anon, ws, hub, atNTLM, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.006, r, networkSessionLength(r))
	case x < 0.92:
		e := authEvent{acct, acct, m, m, atNegotiate, ltBatch, dirLogOn, resSuccess}
		return logon(out, t, e, 0.01, r, heavyInt(r, 3, 1.5, 4*secondsPerHour))
	default: // computer account to an application server
		dst := w.servers[r.IntN(len(w.servers))]
		e := authEvent{acct, acct, m, dst, atKerberos, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.002, r, networkSessionLength(r))
	}
}

// destination is where a user's network logon goes: a habitual server, now and
// then (more often for admins) somewhere new.
func (g *authGen) destination(u *user) int32 {
	p := 0.01
	switch {
	case u.hard.helpdesk:
		p = 0.5
	case u.admin:
		p = 0.06
	}
	if g.r.Float64() < p {
		return g.w.explore(g.r, u)
	}
	return habit(g.r, u)
}

func (g *authGen) humanUnit(h int, out []timed[authEvent]) []timed[authEvent] {
	w, r := g.w, g.r
	t := randomSecond(r, h)
	u := g.active.draw(r)
	p := userP(u.id)
	home := u.homeAt(h)
	x := r.Float64()
	switch {
	case x < 0.34: // Kerberos to a habitual server, sometimes after a service ticket
		if r.Float64() < 0.3 {
			out = append(out, timed[authEvent]{t, authEvent{p, p, home, home, atUnknown, ltUnknown, dirTGS, resSuccess}})
		}
		at := atKerberos
		if r.Float64() < 0.12 {
			at = atNegotiate
		}
		e := authEvent{p, p, w.sourceAt(r, u, h), g.destination(u), at, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.012, r, networkSessionLength(r))
	case x < 0.41: // NTLM to a habitual server: legacy shares and apps
		e := authEvent{p, p, w.sourceAt(r, u, h), g.destination(u), atNTLM, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.04, r, networkSessionLength(r))
	case x < 0.48:
		e := authEvent{p, p, home, u.dc, atKerberos, ltUnknown, dirTGT, resSuccess}
		return logon(out, t, e, 0.02, r, -1)
	case x < 0.60:
		return append(out, timed[authEvent]{t, authEvent{p, p, home, home, atUnknown, ltUnknown, dirTGS, resSuccess}})
	case x < 0.71: // at the keyboard: unlock, or a fresh interactive logon
		if r.Float64() < 0.65 {
			e := authEvent{p, p, home, home, atNegotiate, ltUnlock, dirLogOn, resSuccess}
			return logon(out, t, e, 0.05, r, -1)
		}
		e := authEvent{p, p, home, home, atNegotiate, ltInteractive, dirLogOn, resSuccess}
		return logon(out, t, e, 0.05, r, heavyInt(r, 8.5, 1, 14*secondsPerHour))
	case x < 0.77:
		return append(out, timed[authEvent]{t, authEvent{p, machineP(home), home, home, atUnknown, ltUnknown, dirAuthMap, resSuccess}})
	case x < 0.83: // credential validation by the DC
		e := authEvent{p, p, home, u.dc, atMSV, ltUnknown, dirLogOn, resSuccess}
		return logon(out, t, e, 0.05, r, -1)
	case x < 0.86: // remote desktop, mostly admins
		if !u.admin && r.Float64() < 0.7 {
			return out
		}
		e := authEvent{p, p, home, habit(r, u), atNegotiate, ltRemoteInteractive, dirLogOn, resSuccess}
		return logon(out, t, e, 0.02, r, heavyInt(r, 7, 1, 8*secondsPerHour))
	case x < 0.89:
		e := authEvent{p, p, home, home, atNegotiate, ltBatch, dirLogOn, resSuccess}
		return logon(out, t, e, 0.005, r, heavyInt(r, 3, 1.5, 4*secondsPerHour))
	default: // everyone's file servers
		e := authEvent{p, p, w.sourceAt(r, u, h), w.hubs[w.hubPick.pick(r)], atKerberos, ltNetwork, dirLogOn, resSuccess}
		return logon(out, t, e, 0.004, r, networkSessionLength(r))
	}
}
