package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Folder locks. lanlq guards the folders it writes with advisory file locks (flock):
// the kernel drops them when the process ends, kill -9 included, so a crashed run
// never leaves a stale lock to clean by hand. The last holder to release a lock file
// removes it (a process that opened the file before it was removed notices that the
// path names another file, or none, and opens it again), so no lock file outlives its
// use.
//
//   - DATA/.lanlq/ingest.lock: exclusive for the whole of an ingest; a second ingest into
//     the same data folder fails at once, naming the holder.
//   - DATA/.lanlq/read.lock: shared by every session reading the data folder (Open), for
//     its whole life. A session pins the stream generations it found at Open, so an
//     ingest publishing meanwhile never changes what it reads; the ingest removes the
//     generations it replaced only when it can take this lock exclusively (no reader
//     left), and otherwise leaves them for the next ingest to remove.
//   - OUT's lock, a hidden file beside OUT (.OUT.lock; OUT itself is replaced as a
//     whole by rename, so a lock file inside it would be replaced too): exclusive for
//     score, run, edges, eval and plot, which write into OUT. A second writer fails at
//     once, naming the holder's pid and command.
const (
	ingestLockName = "ingest.lock"
	readLockName   = "read.lock"
)

// fileLock is a held flock on a file; Unlock releases it (safe to call twice).
type fileLock struct {
	f    *os.File
	path string
}

// lockHolder is what an exclusive holder writes into its lock file, for the error a
// second process prints.
func lockHolder() string {
	cmd := filepath.Base(os.Args[0])
	if len(os.Args) > 1 {
		cmd += " " + os.Args[1]
	}
	return fmt.Sprintf("pid %d (%s, since %s UTC)", os.Getpid(), cmd, time.Now().UTC().Format(time.DateTime))
}

// acquire opens path (created if missing) and flocks it, exclusively or shared,
// waiting or not (errWouldBlock). It retries when the file it locked is no longer the
// one at path (its last holder removed it meanwhile).
func acquire(path string, exclusive, wait bool) (*fileLock, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return nil, err
		}
		if err := flock(f, exclusive, wait); err != nil {
			f.Close()
			return nil, err
		}
		held, err1 := f.Stat()
		now, err2 := os.Stat(path)
		if err1 == nil && err2 == nil && os.SameFile(held, now) {
			return &fileLock{f: f, path: path}, nil
		}
		f.Close()
		if err1 != nil {
			return nil, err1
		}
	}
}

// lockExclusive takes the exclusive lock of path without waiting and writes the
// holder's name into it. When another process holds it, the error wraps ErrLocked and
// says what is locked (what) and who holds it.
func lockExclusive(path, what string) (*fileLock, error) {
	l, err := acquire(path, true, false)
	if err != nil {
		return nil, lockError(path, what, err)
	}
	// The holder's name only serves the error a second process prints.
	if l.f.Truncate(0) == nil {
		_, _ = l.f.WriteAt([]byte(lockHolder()+"\n"), 0)
	}
	return l, nil
}

// lockSharedNow takes a shared lock of path without waiting: it fails, wrapping
// ErrLocked, only while a writer holds the lock exclusively. In a folder this user
// cannot write, no lanlq of this user writes either: it returns no lock and no error.
func lockSharedNow(path, what string) (*fileLock, error) {
	l, err := acquire(path, false, false)
	if errors.Is(err, fs.ErrPermission) {
		return &fileLock{}, nil
	}
	if err != nil {
		return nil, lockError(path, what, err)
	}
	return l, nil
}

// lockError turns a failed acquire into the error a user reads.
func lockError(path, what string, err error) error {
	if !errors.Is(err, errWouldBlock) {
		return fmt.Errorf("engine: lock %s: %w", path, err)
	}
	// Exclusive holders write their name; an empty file means readers hold it.
	if b, rerr := os.ReadFile(path); rerr == nil && strings.TrimSpace(string(b)) != "" {
		return fmt.Errorf("%w: %s is being written by %s; wait for it to finish or choose another folder",
			ErrLocked, what, strings.TrimSpace(string(b)))
	}
	return fmt.Errorf("%w: %s is being read by another lanlq process; wait for it to finish or choose another folder",
		ErrLocked, what)
}

// tryExclusive takes the exclusive lock of path if no one holds it; ok is false when
// someone does.
func tryExclusive(path string) (l *fileLock, ok bool, err error) {
	l, err = acquire(path, true, false)
	if errors.Is(err, errWouldBlock) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("engine: lock %s: %w", path, err)
	}
	return l, true, nil
}

// lockShared takes a shared lock on path, waiting while an exclusive holder has it
// (an ingest removing the generations it replaced: milliseconds). In a read-only data
// folder no ingest can run: it returns no lock and no error.
func lockShared(path string) (*fileLock, error) {
	l, err := acquire(path, false, true)
	if errors.Is(err, fs.ErrPermission) {
		return &fileLock{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("engine: lock %s: %w", path, err)
	}
	return l, nil
}

// Unlock releases the lock, removing the lock file when no one else holds it. It is
// safe to call twice and on nil.
func (l *fileLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	// Only a holder that can make its lock exclusive is the last one; it removes the
	// file while still holding it, so a process that opened the file meanwhile sees
	// the path gone and starts again (acquire).
	if flock(l.f, true, false) == nil {
		os.Remove(l.path)
	}
	err := l.f.Close() // closing the last descriptor releases the flock
	l.f = nil
	return err
}

// outLockPath is the lock file of an output folder: a hidden file beside it.
func outLockPath(absOut string) string {
	return filepath.Join(filepath.Dir(absOut), "."+filepath.Base(absOut)+".lock")
}

// lockOut takes the exclusive lock of the output folder absOut (its parent is
// created if missing).
func lockOut(absOut string) (*fileLock, error) {
	if err := os.MkdirAll(filepath.Dir(absOut), 0o755); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return lockExclusive(outLockPath(absOut), absOut)
}
