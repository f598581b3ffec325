package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"

	lsql "github.com/lanlq/lanlq/sql"
)

// Table functions are lanlq's steps as DuckDB sees them: SQL (an experiment, lanlq sql,
// a notebook over the catalog) calls them like read_parquet. DuckDB passes their
// arguments as constants, bound before the query runs, so settings travel as literals
// or as getvariable('name'), which DuckDB folds to a constant.
//
// A table function runs inside a query of the session's own connection, which cannot
// run another statement until that query ends; the inner queries (artifact dictionary,
// interval edges) therefore run on a fork of the session, a second connection to the
// same database, opened when the first chunk is asked for and closed at the end.

// registerTableFuncs registers lanlq's table functions on the session's connection
// (DuckDB keeps them in the database catalog, so forks see them too). The functions
// read the session's data directory when they run, so Open may set it after
// NewSession registered them.
func registerTableFuncs(ctx context.Context, s *Session) error {
	varchar, err := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	if err != nil {
		return fmt.Errorf("engine: table functions: %w", err)
	}
	bigint, err := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	if err != nil {
		return fmt.Errorf("engine: table functions: %w", err)
	}
	// duckdb-go cannot leave a named argument out (it fails to bind a missing one) and
	// DuckDB keeps only the first of two table functions of one name, so the Go scan
	// takes every argument and a SQL macro (sql/tf_edges.sql) gives the optional ones
	// their defaults.
	edges := duckdb.ChunkTableFunction{
		Config: duckdb.TableFunctionConfig{Arguments: []duckdb.TypeInfo{varchar, bigint, varchar, varchar, varchar}},
		BindArgumentsContext: func(ctx context.Context, _ map[string]any, args ...any) (duckdb.ChunkTableSource, error) {
			return bindEdges(ctx, s, args)
		},
	}
	if err := duckdb.RegisterTableUDF(s.conn, tableFuncEdgesScan, edges); err != nil {
		return fmt.Errorf("engine: register %s: %w", tableFuncEdgesScan, err)
	}
	if err := s.Exec(ctx, lsql.Text("tf_edges.sql")); err != nil {
		return fmt.Errorf("engine: tf_edges.sql: %w", err)
	}
	return nil
}

// TableFuncEdges is the name of the edge-list table function:
//
//	lanl_edges(arch VARCHAR, interval_seconds BIGINT
//	           [, from_ts TIMESTAMP, to_ts TIMESTAMP [, streams VARCHAR]])
//	  → (interval_start TIMESTAMP, a VARCHAR, b VARCHAR, weight BIGINT)
//
// Its rows are Session.ExportEdges' (artifact names, a < b), one interval after the
// other in time order, edges inside an interval in no particular order.
// The optional arguments may also be given by name (to_ts := TIMESTAMP '2015-01-02').
const TableFuncEdges = "lanl_edges"

// tableFuncEdgesScan is the Go table function behind the lanl_edges macro.
const tableFuncEdgesScan = "lanlq_edges_scan"

// edgesSource streams one lanl_edges call: the intervals of its spec, each interval's
// edge batches from Session.IntervalEdges on a fork, names looked up in the fork's
// artifact dictionary.
type edgesSource struct {
	ctx    context.Context
	parent *Session
	spec   EdgeSpec
	// state holds everything that must be closed; it is apart from the source so a
	// cleanup can close it if DuckDB drops the source before the last chunk (LIMIT, an
	// error elsewhere in the query, a cancelled context).
	state *edgesState
}

type edgesState struct {
	started bool
	fork    *Session
	names   []string // artifact_dictionary.name by id (ids are 0..n-1)
	starts  []time.Time
	next    int // index in starts of the next interval to open
	rdr     array.RecordReader
	rec     arrow.RecordBatch // current batch (owned by rdr)
	row     int               // next row of rec
}

func (st *edgesState) close() error {
	if st.rdr != nil {
		st.rdr.Release()
		st.rdr, st.rec = nil, nil
	}
	st.next = len(st.starts)
	if st.fork != nil {
		err := st.fork.Close()
		st.fork = nil
		return err
	}
	return nil
}

// bindEdges checks the arguments of lanl_edges; the work starts at the first chunk.
func bindEdges(ctx context.Context, s *Session, args []any) (duckdb.ChunkTableSource, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	arch, _ := args[0].(string)
	width, ok := args[1].(int64)
	if !ok || width <= 0 {
		return nil, fmt.Errorf("%w: %s: interval_seconds must be a positive number, got %v", ErrEdgeSpec, TableFuncEdges, args[1])
	}
	spec := EdgeSpec{Arch: arch, Interval: time.Duration(width) * time.Second}
	// A NULL bound (or streams) leaves that side open (all streams).
	var err error
	for i, bound := range []*time.Time{&spec.From, &spec.To} {
		text, _ := argAt[string](args, 2+i)
		if *bound, err = parseFrameBound(text); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrEdgeSpec, TableFuncEdges, err)
		}
	}
	if list, ok := argAt[string](args, 4); ok {
		for name := range strings.SplitSeq(list, ",") {
			if name = strings.TrimSpace(name); name != "" {
				spec.Streams = append(spec.Streams, name)
			}
		}
	}
	if !spec.From.IsZero() && !spec.To.IsZero() && !spec.To.After(spec.From) {
		return nil, fmt.Errorf("%w: %s: empty time frame [%s, %s)", ErrEdgeSpec, TableFuncEdges,
			spec.From.Format(time.DateTime), spec.To.Format(time.DateTime))
	}
	if _, _, err := archText(spec.Arch); err != nil {
		return nil, err
	}
	src := &edgesSource{ctx: ctx, parent: s, spec: spec, state: &edgesState{}}
	runtime.AddCleanup(src, func(st *edgesState) { st.close() }, src.state)
	return src, nil
}

func (e *edgesSource) ColumnInfos() []duckdb.ColumnInfo {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	bigint, _ := duckdb.NewTypeInfo(duckdb.TYPE_BIGINT)
	timestamp, _ := duckdb.NewTypeInfo(duckdb.TYPE_TIMESTAMP)
	return []duckdb.ColumnInfo{
		{Name: "interval_start", T: timestamp},
		{Name: "a", T: varchar},
		{Name: "b", T: varchar},
		{Name: "weight", T: bigint},
	}
}

func (e *edgesSource) Cardinality() *duckdb.CardinalityInfo { return nil }

func (e *edgesSource) Init() {}

// start opens the fork, prepares the architecture there and lists the intervals.
func (e *edgesSource) start() error {
	st := e.state
	st.started = true
	fork, err := e.parent.Fork(e.ctx)
	if err != nil {
		return err
	}
	st.fork = fork
	if st.starts, err = fork.Intervals(e.ctx, e.spec); err != nil {
		return err
	}
	rows, err := fork.Query(e.ctx, "SELECT name FROM artifact_dictionary ORDER BY id")
	if err != nil {
		return fmt.Errorf("engine: %s: artifact dictionary: %w", TableFuncEdges, err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("engine: %s: artifact dictionary: %w", TableFuncEdges, err)
		}
		st.names = append(st.names, name)
	}
	return rows.Err()
}

// batch returns the current edge batch with rows left, opening the next interval's
// reader as needed; nil at the end.
func (e *edgesSource) batch() (arrow.RecordBatch, error) {
	st := e.state
	for {
		if st.rec != nil && st.row < int(st.rec.NumRows()) {
			return st.rec, nil
		}
		if st.rdr != nil {
			if st.rdr.Next() {
				st.rec, st.row = st.rdr.RecordBatch(), 0
				continue
			}
			err := st.rdr.Err()
			st.rdr.Release()
			st.rdr, st.rec = nil, nil
			if err != nil {
				return nil, fmt.Errorf("engine: %s: %w", TableFuncEdges, err)
			}
		}
		if st.next >= len(st.starts) {
			return nil, nil
		}
		rdr, err := st.fork.IntervalEdges(e.ctx, e.spec, st.starts[st.next])
		if err != nil {
			return nil, err
		}
		st.next++
		st.rdr = rdr
	}
}

// FillChunk copies up to one chunk of edges. Only the columns the query projects are
// written: asking duckdb-go to set an unprojected column costs an error value per row.
func (e *edgesSource) FillChunk(chunk duckdb.DataChunk) (err error) {
	st := e.state
	defer func() {
		if err != nil {
			err = errors.Join(err, st.close())
		}
	}()
	if !st.started {
		if err := e.start(); err != nil {
			return err
		}
	}
	var projected [4]bool
	for col := range projected {
		_, verr := chunk.GetVector(col)
		projected[col] = verr == nil
	}
	capacity := duckdb.GetDataChunkCapacity()
	n := 0
	for n < capacity {
		rec, err := e.batch()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		starts := rec.Column(0).(*array.Timestamp)
		as := rec.Column(1).(*array.Int64)
		bs := rec.Column(2).(*array.Int64)
		weights := rec.Column(3).(*array.Int64)
		unit := starts.DataType().(*arrow.TimestampType).Unit
		for ; st.row < int(rec.NumRows()) && n < capacity; st.row, n = st.row+1, n+1 {
			i := st.row
			if projected[0] {
				if err := duckdb.SetChunkValue(chunk, 0, n, starts.Value(i).ToTime(unit)); err != nil {
					return err
				}
			}
			for col, ids := range [2]*array.Int64{as, bs} {
				if !projected[col+1] {
					continue
				}
				id := ids.Value(i)
				if id < 0 || id >= int64(len(st.names)) {
					return fmt.Errorf("engine: %s: artifact id %d not in the dictionary", TableFuncEdges, id)
				}
				if err := duckdb.SetChunkValue(chunk, col+1, n, st.names[id]); err != nil {
					return err
				}
			}
			if projected[3] {
				if err := duckdb.SetChunkValue(chunk, 3, n, weights.Value(i)); err != nil {
					return err
				}
			}
		}
	}
	if n == 0 {
		if err := st.close(); err != nil {
			return err
		}
	}
	return chunk.SetSize(n)
}

// argAt returns args[i] as a T; false when it is missing, NULL or of another type.
func argAt[T any](args []any, i int) (T, bool) {
	var zero T
	if i >= len(args) {
		return zero, false
	}
	v, ok := args[i].(T)
	return v, ok
}

// parseFrameBound reads a frame bound given as LANL seconds or as a UTC timestamp (the
// text of a TIMESTAMP, an ISO date-time or a date); "" is the zero time (open).
func parseFrameBound(text string) (time.Time, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return time.Time{}, nil
	}
	if sec, err := strconv.ParseInt(text, 10, 64); err == nil {
		return Origin.Add(time.Duration(sec) * time.Second), nil
	}
	for _, layout := range []string{time.DateTime, "2006-01-02 15:04:05.999999", time.RFC3339Nano, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(layout, text); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither LANL seconds nor a timestamp like 2015-01-02 08:00:00", text)
}
