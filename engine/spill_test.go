package engine

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestSpillFolders: a session's spill folder is private, locked while the session
// lives and removed by Close; a folder left by a session that died without Close
// (unlocked: the kernel drops a dead process's flock) is removed by the next session,
// while a live session's folder, other files and a link with the prefix are kept.
func TestSpillFolders(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	if os.TempDir() != tmp {
		t.Fatalf("os.TempDir() = %s, want %s", os.TempDir(), tmp)
	}
	// A killed session's folder, with a spill file in it.
	dead, err := os.MkdirTemp(tmp, spillPrefix)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dead, "duckdb_temp_storage-0.tmp"), []byte("spilled"), 0o600); err != nil {
		t.Fatal(err)
	}
	// A live session's folder (this process holds its lock through another descriptor:
	// flock locks belong to the open file, so the sweep's lock attempt fails).
	live, err := newSpillDir()
	if err != nil {
		t.Fatal(err)
	}
	defer live.close()
	// Decoys: another program's folder, and a link with the prefix to a folder.
	other := filepath.Join(tmp, "lanlq-spillage")
	target := filepath.Join(tmp, "target")
	for _, d := range []string{other, target} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(tmp, spillPrefix+"link")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}

	s, err := NewSession(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	own := s.spill.path
	if filepath.Dir(own) != tmp || own == live.path {
		t.Errorf("session spill folder %s: want a new folder in %s", own, tmp)
	}
	for _, p := range []string{own, live.path, other, target, link} {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v (want it kept)", p, err)
		}
	}
	if _, err := os.Lstat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead session's folder %s: %v, want it removed", dead, err)
	}
	if st, err := os.Stat(own); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("spill folder %s: %v, mode %v, want 0700", own, err, st.Mode().Perm())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(own); !os.IsNotExist(err) {
		t.Errorf("after Close %s: %v, want it removed", own, err)
	}
	// The live folder stays until its owner closes it, then a sweep leaves nothing of it.
	if _, err := os.Lstat(live.path); err != nil {
		t.Errorf("live folder %s after another session: %v", live.path, err)
	}
}
