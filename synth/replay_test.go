package synth

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReplay replays LANL's real red team (testdata/redteam.txt, 749 lines over days
// 2-30, with local accounts like U8777@C583 and duplicate lines): redteam.txt.gz must
// hold exactly its lines in time order, each one a successful NTLM network logon in
// auth, and every user and computer it names must live an ordinary life in the
// background.
func TestReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("30 days of background")
	}
	src := filepath.Join("testdata", "redteam.txt")
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	sum, err := Generate(context.Background(), dir, Config{Days: 1, Scale: 0.01, Seed: 5, Replay: src})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var got []string
	for _, f := range readStream(t, dir, "redteam") {
		got = append(got, strings.Join(f, ","))
	}
	if int64(len(want)) != sum.Lines["redteam"] || len(got) != len(want) {
		t.Fatalf("redteam.txt.gz has %d lines (summary %d), the replayed file %d", len(got), sum.Lines["redteam"], len(want))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatal("redteam.txt.gz does not hold exactly the replayed lines")
	}
	truth, err := ReadTruth(filepath.Join(dir, "truth.json"))
	if err != nil {
		t.Fatal(err)
	}
	if truth.Days != 30 || len(truth.Campaigns) == 0 || truth.Campaigns[0].Kind != KindReplay {
		t.Errorf("truth: days %d, %d campaigns", truth.Days, len(truth.Campaigns))
	}

	redAuth := map[string]int{}
	users, computers := map[string]bool{}, map[string]bool{}
	for _, l := range want {
		f := strings.Split(l, ",")
		redAuth[strings.Join([]string{f[0], f[1], f[1], f[2], f[3], "NTLM", "Network", "LogOn", "Success"}, ",")]++
		name, _, _ := strings.Cut(f[1], "@")
		users[name+"@DOM1"] = true
		computers[f[2]], computers[f[3]] = true, true
	}
	// Background life: a named user logging on at a computer of its own, a named
	// computer in any auth line that is not a red-team logon.
	homeUse := map[string]bool{}
	seenComputer := map[string]bool{}
	for _, f := range readStream(t, dir, "auth") {
		line := strings.Join(f, ",")
		if redAuth[line] > 0 {
			redAuth[line]--
			continue
		}
		if users[f[1]] && f[3] == f[4] && f[6] != "Network" {
			homeUse[f[1]] = true
		}
		seenComputer[f[3]], seenComputer[f[4]] = true, true
	}
	for l, n := range redAuth {
		if n > 0 {
			t.Errorf("red-team logon %s missing from auth (%d times)", l, n)
		}
	}
	for u := range users {
		if !homeUse[u] {
			t.Errorf("replayed user %s never works at its own workstation", u)
		}
	}
	for c := range computers {
		if !seenComputer[c] {
			t.Errorf("replayed computer %s has no background activity", c)
		}
	}
}
