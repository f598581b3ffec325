package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/lanlq/lanlq/lanl"
)

// fixtureLines makes n LANL-like lines of a stream, in time order from t0, with
// repeated values, '?' and a few events per second.
func fixtureLines(stream string, n int, t0 int64, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, 7))
	comp := func() string {
		if r.IntN(20) == 0 {
			return "?"
		}
		return fmt.Sprintf("C%d", r.IntN(50))
	}
	user := func() string { return fmt.Sprintf("U%d@DOM1", r.IntN(30)) }
	lines := make([]string, n)
	t := t0
	for i := range lines {
		t += int64(r.IntN(3))
		switch stream {
		case "auth":
			lines[i] = fmt.Sprintf("%d,%s,%s,%s,%s,NTLM,Network,LogOn,Success", t, user(), user(), comp(), comp())
		case "proc":
			lines[i] = fmt.Sprintf("%d,%s,%s,P%d,Start", t, user(), comp(), r.IntN(40))
		case "flows":
			lines[i] = fmt.Sprintf("%d,%d,%s,N%d,%s,445,6,%d,%d", t, r.IntN(100), comp(), r.IntN(9999), comp(), r.IntN(50), r.IntN(100000))
		case "dns":
			lines[i] = fmt.Sprintf("%d,%s,%s", t, comp(), comp())
		case "redteam":
			lines[i] = fmt.Sprintf("%d,%s,%s,%s", t, user(), comp(), comp())
		}
	}
	return lines
}

func writeGz(t testing.TB, path string, text []byte) {
	t.Helper()
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zw.Write(text)
	zw.Close()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func joinLines(lines []string) []byte { return []byte(strings.Join(lines, "\n") + "\n") }

// writeFixture writes all five streams, gzip, and returns the line counts.
func writeFixture(t testing.TB, raw string, n int) map[string]int {
	counts := map[string]int{}
	for i, s := range lanl.Streams {
		m := n >> i
		if s.Name == "redteam" {
			m = 20
		}
		writeGz(t, filepath.Join(raw, s.Name+".txt.gz"), joinLines(fixtureLines(s.Name, m, 1, uint64(i+1))))
		counts[s.Name] = m
	}
	return counts
}

func openData(t testing.TB, data string) *Session {
	t.Helper()
	s, err := Open(context.Background(), data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func count(t testing.TB, s *Session, q string) int64 {
	t.Helper()
	var n int64
	if err := s.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func checksums(t testing.TB, data string) map[string]string {
	t.Helper()
	s := openData(t, data)
	out := map[string]string{}
	for _, st := range append(lanl.Streams, lanl.Stream{Name: "rejects"}) {
		n, sum, err := s.Checksum(context.Background(), st.Name)
		if err != nil {
			t.Fatal(err)
		}
		out[st.Name] = fmt.Sprintf("%d/%s", n, sum)
	}
	return out
}

func TestIngestCountsSortedPartitions(t *testing.T) {
	raw, data := t.TempDir(), t.TempDir()
	counts := writeFixture(t, raw, 20000)
	ctx := context.Background()
	rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data, Interval: 900 * time.Second, chunkBytes: 64 << 10, segmentBytes: 256 << 10})
	if err != nil {
		t.Fatal(err)
	}
	s := openData(t, data)
	for _, sr := range rep.Streams {
		if sr.LinesRead != int64(counts[sr.Stream]) || sr.Rows != sr.LinesRead || sr.Rejects != 0 {
			t.Errorf("%s: report %+v, want %d lines all stored", sr.Stream, sr, counts[sr.Stream])
		}
		if got := count(t, s, "SELECT count(*) FROM "+sr.Stream); got != int64(counts[sr.Stream]) {
			t.Errorf("%s: %d rows in the view, want %d", sr.Stream, got, counts[sr.Stream])
		}
		// Every row sits in the partition of its interval, files sorted by time.
		q := fmt.Sprintf(`SELECT count(*) FROM (
			SELECT time, interval_start, filename,
			       lag(time) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
			FROM read_parquet('%s/%s/*/*.parquet', hive_partitioning = true, filename = true, file_row_number = true))
			WHERE CAST(interval_start AS TIMESTAMP) <> TIMESTAMP '2015-01-01' + to_seconds((time // 900) * 900) OR time < prev`,
			data, sr.Stream)
		if bad := count(t, s, q); bad != 0 {
			t.Errorf("%s: %d rows out of place or out of order", sr.Stream, bad)
		}
	}
	// ts is the notebook's origin plus time.
	if bad := count(t, s, "SELECT count(*) FROM auth WHERE ts <> TIMESTAMP '2015-01-01' + to_seconds(time)"); bad != 0 {
		t.Errorf("%d auth rows with ts ≠ origin + time", bad)
	}
	// The Go-side line checksum and the typed columns agree with the input.
	if got := count(t, s, "SELECT sum(num_bytes) FROM flows"); got <= 0 {
		t.Errorf("flows num_bytes sum %d", got)
	}
}

func TestIngestRealExcerpts(t *testing.T) {
	real := filepath.Join("..", "..", "shared", "data", "lanl-real")
	if _, err := os.Stat(real); err != nil {
		t.Skip("real LANL excerpts not found:", err)
	}
	raw, data := t.TempDir(), t.TempDir()
	for src, dst := range map[string]string{"redteam.txt": "redteam.txt", "dns_excerpt_t766801-770399.txt": "dns.txt"} {
		b, err := os.ReadFile(filepath.Join(real, src))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(raw, dst), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	s := openData(t, data)
	if n := count(t, s, "SELECT count(*) FROM redteam"); n != 749 {
		t.Errorf("redteam: %d rows, want 749", n)
	}
	if n := count(t, s, "SELECT count(DISTINCT userdomain_source) FROM redteam"); n != 104 {
		t.Errorf("redteam: %d users, want 104", n)
	}
	if n := count(t, s, "SELECT count(*) FROM dns"); n != 3450 {
		t.Errorf("dns: %d rows, want 3450", n)
	}
	// The DNS hour is day 9, 21:00–22:00 (times 766801–770399): one partition.
	if n := count(t, s, "SELECT count(DISTINCT date_trunc('hour', ts)) FROM dns"); n != 1 {
		t.Errorf("dns: %d hours, want 1", n)
	}
	if n := count(t, s, "SELECT count(*) FROM auth"); n != 0 {
		t.Errorf("auth (not ingested): %d rows, want an empty view", n)
	}
}

func TestIngestIdempotent(t *testing.T) {
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 3000)
	ctx := context.Background()
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	before := checksums(t, data)
	snap := snapshot(t, data)
	rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Unchanged() {
		t.Errorf("second ingest of the same input did work: %+v", rep.Streams)
	}
	if after := snapshot(t, data); after != snap {
		t.Errorf("second ingest changed the data folder:\nbefore %s\nafter  %s", snap, after)
	}
	if after := checksums(t, data); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("checksums changed: %v → %v", before, after)
	}
	// A changed input re-ingests that stream only.
	writeGz(t, filepath.Join(raw, "dns.txt.gz"), joinLines(fixtureLines("dns", 100, 1, 99)))
	rep, err = Ingest(ctx, IngestOptions{Raw: raw, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range rep.Streams {
		if sr.Unchanged == (sr.Stream == "dns") {
			t.Errorf("%s: unchanged=%v after changing only dns", sr.Stream, sr.Unchanged)
		}
	}
	if n := count(t, openData(t, data), "SELECT count(*) FROM dns"); n != 100 {
		t.Errorf("dns after re-ingest: %d rows, want 100", n)
	}
}

func TestOpenRefusesOtherLayout(t *testing.T) {
	data := t.TempDir()
	if err := writeManifest(data, manifest{Version: formatVersion + 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), data, Options{}); !errors.Is(err, ErrNoData) || !strings.Contains(err.Error(), "ingest again") {
		t.Errorf("Open over another layout: err = %v", err)
	}
}

// snapshot lists every file under dir with its size and modification time.
func snapshot(t testing.TB, dir string) string {
	var b strings.Builder
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			fmt.Fprintf(&b, "%s %d %d\n", p, info.Size(), info.ModTime().UnixNano())
		}
		return nil
	})
	return b.String()
}

func TestIngestBadLines(t *testing.T) {
	good := fixtureLines("flows", 50, 10, 3)
	cases := []struct {
		name   string
		bad    string // inserted as line 21
		reason string
	}{
		{"field count", "40,1,C1,N1,C2,445,6,3", "expected 9 fields, got 8"},
		{"too many fields", "40,1,C1,N1,C2,445,6,3,4,5", "expected 9 fields, got 10"},
		{"time not integer", "4x0,1,C1,N1,C2,445,6,3,4", "time: not a non-negative integer"},
		{"count not integer", "40,1,C1,N1,C2,445,6,3,many", "num_bytes: not an integer"},
		{"empty line", "", "empty line"},
		{"bad utf-8", "40,1,C1,N1,C\xff\xfe2,445,6,3,4", "invalid UTF-8"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw := t.TempDir()
			lines := append(append(append([]string{}, good[:20]...), tc.bad), good[20:]...)
			path := filepath.Join(raw, "flows.txt.gz")
			writeGz(t, path, joinLines(lines))
			ctx := context.Background()
			_, err := Ingest(ctx, IngestOptions{Raw: raw, Data: t.TempDir()})
			var le *LineError
			if !errors.As(err, &le) || le.File != path || le.Line != 21 || !strings.Contains(le.Reason, tc.reason) {
				t.Fatalf("ingest error = %v, want %s:21: %s", err, path, tc.reason)
			}
			if !strings.Contains(err.Error(), fmt.Sprintf("%s:21:", path)) {
				t.Errorf("error %q does not name file and line", err)
			}
			data := t.TempDir()
			rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data, KeepRejects: true})
			if err != nil {
				t.Fatal(err)
			}
			sr := rep.Streams[0]
			if sr.LinesRead != 51 || sr.Rows != 50 || sr.Rejects != 1 {
				t.Errorf("reconciliation %d = %d + %d, want 51 = 50 + 1", sr.LinesRead, sr.Rows, sr.Rejects)
			}
			s := openData(t, data)
			var file, rawText, reason string
			var line int64
			if err := s.QueryRow(ctx, "SELECT file, line, raw, reason FROM rejects").Scan(&file, &line, &rawText, &reason); err != nil {
				t.Fatal(err)
			}
			if file != path || line != 21 || !strings.Contains(reason, tc.reason) {
				t.Errorf("rejects row (%s, %d, %q, %q), want (%s, 21, …, %q)", file, line, rawText, reason, path, tc.reason)
			}
			if want := strings.ToValidUTF8(tc.bad, "\uFFFD"); rawText != want {
				t.Errorf("rejects raw %q, want %q", rawText, want)
			}
			if n := count(t, s, "SELECT count(*) FROM flows"); n != 50 {
				t.Errorf("%d flows rows, want 50", n)
			}
		})
	}
}

func TestIngestTruncatedGzip(t *testing.T) {
	raw := t.TempDir()
	lines := fixtureLines("dns", 5000, 1, 5)
	path := filepath.Join(raw, "dns.txt.gz")
	writeGz(t, path, joinLines(lines))
	b, _ := os.ReadFile(path)
	// Cut the member short: the decompressor fails before the end of the text.
	if err := os.WriteFile(path, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := Ingest(ctx, IngestOptions{Raw: raw, Data: t.TempDir()})
	var le *LineError
	if !errors.As(err, &le) || !strings.Contains(le.Reason, "truncated gzip") {
		t.Fatalf("ingest error = %v, want a truncated gzip LineError", err)
	}
	data := t.TempDir()
	rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data, KeepRejects: true})
	if err != nil {
		t.Fatal(err)
	}
	sr := rep.Streams[0]
	if sr.LinesRead != sr.Rows+sr.Rejects || sr.Rejects != 1 || sr.Rows < 1000 || sr.Rows >= 5000 {
		t.Errorf("reconciliation: read %d rows %d rejects %d", sr.LinesRead, sr.Rows, sr.Rejects)
	}
	s := openData(t, data)
	// The stored rows are exactly the first lines of the input.
	if n := count(t, s, fmt.Sprintf("SELECT count(*) FROM dns WHERE time > %s", strings.Split(lines[sr.Rows-1], ",")[0])); n != 0 {
		t.Errorf("%d rows beyond the last complete line", n)
	}
	if n := count(t, s, fmt.Sprintf("SELECT count(*) FROM rejects WHERE line = %d AND reason LIKE 'truncated gzip%%'", sr.Rows+1)); n != 1 {
		t.Errorf("no truncation reject at line %d", sr.Rows+1)
	}
}

func TestIngestChunkFolderAndUnsorted(t *testing.T) {
	raw := t.TempDir()
	lines := fixtureLines("auth", 3000, 1, 11)
	// A folder of split chunks, one plain and two gzip, the middle one out of order.
	writeGz(t, filepath.Join(raw, "auth", "xaa.gz"), joinLines(lines[:1000]))
	mid := append([]string{}, lines[1000:2000]...)
	mid[0], mid[999] = mid[999], mid[0]
	if err := os.WriteFile(filepath.Join(raw, "auth", "xab"), joinLines(mid), 0o644); err != nil {
		t.Fatal(err)
	}
	writeGz(t, filepath.Join(raw, "auth", "xac.gz"), joinLines(lines[2000:]))
	data := t.TempDir()
	rep, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data, chunkBytes: 16 << 10, segmentBytes: 32 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if sr := rep.Streams[0]; sr.Rows != 3000 || len(sr.Files) != 3 {
		t.Fatalf("report %+v", sr)
	}
	s := openData(t, data)
	q := fmt.Sprintf(`SELECT count(*) FROM (SELECT time, lag(time) OVER (PARTITION BY filename ORDER BY file_row_number) prev
		FROM read_parquet('%s/auth/*/*.parquet', filename = true, file_row_number = true)) WHERE time < prev`, data)
	if n := count(t, s, q); n != 0 {
		t.Errorf("%d rows out of time order within files", n)
	}
	// Both a file and a folder for one stream is ambiguous.
	writeGz(t, filepath.Join(raw, "auth.txt.gz"), joinLines(lines[:10]))
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: t.TempDir()}); !errors.Is(err, ErrAmbiguousInput) {
		t.Errorf("file and folder for auth: err = %v, want ErrAmbiguousInput", err)
	}
}

// TestIngestRunCap checks that an interval larger than a run is written as several
// files, in order, without being taken for unsorted input.
func TestIngestRunCap(t *testing.T) {
	defer func(v int64) { maxRunRows = v }(maxRunRows)
	maxRunRows = 700
	raw, data := t.TempDir(), t.TempDir()
	writeGz(t, filepath.Join(raw, "dns.txt.gz"), joinLines(fixtureLines("dns", 5000, 1, 3)))
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data, Interval: 24 * time.Hour}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(data, "dns", "*", "*.parquet"))
	if len(files) != 8 { // ceil(5000 / 700), one interval of a day
		t.Errorf("%d files, want 8", len(files))
	}
	s := openData(t, data)
	if n := count(t, s, "SELECT count(*) FROM dns"); n != 5000 {
		t.Errorf("%d rows, want 5000", n)
	}
	q := fmt.Sprintf(`SELECT count(*) FROM (SELECT time, lag(time) OVER (ORDER BY filename, file_row_number) prev
		FROM read_parquet('%s/dns/*/*.parquet', filename = true, file_row_number = true)) WHERE time < prev`, data)
	if n := count(t, s, q); n != 0 {
		t.Errorf("%d rows out of order across the interval's files", n)
	}
}

var errCrash = errors.New("engine: simulated crash")

// ingestSteps runs a clean ingest and returns the durable steps it reported, in order.
func ingestSteps(t *testing.T, opts IngestOptions) []string {
	t.Helper()
	var steps []string
	opts.step = func(ev string) error { steps = append(steps, ev); return nil }
	if _, err := Ingest(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	return steps
}

// stopPoints picks the steps to interrupt at: the first and last of each kind
// (segment commit, assemble, publish, manifest, catalog) and a commit in the middle.
func stopPoints(steps []string) []int {
	first, last := map[string]int{}, map[string]int{}
	var commits []int
	for i, ev := range steps {
		kind, _, _ := strings.Cut(ev, " ")
		if _, ok := first[kind]; !ok {
			first[kind] = i
		}
		last[kind] = i
		if kind == "commit" {
			commits = append(commits, i)
		}
	}
	set := map[int]bool{}
	for _, i := range first {
		set[i] = true
	}
	for _, i := range last {
		set[i] = true
	}
	if len(commits) > 0 {
		set[commits[len(commits)/2]] = true
	}
	out := slices.Sorted(maps.Keys(set))
	return out
}

// published returns the streams whose manifest step comes at or before step i.
func published(steps []string, i int) []string {
	var out []string
	for _, ev := range steps[:i+1] {
		if name, ok := strings.CutPrefix(ev, "manifest "); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// checkInterrupted checks a data folder after an ingest stopped right after step i:
// the manifest names exactly the streams published by then, and every view is either
// empty or complete.
func checkInterrupted(t *testing.T, data string, steps []string, i int, want map[string]string) {
	t.Helper()
	m, err := readManifest(data)
	if err != nil {
		t.Fatalf("stop after %q: %v", steps[i], err)
	}
	got := slices.Sorted(maps.Keys(m.Streams))
	if !slices.Equal(got, published(steps, i)) {
		t.Errorf("stop after %q: manifest names %v, want %v", steps[i], got, published(steps, i))
	}
	for name, sum := range checksums(t, data) {
		if !strings.HasPrefix(sum, "0/") && sum != want[name] {
			t.Errorf("stop after %q: %s visible half-written: %s, want 0 or %s", steps[i], name, sum, want[name])
		}
	}
}

// leftovers lists the temporary files and folders (*.tmp, *.new, *.wal) under data,
// and a missing or stale catalog.
func leftovers(t *testing.T, data string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasSuffix(p, ".tmp") || strings.HasSuffix(p, ".new") || strings.HasSuffix(p, ".wal") {
			out = append(out, p)
		}
		return nil
	})
	if !catalogCurrent(data) {
		out = append(out, "(catalog.duckdb missing or older than the manifest)")
	}
	return out
}

// TestIngestCrashResume interrupts ingest after durable steps of every kind and checks
// that a rerun ends with the same content as an uninterrupted ingest.
func TestIngestCrashResume(t *testing.T) {
	raw := t.TempDir()
	writeFixture(t, raw, 20000)
	ctx := context.Background()
	small := func(data string) IngestOptions {
		return IngestOptions{Raw: raw, Data: data, KeepRejects: true, chunkBytes: 32 << 10, segmentBytes: 64 << 10}
	}
	clean := t.TempDir()
	steps := ingestSteps(t, small(clean))
	want := checksums(t, clean)
	points := stopPoints(steps)
	if len(points) < 8 {
		t.Fatalf("only %d stop points in %v", len(points), steps)
	}
	t.Logf("%d steps, stopped after %d of them", len(steps), len(points))
	for _, at := range points {
		data := t.TempDir()
		o := small(data)
		n := 0
		o.step = func(string) error {
			if n == at {
				return errCrash
			}
			n++
			return nil
		}
		if _, err := Ingest(ctx, o); !errors.Is(err, errCrash) {
			t.Fatalf("crash after %q: err = %v", steps[at], err)
		}
		checkInterrupted(t, data, steps, at, want)
		if _, err := Ingest(ctx, small(data)); err != nil {
			t.Fatalf("rerun after crash after %q: %v", steps[at], err)
		}
		if got := checksums(t, data); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("crash after %q then rerun: %v, want %v", steps[at], got, want)
		}
		if l := leftovers(t, data); len(l) > 0 {
			t.Errorf("crash after %q then rerun: temporary files left: %v", steps[at], l)
		}
	}
}

// TestIngestKill9 kills a real ingest process with SIGKILL right after durable steps
// of every kind and reruns it. The child reports each step on its standard output
// and waits for the parent's go-ahead on its standard input, so the kill lands
// exactly after the chosen step whatever the machine's speed or load.
func TestIngestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	raw := t.TempDir()
	// Enough lines for several committed segments: the kill points are the first and last
	// step of each kind and a commit in the middle.
	writeFixture(t, raw, 50000)
	clean := t.TempDir()
	steps := runChild(t, raw, clean, -1)
	want := checksums(t, clean)
	points := stopPoints(steps)
	if len(points) < 8 {
		t.Fatalf("only %d kill points in %v", len(points), steps)
	}
	t.Logf("%d steps, killed after %d of them", len(steps), len(points))
	for _, at := range points {
		data := t.TempDir()
		if got := runChild(t, raw, data, at); len(got) != at+1 || got[at] != steps[at] {
			t.Fatalf("kill after step %d: the child reported %v, want the steps up to %q", at, got, steps[at])
		}
		checkInterrupted(t, data, steps, at, want)
		runChild(t, raw, data, -1)
		if got := checksums(t, data); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("kill -9 after %q then rerun: %v, want %v", steps[at], got, want)
		}
		if l := leftovers(t, data); len(l) > 0 {
			t.Errorf("kill -9 after %q then rerun: temporary files left: %v", steps[at], l)
		}
	}
}

// runChild runs ingest in a child process (this test binary, see TestMain) and
// returns the steps it reported. With killAt >= 0 it kills the child with SIGKILL
// while the child waits after step killAt; otherwise the child must finish cleanly.
func runChild(t *testing.T, raw, data string, killAt int) []string {
	t.Helper()
	return runStepChild(t, "ingest", "LANLQ_INGEST_CHILD="+raw+"|"+data, killAt)
}

// runStepChild runs this test binary as a child with env set (TestMain turns it into
// the child that does what) and returns the steps it reported on stdout, one a line.
// The child waits on stdin after each step; with killAt >= 0 the child is killed with
// SIGKILL while it waits after step killAt, otherwise it must finish cleanly. The
// kills are driven by the child's reports, never by time.
func runStepChild(t *testing.T, what, env string, killAt int) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), env)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var steps []string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		steps = append(steps, sc.Text())
		if len(steps)-1 == killAt {
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, stdout)
			cmd.Wait()
			return steps
		}
		if _, err := io.WriteString(stdin, "go\n"); err != nil {
			t.Fatalf("child %s: %v\n%s", what, err, errOut.String())
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child %s: %v\n%s", what, err, errOut.String())
	}
	return steps
}

func TestMain(m *testing.M) {
	lockHelper()
	scoreChild()
	followChild()
	if spec := os.Getenv("LANLQ_INGEST_CHILD"); spec != "" {
		// RAW|DATA, or RAW|DATA|CHUNK|SEGMENT to size the resumable units otherwise.
		parts := strings.Split(spec, "|")
		raw, data := parts[0], parts[1]
		chunk, segment := 64<<10, 256<<10
		if len(parts) == 4 {
			chunk, _ = strconv.Atoi(parts[2])
			segment, _ = strconv.Atoi(parts[3])
		}
		in := bufio.NewReader(os.Stdin)
		step := func(ev string) error {
			fmt.Println(ev)
			_, err := in.ReadString('\n') // the parent's go-ahead, or a kill
			return err
		}
		_, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data, KeepRejects: true,
			chunkBytes: chunk, segmentBytes: segment, step: step})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	removeShared()
	os.Exit(code)
}

// TestSessionPrivateSpillFolder: every session spills into a folder of its own under
// $TMPDIR (DuckDB's default, .tmp in the working directory, is shared by every process
// started there), removed by Close; an explicit TempDir is used as given and kept.
func TestSessionPrivateSpillFolder(t *testing.T) {
	ctx := context.Background()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	spill := func(s *Session) string {
		var dir string
		if err := s.QueryRow(ctx, "SELECT current_setting('temp_directory')").Scan(&dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	a, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	da, db := spill(a), spill(b)
	if da == db || filepath.Dir(da) != tmp || filepath.Dir(db) != tmp {
		t.Errorf("spill folders %q and %q, want two distinct folders in %s", da, db, tmp)
	}
	// Make a spill, then check Close removes the folder.
	if err := a.Exec(ctx, "SET memory_limit = '64MB'; SET preserve_insertion_order = false"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := a.QueryRow(ctx, "SELECT count(*) FROM (SELECT range % 1000003 AS k, md5(range::VARCHAR) AS v FROM range(3000000) ORDER BY v)").Scan(&n); err != nil || n != 3000000 {
		t.Fatalf("spilling sort: %d rows, %v", n, err)
	}
	for _, s := range []*Session{a, b} {
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("%d entries left in %s after Close", len(entries), tmp)
	}
	own := t.TempDir()
	c, err := NewSession(ctx, Options{TempDir: own})
	if err != nil {
		t.Fatal(err)
	}
	if got := spill(c); got != own {
		t.Errorf("TempDir %q: temp_directory %q", own, got)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(own); err != nil {
		t.Errorf("an explicit TempDir must be kept: %v", err)
	}
}
