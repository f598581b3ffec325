// Package pqtest makes the rows the Parquet writer's tests write and read back, one
// fixture for arrowio's tests (read by arrow-go's reader) and engine's (read by DuckDB).
package pqtest

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Rows are a test file's columns, in Schema's order.
type Rows struct {
	Times []int64  // mostly increasing but not sorted: statistics must be true minima, not ends
	Ports []int32  // negative and positive
	Bytes []int64  // negative and positive, wide
	Small []string // a handful of values, mostly in runs
	Big   []string // tens of thousands of distinct values (17-bit dictionary codes)
	Odd   []string // empty, '?', multi-byte UTF-8, long, a comma
	Stamp []int64  // microseconds, a timestamp column (TIMESTAMP in DuckDB): hour starts, few distinct
}

// Schema is the schema of Rows' batches.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "time", Type: arrow.PrimitiveTypes.Int64},
	{Name: "port", Type: arrow.PrimitiveTypes.Int32},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
	{Name: "small", Type: arrow.BinaryTypes.String},
	{Name: "big", Type: arrow.BinaryTypes.String},
	{Name: "odd", Type: arrow.BinaryTypes.String},
	{Name: "stamp", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
}, nil)

// Make returns n rows drawn from rng.
func Make(n int, rng *rand.Rand) Rows {
	var r Rows
	odd := []string{"", "?", "C586$@DOM1", "Ä", "日本", "Ünïcödé-ホスト", strings.Repeat("x", 300), "a,b", "ANONYMOUS LOGON"}
	t := rng.Int64N(1 << 40)
	for i := range n {
		t += rng.Int64N(4) - 1
		r.Times = append(r.Times, t)
		r.Ports = append(r.Ports, rng.Int32N(1<<20)-1<<19)
		r.Bytes = append(r.Bytes, rng.Int64N(1<<40)-1<<39)
		r.Small = append(r.Small, []string{"LogOn", "LogOff", "TGS", "S3", "S4"}[(i/50+rng.IntN(2))%5])
		r.Big = append(r.Big, fmt.Sprintf("U%d@DOM1", rng.IntN(90_000)))
		r.Odd = append(r.Odd, odd[rng.IntN(len(odd))])
		r.Stamp = append(r.Stamp, (1420070400+3600*int64(i/700+rng.IntN(2)))*1e6) // 2015-01-01 onwards
	}
	return r
}

// Len is the number of rows.
func (r Rows) Len() int { return len(r.Times) }

// Row formats row i, to compare with a row read back formatted alike.
func (r Rows) Row(i int) string {
	return fmt.Sprintf("%d %d %d %q %q %q %d", r.Times[i], r.Ports[i], r.Bytes[i], r.Small[i], r.Big[i], r.Odd[i], r.Stamp[i])
}

// Batch returns rows [lo, hi) as one record batch; the caller releases it.
func (r Rows) Batch(mem memory.Allocator, lo, hi int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, Schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(r.Times[lo:hi], nil)
	b.Field(1).(*array.Int32Builder).AppendValues(r.Ports[lo:hi], nil)
	b.Field(2).(*array.Int64Builder).AppendValues(r.Bytes[lo:hi], nil)
	b.Field(3).(*array.StringBuilder).AppendValues(r.Small[lo:hi], nil)
	b.Field(4).(*array.StringBuilder).AppendValues(r.Big[lo:hi], nil)
	b.Field(5).(*array.StringBuilder).AppendValues(r.Odd[lo:hi], nil)
	ts := b.Field(6).(*array.TimestampBuilder)
	for _, v := range r.Stamp[lo:hi] {
		ts.Append(arrow.Timestamp(v))
	}
	return b.NewRecordBatch()
}

// WriteSliced writes all rows to w in batches of batchRows sliced out of one batch,
// so that the writer sees arrays with offsets.
func (r Rows) WriteSliced(mem memory.Allocator, w interface{ Write(arrow.RecordBatch) error }, batchRows int) error {
	whole := r.Batch(mem, 0, r.Len())
	defer whole.Release()
	for lo := 0; lo < r.Len(); lo += batchRows {
		s := whole.NewSlice(int64(lo), int64(min(r.Len(), lo+batchRows)))
		err := w.Write(s)
		s.Release()
		if err != nil {
			return err
		}
	}
	return nil
}
