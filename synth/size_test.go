package synth

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSizedWorld checks that Users and Computers fix the enterprise's size exactly,
// that the sized world is as deterministic as the default, and that a size that
// cannot hold the users' workstations is refused.
func TestSizedWorld(t *testing.T) {
	cfg := Config{Days: 1, Scale: 0.05, Users: 150, Computers: 400, Seed: 9}
	a, b := t.TempDir(), t.TempDir()
	sum, err := Generate(context.Background(), a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Users != 150 || sum.Computers != 400 {
		t.Errorf("users %d, computers %d; want 150 and 400", sum.Users, sum.Computers)
	}
	if _, err := Generate(context.Background(), b, cfg); err != nil {
		t.Fatal(err)
	}
	for _, name := range StreamNames {
		if string(readFile(t, a, name+".txt.gz")) != string(readFile(t, b, name+".txt.gz")) {
			t.Errorf("%s: two runs of the same sized config differ", name)
		}
	}
	truth, err := ReadTruth(a + "/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	if truth.Users != 150 || truth.Computers != 400 {
		t.Errorf("truth.json: users %d, computers %d", truth.Users, truth.Computers)
	}
	// Users alone: the computers follow them (a workstation each plus an eighth).
	only, err := Generate(context.Background(), t.TempDir(), Config{Days: 1, Scale: 0.05, Users: 300, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	if only.Users != 300 || only.Computers != 300+300/8+300/12+len(hubIDs)+len(dcIDs) {
		t.Errorf("--users 300 alone: %d users, %d computers", only.Users, only.Computers)
	}
	for _, bad := range []Config{
		{Days: 1, Scale: 1, Users: 200, Computers: 200 + 200/12 + 13}, // one short
		{Days: 1, Scale: 1, Users: -1},
		{Days: 1, Scale: 1, Computers: -5},
	} {
		if _, err := Generate(context.Background(), t.TempDir(), bad); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: error %v, want ErrConfig", bad, err)
		}
	}
}

// TestLANLConfig checks the LANL preset: the world has LANL's users and computers,
// and the hourly budgets its scale draws average LANL's event rate over a week (the
// budgets' own arithmetic, recomputed here from the stream shares' draws rather than
// by generating 200 million events).
func TestLANLConfig(t *testing.T) {
	cfg := LANLConfig(7)
	w := newWorld(cfg, reserved{})
	if len(w.users) != LANLUsers || len(w.computers) != LANLComputers {
		t.Errorf("LANL world: %d users, %d computers; want %d and %d", len(w.users), len(w.computers), LANLUsers, LANLComputers)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var total float64
	perStream := map[string]float64{}
	for h := range 7 * hoursPerDay {
		for name, rate := range map[string]streamRate{"auth": authRate, "proc": procRate, "flows": flowsRate, "dns": dnsRate} {
			b := rate.hourBudget(r, h, cfg.Scale)
			total += float64(b.machine + b.human)
			perStream[name] += float64(b.machine + b.human)
		}
	}
	perHour := total / (7 * hoursPerDay)
	if math.Abs(perHour-LANLEventsPerHour) > 0.01*LANLEventsPerHour {
		t.Errorf("LANL preset: %.0f events an hour over a week, want %d ± 1 %%", perHour, LANLEventsPerHour)
	}
	// LANL's streams an hour: auth 754 k, proc 306 k, flows 93 k (dns 29.5 k, of which
	// the generator's 2 % share gives 24 k).
	for name, want := range map[string]float64{"auth": 754e3, "proc": 306e3, "flows": 93e3, "dns": 23.7e3} {
		if got := perStream[name] / (7 * hoursPerDay); math.Abs(got-want) > 0.03*want {
			t.Errorf("LANL preset: %s %.0f an hour, want %.0f ± 3 %%", name, got, want)
		}
	}
}
