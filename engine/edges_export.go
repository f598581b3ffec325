package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/internal/faultpoint"
)

// ExportEdges writes every interval's edge list of spec under outDir as Parquet, one
// zstd file per interval at outDir/interval_start=YYYY-MM-DD hh:mm:ss/data_0.parquet,
// with columns interval_start TIMESTAMP, a VARCHAR, b VARCHAR, weight BIGINT (artifact
// names, a < b, rows sorted by a then b). The directory appears complete or not at
// all: it is built beside outDir and renamed into place, replacing a previous export,
// under outDir's lock (a second export into it fails with ErrLocked). A frame without
// events fails with ErrFrame, naming the data's time range, and leaves outDir as it
// was. progress, if not nil, is called with the intervals done and their total.
//
// The edge lists are those of IntervalEdges (edges.sql's edge ending, the definition),
// computed as the scoring run computes its graphs: the interval's distinct event
// tuples (intervalTuples: in Go from the partitions, or edges.sql's tuple ending),
// graphkit.TupleBuilder expands them into the CSR graph, and the graph's upper
// triangle is written with arrowio.ParquetWriter, names looked up by id (ids are
// ranks of names, so id order is name order). A goroutine reads the next interval's
// tuples and builds its graph while the current one is written. (Reading the tuples
// and building the graph as two more stages with two builders was measured: 0.7 GB
// more peak RSS, and no clear wall-time gain on the shared machine; BENCHMARKS.md,
// "Artifact graphs".) TestEdgesExportMatchesSQL holds
// the files to the SQL definition (exportIntervalSQL) for every architecture.
func (s *Session) ExportEdges(ctx context.Context, spec EdgeSpec, outDir string, progress func(done, total int)) (err error) {
	return s.exportEdges(ctx, spec, outDir, progress, false)
}

// exportEdges is ExportEdges, through the SQL definition (exportIntervalSQL) when
// viaSQL is set: the reference the tests compare the tuple path with.
func (s *Session) exportEdges(ctx context.Context, spec EdgeSpec, outDir string, progress func(done, total int), viaSQL bool) (err error) {
	defer func() { err = s.NameBrokenFile(ctx, err) }()
	out, err := beginOut(outDir, outEdges)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	starts, err := s.Intervals(ctx, spec)
	if err != nil {
		return err
	}
	p, err := s.plan(ctx, spec)
	if err != nil {
		return err
	}
	if len(starts) == 0 {
		// An empty export would replace the earlier one by nothing: most likely a
		// frame outside the data.
		var names []string
		for _, st := range p.streams {
			names = append(names, st.Name)
		}
		return s.frameError(spec, names)
	}
	if progress != nil {
		progress(0, len(starts))
	}
	path := func(start time.Time) (string, error) {
		dir := filepath.Join(out.Stage, "interval_start="+start.UTC().Format(time.DateTime))
		if err := os.Mkdir(dir, 0o755); err != nil {
			return "", fmt.Errorf("engine: %w", err)
		}
		return filepath.Join(dir, "data_0.parquet"), nil
	}
	done := func(i int) {
		if progress != nil {
			progress(i+1, len(starts))
		}
		faultpoint.Reach(ctx, "edges interval")
	}
	if viaSQL {
		for i, start := range starts {
			if err := ctx.Err(); err != nil {
				return err
			}
			file, err := path(start)
			if err != nil {
				return err
			}
			if err := s.exportIntervalSQL(ctx, p, start, file); err != nil {
				return err
			}
			done(i)
		}
	} else if err := s.exportTuples(ctx, spec, starts, path, done); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return out.Publish()
}

// exportIntervalSQL writes the edge list of the interval starting at start to file
// with DuckDB: edges.sql's edge ending, names joined, COPY (sql/edges_export.sql).
func (s *Session) exportIntervalSQL(ctx context.Context, p *edgePlan, start time.Time, file string) error {
	edges, err := p.edgesSQL(start)
	if err != nil {
		return err
	}
	q, err := edgeRender("edges_export.sql", struct{ Edges, Path string }{edges, escapeLiteral(file)})
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, q); err != nil {
		return fmt.Errorf("engine: export edges of %s: %w", start.Format(time.DateTime), err)
	}
	return nil
}

// builtGraph is one interval's graph on its way from the reading goroutine to the
// writing one.
type builtGraph struct {
	start time.Time
	g     *graphkit.Graph
	err   error
}

// exportTuples builds each interval's graph from its tuples and writes its edge list
// to path(start), calling done(i) after interval i. A goroutine reads and builds the
// graphs (the session is used by it alone) one interval ahead of the writer.
func (s *Session) exportTuples(ctx context.Context, spec EdgeSpec, starts []time.Time, path func(time.Time) (string, error), done func(int)) (err error) {
	names, err := s.dictionaryNames(ctx)
	if err != nil {
		return err
	}
	defer names.Release()
	w, err := newEdgeWriter(memory.DefaultAllocator, names)
	if err != nil {
		return err
	}
	defer w.release()

	rctx, cancel := context.WithCancel(ctx)
	graphs := make(chan builtGraph, 1)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer close(graphs)
		var tb graphkit.TupleBuilder
		for _, start := range starts {
			g, err := s.IntervalGraph(rctx, spec, start, &tb)
			select {
			case graphs <- builtGraph{start, g, err}:
			case <-rctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	// Whatever ends the loop, the reader stops before the session is used again.
	defer func() {
		cancel()
		<-finished
	}()
	i := 0
	for b := range graphs {
		if b.err != nil {
			return b.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		file, err := path(b.start)
		if err != nil {
			return err
		}
		if err := w.writeFile(file, b.start, b.g); err != nil {
			return fmt.Errorf("engine: export edges of %s: %w", b.start.Format(time.DateTime), err)
		}
		done(i)
		i++
	}
	if i < len(starts) {
		// The reader stopped early: only a cancelled context does that.
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("engine: export edges: %d of %d intervals read", i, len(starts))
	}
	return nil
}

// dictionaryNames returns artifact_dictionary's names indexed by id (PrepareArtifacts
// makes ids 0..n-1, the ranks of the names). The caller releases the array.
func (s *Session) dictionaryNames(ctx context.Context) (*array.String, error) {
	rdr, err := s.QueryArrow(ctx, "SELECT id, name FROM artifact_dictionary ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	defer rdr.Release()
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	var next int64
	for rdr.Next() {
		rec := rdr.RecordBatch()
		ids, ok1 := rec.Column(0).(*array.Int64)
		names, ok2 := rec.Column(1).(*array.String)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("engine: artifact dictionary: columns %s", rec.Schema())
		}
		for i := range names.Len() {
			if ids.Value(i) != next || names.IsNull(i) {
				return nil, fmt.Errorf("engine: artifact dictionary: id %d (null name: %t) where %d was due", ids.Value(i), names.IsNull(i), next)
			}
			b.Append(names.Value(i))
			next++
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	if next > 1<<31-1 {
		return nil, fmt.Errorf("engine: artifact dictionary: %d artifacts, at most 2³¹−1 for the export", next)
	}
	return b.NewStringArray(), nil
}

// edgeSchema is the schema of an exported edge list: the one DuckDB's COPY of
// edges_export.sql writes, with a and b given as dictionary ids into the names.
var edgeSchema = arrow.NewSchema([]arrow.Field{
	{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "a", Type: edgeNameType},
	{Name: "b", Type: edgeNameType},
	{Name: "weight", Type: arrow.PrimitiveTypes.Int64},
}, nil)

var edgeNameType = &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}

// edgeBatchRows is the number of edges per record batch handed to the writer.
const edgeBatchRows = 1 << 16

// edgeWriter writes graphs as edge-list files, reusing its Parquet writer and its
// column buffers.
type edgeWriter struct {
	mem   memory.Allocator
	names *array.String
	pw    *arrowio.ParquetWriter
	start []int64 // interval_start, the same for every row of a file
	a, b  []int32
	w     []int64
}

func newEdgeWriter(mem memory.Allocator, names *array.String) (*edgeWriter, error) {
	// Names are distinct (ids are their ranks; only kinds that hold "::" could make two
	// alike, and the rows written would still be the same): the writer need not hash them.
	pw, err := arrowio.NewParquetWriter(edgeSchema, arrowio.ParquetOptions{DistinctDictionaries: true})
	if err != nil {
		return nil, err
	}
	names.Retain()
	return &edgeWriter{mem: mem, names: names, pw: pw,
		start: make([]int64, edgeBatchRows), a: make([]int32, 0, edgeBatchRows),
		b: make([]int32, 0, edgeBatchRows), w: make([]int64, 0, edgeBatchRows)}, nil
}

func (ew *edgeWriter) release() {
	if ew.names != nil {
		ew.names.Release()
		ew.names = nil
	}
}

// writeFile writes g's edges {u, v}, u < v by id (so by name), in the order of (u, v),
// to a new file at path: the rows of edges_export.sql.
func (ew *edgeWriter) writeFile(path string, start time.Time, g *graphkit.Graph) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	ew.pw.Reset(f)
	us := start.UnixMicro()
	for i := range ew.start {
		ew.start[i] = us
	}
	n := int32(ew.names.Len())
	for v := range g.NumVertices() {
		id := g.IDs[v]
		if id < 0 || id >= int64(n) {
			return fmt.Errorf("artifact id %d outside the dictionary of %d names", id, n)
		}
		nbrs, weights := g.Neighbors(v)
		for k, u := range nbrs {
			if int(u) <= v {
				continue // the lower triangle: the same edge, written from u's row
			}
			ew.a = append(ew.a, int32(id))
			ew.b = append(ew.b, int32(g.IDs[u]))
			ew.w = append(ew.w, int64(weights[k]))
			if len(ew.a) == edgeBatchRows {
				if err := ew.flush(); err != nil {
					return err
				}
			}
		}
	}
	if err := ew.flush(); err != nil {
		return err
	}
	return ew.pw.Close()
}

// flush writes the buffered edges as one record batch. The arrays wrap the buffers
// (the writer copies what it keeps), which are then reused.
func (ew *edgeWriter) flush() error {
	n := len(ew.a)
	if n == 0 {
		return nil
	}
	defer func() { ew.a, ew.b, ew.w = ew.a[:0], ew.b[:0], ew.w[:0] }()
	wrap := func(t arrow.DataType, b []byte) arrow.Array {
		data := array.NewData(t, n, []*memory.Buffer{nil, memory.NewBufferBytes(b)}, nil, 0, 0)
		defer data.Release()
		return array.MakeFromData(data)
	}
	dict := func(ids []int32) arrow.Array {
		idx := wrap(arrow.PrimitiveTypes.Int32, arrow.Int32Traits.CastToBytes(ids))
		defer idx.Release()
		return array.NewDictionaryArray(edgeNameType, idx, ew.names)
	}
	cols := []arrow.Array{
		wrap(edgeSchema.Field(0).Type, arrow.Int64Traits.CastToBytes(ew.start[:n])),
		dict(ew.a),
		dict(ew.b),
		wrap(arrow.PrimitiveTypes.Int64, arrow.Int64Traits.CastToBytes(ew.w)),
	}
	rec := array.NewRecordBatch(edgeSchema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	defer rec.Release()
	return ew.pw.Write(rec)
}
