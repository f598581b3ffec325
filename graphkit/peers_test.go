package graphkit

import (
	"fmt"
	"testing"
)

// teamHour: team A (U0..U4) works on servers C41 and C42, team B (U5..U9) on C43 and
// C44, everyone on the file server C40; each from its own workstation.
func teamHour() []logon {
	var ev []logon
	for u := range 10 {
		servers := []string{"C41", "C42"}
		if u >= 5 {
			servers = []string{"C43", "C44"}
		}
		for _, s := range append(servers, "C40") {
			ev = append(ev, logon{fmt.Sprintf("U%d", u), fmt.Sprintf("C%d", u), s, "Kerberos"})
		}
	}
	return ev
}

// TestPeersNewHire: a new hire whose first contacts are its team's servers is no news
// once it has a destination to have peers by; an established user of team A reaching
// a team B server in the same hour is, though both are first contacts of a user.
func TestPeersNewHire(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	p, err := NewPeers(w.kinds, PeersConfig{Pairs: DefaultPeerPairs(w.kinds), HubShare: 0.6})
	if err != nil {
		t.Fatal(err)
	}
	var ev []Evidence
	for k := range 24 {
		g, _ := w.interval(t, teamHour())
		ev = p.Update(k, g, ev)
	}
	// Hour 24: the new hire U20 arrives and reaches C41: new to the scorer.
	g, _ := w.interval(t, append(teamHour(), logon{"U20", "C20", "C41", "Kerberos"}))
	ev = p.Update(24, g, ev)
	if e := w.surpriseOf(t, g, ev, "userdomain_source", "U20"); !e.New || e.Surprise != 0 {
		t.Errorf("new hire's first hour: %+v, want New without surprise", e)
	}
	// Hour 25: U20 reaches C42 (its team's), U3 reaches C44 (the other team's).
	hour := append(teamHour(), logon{"U20", "C20", "C41", "Kerberos"}, logon{"U20", "C20", "C42", "Kerberos"},
		logon{"U3", "C3", "C44", "Kerberos"})
	g, _ = w.interval(t, hour)
	ev = p.Update(25, g, ev)
	hire := w.surpriseOf(t, g, ev, "userdomain_source", "U20")
	odd := w.surpriseOf(t, g, ev, "userdomain_source", "U3")
	unexpl, firsts := p.Unexplained()
	vh, vo := g.Index(w.id(t, "userdomain_source", "U20")), g.Index(w.id(t, "userdomain_source", "U3"))
	if firsts[vh] != 1 || unexpl[vh] != 0 || firsts[vo] != 1 || unexpl[vo] != 1 {
		t.Errorf("first/unexplained contacts: new hire %d/%d (want 1/0), U3 %d/%d (want 1/1)", firsts[vh], unexpl[vh], firsts[vo], unexpl[vo])
	}
	if hire.Surprise != 0 || odd.Surprise < 1 {
		t.Errorf("surprise: new hire %.3g (want 0), U3 reaching another team's server %.3g (want ≥ 1)", hire.Surprise, odd.Surprise)
	}
	// The file server everyone uses is a hub: a first contact with it is explained.
	if !p.isHub(w.id(t, "computer_destination", "C40")) || p.isHub(w.id(t, "computer_destination", "C41")) {
		t.Errorf("hubs: C40 %v (want true), C41 %v (want false)", p.isHub(w.id(t, "computer_destination", "C40")), p.isHub(w.id(t, "computer_destination", "C41")))
	}
	if !p.supported(w.id(t, "userdomain_source", "U7"), w.id(t, "computer_destination", "C40")) {
		t.Error("a first contact with the hub is not explained")
	}
}
