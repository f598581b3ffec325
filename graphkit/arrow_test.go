package graphkit_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/graphkit/graphtest"
)

var origin = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// intervalEdges is the edge list of one interval.
type intervalEdges struct {
	start time.Time
	edges []graphkit.Edge
}

// edgeReader lays out intervals, in order, as edge batches of batchRows rows, with
// integer or float weights.
func edgeReader(t testing.TB, mem memory.Allocator, batchRows int, floatWeights bool, intervals ...intervalEdges) *arrowio.SliceReader {
	t.Helper()
	var starts []time.Time
	var as, bs []int64
	var wi []int64
	var wf []float64
	for _, iv := range intervals {
		for _, e := range iv.edges {
			starts = append(starts, iv.start)
			as, bs = append(as, e.A), append(bs, e.B)
			wi, wf = append(wi, int64(e.Weight)), append(wf, e.Weight)
		}
	}
	var rdr *arrowio.SliceReader
	var err error
	if floatWeights {
		rdr, err = arrowio.NewEdgeReader(mem, batchRows, starts, as, bs, wf)
	} else {
		rdr, err = arrowio.NewEdgeReader(mem, batchRows, starts, as, bs, wi)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rdr
}

// The Arrow path meets the CSR contract for a single interval, with integer and float
// weights, in batches that split the interval anywhere.
func TestGraphFromReaderContract(t *testing.T) {
	for _, batchRows := range []int{1, 97, 2048} {
		for _, floatWeights := range []bool{false, true} {
			t.Run(fmt.Sprintf("batch %d float %v", batchRows, floatWeights), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				graphtest.Run(t, func(t testing.TB, edges []graphkit.Edge) (*graphkit.Graph, error) {
					if batchRows == 1 && len(edges) > 500 {
						t.Skip("one-row batches: small cases only")
					}
					rdr := edgeReader(t, mem, batchRows, floatWeights, intervalEdges{origin, edges})
					defer rdr.Release()
					return graphkit.GraphFromReader(rdr)
				})
			})
		}
	}
}

// ReadGraphs and IntervalReader give one contract-abiding graph per interval when
// intervals span batches and batches span intervals.
func TestReadGraphsContract(t *testing.T) {
	var intervals []intervalEdges
	for i, c := range graphtest.Cases() {
		if len(c.Edges) > 0 { // an interval without edges has no rows
			intervals = append(intervals, intervalEdges{origin.Add(time.Duration(i) * time.Hour), c.Edges})
		}
	}
	for _, batchRows := range []int{13, 100, 2048} {
		t.Run(fmt.Sprintf("callback batch %d", batchRows), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rdr := edgeReader(t, mem, batchRows, false, intervals...)
			defer rdr.Release()
			i := 0
			err := graphkit.ReadGraphs(rdr, func(start time.Time, g *graphkit.Graph) error {
				if i >= len(intervals) {
					t.Fatalf("interval %d (%v) beyond the %d given", i, start, len(intervals))
				}
				if !start.Equal(intervals[i].start) {
					t.Errorf("interval %d starts %v, want %v", i, start, intervals[i].start)
				}
				graphtest.Check(t, g, intervals[i].edges)
				i++
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if i != len(intervals) {
				t.Fatalf("%d intervals, want %d", i, len(intervals))
			}
		})
		t.Run(fmt.Sprintf("iterator batch %d", batchRows), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rdr := edgeReader(t, mem, batchRows, true, intervals...)
			ir, err := graphkit.NewIntervalReader(rdr)
			rdr.Release() // the iterator holds its own reference
			if err != nil {
				t.Fatal(err)
			}
			defer ir.Release()
			var graphs []*graphkit.Graph
			for ir.Next() {
				if ir.IntervalStart().Location() != time.UTC {
					t.Errorf("IntervalStart not in UTC: %v", ir.IntervalStart())
				}
				graphs = append(graphs, ir.Graph())
			}
			if err := ir.Err(); err != nil {
				t.Fatal(err)
			}
			if len(graphs) != len(intervals) {
				t.Fatalf("%d intervals, want %d", len(graphs), len(intervals))
			}
			// Graphs kept past their interval stay valid: the reader does not reuse them.
			for i, g := range graphs {
				graphtest.Check(t, g, intervals[i].edges)
			}
			ir.Release() // twice is harmless
		})
	}
}

// Stopping early (callback error, or releasing the iterator mid-way) leaks nothing.
func TestReadGraphsStopEarly(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(2, 2))
	var intervals []intervalEdges
	for i := range 5 {
		intervals = append(intervals, intervalEdges{origin.Add(time.Duration(i) * time.Hour), graphtest.RandomEdges(rng, 3000, 500, 0, 1)})
	}
	rdr := edgeReader(t, mem, 2048, false, intervals...)
	defer rdr.Release()
	stop := errors.New("stop")
	n := 0
	err := graphkit.ReadGraphs(rdr, func(time.Time, *graphkit.Graph) error {
		n++
		if n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("ReadGraphs = %v after %d intervals, want the callback's error after 2", err, n)
	}

	rdr2 := edgeReader(t, mem, 1000, false, intervals...)
	defer rdr2.Release()
	ir, err := graphkit.NewIntervalReader(rdr2)
	if err != nil {
		t.Fatal(err)
	}
	if !ir.Next() {
		t.Fatal(ir.Err())
	}
	ir.Release() // mid-batch: the held batch must be released
}

func TestGraphFromReaderWithoutIntervalColumn(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	edges := graphtest.RandomEdges(rand.New(rand.NewPCG(3, 3)), 5000, 300, 10, 1)
	full := edgeReader(t, mem, 512, false, intervalEdges{origin, edges})
	defer full.Release()
	var batches []arrow.RecordBatch
	for full.Next() {
		rec := full.RecordBatch()
		// Drop interval_start: keep a, b, weight.
		sub := array.NewRecordBatch(arrow.NewSchema(rec.Schema().Fields()[1:], nil), rec.Columns()[1:], rec.NumRows())
		batches = append(batches, sub)
	}
	rdr, err := arrowio.NewSliceReader(nil, batches...)
	for _, b := range batches {
		b.Release()
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var b graphkit.Builder
	if err := b.AddReader(rdr); err != nil {
		t.Fatal(err)
	}
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	graphtest.Check(t, g, edges)
}

func TestGraphFromReaderEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr := edgeReader(t, mem, 10, false)
	defer rdr.Release()
	g, err := graphkit.GraphFromReader(rdr)
	if err != nil {
		t.Fatal(err)
	}
	graphtest.Check(t, g, nil)
	called := false
	if err := graphkit.ReadGraphs(rdr, func(time.Time, *graphkit.Graph) error { called = true; return nil }); err != nil || called {
		t.Fatalf("ReadGraphs on no rows: err %v, called %v", err, called)
	}
}

// column is one named column of a hand-made batch.
type column struct {
	name string
	arr  arrow.Array
}

// batchOf assembles a batch from columns, taking over their references.
func batchOf(cols ...column) arrow.RecordBatch {
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for i, c := range cols {
		fields[i] = arrow.Field{Name: c.name, Type: c.arr.DataType(), Nullable: true}
		arrs[i] = c.arr
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(arrs[0].Len()))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

func int64s(mem memory.Allocator, vs []int64, valid []bool) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(vs, valid)
	return b.NewArray()
}

func timestamps(mem memory.Allocator, ts ...time.Time) arrow.Array {
	b := array.NewTimestampBuilder(mem, &arrow.TimestampType{Unit: arrow.Microsecond})
	defer b.Release()
	for _, t := range ts {
		b.Append(arrow.Timestamp(t.UnixMicro()))
	}
	return b.NewArray()
}

func TestReadGraphsErrors(t *testing.T) {
	h := func(i int) time.Time { return origin.Add(time.Duration(i) * time.Hour) }
	for _, tc := range []struct {
		name string
		make func(mem memory.Allocator) []arrow.RecordBatch
		want error
	}{
		{"missing b", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{batchOf(column{"interval_start", timestamps(mem, h(0))}, column{"a", int64s(mem, []int64{1}, nil)}, column{"weight", int64s(mem, []int64{1}, nil)})}
		}, graphkit.ErrEdgeSchema},
		{"a not int64", func(mem memory.Allocator) []arrow.RecordBatch {
			sb := array.NewStringBuilder(mem)
			defer sb.Release()
			sb.Append("x")
			return []arrow.RecordBatch{batchOf(column{"interval_start", timestamps(mem, h(0))}, column{"a", sb.NewArray()}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", int64s(mem, []int64{1}, nil)})}
		}, graphkit.ErrEdgeSchema},
		{"weight decimal", func(mem memory.Allocator) []arrow.RecordBatch {
			db := array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 38, Scale: 0})
			defer db.Release()
			db.AppendEmptyValue()
			return []arrow.RecordBatch{batchOf(column{"interval_start", timestamps(mem, h(0))}, column{"a", int64s(mem, []int64{1}, nil)}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", db.NewArray()})}
		}, graphkit.ErrEdgeSchema},
		{"interval_start not timestamp", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{batchOf(column{"interval_start", int64s(mem, []int64{0}, nil)}, column{"a", int64s(mem, []int64{1}, nil)}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", int64s(mem, []int64{1}, nil)})}
		}, graphkit.ErrEdgeSchema},
		{"null b", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{batchOf(column{"interval_start", timestamps(mem, h(0), h(0))}, column{"a", int64s(mem, []int64{1, 3}, nil)}, column{"b", int64s(mem, []int64{2, 4}, []bool{true, false})}, column{"weight", int64s(mem, []int64{1, 1}, nil)})}
		}, graphkit.ErrInvalidEdge},
		{"self-loop in second batch", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{
				batchOf(column{"interval_start", timestamps(mem, h(0))}, column{"a", int64s(mem, []int64{1}, nil)}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", int64s(mem, []int64{1}, nil)}),
				batchOf(column{"interval_start", timestamps(mem, h(0), h(0))}, column{"a", int64s(mem, []int64{1, 5}, nil)}, column{"b", int64s(mem, []int64{2, 5}, nil)}, column{"weight", int64s(mem, []int64{1, 1}, nil)}),
			}
		}, graphkit.ErrInvalidEdge},
		{"zero weight", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{batchOf(column{"interval_start", timestamps(mem, h(0))}, column{"a", int64s(mem, []int64{1}, nil)}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", int64s(mem, []int64{0}, nil)})}
		}, graphkit.ErrInvalidEdge},
		{"intervals out of order", func(mem memory.Allocator) []arrow.RecordBatch {
			return []arrow.RecordBatch{
				batchOf(column{"interval_start", timestamps(mem, h(1), h(2))}, column{"a", int64s(mem, []int64{1, 1}, nil)}, column{"b", int64s(mem, []int64{2, 2}, nil)}, column{"weight", int64s(mem, []int64{1, 1}, nil)}),
				batchOf(column{"interval_start", timestamps(mem, h(1))}, column{"a", int64s(mem, []int64{1}, nil)}, column{"b", int64s(mem, []int64{2}, nil)}, column{"weight", int64s(mem, []int64{1}, nil)}),
			}
		}, graphkit.ErrIntervalOrder},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			batches := tc.make(mem)
			rdr, err := arrowio.NewSliceReader(nil, batches...)
			for _, b := range batches {
				b.Release()
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rdr.Release()
			err = graphkit.ReadGraphs(rdr, func(time.Time, *graphkit.Graph) error { return nil })
			if !errors.Is(err, tc.want) {
				t.Fatalf("ReadGraphs error = %v, want %v", err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestGraphFromReaderTwoIntervals(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr := edgeReader(t, mem, 2, false,
		intervalEdges{origin, []graphkit.Edge{{A: 1, B: 2, Weight: 1}}},
		intervalEdges{origin.Add(time.Hour), []graphkit.Edge{{A: 1, B: 2, Weight: 1}, {A: 3, B: 2, Weight: 1}}})
	defer rdr.Release()
	if _, err := graphkit.GraphFromReader(rdr); !errors.Is(err, graphkit.ErrMultipleIntervals) {
		t.Fatalf("GraphFromReader error = %v, want ErrMultipleIntervals", err)
	}
}

// failingReader yields its batches, then fails.
type failingReader struct {
	*arrowio.SliceReader
	err error
}

func (f failingReader) Err() error { return f.err }

func TestReadGraphsReaderError(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr := edgeReader(t, mem, 2, false, intervalEdges{origin, []graphkit.Edge{{A: 1, B: 2, Weight: 1}, {A: 3, B: 2, Weight: 1}}})
	defer rdr.Release()
	boom := errors.New("boom")
	err := graphkit.ReadGraphs(failingReader{rdr, boom}, func(time.Time, *graphkit.Graph) error { return nil })
	if !errors.Is(err, boom) {
		t.Fatalf("ReadGraphs error = %v, want the reader's", err)
	}
}

// benchEdges returns n distinct skewed random pairs over a dictionary of vertices
// artifacts, as the edge SQL's GROUP BY produces them.
func benchEdges(n int, vertices int64) []graphkit.Edge {
	rng := rand.New(rand.NewPCG(42, 42))
	seen := make(map[[2]int64]bool, n)
	out := make([]graphkit.Edge, 0, n)
	for len(out) < n {
		for _, e := range graphtest.RandomEdges(rng, n-len(out), vertices, 0, 1) {
			p := [2]int64{min(e.A, e.B), max(e.A, e.B)}
			if !seen[p] {
				seen[p] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// BenchmarkReadGraphs: edge batches of DuckDB's size (2048 rows) to CSR graphs, one per
// interval, over a dictionary of 200,000 artifacts. "1M" is 1 M distinct edges in random
// orientation over 4 intervals; "2.8M" is 4 intervals of 2.8 M edges each, the edge
// SQL's output for a LANL-rate hour of auth (notebook architecture): distinct pairs with
// a < b. Its intervals relabel one edge set by different permutations of the ids, so
// that every interval has its own vertices and edge order without generating 11 M
// distinct pairs.
//
//	go test -tags duckdb_arrow -run '^$' -bench ReadGraphs -benchtime 3x ./graphkit/
func BenchmarkReadGraphs(b *testing.B) {
	const vertices = 200_000
	for _, size := range []string{"1M", "2.8M"} {
		for _, floatWeights := range []bool{false, true} {
			b.Run(fmt.Sprintf("edges=%s/float=%v", size, floatWeights), func(b *testing.B) {
				const nIntervals = 4
				var intervals []intervalEdges
				if size == "1M" {
					edges := benchEdges(1_000_000, vertices)
					per := len(edges) / nIntervals
					for i := range nIntervals {
						intervals = append(intervals, intervalEdges{origin.Add(time.Duration(i) * time.Hour), edges[i*per : (i+1)*per]})
					}
				} else {
					edges := benchEdges(2_800_000, vertices)
					for i, mul := range []int64{1, 7919, 104729, 1299709} { // coprime to 200,000
						relabelled := make([]graphkit.Edge, len(edges))
						for k, e := range edges {
							a, c := (e.A*mul+int64(i))%vertices, (e.B*mul+int64(i))%vertices
							relabelled[k] = graphkit.Edge{A: min(a, c), B: max(a, c), Weight: e.Weight}
						}
						intervals = append(intervals, intervalEdges{origin.Add(time.Duration(i) * time.Hour), relabelled})
					}
				}
				nEdges := 0
				for _, iv := range intervals {
					nEdges += len(iv.edges)
				}
				rdr := edgeReader(b, memory.NewGoAllocator(), arrowio.DuckDBBatchRows, floatWeights, intervals...)
				defer rdr.Release()
				batches := make([]arrow.RecordBatch, 0)
				for rdr.Next() {
					batches = append(batches, rdr.RecordBatch())
				}
				b.ReportAllocs()
				b.SetBytes(int64(nEdges) * 32) // interval_start, a, b, weight: 8 bytes each
				cpu := graphkit.ProcessCPU()
				for b.Loop() {
					r, err := arrowio.NewSliceReader(nil, batches...)
					if err != nil {
						b.Fatal(err)
					}
					n := 0
					err = graphkit.ReadGraphs(r, func(_ time.Time, g *graphkit.Graph) error { n++; return nil })
					r.Release()
					if err != nil || n != nIntervals {
						b.Fatalf("%d intervals, err %v", n, err)
					}
				}
				sec := b.Elapsed().Seconds() / float64(b.N)
				b.ReportMetric(float64(nEdges)/sec, "edges/s")
				b.ReportMetric(sec*1e9/float64(nEdges), "ns/edge")
				if cpu > 0 {
					b.ReportMetric(float64((graphkit.ProcessCPU()-cpu).Nanoseconds())/float64(b.N)/float64(nEdges), "cpu-ns/edge")
				}
			})
		}
	}
}
