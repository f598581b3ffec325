package graphkit

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
)

// authWorld is a hand-built notebook-architecture dictionary for the auth scorers'
// tests: users U0..U(nu−1) and a machine account C0$, computers C0..C(nc−1) as
// sources and destinations, the auth packages Kerberos and NTLM and the logon type
// Network. Ids are dense in that order.
type authWorld struct {
	kinds *Kinds
	ak    AuthKinds
	ids   map[string]int64
	names []string
}

func newAuthWorld(t testing.TB, nu, nc int) *authWorld {
	t.Helper()
	w := &authWorld{ids: map[string]int64{}}
	var kindOf []string
	add := func(kind, value string) {
		w.ids[kind+"::"+value] = int64(len(w.names))
		w.names = append(w.names, kind+"::"+value)
		kindOf = append(kindOf, kind)
	}
	for _, kind := range []string{"userdomain_source", "userdomain_destination"} {
		for u := range nu {
			add(kind, fmt.Sprintf("U%d", u))
		}
		add(kind, "C0$")
		add(kind, "ANONYMOUS LOGON")
	}
	for _, kind := range []string{"computer_source", "computer_destination"} {
		for c := range nc {
			add(kind, fmt.Sprintf("C%d", c))
		}
	}
	add("auth", "Kerberos")
	add("auth", "NTLM")
	add("logon", "Network")
	k, err := NewKinds(kindOf)
	if err != nil {
		t.Fatal(err)
	}
	class := make([]Class, len(w.names))
	entity := make([]int32, len(w.names))
	values := map[string]int32{}
	for id, name := range w.names {
		v := name[strings.Index(name, "::")+2:]
		switch {
		case strings.HasPrefix(v, "ANONYMOUS"):
			class[id] = ClassUnknown
		case strings.Contains(v, "$"):
			class[id] = ClassMachine
		}
		if _, ok := values[v]; !ok {
			values[v] = int32(len(values))
		}
		entity[id] = values[v]
	}
	if err := k.SetClasses(class, entity); err != nil {
		t.Fatal(err)
	}
	w.kinds = k
	var ok bool
	if w.ak, ok = NotebookAuthKinds(k); !ok {
		t.Fatal("NotebookAuthKinds: kinds missing")
	}
	return w
}

func (w *authWorld) id(t testing.TB, kind, value string) int64 {
	t.Helper()
	id, ok := w.ids[kind+"::"+value]
	if !ok {
		t.Fatalf("no artifact %s::%s", kind, value)
	}
	return id
}

// logon is one auth event: account user from computer src to computer dst by auth.
type logon struct{ user, src, dst, auth string }

// interval returns the graph and tuples of one interval's logons (each a clique over
// its six artifacts, the account on both sides).
func (w *authWorld) interval(t testing.TB, events []logon) (*Graph, *Tuples) {
	t.Helper()
	tu := &Tuples{Width: 6}
	weights := map[[2]int64]float64{}
	for _, e := range events {
		row := []int64{w.id(t, "userdomain_source", e.user), w.id(t, "userdomain_destination", e.user),
			w.id(t, "computer_source", e.src), w.id(t, "computer_destination", e.dst),
			w.id(t, "auth", e.auth), w.id(t, "logon", "Network")}
		tu.IDs = append(tu.IDs, row...)
		tu.Valid = append(tu.Valid, 1<<6-1)
		tu.N = append(tu.N, 1)
		for i := range row {
			for j := i + 1; j < len(row); j++ {
				a, b := min(row[i], row[j]), max(row[i], row[j])
				weights[[2]int64{a, b}]++
			}
		}
	}
	var edges []Edge
	for p, wt := range weights {
		edges = append(edges, Edge{A: p[0], B: p[1], Weight: wt})
	}
	return scGraph(t, edges), tu
}

// surpriseOf returns the Evidence of artifact kind::value in g.
func (w *authWorld) surpriseOf(t testing.TB, g *Graph, ev []Evidence, kind, value string) Evidence {
	t.Helper()
	v := g.Index(w.id(t, kind, value))
	if v < 0 {
		t.Fatalf("%s::%s not in the graph", kind, value)
	}
	return ev[v]
}

// routine is an office's ordinary hour: user Ui logs on from its workstation Ci to the
// file server C40 and to its own server C(41+i%3), all Kerberos.
func routine(users int) []logon {
	var ev []logon
	for u := range users {
		ws := fmt.Sprintf("C%d", u)
		ev = append(ev, logon{fmt.Sprintf("U%d", u), ws, "C40", "Kerberos"},
			logon{fmt.Sprintf("U%d", u), ws, fmt.Sprintf("C%d", 41+u%3), "Kerberos"},
			logon{"C0$", "C0", "C40", "Kerberos"})
	}
	return ev
}

func TestBinomMidPBruteForce(t *testing.T) {
	for _, c := range []struct{ k, m, q float64 }{{1, 1, 0.3}, {2, 5, 0.1}, {5, 5, 0.5}, {3, 20, 0.02}, {10, 40, 0.3}} {
		// P(X > k) + ½P(X = k) by summing the pmf.
		want := 0.0
		for x := int(c.k); x <= int(c.m); x++ {
			lc, _ := math.Lgamma(c.m + 1)
			l1, _ := math.Lgamma(float64(x) + 1)
			l2, _ := math.Lgamma(c.m - float64(x) + 1)
			p := math.Exp(lc - l1 - l2 + float64(x)*math.Log(c.q) + (c.m-float64(x))*math.Log(1-c.q))
			if x == int(c.k) {
				p /= 2
			}
			want += p
		}
		if got := binomMidP(c.k, c.m, c.q); math.Abs(got-want) > 1e-12*max(1, want) && math.Abs(got/want-1) > 1e-9 {
			t.Errorf("binomMidP(%v) = %v, want %v", c, got, want)
		}
	}
	if got := binomMidP(0, 5, 0.3); got != 1 {
		t.Errorf("binomMidP(k=0) = %v, want 1", got)
	}
}

func TestNegBinomMidBruteForce(t *testing.T) {
	for _, c := range []struct{ k, alpha, beta float64 }{{1, 0.5, 2}, {3, 1.5, 10}, {7, 4, 3}, {2, 0.7, 50}} {
		// pmf of the Gamma(α, β) mixture of Poisson: Γ(k+α)/(k! Γ(α)) (β/(1+β))^α (1/(1+β))^k.
		pmf := func(x float64) float64 {
			lg1, _ := math.Lgamma(x + c.alpha)
			lg2, _ := math.Lgamma(x + 1)
			lg3, _ := math.Lgamma(c.alpha)
			return math.Exp(lg1 - lg2 - lg3 + c.alpha*math.Log(c.beta/(1+c.beta)) - x*math.Log(1+c.beta))
		}
		want := pmf(c.k) / 2
		for x := c.k + 1; x < c.k+2000; x++ {
			want += pmf(x)
		}
		got := math.Pow(10, -negBinomMidSurprise(c.k, c.alpha, c.beta))
		if math.Abs(got/want-1) > 1e-6 {
			t.Errorf("negBinomMid(%v) = %v, want %v", c, got, want)
		}
	}
}

func TestSidakSurprise(t *testing.T) {
	for _, c := range []struct {
		p float64
		n int
	}{{0.01, 1}, {0.01, 3}, {1e-20, 4}, {0.5, 2}} {
		want := 1 - math.Pow(1-c.p, float64(c.n))
		if c.p < 1e-15 {
			want = float64(c.n) * c.p
		}
		got := math.Pow(10, -sidakSurprise(c.p, c.n))
		if math.Abs(got/want-1) > 1e-9 {
			t.Errorf("sidak(%v, %d) = %v, want %v", c.p, c.n, got, want)
		}
	}
}

func TestAuthEvents(t *testing.T) {
	w := newAuthWorld(t, 3, 3)
	_, tu := w.interval(t, []logon{{"U1", "C2", "C0", "NTLM"}})
	// A proc-like tuple (no auth column) is not an auth event.
	tu.IDs = append(tu.IDs, w.id(t, "userdomain_source", "U0"), w.id(t, "computer_source", "C1"), 0, 0, 0, 0)
	tu.Valid = append(tu.Valid, 3)
	tu.N = append(tu.N, 4)
	got := AuthEvents(tu, w.kinds, w.ak, nil)
	want := []AuthEvent{{User: w.id(t, "userdomain_source", "U1"), UserDest: w.id(t, "userdomain_destination", "U1"),
		Source: w.id(t, "computer_source", "C2"), Dest: w.id(t, "computer_destination", "C0"),
		Auth: w.id(t, "auth", "NTLM"), Logon: w.id(t, "logon", "Network"), N: 1}}
	if !slices.Equal(got, want) {
		t.Errorf("AuthEvents = %+v, want %+v", got, want)
	}
}
