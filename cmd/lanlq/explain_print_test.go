package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/engine"
)

// TestExplainSwitchLine checks which artifacts explain gives a switch line: the kinds
// the switch component counts (sources and the accounts they emit) always, a
// destination artifact only when it carries evidence (its zero says nothing).
func TestExplainSwitchLine(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	ex := &engine.Explanation{
		Entity:        "U1",
		IntervalStart: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC),
		Experiment:    &engine.Experiment{Method: "fused"},
		Artifacts: []engine.ExplainedArtifact{
			{Artifact: "userdomain_source::U1", Kind: "userdomain_source", SwitchNewAccounts: i64(0), SwitchSurprise: f64(0)},
			{Artifact: "userdomain_destination::U1", Kind: "userdomain_destination", SwitchNewAccounts: i64(0), SwitchSurprise: f64(0)},
			{Artifact: "computer_source::C1", Kind: "computer_source", SwitchNewAccounts: i64(2), SwitchSurprise: f64(1.5)},
		},
	}
	var b bytes.Buffer
	printExplanation(&b, ex, false, false)
	blocks := strings.Split(b.String(), "\n\n")
	want := map[string]string{
		"userdomain_source::U1":      "switch  0 sources that never emitted this account before",
		"userdomain_destination::U1": "",
		"computer_source::C1":        "switch  2 user accounts this source never emitted before",
	}
	seen := 0
	for _, blk := range blocks {
		for a, line := range want {
			if !strings.HasPrefix(blk, a+":") {
				continue
			}
			seen++
			switch {
			case line == "" && strings.Contains(blk, "switch"):
				t.Errorf("%s has a switch line:\n%s", a, blk)
			case line != "" && !strings.Contains(blk, line):
				t.Errorf("%s lacks %q:\n%s", a, line, blk)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of %d artifacts printed:\n%s", seen, len(want), b.String())
	}
}
