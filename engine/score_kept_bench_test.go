//go:build unix

package engine

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkScoreHourKept scores hours one run at a time from a saved state, as
// Follow's cycles do, each run opening the data anew: "files" reads the state back
// from OUT every run, "kept" takes the state the run before kept in memory (the first
// run reads it from OUT). It needs an ingested data folder and an OUT holding a saved
// state, given as LANLQ_BENCH_KEPT=DATA|OUT|FIRST (FIRST: the start of the first hour
// to score, "2015-01-02 00:00:00"); LANLQ_BENCH_KEPT_HOURS runs (default 3). OUT is
// copied, not changed. It reports each run's CPU time (user + system) and the mean of
// the runs after the first; run the two in separate processes to compare them:
//
//	LANLQ_BENCH_KEPT='data|out|2015-01-02 00:00:00' go test -tags duckdb_arrow -run '^$' -bench 'ScoreHourKept/kept' -benchtime 1x ./engine/
func BenchmarkScoreHourKept(b *testing.B) {
	env := os.Getenv("LANLQ_BENCH_KEPT")
	if env == "" {
		b.Skip("LANLQ_BENCH_KEPT=DATA|OUT|FIRST not set")
	}
	p := strings.Split(env, "|")
	if len(p) != 3 {
		b.Fatalf("LANLQ_BENCH_KEPT=%q: want DATA|OUT|FIRST", env)
	}
	first, err := time.Parse(time.DateTime, p[2])
	if err != nil {
		b.Fatal(err)
	}
	hours := 3
	if h, err := strconv.Atoi(os.Getenv("LANLQ_BENCH_KEPT_HOURS")); err == nil && h > 1 {
		hours = h
	}
	for _, mode := range []string{"files", "kept"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			for range b.N {
				out := filepath.Join(b.TempDir(), "out")
				if msg, err := exec.Command("cp", "-a", p[1], out).CombinedOutput(); err != nil {
					b.Fatalf("copy OUT: %v: %s", err, msg)
				}
				var keep *stateKeeper
				if mode == "kept" {
					keep = &stateKeeper{}
				}
				var later time.Duration
				for h := range hours {
					spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour, To: first.Add(time.Duration(h+1) * time.Hour)}, Seed: 1, keep: keep} // the CLI's seed
					cpu := processCPU()
					s, err := Open(ctx, p[0], Options{})
					if err != nil {
						b.Fatal(err)
					}
					rep, err := s.Score(ctx, spec, out, nil)
					if err2 := s.Close(); err == nil {
						err = err2
					}
					if err != nil {
						b.Fatal(err)
					}
					used := processCPU() - cpu
					if !rep.Resumed || rep.StateKept != (mode == "kept" && h > 0) {
						b.Fatalf("run %d: resumed %v, state kept %v", h+1, rep.Resumed, rep.StateKept)
					}
					b.Logf("%s run %d (to %s): %.2f CPU-s, state kept %v, state %d bytes (%d written), generation %d",
						mode, h+1, spec.Edges.To.Format(time.DateTime), used.Seconds(), rep.StateKept, rep.StateBytes, rep.StateWritten, rep.StateGeneration)
					if h > 0 {
						later += used
					}
				}
				b.ReportMetric(later.Seconds()/float64(hours-1), "CPU-s/hour-after-first")
			}
		})
	}
}
