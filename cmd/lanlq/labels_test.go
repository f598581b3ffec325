package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestEvalLabelsMatchesRedTeam writes the red team's lines as a labels file of
// (time, entity) pairs — each line's three entities, times alternately as LANL seconds
// and as RFC 3339 timestamps — and checks that eval --labels ranks exactly as eval
// against the redteam stream does.
func TestEvalLabelsMatchesRedTeam(t *testing.T) {
	_, data, out := scoredFixture(t)
	scores := filepath.Join(out, "scores.parquet")
	csvText := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		"SELECT time, userdomain_source, computer_source, computer_destination FROM redteam ORDER BY ALL")
	var b strings.Builder
	b.WriteString("time,entity,note\n")
	origin := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	lines := strings.Split(strings.TrimSpace(csvText), "\n")[1:]
	if len(lines) < 3 {
		t.Fatalf("the fixture's red team has %d lines", len(lines))
	}
	for i, l := range lines {
		f := strings.Split(l, ",")
		sec, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		ts := f[0]
		if i%2 == 1 {
			ts = origin.Add(time.Duration(sec) * time.Second).Format(time.RFC3339)
		}
		for _, e := range f[1:] {
			fmt.Fprintf(&b, "%s,%s,incident %d\n", ts, e, i)
		}
	}
	labels := filepath.Join(t.TempDir(), "labels.csv")
	if err := os.WriteFile(labels, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	withLabels, withRedTeam := t.TempDir(), t.TempDir()
	got := lanlq(t, "eval", "--data", data, "--scores", scores, "--labels", labels, "--out", withLabels)
	if !strings.Contains(got, "labels from "+labels) || !strings.Contains(got, fmt.Sprintf("labels: %d pairs", 3*len(lines))) {
		t.Errorf("eval --labels output:\n%s", got)
	}
	lanlq(t, "eval", "--data", data, "--scores", scores, "--out", withRedTeam)
	type evalJSON struct {
		Labels    string          `json:"labels"`
		Entities  json.RawMessage `json:"entities"`
		Intervals json.RawMessage `json:"intervals"`
		Unscored  json.RawMessage `json:"unscored"`
		RedTeam   struct {
			Pairs, Scored, Unscored, Intervals int
		} `json:"redteam"`
	}
	read := func(dir string) evalJSON {
		raw, err := os.ReadFile(filepath.Join(dir, "eval.json"))
		if err != nil {
			t.Fatal(err)
		}
		var e evalJSON
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, r := read(withLabels), read(withRedTeam)
	if a.Labels != labels || r.Labels != "" {
		t.Errorf("labels recorded as %q and %q", a.Labels, r.Labels)
	}
	if string(a.Entities) != string(r.Entities) || string(a.Intervals) != string(r.Intervals) ||
		string(a.Unscored) != string(r.Unscored) || a.RedTeam != r.RedTeam {
		t.Errorf("labels and red team differ:\nlabels  %s %+v\nredteam %s %+v", a.Entities, a.RedTeam, r.Entities, r.RedTeam)
	}
	if r.RedTeam.Pairs == 0 {
		t.Error("the fixture has no red-team positives to compare")
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("time,entity\n2015-01-01 10:00:00,U1@DOM1\nlast tuesday,C2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lanlqFails(t, []string{bad + ":3:", "last tuesday"}, "eval", "--data", data, "--scores", scores, "--labels", bad, "--out", t.TempDir())
	if err := os.WriteFile(bad, []byte("when,who\n1,C2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	lanlqFails(t, []string{bad + ":1:", "no time and entity"}, "eval", "--data", data, "--scores", scores, "--labels", bad, "--out", t.TempDir())
}
