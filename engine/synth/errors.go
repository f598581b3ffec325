package synth

import "errors"

var (
	// ErrConfig reports an unusable Config (non-positive days or scale, …).
	ErrConfig = errors.New("synth: invalid config")
	// ErrReplay reports a red-team file that Config.Replay cannot use.
	ErrReplay = errors.New("synth: bad replay file")
)
