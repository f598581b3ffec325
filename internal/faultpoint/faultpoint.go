// Package faultpoint names the points inside lanlq's long commands (an ingest step
// done, an interval scored, an edge list exported, …) where a test can stop a run: it
// installs a hook that reports the point and holds the run there while the test
// signals or kills the process, so the fault lands exactly at that point whatever the
// machine's speed. Without a hook a point costs one atomic load.
package faultpoint

import (
	"context"
	"sync/atomic"
)

// Hook is called at every point reached, with the run's context and the point's name.
type Hook func(ctx context.Context, point string)

var hook atomic.Pointer[Hook]

// Set installs h; nil removes it. For tests only.
func Set(h Hook) {
	if h == nil {
		hook.Store(nil)
		return
	}
	hook.Store(&h)
}

// Reach reports that the run under ctx reached point.
func Reach(ctx context.Context, point string) {
	if h := hook.Load(); h != nil {
		(*h)(ctx, point)
	}
}
