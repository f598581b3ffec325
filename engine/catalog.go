package engine

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"text/template"

	"github.com/lanlq/lanlq/lanl"
	lsql "github.com/lanlq/lanlq/sql"
)

// Data directory layout (see README "Data directory"):
//
//	DATA/lanlq.json                       manifest: what was ingested, from which inputs
//	DATA/catalog.duckdb                   a DuckDB file with the views, for other clients
//	DATA/<stream>                         symlink to the stream's current generation
//	DATA/<stream>/interval_start=…/*.parquet   rows, sorted by time, zstd
//	DATA/<stream>/_rejects/*.parquet      malformed lines kept with --rejects
//	DATA/.lanlq/                          generations and in-progress work (internal)
//
// A generation is immutable once its symlink points at it; ingest builds a new one
// beside it and swaps the symlink atomically, so readers never see a half-written
// partition.
const (
	manifestName = "lanlq.json"
	catalogName  = "catalog.duckdb"
	internalDir  = ".lanlq"
	rejectsDir   = "_rejects"
)

// partitionPattern is the glob of a stream's Parquet files relative to its folder.
var partitionPattern = filepath.Join("interval_start=*", "*.parquet")

type viewStream struct {
	lanl.Stream
	Glob string
}

// viewsSQL renders sql/views.sql over the stream folders dirOf gives (absolute), for a
// data folder whose manifest is m; sourceRejects is the folder of the sources'
// rejected records ("" for none).
func viewsSQL(dirOf func(stream string) string, m manifest, sourceRejects string) (string, error) {
	tmpl, err := template.New("views.sql").Parse(lsql.Text("views.sql"))
	if err != nil {
		return "", fmt.Errorf("engine: views.sql: %w", err)
	}
	var data struct {
		Streams     []viewStream
		RejectsGlob string
		Sources     bool
	}
	data.Sources = m.Clock == clockUTC
	var rejects []string
	for _, s := range lanl.Streams {
		dir := dirOf(s.Name)
		vs := viewStream{Stream: s}
		if m, _ := globIn(dir, partitionPattern); len(m) > 0 {
			vs.Glob = escapeLiteral(filepath.Join(QuoteGlob(dir), partitionPattern))
		}
		if m, _ := globIn(filepath.Join(dir, rejectsDir), "*.parquet"); len(m) > 0 {
			rejects = append(rejects, "'"+escapeLiteral(filepath.Join(QuoteGlob(filepath.Join(dir, rejectsDir)), "*.parquet"))+"'")
		}
		data.Streams = append(data.Streams, vs)
	}
	if sourceRejects != "" {
		if m, _ := globIn(filepath.Join(sourceRejects, rejectsDir), "*.parquet"); len(m) > 0 {
			rejects = append(rejects, "'"+escapeLiteral(filepath.Join(QuoteGlob(filepath.Join(sourceRejects, rejectsDir)), "*.parquet"))+"'")
		}
	}
	if len(rejects) > 0 {
		data.RejectsGlob = "[" + strings.Join(rejects, ", ") + "]"
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("engine: views.sql: %w", err)
	}
	return buf.String(), nil
}

func (s *Session) createViews(ctx context.Context) error {
	var rejects string
	if s.man.SourceRejects != "" {
		rejects = filepath.Join(s.dataDir, internalDir, "gen", s.man.SourceRejects)
	}
	q, err := viewsSQL(s.streamDir, s.man, rejects)
	if err != nil {
		return err
	}
	if err := s.Exec(ctx, q); err != nil {
		return fmt.Errorf("engine: create views over %s: %w", s.dataDir, err)
	}
	return nil
}

// Checksum returns the row count of a view or table and an order-independent
// checksum of its contents (the sum of DuckDB's hash of every row), for comparing
// two ingests of the same input.
func (s *Session) Checksum(ctx context.Context, table string) (rows int64, sum string, err error) {
	q := fmt.Sprintf("SELECT count(*), coalesce(sum(hash(t)::HUGEINT), 0)::VARCHAR FROM %s AS t", table)
	err = s.QueryRow(ctx, q).Scan(&rows, &sum)
	return rows, sum, err
}

// NameBrokenFile returns err, a failed query over the session's data, with the first
// partition file that DuckDB cannot read whole added to it, when err is a Parquet
// error that names no data file: DuckDB reports some corrupt pages ("dictionary
// offset out of range") without their file. It reads every partition until one
// fails, so it costs a scan of the data, on the error path only. Other errors are
// returned as they are.
func (s *Session) NameBrokenFile(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil || s.dataDir == "" ||
		!strings.Contains(strings.ToLower(err.Error()), "parquet") || strings.Contains(err.Error(), s.dataDir) {
		return err
	}
	for _, st := range lanl.Streams {
		files, _ := globIn(s.streamDir(st.Name), partitionPattern)
		for _, f := range files {
			q := fmt.Sprintf("SELECT count(*), sum(hash(t)) FROM read_parquet('%s') AS t", readLiteral(f))
			var n int64
			var sum any
			if ferr := s.QueryRow(ctx, q).Scan(&n, &sum); ferr != nil {
				return fmt.Errorf("%w; the data file that fails to read: %s (%v)", err, f, ferr)
			}
		}
	}
	return err
}
