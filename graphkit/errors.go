package graphkit

import "errors"

// ErrInvalidEdge reports an edge that cannot be part of a graph (self-loop, bad weight).
var ErrInvalidEdge = errors.New("graphkit: invalid edge")
