package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/lanl"
	lsql "github.com/lanlq/lanlq/sql"
)

// SourceSpec is one source of an ingest: a source definition (a shipped name such as
// windows-security, or the path of a user's .sql file) and its input (a file, a glob,
// or a folder whose files are all read).
type SourceSpec struct {
	Name string
	Path string
}

// ParseSourceSpec reads NAME=PATH as the CLI's --source gives it.
func ParseSourceSpec(text string) (SourceSpec, error) {
	name, path, ok := strings.Cut(text, "=")
	if !ok || strings.TrimSpace(name) == "" || strings.TrimSpace(path) == "" {
		return SourceSpec{}, fmt.Errorf("%w: --source %q: give NAME=PATH (NAME one of %s or a .sql file; PATH a file, glob or folder)",
			ErrSource, text, strings.Join(lsql.SourceNames(), ", "))
	}
	return SourceSpec{Name: strings.TrimSpace(name), Path: path}, nil
}

// SourceReport reconciles one source: Read = Σ Rows + NotMapped + Rejects, always.
type SourceReport struct {
	Name       string           `json:"name"`
	Definition string           `json:"definition"` // "shipped" or the .sql file's path
	Files      []string         `json:"files"`
	Bytes      int64            `json:"bytes"`
	Read       int64            `json:"records_read"`
	Rows       map[string]int64 `json:"rows"` // per stream
	NotMapped  int64            `json:"not_mapped"`
	Rejects    int64            `json:"rejects"`
	Unchanged  bool             `json:"-"`
}

// TotalRows is the sum of the source's rows over the streams.
func (r SourceReport) TotalRows() int64 {
	var n int64
	for _, v := range r.Rows {
		n += v
	}
	return n
}

// ShippedSource is a source definition lanlq ships: its name and the comment at the
// top of its file (what it reads and how it maps it).
type ShippedSource struct {
	Name, About string
}

// ShippedSources lists the shipped source definitions (sql/sources/*.sql).
func ShippedSources() []ShippedSource {
	var out []ShippedSource
	for _, n := range lsql.SourceNames() {
		text, _ := lsql.Source(n)
		var about []string
		for line := range strings.Lines(text) {
			line = strings.TrimRight(line, "\r\n")
			if !strings.HasPrefix(line, "--") || strings.HasPrefix(line, "-- ## ") {
				break
			}
			about = append(about, strings.TrimPrefix(strings.TrimPrefix(line, "--"), " "))
		}
		out = append(out, ShippedSource{Name: n, About: strings.TrimSpace(strings.Join(about, "\n"))})
	}
	return out
}

// streamsFromSources are the streams a source definition may feed.
var streamsFromSources = []string{"auth", "proc", "flows", "dns"}

// sourceRejectsLink is the symlink (under DATA) to the generation holding the records
// the sources rejected; the rejects view reads it beside the streams' rejects.
var sourceRejectsLink = filepath.Join(internalDir, "sources")

// SourceIngestOptions configures IngestSources.
type SourceIngestOptions struct {
	Data    string
	Sources []SourceSpec
	// Interval is the partition width (whole seconds; minutes suit short captures).
	Interval    time.Duration
	MemoryLimit string
	Threads     int
	// LANL holds the options of a LANL ingest when the only source is "lanl".
	LANL IngestOptions
}

// resolvedSource is a source with its definition read and its input listed.
type resolvedSource struct {
	SourceSpec
	label string // the name reports use: the shipped name or the file's base name
	def   string // "shipped" or the definition's path
	text  string
	files []inputFile
}

func resolveSource(spec SourceSpec) (resolvedSource, error) {
	rs := resolvedSource{SourceSpec: spec, label: spec.Name, def: "shipped"}
	if strings.HasSuffix(spec.Name, ".sql") || strings.ContainsRune(spec.Name, filepath.Separator) {
		b, err := os.ReadFile(spec.Name)
		if err != nil {
			return rs, fmt.Errorf("%w: source definition %s: %w", ErrSource, spec.Name, err)
		}
		abs, _ := filepath.Abs(spec.Name)
		rs.text, rs.def, rs.label = string(b), abs, strings.TrimSuffix(filepath.Base(spec.Name), ".sql")
	} else {
		text, ok := lsql.Source(spec.Name)
		if !ok {
			return rs, fmt.Errorf("%w: no source definition %q: lanlq ships %s; a .sql file of your own works too",
				ErrSource, spec.Name, strings.Join(lsql.SourceNames(), ", "))
		}
		rs.text = text
	}
	files, err := expandSourcePath(spec.Path)
	if err != nil {
		return rs, fmt.Errorf("%w: %s=%s: %w", ErrSource, spec.Name, spec.Path, err)
	}
	rs.files = files
	return rs, nil
}

// expandSourcePath lists the files PATH names: the file itself, a folder's regular
// files (not hidden, not in subfolders), or a glob's matching files; in name order.
func expandSourcePath(path string) ([]inputFile, error) {
	var paths []string
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !strings.HasPrefix(e.Name(), ".") && e.Type().IsRegular() {
				paths = append(paths, filepath.Join(path, e.Name()))
			}
		}
	} else if err == nil {
		paths = []string{path}
	} else if strings.ContainsAny(path, "*?[") {
		m, err := filepath.Glob(path)
		if err != nil {
			return nil, err
		}
		paths = m
	} else {
		return nil, err
	}
	var files []inputFile
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.Mode().IsRegular() {
			continue
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, err
		}
		files = append(files, inputFile{Path: abs, Size: st.Size(), MTime: st.ModTime().UnixNano()})
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no file matches")
	}
	slices.SortFunc(files, func(a, b inputFile) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// sourcesFingerprint identifies the inputs and settings of a source ingest: the
// definitions' text, the files (name, size, modification time) and the width. One
// value for all streams: host names found by one source rename computers in another.
func sourcesFingerprint(srcs []resolvedSource, intervalSeconds int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "lanlq-sources v%d\n%d\n%s\n", formatVersion, intervalSeconds, lsql.Text("source_prelude.sql"))
	for _, s := range srcs {
		fmt.Fprintf(h, "source %s\n%s\n", s.Name, s.text)
		for _, f := range s.files {
			fmt.Fprintf(h, "%s\n%d\n%d\n", f.Path, f.Size, f.MTime)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

func sourceNames(rs []SourceReport) string {
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	if len(names) == 0 {
		return "sources"
	}
	return strings.Join(names, ", ")
}

// IngestSources loads the sources' records into opts.Data through their definitions:
// every stream they feed (auth, proc, flows, dns) becomes a new generation of Parquet
// partitioned by interval, published as Ingest publishes (exclusive lock, staging
// folder, symlink swap, manifest, catalog). The sources are the folder's whole input:
// a rerun with the same definitions and unchanged files does nothing. A lone source
// "lanl" is LANL's text, ingested by Ingest (opts.LANL, its Raw the source's path).
func IngestSources(ctx context.Context, opts SourceIngestOptions) (*IngestReport, error) {
	start := time.Now()
	if len(opts.Sources) == 0 {
		return nil, fmt.Errorf("%w: no source given", ErrSource)
	}
	for _, s := range opts.Sources {
		if s.Name == "lanl" {
			if len(opts.Sources) > 1 {
				return nil, fmt.Errorf("%w: lanl's times are seconds from an unknown origin and the other sources' are absolute UTC: they cannot share one data folder's clock — ingest lanl into its own data folder", ErrClock)
			}
			lo := opts.LANL
			lo.Raw, lo.Data, lo.Interval = s.Path, opts.Data, opts.Interval
			lo.MemoryLimit, lo.Threads = opts.MemoryLimit, opts.Threads
			return Ingest(ctx, lo)
		}
	}
	if opts.Interval == 0 {
		opts.Interval = time.Hour
	}
	if opts.Interval < time.Second || opts.Interval%time.Second != 0 {
		return nil, fmt.Errorf("engine: interval %s is not a whole number of seconds", opts.Interval)
	}
	width := int64(opts.Interval / time.Second)
	var srcs []resolvedSource
	seen := map[string]bool{}
	for _, spec := range opts.Sources {
		rs, err := resolveSource(spec)
		if err != nil {
			return nil, err
		}
		key := rs.label + "\x00" + spec.Path
		if seen[key] {
			return nil, fmt.Errorf("%w: %s=%s is given twice", ErrSource, spec.Name, spec.Path)
		}
		seen[key] = true
		srcs = append(srcs, rs)
	}
	if err := checkSourceTarget(opts.Data); err != nil {
		return nil, err
	}
	data, lock, err := lockDataForIngest(opts.Data)
	if err != nil {
		return nil, err
	}
	defer func() { _ = lock.Unlock() }() // as in Ingest: the kernel releases it with the process anyway
	m, err := readManifest(data)
	if err != nil {
		return nil, err
	}
	if m.isLANL() {
		return nil, fmt.Errorf("%w: %s holds LANL data (seconds from an unknown origin, shown from 2015-01-01); real sources carry absolute UTC times and cannot share its clock — give a new data folder",
			ErrClock, opts.Data)
	}
	if m.IntervalSeconds != 0 && m.IntervalSeconds != width {
		m.Streams = map[string]StreamReport{}
	}
	fp := sourcesFingerprint(srcs, width)
	report := &IngestReport{}
	if sourcesUnchanged(data, m, fp) {
		for _, st := range streamsFromSources {
			sr := m.Streams[st]
			sr.Unchanged = true
			report.Streams = append(report.Streams, sr)
		}
		for _, s := range m.Sources {
			s.Unchanged = true
			report.Sources = append(report.Sources, s)
		}
		if !catalogCurrent(data) {
			if err := writeCatalog(ctx, data); err != nil {
				return nil, err
			}
		}
		report.Elapsed = time.Since(start)
		return report, nil
	}

	sess, err := NewSession(ctx, Options{MemoryLimit: opts.MemoryLimit, Threads: opts.Threads,
		TempDir: filepath.Join(data, internalDir, "duckdb_tmp")})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	st, err := stageSources(ctx, sess, srcs)
	if err != nil {
		return nil, err
	}
	report.Sources = st.reports

	m.Version, m.IntervalSeconds = formatVersion, width
	m.Clock, m.Origin = clockUTC, lanl.Origin.Format(time.RFC3339)
	m.Sources = st.reports
	// The rejected records first: the streams' publish writes the manifest that names them.
	rejGen := "sources-" + fp
	if err := writeSourceRejects(ctx, sess, filepath.Join(data, internalDir, "gen", rejGen)); err != nil {
		return nil, err
	}
	oldRej := m.SourceRejects
	if err := swapSymlink(filepath.Join(data, sourceRejectsLink), filepath.Join("gen", rejGen)); err != nil {
		return nil, fmt.Errorf("engine: publish source rejects: %w", err)
	}
	m.SourceRejects = rejGen
	for _, stream := range streamsFromSources {
		s, _ := lanl.StreamByName(stream)
		gen := stream + "-" + fp
		sr, err := writeSourceStream(ctx, sess, s, width, filepath.Join(data, internalDir, "gen", gen))
		if err != nil {
			return nil, err
		}
		sr.Fingerprint, sr.Generation = fp, gen
		for _, src := range srcs {
			if st.feeds[src.label][stream] {
				for _, f := range src.files {
					if !slices.Contains(sr.Files, f.Path) {
						sr.Files = append(sr.Files, f.Path)
						sr.Bytes += f.Size
					}
				}
			}
		}
		oldGen := m.Streams[stream].Generation
		if err := swapSymlink(filepath.Join(data, stream), filepath.Join(internalDir, "gen", gen)); err != nil {
			return nil, fmt.Errorf("engine: publish %s: %w", stream, err)
		}
		m.Streams[stream] = sr
		if err := writeManifest(data, m); err != nil {
			return nil, fmt.Errorf("engine: manifest: %w", err)
		}
		if oldGen != "" && oldGen != gen {
			retireGeneration(data, oldGen)
		}
		report.Streams = append(report.Streams, sr)
	}
	if oldRej != "" && oldRej != rejGen {
		retireGeneration(data, oldRej)
	}
	os.RemoveAll(filepath.Join(data, internalDir, "dict"))
	if err := writeCatalog(ctx, data); err != nil {
		return nil, err
	}
	report.Elapsed = time.Since(start)
	return report, nil
}

// sourcesUnchanged reports whether every stream and the rejects are live generations
// of the fingerprint fp.
func sourcesUnchanged(data string, m manifest, fp string) bool {
	if m.SourceRejects == "" || !generationLive(data, sourceRejectsLink, m.SourceRejects) || len(m.Sources) == 0 {
		return false
	}
	for _, st := range streamsFromSources {
		sr, ok := m.Streams[st]
		if !ok || sr.Fingerprint != fp || !generationLive(data, st, sr.Generation) {
			return false
		}
	}
	return true
}

// checkSourceTarget refuses a data folder holding raw LANL files (as Ingest does).
func checkSourceTarget(data string) error {
	if _, err := os.Stat(filepath.Join(data, manifestName)); err == nil {
		return nil
	}
	if found, err := discoverInputs(data); err == nil && len(found) > 0 {
		return fmt.Errorf("%w: --data %s holds raw LANL files; give a new or empty folder for the data", ErrNotData, data)
	}
	return nil
}

// stagedSources is what stageSources loaded: per source its report and the streams it
// fed.
type stagedSources struct {
	reports []SourceReport
	feeds   map[string]map[string]bool
}

// stageSources runs each definition over its files and loads its rows, outcomes and
// raw records into the session's staging tables (lanlq_stage_*), checks that every
// record is accounted for once, and renames addresses that the sources tie to a
// computer's name.
func stageSources(ctx context.Context, sess *Session, srcs []resolvedSource) (*stagedSources, error) {
	if err := sess.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := registerIdentityFuncs(sess); err != nil {
		return nil, err
	}
	if err := sess.Exec(ctx, lsql.Text("source_prelude.sql")); err != nil {
		return nil, fmt.Errorf("engine: source_prelude.sql: %w", err)
	}
	var ddl strings.Builder
	ddl.WriteString(`CREATE OR REPLACE TEMP TABLE lanlq_stage_records (src INTEGER, source VARCHAR, file VARCHAR, record BIGINT, raw VARCHAR);
CREATE OR REPLACE TEMP TABLE lanlq_stage_outcomes (src INTEGER, source VARCHAR, file VARCHAR, record BIGINT, outcome VARCHAR, reason VARCHAR);
CREATE OR REPLACE TEMP TABLE lanlq_stage_names (address VARCHAR, name VARCHAR);
`)
	for _, stream := range streamsFromSources {
		s, _ := lanl.StreamByName(stream)
		fmt.Fprintf(&ddl, "CREATE OR REPLACE TEMP TABLE lanlq_stage_%s (ts TIMESTAMP", stream)
		for _, c := range s.Columns {
			fmt.Fprintf(&ddl, ", %s %s", c.Name, c.Type)
		}
		ddl.WriteString(", src INTEGER, source VARCHAR, file VARCHAR, record BIGINT);\n")
	}
	if err := sess.Exec(ctx, ddl.String()); err != nil {
		return nil, fmt.Errorf("engine: staging tables: %w", err)
	}
	out := &stagedSources{feeds: map[string]map[string]bool{}}
	for i, src := range srcs {
		rep, feeds, err := stageSource(ctx, sess, i, src)
		if err != nil {
			return nil, err
		}
		out.reports = append(out.reports, rep)
		out.feeds[src.label] = feeds
	}
	// One name per address: the one the data gives most often (ties: the first in
	// order), so that a computer is one artifact whether a record names it or its
	// address.
	rename := `CREATE OR REPLACE TEMP TABLE lanlq_names AS
SELECT address, first(name ORDER BY n DESC, name) AS name
FROM (SELECT address, name, count(*) AS n FROM lanlq_stage_names GROUP BY ALL) GROUP BY address;
`
	for _, stream := range streamsFromSources {
		s, _ := lanl.StreamByName(stream)
		for _, c := range s.Columns {
			if strings.HasPrefix(c.Name, "computer_") {
				rename += fmt.Sprintf("UPDATE lanlq_stage_%s AS t SET %s = n.name FROM lanlq_names AS n WHERE t.%s = n.address;\n",
					stream, c.Name, c.Name)
			}
		}
	}
	if err := sess.Exec(ctx, rename); err != nil {
		return nil, fmt.Errorf("engine: host names: %w", err)
	}
	return out, nil
}

// contractViews are the views a source definition creates (sql/sources/windows-security.sql).
var contractViews = []string{"source_records", "source_not_mapped", "source_rejects", "source_host_names",
	"source_auth", "source_proc", "source_flows", "source_dns"}

// stageSource runs one definition and stages its output.
func stageSource(ctx context.Context, sess *Session, idx int, src resolvedSource) (SourceReport, map[string]bool, error) {
	rep := SourceReport{Name: src.label, Definition: src.def, Rows: map[string]int64{}}
	fail := func(err error) (SourceReport, map[string]bool, error) {
		return rep, nil, fmt.Errorf("%w: %s (%s): %w", ErrSource, src.label, src.def, err)
	}
	var drop strings.Builder
	for _, v := range contractViews {
		fmt.Fprintf(&drop, "DROP VIEW IF EXISTS %s;\n", v)
	}
	lits := make([]string, len(src.files))
	for i, f := range src.files {
		lits[i] = "'" + escapeLiteral(f.Path) + "'"
		rep.Files = append(rep.Files, f.Path)
		rep.Bytes += f.Size
	}
	setup := drop.String() + fmt.Sprintf("SET VARIABLE lanlq_files = [%s]::VARCHAR[]; SET VARIABLE lanlq_source = '%s';",
		strings.Join(lits, ", "), escapeLiteral(src.label))
	if err := sess.Exec(ctx, setup); err != nil {
		return fail(err)
	}
	if err := sess.Exec(ctx, src.text); err != nil {
		return fail(err)
	}
	views := map[string]bool{}
	rows, err := sess.Query(ctx, "SELECT view_name FROM duckdb_views() WHERE temporary AND view_name LIKE 'source\\_%' ESCAPE '\\'")
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return fail(errors.Join(err, rows.Close()))
		}
		views[v] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fail(err)
	}
	for _, v := range []string{"source_records", "source_not_mapped", "source_rejects"} {
		if !views[v] {
			return fail(fmt.Errorf("the definition creates no view %s (see the contract atop sql/sources/windows-security.sql)", v))
		}
	}
	lit := "'" + escapeLiteral(src.label) + "'"
	key := fmt.Sprint(idx)
	q := fmt.Sprintf(`INSERT INTO lanlq_stage_records SELECT %[2]s, %[1]s, CAST(file AS VARCHAR), CAST(record AS BIGINT), CAST(raw AS VARCHAR) FROM source_records;
INSERT INTO lanlq_stage_outcomes SELECT %[2]s, %[1]s, CAST(file AS VARCHAR), CAST(record AS BIGINT), 'not mapped', CAST(reason AS VARCHAR) FROM source_not_mapped;
INSERT INTO lanlq_stage_outcomes SELECT %[2]s, %[1]s, CAST(file AS VARCHAR), CAST(record AS BIGINT), 'reject', CAST(reason AS VARCHAR) FROM source_rejects;
`, lit, key)
	if views["source_host_names"] {
		q += `INSERT INTO lanlq_stage_names SELECT CAST(address AS VARCHAR), CAST(name AS VARCHAR) FROM source_host_names
WHERE address IS NOT NULL AND name IS NOT NULL AND address <> name AND NOT starts_with(name, '_')
  AND address NOT IN ('127.0.0.1', '::1', '0.0.0.0', '::') AND upper(name) <> 'LOCALHOST';
`
	}
	feeds := map[string]bool{}
	for _, stream := range streamsFromSources {
		if !views["source_"+stream] {
			continue
		}
		feeds[stream] = true
		s, _ := lanl.StreamByName(stream)
		cols := []string{"CAST(ts AS TIMESTAMP)"}
		for _, c := range s.Columns {
			cols = append(cols, fmt.Sprintf("CAST(%s AS %s)", c.Name, c.Type))
		}
		q += fmt.Sprintf("INSERT INTO lanlq_stage_%[1]s SELECT %[2]s, %[4]s, %[3]s, CAST(file AS VARCHAR), CAST(record AS BIGINT) FROM source_%[1]s;\n",
			stream, strings.Join(cols, ", "), lit, key)
		q += fmt.Sprintf("INSERT INTO lanlq_stage_outcomes SELECT %[3]s, %[2]s, CAST(file AS VARCHAR), CAST(record AS BIGINT), '%[1]s', NULL FROM source_%[1]s;\n",
			stream, lit, key)
	}
	if err := sess.Exec(ctx, q); err != nil {
		return fail(err)
	}
	if err := checkAccounting(ctx, sess, key); err != nil {
		return fail(err)
	}
	err = sess.QueryRow(ctx, "SELECT count(*) FROM lanlq_stage_records WHERE src = "+key).Scan(&rep.Read)
	if err != nil {
		return fail(err)
	}
	orows, err := sess.Query(ctx, "SELECT outcome, count(*) FROM lanlq_stage_outcomes WHERE src = "+key+" GROUP BY ALL")
	if err != nil {
		return fail(err)
	}
	for orows.Next() {
		var o string
		var n int64
		if err := orows.Scan(&o, &n); err != nil {
			return fail(errors.Join(err, orows.Close()))
		}
		switch o {
		case "not mapped":
			rep.NotMapped = n
		case "reject":
			rep.Rejects = n
		default:
			rep.Rows[o] = n
		}
	}
	if err := errors.Join(orows.Err(), orows.Close()); err != nil {
		return fail(err)
	}
	return rep, feeds, nil
}

// checkAccounting checks that the source's records and outcomes match one to one by
// (file, record): each record read has exactly one outcome (a row of one stream, not
// mapped, or a reject), each outcome belongs to a record read, and no mapped row lacks
// a time. It names up to five records that break this.
func checkAccounting(ctx context.Context, sess *Session, key string) error {
	q := fmt.Sprintf(`WITH r AS (SELECT file, record, count(*) AS n FROM lanlq_stage_records WHERE src = %[1]s GROUP BY ALL),
o AS (SELECT file, record, count(*) AS n, string_agg(outcome, ' and ' ORDER BY outcome) AS what
      FROM lanlq_stage_outcomes WHERE src = %[1]s GROUP BY ALL)
SELECT coalesce(r.file, o.file), coalesce(r.record, o.record),
       CASE WHEN r.n IS NULL THEN 'has an outcome (' || o.what || ') but is not in source_records'
            WHEN r.n > 1 THEN 'is in source_records ' || r.n || ' times'
            WHEN o.n IS NULL THEN 'is in no stream view, source_not_mapped or source_rejects'
            ELSE 'is counted ' || o.n || ' times (' || o.what || ')' END
FROM r FULL JOIN o USING (file, record)
WHERE r.n IS DISTINCT FROM 1 OR o.n IS DISTINCT FROM 1
ORDER BY 1, 2 LIMIT 5`, key)
	rows, err := sess.Query(ctx, q)
	if err != nil {
		return err
	}
	var bad []string
	for rows.Next() {
		var file, why string
		var rec int64
		if err := rows.Scan(&file, &rec, &why); err != nil {
			return errors.Join(err, rows.Close())
		}
		bad = append(bad, fmt.Sprintf("%s record %d %s", file, rec, why))
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("records read ≠ rows + not mapped + rejects: %s", strings.Join(bad, "; "))
	}
	for _, stream := range streamsFromSources {
		var file string
		var rec int64
		err := sess.QueryRow(ctx, fmt.Sprintf("SELECT file, record FROM lanlq_stage_%s WHERE src = %s AND ts IS NULL LIMIT 1", stream, key)).Scan(&file, &rec)
		if err == nil {
			return fmt.Errorf("%s record %d is mapped into %s without a time (ts is NULL): reject it with a reason instead", file, rec, stream)
		}
	}
	return nil
}

// originMicros is lanl.Origin in microseconds since the Unix epoch.
var originMicros = lanl.Origin.UnixMicro()

// writeSourceStream writes the staged rows of one stream into genDir (through a
// temporary folder renamed at the end): one Parquet file per interval, rows sorted by
// time, source, file and record, with the raw record text.
func writeSourceStream(ctx context.Context, sess *Session, s lanl.Stream, width int64, genDir string) (StreamReport, error) {
	sr := StreamReport{Stream: s.Name, MinTime: -1, MaxTime: -1}
	cols := []string{"time"}
	for _, c := range s.Columns {
		cols = append(cols, c.Name)
	}
	cols = append(cols, "source", "file", "record", "raw")
	view := fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW lanlq_out_%[1]s AS
SELECT CAST(floor((epoch_us(t.ts) - %[2]d) / 1000000.0) AS BIGINT) AS time, t.*, r.raw
FROM lanlq_stage_%[1]s AS t JOIN lanlq_stage_records AS r USING (src, source, file, record)`, s.Name, originMicros)
	if err := sess.Exec(ctx, view); err != nil {
		return sr, fmt.Errorf("engine: %s rows: %w", s.Name, err)
	}
	out := "lanlq_out_" + s.Name
	var sum string
	err := sess.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), coalesce(min(time), -1), coalesce(max(time), -1),
  coalesce(sum(hash(%s)::HUGEINT), 0)::VARCHAR FROM %s`, strings.Join(cols, ", "), out)).Scan(&sr.Rows, &sr.MinTime, &sr.MaxTime, &sum)
	if err != nil {
		return sr, fmt.Errorf("engine: %s rows: %w", s.Name, err)
	}
	sr.LinesRead = sr.Rows
	sr.Checksum = sum
	if _, err := os.Stat(genDir); err == nil {
		// Finished by an earlier run that stopped before publishing.
		parts, _ := globIn(genDir, "interval_start=*")
		sr.Partitions = len(parts)
		return sr, nil
	}
	tmp := genDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return sr, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return sr, err
	}
	rows, err := sess.Query(ctx, fmt.Sprintf("SELECT DISTINCT CAST(floor(time / %d) AS BIGINT) AS k FROM %s ORDER BY k", width, out))
	if err != nil {
		return sr, fmt.Errorf("engine: %s intervals: %w", s.Name, err)
	}
	var ks []int64
	for rows.Next() {
		var k int64
		if err := rows.Scan(&k); err != nil {
			return sr, errors.Join(err, rows.Close())
		}
		ks = append(ks, k)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return sr, err
	}
	for _, k := range ks {
		dir := filepath.Join(tmp, lanl.PartitionDir(k*width))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return sr, err
		}
		q := fmt.Sprintf(`COPY (SELECT %[1]s FROM %[2]s WHERE time >= %[3]d AND time < %[4]d ORDER BY time, source, file, record)
TO '%[5]s' (FORMAT parquet, COMPRESSION zstd)`, strings.Join(cols, ", "), out, k*width, (k+1)*width,
			escapeLiteral(filepath.Join(dir, "part-0000.parquet")))
		if err := sess.Exec(ctx, q); err != nil {
			return sr, fmt.Errorf("engine: write %s: %w", s.Name, err)
		}
	}
	sr.Partitions = len(ks)
	if err := syncDir(tmp); err != nil {
		return sr, err
	}
	return sr, os.Rename(tmp, genDir)
}

// writeSourceRejects writes the sources' rejected records into genDir/_rejects (the
// rejects view's columns: stream holds the source's name, line the record number).
func writeSourceRejects(ctx context.Context, sess *Session, genDir string) error {
	if _, err := os.Stat(genDir); err == nil {
		return nil
	}
	tmp := genDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(tmp, rejectsDir), 0o755); err != nil {
		return err
	}
	var n int64
	if err := sess.QueryRow(ctx, "SELECT count(*) FROM lanlq_stage_outcomes WHERE outcome = 'reject'").Scan(&n); err != nil {
		return fmt.Errorf("engine: source rejects: %w", err)
	}
	if n > 0 {
		q := fmt.Sprintf(`COPY (SELECT o.source AS stream, o.file, o.record AS line, r.raw, o.reason
FROM lanlq_stage_outcomes AS o JOIN lanlq_stage_records AS r USING (src, source, file, record)
WHERE o.outcome = 'reject' ORDER BY ALL) TO '%s' (FORMAT parquet, COMPRESSION zstd)`,
			escapeLiteral(filepath.Join(tmp, rejectsDir, "rejects.parquet")))
		if err := sess.Exec(ctx, q); err != nil {
			return fmt.Errorf("engine: source rejects: %w", err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, genDir)
}
