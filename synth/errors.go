package synth

import (
	"errors"
	"fmt"
)

var (
	// ErrConfig reports an unusable Config (non-positive days or scale, …).
	ErrConfig = errors.New("synth: invalid config")
	// ErrReplay reports a red-team file that Config.Replay cannot use.
	ErrReplay = errors.New("synth: bad replay file")
)

// LineError is a bad line of a replayed red-team file: which file, which line
// (1-based) and why. It wraps ErrReplay.
type LineError struct {
	File   string
	Line   int
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%v: %s:%d: %s", ErrReplay, e.File, e.Line, e.Reason)
}

func (e *LineError) Unwrap() error { return ErrReplay }
