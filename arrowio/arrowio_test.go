package arrowio_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
)

var origin = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

func TestNewEdgeBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	starts := []time.Time{origin, origin, origin.Add(time.Hour)}
	rec, err := arrowio.NewEdgeBatch(mem, starts, []int64{1, 2, 3}, []int64{4, 5, 6}, []int64{7, 8, 9})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if !rec.Schema().Equal(arrowio.EdgeSchema(true)) {
		t.Fatalf("schema %v, want %v", rec.Schema(), arrowio.EdgeSchema(true))
	}
	ts := rec.Column(0).(*array.Timestamp)
	if got := ts.Value(2).ToTime(arrow.Microsecond); !got.Equal(starts[2]) {
		t.Errorf("interval_start[2] = %v, want %v", got, starts[2])
	}
	if got := rec.Column(3).(*array.Int64).Value(1); got != 8 {
		t.Errorf("weight[1] = %d, want 8", got)
	}

	recF, err := arrowio.NewEdgeBatch(mem, starts[:1], []int64{1}, []int64{2}, []float64{0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer recF.Release()
	if recF.Schema().Field(3).Type.ID() != arrow.FLOAT64 || recF.Column(3).(*array.Float64).Value(0) != 0.5 {
		t.Errorf("float weights: %v", recF)
	}

	if _, err := arrowio.NewEdgeBatch(mem, starts, []int64{1}, []int64{2, 3, 4}, []int64{1, 1, 1}); !errors.Is(err, arrowio.ErrLength) {
		t.Errorf("mismatched lengths: err %v, want ErrLength", err)
	}
}

func TestSliceReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n := 10
	starts := make([]time.Time, n)
	a, b, w := make([]int64, n), make([]int64, n), make([]float64, n)
	for i := range n {
		starts[i], a[i], b[i], w[i] = origin, int64(i), int64(i+1), float64(i)+1
	}
	rdr, err := arrowio.NewEdgeReader(mem, 4, starts, a, b, w)
	if err != nil {
		t.Fatal(err)
	}
	var _ array.RecordReader = rdr
	if rdr.RecordBatch() != nil {
		t.Error("RecordBatch before Next is not nil")
	}
	var sizes []int64
	rdr.Retain() // a second holder
	for rdr.Next() {
		sizes = append(sizes, rdr.RecordBatch().NumRows())
	}
	if rdr.Err() != nil || len(sizes) != 3 || sizes[0] != 4 || sizes[2] != 2 {
		t.Fatalf("batch sizes %v, err %v; want [4 4 2]", sizes, rdr.Err())
	}
	if rdr.Next() || rdr.RecordBatch() != nil {
		t.Error("Next after the end")
	}
	rdr.Release()
	if mem.CurrentAlloc() == 0 {
		t.Fatal("batches released while a reference remains")
	}
	rdr.Release()
	rdr.Release() // over-release is harmless

	empty, err := arrowio.NewSliceReader(arrowio.EdgeSchema(false))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Next() {
		t.Error("empty reader has a batch")
	}
	empty.Release()
	if _, err := arrowio.NewSliceReader(nil); !errors.Is(err, arrowio.ErrSchema) {
		t.Errorf("no schema, no batches: err %v, want ErrSchema", err)
	}

	ri, err := arrowio.NewEdgeBatch(mem, starts[:1], a[:1], b[:1], []int64{1})
	if err != nil {
		t.Fatal(err)
	}
	defer ri.Release()
	if _, err := arrowio.NewSliceReader(arrowio.EdgeSchema(false), ri); !errors.Is(err, arrowio.ErrSchema) {
		t.Errorf("batch of another schema: err %v, want ErrSchema", err)
	}
}
