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

// TestSpillFolderRace: another session's sweep strikes between MkdirTemp and the lock
// (loop run w2-2 failed with "spill folder: open …: no such file or directory"): the
// first folder is removed before it is opened, the second's lock is held by the sweep
// removing it; newSpillDir makes a third and succeeds.
func TestSpillFolderRace(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	var made []string
	var sweeper *os.File
	spillMadeHook = func(path string) {
		made = append(made, path)
		switch len(made) {
		case 1:
			os.RemoveAll(path)
		case 2:
			// A sweep holding the lock, about to remove the folder.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := flock(f, true, false); err != nil {
				t.Fatal(err)
			}
			sweeper = f
		case 3:
			os.RemoveAll(made[1])
			sweeper.Close()
		}
	}
	defer func() { spillMadeHook = nil }()
	d, err := newSpillDir()
	if err != nil {
		t.Fatal(err)
	}
	defer d.close()
	if len(made) != 3 || d.path != made[2] {
		t.Fatalf("made %v, got %s; want the third", made, d.path)
	}
	if _, err := os.Stat(d.path); err != nil {
		t.Fatal(err)
	}
}
