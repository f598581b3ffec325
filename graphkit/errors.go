package graphkit

import "errors"

// ErrInvalidEdge reports an edge that cannot be part of a graph (self-loop, bad weight).
var ErrInvalidEdge = errors.New("graphkit: invalid edge")

var (
	// ErrEdgeSchema reports edge batches without the columns a graph needs or with
	// columns of the wrong type.
	ErrEdgeSchema = errors.New("graphkit: edge schema")
	// ErrIntervalOrder reports edge batches not ordered by interval_start.
	ErrIntervalOrder = errors.New("graphkit: edges not ordered by interval_start")
	// ErrMultipleIntervals reports more than one interval where one was expected.
	ErrMultipleIntervals = errors.New("graphkit: more than one interval")
)

// Sentinels of the role-dynamics numerics (ReFeX, NMF/RolX, dynamics).
var (
	// ErrInvalidConfig reports a configuration value out of its range.
	ErrInvalidConfig = errors.New("graphkit: invalid configuration")
	// ErrNoTrainingData reports a training window without any data to learn from.
	ErrNoTrainingData = errors.New("graphkit: no training data")
	// ErrEmptyGraph reports a graph without vertices where features are needed.
	ErrEmptyGraph = errors.New("graphkit: empty graph")
	// ErrNegative reports a negative or non-finite entry in a matrix that must be
	// non-negative (the input of NMF).
	ErrNegative = errors.New("graphkit: negative or non-finite matrix entry")
)

// ErrTupleSchema reports tuple batches without a multiplicity column or with columns of
// the wrong type.
var ErrTupleSchema = errors.New("graphkit: tuple schema")

// ErrState reports a saved scorer state that cannot be loaded: truncated, corrupt, or
// saved with other settings.
var ErrState = errors.New("graphkit: saved state")
