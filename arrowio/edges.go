package arrowio

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Column names of an edge list: one row per undirected weighted edge {a,b} of the graph
// of the interval starting at interval_start.
const (
	ColIntervalStart = "interval_start"
	ColA             = "a"
	ColB             = "b"
	ColWeight        = "weight"
)

// DuckDBBatchRows is the largest batch DuckDB's Arrow reader produces.
const DuckDBBatchRows = 2048

// EdgeWeight is the Go type of an edge list's weight column: BIGINT counts or DOUBLE.
type EdgeWeight interface{ ~int64 | ~float64 }

// TimestampType is how a DuckDB TIMESTAMP arrives in Arrow: microseconds, no time zone
// (unlike arrow.FixedWidthTypes.Timestamp_us, which carries "UTC").
var TimestampType = &arrow.TimestampType{Unit: arrow.Microsecond}

// EdgeSchema returns the edge-list schema (interval_start TIMESTAMP[us], a INT64,
// b INT64, weight) with weight of type INT64 when integer is true, FLOAT64 otherwise.
func EdgeSchema(integer bool) *arrow.Schema {
	var wt arrow.DataType = arrow.PrimitiveTypes.Float64
	if integer {
		wt = arrow.PrimitiveTypes.Int64
	}
	return arrow.NewSchema([]arrow.Field{
		{Name: ColIntervalStart, Type: TimestampType},
		{Name: ColA, Type: arrow.PrimitiveTypes.Int64},
		{Name: ColB, Type: arrow.PrimitiveTypes.Int64},
		{Name: ColWeight, Type: wt},
	}, nil)
}

// NewEdgeBatch builds one edge-list batch from parallel Go slices, allocating with mem.
// The caller owns the returned batch and must Release it.
func NewEdgeBatch[W EdgeWeight](mem memory.Allocator, start []time.Time, a, b []int64, weight []W) (arrow.RecordBatch, error) {
	n := len(start)
	if len(a) != n || len(b) != n || len(weight) != n {
		return nil, fmt.Errorf("%w: interval_start %d, a %d, b %d, weight %d", ErrLength, n, len(a), len(b), len(weight))
	}
	return newEdgeBatch(mem, EdgeSchema(isInteger[W]()), start, a, b, weight)
}

func newEdgeBatch[W EdgeWeight](mem memory.Allocator, schema *arrow.Schema, start []time.Time, a, b []int64, weight []W) (arrow.RecordBatch, error) {
	n := len(start)
	integer := isInteger[W]()
	rb := array.NewRecordBuilder(mem, schema)
	defer rb.Release()
	rb.Reserve(n)
	ts := rb.Field(0).(*array.TimestampBuilder)
	for _, t := range start {
		v, err := arrow.TimestampFromTime(t, arrow.Microsecond)
		if err != nil {
			return nil, fmt.Errorf("arrowio: interval_start %v: %w", t, err)
		}
		ts.UnsafeAppend(v)
	}
	rb.Field(1).(*array.Int64Builder).AppendValues(a, nil)
	rb.Field(2).(*array.Int64Builder).AppendValues(b, nil)
	if integer {
		wb := rb.Field(3).(*array.Int64Builder)
		for _, w := range weight {
			wb.UnsafeAppend(int64(w))
		}
	} else {
		wb := rb.Field(3).(*array.Float64Builder)
		for _, w := range weight {
			wb.UnsafeAppend(float64(w))
		}
	}
	return rb.NewRecordBatch(), nil
}

// NewEdgeReader splits parallel Go slices into edge batches of at most batchRows rows
// (DuckDBBatchRows when batchRows ≤ 0) and returns a reader over them. The caller must
// Release the reader.
func NewEdgeReader[W EdgeWeight](mem memory.Allocator, batchRows int, start []time.Time, a, b []int64, weight []W) (*SliceReader, error) {
	n := len(start)
	if len(a) != n || len(b) != n || len(weight) != n {
		return nil, fmt.Errorf("%w: interval_start %d, a %d, b %d, weight %d", ErrLength, n, len(a), len(b), len(weight))
	}
	if batchRows <= 0 {
		batchRows = DuckDBBatchRows
	}
	schema := EdgeSchema(isInteger[W]())
	var batches []arrow.RecordBatch
	defer func() {
		for _, rec := range batches {
			rec.Release()
		}
	}()
	for lo := 0; lo < n; lo += batchRows {
		hi := min(lo+batchRows, n)
		rec, err := newEdgeBatch(mem, schema, start[lo:hi], a[lo:hi], b[lo:hi], weight[lo:hi])
		if err != nil {
			return nil, err
		}
		batches = append(batches, rec)
	}
	return NewSliceReader(schema, batches...)
}

// isInteger reports whether W is an integer type (its conversion truncates a half).
func isInteger[W EdgeWeight]() bool {
	half := 0.5
	return W(half) == 0
}
