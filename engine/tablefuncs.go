package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
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

	double, err := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	if err != nil {
		return fmt.Errorf("engine: table functions: %w", err)
	}
	// The scoring functions take the edge arguments, then roles, train_from, train_to,
	// expect, half_life, seed, generations, method, components, novelty
	// (sql/tf_scores.sql gives the defaults).
	scoreArgs := []duckdb.TypeInfo{varchar, bigint, varchar, varchar, varchar,
		varchar, varchar, varchar, varchar, double, bigint, bigint, varchar, varchar, varchar}
	for _, table := range resultTables {
		table := table
		f := duckdb.ChunkTableFunction{
			Config: duckdb.TableFunctionConfig{Arguments: scoreArgs},
			BindArgumentsContext: func(ctx context.Context, _ map[string]any, args ...any) (duckdb.ChunkTableSource, error) {
				return bindResult(ctx, s, table, args)
			},
		}
		if err := duckdb.RegisterTableUDF(s.conn, table.scan, f); err != nil {
			return fmt.Errorf("engine: register %s: %w", table.scan, err)
		}
	}
	if err := s.Exec(ctx, lsql.Text("tf_scores.sql")); err != nil {
		return fmt.Errorf("engine: tf_scores.sql: %w", err)
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

// batchCursor walks the rows of a sequence of Arrow readers, one at a time: the
// table functions' scans read one DuckDB query per interval through it.
type batchCursor struct {
	rdr array.RecordReader
	rec arrow.RecordBatch // current batch (owned by rdr)
	row int               // next row of rec
}

// batch returns the current batch with rows left, calling open for the next reader
// when one is used up; nil when open returns a nil reader (the end).
func (c *batchCursor) batch(open func() (array.RecordReader, error)) (arrow.RecordBatch, error) {
	for {
		if c.rec != nil && c.row < int(c.rec.NumRows()) {
			return c.rec, nil
		}
		if c.rdr != nil {
			if c.rdr.Next() {
				c.rec, c.row = c.rdr.RecordBatch(), 0
				continue
			}
			err := c.rdr.Err()
			c.release()
			if err != nil {
				return nil, err
			}
		}
		rdr, err := open()
		if err != nil || rdr == nil {
			return nil, err
		}
		c.rdr = rdr
	}
}

func (c *batchCursor) release() {
	if c.rdr != nil {
		c.rdr.Release()
		c.rdr, c.rec = nil, nil
	}
}

// projectedColumns reports which of a chunk's n columns the query projects: only
// those are written, since asking duckdb-go to set an unprojected column costs an
// error value per row.
func projectedColumns(chunk duckdb.DataChunk, n int) []bool {
	projected := make([]bool, n)
	for col := range projected {
		_, err := chunk.GetVector(col)
		projected[col] = err == nil
	}
	return projected
}

type edgesState struct {
	batchCursor
	started bool
	fork    *Session
	names   []string // artifact_dictionary.name by id (ids are 0..n-1)
	starts  []time.Time
	next    int // index in starts of the next interval to open
}

func (st *edgesState) close() error {
	st.release()
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
	spec, err := edgeArgs(TableFuncEdges, args)
	if err != nil {
		return nil, err
	}
	src := &edgesSource{ctx: ctx, parent: s, spec: spec, state: &edgesState{}}
	// A cleanup runs on the garbage collector's goroutine with no caller to tell: the
	// normal path closes the state itself and checks the error.
	runtime.AddCleanup(src, func(st *edgesState) { _ = st.close() }, src.state)
	return src, nil
}

// edgeArgs reads the five leading arguments every lanlq table function shares (arch,
// interval_seconds, from, to, streams) into an EdgeSpec; fn names the function in errors.
func edgeArgs(fn string, args []any) (EdgeSpec, error) {
	arch, _ := args[0].(string)
	width, ok := args[1].(int64)
	if !ok || width <= 0 {
		return EdgeSpec{}, fmt.Errorf("%w: %s: interval_seconds must be a positive number, got %v", ErrEdgeSpec, fn, args[1])
	}
	// A NULL bound (or streams) leaves that side open (all streams).
	a := EdgeArgs{Arch: arch, Interval: time.Duration(width) * time.Second}
	a.From, _ = argAt[string](args, 2)
	a.To, _ = argAt[string](args, 3)
	a.Streams, _ = argAt[string](args, 4)
	spec, err := a.Spec()
	if err != nil {
		return EdgeSpec{}, fmt.Errorf("%w: %s: %w", ErrEdgeSpec, fn, err)
	}
	if _, _, err := archText(spec.Arch); err != nil {
		return EdgeSpec{}, err
	}
	return spec, nil
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
	names, err := fork.dictionaryNames(e.ctx)
	if err != nil {
		return fmt.Errorf("engine: %s: %w", TableFuncEdges, err)
	}
	defer names.Release()
	// Copies: the state keeps the names after the Arrow array is released.
	st.names = make([]string, names.Len())
	for i := range st.names {
		st.names[i] = strings.Clone(names.Value(i))
	}
	return nil
}

// batch returns the current edge batch with rows left, opening the next interval's
// reader as needed; nil at the end.
func (e *edgesSource) batch() (arrow.RecordBatch, error) {
	st := e.state
	rec, err := st.batchCursor.batch(func() (array.RecordReader, error) {
		if st.next >= len(st.starts) {
			return nil, nil
		}
		st.next++
		return st.fork.IntervalEdges(e.ctx, e.spec, st.starts[st.next-1])
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %s: %w", TableFuncEdges, err)
	}
	return rec, nil
}

// FillChunk copies up to one chunk of edges, writing only projected columns.
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
	projected := projectedColumns(chunk, 4)
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

// Names of the scoring table functions (SQL macros in sql/tf_scores.sql):
//
//	lanl_scores(arch VARCHAR, interval_seconds BIGINT
//	            [, from_ts, to_ts, streams, roles, train_from, train_to,
//	               expect, half_life, seed, generations])
//	  → the columns of scores.parquet
//	lanl_interval_scores(…the same arguments…) → the columns of interval_scores.parquet
//	lanl_roles(…the same arguments…)           → the columns of roles.parquet
//
// Each call runs Session.Score with the ScoreSpec its arguments describe, on a fork,
// into a private temporary folder, and streams the result file back in the file's
// order; the folder is removed when the scan ends. The scoring runs when the query is
// bound, because the function's columns are the result file's, whatever Score writes
// (so DESCRIBE of a query calling it scores too). The optional arguments may be given
// by name (expect := 'previous').
const (
	TableFuncScores         = "lanl_scores"
	TableFuncIntervalScores = "lanl_interval_scores"
	TableFuncRoles          = "lanl_roles"
)

// resultTable is one result file of Session.Score seen as a table function.
type resultTable struct {
	name, scan string // the macro and the Go scan behind it
	file       string // ScoresFile, …
	// perInterval streams the file one interval at a time (a DuckDB result is
	// materialised before its first batch); order sorts the rows inside an interval,
	// or the whole file when perInterval is false. Both give the file's own order.
	perInterval bool
	order       string
	// columns is the select list over the file: scores.parquet stores no artifact
	// name, which is given back in its place (scoresColumns).
	columns string
}

// scoresColumns reads scores.parquet with the artifact name derived from kind and
// value (the file does not store it: engine/score_rows.go), in its place after
// interval_start; a file that stores it (an earlier lanlq's) reads the same.
const scoresColumns = "interval_start, kind || '::' || value AS artifact, COLUMNS(c -> c NOT IN ('interval_start', 'artifact'))"

var resultTables = []*resultTable{
	{name: TableFuncScores, scan: "lanlq_scores_scan", file: ScoresFile, perInterval: true, order: "score DESC, artifact", columns: scoresColumns},
	{name: TableFuncIntervalScores, scan: "lanlq_interval_scores_scan", file: IntervalScoresFile, order: "interval_start", columns: "*"},
	{name: TableFuncRoles, scan: "lanlq_roles_scan", file: RolesFile, perInterval: true, order: "artifact", columns: "*"},
}

// scoreArgs reads the arguments of a scoring table function into a ScoreSpec.
func scoreArgs(fn string, args []any) (ScoreSpec, error) {
	if _, err := edgeArgs(fn, args); err != nil {
		return ScoreSpec{}, err
	}
	seed, _ := argAt[int64](args, 10)
	if seed < 0 {
		return ScoreSpec{}, fmt.Errorf("%w: %s: seed must not be negative, got %d", ErrScoreSpec, fn, seed)
	}
	// The three functions share one run (lanl_roles among them), and an experiment in
	// SQL is where memberships are explored: they are always computed here.
	a := ScoreArgs{Seed: uint64(seed), Memberships: true}
	a.Edges.Arch, _ = args[0].(string)
	a.Edges.Interval = time.Duration(args[1].(int64)) * time.Second
	a.Edges.From, _ = argAt[string](args, 2)
	a.Edges.To, _ = argAt[string](args, 3)
	a.Edges.Streams, _ = argAt[string](args, 4)
	a.Roles, _ = argAt[string](args, 5)
	a.TrainFrom, _ = argAt[string](args, 6)
	a.TrainTo, _ = argAt[string](args, 7)
	a.Expect, _ = argAt[string](args, 8)
	a.HalfLife, _ = argAt[float64](args, 9)
	gen, _ := argAt[int64](args, 11)
	a.Generations = int(gen)
	a.Method, _ = argAt[string](args, 12)
	a.Components, _ = argAt[string](args, 13)
	a.Novelty, _ = argAt[string](args, 14)
	spec, err := a.Spec()
	if err != nil {
		return ScoreSpec{}, fmt.Errorf("%w: %s: %w", ErrScoreSpec, fn, err)
	}
	return spec, nil
}

// resultSource streams one call of a scoring table function: the result file of a
// Session.Score run made at bind time, one interval (or, for interval scores, the
// whole file) per query on the fork that scored.
type resultSource struct {
	ctx     context.Context
	table   *resultTable
	columns []duckdb.ColumnInfo // the file's
	state   *resultState        // apart from the source for the cleanup, as edgesState
}

type resultState struct {
	batchCursor
	fork   *Session
	dir    string      // the temporary folder Score wrote into
	shared bool        // dir belongs to the session's result cache: the session removes it
	keys   []time.Time // interval starts still to query (perInterval)
	next   int
	done   bool // the last query was opened
}

func (st *resultState) close() error {
	st.release()
	st.done = true
	var errs []error
	if st.fork != nil {
		errs = append(errs, st.fork.Close())
		st.fork = nil
	}
	if st.dir != "" && !st.shared {
		errs = append(errs, os.RemoveAll(st.dir))
	}
	st.dir = ""
	return errors.Join(errs...)
}

// bindResult checks the arguments of a scoring table function, runs the scoring on a
// fork and reads the result file's columns.
func bindResult(ctx context.Context, s *Session, table *resultTable, args []any) (_ duckdb.ChunkTableSource, err error) {
	if ctx == nil {
		ctx = context.Background()
	}
	spec, err := scoreArgs(table.name, args)
	if err != nil {
		return nil, err
	}
	st := &resultState{}
	defer func() {
		if err != nil {
			err = errors.Join(err, st.close())
		}
	}()
	if st.fork, err = s.Fork(ctx); err != nil {
		return nil, err
	}
	// One scoring run per distinct setting and session: an experiment that reads
	// scores, interval scores and roles of the same run scores once.
	key, _ := json.Marshal(spec)
	s.results.mu.Lock()
	defer s.results.mu.Unlock()
	if dir, ok := s.results.dirs[string(key)]; ok {
		st.dir, st.shared = dir, true
	} else {
		if st.dir, err = os.MkdirTemp("", "lanlq-"+table.name+"-"); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", table.name, err)
		}
		if _, err := st.fork.score(ctx, spec, st.dir, nil, false); err != nil {
			return nil, fmt.Errorf("engine: %s: %w", table.name, err)
		}
		if s.results.dirs == nil {
			s.results.dirs = map[string]string{}
		}
		s.results.dirs[string(key)], st.shared = st.dir, true
		s.results.order = append(s.results.order, string(key))
	}
	src := &resultSource{ctx: ctx, table: table, state: st}
	if src.columns, err = src.fileColumns(); err != nil {
		return nil, err
	}
	if table.perInterval {
		if err := src.listIntervals(); err != nil {
			return nil, err
		}
	}
	// As above: a cleanup has no caller to report to.
	runtime.AddCleanup(src, func(st *resultState) { _ = st.close() }, st)
	return src, nil
}

// path returns the result file as a reader's argument (QuoteGlob'd).
func (r *resultSource) path() string { return QuoteGlob(filepath.Join(r.state.dir, r.table.file)) }

// fileColumns maps the result file's Arrow schema to DuckDB columns.
func (r *resultSource) fileColumns() ([]duckdb.ColumnInfo, error) {
	rdr, err := r.state.fork.QueryArrow(r.ctx, "SELECT "+r.table.columns+" FROM read_parquet(?) LIMIT 0", r.path())
	if err != nil {
		return nil, fmt.Errorf("engine: %s: %w", r.table.name, err)
	}
	defer rdr.Release()
	var cols []duckdb.ColumnInfo
	for _, f := range rdr.Schema().Fields() {
		t, err := duckTypeOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("engine: %s: column %s: %w", r.table.name, f.Name, err)
		}
		cols = append(cols, duckdb.ColumnInfo{Name: f.Name, T: t})
	}
	return cols, nil
}

// listIntervals lists the interval starts of the result file, in order.
func (r *resultSource) listIntervals() error {
	rows, err := r.state.fork.Query(r.ctx, "SELECT DISTINCT epoch_us(interval_start) FROM read_parquet(?) ORDER BY 1", r.path())
	if err != nil {
		return fmt.Errorf("engine: %s: %w", r.table.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var us int64
		if err := rows.Scan(&us); err != nil {
			return fmt.Errorf("engine: %s: %w", r.table.name, err)
		}
		r.state.keys = append(r.state.keys, time.UnixMicro(us).UTC())
	}
	return rows.Err()
}

func (r *resultSource) ColumnInfos() []duckdb.ColumnInfo { return r.columns }

func (r *resultSource) Cardinality() *duckdb.CardinalityInfo { return nil }

func (r *resultSource) Init() {}

// batch returns the current batch with rows left, opening the next query as needed;
// nil at the end.
func (r *resultSource) batch() (arrow.RecordBatch, error) {
	st := r.state
	rec, err := st.batchCursor.batch(func() (array.RecordReader, error) {
		if st.done {
			return nil, nil
		}
		q := "SELECT " + r.table.columns + " FROM read_parquet(?)"
		args := []any{r.path()}
		if r.table.perInterval {
			if st.next >= len(st.keys) {
				st.done = true
				return nil, nil
			}
			q += " WHERE interval_start = make_timestamp(CAST(? AS BIGINT))"
			args = append(args, st.keys[st.next].UnixMicro())
			st.next++
		} else {
			st.done = true
		}
		return st.fork.QueryArrow(r.ctx, q+" ORDER BY "+r.table.order, args...)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: %s: %w", r.table.name, err)
	}
	return rec, nil
}

// FillChunk copies up to one chunk of result rows, writing only projected columns.
func (r *resultSource) FillChunk(chunk duckdb.DataChunk) (err error) {
	st := r.state
	defer func() {
		if err != nil {
			err = errors.Join(err, st.close())
		}
	}()
	projected := projectedColumns(chunk, len(r.columns))
	capacity := duckdb.GetDataChunkCapacity()
	n := 0
	for n < capacity {
		rec, err := r.batch()
		if err != nil {
			return err
		}
		if rec == nil {
			break
		}
		if int(rec.NumCols()) != len(projected) {
			return fmt.Errorf("engine: %s: %d columns in %s, bound with %d", r.table.name, rec.NumCols(), r.table.file, len(projected))
		}
		for ; st.row < int(rec.NumRows()) && n < capacity; st.row, n = st.row+1, n+1 {
			for col, ok := range projected {
				if !ok {
					continue
				}
				v, err := arrowValue(rec.Column(col), st.row)
				if err != nil {
					return fmt.Errorf("engine: %s: column %s: %w", r.table.name, r.columns[col].Name, err)
				}
				if err := duckdb.SetChunkValue(chunk, col, n, v); err != nil {
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

// duckTypeOf returns the DuckDB type of an Arrow type DuckDB exports for result
// files' columns.
func duckTypeOf(dt arrow.DataType) (duckdb.TypeInfo, error) {
	var t duckdb.Type
	switch dt := dt.(type) {
	case *arrow.TimestampType:
		t = duckdb.TYPE_TIMESTAMP
		if dt.TimeZone != "" {
			t = duckdb.TYPE_TIMESTAMP_TZ
		}
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		t = duckdb.TYPE_VARCHAR
	case *arrow.Float64Type:
		t = duckdb.TYPE_DOUBLE
	case *arrow.Float32Type:
		t = duckdb.TYPE_FLOAT
	case *arrow.BooleanType:
		t = duckdb.TYPE_BOOLEAN
	case *arrow.Int16Type:
		t = duckdb.TYPE_SMALLINT
	case *arrow.Int32Type:
		t = duckdb.TYPE_INTEGER
	case *arrow.Int64Type:
		t = duckdb.TYPE_BIGINT
	case *arrow.ListType:
		child, err := duckTypeOf(dt.Elem())
		if err != nil {
			return nil, err
		}
		return duckdb.NewListInfo(child)
	default:
		return nil, fmt.Errorf("unsupported Arrow type %s", dt)
	}
	return duckdb.NewTypeInfo(t)
}

// arrowValue returns row i of a result column as duckdb-go takes it: nil for NULL,
// time.Time, string, a number, bool, []float64 or []any.
func arrowValue(col arrow.Array, i int) (any, error) {
	if col.IsNull(i) {
		return nil, nil
	}
	switch c := col.(type) {
	case *array.Timestamp:
		return c.Value(i).ToTime(c.DataType().(*arrow.TimestampType).Unit), nil
	case *array.String:
		return c.Value(i), nil
	case *array.LargeString:
		return c.Value(i), nil
	case *array.StringView:
		return c.Value(i), nil
	case *array.Float64:
		return c.Value(i), nil
	case *array.Float32:
		return c.Value(i), nil
	case *array.Boolean:
		return c.Value(i), nil
	case *array.Int16:
		return c.Value(i), nil
	case *array.Int32:
		return c.Value(i), nil
	case *array.Int64:
		return c.Value(i), nil
	case *array.List:
		lo, hi := c.ValueOffsets(i)
		if values, ok := c.ListValues().(*array.Float64); ok && values.NullN() == 0 {
			return slices.Clone(values.Float64Values()[lo:hi]), nil
		}
		out := make([]any, 0, hi-lo)
		for j := lo; j < hi; j++ {
			v, err := arrowValue(c.ListValues(), int(j))
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported Arrow type %s", col.DataType())
}
