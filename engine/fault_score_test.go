package engine

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// faultScoreSpec is a quick scoring run over the fixture's few hours.
var faultScoreSpec = ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 2, Generations: 1, Seed: 5}

// faultRescoreSpec is faultScoreSpec scoring every interval again over an OUT that
// holds its state (without Rescore the run would find nothing new to score).
var faultRescoreSpec = func() ScoreSpec { s := faultScoreSpec; s.Rescore = true; return s }()

// faultData ingests the fixture's n lines per stream into a new data folder.
func faultData(t *testing.T, n int) string {
	t.Helper()
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, n)
	if _, err := Ingest(context.Background(), IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	return data
}

// scoredOnTmpfs scores faultData into OUT on a 64 MiB tmpfs of its own (the test is
// skipped where it cannot be mounted) and returns the session, the tmpfs and OUT.
func scoredOnTmpfs(t *testing.T) (s *Session, fs, out string) {
	t.Helper()
	data := faultData(t, 20000)
	fs, _ = sizedFolder(t, "64m")
	out = filepath.Join(fs, "out")
	s = openData(t, data)
	if _, err := s.Score(context.Background(), faultScoreSpec, out, nil); err != nil {
		t.Fatal(err)
	}
	return s, fs, out
}

// outFiles returns the files under dir (relative) with their contents' sums, and the
// stage folders (.NAME.tmp-…) beside it.
func outFiles(t *testing.T, dir string) (files map[string]string, stages []string) {
	t.Helper()
	files = map[string]string{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			files[strings.TrimPrefix(p, dir)] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
		return nil
	})
	stages, _ = globIn(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	return files, stages
}

// TestScoreCorruptPartition: a truncated and a corrupted Parquet partition of the
// data. lanlq sql and lanlq score fail with an error naming the file; the previous
// results in OUT stay as they were and no stage is left beside them.
func TestScoreCorruptPartition(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		spoil func(path string, b []byte) []byte
	}{
		{"truncated", func(_ string, b []byte) []byte { return b[:len(b)/2] }},
		{"corrupted", func(_ string, b []byte) []byte {
			// Overwrite the middle of the file, keeping its size, magic and footer.
			for i := len(b) / 4; i < len(b)/2; i++ {
				b[i] = byte(i * 7)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := faultData(t, 20000)
			out := filepath.Join(t.TempDir(), "out")
			s := openData(t, data)
			if _, err := s.Score(ctx, faultScoreSpec, out, nil); err != nil {
				t.Fatal(err)
			}
			before, _ := outFiles(t, out)
			parts, _ := globIn(filepath.Join(data, "auth"), partitionPattern)
			if len(parts) < 3 {
				t.Fatalf("%d auth partitions, want several", len(parts))
			}
			bad := parts[len(parts)/2]
			b, err := os.ReadFile(bad)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(bad, tc.spoil(bad, b), 0o644); err != nil {
				t.Fatal(err)
			}
			// bad lies in the data folder through the stream's symlink; errors name the
			// generation's path.
			real, err := filepath.EvalSymlinks(bad)
			if err != nil {
				t.Fatal(err)
			}
			named := func(err error) bool {
				return err != nil && (strings.Contains(err.Error(), real) || strings.Contains(err.Error(), bad))
			}
			s = openData(t, data)
			// What lanlq sql runs: the query, then NameBrokenFile on its error.
			var n int64
			err = s.QueryRow(ctx, "SELECT count(*), sum(hash(a)) FROM auth AS a").Scan(&n, new(any))
			if err = s.NameBrokenFile(ctx, err); !named(err) {
				t.Errorf("sql over a %s partition: %v, want an error naming %s", tc.name, err, real)
			}
			_, err = s.Score(ctx, faultRescoreSpec, out, nil)
			if !named(err) {
				t.Errorf("score over a %s partition: %v, want an error naming %s", tc.name, err, real)
			}
			after, stages := outFiles(t, out)
			if len(after) != len(before) {
				t.Errorf("OUT holds %d files after the failed score, %d before", len(after), len(before))
			}
			for f, sum := range before {
				if after[f] != sum {
					t.Errorf("OUT's %s changed by the failed score", f)
				}
			}
			if len(stages) > 0 {
				t.Errorf("stage folders left: %v", stages)
			}
		})
	}
}

// TestScoreDiskFull scores into an OUT on a small file system that fills up while the
// new results are written: score fails with "no space left on device", the previous
// results stay as they were, no stage is left; with room again the rerun gives the
// results of the first run.
func TestScoreDiskFull(t *testing.T) {
	ctx := context.Background()
	s, fs, out := scoredOnTmpfs(t)
	before, _ := outFiles(t, out)
	// Leave 32 KiB free: less than the results need.
	var st syscall.Statfs_t
	if err := syscall.Statfs(fs, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(fs, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-32<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := s.Score(ctx, faultRescoreSpec, out, nil)
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "no space left on device") {
		t.Fatalf("score into a full disk: %v, want 'no space left on device'", err)
	}
	after, stages := outFiles(t, out)
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("OUT changed by the failed score:\n%v\nbefore\n%v", after, before)
	}
	if len(stages) > 0 {
		t.Errorf("stage folders left: %v", stages)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Score(ctx, faultRescoreSpec, out, nil); err != nil {
		t.Fatalf("rerun with room: %v", err)
	}
	if again, _ := outFiles(t, out); fmt.Sprint(again) != fmt.Sprint(before) {
		t.Errorf("rerun with room:\n%v\nthe first run\n%v", again, before)
	}
}

// TestScoreReadOnlyOut scores into an OUT whose file system is read-only, absent and
// holding a previous run's results: score fails naming the folder, the previous
// results stay as they were. A read-only remount rather than chmod: root writes
// through permissions.
func TestScoreReadOnlyOut(t *testing.T) {
	ctx := context.Background()
	s, fs, prev := scoredOnTmpfs(t)
	before, _ := outFiles(t, prev)
	remount(t, fs, "ro")
	defer remount(t, fs, "rw")
	for _, out := range []string{prev, filepath.Join(fs, "new"), filepath.Join(fs, "new", "deeper")} {
		_, err := s.Score(ctx, faultRescoreSpec, out, nil)
		if err == nil || !strings.Contains(err.Error(), "read-only file system") || !strings.Contains(err.Error(), fs) {
			t.Errorf("score into read-only %s: %v, want an error naming the folder and 'read-only file system'", out, err)
		}
	}
	if after, _ := outFiles(t, prev); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("the previous results changed")
	}
	if entries, _ := os.ReadDir(fs); len(entries) != 1 {
		t.Errorf("the read-only file system holds %d entries, want the previous results only", len(entries))
	}
}

// remount remounts the file system at dir with the given options (ro, rw).
func remount(t *testing.T, dir, opts string) {
	t.Helper()
	if out, err := exec.Command("mount", "-o", "remount,"+opts, dir).CombinedOutput(); err != nil {
		t.Fatalf("remount %s %s: %v %s", dir, opts, err, out)
	}
}
