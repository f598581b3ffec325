package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// sizedFolder mounts a tmpfs of the given size on a new folder (root only; the test
// is skipped otherwise) and returns it and a function that resizes it.
func sizedFolder(t *testing.T, size string) (string, func(size string)) {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+size); err != nil {
		t.Skipf("a size-capped folder needs a tmpfs mount (root): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir, func(size string) {
		if out, err := exec.Command("mount", "-o", "remount,size="+size, dir).CombinedOutput(); err != nil {
			t.Fatalf("remount %s: %v %s", dir, err, out)
		}
	}
}

// TestIngestDiskFull ingests into a data folder on a 1 MiB file system: ingest fails
// with the system's "no space left on device", nothing half-written is visible (each
// view empty or complete), and once there is room the rerun ends with the content of
// an uninterrupted ingest.
func TestIngestDiskFull(t *testing.T) {
	raw := t.TempDir()
	writeFixture(t, raw, 60000)
	ctx := context.Background()
	opts := func(data string) IngestOptions {
		return IngestOptions{Raw: raw, Data: data, KeepRejects: true, chunkBytes: 32 << 10, segmentBytes: 64 << 10}
	}
	clean := t.TempDir()
	if _, err := Ingest(ctx, opts(clean)); err != nil {
		t.Fatal(err)
	}
	want := checksums(t, clean)
	// 256 KiB fills up while segments are written, 1 MiB while the catalog is.
	for _, size := range []string{"256k", "1m"} {
		data, resize := sizedFolder(t, size)
		_, err := Ingest(ctx, opts(data))
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
			t.Fatalf("ingest into a full %s folder: %v, want 'no space left on device'", size, err)
		}
		resize("256m")
		for name, sum := range checksums(t, data) {
			if !strings.HasPrefix(sum, "0/") && sum != want[name] {
				t.Errorf("after a full %s disk: %s visible half-written: %s, want 0 or %s", size, name, sum, want[name])
			}
		}
		if _, err := Ingest(ctx, opts(data)); err != nil {
			t.Fatalf("rerun with room: %v", err)
		}
		if got := checksums(t, data); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("after a full %s disk then rerun: %v, want %v", size, got, want)
		}
		if l := leftovers(t, data); len(l) > 0 {
			t.Errorf("after a full %s disk then rerun: temporary files left: %v", size, l)
		}
	}
}

// TestIngestNothingUsable: an empty raw folder, a raw file holding only a header, and
// one holding only bad lines. Each fails with a clear error (no input; the file, line
// 1 and the reason) and leaves the data folder without a published stream; with
// rejects kept, a file of bad lines loads as zero rows and all its lines in rejects.
func TestIngestNothingUsable(t *testing.T) {
	ctx := context.Background()
	empty, data := t.TempDir(), t.TempDir()
	if _, err := Ingest(ctx, IngestOptions{Raw: empty, Data: data}); !errors.Is(err, ErrNoInput) || !strings.Contains(err.Error(), empty) {
		t.Errorf("empty raw folder: %v, want ErrNoInput naming %s", err, empty)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("empty raw folder: the data folder holds %d entries", len(entries))
	}
	for _, tc := range []struct{ name, text, reason string }{
		{"header only", "time,computer_source,computer_destination\n", "time: not a non-negative integer"},
		{"bad lines only", "x,C1,C2\n1,C1\n\n", "time: not a non-negative integer"},
	} {
		raw, data := t.TempDir(), t.TempDir()
		path := filepath.Join(raw, "dns.txt")
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data})
		var le *LineError
		if !errors.As(err, &le) || le.File != path || le.Line != 1 || !strings.Contains(le.Reason, tc.reason) {
			t.Errorf("%s: %v, want %s:1: %s", tc.name, err, path, tc.reason)
		}
		if m, err := readManifest(data); err != nil || len(m.Streams) != 0 {
			t.Errorf("%s: manifest %v, %v; want no stream published", tc.name, m.Streams, err)
		}
		rep, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data, KeepRejects: true})
		if err != nil {
			t.Fatalf("%s with rejects kept: %v", tc.name, err)
		}
		lines := int64(strings.Count(tc.text, "\n"))
		if sr := rep.Streams[0]; sr.Rows != 0 || sr.Rejects != lines || sr.LinesRead != lines {
			t.Errorf("%s with rejects kept: %d lines = %d rows + %d rejects, want %d = 0 + %d", tc.name, sr.LinesRead, sr.Rows, sr.Rejects, lines, lines)
		}
		s := openData(t, data)
		if n := count(t, s, "SELECT count(*) FROM rejects"); n != lines {
			t.Errorf("%s: %d rejects rows, want %d", tc.name, n, lines)
		}
	}
}

// TestIngestOddFolderNames ingests from and into folders whose names hold spaces,
// quotes and glob metacharacters: the views see every row of their own folder and none
// of a sibling's. A folder holding a backslash, which DuckDB cannot glob, is refused.
func TestIngestOddFolderNames(t *testing.T) {
	base := t.TempDir()
	raw := filepath.Join(base, `raw 'in' "x" *`)
	counts := writeFixture(t, raw, 3000)
	// Glob metacharacters: each name matches its plain siblings as a DuckDB or Go glob
	// (da*ta all of them, da?ta "da ta", da[t]a "data"), which must not be read.
	for _, name := range []string{`data`, `da ta`, `da'ta`, `da"ta`, `d a't"a`, `da*ta`, `da?ta`, `da[t]a`, `da]ta`} {
		data := filepath.Join(base, name)
		if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data}); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := openData(t, data)
		for stream, n := range counts {
			if got := count(t, s, "SELECT count(*) FROM "+stream); got != int64(n) {
				t.Errorf("%s: %s: %d rows, want %d", name, stream, got, n)
			}
		}
	}
	// DuckDB's globs cannot match a backslash: such a folder is refused up front.
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: filepath.Join(base, `da\ta`)}); !errors.Is(err, ErrPathChars) {
		t.Errorf("ingest into a folder holding a backslash: %v, want ErrPathChars", err)
	}
	if _, err := os.Stat(filepath.Join(base, `da\ta`)); err == nil {
		t.Errorf("the refused folder was created")
	}
}
