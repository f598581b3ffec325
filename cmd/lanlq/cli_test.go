package main

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// lanlq runs the CLI in-process with args and returns its standard output.
func lanlq(t *testing.T, args ...string) string {
	t.Helper()
	out, _ := lanlqOutputs(t, args...)
	return out
}

// lanlqStderr runs the CLI in-process with args and returns its standard error.
func lanlqStderr(t *testing.T, args ...string) string {
	t.Helper()
	_, errOut := lanlqOutputs(t, args...)
	return errOut
}

// lanlqOutputs runs the CLI in-process with args, fails the test if it fails, and
// returns its standard output and standard error.
func lanlqOutputs(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	resetFlags()
	var out, errOut bytes.Buffer
	rootCmd.SetArgs(args)
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&errOut)
	if err := rootCmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("lanlq %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// TestSynthIngestSQLCounts is the foundation's end-to-end check: for every stream,
// lanlq sql's count equals `zcat FILE | wc -l` of the generated file.
func TestSynthIngestSQLCounts(t *testing.T) {
	if _, err := exec.LookPath("zcat"); err != nil {
		t.Skip("zcat not installed")
	}
	// The shared generated and ingested data set: a second ingest must leave it as is.
	raw, data, _ := scoredFixture(t)
	for _, stream := range []string{"auth", "proc", "flows", "dns", "redteam"} {
		wc, err := exec.Command("sh", "-c", "zcat "+filepath.Join(raw, stream+".txt.gz")+" | wc -l").Output()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := strconv.Atoi(strings.TrimSpace(string(wc)))
		out := lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT count(*) AS n FROM "+stream)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != 2 || lines[0] != "n" {
			t.Fatalf("%s: csv output %q", stream, out)
		}
		got, _ := strconv.Atoi(lines[1])
		if got != want || want == 0 {
			t.Errorf("%s: lanlq sql count %d, zcat | wc -l %d", stream, got, want)
		}
	}
	// A second ingest changes nothing and says so.
	if out := lanlq(t, "ingest", "--raw", raw, "--data", data); !strings.Contains(out, "nothing to do") {
		t.Errorf("second ingest output %q, want 'nothing to do'", out)
	}
	// JSON and table formats, and the rejects view, work too.
	if out := lanlq(t, "sql", "--data", data, "--format", "json", "-c", "SELECT count(*) AS n FROM rejects"); !strings.Contains(out, `"n": 0`) {
		t.Errorf("json output %q", out)
	}
	if out := lanlq(t, "sql", "--data", data, "-c", "SELECT 1 AS one"); !strings.Contains(out, "one") || !strings.Contains(out, "(1 row)") {
		t.Errorf("table output %q", out)
	}
}

// resetFlags restores every flag's default: cobra keeps values between in-process runs.
func resetFlags() {
	for _, c := range rootCmd.Commands() {
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if sv, ok := f.Value.(pflag.SliceValue); ok {
				// Set appends to a slice flag (--source); its default is empty.
				sv.Replace(nil)
				f.Changed = false
				return
			}
			f.Value.Set(f.DefValue)
			f.Changed = false
		})
	}
}

func TestSQLErrorExitsNonZero(t *testing.T) {
	_, data, _ := scoredFixture(t)
	resetFlags()
	rootCmd.SetArgs([]string{"sql", "--data", data, "-c", "SELECT * FROM no_such_table"})
	var out bytes.Buffer
	rootCmd.SetOut(&out)
	rootCmd.SetErr(&out)
	err := rootCmd.ExecuteContext(context.Background())
	if err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Fatalf("err = %v, want DuckDB's error naming the table", err)
	}
}
