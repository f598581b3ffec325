package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/lanlq/lanlq/internal/faultpoint"
)

// signalChildEnv makes this test binary a lanlq process held at a fault point (see
// signalChild): {"point": prefix of the point's name, "args": the command line}.
const signalChildEnv = "LANLQ_SIGNAL_CHILD"

// signalChild runs lanlq as main does. At the first fault point whose name starts
// with the point asked for it prints "reached POINT" and holds the run until the
// parent's signal cancels the run's context, so the command goes on from exactly
// that point with its context cancelled.
func signalChild(spec string) int {
	var req struct {
		Point string
		Args  []string
	}
	if err := json.Unmarshal([]byte(spec), &req); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var once sync.Once
	faultpoint.Set(func(ctx context.Context, point string) {
		if strings.HasPrefix(point, req.Point) {
			once.Do(func() {
				fmt.Println("reached " + point)
				<-ctx.Done()
			})
		}
	})
	return execute(req.Args)
}

// interrupt runs lanlq args in a child process, sends it sig once it reports point,
// and returns its standard error. The child must exit with status 1 saying it was
// interrupted, and leave nothing in its private temporary folder.
func interrupt(t *testing.T, sig syscall.Signal, point string, args ...string) string {
	t.Helper()
	return interruptWant(t, sig, point, 1, args...)
}

// interruptWant is interrupt with the exit status the child must end with: 1 (and
// "interrupted") for a command stopped in the middle, 0 for one that ends cleanly
// (lanlq score --follow between cycles).
func interruptWant(t *testing.T, sig syscall.Signal, point string, want int, args ...string) string {
	t.Helper()
	spec, _ := json.Marshal(map[string]any{"Point": point, "Args": args})
	tmp := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), signalChildEnv+"="+string(spec), "TMPDIR="+tmp)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	reached := false
	sc := bufio.NewScanner(stdout)
	for !reached && sc.Scan() {
		if strings.HasPrefix(sc.Text(), "reached ") {
			reached = true
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		}
	}
	io.Copy(io.Discard, stdout)
	err = cmd.Wait()
	name := strings.Join(args[:1], " ") + " (" + sig.String() + ")"
	if !reached {
		t.Fatalf("%s never reached %q: %v\n%s", name, point, err, errOut.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != want || (want == 1) != strings.Contains(errOut.String(), "lanlq: interrupted by a signal") {
		t.Errorf("%s: exit status %d, stderr %q; want %d, and 'interrupted' with 1", name, code, errOut.String(), want)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) > 0 {
		t.Errorf("%s: %d entries left in its temporary folder, first %s", name, len(entries), entries[0].Name())
	}
	return errOut.String()
}

// snapshot lists the files under dir with their sums, and every temporary or stage
// entry beside and under it (*.tmp, .NAME.tmp-…), for before/after comparisons.
func snapshot(t *testing.T, dir string) (files map[string][32]byte, temps []string) {
	t.Helper()
	files = map[string][32]byte{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		if strings.Contains(info.Name(), ".tmp") {
			temps = append(temps, p)
		}
		if info.Mode().IsRegular() && !strings.Contains(p, string(filepath.Separator)+".lanlq"+string(filepath.Separator)) {
			files[strings.TrimPrefix(p, dir)] = fileSum(t, p)
		}
		return nil
	})
	stages, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*"))
	return files, append(temps, stages...)
}

// TestSignals interrupts every long command with SIGINT and then SIGTERM at a point
// inside its work (reported by the child, never timed): each exits saying so, its
// output is as before (absent, or the previous run's), no temporary file, stage or
// spill folder is left, its locks are released, and a rerun gives the result of an
// uninterrupted run.
func TestSignals(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	raw, data, fixtureOut := scoredFixture(t)
	base := t.TempDir()
	// The fixture's score results, apart from what other tests add beside them.
	refOut := filepath.Join(base, "ref-out")
	copyDir(t, fixtureOut, refOut)
	os.Remove(filepath.Join(refOut, "eval.json"))
	scoreArgs := []string{"--roles", "2", "--generations", "1", "--train-to", "2015-01-01 06:00:00"}
	edgeArgs := []string{"--from", "2015-01-01 00:00:00", "--to", "2015-01-01 04:00:00"}
	exp := filepath.Join(base, "exp.sql")
	os.WriteFile(exp, []byte("COPY (SELECT * FROM dns ORDER BY ALL) TO (getvariable('out') || '/dns.parquet') (FORMAT parquet);\n"+
		"COPY (SELECT * FROM auth ORDER BY ALL LIMIT 1000) TO (getvariable('out') || '/auth.parquet') (FORMAT parquet);\n"), 0o644)
	sigs := []syscall.Signal{syscall.SIGINT, syscall.SIGTERM}

	// same fails the test unless dir holds what want does and no temporary entry.
	same := func(what, dir, want string) {
		t.Helper()
		got, temps := snapshot(t, dir)
		exp, _ := snapshot(t, want)
		if fmt.Sprint(got) != fmt.Sprint(exp) {
			t.Errorf("%s: %s holds %d files differing from the %d of %s", what, dir, len(got), len(exp), want)
		}
		if len(temps) > 0 {
			t.Errorf("%s: temporary entries left: %v", what, temps)
		}
	}
	absent := func(what, dir string) {
		t.Helper()
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s: %s exists", what, dir)
		}
		if stages, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")); len(stages) > 0 {
			t.Errorf("%s: stages left: %v", what, stages)
		}
	}

	t.Run("synth", func(t *testing.T) {
		dir := filepath.Join(base, "synth")
		args := []string{"synth", "--out", dir, "--days", "2", "--scale", "0.05", "--seed", "11"}
		lanlq(t, "synth", "--out", dir, "--days", "1", "--scale", "0.01", "--seed", "3")
		before := filepath.Join(base, "synth-before")
		copyDir(t, dir, before)
		for _, sig := range sigs {
			interrupt(t, sig, "synth hour", args...)
			same("synth interrupted", dir, before)
		}
		lanlq(t, args...)
		same("synth rerun", dir, raw)
	})

	t.Run("ingest", func(t *testing.T) {
		dir := filepath.Join(base, "ingest")
		counts := func(d string) string {
			return lanlq(t, "sql", "--data", d, "--format", "csv", "-c",
				"SELECT (SELECT count(*) || '/' || coalesce(sum(hash(a)), 0) FROM auth AS a), (SELECT count(*) || '/' || coalesce(sum(hash(p)), 0) FROM proc AS p), "+
					"(SELECT count(*) || '/' || coalesce(sum(hash(f)), 0) FROM flows AS f), (SELECT count(*) || '/' || coalesce(sum(hash(d)), 0) FROM dns AS d), "+
					"(SELECT count(*) || '/' || coalesce(sum(hash(r)), 0) FROM redteam AS r)")
		}
		values := func(csv string) []string {
			return strings.Split(strings.Split(strings.TrimSpace(csv), "\n")[1], ",")
		}
		want := values(counts(data))
		for _, sig := range sigs {
			// The second run resumes from the first's committed segments: it may
			// publish a stream before it reaches the next commit.
			interrupt(t, sig, "ingest commit", "ingest", "--raw", raw, "--data", dir)
			for i, v := range values(counts(dir)) {
				if v != "0/0" && v != want[i] {
					t.Errorf("ingest interrupted: stream %d shows %s, want 0/0 or %s", i, v, want[i])
				}
			}
			if _, temps := snapshot(t, dir); len(temps) > 0 {
				t.Errorf("ingest interrupted: temporary entries left: %v", temps)
			}
		}
		lanlq(t, "ingest", "--raw", raw, "--data", dir)
		if got, want := counts(dir), counts(data); got != want {
			t.Errorf("ingest rerun:\n%s\nuninterrupted\n%s", got, want)
		}
	})

	t.Run("score", func(t *testing.T) {
		dir := filepath.Join(base, "score")
		copyDir(t, refOut, dir)
		// --rescore: dir holds refOut's results and state, which would leave nothing to score.
		args := append([]string{"score", "--data", data, "--out", dir, "--rescore"}, scoreArgs...)
		for _, sig := range sigs {
			interrupt(t, sig, "score interval", args...)
			same("score interrupted", dir, refOut)
		}
		os.RemoveAll(dir)
		lanlq(t, args...)
		same("score rerun", dir, refOut)
	})

	t.Run("edges", func(t *testing.T) {
		ref, dir := filepath.Join(base, "edges-ref"), filepath.Join(base, "edges")
		lanlq(t, append([]string{"edges", "--data", data, "--out", ref}, edgeArgs...)...)
		args := append([]string{"edges", "--data", data, "--out", dir}, edgeArgs...)
		for _, sig := range sigs {
			interrupt(t, sig, "edges interval", args...)
			absent("edges interrupted", dir)
		}
		lanlq(t, args...)
		same("edges rerun", dir, ref)
	})

	t.Run("eval", func(t *testing.T) {
		ref, dir := filepath.Join(base, "eval-ref"), filepath.Join(base, "eval")
		scores := filepath.Join(refOut, "scores.parquet")
		lanlq(t, "eval", "--data", data, "--scores", scores, "--out", ref)
		args := []string{"eval", "--data", data, "--scores", scores, "--out", dir}
		for _, sig := range sigs {
			interrupt(t, sig, "eval evaluated", args...)
			absent("eval interrupted", filepath.Join(dir, "eval.json"))
		}
		lanlq(t, args...)
		same("eval rerun", dir, ref)
	})

	t.Run("plot", func(t *testing.T) {
		ref, dir := filepath.Join(base, "plot-ref"), filepath.Join(base, "plot")
		copyDir(t, refOut, ref)
		copyDir(t, refOut, dir)
		lanlq(t, "plot", "--data", data, "--out", ref)
		for _, sig := range sigs {
			interrupt(t, sig, "plot drawn", "plot", "--data", data, "--out", dir)
			same("plot interrupted", dir, refOut)
		}
		lanlq(t, "plot", "--data", data, "--out", dir)
		same("plot rerun", dir, ref)
	})

	t.Run("run", func(t *testing.T) {
		ref, dir := filepath.Join(base, "run-ref"), filepath.Join(base, "run")
		lanlq(t, "run", "--data", data, "--out", ref, exp)
		for _, sig := range sigs {
			interrupt(t, sig, "run statement", "run", "--data", data, "--out", dir, exp)
			absent("run interrupted", dir)
		}
		lanlq(t, "run", "--data", data, "--out", dir, exp)
		same("run rerun", dir, ref)
	})
}
