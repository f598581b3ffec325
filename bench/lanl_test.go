package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func TestParseScoreTiming(t *testing.T) {
	report := `24 intervals (2015-01-01 00:00:00 … 2015-01-01 23:00:00, 24 with a graph), 38413 artifact scores
method fused (novelty, volume, switch, spread); warm-up 24 intervals before 2015-01-02 00:00:00
time 1m3.5s: edges 20.25s, features 0s, role fit 0s, projection 0s, scoring 331ms, fusion 2m0s, writing 828ms
wrote /tmp/x/scores.parquet
`
	total, stages, err := ParseScoreTiming(report)
	if err != nil {
		t.Fatal(err)
	}
	if total != 63500*time.Millisecond {
		t.Errorf("total %v, want 1m3.5s", total)
	}
	want := []Stage{{"edges", 20250 * time.Millisecond}, {"features", 0}, {"role fit", 0}, {"projection", 0},
		{"scoring", 331 * time.Millisecond}, {"fusion", 2 * time.Minute}, {"writing", 828 * time.Millisecond},
		{"other", 0}} // the steps sum past the total here: other is not negative
	if len(stages) != len(want) {
		t.Fatalf("stages %v, want %v", stages, want)
	}
	for i := range want {
		if stages[i] != want[i] {
			t.Errorf("stage %d: %v, want %v", i, stages[i], want[i])
		}
	}
	_, stages, err = ParseScoreTiming("time 10s: edges 4s, writing 1s\n")
	if err != nil || stages[len(stages)-1] != (Stage{"other", 5 * time.Second}) {
		t.Errorf("other: %v, %v; want 5s", stages, err)
	}
	for _, bad := range []string{"no timing here\n", "time 10s edges 4s\n", "time 10s: edges four\n", "time x: edges 1s\n", "time 10s: 4s\n"} {
		if _, _, err := ParseScoreTiming(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// TestLANLMarkdownArithmetic checks the per-hour figures, the projection to LANL's
// 1,392 hours and the verdicts on a span with round numbers.
func TestLANLMarkdownArithmetic(t *testing.T) {
	s := LANLSpan{
		Days: 2, Events: 96e6, GzipBytes: 1e9,
		Zcat:        Run{Wall: 24 * time.Second},
		Ingest:      Run{Wall: 48 * time.Second, User: 60 * time.Second, Sys: 12 * time.Second, PeakRSS: 1 << 30},
		Score:       Run{Wall: 96 * time.Second, User: 120 * time.Second, Sys: 24 * time.Second, PeakRSS: 4 << 30},
		Stages:      []Stage{{"edges", 48 * time.Second}, {"writing", 24 * time.Second}, {"other", 24 * time.Second}},
		Rows:        4_800_000, // 100,000 artifact-hours an hour
		ScoresBytes: 72e6, ResultBytes: 96e6, StateBytes: 300e6,
		LoadBefore: 1.5, LoadAfter: 2.5,
	}
	if got := s.IngestScoreWallPerHour(); got != 3 {
		t.Errorf("ingest + score per hour %v, want (48+96)/48 = 3", got)
	}
	if got := s.BytesPerRow(); got != 20 {
		t.Errorf("bytes per row %v, want 96e6/4.8e6 = 20", got)
	}
	md := LANLMarkdown([]LANLSpan{s})
	for _, want := range []string{
		"| 2 d (48 h) | 96.0 | 2.000 | 1.00 | 0.50 | 1.00 (1.50) | 2.00 (3.00) | **3.00** | 1.00 / 4.00 | 4.80 | 20.0 (15.0) | 300 | 1.5–2.5 |",
		"| edges | 1.00 |", "| writing | 0.50 |", "| other | 0.50 |",
		// 3 s/h × 1392 h = 4176 s; CPU (72+144)/48 = 4.5 s/h → 6264 s; 20 B × 100 k × 1392 = 2.78 GB.
		"ingest + score 4176 s wall (1.16 h), 6264 CPU-s; results 2.78 GB",
		"ingest + score 3.00 s/h against ≤ 2.5: **not met**",
		"peak RSS 1.00 / 4.00 GiB against ≤ 3.00: **not met**",
		"20.0 B per artifact-hour against ≤ 20: met",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// fakeLanlq is a stand-in for the lanlq binary: synth writes small gzip files,
// ingest a lanlq.json with row counts, score a copy of $FAKE_SCORES, a state and a
// report, so the harness runs end to end in milliseconds.
const fakeLanlq = `#!/bin/sh
set -e
cmd=$1; shift
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift ;;
	--raw) raw=$2; shift ;;
	--data) data=$2; shift ;;
	esac
	shift
done
case $cmd in
synth)
	mkdir -p "$out"
	printf '1,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success\n2,U2@DOM1,U2@DOM1,C1,C3,NTLM,Network,LogOn,Success\n' | gzip > "$out/auth.txt.gz"
	printf '1,C1,C2\n' | gzip > "$out/dns.txt.gz"
	echo '{}' > "$out/truth.json" ;;
ingest)
	mkdir -p "$data"
	echo '{"streams": {"auth": {"rows": 2}, "dns": {"rows": 1}, "redteam": {"rows": 7}}}' > "$data/lanlq.json" ;;
score)
	mkdir -p "$out"
	cp "$FAKE_SCORES" "$out/scores.parquet"
	if [ -n "$FAKE_STATE_DIR" ]; then
		mkdir -p "$out/state/sub"
		printf '01234' > "$out/state/manifest"
		printf '56789' > "$out/state/sub/pairs"
	else
		printf '0123456789' > "$out/state.lanlq"
	fi
	printf 'abc' > "$out/interval_scores.parquet"
	echo "2 intervals, 5 artifact scores"
	echo "time 3s: edges 1s, scoring 500ms, writing 1s" ;;
*) echo "fake lanlq: unknown command $cmd" >&2; exit 2 ;;
esac
`

// TestLANLSpanBenchFake runs the harness against fakeLanlq: generation once then
// cached, the sizes and counts read from the files, the stages from the report.
func TestLANLSpanBenchFake(t *testing.T) {
	for _, tool := range []string{"sh", "gzip", "zcat", "cat"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "lanlq")
	if err := os.WriteFile(bin, []byte(fakeLanlq), 0o755); err != nil {
		t.Fatal(err)
	}
	scores := filepath.Join(dir, "scores.parquet")
	writeRows(t, scores, 5)
	t.Setenv("FAKE_SCORES", scores)
	work := filepath.Join(dir, "work")

	var log strings.Builder
	s, err := LANLSpanBench(context.Background(), bin, work, 1, 3, &log)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if !s.Generated || s.Raw != filepath.Join(work, "raw-lanl-d1-seed3") {
		t.Errorf("first run: generated %v into %s", s.Generated, s.Raw)
	}
	var gz int64
	for _, name := range []string{"auth.txt.gz", "dns.txt.gz"} {
		st, err := os.Stat(filepath.Join(s.Raw, name))
		if err != nil {
			t.Fatal(err)
		}
		gz += st.Size()
	}
	st, err := os.Stat(scores)
	if err != nil {
		t.Fatal(err)
	}
	if s.GzipBytes != gz || s.Events != 3 || s.Rows != 5 || s.StateBytes != 10 ||
		s.ScoresBytes != st.Size() || s.ResultBytes != st.Size()+3 {
		t.Errorf("span %+v: want gzip %d, events 3, rows 5, state 10, scores %d, results %d", s, gz, st.Size(), st.Size()+3)
	}
	if len(s.Stages) != 4 || s.Stages[3] != (Stage{"other", 500 * time.Millisecond}) {
		t.Errorf("stages %v", s.Stages)
	}
	if s.Ingest.Wall <= 0 || s.Score.Wall <= 0 || s.Zcat.Wall <= 0 || s.Score.PeakRSS <= 0 {
		t.Errorf("runs not measured: %+v", s)
	}
	if !strings.Contains(log.String(), "lanl 1d: ingest") {
		t.Errorf("log %q", log.String())
	}
	// The raw folder is cached; data and results are made afresh.
	if err := os.WriteFile(filepath.Join(s.Out, "stale"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := LANLSpanBench(context.Background(), bin, work, 1, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if again.Generated || again.Synth != (Run{}) || again.ResultBytes != s.ResultBytes {
		t.Errorf("second run: generated %v, synth %+v, results %d (want cached, %d)", again.Generated, again.Synth, again.ResultBytes, s.ResultBytes)
	}
	// The state as a folder (format 2) counts the same, apart from the results.
	t.Setenv("FAKE_STATE_DIR", "1")
	dirState, err := LANLSpanBench(context.Background(), bin, work, 1, 3, nil)
	if err != nil {
		t.Fatal(err)
	}
	if dirState.StateBytes != 10 || dirState.ResultBytes != s.ResultBytes || dirState.Rows != 5 {
		t.Errorf("state folder: state %d, results %d, rows %d; want 10, %d, 5", dirState.StateBytes, dirState.ResultBytes, dirState.Rows, s.ResultBytes)
	}
	if _, err := LANLSpanBench(context.Background(), bin, work, 0, 3, nil); err == nil {
		t.Error("0 days: no error")
	}
}

// writeRows writes a Parquet file of n int64 rows with arrow-go's own writer.
func writeRows(t *testing.T, path string, n int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for i := range n {
		b.Append(int64(i))
	}
	col := b.NewArray()
	defer col.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, int64(n))
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
