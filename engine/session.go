package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/lanlq/lanlq/lanl"
)

// Options configures a DuckDB session.
type Options struct {
	// MemoryLimit bounds DuckDB's buffer manager ("2GB", "500MB"); empty means
	// DefaultMemoryLimit. DuckDB spills to TempDir beyond it.
	MemoryLimit string
	// Threads is DuckDB's worker count; 0 means the number of CPUs.
	Threads int
	// TempDir is where DuckDB spills; empty means a private folder under the
	// system's temporary directory ($TMPDIR), removed by Close. (DuckDB's own default
	// for an in-memory database, .tmp in the working directory, is shared by every
	// process started there: two lanlq runs in one folder then read and delete each
	// other's spill files, and fail with "Could not read enough bytes".)
	TempDir string
	// SequentialScore makes Score build each interval's graph only when its turn
	// comes, instead of one interval ahead beside the scoring (the default): the
	// same results, for measuring what the overlap gains on a given machine (it fills
	// idle cores; on a loaded machine it only adds contention).
	SequentialScore bool
}

// DefaultMemoryLimit keeps DuckDB well inside lanlq's 2 GB peak-RSS budget for
// ingest: the Go side and DuckDB's non-buffer allocations need room too.
const DefaultMemoryLimit = "1GB"

// DefaultScoreMemoryLimit is lanlq score's DuckDB memory limit: half the others',
// since score's Go side holds about 2 GB at its peak on a LANL-rate day (graphs, the
// components' state, GC headroom) and DuckDB's part comes on top of it. Score's
// DuckDB work is the intervals' edge queries and the small result files
// (scores.parquet and roles.parquet are written from Go), which fit (BENCHMARKS.md,
// "score's DuckDB memory" and "scores.parquet streamed from Go").
const DefaultScoreMemoryLimit = "512MB"

// Session is one DuckDB connection with lanlq's views over a data directory. All
// statements run on the same connection, so SET VARIABLE and temporary objects
// persist between calls. A Session is not safe for concurrent use.
type Session struct {
	connector *duckdb.Connector
	db        *sql.DB
	conn      *sql.Conn
	arrow     *duckdb.Arrow
	dataDir   string
	// man is the data folder's manifest as read at Open, and streamDirs the generation
	// folder of each of its streams: the session reads that snapshot for its whole
	// life, whatever an ingest publishes meanwhile (readLock keeps the generations
	// from being removed; see lock.go).
	man        manifest
	streamDirs map[string]string
	readLock   *fileLock
	spill      *spillDir // the private TempDir the session created; Close removes it
	closed     bool
	forked     bool // shares its parent's database: Close closes only the connection
	sequential bool // Options.SequentialScore
	// goDictionary is artifact_dictionary as Go maps for the Go tuple source (nil
	// until it needs them; PrepareArtifacts drops them), and goCollapse its buffers.
	// sqlTuples sends every tuple query to DuckDB (the tests' reference).
	goDictionary *goDictionary
	goCollapse   goCollapse
	sqlTuples    bool
	// labels is the labels file UseLabels loaded into lanlq_labels ("" for none):
	// evaluations then take their positives from it instead of the redteam stream.
	labels string
	// results caches the scoring runs of lanl_scores and friends by their settings
	// (temporary folders, removed by Close). order lists the settings in the order the
	// runs were made, so that ScoringRuns (and the experiment.json of lanlq run, which
	// must be the same on a rerun) does not depend on map order.
	results struct {
		mu    sync.Mutex
		dirs  map[string]string
		order []string
	}
}

// NewSession opens an in-memory DuckDB with the given options and no views.
func NewSession(ctx context.Context, opts Options) (*Session, error) {
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		return nil, fmt.Errorf("engine: open duckdb: %w", err)
	}
	s := &Session{connector: connector, db: sql.OpenDB(connector), sequential: opts.SequentialScore}
	s.conn, err = s.db.Conn(ctx)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("engine: connect: %w", err), s.Close())
	}
	err = s.conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		s.arrow = a
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("engine: arrow interface: %w", err), s.Close())
	}
	if err := s.configure(ctx, opts); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	if err := registerTableFuncs(ctx, s); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

func (s *Session) configure(ctx context.Context, opts Options) error {
	mem := opts.MemoryLimit
	if mem == "" {
		mem = DefaultMemoryLimit
	}
	threads := opts.Threads
	if threads <= 0 {
		threads = runtime.NumCPU()
	}
	stmts := []string{
		fmt.Sprintf("SET memory_limit = '%s'", escapeLiteral(mem)),
		fmt.Sprintf("SET threads = %d", threads),
		// Only bundled extensions exist here; never try to download one.
		"SET autoinstall_known_extensions = false",
		"SET autoload_known_extensions = true",
	}
	tmp := opts.TempDir
	if tmp == "" {
		// An empty folder is cheap: DuckDB writes into it only when it spills.
		d, err := newSpillDir()
		if err != nil {
			return err
		}
		s.spill, tmp = d, d.path
	}
	stmts = append(stmts, fmt.Sprintf("SET temp_directory = '%s'", escapeLiteral(tmp)))
	for _, q := range stmts {
		if _, err := s.conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("engine: %s: %w", q, err)
		}
	}
	return nil
}

// Open opens a session with lanlq's views (one per stream, plus rejects) over the
// ingested data in dataDir. Streams never ingested have empty views of the right
// schema, so queries keep working on partial data sets.
func Open(ctx context.Context, dataDir string, opts Options) (*Session, error) {
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if st, err := os.Stat(abs); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("%w: %s", ErrNoData, dataDir)
	}
	if err := checkDataFolder(abs, dataDir); err != nil {
		return nil, err
	}
	if err := checkPathChars("data", abs); err != nil {
		return nil, err
	}
	// The shared lock first, then the manifest: an ingest removes the generations it
	// replaced only while no reader holds the lock.
	// In a read-only data folder this fails, and lockShared then holds no lock (no
	// ingest can write there either).
	_ = os.MkdirAll(filepath.Join(abs, internalDir), 0o755)
	readLock, err := lockShared(filepath.Join(abs, internalDir, readLockName))
	if err != nil {
		return nil, err
	}
	m, err := readManifest(abs)
	if err == nil && m.Version != 0 && m.Version != formatVersion {
		// Another layout: its partitions would not be found, and queries would
		// silently see no rows.
		err = fmt.Errorf("%w: %s was written by another lanlq (data layout %d, this one reads %d); run lanlq ingest again",
			ErrNoData, dataDir, m.Version, formatVersion)
	}
	if err != nil {
		return nil, errors.Join(err, readLock.Unlock())
	}
	s, err := NewSession(ctx, opts)
	if err != nil {
		return nil, errors.Join(err, readLock.Unlock())
	}
	s.dataDir, s.man, s.readLock = abs, m, readLock
	s.streamDirs = map[string]string{}
	for _, st := range lanl.Streams {
		s.streamDirs[st.Name] = filepath.Join(abs, st.Name)
		if sr, ok := m.Streams[st.Name]; ok && sr.Generation != "" {
			// The generation the manifest names, not the symlink: ingest swaps the
			// symlink before it rewrites the manifest.
			s.streamDirs[st.Name] = filepath.Join(abs, internalDir, "gen", sr.Generation)
		}
	}
	if err := s.createViews(ctx); err != nil {
		return nil, errors.Join(err, s.Close())
	}
	return s, nil
}

// checkDataFolder refuses a folder that lanlq ingest did not write (no lanlq.json, no
// ingest under way):
// queries over it would answer "0 rows" and scoring would write its caches into it.
// name is the folder as the user gave it.
func checkDataFolder(abs, name string) error {
	if _, err := os.Stat(filepath.Join(abs, manifestName)); err == nil {
		return nil
	}
	if st, err := os.Stat(filepath.Join(abs, internalDir, "work")); err == nil && st.IsDir() {
		// An ingest that has not published its first stream yet: empty views.
		return nil
	}
	if inputs, err := discoverInputs(abs); err == nil && len(inputs) > 0 {
		return fmt.Errorf("%w: %s holds raw LANL files, not ingested data — run `lanlq ingest --raw %s --data DATA` and give --data DATA",
			ErrNotData, name, name)
	}
	return fmt.Errorf("%w: %s has no %s — run `lanlq ingest --raw RAW --data %s` first", ErrNotData, name, manifestName, name)
}

// Fork opens another connection to the same database, so that two statements can
// run at once (one per goroutine). Views and tables are shared; SET VARIABLE and
// temporary objects are not. Close the fork before its parent.
func (s *Session) Fork(ctx context.Context) (*Session, error) {
	f := &Session{connector: s.connector, db: s.db, dataDir: s.dataDir, man: s.man, streamDirs: s.streamDirs, forked: true, sequential: s.sequential}
	var err error
	f.conn, err = s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("engine: connect: %w", err)
	}
	err = f.conn.Raw(func(dc any) error {
		a, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		f.arrow = a
		return err
	})
	if err != nil {
		return nil, errors.Join(fmt.Errorf("engine: arrow interface: %w", err), f.conn.Close())
	}
	return f, nil
}

// streamDir returns the folder of a stream's partitions that the session reads.
func (s *Session) streamDir(stream string) string {
	if d, ok := s.streamDirs[stream]; ok {
		return d
	}
	return filepath.Join(s.dataDir, stream)
}

// manifest returns the data folder's manifest as the session read it at Open.
func (s *Session) manifest() (manifest, error) {
	if s.dataDir == "" {
		return manifest{}, ErrNoData
	}
	return s.man, nil
}

// fingerprint identifies the content of the session's data (see
// manifest.fingerprint); "" for a session without a data folder.
func (s *Session) fingerprint() (string, error) {
	if s.dataDir == "" {
		return "", nil
	}
	return s.man.fingerprint(), nil
}

// DataDir returns the absolute data directory of the session ("" for NewSession).
func (s *Session) DataDir() string { return s.dataDir }

// Exec runs one or more statements that return no rows.
func (s *Session) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.conn.ExecContext(ctx, query, args...)
	return err
}

// Query runs a query through database/sql; use it for small results. For large ones
// use QueryArrow.
func (s *Session) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.conn.QueryContext(ctx, query, args...)
}

// QueryRow runs a query expected to return at most one row.
func (s *Session) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return s.conn.QueryRowContext(ctx, query, args...)
}

// QueryArrow runs a query and returns its result as Arrow record batches. The caller
// must Release the reader. DuckDB materialises the result before the first batch, so
// keep each query to one interval's worth of rows.
func (s *Session) QueryArrow(ctx context.Context, query string, args ...any) (array.RecordReader, error) {
	return s.arrow.QueryContext(ctx, query, args...)
}

// RegisterArrow makes rdr scannable as a view called name (once: an Arrow stream is
// consumed by the scan). Call release after the last query that reads the view.
func (s *Session) RegisterArrow(rdr array.RecordReader, name string) (release func(), err error) {
	return s.arrow.RegisterView(rdr, name)
}

// insertRecord registers rec as the view name and runs query, which reads it once.
func (s *Session) insertRecord(ctx context.Context, rec arrow.RecordBatch, name, query string) error {
	rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer rdr.Release()
	release, err := s.RegisterArrow(rdr, name)
	if err != nil {
		return fmt.Errorf("engine: register %s: %w", name, err)
	}
	defer release()
	if err := s.Exec(ctx, query); err != nil {
		return fmt.Errorf("engine: %s: %w", name, err)
	}
	return nil
}

// ScoringRuns returns the experiment of every scoring run the session's table
// functions (lanl_scores and friends) have made so far, in the order they were made;
// calls with the settings of an earlier run read that run and add none. RunExperiment
// records them, so that an experiment's results say which interval, method and warm-up
// produced them. A fork's calls run in its parent, so a fork returns none.
func (s *Session) ScoringRuns() ([]Experiment, error) {
	s.results.mu.Lock()
	defer s.results.mu.Unlock()
	runs := make([]Experiment, 0, len(s.results.order))
	for _, key := range s.results.order {
		path := filepath.Join(s.results.dirs[key], ExperimentFile)
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("engine: scoring run: %w", err)
		}
		var exp Experiment
		if err := json.Unmarshal(b, &exp); err != nil {
			return nil, fmt.Errorf("engine: scoring run %s: %w", path, err)
		}
		runs = append(runs, exp)
	}
	return runs, nil
}

// Close closes the connection and the database. It is safe to call twice.
func (s *Session) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	if s.conn != nil {
		errs = append(errs, s.conn.Close())
	}
	if s.forked {
		return errors.Join(errs...)
	}
	s.results.mu.Lock()
	for _, dir := range s.results.dirs {
		errs = append(errs, os.RemoveAll(dir))
	}
	s.results.dirs, s.results.order = nil, nil
	s.results.mu.Unlock()
	if s.db != nil {
		errs = append(errs, s.db.Close())
	}
	if s.connector != nil {
		errs = append(errs, s.connector.Close())
	}
	if s.spill != nil {
		errs = append(errs, s.spill.close())
	}
	errs = append(errs, s.readLock.Unlock())
	return errors.Join(errs...)
}

// escapeLiteral doubles single quotes for use inside a SQL string literal.
func escapeLiteral(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' {
			out = append(out, '\'')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// DuckDBVersion returns the version and source id of the DuckDB library lanlq is
// linked with ("v1.5.6 (abcdef1234)").
func DuckDBVersion(ctx context.Context) (string, error) {
	s, err := NewSession(ctx, Options{})
	if err != nil {
		return "", err
	}
	defer s.Close()
	var v, id string
	if err := s.QueryRow(ctx, "SELECT library_version, source_id FROM pragma_version()").Scan(&v, &id); err != nil {
		return "", fmt.Errorf("engine: duckdb version: %w", err)
	}
	return v + " (" + id + ")", nil
}
