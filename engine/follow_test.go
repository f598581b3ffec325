package engine

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/synth"
)

// batchAlerts is the reference for the alerts file: the rows of a batch run's scores
// (read whole, ranked here in Go) of the intervals in [from, to) outside the warm-up,
// per interval its top highest (ties by artifact) and those above threshold.
func batchAlerts(t *testing.T, scores string, from, to time.Time, top int, threshold float64) []FollowAlert {
	t.Helper()
	s, err := NewSession(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(context.Background(), fmt.Sprintf(
		"SELECT interval_start, value, kind || '::' || value, kind, score FROM read_parquet('%s') WHERE NOT warmup", resultLiteral(scores)))
	if err != nil {
		t.Fatal(err)
	}
	byInterval := map[time.Time][]FollowAlert{}
	for rows.Next() {
		var a FollowAlert
		if err := rows.Scan(&a.IntervalStart, &a.Entity, &a.Artifact, &a.Kind, &a.Score); err != nil {
			rows.Close()
			t.Fatal(err)
		}
		a.IntervalStart = a.IntervalStart.UTC()
		if !a.IntervalStart.Before(from) && a.IntervalStart.Before(to) {
			byInterval[a.IntervalStart] = append(byInterval[a.IntervalStart], a)
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		t.Fatal(err)
	}
	var out []FollowAlert
	for _, iv := range slices.SortedFunc(mapKeys(byInterval), func(a, b time.Time) int { return a.Compare(b) }) {
		list := byInterval[iv]
		slices.SortFunc(list, func(a, b FollowAlert) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Artifact, b.Artifact))
		})
		for i, a := range list {
			if i < top || a.Score > threshold {
				a.Rank = i + 1
				out = append(out, a)
			}
		}
	}
	return out
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// readAlerts reads an alerts file: every line must be a whole JSON object.
func readAlerts(t *testing.T, path string) []FollowAlert {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > 0 && b[len(b)-1] != '\n' {
		t.Errorf("%s ends inside a line", path)
	}
	var out []FollowAlert
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var a FollowAlert
		if err := json.Unmarshal(line, &a); err != nil {
			t.Fatalf("%s line %d: %v: %s", path, i+1, err, line)
		}
		out = append(out, a)
	}
	return out
}

// TestFollow drops synthetic data hour by hour into a raw folder and runs Follow: one
// cycle at a time (Once) for the first hours, crashing it inside the alerts'
// bookkeeping on some of them (before the append, after it with the mark not yet
// written, and after an append cut short inside a line), then as a loop whose waits
// the test ends by events and which a cancelled context stops cleanly. The alerts file
// must then hold, once each and in order, the top-k (and above-threshold) rows of a
// batch run's scores of every interval before the last hour outside the warm-up.
func TestFollow(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, hours := hourlyDropsOf(t, synth.Config{Days: 1, Scale: 0.01, Seed: 8})
	const n = 9 // hours dropped
	if hours < n {
		t.Fatalf("%d hours of data", hours)
	}
	ctx := context.Background()
	raw, data, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "out")
	alerts := filepath.Join(t.TempDir(), "alerts.jsonl")
	spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Warmup: 2 * time.Hour}
	const top, threshold = 3, 1.5
	opts := FollowOptions{Ingest: IngestOptions{Raw: raw, Data: data, KeepRejects: true}, Score: spec, Out: out,
		Alerts: alerts, AlertTop: top, AlertThreshold: threshold, HasThreshold: true, Once: true}
	// crashes: the drop after which a cycle crashes, and where.
	crashes := map[int]string{3: "alerts pending", 4: "alerts appended", 5: "torn"}
	const loopFrom = 6
	for h := range loopFrom {
		dropInto(t, raw, drops, h, h+1)
		o := opts
		if at, ok := crashes[h]; ok {
			o.step = func(ev string) error {
				if at == "torn" && ev == "alerts appended" {
					// An append cut short: keep its first half, ending inside a line.
					fi, err := os.Stat(alerts)
					if err != nil {
						t.Fatal(err)
					}
					m, err := (&alertLog{path: alerts, mark: filepath.Join(filepath.Dir(alerts), ".alerts.jsonl.mark")}).rawMark()
					if err != nil || m.PendingSize != fi.Size() || m.PendingSize-m.Size < 4 {
						t.Fatalf("torn append: mark %+v (%v), file size %d", m, err, fi.Size())
					}
					if err := os.Truncate(alerts, m.Size+(m.PendingSize-m.Size)/2+1); err != nil {
						t.Fatal(err)
					}
					return errCrash
				}
				if ev == at {
					return errCrash
				}
				return nil
			}
			if err := Follow(ctx, o); !errors.Is(err, errCrash) {
				t.Fatalf("hour %d: crash at %s: err = %v", h, at, err)
			}
		}
		var st FollowStatus
		o = opts
		o.Status = func(s FollowStatus) { st = s }
		if err := Follow(ctx, o); err != nil {
			t.Fatalf("hour %d: %v", h, err)
		}
		if h > 0 && (st.Scored != 1 || !st.ScoredTo.Equal(lanlOriginPlus(h-1))) && crashes[h] == "" {
			t.Errorf("hour %d: scored %d intervals up to %s, want 1 up to hour %d", h, st.Scored, st.ScoredTo, h-1)
		}
	}

	// The loop: each wait returns when the test has dropped the next hour; after the
	// last one, the context ends while Follow waits.
	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan struct{})
	statuses := make(chan FollowStatus, 1)
	o := opts
	o.Once = false
	o.wait = func(ctx context.Context) error {
		select {
		case <-next:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	o.Status = func(s FollowStatus) { statuses <- s }
	done := make(chan error, 1)
	go func() { done <- Follow(loopCtx, o) }()
	// Cycles: 1 (nothing new: hour 5 still fills), 2–4 after drops 6–8, 5 after none.
	for c := 1; c <= 5; c++ {
		st := <-statuses
		if st.Next.IsZero() || st.Cycle != c || st.Idle != (c == 5) {
			t.Errorf("loop cycle %d: status %+v (idle only with nothing new after a whole cycle)", c, st)
		}
		if c == 5 && (st.DataTo.Before(lanlOriginPlus(n-1)) || !st.DataTo.Before(lanlOriginPlus(n))) {
			t.Errorf("idle cycle: data up to %s", st.DataTo)
		}
		if c < 4 {
			dropInto(t, raw, drops, loopFrom+c-1, loopFrom+c)
		}
		if c < 5 {
			next <- struct{}{}
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Follow stopped between cycles by its context: %v, want nil", err)
	}

	batchRaw, batchData := t.TempDir(), t.TempDir()
	dropInto(t, batchRaw, drops, 0, n)
	if _, err := Ingest(ctx, IngestOptions{Raw: batchRaw, Data: batchData}); err != nil {
		t.Fatal(err)
	}
	batchOut := filepath.Join(t.TempDir(), "out")
	scoreIn(t, batchData, batchOut, spec)
	// Follow scored every hour but the last (its newest, maybe still filling).
	want := batchAlerts(t, filepath.Join(batchOut, ScoresFile), lanlOriginPlus(0), lanlOriginPlus(n-1), top, threshold)
	got := readAlerts(t, alerts)
	if len(want) < 3*top {
		t.Fatalf("only %d reference alerts", len(want))
	}
	for i := range max(len(got), len(want)) {
		var g, w FollowAlert
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if !g.IntervalStart.Equal(w.IntervalStart) || g.Entity != w.Entity || g.Artifact != w.Artifact || g.Kind != w.Kind ||
			g.Score != w.Score || g.Rank != w.Rank || g.Explanation == "" {
			t.Fatalf("alert %d of %d (want %d): %+v, want %+v", i+1, len(got), len(want), g, w)
		}
	}
}

// lanlOriginPlus is the start of hour h of the LANL clock.
func lanlOriginPlus(h int) time.Time { return time.Date(2015, 1, 1, h, 0, 0, 0, time.UTC) }

// followSpec is the Follow of TestFollowKill9 and its child.
func followSpec(raw, data, out, alerts string) FollowOptions {
	return FollowOptions{Ingest: IngestOptions{Raw: raw, Data: data, KeepRejects: true},
		Score: ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Warmup: 2 * time.Hour},
		Out:   out, Alerts: alerts, AlertTop: 3, Once: true}
}

// followChild is the child process of TestFollowKill9 (LANLQ_FOLLOW_CHILD =
// RAW|DATA|OUT|ALERTS): one cycle of Follow that reports each step of the alerts'
// bookkeeping on stdout and waits for the parent's go-ahead on stdin.
func followChild() {
	spec := os.Getenv("LANLQ_FOLLOW_CHILD")
	if spec == "" {
		return
	}
	p := strings.Split(spec, "|")
	in := bufio.NewReader(os.Stdin)
	o := followSpec(p[0], p[1], p[2], p[3])
	o.step = func(ev string) error {
		fmt.Println(ev)
		_, err := in.ReadString('\n')
		return err
	}
	if err := Follow(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestFollowKill9 kills a Follow cycle (a child process) with SIGKILL right after each
// step of the alerts' bookkeeping — the pending mark written, the alerts appended, the
// mark rewritten — and runs the cycle again: the alerts file must end byte for byte as
// an uninterrupted cycle leaves it (each alert once, no half line). The kills follow
// the child's reports, never a timer.
func TestFollowKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	drops, _ := hourlyDropsOf(t, synth.Config{Days: 1, Scale: 0.01, Seed: 8})
	// setup alerts hours 2–3 in process, then drops hours 4–7 for the child's cycle.
	setup := func() (env, alerts string) {
		raw, data, out := t.TempDir(), t.TempDir(), filepath.Join(t.TempDir(), "out")
		alerts = filepath.Join(t.TempDir(), "alerts.jsonl")
		dropInto(t, raw, drops, 0, 5)
		if err := Follow(context.Background(), followSpec(raw, data, out, alerts)); err != nil {
			t.Fatal(err)
		}
		dropInto(t, raw, drops, 5, 8)
		return "LANLQ_FOLLOW_CHILD=" + strings.Join([]string{raw, data, out, alerts}, "|"), alerts
	}
	env, alerts := setup()
	before, err := os.ReadFile(alerts)
	if err != nil || len(before) == 0 {
		t.Fatalf("no alerts before the child's cycle: %v", err)
	}
	steps := runStepChild(t, "follow", env, -1)
	if want := []string{"alerts pending", "alerts appended", "alerts marked"}; !slices.Equal(steps, want) {
		t.Fatalf("the child reported %v, want %v", steps, want)
	}
	want, err := os.ReadFile(alerts)
	if err != nil || len(want) <= len(before) {
		t.Fatalf("the child's cycle appended nothing: %v", err)
	}
	for at := range steps {
		env, alerts := setup()
		runStepChild(t, "follow", env, at)
		runStepChild(t, "follow", env, -1)
		if got, _ := os.ReadFile(alerts); !bytes.Equal(got, want) {
			t.Errorf("kill -9 after %q then rerun: the alerts file differs from an uninterrupted cycle's (%d bytes, want %d)", steps[at], len(got), len(want))
		}
	}
}
