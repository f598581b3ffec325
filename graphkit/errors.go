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
