package graphkit

import (
	"fmt"
	"testing"
)

// TestTypedFanOut: the five NTLM logons out of C5, a type nobody used, make C5 and the
// servers it reached the loudest of the hour; the routine Kerberos hour is no news.
func TestTypedFanOut(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	ty, err := NewTyped(w.kinds, w.ak, TypedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ev []Evidence
	for k := range 48 {
		g, tu := w.interval(t, routine(10))
		ev = ty.Update(k, g, tu, ev)
		if k > 0 {
			for v := range ev {
				if ev[v].Surprise > 0.5 {
					t.Fatalf("routine hour %d: %s has surprise %v", k, w.names[g.IDs[v]], ev[v].Surprise)
				}
			}
		}
	}
	g, tu := w.interval(t, fanOut())
	ev = ty.Update(48, g, tu, ev)
	src := w.surpriseOf(t, g, ev, "computer_source", "C5")
	if src.Value != 5 || src.Surprise < 3 {
		t.Errorf("C5: %+v, want 5 first typed contacts, surprise ≥ 3", src)
	}
	// U5 reached a new server by NTLM, a type it never used: news.
	if u5 := w.surpriseOf(t, g, ev, "userdomain_source", "U5"); u5.Value != 1 || u5.Surprise < 0.5 {
		t.Errorf("U5: %+v, want 1 first typed contact with some surprise", u5)
	}
	if fs := w.surpriseOf(t, g, ev, "computer_destination", "C40"); fs.Surprise > 0.5 {
		t.Errorf("file server C40 (routine): %+v", fs)
	}
}

// helpdeskHour: U0..U9's routine, and helpdesk account U29 from C29 reaching three
// hosts it never reached (C(10+3h)..), every hour.
func helpdeskHour(h int) []logon {
	ev := routine(10)
	for i := range 3 {
		ev = append(ev, logon{"U29", "C29", fmt.Sprintf("C%d", 10+(3*h+i)%30), "Kerberos"})
	}
	return ev
}

// TestTypedHelpdesk: an account that reaches new hosts every hour is no news when it
// does so again; an ordinary user reaching as many new hosts in the same hour is.
func TestTypedHelpdesk(t *testing.T) {
	w := newAuthWorld(t, 30, 60)
	ty, err := NewTyped(w.kinds, w.ak, TypedConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var ev []Evidence
	for k := range 9 {
		g, tu := w.interval(t, helpdeskHour(k))
		ev = ty.Update(k, g, tu, ev)
	}
	hour := helpdeskHour(9)
	for i := range 3 {
		hour = append(hour, logon{"U3", "C3", fmt.Sprintf("C%d", 50+i), "Kerberos"})
	}
	g, tu := w.interval(t, hour)
	ev = ty.Update(9, g, tu, ev)
	help := w.surpriseOf(t, g, ev, "userdomain_source", "U29")
	user := w.surpriseOf(t, g, ev, "userdomain_source", "U3")
	if help.Value != 3 || user.Value != 3 {
		t.Fatalf("first typed contacts: helpdesk %v, user %v; want 3 each", help.Value, user.Value)
	}
	if help.Surprise > 1 || user.Surprise < 2 {
		t.Errorf("helpdesk surprise %.3g (want ≤ 1), ordinary user %.3g (want ≥ 2)", help.Surprise, user.Surprise)
	}
}

// TestTypedMeet: a contact is new once, repeats within an interval are told apart from
// meetings in an earlier one, alike for ids that pack into a word and ids that do not.
func TestTypedMeet(t *testing.T) {
	ty := &Typed{seen: map[uint64]int32{}, seenWide: map[typedContact]int32{}}
	for _, c := range []typedContact{{1, 2, 3}, {packedIDMax, packedIDMax, 0xffff}, {packedIDMax + 1, 2, 3}, {1, 1 << 40, 0}} {
		if k, ok := packContact(c); ok && unpackContact(k) != c {
			t.Errorf("%+v packs to %x, unpacks to %+v", c, k, unpackContact(k))
		}
		for _, step := range []struct {
			interval      int32
			before, again bool
		}{{5, false, false}, {5, false, true}, {6, true, false}, {6, true, true}, {9, true, false}} {
			before, again := ty.meet(c, step.interval)
			if again != step.again || (!again && before != step.before) {
				t.Errorf("%+v in interval %d: before %v again %v, want %v %v", c, step.interval, before, again, step.before, step.again)
			}
		}
	}
	if len(ty.seen) != 2 || len(ty.seenWide) != 2 {
		t.Errorf("%d packed and %d wide contacts, want 2 and 2", len(ty.seen), len(ty.seenWide))
	}
}
