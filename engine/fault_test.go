package engine

import (
	"context"
	"fmt"
	"os/exec"
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
