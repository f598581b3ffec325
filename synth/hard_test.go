package synth

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHardBackground: Config.Hard adds new hires silent before their first hour,
// rebuilt workstations, roaming and helpdesk accounts; a user's network logons come
// from more distinct sources than without it, and Hard leaves the world's other
// choices alone.
func TestHardBackground(t *testing.T) {
	cfg := Config{Days: 5, Scale: 0.3, Seed: 3, Hard: true}
	w := newWorld(cfg, reserved{})
	plain := newWorld(Config{Days: 5, Scale: 0.3, Seed: 3}, reserved{})
	var hires, rebuilt, helpdesk, roamers int
	for i, u := range w.users {
		if u.id != plain.users[i].id || u.home != plain.users[i].home || len(u.servers) != len(plain.users[i].servers) {
			t.Fatalf("user %d differs from the plain world's beyond its hard habits", i)
		}
		if plain.users[i].hard != (hardHabits{}) {
			t.Fatalf("plain world user %d has hard habits %+v", i, plain.users[i].hard)
		}
		h := u.hard
		if h.start > 0 {
			hires++
			if a := userActivity(&u, h.start-1); a != 0 {
				t.Errorf("new hire U%d active (%v) before hour %d", u.id, a, h.start)
			}
		}
		if h.rebuildAt > 0 {
			rebuilt++
			if u.homeAt(h.rebuildAt-1) != u.home || u.homeAt(h.rebuildAt) != h.newHome || h.newHome == u.home {
				t.Errorf("U%d: rebuilt at %d to C%d from C%d", u.id, h.rebuildAt, h.newHome, u.home)
			}
		}
		if h.helpdesk {
			helpdesk++
		}
		if h.roam > 0 {
			roamers++
		}
	}
	n := len(w.users)
	if hires < n/20 || rebuilt < n/50 || helpdesk < 2 || roamers < n/10 {
		t.Errorf("%d users: %d new hires, %d rebuilt, %d helpdesk, %d roamers", n, hires, rebuilt, helpdesk, roamers)
	}

	// Sources per user account in auth: more with Hard.
	sources := func(c Config) float64 {
		dir := filepath.Join(t.TempDir(), "out")
		if _, err := Generate(context.Background(), dir, c); err != nil {
			t.Fatal(err)
		}
		perUser := map[string]map[string]bool{}
		for _, f := range readStream(t, dir, "auth") {
			if !strings.HasPrefix(f[1], "U") || f[6] != "Network" || f[7] != "LogOn" {
				continue
			}
			if perUser[f[1]] == nil {
				perUser[f[1]] = map[string]bool{}
			}
			perUser[f[1]][f[3]] = true
		}
		total := 0
		for _, s := range perUser {
			total += len(s)
		}
		return float64(total) / float64(len(perUser))
	}
	small := Config{Days: 2, Scale: 0.1, Seed: 3}
	plainSrc := sources(small)
	small.Hard = true
	hardSrc := sources(small)
	if hardSrc < plainSrc*1.2 {
		t.Errorf("sources per account: %s plain, %s hard; want at least 20%% more", strconv.FormatFloat(plainSrc, 'f', 2, 64), strconv.FormatFloat(hardSrc, 'f', 2, 64))
	}
}
