package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lanlq/lanlq/engine"
)

// TestRunCLI: lanlq synth, ingest, then lanl_edges through lanlq sql -c and an
// experiment through lanlq run, whose progress lines name each statement's line.
func TestRunCLI(t *testing.T) {
	raw, data, out := t.TempDir(), t.TempDir(), t.TempDir()
	// A small day: the checks below count intervals, rows per artifact and statement lines.
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.03", "--seed", "1")
	lanlq(t, "ingest", "--raw", raw, "--data", data)

	csv := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		"SELECT count(DISTINCT interval_start) AS n, bool_and(a < b) AS ordered FROM lanl_edges('entity', 21600, to_ts := 43200)")
	if lines := strings.Fields(csv); len(lines) != 2 || lines[1] != "2,true" {
		t.Fatalf("lanl_edges through lanlq sql: %q", csv)
	}
	// The scoring functions, through lanlq sql too: one statement, one scoring run
	// shared by the three calls. Every artifact score has a role; intervals match.
	csv = lanlq(t, "sql", "--data", data, "--format", "csv", "-c", `
		SET VARIABLE a = 'notebook';
		WITH s AS (SELECT * FROM lanl_scores(getvariable('a'), 3600, to_ts := 28800, roles := 2, train_to := 14400)),
		     r AS (SELECT * FROM lanl_roles(getvariable('a'), 3600, to_ts := 28800, roles := 2, train_to := 14400)),
		     i AS (SELECT * FROM lanl_interval_scores(getvariable('a'), 3600, to_ts := 28800, roles := 2, train_to := 14400))
		SELECT (SELECT count(*) FROM s) > 0 AND (SELECT count(*) FROM s) = (SELECT count(*) FROM r) AS same_rows,
		       (SELECT count(*) FROM i) AS intervals,
		       (SELECT count(*) FROM s WHERE NOT isfinite(score) OR score < 0) AS bad_scores`)
	if lines := strings.Fields(csv); len(lines) != 2 || lines[1] != "true,8,0" {
		t.Fatalf("lanl_scores, lanl_roles, lanl_interval_scores through lanlq sql: %q", csv)
	}
	// method := 'roles' is plain role dynamics: score = δ, no fused components.
	csv = lanlq(t, "sql", "--data", data, "--format", "csv", "-c", `
		SELECT count(*) FILTER (WHERE novelty_surprise IS NOT NULL OR volume_surprise IS NOT NULL) AS fused,
		       count(*) FILTER (WHERE abs(score - (SELECT sum(abs(x.a - x.b)) FROM
		           (SELECT unnest(membership_after) AS a, unnest(membership_before) AS b) AS x)) > 1e-9) AS not_delta
		FROM lanl_scores('notebook', 3600, to_ts := 28800, roles := 2, train_to := 14400, method := 'roles')`)
	if lines := strings.Fields(csv); len(lines) != 2 || lines[1] != "0,0" {
		t.Fatalf("lanl_scores method roles: %q", csv)
	}

	exp := filepath.Join(t.TempDir(), "exp.sql")
	text := "-- two results\nSET VARIABLE width = 7200;\nCOPY (SELECT interval_start, count(*) AS edges FROM lanl_edges('notebook', getvariable('width'))\n      GROUP BY ALL ORDER BY ALL) TO (getvariable('out') || '/counts.parquet') (FORMAT parquet);\n"
	if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	resetFlags()
	var stdout, stderr bytes.Buffer
	rootCmd.SetArgs([]string{"run", "--data", data, "--out", out, exp})
	rootCmd.SetOut(&stdout)
	rootCmd.SetErr(&stderr)
	if err := rootCmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("lanlq run: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "[1/2] exp.sql:2 SET VARIABLE width") || !strings.Contains(stderr.String(), "[2/2] exp.sql:3 COPY") {
		t.Errorf("progress lines:\n%s", stderr.String())
	}
	n := lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT count(*) FROM read_parquet('"+filepath.Join(out, "counts.parquet")+"')")
	if got, _ := strconv.Atoi(strings.Fields(n)[1]); got != 12 {
		t.Errorf("counts.parquet has %s rows, want 12 two-hour intervals", n)
	}
	for _, f := range []string{"exp.sql", "experiment.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	// A failing statement: file:line on the error, non-zero exit.
	os.WriteFile(exp, []byte("SELECT 1;\nSELECT nope FROM auth;\n"), 0o644)
	resetFlags()
	rootCmd.SetArgs([]string{"run", "--data", data, "--out", out, exp})
	err := rootCmd.ExecuteContext(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), exp+":2: ") {
		t.Fatalf("err = %v, want %s:2: …", err, exp)
	}
}

// notebookSchemas are the documented columns of the results of
// experiments/notebook.sql (the README's result file schemas): name and DuckDB type.
var notebookSchemas = map[string][]string{
	"scores.parquet": {"interval_start TIMESTAMP", "artifact VARCHAR", "kind VARCHAR", "value VARCHAR",
		"score DOUBLE", "new BOOLEAN", "role_before INTEGER", "role_after INTEGER",
		"membership_before DOUBLE[]", "membership_after DOUBLE[]"},
	"interval_scores.parquet": {"interval_start TIMESTAMP", "score DOUBLE", "score_known DOUBLE",
		"artifacts BIGINT", "new_artifacts BIGINT"},
	"roles.parquet": {"interval_start TIMESTAMP", "artifact VARCHAR", "role INTEGER", "membership DOUBLE[]"},
}

// TestRunNotebookExperiment: lanlq run experiments/notebook.sql on one tiny synthetic
// day writes scores, interval scores and roles with the documented columns (the
// documented ones first: a scoring method may add explanation columns after them), and
// a second run over the same OUT rewrites every file byte-identical.
func TestRunNotebookExperiment(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	raw, data, out := t.TempDir(), t.TempDir(), t.TempDir()
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.02", "--seed", "3")
	lanlq(t, "ingest", "--raw", raw, "--data", data)
	exp := filepath.Join("..", "..", "experiments", "notebook.sql")
	lanlq(t, "run", "--data", data, "--out", out, exp)

	first := map[string][]byte{}
	for _, name := range []string{"scores.parquet", "interval_scores.parquet", "roles.parquet", "notebook.sql", "experiment.json"} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || len(b) == 0 {
			t.Fatalf("%s: %v (%d bytes)", name, err, len(b))
		}
		first[name] = b
	}
	for name, want := range notebookSchemas {
		path := filepath.Join(out, name)
		csv := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
			"SELECT column_name || ' ' || column_type AS c FROM (DESCRIBE SELECT * FROM read_parquet('"+path+"'))")
		got := strings.Split(strings.TrimSpace(csv), "\n")[1:]
		if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
			t.Errorf("%s columns:\n%s\nwant %v first", name, strings.Join(got, "\n"), want)
		}
		n := lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT count(*) FROM read_parquet('"+path+"')")
		if rows, _ := strconv.Atoi(strings.Fields(n)[1]); rows == 0 {
			t.Errorf("%s has no rows", name)
		}
	}
	// Every interval of the day is scored; roles and scores hold the same rows.
	n := lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT (SELECT count(*) FROM read_parquet('"+
		filepath.Join(out, "interval_scores.parquet")+"')) || ',' || (SELECT count(*) FROM (SELECT interval_start, artifact FROM read_parquet('"+
		filepath.Join(out, "scores.parquet")+"') EXCEPT SELECT interval_start, artifact FROM read_parquet('"+
		filepath.Join(out, "roles.parquet")+"'))) AS r")
	if got := strings.Trim(strings.Fields(n)[1], `"`); got != "24,0" {
		t.Errorf("intervals, score rows without roles = %s, want 24,0", got)
	}
	info := string(first["experiment.json"])
	for _, want := range []string{`"arch": "notebook"`, `"expect": "previous"`, `"interval_seconds": "3600"`,
		`"scores.parquet"`, `"interval_scores.parquet"`, `"roles.parquet"`, `"runs": [`} {
		if !strings.Contains(info, want) {
			t.Errorf("experiment.json lacks %s:\n%s", want, info)
		}
	}
	// The three calls made one scoring run, so every result carries it as lanlq score's
	// results do (ExperimentKey), beside the experiment's record (ExperimentRunKey), and
	// lanlq eval needs no --interval and leaves the warm-up out.
	for _, name := range []string{"scores.parquet", "interval_scores.parquet", "roles.parquet"} {
		csv := lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT string_agg(decode(key), ' ' ORDER BY decode(key)) AS k FROM parquet_kv_metadata('"+
			filepath.Join(out, name)+"') WHERE decode(key) LIKE 'lanlq%'")
		if got := strings.Fields(csv); len(got) != 3 || got[1] != engine.ExperimentKey || got[2] != engine.ExperimentRunKey {
			t.Errorf("%s: lanlq keys %q, want %s and %s", name, got[1:], engine.ExperimentKey, engine.ExperimentRunKey)
		}
	}
	ctx := context.Background()
	sess, err := engine.Open(ctx, data, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	e, err := sess.ReadExperiment(ctx, filepath.Join(out, "scores.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if e.IntervalSeconds != 3600 || e.WarmupTo == "" || e.EvalWarmup != engine.EvalWarmupExcluded || e.Method != engine.MethodRoles {
		t.Errorf("experiment of the scores: interval %d s, warm-up to %q (%q), method %q; want 3600 s, a warm-up, excluded, %s",
			e.IntervalSeconds, e.WarmupTo, e.EvalWarmup, e.Method, engine.MethodRoles)
	}
	rep, err := sess.Evaluate(ctx, filepath.Join(out, "scores.parquet"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if rep.IntervalSeconds != 3600 || rep.WarmupExcludedTo != e.WarmupTo {
		t.Errorf("eval without an interval: %d s, warm-up left out to %q; want 3600 s, %q", rep.IntervalSeconds, rep.WarmupExcludedTo, e.WarmupTo)
	}

	lanlq(t, "run", "--data", data, "--out", out, exp)
	for name, b := range first {
		again, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(again, b) {
			t.Errorf("%s differs after the second run (%v)", name, err)
		}
	}
}
