package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lanlqRun runs the CLI in-process and returns its standard output and error and the
// command's error.
func lanlqRun(args ...string) (stdout, stderr string, err error) {
	resetFlags()
	var out, errOut bytes.Buffer
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	err = rootCmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

// lanlqFails runs the CLI and fails the test unless it fails with an error holding
// every one of wants.
func lanlqFails(t *testing.T, wants []string, args ...string) {
	t.Helper()
	_, _, err := lanlqRun(args...)
	if err == nil {
		t.Errorf("lanlq %s: no error", strings.Join(args, " "))
		return
	}
	for _, w := range wants {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("lanlq %s: error %q lacks %q", strings.Join(args, " "), err, w)
		}
	}
}

// firstHour is a small scored data set shared by the tests of this file: 2 days of
// generated data, ingested, scored by the default (fused novelty and volume, no roles).
var firstHour struct {
	once           sync.Once
	dir            string
	raw, data, out string
}

func scoredFixture(t *testing.T) (raw, data, out string) {
	t.Helper()
	f := &firstHour
	f.once.Do(func() {
		dir, err := os.MkdirTemp("", "lanlq-firsthour-")
		if err != nil {
			t.Fatal(err)
		}
		f.dir = dir
		f.raw, f.data, f.out = filepath.Join(dir, "raw"), filepath.Join(dir, "data"), filepath.Join(dir, "out")
		lanlq(t, "synth", "--out", f.raw, "--days", "2", "--scale", "0.05", "--seed", "11")
		lanlq(t, "ingest", "--raw", f.raw, "--data", f.data)
		lanlq(t, "score", "--data", f.data, "--out", f.out)
	})
	if f.out == "" {
		t.Fatal("fixture failed in an earlier test")
	}
	return f.raw, f.data, f.out
}

func TestMain(m *testing.M) {
	if spec := os.Getenv(signalChildEnv); spec != "" {
		os.Exit(signalChild(spec))
	}
	code := m.Run()
	if firstHour.dir != "" {
		os.RemoveAll(firstHour.dir)
	}
	os.Exit(code)
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// tree lists the files under dir with their sizes, for before/after comparisons.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil {
			lines = append(lines, strings.TrimPrefix(p, dir)+" "+info.Mode().String())
		}
		return nil
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// copyDir copies the result files of a scoring run (a flat folder).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	// The whole tree: a run's OUT holds folders too (state/, score parts).
	err := filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dst, strings.TrimPrefix(p, src))
		if e.IsDir() {
			return os.MkdirAll(to, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(to, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Outputs: never destroy what the user has.

func TestEvalOutNeverReplacesAFile(t *testing.T) {
	_, data, out := scoredFixture(t)
	scores := filepath.Join(out, "scores.parquet")
	sum := fileSum(t, scores)
	lanlqFails(t, []string{"is a file", "--out names the folder"}, "eval", "--data", data, "--scores", scores, "--out", scores)
	if fileSum(t, scores) != sum {
		t.Fatal("eval --out scores.parquet changed the scores")
	}
	// Nor into a folder holding another run's results.
	other := filepath.Join(t.TempDir(), "other")
	copyDir(t, out, other)
	lanlqFails(t, []string{"holds the results of another run"}, "eval", "--data", data, "--scores", scores, "--out", other)
}

func TestEvalOutIsAFolder(t *testing.T) {
	_, data, out := scoredFixture(t)
	dir := t.TempDir() // an existing folder
	got := lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"), "--out", dir)
	if !strings.Contains(got, filepath.Join(dir, "eval.json")) {
		t.Errorf("eval output:\n%s", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "eval.json" {
		t.Errorf("--out folder holds %v, want eval.json alone", entries)
	}
	for _, d := range []string{filepath.Dir(dir), out, filepath.Dir(out)} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if strings.Contains(e.Name(), ".tmp") || strings.HasSuffix(e.Name(), ".lock") {
				t.Errorf("left behind: %s", filepath.Join(d, e.Name()))
			}
		}
	}
}

func TestEdgesOutsideTheDataKeepsTheExport(t *testing.T) {
	_, data, _ := scoredFixture(t)
	eft := filepath.Join(t.TempDir(), "eft")
	lanlq(t, "edges", "--data", data, "--out", eft, "--from", "2015-01-01 00:00:00", "--to", "2015-01-01 02:00:00")
	before := tree(t, eft)
	lanlqFails(t, []string{"no events in the frame", "span 2015-01-01", "2015-01-02"},
		"edges", "--data", data, "--out", eft, "--from", "2016-01-01", "--to", "2016-01-02")
	if after := tree(t, eft); after != before || !strings.Contains(before, "interval_start=2015-01-01 01:00:00") {
		t.Errorf("the earlier export changed:\n%s\n→\n%s", before, after)
	}
}

func TestRescoreRemovesTheOldRunsFiles(t *testing.T) {
	_, data, out := scoredFixture(t)
	mine := filepath.Join(t.TempDir(), "s")
	copyDir(t, out, mine)
	lanlq(t, "eval", "--data", data, "--scores", filepath.Join(mine, "scores.parquet"))
	os.MkdirAll(filepath.Join(mine, "plots"), 0o755)
	os.WriteFile(filepath.Join(mine, "plots", "roc.png"), []byte("an old plot"), 0o644)
	// Other settings than the saved run's are refused (issue 14's saved state), OUT untouched;
	// --rescore replaces the run whole.
	before := tree(t, mine)
	lanlqFails(t, []string{"other settings", "--rescore"},
		"score", "--data", data, "--out", mine, "--from", "2015-01-01 00:00:00", "--to", "2015-01-01 12:00:00")
	if after := tree(t, mine); after != before {
		t.Errorf("a refused score changed OUT:\n%s\n→\n%s", before, after)
	}
	lanlq(t, "score", "--data", data, "--out", mine, "--from", "2015-01-01 00:00:00", "--to", "2015-01-01 12:00:00", "--rescore")
	for _, stale := range []string{"eval.json", "plots"} {
		if _, err := os.Stat(filepath.Join(mine, stale)); err == nil {
			t.Errorf("%s of the previous run still beside the new scores", stale)
		}
	}
	// A folder that is not a lanlq result is never replaced.
	user := t.TempDir()
	os.WriteFile(filepath.Join(user, "notes.txt"), []byte("mine"), 0o644)
	lanlqFails(t, []string{"notes.txt", "not the results of an earlier lanlq score or run"},
		"score", "--data", data, "--out", user, "--roles", "2")
}

// Inputs: check them against the data.

func TestNotADataFolder(t *testing.T) {
	raw, _, out := scoredFixture(t)
	empty := t.TempDir()
	rawBefore := tree(t, raw)
	scores := filepath.Join(out, "scores.parquet")
	for _, dir := range []string{raw, empty} {
		for _, args := range [][]string{
			{"sql", "--data", dir, "-c", "SELECT count(*) FROM auth"},
			{"edges", "--data", dir, "--out", filepath.Join(t.TempDir(), "e")},
			{"score", "--data", dir, "--out", filepath.Join(t.TempDir(), "s")},
			{"eval", "--data", dir, "--scores", scores},
			{"explain", "--data", dir, "--scores", scores, "C1", "2015-01-02 00:00:00"},
		} {
			lanlqFails(t, []string{"not a lanlq data folder", "lanlq ingest --raw"}, args...)
		}
	}
	if after := tree(t, raw); after != rawBefore {
		t.Errorf("the raw folder changed:\n%s", after)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("the empty folder got %v", entries)
	}
}

func TestIngestRawIntoItself(t *testing.T) {
	raw := t.TempDir()
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.01")
	before := tree(t, raw)
	lanlqFails(t, []string{"same folder"}, "ingest", "--raw", raw, "--data", raw)
	lanlqFails(t, []string{"same folder"}, "ingest", "--raw", raw, "--data", raw+"/.")
	if tree(t, raw) != before {
		t.Error("the raw folder changed")
	}
}

func TestIngestWarnings(t *testing.T) {
	raw, data := t.TempDir(), t.TempDir()
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.01")
	if _, stderr, err := lanlqRun("ingest", "--raw", raw, "--data", data); err != nil || stderr != "" {
		t.Fatalf("first ingest: %v, stderr %q", err, stderr)
	}
	raw2 := t.TempDir()
	b, _ := os.ReadFile(filepath.Join(raw, "auth.txt.gz"))
	os.WriteFile(filepath.Join(raw2, "auth.txt.gz"), b, 0o644)
	os.WriteFile(filepath.Join(raw2, "dns.txt.gz"), nil, 0o644) // zero bytes
	_, stderr, err := lanlqRun("ingest", "--raw", raw2, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"lanlq: warning: auth: now loaded from " + raw2, "proc, flows, redteam stay from the earlier ingest",
		"lanlq: warning: dns: " + filepath.Join(raw2, "dns.txt.gz") + " holds no line: the stream is empty"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestResultsFromOtherData(t *testing.T) {
	_, _, out := scoredFixture(t)
	raw, other := t.TempDir(), t.TempDir()
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.01", "--seed", "2")
	lanlq(t, "ingest", "--raw", raw, "--data", other)
	scores := filepath.Join(out, "scores.parquet")
	for _, args := range [][]string{
		{"eval", "--data", other, "--scores", scores, "--out", t.TempDir()},
		{"explain", "--data", other, "--scores", scores, "C1", "2015-01-02 00:00:00"},
		{"plot", "--data", other, "--out", out},
	} {
		lanlqFails(t, []string{"another data set", "data fingerprint"}, args...)
	}
	if _, err := os.Stat(filepath.Join(out, "plots")); err == nil {
		t.Error("plot wrote plots for scores of another data set")
	}
}

func TestEvalIntervalAgainstTheRecordedOne(t *testing.T) {
	_, data, out := scoredFixture(t)
	scores := filepath.Join(out, "scores.parquet")
	lanlqFails(t, []string{"--interval 2h0m0s", "scored in 3600 s intervals"}, "eval", "--data", data, "--scores", scores,
		"--interval", "2h", "--out", t.TempDir())
	lanlq(t, "eval", "--data", data, "--scores", scores, "--interval", "3600", "--out", t.TempDir())
}

func TestIntervalAndHalfLifeFlags(t *testing.T) {
	raw, data, _ := scoredFixture(t)
	for _, c := range []struct {
		value, want string
	}{{"0", "at least one second"}, {"-1h", "at least one second"}, {"1.5s", "whole number of seconds"}, {"hour", "neither seconds"}} {
		lanlqFails(t, []string{"--interval", c.want}, "ingest", "--raw", raw, "--data", t.TempDir(), "--interval", c.value)
		lanlqFails(t, []string{"--interval", c.want}, "edges", "--data", data, "--out", t.TempDir(), "--interval", c.value)
	}
	for _, v := range []string{"0", "-2"} {
		lanlqFails(t, []string{"--half-life", "positive"}, "score", "--data", data, "--out", filepath.Join(t.TempDir(), "s"), "--half-life", v)
	}
	for value, seconds := range map[string]float64{"3600": 3600, "2d": 172800} {
		d := t.TempDir()
		lanlq(t, "ingest", "--raw", raw, "--data", d, "--interval", value)
		var m struct {
			IntervalSeconds float64 `json:"interval_seconds"`
		}
		b, _ := os.ReadFile(filepath.Join(d, "lanlq.json"))
		if err := json.Unmarshal(b, &m); err != nil || m.IntervalSeconds != seconds {
			t.Errorf("--interval %s: interval_seconds %v (%v), want %v", value, m.IntervalSeconds, err, seconds)
		}
	}
}

// TestFromWithOffset: a time with an offset is the instant it names (all times UTC).
func TestFromWithOffset(t *testing.T) {
	_, data, _ := scoredFixture(t)
	utc, offset := filepath.Join(t.TempDir(), "utc"), filepath.Join(t.TempDir(), "offset")
	lanlq(t, "edges", "--data", data, "--out", utc, "--from", "2015-01-01 06:00:00", "--to", "2015-01-01 08:00:00")
	lanlq(t, "edges", "--data", data, "--out", offset, "--from", "2015-01-01T07:00:00+01:00", "--to", "2015-01-01 03:00:00-05:00")
	if a, b := tree(t, utc), tree(t, offset); a != b || !strings.Contains(a, "interval_start=2015-01-01 07:00:00") || strings.Contains(a, "08:00:00") {
		t.Errorf("frames differ:\n%s\n--\n%s", a, b)
	}
}

func TestVersion(t *testing.T) {
	got := lanlq(t, "--version")
	if !strings.HasPrefix(got, "lanlq ") || !strings.Contains(got, "\nDuckDB v1.") {
		t.Errorf("--version:\n%s", got)
	}
}

// Warm-up: a frame all warm-up says so at score time, with the fix, and a default
// training window past --to is named; eval says why it has nothing to rank.
func TestWarmupOnlyFrame(t *testing.T) {
	_, data, _ := scoredFixture(t)
	out := filepath.Join(t.TempDir(), "s")
	_, stderr, err := lanlqRun("score", "--data", data, "--out", out, "--roles", "2", "--generations", "-1",
		"--from", "2015-01-02 00:00:00", "--to", "2015-01-02 06:00:00", "--memberships")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"every interval of the frame [2015-01-02 00:00:00, 2015-01-02 06:00:00) is warm-up",
		`start the frame a day earlier (--from "2015-01-01 00:00:00")`,
		"roles trained on [2015-01-02 00:00:00, 2015-01-03 00:00:00)", "reaches 18h0m0s past --to 2015-01-02 06:00:00"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("score's stderr lacks %q:\n%s", want, stderr)
		}
	}
	got := lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"))
	if !strings.Contains(got, "nothing to rank: every scored interval is warm-up (before 2015-01-02 06:00:00)") {
		t.Errorf("eval output:\n%s", got)
	}
	// Its Δ(t) plot is left out, saying why, and no plot of an earlier plot run stays.
	os.MkdirAll(filepath.Join(out, "plots"), 0o755)
	os.WriteFile(filepath.Join(out, "plots", "old.png"), []byte("stale"), 0o644)
	got = lanlq(t, "plot", "--data", data, "--out", out)
	if !strings.Contains(got, "left out interval_scores.png: every interval is warm-up (before 2015-01-02 06:00:00)") {
		t.Errorf("plot output:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(out, "plots", "old.png")); err == nil {
		t.Error("an earlier plot stayed beside the new ones")
	}
	// A frame past its first day warns of nothing.
	_, stderr, err = lanlqRun("score", "--data", data, "--out", out, "--roles", "2", "--generations", "-1",
		"--train-to", "2015-01-01 06:00:00", "--memberships", "--rescore")
	if err != nil || stderr != "" {
		t.Errorf("whole-data score: %v, stderr %q", err, stderr)
	}
	// Role settings without anything that uses roles are named as unused.
	_, stderr, err = lanlqRun("score", "--data", data, "--out", out, "--roles", "2", "--train-to", "2015-01-01 06:00:00", "--rescore")
	if err != nil || !strings.Contains(stderr, "roles, the training window set but unused") || !strings.Contains(stderr, "--memberships") {
		t.Errorf("score with unused role settings: %v, stderr %q", err, stderr)
	}
}

// TestExplainAsANewUserTypesIt: the artifact name as scores.parquet writes it, the
// value in another case and the value itself explain the same thing; an entity in no
// score is refused with the nearest ones, an interval without its score says so and
// where it has one; contacts are listed once; raw lines have a header and timestamps.
func TestExplainAsANewUserTypesIt(t *testing.T) {
	_, data, out := scoredFixture(t)
	scores := filepath.Join(out, "scores.parquet")
	row := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		"SELECT strftime(interval_start, '%Y-%m-%d %H:%M:%S') AS at, kind || '::' || value AS artifact, value FROM '"+scores+
			"' WHERE NOT warmup AND kind = 'computer_source' ORDER BY score DESC, artifact LIMIT 1")
	fields := strings.Split(strings.Split(strings.TrimSpace(row), "\n")[1], ",")
	at, artifact, value := fields[0], fields[1], fields[2]
	want := lanlq(t, "explain", "--data", data, "--scores", scores, value, at)
	for _, typed := range []string{artifact, strings.ToLower(value)} {
		if got := lanlq(t, "explain", "--data", data, "--scores", scores, typed, at); got != want {
			t.Errorf("explain %q differs from explain %q:\n%s\n---\n%s", typed, value, got, want)
		}
	}
	if !strings.Contains(want, "ts (UTC)             time,") || !strings.Contains(want, "* marks the") {
		t.Errorf("explain output lacks the raw lines' header or the * legend:\n%s", want)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(want, "\n") {
		if name, _, ok := strings.Cut(line, " ("); ok && (strings.HasPrefix(line, " * ") || strings.HasPrefix(line, "   ")) && strings.Contains(line, " events, as ") {
			if seen[name] {
				t.Errorf("contact listed twice: %s", name)
			}
			seen[name] = true
		}
	}
	lanlqFails(t, []string{"not found", `"ZQ` + value + `" is not an entity`, "the nearest are"}, "explain", "--data", data, "--scores", scores, "ZQ"+value, at)
	got := lanlq(t, "explain", "--data", data, "--scores", scores, value, "2015-01-09 00:00:00")
	if !strings.Contains(got, "is after the scored frame") || !strings.Contains(got, "its nearest scored intervals: 2015-01-02") {
		t.Errorf("explain outside the frame:\n%s", got)
	}
}

// TestTopPerEntity: lanlq top lists entities by their best score outside the
// warm-up, each with its best rows and a line of why, checked against the scores.
func TestTopPerEntity(t *testing.T) {
	_, data, out := scoredFixture(t)
	scores := filepath.Join(out, "scores.parquet")
	got := lanlq(t, "top", "--data", data, "--scores", scores, "-n", "3", "--per-entity", "2")
	want := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		"SELECT value FROM '"+scores+"' WHERE NOT warmup GROUP BY value ORDER BY max(score) DESC, value LIMIT 3")
	lines := strings.Split(strings.TrimSpace(want), "\n")[1:]
	for i, v := range lines {
		if !strings.Contains(got, "\n"+strconv.Itoa(i+1)+". "+v+"\n") && !strings.HasPrefix(got, "1. "+v+"\n") {
			t.Errorf("top lacks entity %d %s:\n%s", i+1, v, got)
		}
	}
	rows := 0
	for _, l := range strings.Split(got, "\n") {
		if strings.HasPrefix(l, "   2015-01-01") {
			t.Errorf("a warm-up row: %s", l)
		}
		if strings.HasPrefix(l, "   2015-") {
			rows++
			if !strings.Contains(l, "drove it") && !strings.Contains(l, "novelty") {
				t.Errorf("row without its why: %s", l)
			}
		}
	}
	if rows < 3 || rows > 6 {
		t.Errorf("%d rows for 3 entities × 2", rows)
	}
}
