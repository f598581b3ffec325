package arrowio

import (
	"fmt"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

var _ array.RecordReader = (*SliceReader)(nil)

// SliceReader is an array.RecordReader over a fixed slice of record batches.
//
// NewSliceReader Retains every batch and the reader Releases them when its reference
// count drops to zero, so the caller may Release its own references right after
// construction. A batch returned by RecordBatch is valid until the next call to Next or
// the final Release; Retain it to keep it longer.
type SliceReader struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	cur     int // index of the current batch, -1 before the first Next
}

// NewSliceReader returns a reader over batches, which must all have schema (compared with
// arrow.Schema.Equal). A nil schema is taken from the first batch; with no batches a
// schema is required. The reader starts with one reference: the caller must Release it.
func NewSliceReader(schema *arrow.Schema, batches ...arrow.RecordBatch) (*SliceReader, error) {
	if schema == nil {
		if len(batches) == 0 {
			return nil, fmt.Errorf("%w: NewSliceReader needs a schema or at least one batch", ErrSchema)
		}
		schema = batches[0].Schema()
	}
	for i, b := range batches {
		if !b.Schema().Equal(schema) {
			return nil, fmt.Errorf("%w: batch %d has schema %v, want %v", ErrSchema, i, b.Schema(), schema)
		}
	}
	r := &SliceReader{schema: schema, batches: make([]arrow.RecordBatch, len(batches)), cur: -1}
	for i, b := range batches {
		b.Retain()
		r.batches[i] = b
	}
	r.refs.Store(1)
	return r, nil
}

// Retain adds a reference to the reader.
func (r *SliceReader) Retain() { r.refs.Add(1) }

// Release removes a reference; the last one releases the batches. Releasing more often
// than retained is harmless.
func (r *SliceReader) Release() {
	if r.refs.Add(-1) != 0 {
		return
	}
	for i, b := range r.batches {
		if b != nil {
			b.Release()
			r.batches[i] = nil
		}
	}
	r.batches = nil
}

// Schema returns the schema of every batch.
func (r *SliceReader) Schema() *arrow.Schema { return r.schema }

// Next advances to the next batch and reports whether there is one.
func (r *SliceReader) Next() bool {
	if r.cur+1 >= len(r.batches) {
		r.cur = len(r.batches)
		return false
	}
	r.cur++
	return true
}

// RecordBatch returns the current batch, or nil before the first or after the last Next.
func (r *SliceReader) RecordBatch() arrow.RecordBatch {
	if r.cur < 0 || r.cur >= len(r.batches) {
		return nil
	}
	return r.batches[r.cur]
}

// Record returns the current batch.
//
// Deprecated: use RecordBatch. It exists to satisfy array.RecordReader.
func (r *SliceReader) Record() arrow.RecordBatch { return r.RecordBatch() }

// Err returns nil: a slice cannot fail.
func (r *SliceReader) Err() error { return nil }
