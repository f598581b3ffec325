package graphkit

import (
	"fmt"
	"testing"
)

// fanOut is the attack hour: U9 logs on to workstation C5 (someone's), then from C5
// the five accounts U5, U20..U23 reach the servers C50..C54 by NTLM.
func fanOut() []logon {
	ev := routine(10)
	ev = append(ev, logon{"U9", "C9", "C5", "Kerberos"})
	for i, u := range []string{"U5", "U20", "U21", "U22", "U23"} {
		ev = append(ev, logon{u, "C5", fmt.Sprintf("C%d", 50+i), "NTLM"})
	}
	return ev
}

// TestSwitchingFanOut: one source host fanning out with five accounts after another
// user's logon to it is the loudest of the hour, its four new accounts all switched;
// every routine workstation has no evidence.
func TestSwitchingFanOut(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	s, err := NewSwitching(w.kinds, w.ak, SwitchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ev []Evidence
	for k := range 48 {
		g, tu := w.interval(t, routine(10))
		ev = s.Update(k, g, tu, ev)
		if k > 0 {
			for v := range ev {
				if ev[v].Surprise != 0 {
					t.Fatalf("routine hour %d: %s has surprise %v", k, w.names[g.IDs[v]], ev[v].Surprise)
				}
			}
		}
	}
	g, tu := w.interval(t, fanOut())
	ev = s.Update(48, g, tu, ev)
	src := w.surpriseOf(t, g, ev, "computer_source", "C5")
	if src.Value != 8 || src.Surprise < 4 {
		t.Errorf("C5: %+v, want 4 new accounts counted twice (switched), surprise ≥ 4", src)
	}
	first, switched := s.Emissions()
	if v := g.Index(w.id(t, "computer_source", "C5")); first[v] != 4 || switched[v] != 4 {
		t.Errorf("C5 emissions %d first, %d switched; want 4, 4", first[v], switched[v])
	}
	for v, id := range g.IDs {
		if id != w.id(t, "computer_source", "C5") && ev[v].Surprise >= src.Surprise {
			t.Errorf("%s (%+v) as loud as the fanning source", w.names[id], ev[v])
		}
	}
	// U5's own account from its own workstation was emitted before: U5 has no evidence.
	if e := w.surpriseOf(t, g, ev, "userdomain_source", "U5"); e.Value != 0 || e.Surprise != 0 {
		t.Errorf("U5: %+v, want nothing", e)
	}
	// The accounts never emitted anywhere are new to the scorer.
	if e := w.surpriseOf(t, g, ev, "userdomain_source", "U20"); !e.New {
		t.Errorf("U20: %+v, want New", e)
	}
}

// TestSwitchingMachineAccounts: machine and anonymous accounts never count.
func TestSwitchingMachineAccounts(t *testing.T) {
	w := newAuthWorld(t, 3, 10)
	s, err := NewSwitching(w.kinds, w.ak, SwitchConfig{})
	if err != nil {
		t.Fatal(err)
	}
	g, tu := w.interval(t, []logon{{"U1", "C1", "C2", "Kerberos"}})
	s.Update(0, g, tu, nil)
	var events []logon
	for c := range 8 {
		events = append(events, logon{"C0$", fmt.Sprintf("C%d", c+1), "C9", "NTLM"}, logon{"ANONYMOUS LOGON", fmt.Sprintf("C%d", c+1), "C9", "NTLM"})
	}
	g, tu = w.interval(t, events)
	ev := s.Update(1, g, tu, nil)
	for v := range ev {
		if ev[v] != (Evidence{}) {
			t.Errorf("%s: %+v from machine or anonymous accounts", w.names[g.IDs[v]], ev[v])
		}
	}
}
