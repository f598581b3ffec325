package engine

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// spillPrefix names the private spill folders sessions make under $TMPDIR.
const spillPrefix = "lanlq-spill-"

// spillDir is a session's private DuckDB spill folder. The session holds an exclusive
// flock on the folder itself for its whole life, so that a later session can tell the
// folder of a live session from the folder of one that ended without Close (killed,
// kill -9, a crash): nobody holds the latter's lock, and newSpillDir removes it.
// Without the sweep every killed run would leave a folder in $TMPDIR (and DuckDB's
// spill files in it, when it had spilled).
type spillDir struct {
	path string
	lock *os.File
}

// spillMadeHook, when set (tests), runs between a spill folder's MkdirTemp and its
// lock: where another session's sweep can strike.
var spillMadeHook func(path string)

// newSpillDir sweeps abandoned spill folders, then makes and locks a new one.
//
// Between MkdirTemp and the lock the new folder is unlocked, so another session's
// sweep may remove it (the folder is then gone before Open, or the lock is taken on a
// removed folder) or hold its lock for a moment while removing it: each is a lost
// race, not an error, and a new folder is made.
func newSpillDir() (*spillDir, error) {
	sweepSpillDirs()
	var last error
	for range 20 {
		path, err := os.MkdirTemp("", spillPrefix)
		if err != nil {
			return nil, fmt.Errorf("engine: spill folder: %w", err)
		}
		if spillMadeHook != nil {
			spillMadeHook(path)
		}
		f, err := os.Open(path)
		if err != nil {
			last = err
			continue
		}
		if err := flock(f, true, false); err != nil {
			f.Close()
			last = fmt.Errorf("%s: %w", path, err)
			continue
		}
		held, err1 := f.Stat()
		now, err2 := os.Lstat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &spillDir{path: path, lock: f}, nil
		}
		f.Close()
		last = fmt.Errorf("%s: removed by another lanlq's sweep as soon as made", path)
	}
	return nil, fmt.Errorf("engine: spill folder: 20 attempts lost to other lanlq processes' sweeps, the last: %w", last)
}

// sweepSpillDirs removes the spill folders under $TMPDIR whose session is gone: those
// whose lock it can take. Only lanlq's own folders (spillPrefix, a real folder, not a
// link) are looked at; errors are ignored (another user's folder, a race with another
// sweep): sweeping is housekeeping, never a reason to fail.
func sweepSpillDirs() {
	if !flockWorks {
		return
	}
	entries, err := os.ReadDir(os.TempDir())
	if err != nil {
		return
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), spillPrefix) {
			continue
		}
		path := filepath.Join(os.TempDir(), e.Name())
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		if flock(f, true, false) == nil {
			os.RemoveAll(path)
		}
		f.Close()
	}
}

// close removes the folder and releases its lock.
func (d *spillDir) close() error {
	err := os.RemoveAll(d.path)
	if cerr := d.lock.Close(); err == nil {
		err = cerr
	}
	return err
}
