package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRunCLI: lanlq synth, ingest, then lanl_edges through lanlq sql -c and an
// experiment through lanlq run, whose progress lines name each statement's line.
func TestRunCLI(t *testing.T) {
	raw, data, out := t.TempDir(), t.TempDir(), t.TempDir()
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.1", "--seed", "1")
	lanlq(t, "ingest", "--raw", raw, "--data", data)

	csv := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		"SELECT count(DISTINCT interval_start) AS n, bool_and(a < b) AS ordered FROM lanl_edges('entity', 21600, to_ts := 43200)")
	if lines := strings.Fields(csv); len(lines) != 2 || lines[1] != "2,true" {
		t.Fatalf("lanl_edges through lanlq sql: %q", csv)
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
