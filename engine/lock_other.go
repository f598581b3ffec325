//go:build !unix

package engine

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("engine: lock held")

// flockWorks: flock is a no-op here, so a lock taken tells nothing.
const flockWorks = false

// flock is a no-op where flock(2) does not exist: lanlq is built for Linux and macOS,
// and elsewhere its folders are not locked against a second lanlq process.
func flock(*os.File, bool, bool) error { return nil }
