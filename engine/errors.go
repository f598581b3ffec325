package engine

import (
	"errors"
	"fmt"
)

var (
	// ErrNoData reports a data directory that does not exist or holds no ingest.
	ErrNoData = errors.New("engine: no lanlq data directory")
	// ErrNoInput reports a raw directory holding none of the LANL stream files.
	ErrNoInput = errors.New("engine: no LANL stream files")
	// ErrBadLine reports a malformed raw line; it is wrapped in a *LineError.
	ErrBadLine = errors.New("engine: malformed line")
	// ErrAmbiguousInput reports a stream present in more than one form (file and folder).
	ErrAmbiguousInput = errors.New("engine: stream given twice")
	// ErrEdgeSpec reports an EdgeSpec that cannot be run (interval width, frame, streams).
	ErrEdgeSpec = errors.New("engine: bad edge spec")
	// ErrArch reports a graph architecture that breaks the artifact_columns contract.
	ErrArch = errors.New("engine: bad graph architecture")
	// ErrOutExists reports an output directory that holds something other than a
	// previous edge export, which lanlq will not overwrite.
	ErrOutExists = errors.New("engine: output directory is not an edge export")
	// ErrNotData reports a --data folder that exists but is not a lanlq data folder
	// (a raw folder, an empty one): nothing is read from it or written into it.
	ErrNotData = errors.New("engine: not a lanlq data folder")
	// ErrOtherData reports results (scores, an experiment) computed from another data
	// set than the session's: their data fingerprint differs.
	ErrOtherData = errors.New("engine: results from other data")
	// ErrSettings reports a setting that contradicts the one a scoring run recorded
	// (eval --interval 2h on 1-hour scores).
	ErrSettings = errors.New("engine: setting differs from the scoring run's")
	// ErrFrame reports a time frame holding no event of the data, with the data's range.
	ErrFrame = errors.New("engine: no events in the frame")
	// ErrNotFound reports an entity or artifact that explain finds in no score.
	ErrNotFound = errors.New("engine: not found")
	// ErrLocked reports a data or output folder another lanlq process is writing.
	ErrLocked = errors.New("engine: folder in use")
	// ErrExperiment reports an experiment that cannot run or failed; a failing
	// statement is reported as a *StatementError wrapping DuckDB's message.
	ErrExperiment = errors.New("engine: experiment")
	// ErrScoreSpec reports a ScoreSpec that cannot be run.
	ErrScoreSpec = errors.New("engine: bad score spec")
	// ErrStateMismatch reports an output folder whose saved scoring state (StateDir)
	// the run cannot continue: other settings, data under scored intervals changed, a
	// damaged state.
	ErrStateMismatch = errors.New("engine: cannot continue the saved scoring state")
	// ErrClock reports sources whose clocks cannot share a data folder: LANL's
	// relative seconds and real sources' absolute UTC times.
	ErrClock = errors.New("engine: clocks differ")
	// ErrSource reports a source definition or a --source argument that cannot be used.
	ErrSource = errors.New("engine: bad source")
	// ErrNoScores reports a scores file (or its folder) that cannot be evaluated.
	ErrNoScores = errors.New("engine: no scores")
	// ErrPathChars reports a data or output folder whose path DuckDB cannot read
	// through (see paths.go).
	ErrPathChars = errors.New("engine: unusable folder path")
)

// LineError is a positional failure in a raw input file: which file, which line
// (1-based, counted in the decompressed text) and why.
type LineError struct {
	File   string
	Line   int64
	Reason string
}

func (e *LineError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
}

func (e *LineError) Unwrap() error { return ErrBadLine }
