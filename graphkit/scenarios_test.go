package graphkit

import (
	"fmt"
	"testing"
)

// defaultPipeline is lanlq score's default fusion built from graphkit alone, in the
// engine's order (engine/score_fusion.go): novelty (graded, weighted by the
// counterpart), volume, switch, then spread over the Fisher fusion of the other three,
// then the Fisher fusion of all four. Typed and peers, not in the default, run beside
// it so that each scenario also says what they would add.
type defaultPipeline struct {
	nv    *Novelty
	vol   *Volume
	ty    *Typed
	sw    *Switching
	peers *Peers
	sp    *Spread
	fu    *Fusion

	novEv, volEv, tyEv, swEv, peersEv, spEv []Evidence
	base                                    []float64
}

func newDefaultPipeline(t *testing.T, w *authWorld) *defaultPipeline {
	t.Helper()
	pairs := DefaultNoveltyPairs(w.kinds)
	p := &defaultPipeline{nv: scNovelty(t, w.kinds, NoveltyConfig{Pairs: pairs, Graded: true, Counterpart: true})}
	var err error
	// One-hour intervals, a daily season: the engine's settings.
	if p.vol, err = NewVolume(w.kinds, VolumeConfig{History: HistoryConfig{Period: 24, ProfileAfter: 8}}); err != nil {
		t.Fatal(err)
	}
	if p.ty, err = NewTyped(w.kinds, w.ak, TypedConfig{}); err != nil {
		t.Fatal(err)
	}
	if p.sw, err = NewSwitching(w.kinds, w.ak, SwitchConfig{}); err != nil {
		t.Fatal(err)
	}
	if p.peers, err = NewPeers(w.kinds, PeersConfig{Pairs: DefaultPeerPairs(w.kinds)}); err != nil {
		t.Fatal(err)
	}
	if p.sp, err = NewSpread(w.kinds, pairs); err != nil {
		t.Fatal(err)
	}
	if p.fu, err = NewFusion("novelty", "volume", "switch", "spread"); err != nil {
		t.Fatal(err)
	}
	return p
}

// update scores one interval and returns the fused scores (parallel to g.IDs, valid
// until the next call).
func (p *defaultPipeline) update(k int, g *Graph, tu *Tuples) []Fused {
	p.novEv = p.nv.Update(k, g, p.novEv)
	p.volEv = p.vol.Update(k, g, p.volEv)
	p.tyEv = p.ty.Update(k, g, tu, p.tyEv)
	p.swEv = p.sw.Update(k, g, tu, p.swEv)
	p.peersEv = p.peers.Update(k, g, p.peersEv)
	p.base = p.base[:0]
	for v := range g.NumVertices() {
		p.base = append(p.base, FisherSurprise([]float64{p.novEv[v].Surprise, p.volEv[v].Surprise, p.swEv[v].Surprise}))
	}
	p.spEv = p.sp.Update(g, p.base, p.nv.Grades(), p.spEv)
	return p.fu.Fuse(g.IDs, p.novEv, p.volEv, p.swEv, p.spEv)
}

// score returns the fused score and the components of artifact kind::value.
func (p *defaultPipeline) score(t *testing.T, w *authWorld, g *Graph, fused []Fused, kind, value string) Fused {
	t.Helper()
	v := g.Index(w.id(t, kind, value))
	if v < 0 {
		t.Fatalf("%s::%s not in the graph", kind, value)
	}
	return fused[v]
}

// rankOf returns 1 + the number of artifacts of the interval scoring strictly higher
// than kind::value.
func (p *defaultPipeline) rankOf(t *testing.T, w *authWorld, g *Graph, fused []Fused, kind, value string) int {
	t.Helper()
	s := p.score(t, w, g, fused, kind, value).Score
	r := 1
	for _, f := range fused {
		if f.Score > s {
			r++
		}
	}
	return r
}

// TestScenarioFanOut: one source host fanning out with five accounts (after another
// account's logon to it), through the whole default: the source, the servers it
// reached for the first time and the accounts it used are the top of the hour, above
// every routine artifact, and the servers owe it to spread from the source.
func TestScenarioFanOut(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	p := newDefaultPipeline(t, w)
	for k := range 48 {
		g, tu := w.interval(t, routine(10))
		p.update(k, g, tu)
	}
	g, tu := w.interval(t, fanOut())
	fused := p.update(48, g, tu)
	attack := map[int64]bool{w.id(t, "computer_source", "C5"): true}
	for i := range 5 {
		attack[w.id(t, "computer_destination", fmt.Sprintf("C%d", 50+i))] = true
	}
	for _, u := range []string{"U20", "U21", "U22", "U23"} {
		attack[w.id(t, "userdomain_source", u)] = true
	}
	// Every artifact of the fan-out's own events took part; the others are routine.
	involved := map[int64]bool{}
	for _, e := range fanOut()[len(routine(10)):] {
		for _, a := range [][2]string{{"userdomain_source", e.user}, {"userdomain_destination", e.user},
			{"computer_source", e.src}, {"computer_destination", e.dst}, {"auth", e.auth}, {"logon", "Network"}} {
			involved[w.id(t, a[0], a[1])] = true
		}
	}
	lowestAttack, highestRoutine := 1e300, 0.0
	for _, f := range fused {
		switch {
		case attack[f.ID]:
			lowestAttack = min(lowestAttack, f.Score)
		case !involved[f.ID]:
			highestRoutine = max(highestRoutine, f.Score)
		}
	}
	if lowestAttack <= highestRoutine {
		t.Errorf("the fan-out's source, servers and new accounts score from %.3g, a routine artifact %.3g: want them all above", lowestAttack, highestRoutine)
	}
	src := p.score(t, w, g, fused, "computer_source", "C5")
	for i := range 5 {
		srv := p.score(t, w, g, fused, "computer_destination", fmt.Sprintf("C%d", 50+i))
		if p.fu.Names()[srv.Dominant] != "spread" || p.sp.From()[g.Index(srv.ID)] < 0 {
			t.Errorf("server C%d: %s; want it driven by spread", 50+i, p.fu.Explain(srv))
		}
	}
	if src.Score < 5 {
		t.Errorf("C5: %s; want a fused score ≥ 5", p.fu.Explain(src))
	}
}

// helpdeskScores runs hours of helpdeskHour (U29 from C29 reaches three hosts it never
// reached, every hour) through the default and returns the last hour's scores, in
// which the ordinary user U3 also reaches three hosts it never reached.
func helpdeskScores(t *testing.T) (*authWorld, *defaultPipeline, *Graph, []Fused) {
	w := newAuthWorld(t, 30, 60)
	p := newDefaultPipeline(t, w)
	for k := range 9 {
		g, tu := w.interval(t, helpdeskHour(k))
		p.update(k, g, tu)
	}
	hour := helpdeskHour(9)
	for _, d := range []string{"C50", "C51", "C52"} {
		hour = append(hour, logon{"U3", "C3", d, "Kerberos"})
	}
	g, tu := w.interval(t, hour)
	return w, p, g, p.update(9, g, tu)
}

// TestScenarioHelpdesk: an account that reaches new hosts every hour is no news when it
// does so again, and passes little to the hosts it reaches; an ordinary user reaching
// as many new hosts in the same hour scores above it. Typed, beside the default, tells
// the two apart far more sharply: what leaving it out of the default gives up.
func TestScenarioHelpdesk(t *testing.T) {
	w, p, g, fused := helpdeskScores(t)
	help := p.score(t, w, g, fused, "userdomain_source", "U29")
	user := p.score(t, w, g, fused, "userdomain_source", "U3")
	// One user's three new hosts in an hour are weak evidence once fused (the four
	// together p ≈ 0.3); the helpdesk's are none.
	if help.Score >= 0.5 || user.Score <= help.Score {
		t.Errorf("helpdesk U29: %s\nuser U3: %s\nwant the helpdesk below 0.5 (p > 0.3), the user above it", p.fu.Explain(help), p.fu.Explain(user))
	}
	// Typed alone: the user's three first Kerberos contacts are news (p ≤ 0.01), the
	// helpdesk's are its routine.
	if ty, th := p.tyEv[g.Index(user.ID)].Surprise, p.tyEv[g.Index(help.ID)].Surprise; ty < 2 || th >= 0.5 {
		t.Errorf("typed: user U3 %.3g, helpdesk U29 %.3g; want the user at least 2 (p ≤ 0.01), the helpdesk below 0.5", ty, th)
	}
	// The hosts the helpdesk reached this hour: the user's are louder.
	for i := range 3 {
		host := fmt.Sprintf("C%d", 10+(27+i)%30)
		h := p.score(t, w, g, fused, "computer_destination", host)
		u := p.score(t, w, g, fused, "computer_destination", fmt.Sprintf("C%d", 50+i))
		if h.Score >= u.Score {
			t.Errorf("host %s reached by the helpdesk scores %.3g, host C%d reached by U3 %.3g: want it lower", host, h.Score, 50+i, u.Score)
		}
	}
}

// TestScenarioNewHire: a new hire on a new workstation, whose first contacts are its
// team's servers, is new to every history: no component has evidence against it in its
// first hour (the population prior aside), nothing spreads from it to its team's
// servers, and a fan-out in the same hour outranks it and them.
func TestScenarioNewHire(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	p := newDefaultPipeline(t, w)
	for k := range 48 {
		g, tu := w.interval(t, teamHour())
		p.update(k, g, tu)
	}
	hour := append(teamHour(), logon{"U25", "C25", "C41", "Kerberos"}, logon{"U25", "C25", "C42", "Kerberos"},
		logon{"U25", "C25", "C40", "Kerberos"})
	hour = append(hour, fanOut()[len(routine(10)):]...)
	g, tu := w.interval(t, hour)
	fused := p.update(48, g, tu)
	hire := p.score(t, w, g, fused, "userdomain_source", "U25")
	ws := p.score(t, w, g, fused, "computer_source", "C25")
	for _, f := range []Fused{hire, ws} {
		for c, e := range f.Components {
			if name := p.fu.Names()[c]; name == "switch" && e.Surprise != 0 {
				t.Errorf("%s: %s has surprise %.3g in its first hour", w.names[f.ID], name, e.Surprise)
			}
		}
		if e := p.tyEv[g.Index(f.ID)]; e.Surprise != 0 {
			t.Errorf("%s: typed has surprise %.3g in its first hour", w.names[f.ID], e.Surprise)
		}
	}
	if pe := p.peersEv[g.Index(hire.ID)]; !pe.New || pe.Surprise != 0 {
		t.Errorf("peers on the new hire: %+v, want New without surprise", pe)
	}
	for _, s := range []string{"C41", "C42"} {
		v := g.Index(w.id(t, "computer_destination", s))
		if from := p.sp.From()[v]; (from == hire.ID || from == ws.ID) && p.spEv[v].Surprise >= 0.5 {
			t.Errorf("team server %s took the new hire's evidence (%s)", s, p.fu.Explain(fused[v]))
		}
	}
	src := p.score(t, w, g, fused, "computer_source", "C5")
	for _, f := range []Fused{hire, ws} {
		if f.Score >= src.Score {
			t.Errorf("%s: %s\nfanning source C5: %s\nwant the new hire below the fan-out", w.names[f.ID], p.fu.Explain(f), p.fu.Explain(src))
		}
	}
	if r := p.rankOf(t, w, g, fused, "userdomain_source", "U25"); r <= 5 {
		t.Errorf("new hire U25 ranks %d of %d in its first hour: %s", r, len(fused), p.fu.Explain(hire))
	}
}
