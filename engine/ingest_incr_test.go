package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// incrDrop is one drop of raw data: per stream, the lines it adds.
type incrDrop map[string][]string

// How each stream of the incremental tests receives its drops: auth and dns as new
// chunk files in a stream folder (gzip and plain), proc as lines appended to one plain
// file, flows as gzip members appended to one gzip file.
var incrForms = map[string]string{"auth": "gzchunks", "dns": "chunks", "proc": "append", "flows": "gzappend"}

// incrDrops splits generated lines of every stream of incrForms into drops of
// chunkSeconds of time each (so a drop may end inside an interval: the next one then
// brings late rows), with a few malformed lines among them.
func incrDrops(n int, chunkSeconds int64) []incrDrop {
	var drops []incrDrop
	for i, stream := range slices.Sorted(maps.Keys(incrForms)) {
		lines := fixtureLines(stream, n, 1, uint64(40+i))
		for j, l := range lines {
			at, _ := strconv.ParseInt(l[:strings.IndexByte(l, ',')], 10, 64)
			k := int(at / chunkSeconds)
			for len(drops) <= k {
				drops = append(drops, incrDrop{})
			}
			if j%997 == 500 { // a bad line before this one
				drops[k][stream] = append(drops[k][stream], fmt.Sprintf("%d,not enough fields", at))
			}
			drops[k][stream] = append(drops[k][stream], l)
		}
	}
	return drops
}

// gzipBytes compresses text as one gzip member.
func gzipBytes(text []byte) []byte {
	var b bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	zw.Write(text)
	zw.Close()
	return b.Bytes()
}

// applyDrop writes drop number k into raw the way incrForms says and returns, per
// stream, the raw bytes it added.
func applyDrop(t testing.TB, raw string, k int, drop incrDrop) map[string]int64 {
	t.Helper()
	added := map[string]int64{}
	for stream, lines := range drop {
		if len(lines) == 0 {
			continue
		}
		text := joinLines(lines)
		var path string
		switch incrForms[stream] {
		case "gzchunks":
			path, text = filepath.Join(raw, stream, fmt.Sprintf("h%04d.txt.gz", k)), gzipBytes(text)
		case "chunks":
			path = filepath.Join(raw, stream, fmt.Sprintf("h%04d.txt", k))
		case "append":
			path = filepath.Join(raw, stream+".txt")
		case "gzappend":
			path, text = filepath.Join(raw, stream+".txt.gz"), gzipBytes(text)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(text); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		added[stream] = int64(len(text))
	}
	return added
}

// viewRows returns every row of every stream view and of rejects, in the views' order,
// all columns, one string a row.
func viewRows(t testing.TB, data string) map[string][]string {
	t.Helper()
	s := openData(t, data)
	out := map[string][]string{}
	for _, view := range append(slices.Sorted(maps.Keys(incrForms)), "rejects") {
		rows, err := s.Query(context.Background(), "SELECT CAST(v AS VARCHAR) FROM "+view+" v")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				t.Fatal(err)
			}
			out[view] = append(out[view], line)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// diffRows describes the first difference between two viewRows results.
func diffRows(got, want map[string][]string) string {
	for _, view := range slices.Sorted(maps.Keys(want)) {
		g, w := got[view], want[view]
		if len(g) != len(w) {
			return fmt.Sprintf("%s: %d rows, want %d", view, len(g), len(w))
		}
		for i := range w {
			if g[i] != w[i] {
				return fmt.Sprintf("%s row %d: %q, want %q", view, i, g[i], w[i])
			}
		}
	}
	return ""
}

// TestIngestIncremental drops data hour by hour — new chunk files (gzip and plain),
// lines appended to a plain file, gzip members appended to a gzip file — ingesting
// after each drop, and checks that only the new bytes are read (from the report:
// bytes, lines, late rows, never timing) and that the views then hold exactly the
// rows and rejects, in the same order, of one ingest of all the files. A rewritten
// file then makes its stream be read whole again, with a warning, to the same end.
func TestIngestIncremental(t *testing.T) {
	const width = 3600
	drops := incrDrops(12000, 1800) // drops of half an hour: every other one is late
	if len(drops) < 6 {
		t.Fatalf("only %d drops", len(drops))
	}
	raw, data := t.TempDir(), t.TempDir()
	ctx := context.Background()
	opts := func(data string) IngestOptions {
		return IngestOptions{Raw: raw, Data: data, KeepRejects: true, chunkBytes: 4 << 10, segmentBytes: 16 << 10}
	}
	intervals := map[string]map[int64]bool{} // per stream, the intervals with rows so far
	sizes := map[string]int64{}              // per appended stream, its file's size so far
	for k, drop := range drops {
		added := applyDrop(t, raw, k, drop)
		rep, err := Ingest(ctx, opts(data))
		if err != nil {
			t.Fatalf("drop %d: %v", k, err)
		}
		if len(rep.Warnings) > 0 {
			t.Errorf("drop %d: warnings %q", k, rep.Warnings)
		}
		for _, sr := range rep.Streams {
			lines := drop[sr.Stream]
			if len(lines) == 0 {
				if !sr.Unchanged {
					t.Errorf("drop %d: %s changed without new lines", k, sr.Stream)
				}
				continue
			}
			var late int64
			seen := intervals[sr.Stream]
			if seen == nil {
				seen = map[int64]bool{}
				intervals[sr.Stream] = seen
			}
			var now []int64
			for _, l := range lines {
				if strings.Contains(l, "not enough") {
					continue
				}
				at, _ := strconv.ParseInt(l[:strings.IndexByte(l, ',')], 10, 64)
				if seen[at/width] {
					late++
				}
				now = append(now, at/width)
			}
			for _, iv := range now {
				seen[iv] = true
			}
			if k == 0 {
				continue
			}
			var verified int64
			if f := incrForms[sr.Stream]; f == "append" || f == "gzappend" {
				verified = sizes[sr.Stream]
			}
			if !sr.Incremental || sr.Reread != "" || sr.ReadBytes != added[sr.Stream] || sr.ReadLines != int64(len(lines)) ||
				sr.Verified != verified || sr.LateRows != late {
				t.Errorf("drop %d, %s: incremental %v (reread %q), read %d bytes, %d lines, verified %d, %d late rows; want incremental, %d bytes, %d lines, %d verified, %d late",
					k, sr.Stream, sr.Incremental, sr.Reread, sr.ReadBytes, sr.ReadLines, sr.Verified, sr.LateRows,
					added[sr.Stream], len(lines), verified, late)
			}
		}
		for s, n := range added {
			sizes[s] += n
		}
	}
	got := viewRows(t, data)
	whole := t.TempDir()
	if _, err := Ingest(ctx, opts(whole)); err != nil {
		t.Fatal(err)
	}
	want := viewRows(t, whole)
	if len(want["rejects"]) == 0 || len(want["auth"]) == 0 {
		t.Fatalf("the data set lacks rows or rejects: %d auth rows, %d rejects", len(want["auth"]), len(want["rejects"]))
	}
	if d := diffRows(got, want); d != "" {
		t.Errorf("drop by drop vs one ingest: %s", d)
	}
	if fmt.Sprint(checksums(t, data)) != fmt.Sprint(checksums(t, whole)) {
		t.Errorf("checksums: %v drop by drop, %v in one ingest", checksums(t, data), checksums(t, whole))
	}
	if l := leftovers(t, data); len(l) > 0 {
		t.Errorf("temporary files left: %v", l)
	}
	gens, _ := globIn(filepath.Join(data, internalDir, "gen"), "*")
	if len(gens) != len(incrForms) {
		t.Errorf("%d generations kept, want one per stream: %v", len(gens), gens)
	}

	// A byte changed inside what was ingested: proc is read whole again.
	path := filepath.Join(raw, "proc.txt")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte("Start"))
	copy(b[i:], "Stop!")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := Ingest(ctx, opts(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, sr := range rep.Streams {
		if (sr.Stream == "proc") == sr.Unchanged || sr.Incremental {
			t.Errorf("after rewriting proc.txt: %s unchanged %v, incremental %v", sr.Stream, sr.Unchanged, sr.Incremental)
		}
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "proc.txt changed within its") ||
		!strings.Contains(rep.Warnings[0], "reading the stream whole again") {
		t.Errorf("after rewriting proc.txt: warnings %q", rep.Warnings)
	}
	whole2 := t.TempDir()
	if _, err := Ingest(ctx, opts(whole2)); err != nil {
		t.Fatal(err)
	}
	if d := diffRows(viewRows(t, data), viewRows(t, whole2)); d != "" {
		t.Errorf("after a rewrite, vs one ingest: %s", d)
	}

	// A new chunk file named before one already ingested: auth is read whole again.
	writeGz(t, filepath.Join(raw, "auth", "h0000z.txt.gz"), joinLines(fixtureLines("auth", 50, 20000, 9)))
	if rep, err = Ingest(ctx, opts(data)); err != nil {
		t.Fatal(err)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "h0000z.txt.gz sorts before") {
		t.Errorf("after a chunk file out of name order: warnings %q", rep.Warnings)
	}
	whole3 := t.TempDir()
	if _, err := Ingest(ctx, opts(whole3)); err != nil {
		t.Fatal(err)
	}
	if d := diffRows(viewRows(t, data), viewRows(t, whole3)); d != "" {
		t.Errorf("after a chunk file out of name order, vs one ingest: %s", d)
	}
}

// TestIngestIncrementalKill9 kills an incremental ingest (new chunk files, lines and
// gzip members appended, on top of an ingested folder) with SIGKILL right after
// durable steps of every kind, through the event-driven child of TestIngestKill9, and
// reruns it: each view shows its stream before the drop until the stream's manifest
// step, after the drop from then on, and the rerun ends with the rows, rejects and
// order of an uninterrupted run.
func TestIngestIncrementalKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("subprocess test")
	}
	drops := incrDrops(6000, 1800)
	const chunk, segment = 4 << 10, 16 << 10
	raw := t.TempDir() // rebuilt for every run: the rejects name their files
	// setup ingests the first two drops into a new data folder, then drops the rest.
	setup := func() (data string, before map[string]string) {
		entries, _ := os.ReadDir(raw)
		for _, e := range entries {
			if err := os.RemoveAll(filepath.Join(raw, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
		data = t.TempDir()
		for k := range 2 {
			applyDrop(t, raw, k, drops[k])
		}
		if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data, KeepRejects: true, chunkBytes: chunk, segmentBytes: segment}); err != nil {
			t.Fatal(err)
		}
		before = checksums(t, data)
		for k := 2; k < len(drops); k++ {
			applyDrop(t, raw, k, drops[k])
		}
		return data, before
	}
	child := func(data string, killAt int) []string {
		return runStepChild(t, "ingest", fmt.Sprintf("LANLQ_INGEST_CHILD=%s|%s|%d|%d", raw, data, chunk, segment), killAt)
	}
	clean, _ := setup()
	steps := child(clean, -1)
	want, wantRows := checksums(t, clean), viewRows(t, clean)
	// The child read only the new parts: proc's and flows' appended segments follow
	// the first ingest's, and auth's first chunk file is not read again.
	var appended, reread bool
	for _, ev := range steps {
		appended = appended || strings.HasPrefix(ev, "commit proc f0000-s") && !strings.HasSuffix(ev, "s000000")
		reread = reread || ev == "commit auth f0000-s000000" || ev == "commit proc f0000-s000000"
	}
	if !appended || reread {
		t.Fatalf("the ingest after the drops was not incremental: steps %v", steps)
	}
	points := stopPoints(steps)
	if len(points) < 8 {
		t.Fatalf("only %d kill points in %v", len(points), steps)
	}
	t.Logf("%d steps, killed after %d of them", len(steps), len(points))
	for _, at := range points {
		data, before := setup()
		if got := child(data, at); len(got) != at+1 || got[at] != steps[at] {
			t.Fatalf("kill after step %d: the child reported %v, want the steps up to %q", at, got, steps[at])
		}
		sums := checksums(t, data)
		for stream := range incrForms {
			w := before[stream]
			// lanlq's sessions read the generation the manifest names (the symlink,
			// for other clients, is swapped one step earlier).
			if slices.Contains(steps[:at+1], "manifest "+stream) {
				w = want[stream]
			}
			if sums[stream] != w {
				t.Errorf("kill -9 after %q: %s shows %s, want %s", steps[at], stream, sums[stream], w)
			}
		}
		child(data, -1)
		if d := diffRows(viewRows(t, data), wantRows); d != "" {
			t.Errorf("kill -9 after %q then rerun: %s", steps[at], d)
		}
		if l := leftovers(t, data); len(l) > 0 {
			t.Errorf("kill -9 after %q then rerun: temporary files left: %v", steps[at], l)
		}
	}
}

// TestSegmentNamesSort: segment names sort as (file, segment) numbers do past the
// zero padding too (the views read files in name order), and give their number back.
func TestSegmentNamesSort(t *testing.T) {
	var names []string
	for _, fi := range []int{0, 1, 9999, 10000, 10001, 99999999} {
		for _, k := range []int{0, 7, 999999, 1000000, 1000001} {
			name := segmentName(fi, k)
			if got, ok := segmentNumber(name); !ok || got != k {
				t.Errorf("segmentNumber(%q) = %d, %v; want %d", name, got, ok, k)
			}
			names = append(names, name)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("segment names out of order: %v", names)
	}
}
