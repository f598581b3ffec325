package engine

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// buildAheadRunning reports whether a buildAhead goroutine exists.
func buildAheadRunning() bool {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			return bytes.Contains(buf[:n], []byte("(*scoreRun).buildAhead"))
		}
		buf = make([]byte, 2*len(buf))
	}
}

// TestScoreBuildAhead checks scoreAll's pipeline on the fixture's hours (the default
// method, which reads the tuples too): the graphs are built exactly one interval ahead
// of the scoring, never two; a build error in the middle of the frame, a DuckDB error
// in the builder and a cancellation each end the run with that error, with nothing
// written and no builder goroutine left, the session usable; and the pipelined run's
// files are byte for byte those of a sequential one (Options.SequentialScore).
func TestScoreBuildAhead(t *testing.T) {
	ctx := context.Background()
	data := faultData(t, 20000)
	spec := ScoreSpec{Edges: EdgeSpec{Interval: time.Hour}}
	defer func() { buildAheadHook = nil }()

	// started is the highest interval index buildAhead has turned to; next is
	// signalled each time it turns to one.
	var started atomic.Int64
	next := make(chan int64, 64)
	buildAheadHook = func(i int) error {
		started.Store(int64(i))
		next <- int64(i)
		return nil
	}
	started.Store(-1)
	s := openData(t, data)
	var calls int
	piped := filepath.Join(t.TempDir(), "out")
	rep, err := s.Score(ctx, spec, piped, func(done, total int) {
		calls++
		// Interval done-1 is scored and written. The builder turned to done (one
		// ahead) on its own; wait for that event, then check it went no further:
		// interval done+1 can only be started after this scoring loop takes done.
		if done < total {
			for i := <-next; i < int64(done); i = <-next {
			}
		}
		if got := started.Load(); got > int64(done) {
			t.Errorf("interval %d scored: the builder is at interval %d, more than one ahead", done-1, got)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if calls < 4 || rep.Rows == 0 {
		t.Fatalf("%d intervals, %d rows: the fixture should span several hours", calls, rep.Rows)
	}
	if rep.Timing.EdgesBuilt <= 0 {
		t.Errorf("timing %+v: no graph build measured", rep.Timing)
	}
	if buildAheadRunning() {
		t.Error("a buildAhead goroutine outlived the run")
	}

	// Options.SequentialScore: no builder goroutine, and the same files byte for byte.
	seq, err := Open(ctx, data, Options{SequentialScore: true})
	if err != nil {
		t.Fatal(err)
	}
	defer seq.Close()
	buildAheadHook = func(int) error {
		if buildAheadRunning() {
			t.Error("a buildAhead goroutine in a sequential run")
		}
		return nil
	}
	sequential := filepath.Join(t.TempDir(), "out")
	if _, err := seq.Score(ctx, spec, sequential, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ScoresFile, IntervalScoresFile} {
		a, errA := os.ReadFile(filepath.Join(piped, name))
		b, errB := os.ReadFile(filepath.Join(sequential, name))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: the pipelined and the sequential run differ (%v, %v)", name, errA, errB)
		}
	}

	// A build error in the middle of the frame: the intervals before it are scored,
	// then the run returns the error and writes nothing.
	boom := errors.New("graph build failed")
	buildAheadHook = func(i int) error {
		if i == 2 {
			return boom
		}
		return nil
	}
	out := filepath.Join(t.TempDir(), "out")
	var scored int
	_, err = s.Score(ctx, spec, out, func(done, _ int) { scored = done })
	if !errors.Is(err, boom) || scored != 2 {
		t.Errorf("build error at interval 2: %v after %d intervals scored, want it after 2", err, scored)
	}
	checkRunLeftNothing(t, s, out)

	// A cancellation while scoring.
	buildAheadHook = nil
	cctx, cancel := context.WithCancel(ctx)
	_, err = s.Score(cctx, spec, out, func(done, _ int) {
		if done == 2 {
			cancel()
		}
	})
	cancel()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run: %v, want context.Canceled", err)
	}
	checkRunLeftNothing(t, s, out)

	// A DuckDB error in the builder's tuple query: a name missing from the
	// dictionary (the data changed since it was built; its ids stay dense).
	s2 := openData(t, data)
	if _, err := s2.Intervals(ctx, spec.Edges); err != nil { // builds the dictionary
		t.Fatal(err)
	}
	if err := s2.Exec(ctx, "UPDATE artifact_dictionary SET value = 'gone', name = 'process::gone' WHERE name = 'process::P3'"); err != nil {
		t.Fatal(err)
	}
	_, err = s2.Score(ctx, spec, out, nil)
	if err == nil || !strings.Contains(err.Error(), "process::P3 is not in artifact_dictionary") {
		t.Errorf("dictionary without process::P3: %v, want the missing-name error", err)
	}
	checkRunLeftNothing(t, s2, out)
}

// checkRunLeftNothing checks that a failed run wrote no OUT, left no builder
// goroutine and left its session usable.
func checkRunLeftNothing(t *testing.T, s *Session, out string) {
	t.Helper()
	if files, stages := outFiles(t, out); len(files) != 0 || len(stages) != 0 {
		t.Errorf("failed run left %d files and stages %v", len(files), stages)
	}
	if buildAheadRunning() {
		t.Error("a buildAhead goroutine outlived the failed run")
	}
	if n := queryInt(t, s, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'lanlq_score_rows'"); n != 0 {
		t.Error("lanlq_score_rows left behind")
	}
}
