//go:build unix

package engine

import (
	"errors"
	"os"
	"syscall"
)

var errWouldBlock = errors.New("engine: lock held")

// flockWorks: flock(2) locks here, so a lock taken tells a live holder from none.
const flockWorks = true

// flock locks f exclusively or shared; without wait it fails with errWouldBlock when
// the lock is held elsewhere.
func flock(f *os.File, exclusive, wait bool) error {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err := syscall.Flock(int(f.Fd()), how)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errWouldBlock
		}
		return err
	}
}
