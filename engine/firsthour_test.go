package engine

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

// emptyData returns a lanlq data folder holding no event: the ingest of one empty
// stream file.
func emptyData(t testing.TB) string {
	t.Helper()
	raw, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(raw, "dns.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	return data
}

// lockHelperEnv makes the test binary, started again by holdLock, hold an exclusive
// lock on the path it names until its standard input closes.
const lockHelperEnv = "LANLQ_TEST_HOLD_LOCK"

// lockHelper is the test binary started again by holdLock (TestMain calls it).
func lockHelper() {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		return
	}
	l, err := lockExclusive(path, path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	l.Unlock()
	os.Exit(0)
}

// holdLock starts another process holding the exclusive lock of path and returns its
// pid once it holds it, and a function that makes it release the lock and exit.
func holdLock(t *testing.T, path string) (pid int, release func()) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("lock holder: %q %v", line, err)
	}
	done := false
	release = func() {
		if !done {
			done = true
			stdin.Close()
			cmd.Wait()
		}
	}
	t.Cleanup(release)
	return cmd.Process.Pid, release
}

// TestLocksAcrossProcesses: while another process writes OUT (or ingests into DATA),
// score, edges, run, eval and ingest fail at once, naming the holder's pid, and write
// nothing; once it is gone they succeed and no lock file is left.
func TestLocksAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 4000)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	s := openData(t, data)
	out := filepath.Join(t.TempDir(), "out")
	pid, release := holdLock(t, outLockPath(out))
	holder := fmt.Sprintf("pid %d", pid)
	exp := filepath.Join(t.TempDir(), "e.sql")
	os.WriteFile(exp, []byte("COPY (SELECT 1 AS x) TO (getvariable('out') || '/x.parquet') (FORMAT parquet);\n"), 0o644)
	spec := ScoreSpec{Roles: 2, Generations: -1, Edges: EdgeSpec{To: lanl.Origin.Add(6 * time.Hour)}}
	for name, run := range map[string]func() error{
		"score": func() error { _, err := s.Score(ctx, spec, out, nil); return err },
		"edges": func() error { return s.ExportEdges(ctx, EdgeSpec{}, out, nil) },
		"run":   func() error { return RunExperiment(ctx, data, out, exp, nil) },
		"eval":  func() error { _, _, err := s.EvaluateInto(ctx, filepath.Join(out, ScoresFile), 0, ""); return err },
		"plot":  func() error { _, err := s.PlotResults(ctx, out); return err },
	} {
		err := run()
		if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), holder) || !strings.Contains(err.Error(), out) {
			t.Errorf("%s while another process holds OUT: %v, want ErrLocked naming %s and %s", name, err, holder, out)
		}
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("OUT written while locked: %v", err)
	}
	// Explain only reads: it is refused while a writer holds OUT, too.
	if _, err := s.Explain(ctx, filepath.Join(out, ScoresFile), "C1", lanl.Origin); !errors.Is(err, ErrLocked) {
		t.Errorf("explain while OUT is written: %v, want ErrLocked", err)
	}
	release()
	if _, err := s.Score(ctx, spec, out, nil); err != nil {
		t.Fatalf("score after the holder left: %v", err)
	}
	if _, err := os.Stat(outLockPath(out)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file left beside OUT: %v", err)
	}

	// A second ingest into the same data folder.
	ingestLock := filepath.Join(data, internalDir, ingestLockName)
	pid, release = holdLock(t, ingestLock)
	os.Chtimes(filepath.Join(raw, "auth.txt.gz"), time.Now(), time.Now()) // new input: work to do
	before := snapshot(t, filepath.Join(data, internalDir, "gen"))
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", pid)) {
		t.Errorf("ingest while another ingests: %v, want ErrLocked naming pid %d", err, pid)
	}
	if after := snapshot(t, filepath.Join(data, internalDir, "gen")); after != before {
		t.Error("the refused ingest changed the generations")
	}
	release()
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatalf("ingest after the holder left: %v", err)
	}
}

// TestSessionSnapshotAcrossIngest: a session opened before an ingest publishes reads
// the data it opened, whole, until it closes; the replaced generation is removed only
// after, by a later ingest.
func TestSessionSnapshotAcrossIngest(t *testing.T) {
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 2000)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	old, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	rowsOld, sumOld, err := old.Checksum(ctx, "auth")
	if err != nil {
		t.Fatal(err)
	}
	fpOld, _ := old.fingerprint()
	gens := func() []string {
		entries, _ := os.ReadDir(filepath.Join(data, internalDir, "gen"))
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	before := gens()

	// New auth input, published while the old session is open.
	writeGz(t, filepath.Join(raw, "auth.txt.gz"), joinLines(fixtureLines("auth", 3000, 1, 99)))
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	fresh := openData(t, data)
	if rows, _, _ := fresh.Checksum(ctx, "auth"); rows != 3000 {
		t.Fatalf("new session: %d auth rows, want 3000", rows)
	}
	rows, sum, err := old.Checksum(ctx, "auth")
	if err != nil || rows != rowsOld || sum != sumOld {
		t.Errorf("open session after the ingest: %d rows %s (%v), want its snapshot %d %s", rows, sum, err, rowsOld, sumOld)
	}
	if fp, _ := old.fingerprint(); fp != fpOld {
		t.Error("open session's fingerprint changed with the ingest")
	}
	// Its partitions, read interval by interval, are those of its snapshot too.
	g, err := old.IntervalGraph(ctx, EdgeSpec{Streams: []string{"auth"}}, lanl.Origin, nil)
	if err != nil || g.NumVertices() == 0 {
		t.Errorf("open session's graph: %v", err)
	}
	if got := gens(); len(got) != len(before)+1 {
		t.Errorf("generations %v: the replaced one was removed under a reader", got)
	}
	old.Close()
	fresh.Close()

	// The next publish, with no reader left, removes the retired generation.
	writeGz(t, filepath.Join(raw, "auth.txt.gz"), joinLines(fixtureLines("auth", 2500, 1, 98)))
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	if got := gens(); len(got) != len(before) {
		t.Errorf("generations after readers left: %v, want %d", got, len(before))
	}
}

// TestExportEdgesOutsideData: a frame outside the data fails, naming the data's range,
// and leaves the earlier export as it was.
func TestExportEdgesOutsideData(t *testing.T) {
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 2000)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	s := openData(t, data)
	out := filepath.Join(t.TempDir(), "edges")
	if err := s.ExportEdges(ctx, EdgeSpec{}, out, nil); err != nil {
		t.Fatal(err)
	}
	before := readTree(t, out)
	spec := EdgeSpec{From: time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2016, 1, 2, 0, 0, 0, 0, time.UTC)}
	err := s.ExportEdges(ctx, spec, out, nil)
	var lo, hi string
	q := `SELECT strftime(min(ts), '%Y-%m-%d %H:%M:%S'), strftime(max(ts), '%Y-%m-%d %H:%M:%S') FROM
		(SELECT ts FROM auth UNION ALL SELECT ts FROM proc UNION ALL SELECT ts FROM flows UNION ALL SELECT ts FROM dns)`
	if err := s.QueryRow(ctx, q).Scan(&lo, &hi); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, ErrFrame) || !strings.Contains(err.Error(), "span "+lo+" to "+hi) {
		t.Fatalf("export outside the data: %v, want ErrFrame naming the data's range", err)
	}
	if after := readTree(t, out); !reflect.DeepEqual(after, before) {
		t.Error("the refused export changed the earlier one")
	}
	if _, err := s.Score(ctx, ScoreSpec{Edges: spec}, filepath.Join(t.TempDir(), "s"), nil); !errors.Is(err, ErrFrame) {
		t.Errorf("score outside the data: %v, want ErrFrame", err)
	}
}

// TestDataFolderChecks: a raw folder or an empty one is not a data folder (and gets
// nothing written into it); ingest refuses raw = data and a data folder holding raw
// files, warns of an empty stream and of a stream whose source folder changed.
func TestDataFolderChecks(t *testing.T) {
	ctx := context.Background()
	raw, empty := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 500)
	rawBefore := snapshot(t, raw)
	for _, dir := range []string{raw, empty} {
		_, err := Open(ctx, dir, Options{})
		if !errors.Is(err, ErrNotData) || !strings.Contains(err.Error(), "lanlq ingest --raw") {
			t.Errorf("Open(%s): %v, want ErrNotData with the ingest command", dir, err)
		}
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("empty folder got %d entries", len(entries))
	}
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: raw}); !errors.Is(err, ErrNotData) || !strings.Contains(err.Error(), "same folder") {
		t.Errorf("ingest raw into itself: %v", err)
	}
	other := t.TempDir()
	writeFixture(t, other, 100)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: other}); !errors.Is(err, ErrNotData) || !strings.Contains(err.Error(), "holds raw LANL files") {
		t.Errorf("ingest into another raw folder: %v", err)
	}
	if after := snapshot(t, raw); after != rawBefore {
		t.Error("the raw folder changed")
	}

	data := t.TempDir()
	rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data})
	if err != nil || len(rep.Warnings) != 0 {
		t.Fatalf("first ingest: %v, warnings %q", err, rep.Warnings)
	}
	// A second raw folder with auth only (and an empty dns) into the same data folder.
	raw2 := t.TempDir()
	writeGz(t, filepath.Join(raw2, "auth.txt.gz"), joinLines(fixtureLines("auth", 100, 1, 5)))
	writeGz(t, filepath.Join(raw2, "dns.txt.gz"), nil)
	rep, err = Ingest(ctx, IngestOptions{Raw: raw2, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(rep.Warnings, "\n")
	for _, want := range []string{"auth: now loaded from " + raw2 + ", before from " + raw, "proc, flows, redteam stay from the earlier ingest",
		"dns: " + filepath.Join(raw2, "dns.txt.gz") + " holds no line"} {
		if !strings.Contains(all, want) {
			t.Errorf("warnings lack %q:\n%s", want, all)
		}
	}
}
