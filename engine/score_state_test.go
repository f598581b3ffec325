package engine

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
	"github.com/lanlq/lanlq/synth"
)

// hourlyDrops generates two days of synthetic LANL data and returns its lines by
// stream and hour (hour h holds times [3600h, 3600(h+1))), as a log shipper would
// drop them, and the number of hours.
func hourlyDrops(t *testing.T) (map[string][][]string, int) {
	return hourlyDropsOf(t, synth.Config{Days: 2, Scale: 0.05, Seed: 21})
}

// hourlyDropsOf is hourlyDrops of the data synth generates with cfg.
func hourlyDropsOf(t *testing.T, cfg synth.Config) (map[string][][]string, int) {
	t.Helper()
	raw := t.TempDir()
	if _, err := synth.Generate(context.Background(), raw, cfg); err != nil {
		t.Fatal(err)
	}
	drops := map[string][][]string{}
	hours := 0
	for _, st := range []string{"auth", "proc", "flows", "dns"} {
		f, err := os.Open(filepath.Join(raw, st+".txt.gz"))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			line := sc.Text()
			sec, err := strconv.ParseInt(line[:strings.IndexByte(line, ',')], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			h := int(sec / 3600)
			for len(drops[st]) <= h {
				drops[st] = append(drops[st], nil)
			}
			drops[st][h] = append(drops[st][h], line)
			hours = max(hours, h+1)
		}
		if err := errors.Join(sc.Err(), zr.Close(), f.Close()); err != nil {
			t.Fatal(err)
		}
	}
	return drops, hours
}

// dropInto appends hours [from, to) of drops to raw as one chunk file per stream
// (raw/STREAM/NNN.txt, taken in name order), the way hourly files land.
func dropInto(t *testing.T, raw string, drops map[string][][]string, from, to int) {
	t.Helper()
	for st, byHour := range drops {
		var lines []string
		for h := from; h < min(to, len(byHour)); h++ {
			lines = append(lines, byHour[h]...)
		}
		if len(lines) == 0 {
			continue
		}
		dir := filepath.Join(raw, st)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("%03d.txt", from))
		if err := os.WriteFile(name, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// scoreIn opens data and scores it into out.
func scoreIn(t *testing.T, data, out string, spec ScoreSpec) *ScoreReport {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Score(ctx, spec, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// sameRows checks that two result files (or folders of parts) hold the same rows,
// every column compared exactly (DuckDB's EXCEPT ALL both ways, and the counts).
func sameRows(t *testing.T, what, want, got string) {
	t.Helper()
	s, err := NewSession(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, b := resultLiteral(want), resultLiteral(got)
	var nWant, nGot, missing, extra int64
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM read_parquet('%[1]s')), (SELECT count(*) FROM read_parquet('%[2]s')),
		(SELECT count(*) FROM (FROM read_parquet('%[1]s') EXCEPT ALL FROM read_parquet('%[2]s'))),
		(SELECT count(*) FROM (FROM read_parquet('%[2]s') EXCEPT ALL FROM read_parquet('%[1]s')))`, a, b)
	if err := s.QueryRow(context.Background(), q).Scan(&nWant, &nGot, &missing, &extra); err != nil {
		t.Fatal(err)
	}
	if nWant == 0 || nWant != nGot || missing != 0 || extra != 0 {
		t.Errorf("%s: %d rows in the batch run, %d incremental; %d of the batch's missing, %d not in it", what, nWant, nGot, missing, extra)
	}
}

// TestScoreIncrementalEqualsBatch: data arriving in hourly drops, ingested and scored
// after each drop (hour by hour around the end of the warm-up and of the training
// window, a day at a time elsewhere) or a day at a time, gives the rows of one batch
// run over all of it — every column of scores, interval scores and roles — for the
// default method and for --method roles. New artifacts in every drop shift the
// dictionary's ids under the saved state.
func TestScoreIncrementalEqualsBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, hours := hourlyDrops(t)
	if hours != 48 {
		t.Fatalf("%d hours of synthetic data, want 48", hours)
	}
	ctx := context.Background()
	batchRaw, batchData := t.TempDir(), t.TempDir()
	dropInto(t, batchRaw, drops, 0, hours)
	if _, err := Ingest(ctx, IngestOptions{Raw: batchRaw, Data: batchData}); err != nil {
		t.Fatal(err)
	}
	specs := map[string]ScoreSpec{
		"default": {Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}},
		"roles":   {Method: MethodRoles, Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 3, Seed: 5},
	}
	plans := map[string][]int{ // the hour each run's data ends before
		"by day":  {24, 48},
		"by hour": {1, 2, 23, 24, 25, 47, 48},
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range specs {
			if !yield(k) {
				return
			}
		}
	}) {
		spec := specs[name]
		batchOut := filepath.Join(t.TempDir(), "out")
		scoreIn(t, batchData, batchOut, spec)
		for _, plan := range []string{"by day", "by hour"} {
			raw, data := t.TempDir(), t.TempDir()
			out := filepath.Join(t.TempDir(), "out")
			from, resumed, deltas := 0, 0, 0
			for _, to := range plans[plan] {
				dropInto(t, raw, drops, from, to)
				from = to
				if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
					t.Fatal(err)
				}
				rep := scoreIn(t, data, out, spec)
				if rep.Resumed {
					resumed++
				}
				if rep.StateGeneration > 0 {
					deltas++
				}
			}
			// With roles, nothing is saved before the training window (the first day)
			// is complete: those runs start over.
			if resumed == 0 {
				t.Errorf("%s %s: no run continued a saved state", name, plan)
			}
			// Hour by hour, some runs save only what changed (a generation of deltas
			// over the state saved whole), whose ids the next runs map through the
			// dictionary of its own generation.
			if plan == "by hour" && deltas == 0 {
				t.Errorf("%s %s: no run saved its state as a delta", name, plan)
			}
			t.Logf("%s %s: %d of %d runs continued the saved state, %d saved a delta", name, plan, resumed, len(plans[plan]), deltas)
			for _, f := range []string{ScoresFile, IntervalScoresFile, RolesFile} {
				if _, err := os.Stat(filepath.Join(batchOut, f)); err != nil {
					continue
				}
				sameRows(t, name+" "+plan+" "+f, filepath.Join(batchOut, f), filepath.Join(out, f))
			}
		}
	}
}

// scoreChild is the child process of TestScoreKill9 (LANLQ_SCORE_CHILD=DATA|OUT): a
// default score run that prints every fault point it reaches and waits there for the
// parent's go-ahead (or its kill).
func scoreChild() {
	spec := os.Getenv("LANLQ_SCORE_CHILD")
	if spec == "" {
		return
	}
	data, out, _ := strings.Cut(spec, "|")
	in := bufio.NewReader(os.Stdin)
	faultpoint.Set(func(_ context.Context, point string) {
		fmt.Println(point)
		if _, err := in.ReadString('\n'); err != nil {
			os.Exit(3)
		}
	})
	ctx := context.Background()
	s, err := Open(ctx, data, Options{})
	if err == nil {
		_, err = s.Score(ctx, ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}}, out, nil)
		err = errors.Join(err, s.Close())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// runScoreChild runs scoreChild and returns the points it reported; with killAt >= 0
// it kills the child (SIGKILL) while it waits at point killAt.
func runScoreChild(t *testing.T, data, out string, killAt int) []string {
	t.Helper()
	return runStepChild(t, "score", "LANLQ_SCORE_CHILD="+data+"|"+out, killAt)
}

// sameTree reports whether two folders hold the same files with the same bytes.
func sameTree(t *testing.T, a, b string) bool {
	t.Helper()
	x, y := readTree(t, a), readTree(t, b)
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		if w, ok := y[k]; !ok || !bytes.Equal(v, w) {
			return false
		}
	}
	return true
}

// TestScoreKill9 kills an incremental score run (SIGKILL) at each of its points —
// after each interval scored, after each step of saving the state's delta (earlier
// files linked, the sets and the rest written), with the new results staged, between
// the two renames that publish them — and reruns it: OUT is always the earlier results or the new
// ones, whole (a reader never sees a mix), and after the rerun it is byte for byte
// the folder of an uninterrupted run: nothing published twice, nothing lost, no
// stage left beside it. The child reports each point and waits, so the kill lands
// exactly there whatever the machine's load.
func TestScoreKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	drops, _ := hourlyDrops(t)
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	dropInto(t, raw, drops, 0, 27)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(t.TempDir(), "base")
	runScoreChild(t, data, base, -1)
	dropInto(t, raw, drops, 27, 30)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	parent := t.TempDir()
	ref := filepath.Join(parent, "ref")
	copyTree(t, base, ref)
	points := runScoreChild(t, data, ref, -1)
	if len(points) < 5 || points[len(points)-1] != "publish moved aside" {
		t.Fatalf("points of an incremental run: %v", points)
	}
	// The run saves its state as a delta: links the earlier files, writes its own.
	if !slices.Contains(points, "state linked") || !slices.Contains(points, "state main written") {
		t.Fatalf("points of an incremental run: %v, want the state's delta steps", points)
	}
	if _, err := os.Stat(filepath.Join(ref, ScoresFile, partName(1))); err != nil {
		t.Fatalf("the uninterrupted run added no part: %v", err)
	}
	for at := range points {
		out := filepath.Join(parent, fmt.Sprintf("out%d", at))
		copyTree(t, base, out)
		runScoreChild(t, data, out, at)
		// OUT is the earlier run or missing (killed between the renames: the next
		// run restores it); never a mix.
		if _, err := os.Stat(out); err == nil && !sameTree(t, out, base) && !sameTree(t, out, ref) {
			t.Errorf("killed at %q (%d): OUT is neither the earlier results nor the new ones", points[at], at)
		}
		runScoreChild(t, data, out, -1)
		if !sameTree(t, out, ref) {
			t.Errorf("killed at %q (%d), then rerun: OUT differs from an uninterrupted run's", points[at], at)
		}
		stages, _ := filepath.Glob(filepath.Join(parent, "."+filepath.Base(out)+".tmp-*"))
		if len(stages) > 0 {
			t.Errorf("killed at %q (%d), then rerun: stages left: %v", points[at], at, stages)
		}
	}
}

// copyTree copies folder src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	for rel, b := range readTree(t, src) {
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestScoreStateRefused: a saved state is continued only by a run of the same
// settings over the same data; late events are accepted and counted; events removed
// under scored intervals and a damaged state are refused, OUT untouched; --rescore
// starts over.
func TestScoreStateRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, _ := hourlyDrops(t)
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	ingest := func() {
		t.Helper()
		if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	score := func(spec ScoreSpec) (*ScoreReport, error) {
		s, err := Open(ctx, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		return s.Score(ctx, spec, out, nil)
	}
	def := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}}
	refused := func(what string, spec ScoreSpec, want string) {
		t.Helper()
		before := readTree(t, out)
		_, err := score(spec)
		if !errors.Is(err, ErrStateMismatch) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "--rescore") {
			t.Errorf("%s: %v, want ErrStateMismatch saying %q and --rescore", what, err, want)
		}
		after := readTree(t, out)
		changed := len(after) != len(before)
		for k, v := range before {
			changed = changed || !bytes.Equal(v, after[k])
		}
		if changed {
			t.Errorf("%s: OUT changed", what)
		}
	}
	dropInto(t, raw, drops, 0, 26)
	ingest()
	if _, err := score(def); err != nil {
		t.Fatal(err)
	}
	if rep, err := score(def); err != nil || !rep.UpToDate {
		t.Fatalf("a rerun over the same data: %+v, %v; want up to date", rep, err)
	}
	refused("other method", ScoreSpec{Method: MethodRoles, Edges: def.Edges}, `method "fused" then, "roles" now`)
	refused("other components", ScoreSpec{Components: []string{ComponentNovelty}, Edges: def.Edges}, "components")
	// Results of an earlier lanlq, which stored the artifact column: a new part
	// without it would not read as one table with them.
	func() {
		path := filepath.Join(out, ScoresFile)
		kept, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := Open(ctx, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		old := path + ".old"
		err = s.Exec(ctx, fmt.Sprintf("COPY (SELECT interval_start, kind || '::' || value AS artifact, * EXCLUDE (interval_start) FROM read_parquet('%s')) TO '%s' (FORMAT parquet)",
			escapeLiteral(path), escapeLiteral(old)))
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(old, path); err != nil {
			t.Fatal(err)
		}
		refused("scores of an earlier lanlq", def, "stored the artifact column")
		if err := os.WriteFile(path, kept, 0o644); err != nil {
			t.Fatal(err)
		}
	}()

	// Late events: hour 5's auth lines once more, in a file of their own, with two
	// new hours.
	late := filepath.Join(raw, "auth", "late.txt")
	if err := os.WriteFile(late, []byte(strings.Join(drops["auth"][5], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dropInto(t, raw, drops, 26, 28)
	ingest()
	rep, err := score(def)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Resumed || rep.LateEvents != int64(len(drops["auth"][5])) || rep.FirstScored != "2015-01-02 02:00:00" {
		t.Errorf("with late events: resumed %v, %d late events (want %d), first scored %s", rep.Resumed, rep.LateEvents, len(drops["auth"][5]), rep.FirstScored)
	}
	if !slices.ContainsFunc(rep.Warnings, func(w string) bool { return strings.Contains(w, "late events") }) {
		t.Errorf("no warning of the late events: %q", rep.Warnings)
	}

	// The readers take the folder of parts as they take one file.
	func() {
		s, err := Open(ctx, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		scores := filepath.Join(out, ScoresFile)
		if st, err := os.Stat(scores); err != nil || !st.IsDir() {
			t.Fatalf("after an incremental run scores.parquet is a folder of parts: %v", err)
		}
		ev, err := s.Evaluate(ctx, scores, 0)
		if err != nil {
			t.Fatalf("eval of the parts: %v", err)
		}
		if ev.FrameTo != "2015-01-02 04:00:00" {
			t.Errorf("eval of the parts: frame to %s, want the last part's end", ev.FrameTo)
		}
		alerts, err := s.TopAlerts(ctx, scores, 3, 1)
		if err != nil || len(alerts) != 3 {
			t.Fatalf("top of the parts: %v, %v", alerts, err)
		}
		if _, err := s.Explain(ctx, scores, alerts[0].Entity, alerts[0].IntervalStart); err != nil {
			t.Errorf("explain of the parts: %v", err)
		}
	}()

	// Removed: the late file goes away again.
	if err := os.Remove(late); err != nil {
		t.Fatal(err)
	}
	ingest()
	refused("events removed", def, "was removed or replaced")

	// Damaged: one byte flipped in any file of the state (the sets' base, the last
	// delta, the dictionary, the main file), or a file missing; a state of format 1.
	stateDir := filepath.Join(out, StateDir)
	files, err := os.ReadDir(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	var delta bool
	for _, f := range files {
		if f.Name() == stateManifest {
			continue
		}
		delta = delta || f.Name() == stateFileName("sets", 1)
		path := filepath.Join(stateDir, f.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		damaged := slices.Clone(b)
		damaged[len(b)/2] ^= 1
		// Written anew, not in place: the files are hard links shared with nothing
		// here, but a test should not rely on it.
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, damaged, 0o644); err != nil {
			t.Fatal(err)
		}
		refused("damaged "+f.Name(), def, "checksum mismatch")
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		refused("missing "+f.Name(), def, f.Name())
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !delta {
		t.Errorf("the state holds no delta: %v", files)
	}
	if err := os.Rename(stateDir, stateDir+".kept"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, oldStateFile), []byte("lanlq scoring state\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("a state of format 1", def, "format 1")
	if err := os.Remove(filepath.Join(out, oldStateFile)); err != nil {
		t.Fatal(err)
	}
	// A state of format 2 (the pair sets saved as hash tables).
	if err := os.Rename(stateDir+".kept", stateDir); err != nil {
		t.Fatal(err)
	}
	manifest := filepath.Join(stateDir, stateManifest)
	mb, err := os.ReadFile(manifest)
	if err != nil {
		t.Fatal(err)
	}
	was := fmt.Sprintf(`"format": %d`, stateFormat)
	if !bytes.Contains(mb, []byte(was)) {
		t.Fatalf("the manifest does not say %s", was)
	}
	if err := os.Remove(manifest); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(manifest, bytes.Replace(mb, []byte(was), []byte(`"format": 2`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	refused("a state of format 2", def, "state format 2")

	spec := def
	spec.Rescore = true
	if rep, err := score(spec); err != nil || rep.Resumed {
		t.Errorf("--rescore: resumed %v, %v", rep != nil && rep.Resumed, err)
	}
	if st, err := os.Stat(filepath.Join(out, ScoresFile)); err != nil || st.IsDir() {
		t.Errorf("after --rescore scores.parquet is one file again: %v", err)
	}
}

// TestEventsBeforeFromManifest: the count of a stream's events before a second, taken
// from ingest's record less the partitions after it, equals the count over the view,
// at partition boundaries and inside partitions, after an incremental ingest with
// late rows; with a partition removed behind ingest's back it falls back to the view
// (which then counts fewer, so a resumed run refuses).
func TestEventsBeforeFromManifest(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, _ := hourlyDrops(t)
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	ingest := func() {
		t.Helper()
		if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	dropInto(t, raw, drops, 0, 10)
	ingest()
	if err := os.WriteFile(filepath.Join(raw, "auth", "late.txt"), []byte(strings.Join(drops["auth"][3], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dropInto(t, raw, drops, 10, 12)
	ingest()
	check := func(slow string) map[string]int64 {
		t.Helper()
		s, err := Open(ctx, data, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		total := map[string]int64{}
		for _, st := range []string{"auth", "proc", "flows", "dns"} {
			for end := int64(-3600); end <= 13*3600; end += 900 {
				got, err := s.eventsBefore(ctx, st, end)
				if err != nil {
					t.Fatal(err)
				}
				var want int64
				if err := s.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE time < ?", st), end).Scan(&want); err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s before %d: %d, the view counts %d", st, end, got, want)
				}
				_, fast, err := s.rowsFrom(ctx, st, s.man.Streams[st], end)
				if err != nil || fast != (st != slow) {
					t.Errorf("%s before %d: from ingest's record %v (%v), want %v", st, end, fast, err, st != slow)
				}
				total[st] = got
			}
		}
		return total
	}
	before := check("")
	if before["auth"] == 0 {
		t.Fatal("no auth events")
	}
	// Hour 2's auth partition removed by hand: the record no longer matches the folder.
	if err := os.RemoveAll(filepath.Join(data, "auth", lanl.PartitionDir(2*3600))); err != nil {
		t.Fatal(err)
	}
	after := check("auth")
	if after["auth"] != before["auth"]-int64(len(drops["auth"][2])) {
		t.Errorf("auth after removing hour 2: %d events, want %d", after["auth"], before["auth"]-int64(len(drops["auth"][2])))
	}
}

// TestIntervalsFromPartitions: the intervals holding events, read off the partition
// folders, are those DuckDB finds in the rows, with gaps in the data, intervals of one
// and of several partitions, and frames whose ends fall on partition boundaries; where
// they cannot be (intervals shorter than a partition, a frame end inside one) the
// partitions are not used.
func TestIntervalsFromPartitions(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, _ := hourlyDrops(t)
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	dropInto(t, raw, drops, 0, 5)
	dropInto(t, raw, drops, 9, 14)
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(h float64) time.Time { return lanl.Origin.Add(time.Duration(h * float64(time.Hour))) }
	for _, c := range []struct {
		width    time.Duration
		from, to time.Time
		fast     bool
	}{
		{time.Hour, time.Time{}, time.Time{}, true},
		{2 * time.Hour, time.Time{}, time.Time{}, true},
		{3 * time.Hour, at(1), at(12), true},
		{time.Hour, at(4), time.Time{}, true},
		{time.Hour, time.Time{}, at(10), true},
		{30 * time.Minute, time.Time{}, time.Time{}, false},
		{time.Hour, at(2.5), time.Time{}, false},
		{2 * time.Hour, time.Time{}, at(11.25), false},
	} {
		spec := EdgeSpec{Arch: ArchNotebook, Interval: c.width, From: c.from, To: c.to}
		p, err := s.plan(ctx, spec)
		if err != nil {
			t.Fatal(err)
		}
		want, err := s.queryIntervals(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		got, fast := p.partitionIntervals()
		if fast != c.fast {
			t.Errorf("%v from %v to %v: from the partitions %v, want %v", c.width, c.from, c.to, fast, c.fast)
		}
		if fast && !slices.Equal(got, want) {
			t.Errorf("%v from %v to %v: %v from the partitions, %v from the rows", c.width, c.from, c.to, got, want)
		}
		if len(want) < 2 {
			t.Errorf("%v from %v to %v: %d intervals, the case checks nothing", c.width, c.from, c.to, len(want))
		}
		all, err := s.Intervals(ctx, spec)
		if err != nil || !slices.Equal(all, want) {
			t.Errorf("%v from %v to %v: Intervals %v (%v), want %v", c.width, c.from, c.to, all, err, want)
		}
	}
}

// TestScoreKeptStateEqualsBatch: hour-by-hour runs that take the state the run before
// kept in memory (as Follow's cycles do) score what a batch run scores, byte for byte,
// through saves as deltas and whole; a state another run saved in between (its
// manifest not the one kept) is read from OUT instead, and the run after takes the
// kept state again; a run with nothing to score leaves the kept state to the next.
func TestScoreKeptStateEqualsBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	drops, hours := hourlyDrops(t)
	ctx := context.Background()
	batchRaw, batchData := t.TempDir(), t.TempDir()
	dropInto(t, batchRaw, drops, 0, hours)
	if _, err := Ingest(ctx, IngestOptions{Raw: batchRaw, Data: batchData}); err != nil {
		t.Fatal(err)
	}
	spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}}
	batchOut := filepath.Join(t.TempDir(), "out")
	scoreIn(t, batchData, batchOut, spec)

	raw, data := t.TempDir(), t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	keep := &stateKeeper{}
	// A share the deltas of these few hours outgrow, so that some kept runs save the
	// state whole (the sets' deltas are delta-coded, a few bytes a pair).
	defer func(share float64) { stateCompactShare = share }(stateCompactShare)
	stateCompactShare = 0.1
	from, kept, whole, deltas := 0, 0, 0, 0
	for _, to := range []int{24, 25, 26, 27, 28, 29, 30, 31, 32, 40, 41, 48} {
		dropInto(t, raw, drops, from, to)
		from = to
		if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
			t.Fatal(err)
		}
		ks := spec
		ks.keep = keep
		if to == 40 {
			ks.keep = nil // another process: OUT's state is no longer the kept one
		}
		rep := scoreIn(t, data, out, ks)
		wantKept := rep.Resumed && to != 40 && to != 41
		if rep.StateKept != wantKept {
			t.Errorf("data to hour %d: state kept %v, want %v", to, rep.StateKept, wantKept)
		}
		if rep.StateKept {
			kept++
			if rep.StateGeneration == 0 {
				whole++
			} else {
				deltas++
			}
		}
		if to == 30 {
			// Nothing new: the run takes the kept state and leaves it for the next.
			if rep := scoreIn(t, data, out, ks); !rep.UpToDate || !rep.StateKept {
				t.Errorf("data to hour 30 again: up to date %v, state kept %v; want both", rep.UpToDate, rep.StateKept)
			}
		}
	}
	if kept == 0 || whole == 0 || deltas == 0 {
		t.Errorf("%d runs took the kept state, %d saved it whole, %d as a delta: want some of each", kept, whole, deltas)
	}
	for _, f := range []string{ScoresFile, IntervalScoresFile} {
		sameRows(t, f, filepath.Join(batchOut, f), filepath.Join(out, f))
	}
}
