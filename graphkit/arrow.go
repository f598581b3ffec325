package graphkit

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/arrowio"
)

// Edge batches, as the edge SQL produces them, have the columns
//
//	interval_start TIMESTAMP (any unit)   the interval the edge belongs to
//	a, b           INT64                  artifact ids, a ≠ b
//	weight         integer or floating    > 0
//
// found by name (arrowio.ColIntervalStart, ColA, ColB, ColWeight; other columns are
// ignored), none of them null. A pair may appear several times and in both orientations
// within an interval: its weights are summed. Batches must come ordered by
// interval_start; an interval may span several batches and a batch several intervals.

// ReadGraphs calls fn with the start and the graph of every interval of rdr, in order.
// It holds one interval's edges at a time. fn owns the graph it is given and may keep it;
// the interval's work buffers are reused for the next one. An error from fn stops the
// reading and is returned as is. ReadGraphs does not Release rdr.
func ReadGraphs(rdr array.RecordReader, fn func(intervalStart time.Time, g *Graph) error) error {
	ir, err := NewIntervalReader(rdr)
	if err != nil {
		return err
	}
	defer ir.Release()
	for ir.Next() {
		if err := fn(ir.IntervalStart(), ir.Graph()); err != nil {
			return err
		}
	}
	return ir.Err()
}

// GraphFromReader returns the graph of a reader holding the edges of one interval. The
// interval_start column is optional; when present it must hold a single value, else the
// error wraps ErrMultipleIntervals. A reader without rows gives an empty graph.
// GraphFromReader does not Release rdr. It allocates its work buffers for this call
// alone: to reuse them over many readers (at LANL rates they are about 90 MB, and
// regrowing them costs more CPU than building the graph), keep a Builder and call
// Builder.AddReader and Builder.Build.
func GraphFromReader(rdr array.RecordReader) (*Graph, error) {
	var b Builder
	if err := b.AddReader(rdr); err != nil {
		return nil, err
	}
	return b.Build()
}

// AddReader adds every edge of rdr, whose batches must hold at most one interval (see
// GraphFromReader), to the builder. On error the builder is left empty. AddReader does
// not Release rdr.
func (b *Builder) AddReader(rdr array.RecordReader) error {
	ir := intervalReader{optionalStart: true}
	ir.b = b
	ir.rdr = rdr
	defer ir.release()
	for ir.fill() {
	}
	if ir.err == nil && ir.cur != nil {
		// fill stopped before a row of another interval.
		t := ir.cur.Column(ir.cols.startIdx).(*array.Timestamp).Value(ir.row)
		ir.fail(ir.row, fmt.Errorf("%w: interval_start %s after %s", ErrMultipleIntervals,
			t.ToTime(ir.unit).Format(time.DateTime), ir.startTime().Format(time.DateTime)))
	}
	if ir.err != nil {
		b.reset()
		return ir.err
	}
	return nil
}

var _ interface {
	Next() bool
	Err() error
	Release()
} = (*IntervalReader)(nil)

// IntervalReader is a pull iterator over the interval graphs of an edge-batch reader:
//
//	ir, err := graphkit.NewIntervalReader(rdr)
//	if err != nil { … }
//	defer ir.Release()
//	for ir.Next() {
//		use(ir.IntervalStart(), ir.Graph())
//	}
//	if err := ir.Err(); err != nil { … }
//
// It Retains rdr and Releases it in Release. Each Graph is new and owned by the caller
// (the work buffers behind it are reused, not the graph's slices).
type IntervalReader struct {
	intervalReader
}

// NewIntervalReader checks rdr's schema and returns an iterator over its intervals. The
// caller must call Release.
func NewIntervalReader(rdr array.RecordReader) (*IntervalReader, error) {
	if _, err := resolveEdgeColumns(rdr.Schema(), false); err != nil {
		return nil, err
	}
	rdr.Retain()
	ir := &IntervalReader{}
	ir.b = new(Builder)
	ir.rdr = rdr
	return ir, nil
}

// Next builds the graph of the next interval and reports whether there is one.
func (ir *IntervalReader) Next() bool {
	ir.g = nil
	if ir.err != nil || ir.rdr == nil {
		return false
	}
	for ir.fill() {
	}
	if ir.err != nil || !ir.open {
		return false
	}
	ir.open = false
	g, err := ir.b.Build()
	if err != nil {
		ir.err = fmt.Errorf("%w (interval %s)", err, ir.IntervalStart().Format(time.DateTime))
		return false
	}
	ir.g = g
	return true
}

// IntervalStart returns the start of the current interval (UTC).
func (ir *IntervalReader) IntervalStart() time.Time { return ir.startTime() }

// Graph returns the current interval's graph, owned by the caller.
func (ir *IntervalReader) Graph() *Graph { return ir.g }

// Err returns the error that stopped Next, if any.
func (ir *IntervalReader) Err() error { return ir.err }

// Release drops the batch held and the reference to the underlying reader. It is safe to
// call more than once.
func (ir *IntervalReader) Release() {
	ir.release()
	if ir.rdr != nil {
		ir.rdr.Release()
		ir.rdr = nil
	}
	ir.b = nil
}

// intervalReader moves the edges of one interval at a time from a record reader into a
// Builder. It is shared by IntervalReader and Builder.AddReader.
type intervalReader struct {
	rdr array.RecordReader
	b   *Builder

	optionalStart bool // interval_start may be missing (AddReader)
	eof           bool // rdr.Next returned false

	cur     arrow.RecordBatch // Retained while rows [row:] remain to be read
	row     int
	batchNo int           // batches read so far, for error messages
	schema  *arrow.Schema // the schema cols was resolved for
	cols    edgeColumns

	open     bool // the current interval has edges in b
	openTS   int64
	havePrev bool // an interval was opened before
	unit     arrow.TimeUnit
	haveUnit bool

	g   *Graph
	err error
}

func (ir *intervalReader) startTime() time.Time {
	if !ir.havePrev {
		return time.Time{}
	}
	return arrow.Timestamp(ir.openTS).ToTime(ir.unit)
}

func (ir *intervalReader) release() {
	if ir.cur != nil {
		ir.cur.Release()
		ir.cur = nil
	}
}

// fail records err with the position of the current batch and stops reading.
func (ir *intervalReader) fail(row int, err error) bool {
	ir.err = fmt.Errorf("%w (edge batch %d, row %d)", err, ir.batchNo, row)
	ir.release()
	return false
}

// fill moves rows of the current interval into the builder. It returns true while it
// should be called again: false when the interval is complete (ir.open says whether it
// has any edges), the input is exhausted, or an error occurred (ir.err).
func (ir *intervalReader) fill() bool {
	if ir.cur == nil {
		if ir.eof {
			return false
		}
		if !ir.rdr.Next() {
			ir.eof = true
			if err := ir.rdr.Err(); err != nil {
				ir.err = fmt.Errorf("graphkit: reading edge batches: %w", err)
			}
			return false
		}
		rec := ir.rdr.RecordBatch()
		ir.batchNo++
		if s := rec.Schema(); s != ir.schema && (ir.schema == nil || !s.Equal(ir.schema)) {
			cols, err := resolveEdgeColumns(rec.Schema(), ir.optionalStart)
			if err != nil {
				ir.err = fmt.Errorf("%w (edge batch %d)", err, ir.batchNo)
				return false
			}
			if cols.start != nil {
				unit := cols.start.Type.(*arrow.TimestampType).Unit
				if ir.haveUnit && unit != ir.unit {
					ir.err = fmt.Errorf("%w: interval_start unit changed from %v to %v (edge batch %d)", ErrEdgeSchema, ir.unit, unit, ir.batchNo)
					return false
				}
				ir.unit, ir.haveUnit = unit, true
			}
			ir.schema, ir.cols = rec.Schema(), cols
		}
		if rec.NumRows() == 0 {
			return true
		}
		if row, col := firstNull(rec, ir.cols); row >= 0 {
			return ir.fail(row, fmt.Errorf("%w: null %s", ErrInvalidEdge, col))
		}
		rec.Retain()
		ir.cur, ir.row = rec, 0
	}

	rec := ir.cur
	n := int(rec.NumRows())
	lo, hi := ir.row, n
	if ir.cols.start != nil {
		ts := rec.Column(ir.cols.startIdx).(*array.Timestamp).TimestampValues()
		if !ir.open {
			t := int64(ts[lo])
			if ir.havePrev {
				if t <= ir.openTS {
					return ir.fail(lo, fmt.Errorf("%w: interval_start %s after %s", ErrIntervalOrder,
						arrow.Timestamp(t).ToTime(ir.unit).Format(time.DateTime), ir.startTime().Format(time.DateTime)))
				}
			}
			ir.open, ir.openTS, ir.havePrev = true, t, true
		}
		cur := arrow.Timestamp(ir.openTS)
		for hi = lo; hi < n && ts[hi] == cur; hi++ {
		}
	} else {
		ir.open, ir.havePrev = true, true
	}
	if hi > lo {
		if row, err := ir.cols.appendRows(ir.b, rec, lo, hi); err != nil {
			return ir.fail(row, err)
		}
	}
	if hi < n {
		ir.row = hi
		return false // the next row starts another interval
	}
	ir.release()
	return true
}

// edgeColumns locates the edge columns in one schema.
type edgeColumns struct {
	start                *arrow.Field // nil if absent (allowed for AddReader)
	startIdx, aIdx, bIdx int
	weightIdx            int
	weightType           arrow.DataType
}

func resolveEdgeColumns(s *arrow.Schema, optionalStart bool) (edgeColumns, error) {
	c := edgeColumns{startIdx: -1}
	find := func(name string) (int, error) {
		idx := s.FieldIndices(name)
		switch len(idx) {
		case 0:
			names := make([]string, s.NumFields())
			for i, f := range s.Fields() {
				names[i] = f.Name
			}
			return -1, fmt.Errorf("%w: missing column %q (have %s)", ErrEdgeSchema, name, strings.Join(names, ", "))
		case 1:
			return idx[0], nil
		default:
			return -1, fmt.Errorf("%w: column %q appears %d times", ErrEdgeSchema, name, len(idx))
		}
	}
	var err error
	if c.startIdx, err = find(arrowio.ColIntervalStart); err != nil {
		if !optionalStart || len(s.FieldIndices(arrowio.ColIntervalStart)) > 1 {
			return c, err
		}
		c.startIdx = -1
	} else {
		f := s.Field(c.startIdx)
		if f.Type.ID() != arrow.TIMESTAMP {
			return c, fmt.Errorf("%w: column %q has type %v, want a timestamp", ErrEdgeSchema, f.Name, f.Type)
		}
		c.start = &f
	}
	for _, col := range []struct {
		name string
		idx  *int
	}{{arrowio.ColA, &c.aIdx}, {arrowio.ColB, &c.bIdx}} {
		if *col.idx, err = find(col.name); err != nil {
			return c, err
		}
		if t := s.Field(*col.idx).Type; t.ID() != arrow.INT64 {
			return c, fmt.Errorf("%w: column %q has type %v, want int64 (cast artifact ids to BIGINT)", ErrEdgeSchema, col.name, t)
		}
	}
	if c.weightIdx, err = find(arrowio.ColWeight); err != nil {
		return c, err
	}
	c.weightType = s.Field(c.weightIdx).Type
	switch c.weightType.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.FLOAT32, arrow.FLOAT64:
	default:
		// DuckDB's sum() over BIGINT is HUGEINT, which arrives as decimal128.
		return c, fmt.Errorf("%w: column %q has type %v, want an integer or floating-point type (cast to BIGINT or DOUBLE)", ErrEdgeSchema, arrowio.ColWeight, c.weightType)
	}
	return c, nil
}

// firstNull returns the first row holding a null in an edge column, or -1.
func firstNull(rec arrow.RecordBatch, c edgeColumns) (int, string) {
	first, name := -1, ""
	for _, i := range [...]int{c.aIdx, c.bIdx, c.weightIdx, c.startIdx} {
		if i < 0 {
			continue // no interval_start
		}
		col := rec.Column(i)
		if col.NullN() == 0 {
			continue
		}
		for r := 0; r < col.Len() && (first < 0 || r < first); r++ {
			if col.IsNull(r) {
				first, name = r, rec.ColumnName(i)
				break
			}
		}
	}
	return first, name
}

// appendRows adds rows [lo,hi) of rec to b. On error b holds what it held before and the
// returned row is the first bad one.
func (c edgeColumns) appendRows(b *Builder, rec arrow.RecordBatch, lo, hi int) (int, error) {
	as := rec.Column(c.aIdx).(*array.Int64).Int64Values()[lo:hi]
	bs := rec.Column(c.bIdx).(*array.Int64).Int64Values()[lo:hi]
	switch w := rec.Column(c.weightIdx).(type) {
	case *array.Int64:
		return appendEdges(b, as, bs, w.Int64Values()[lo:hi], lo)
	case *array.Float64:
		return appendEdges(b, as, bs, w.Float64Values()[lo:hi], lo)
	case *array.Int32:
		return appendEdges(b, as, bs, w.Int32Values()[lo:hi], lo)
	case *array.Int16:
		return appendEdges(b, as, bs, w.Int16Values()[lo:hi], lo)
	case *array.Int8:
		return appendEdges(b, as, bs, w.Int8Values()[lo:hi], lo)
	case *array.Uint64:
		return appendEdges(b, as, bs, w.Uint64Values()[lo:hi], lo)
	case *array.Uint32:
		return appendEdges(b, as, bs, w.Uint32Values()[lo:hi], lo)
	case *array.Uint16:
		return appendEdges(b, as, bs, w.Uint16Values()[lo:hi], lo)
	case *array.Uint8:
		return appendEdges(b, as, bs, w.Uint8Values()[lo:hi], lo)
	case *array.Float32:
		return appendEdges(b, as, bs, w.Float32Values()[lo:hi], lo)
	default:
		panic(fmt.Sprintf("graphkit: weight column of unchecked type %T", w)) // resolveEdgeColumns admits only the types above
	}
}

type weightValue interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

// appendEdges bulk-copies one run of edges into b, validating them in the same pass.
func appendEdges[W weightValue](b *Builder, as, bs []int64, ws []W, rowOffset int) (int, error) {
	n0 := len(b.src)
	if need := n0 + len(as); need > cap(b.src) {
		// Double, rather than append's 1.25x for large slices: an interval arrives in
		// over a thousand batches, and the chain of copies while the buffers first grow
		// to an interval's size drew a fifth of BenchmarkEdges' page faults. Doubling
		// cut its csr/notebook/auth allocations from 715 to 543 MB.
		c := max(need, 2*cap(b.src))
		b.src = slices.Grow(b.src, c-n0)
		b.dst = slices.Grow(b.dst, c-n0)
		b.w = slices.Grow(b.w, c-n0)
	}
	b.src = append(b.src, as...)
	b.dst = append(b.dst, bs...)
	b.w = slices.Grow(b.w, len(ws))
	out := b.w[n0 : n0+len(ws)]
	bad := false
	for i, w := range ws {
		f := float64(w)
		out[i] = f
		bad = bad || as[i] == bs[i] || !(f > 0)
	}
	b.w = b.w[:n0+len(ws)]
	if !bad {
		return 0, nil
	}
	b.src, b.dst, b.w = b.src[:n0], b.dst[:n0], b.w[:n0]
	for i, w := range ws {
		switch f := float64(w); {
		case as[i] == bs[i]:
			return rowOffset + i, fmt.Errorf("%w: self-loop on artifact %d", ErrInvalidEdge, as[i])
		case !(f > 0):
			return rowOffset + i, fmt.Errorf("%w: edge (%d,%d) has weight %v, want > 0", ErrInvalidEdge, as[i], bs[i], f)
		}
	}
	panic("unreachable")
}
