package main

import (
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanlq/lanlq/engine"
)

// TestScoreEvalPlot runs lanlq score, eval and plot in-process on small generated data.
func TestScoreEvalPlot(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	// The shared data set (read only here); the results go to a folder of this test's.
	_, data, _ := scoredFixture(t)
	out := filepath.Join(t.TempDir(), "out")
	// A short training window and fixed roles keep the role fit quick; --memberships
	// computes roles, which the default components do not use.
	got := lanlq(t, "score", "--data", data, "--out", out, "--roles", "2", "--train-to", "2015-01-01 06:00:00",
		"--expect", "previous", "--seed", "4", "--memberships")
	if !strings.Contains(got, "48 intervals") || !strings.Contains(got, "2 roles (fixed)") {
		t.Errorf("score output:\n%s", got)
	}
	for _, f := range []string{"scores.parquet", "interval_scores.parquet", "roles.parquet", "roles_basis.parquet", "experiment.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	var exp struct {
		Expectation string `json:"expectation"`
		TrainTo     string `json:"train_to"`
		Seed        uint64 `json:"seed"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "experiment.json")); err != nil || json.Unmarshal(b, &exp) != nil {
		t.Fatalf("experiment.json: %v", err)
	}
	if exp.Expectation != "previous" || exp.TrainTo != "2015-01-01 06:00:00" || exp.Seed != 4 {
		t.Errorf("experiment.json %+v", exp)
	}

	got = lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"))
	for _, want := range []string{"red team:", "entities", "ROC AUC", "intervals Δ(t)", "eval.json"} {
		if !strings.Contains(got, want) {
			t.Errorf("eval output lacks %q:\n%s", want, got)
		}
	}
	var ev struct {
		Entities struct {
			N         int      `json:"n"`
			Positives int      `json:"positives"`
			AUC       *float64 `json:"roc_auc"`
		} `json:"entities"`
	}
	if b, err := os.ReadFile(filepath.Join(out, "eval.json")); err != nil || json.Unmarshal(b, &ev) != nil {
		t.Fatalf("eval.json: %v", err)
	}
	if ev.Entities.N == 0 || ev.Entities.Positives == 0 || ev.Entities.AUC == nil {
		t.Errorf("eval.json entities %+v", ev.Entities)
	}
	other := filepath.Join(t.TempDir(), "e.json")
	lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"), "--out", other, "--interval", "1h")
	if _, err := os.Stat(other); err != nil {
		t.Error(err)
	}

	got = lanlq(t, "plot", "--data", data, "--out", out)
	names := []string{"redteam_per_hour.png", "redteam_per_day.png", "interval_scores.png", "roc.png", "pr.png", "top_artifacts.png"}
	for _, name := range names {
		path := filepath.Join(out, "plots", name)
		if !strings.Contains(got, path) {
			t.Errorf("plot output lacks %s:\n%s", path, got)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Error(err)
			continue
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		} else if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			t.Errorf("%s: %v", name, b)
		}
	}

	// The same settings again: the folder is up to date, nothing is written.
	got = lanlq(t, "score", "--data", data, "--out", out, "--roles", "2", "--train-to", "2015-01-01 06:00:00",
		"--expect", "previous", "--seed", "4", "--memberships")
	if !strings.Contains(got, "is up to date") {
		t.Errorf("score output of a rerun:\n%s", got)
	}
	// Other settings are refused: the folder holds a run that would not continue.
	lanlqFails(t, []string{"holds a run with other settings", "--rescore"}, "score", "--data", data, "--out", out)
	// The default computes no roles: the same folder rescored loses the roles files.
	got = lanlq(t, "score", "--data", data, "--out", out, "--rescore")
	if !strings.Contains(got, "no role memberships") || strings.Contains(got, "trained on") {
		t.Errorf("default score output:\n%s", got)
	}
	for _, f := range []string{"roles.parquet", "roles_basis.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s after a default run: %v", f, err)
		}
	}
	lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"))
	got = lanlq(t, "plot", "--data", data, "--out", out)
	for _, name := range names {
		if !strings.Contains(got, filepath.Join(out, "plots", name)) {
			t.Errorf("plot output of a default run lacks %s:\n%s", name, got)
		}
	}
}

// TestScoreBadFlags fails with one clear error.
func TestScoreBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"score", "--data", t.TempDir(), "--out", t.TempDir(), "--roles", "many"},
		{"score", "--data", t.TempDir(), "--out", t.TempDir(), "--expect", "mean"},
		{"eval", "--data", t.TempDir(), "--scores", filepath.Join(t.TempDir(), "none.parquet")},
	} {
		resetFlags()
		rootCmd.SetArgs(args)
		if err := rootCmd.Execute(); err == nil {
			t.Errorf("lanlq %s: no error", strings.Join(args, " "))
		}
	}
}

// TestSettingFlagErrors checks that the shared settings parser's errors name the flag
// the user typed, and still wrap engine's sentinel.
func TestSettingFlagErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
		kind error
	}{
		{[]string{"score", "--train-from", "7200", "--train-to", "3600"}, "--train-to: empty training window [2015-01-01 02:00:00, 2015-01-01 01:00:00)", engine.ErrScoreSpec},
		{[]string{"score", "--roles", "many"}, `--roles: "many" is neither a positive number nor auto`, engine.ErrScoreSpec},
		{[]string{"score", "--half-life", "-1"}, "--half-life: must be a positive number of intervals, got -1", engine.ErrScoreSpec},
		{[]string{"edges", "--from", "yesterday"}, `--from: "yesterday" is neither LANL seconds nor a timestamp like 2015-01-02 08:00:00 (UTC) or 2015-01-02T09:00:00+01:00`, engine.ErrEdgeSpec},
	}
	for _, c := range cases {
		resetFlags()
		rootCmd.SetArgs(append(c.args, "--data", t.TempDir(), "--out", t.TempDir()))
		err := rootCmd.Execute()
		if err == nil || err.Error() != c.want || !errors.Is(err, c.kind) {
			t.Errorf("lanlq %s: %v, want %q wrapping %v", strings.Join(c.args, " "), err, c.want, c.kind)
		}
	}
}
