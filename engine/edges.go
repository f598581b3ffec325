package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
	lsql "github.com/lanlq/lanlq/sql"
)

// DefaultEdgeInterval is the interval width when EdgeSpec.Interval is zero.
const DefaultEdgeInterval = time.Hour

// Built-in graph architectures (sql/arch_<name>.sql).
const (
	ArchNotebook = "notebook"
	ArchEntity   = "entity"
)

// EdgeSpec selects the per-interval co-occurrence graphs to build.
type EdgeSpec struct {
	// Arch is the graph architecture: "notebook" (the default when empty), "entity",
	// or the path of a SQL file that creates the artifact_columns view (see
	// sql/arch_notebook.sql for the contract).
	Arch string
	// Interval is the interval width, a whole number of seconds; zero means 1 hour.
	Interval time.Duration
	// From and To bound the time frame [From, To) on event times; a zero value leaves
	// that side open. Intervals cut by the frame hold only the events inside it.
	From, To time.Time
	// Streams limits the streams whose events make edges; empty means every stream the
	// architecture covers.
	Streams []string
}

// edgeCol is one artifact column of a stream as the SQL templates see it.
type edgeCol struct {
	I       int    // position in the stream's tuple
	Kind    string // escaped for a SQL string literal
	rawKind string // as written
	Expr    string
	// Same lists the earlier positions of the same kind: their ids may equal this one's,
	// and a repeat is nulled so that an event is a set of artifacts.
	Same []int
}

type edgePair struct{ I, J int }

// groupPair is a column pair (I, J) of Stream's tuple inside a kind-pair group.
type groupPair struct {
	Stream string
	I, J   int
}

type edgeStream struct {
	Name  string
	Cols  []edgeCol
	Pairs []edgePair
	// Source is the relation edges.sql reads the stream's events from: its view, or
	// (for one interval of an ingested data directory) edges_source.sql over the
	// partitions that overlap the interval, aliased as the view.
	Source string
}

// edgePlan is a spec resolved against the prepared architecture.
type edgePlan struct {
	arch    string // lanlq_arch's key of the architecture
	width   int64  // seconds
	lo, hi  *int64
	streams []edgeStream // selected streams with at least one pair of columns
	// groups are the column pairs of all selected streams, grouped by their unordered
	// pair of kinds: groups never share an edge (an id has one kind).
	groups [][]groupPair
	// streamDirs (the generation folders the session pinned, by stream) and
	// partWidth (seconds) locate the ingest partitions of an Open session; partWidth
	// is 0 when events must be read through the views.
	streamDirs map[string]string
	partWidth  int64
}

// PrepareArtifacts runs the spec's architecture and builds the artifact dictionary, the
// session's temporary table artifact_dictionary(id BIGINT, name VARCHAR, kind VARCHAR,
// value VARCHAR). The dictionary covers the whole data set and every stream of the
// architecture, whatever spec's frame and streams, so ids are the same in every
// interval and every session over the same data. Intervals, IntervalEdges and
// ExportEdges call it themselves when the session has no dictionary for spec.Arch.
func (s *Session) PrepareArtifacts(ctx context.Context, spec EdgeSpec) error {
	text, key, err := archText(spec.Arch)
	if err != nil {
		return err
	}
	s.goDictionary = nil
	if err := s.Exec(ctx, "DROP VIEW IF EXISTS artifact_columns; DROP TABLE IF EXISTS artifact_columns"); err != nil {
		return fmt.Errorf("engine: architecture %s: %w", spec.Arch, err)
	}
	if err := s.Exec(ctx, text); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrArch, archName(spec.Arch), err)
	}
	load, err := edgeRender("arch_load.sql", struct{ Key string }{escapeLiteral(key)})
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, load); err != nil {
		return fmt.Errorf("%w: %s: artifact_columns(stream, kind, expr): %w", ErrArch, archName(spec.Arch), err)
	}
	cols, err := s.archColumns(ctx, false)
	if err != nil {
		return err
	}
	if len(cols) == 0 {
		return fmt.Errorf("%w: %s: artifact_columns is empty", ErrArch, archName(spec.Arch))
	}
	var data struct{ Streams []edgeStream }
	for _, c := range cols {
		if st, ok := lanl.StreamByName(c.stream); !ok || st.Name == "redteam" {
			return fmt.Errorf("%w: %s: stream %q is not one of auth, proc, flows, dns", ErrArch, archName(spec.Arch), c.stream)
		}
		if c.kind == "" || strings.TrimSpace(c.expr) == "" {
			return fmt.Errorf("%w: %s: stream %s: empty kind or expr", ErrArch, archName(spec.Arch), c.stream)
		}
		n := len(data.Streams)
		if n == 0 || data.Streams[n-1].Name != c.stream {
			data.Streams = append(data.Streams, edgeStream{Name: c.stream})
			n++
		}
		cols := &data.Streams[n-1].Cols
		*cols = append(*cols, edgeCol{I: len(*cols), Kind: escapeLiteral(c.kind), Expr: c.expr})
	}
	q, err := edgeRender("artifacts.sql", data)
	if err != nil {
		return err
	}
	cache := s.dictionaryCache(q)
	if cache != "" {
		if _, err := os.Stat(cache); err == nil {
			err := s.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE TEMP TABLE artifact_dictionary AS SELECT * FROM read_parquet('%s') ORDER BY id", readLiteral(cache)))
			if err == nil {
				q = "" // loaded from the cache
			}
		}
	}
	if q != "" {
		if err := s.Exec(ctx, q); err != nil {
			return fmt.Errorf("engine: artifact dictionary (%s): %w", archName(spec.Arch), err)
		}
		if cache != "" {
			s.saveDictionary(ctx, cache)
		}
	}
	// edges.sql packs a pair of ids into one BIGINT.
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM artifact_dictionary").Scan(&n); err != nil {
		return fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	if n >= 1<<31 {
		return fmt.Errorf("%w: %s: %d artifacts, more than 2^31", ErrArch, archName(spec.Arch), n)
	}
	return nil
}

// dictionaryCache returns where the dictionary built by query q over this session's
// data directory is cached: DATA/.lanlq/dict/<hash of q and the data's fingerprint>.
// parquet, or "" when the session has no data directory. Building the dictionary
// scans the whole data set (minutes on the full LANL set); the cache makes every
// later run over the same ingest and architecture skip it, and a new ingest changes
// the fingerprint, so a stale dictionary is never used.
func (s *Session) dictionaryCache(q string) string {
	if s.dataDir == "" {
		return ""
	}
	fp, err := s.fingerprint()
	if err != nil || fp == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(fp + "\n" + q))
	return filepath.Join(s.dataDir, internalDir, "dict", hex.EncodeToString(sum[:12])+".parquet")
}

// saveDictionary writes artifact_dictionary to path atomically. It is best effort: a
// read-only data directory only costs the next run a rebuild.
func (s *Session) saveDictionary(ctx context.Context, path string) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return
	}
	tmp := path + ".tmp"
	q := fmt.Sprintf("COPY (SELECT * FROM artifact_dictionary ORDER BY id) TO '%s' (FORMAT parquet, COMPRESSION zstd)", escapeLiteral(tmp))
	if err := s.Exec(ctx, q); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
	}
}

type archColumn struct {
	arch, stream, kind, expr string
	pos                      int
}

// archColumns reads lanlq_arch. With prepared set it returns nil unless the dictionary
// was built too, i.e. unless PrepareArtifacts completed.
func (s *Session) archColumns(ctx context.Context, prepared bool) ([]archColumn, error) {
	if prepared {
		var n int
		err := s.QueryRow(ctx, `SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('lanlq_arch', 'artifact_dictionary') AND temporary`).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		if n < 2 {
			return nil, nil
		}
	}
	rows, err := s.Query(ctx, `SELECT arch, stream, kind, expr, pos FROM lanlq_arch ORDER BY stream, pos`)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	defer rows.Close()
	var cols []archColumn
	for rows.Next() {
		var c archColumn
		var kind, expr *string
		if err := rows.Scan(&c.arch, &c.stream, &kind, &expr, &c.pos); err != nil {
			return nil, fmt.Errorf("engine: %w", err)
		}
		if kind != nil {
			c.kind = *kind
		}
		if expr != nil {
			c.expr = *expr
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// plan validates spec, prepares its architecture if the session has not, and resolves
// the streams, their columns and pairs.
func (s *Session) plan(ctx context.Context, spec EdgeSpec) (*edgePlan, error) {
	width := spec.Interval
	if width == 0 {
		width = DefaultEdgeInterval
	}
	if width < time.Second || width%time.Second != 0 {
		return nil, fmt.Errorf("%w: interval %v is not a positive whole number of seconds", ErrEdgeSpec, spec.Interval)
	}
	p := &edgePlan{width: int64(width / time.Second)}
	if !spec.From.IsZero() {
		lo := ceilSeconds(spec.From.Sub(lanl.Origin))
		p.lo = &lo
	}
	if !spec.To.IsZero() {
		hi := ceilSeconds(spec.To.Sub(lanl.Origin))
		p.hi = &hi
	}
	if p.lo != nil && p.hi != nil && *p.hi <= *p.lo {
		return nil, fmt.Errorf("%w: empty time frame [%s, %s)", ErrEdgeSpec, spec.From.Format(time.DateTime), spec.To.Format(time.DateTime))
	}
	if s.dataDir != "" {
		if m, err := s.manifest(); err == nil && m.IntervalSeconds > 0 {
			p.streamDirs, p.partWidth = s.streamDirs, m.IntervalSeconds
		}
	}
	_, key, err := archText(spec.Arch)
	if err != nil {
		return nil, err
	}
	cols, err := s.archColumns(ctx, true)
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 || cols[0].arch != key {
		if err := s.PrepareArtifacts(ctx, spec); err != nil {
			return nil, err
		}
		if cols, err = s.archColumns(ctx, true); err != nil {
			return nil, err
		}
	}
	p.arch = cols[0].arch
	byStream := map[string][]archColumn{}
	for _, c := range cols {
		byStream[c.stream] = append(byStream[c.stream], c)
	}
	names := spec.Streams
	if len(names) == 0 {
		for _, st := range lanl.Streams {
			if _, ok := byStream[st.Name]; ok {
				names = append(names, st.Name)
			}
		}
	}
	seen := map[string]bool{}
	group := map[string]int{}
	for _, name := range names {
		if seen[name] {
			continue
		}
		seen[name] = true
		sc, ok := byStream[name]
		if !ok {
			return nil, fmt.Errorf("%w: stream %q is not in architecture %s", ErrEdgeSpec, name, archName(spec.Arch))
		}
		es := edgeStream{Name: name, Source: name}
		for i, c := range sc {
			col := edgeCol{I: i, Kind: escapeLiteral(c.kind), rawKind: c.kind, Expr: c.expr}
			for h := range i {
				if sc[h].kind == c.kind {
					col.Same = append(col.Same, h)
				}
			}
			es.Cols = append(es.Cols, col)
			for h := range i {
				es.Pairs = append(es.Pairs, edgePair{h, i})
			}
		}
		if len(es.Pairs) > 0 {
			p.streams = append(p.streams, es)
		}
		for _, pr := range es.Pairs {
			k1, k2 := sc[pr.I].kind, sc[pr.J].kind
			if k1 > k2 {
				k1, k2 = k2, k1
			}
			key := k1 + "\x00" + k2
			g, ok := group[key]
			if !ok {
				g = len(p.groups)
				group[key] = g
				p.groups = append(p.groups, nil)
			}
			p.groups[g] = append(p.groups[g], groupPair{name, pr.I, pr.J})
		}
	}
	return p, nil
}

// clip intersects [lo, hi) (nil: open) with the spec's frame.
func (p *edgePlan) clip(lo, hi *int64) (*int64, *int64) {
	if lo == nil || (p.lo != nil && *p.lo > *lo) {
		lo = p.lo
	}
	if hi == nil || (p.hi != nil && *p.hi < *hi) {
		hi = p.hi
	}
	return lo, hi
}

// frame renders the WHERE condition on time for [lo, hi) clipped to the spec's frame.
func (p *edgePlan) frame(lo, hi *int64) string {
	lo, hi = p.clip(lo, hi)
	var conds []string
	if lo != nil {
		conds = append(conds, fmt.Sprintf("time >= %d", *lo))
	}
	if hi != nil {
		conds = append(conds, fmt.Sprintf("time < %d", *hi))
	}
	if len(conds) == 0 {
		return "true"
	}
	return strings.Join(conds, " AND ")
}

// sources returns the streams with Source set to read only the ingest partitions
// that overlap [lo, hi) (clipped to the frame), when the session reads an ingested
// data directory; otherwise the streams as they are.
func (p *edgePlan) sources(lo, hi int64) ([]edgeStream, error) {
	if p.partWidth == 0 {
		return p.streams, nil
	}
	l, h := p.clip(&lo, &hi)
	if *h <= *l {
		return p.streams, nil
	}
	out := slices.Clone(p.streams)
	for i := range out {
		st, _ := lanl.StreamByName(out[i].Name)
		var files []string
		for k := lanl.FloorDiv(*l, p.partWidth); k*p.partWidth < *h; k++ {
			dir := filepath.Join(p.streamDirs[st.Name], lanl.PartitionDir(k*p.partWidth))
			if _, err := os.Stat(dir); err == nil {
				files = append(files, "'"+escapeLiteral(filepath.Join(QuoteGlob(dir), "*.parquet"))+"'")
			}
		}
		if len(files) == 0 {
			out[i].Source = fmt.Sprintf("(SELECT * FROM %s WHERE false) AS %s", st.Name, st.Name)
			continue
		}
		src, err := edgeRender("edges_source.sql", struct {
			Files   string
			Columns []lanl.Column
		}{strings.Join(files, ", "), st.Columns})
		if err != nil {
			return nil, err
		}
		out[i].Source = stripComments(src) + " AS " + st.Name
	}
	return out, nil
}

// stripComments drops the whole-line comments of a rendered fragment that is
// inlined several times into one query.
func stripComments(sql string) string {
	var b strings.Builder
	for line := range strings.Lines(sql) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
		}
	}
	return strings.TrimSpace(b.String())
}

// Intervals returns the starts, ascending, of the intervals of spec that hold at least
// one event of its streams inside its frame.
func (s *Session) Intervals(ctx context.Context, spec EdgeSpec) ([]time.Time, error) {
	p, err := s.plan(ctx, spec)
	if err != nil {
		return nil, err
	}
	if len(p.streams) == 0 {
		return nil, nil
	}
	if starts, ok := p.partitionIntervals(); ok {
		return starts, nil
	}
	return s.queryIntervals(ctx, p)
}

// queryIntervals is Intervals asked of DuckDB: the distinct intervals of every row's time.
func (s *Session) queryIntervals(ctx context.Context, p *edgePlan) ([]time.Time, error) {
	q, err := edgeRender("edges_intervals.sql", struct {
		Width   int64
		Frame   string
		Streams []edgeStream
	}{p.width, p.frame(nil, nil), p.streams})
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("engine: intervals: %w", err)
	}
	defer rows.Close()
	var starts []time.Time
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("engine: intervals: %w", err)
		}
		starts = append(starts, lanl.Origin.Add(time.Duration(k*p.width)*time.Second))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: intervals: %w", err)
	}
	return starts, nil
}

// partitionIntervals is Intervals read off the ingest's partition folders instead of
// the time column of every row: an ingest partition exists only where it holds rows,
// so where each scored interval is a whole number of partitions and the frame's ends
// fall on partition boundaries, the intervals holding events are those of the
// partitions inside the frame. ok is false where that does not hold (or a folder
// cannot be read); Intervals then asks DuckDB.
func (p *edgePlan) partitionIntervals() (starts []time.Time, ok bool) {
	pw := p.partWidth
	if pw <= 0 || p.width%pw != 0 || (p.lo != nil && *p.lo%pw != 0) || (p.hi != nil && *p.hi%pw != 0) {
		return nil, false
	}
	ks := map[int64]bool{}
	for _, st := range p.streams {
		dir, ok := p.streamDirs[st.Name]
		if !ok {
			return nil, false
		}
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a stream never ingested: its view is empty
		}
		if err != nil {
			return nil, false
		}
		for _, e := range entries {
			v, isPart := strings.CutPrefix(e.Name(), "interval_start=")
			if !isPart {
				continue
			}
			t, err := time.ParseInLocation(time.DateTime, v, time.UTC)
			if err != nil || !e.IsDir() {
				return nil, false
			}
			start := int64(t.Sub(lanl.Origin) / time.Second)
			if (p.lo != nil && start < *p.lo) || (p.hi != nil && start >= *p.hi) {
				continue
			}
			if files, err := globIn(filepath.Join(dir, e.Name()), "*.parquet"); err != nil || len(files) == 0 {
				return nil, false
			}
			ks[lanl.FloorDiv(start, p.width)] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(ks)) {
		starts = append(starts, lanl.Origin.Add(time.Duration(k*p.width)*time.Second))
	}
	return starts, true
}

// edgesSQL renders the edge query of the interval starting at start.
func (p *edgePlan) edgesSQL(start time.Time) (string, error) { return p.intervalSQL(start, false) }

// tuplesSQL renders the tuple query of the interval starting at start: edges.sql with
// its tuples ending.
func (p *edgePlan) tuplesSQL(start time.Time) (string, error) { return p.intervalSQL(start, true) }

func (p *edgePlan) intervalSQL(start time.Time, tuples bool) (string, error) {
	off := start.Sub(lanl.Origin)
	if off%time.Second != 0 || int64(off/time.Second)%p.width != 0 {
		return "", fmt.Errorf("%w: %s is not the start of a %ds interval", ErrEdgeSpec, start.Format(time.DateTime), p.width)
	}
	lo := int64(off / time.Second)
	hi := lo + p.width
	streams, err := p.sources(lo, hi)
	if err != nil {
		return "", err
	}
	var width []int // the tuple columns: as many as the widest stream has
	for _, st := range streams {
		for len(width) < len(st.Cols) {
			width = append(width, len(width))
		}
	}
	return edgeRender("edges.sql", struct {
		Start     string
		Frame     string
		Streams   []edgeStream
		Groups    [][]groupPair
		Tuples    bool
		TupleCols []int
	}{start.UTC().Format(time.DateTime), p.frame(&lo, &hi), streams, p.groups, tuples, width})
}

// IntervalEdges returns the edge list of the interval starting at start (which must be
// an interval boundary of spec) as Arrow batches with columns interval_start
// TIMESTAMP, a BIGINT, b BIGINT, weight BIGINT: a < b are artifact_dictionary ids and
// weight is the number of events, all selected streams summed, whose artifact set
// holds both. Rows come in no particular order. The caller must Release the reader.
func (s *Session) IntervalEdges(ctx context.Context, spec EdgeSpec, start time.Time) (array.RecordReader, error) {
	p, err := s.plan(ctx, spec)
	if err != nil {
		return nil, err
	}
	if len(p.streams) == 0 {
		return nil, fmt.Errorf("%w: no selected stream has two artifact columns", ErrEdgeSpec)
	}
	q, err := p.edgesSQL(start)
	if err != nil {
		return nil, err
	}
	rdr, err := s.QueryArrow(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("engine: edges of %s: %w", start.Format(time.DateTime), err)
	}
	return rdr, nil
}

// IntervalGraph returns the co-occurrence graph of the interval starting at start
// (which must be an interval boundary of spec): the graph of IntervalEdges' edge list,
// vertex ids the artifact_dictionary ids. It is built another way, faster: from the
// interval's distinct event tuples of artifact ids with their multiplicities (a few
// times fewer rows than edges; intervalTuples: read in Go from the partitions where
// it can, else edges.sql's tuples ending), and
// graphkit.GraphFromTuples expands each tuple into its clique and sums the weights
// straight into the CSR. An interval without edges gives an empty graph. b holds the
// work buffers, reused when the caller builds many graphs with the same b (a scoring
// run keeps one); nil builds with buffers for this call alone.
func (s *Session) IntervalGraph(ctx context.Context, spec EdgeSpec, start time.Time, b *graphkit.TupleBuilder) (*graphkit.Graph, error) {
	return s.intervalGraph(ctx, spec, start, b, nil)
}

// intervalGraph is IntervalGraph, copying the interval's tuples into keep when it is
// not nil (for the scorers that read events, not only the graph).
func (s *Session) intervalGraph(ctx context.Context, spec EdgeSpec, start time.Time, b *graphkit.TupleBuilder, keep *graphkit.Tuples) (*graphkit.Graph, error) {
	if b == nil {
		b = new(graphkit.TupleBuilder)
	}
	if err := s.intervalTuples(ctx, spec, start, b); err != nil {
		return nil, err
	}
	return buildIntervalGraph(start, b, keep)
}

// intervalTuples adds the tuples of the interval starting at start to b: the part of
// intervalGraph that uses the session (the rest, the build, is pure Go and may run
// beside the session's next statement). They come from the Go tuple source where the
// architecture and the session allow it (edges_gotuples.go), else from the tuple query
// (edges.sql). On error b is empty.
func (s *Session) intervalTuples(ctx context.Context, spec EdgeSpec, start time.Time, b *graphkit.TupleBuilder) error {
	p, err := s.plan(ctx, spec)
	if err != nil {
		return err
	}
	if len(p.streams) == 0 {
		return fmt.Errorf("%w: no selected stream has two artifact columns", ErrEdgeSpec)
	}
	if !s.sqlTuples {
		if streams, why := p.goStreams(); why == "" {
			return s.goIntervalTuples(ctx, p, streams, start, b)
		}
	}
	q, err := p.tuplesSQL(start)
	if err != nil {
		return err
	}
	rdr, err := s.QueryArrow(ctx, q)
	if err != nil {
		return fmt.Errorf("engine: tuples of %s: %w", start.Format(time.DateTime), err)
	}
	defer rdr.Release()
	if err := b.AddReader(rdr); err != nil {
		return fmt.Errorf("engine: graph of %s: %w", start.Format(time.DateTime), err)
	}
	return nil
}

// buildIntervalGraph builds the graph of the tuples in b (those of the interval
// starting at start), copying them into keep when it is not nil.
func buildIntervalGraph(start time.Time, b *graphkit.TupleBuilder, keep *graphkit.Tuples) (*graphkit.Graph, error) {
	if keep != nil {
		b.CopyTuples(keep)
	}
	g, err := b.Build()
	if err != nil {
		return nil, fmt.Errorf("engine: graph of %s: %w", start.Format(time.DateTime), err)
	}
	return g, nil
}

// replaceDir renames tmp to dir, moving a previous dir aside first and removing it
// after: readers see the old export or the new one, never a mix.
func replaceDir(tmp, dir string) error {
	old := ""
	if _, err := os.Stat(dir); err == nil {
		old = tmp + ".old"
		if err := os.Rename(dir, old); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		// Killed here, the folder is missing: the next run into it restores old
		// (recoverOut).
		faultpoint.Reach(context.Background(), "publish moved aside")
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			err = errors.Join(err, os.Rename(old, dir))
		}
		return fmt.Errorf("engine: %w", err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// ArchSQL returns the SQL text of a graph architecture: a built-in one by name
// (notebook, whose header documents the contract, or entity) or a user's .sql file.
// It is a starting point for writing one's own.
func ArchSQL(arch string) (string, error) {
	text, _, err := archText(arch)
	return text, err
}

// archText returns the SQL of an architecture and a key that changes when it does.
func archText(arch string) (text, key string, err error) {
	switch arch {
	case "", ArchNotebook:
		text = lsql.Text("arch_notebook.sql")
	case ArchEntity:
		text = lsql.Text("arch_entity.sql")
	default:
		if !strings.HasSuffix(arch, ".sql") {
			return "", "", fmt.Errorf("%w: %q is not notebook, entity or a .sql file", ErrArch, arch)
		}
		b, err := os.ReadFile(arch)
		if err != nil {
			return "", "", fmt.Errorf("%w: %w", ErrArch, err)
		}
		text = string(b)
	}
	sum := sha256.Sum256([]byte(text))
	return text, archName(arch) + ":" + hex.EncodeToString(sum[:8]), nil
}

func archName(arch string) string {
	if arch == "" {
		return ArchNotebook
	}
	return arch
}

// ceilSeconds rounds d up to whole seconds: time >= From holds for integer times from
// the ceiling on.
func ceilSeconds(d time.Duration) int64 {
	s := int64(d / time.Second)
	if d%time.Second > 0 {
		s++
	}
	return s
}

// edgeRender executes the text/template sql/name with data. Parsing costs microseconds
// against an interval query's milliseconds, so templates are not cached.
func edgeRender(name string, data any) (string, error) {
	t, err := template.New(name).Parse(lsql.Text(name))
	if err != nil {
		return "", fmt.Errorf("engine: %s: %w", name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("engine: %s: %w", name, err)
	}
	return buf.String(), nil
}
