package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

// TestEdgesExportMatchesSQL: ExportEdges (tuples expanded in Go, arrowio's writer)
// writes, interval for interval, the rows of the SQL definition (edges.sql's edges
// with names joined, COPY of edges_export.sql) in the same order, with the same column
// types, on synth data through Ingest, for every architecture lanlq edges takes
// (notebook, entity, a user's FILE.sql), with frames that cut intervals and subsets of
// streams.
func TestEdgesExportMatchesSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("synth + ingest")
	}
	ctx := context.Background()
	s, err := Open(ctx, tinySynth(t, 0.1), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hosts := filepath.Join(t.TempDir(), "hosts.sql")
	err = os.WriteFile(hosts, []byte(hostsArch), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	at := func(sec int64) time.Time { return lanl.Origin.Add(time.Duration(sec) * time.Second) }
	for _, spec := range []EdgeSpec{
		{Arch: ArchNotebook, Interval: time.Hour, To: at(10 * 3600)},
		{Arch: ArchEntity, Interval: 30 * time.Minute, From: at(5 * 3600), To: at(9*3600 + 600)},
		{Arch: hosts, Interval: 2 * time.Hour},
		{Arch: ArchNotebook, Interval: 45 * time.Minute, From: at(8*3600 + 100), To: at(13 * 3600), Streams: []string{"proc", "flows"}},
		{Arch: ArchEntity, Interval: 3 * time.Hour, Streams: []string{"auth"}},
	} {
		name := fmt.Sprintf("%s/%s/%s", filepath.Base(spec.Arch), spec.Interval, strings.Join(spec.Streams, "+"))
		t.Run(name, func(t *testing.T) {
			got, want := filepath.Join(t.TempDir(), "go"), filepath.Join(t.TempDir(), "sql")
			if err := s.ExportEdges(ctx, spec, got, nil); err != nil {
				t.Fatal(err)
			}
			if err := s.exportEdges(ctx, spec, want, nil, true); err != nil {
				t.Fatal(err)
			}
			gotFiles, wantFiles := exportFiles(t, got), exportFiles(t, want)
			if !slices.Equal(gotFiles, wantFiles) {
				t.Fatalf("files %q, want %q", gotFiles, wantFiles)
			}
			if len(wantFiles) < 3 {
				t.Fatalf("only %d intervals: the case is too small", len(wantFiles))
			}
			if g, w := exportTypes(t, s, got), exportTypes(t, s, want); g != w {
				t.Fatalf("columns %s, want %s", g, w)
			}
			// Row for row, in file order: the same interval folder, row number and values.
			q := `WITH g AS (SELECT * FROM read_parquet(?, filename = true, file_row_number = true)),
				w AS (SELECT * FROM read_parquet(?, filename = true, file_row_number = true))
				SELECT (SELECT count(*) FROM w),
					count(*) FILTER (WHERE g.a IS DISTINCT FROM w.a OR g.b IS DISTINCT FROM w.b
						OR g.weight IS DISTINCT FROM w.weight OR g.interval_start IS DISTINCT FROM w.interval_start),
					coalesce(min(CASE WHEN g.a IS DISTINCT FROM w.a OR g.b IS DISTINCT FROM w.b OR g.weight IS DISTINCT FROM w.weight
						OR g.interval_start IS DISTINCT FROM w.interval_start
						THEN format('{} row {}: {} {} {} {}, want {} {} {} {}', coalesce(w.filename, g.filename), coalesce(w.file_row_number, g.file_row_number),
							g.interval_start, g.a, g.b, g.weight, w.interval_start, w.a, w.b, w.weight) END), '')
				FROM g FULL JOIN w ON regexp_extract(g.filename, 'interval_start=[^/]*') = regexp_extract(w.filename, 'interval_start=[^/]*')
					AND g.file_row_number = w.file_row_number`
			var edges, bad int64
			var first string
			if err := s.QueryRow(ctx, q, QuoteGlob(got)+"/*/*.parquet", QuoteGlob(want)+"/*/*.parquet").Scan(&edges, &bad, &first); err != nil {
				t.Fatal(err)
			}
			if bad > 0 {
				t.Fatalf("%d of %d rows differ; first: %s", bad, edges, first)
			}
			if edges == 0 {
				t.Fatal("no edges: the case is too small")
			}
			t.Logf("%d intervals, %d edges", len(wantFiles), edges)
		})
	}
}

// exportFiles lists an export's files, relative to its folder.
func exportFiles(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range m {
		m[i], _ = filepath.Rel(dir, m[i])
	}
	slices.Sort(m)
	return m
}

// exportTypes returns the column types of an export's files as DuckDB reads them.
func exportTypes(t *testing.T, s *Session, dir string) string {
	t.Helper()
	var types string
	if err := s.QueryRow(context.Background(), `SELECT string_agg(column_name || ' ' || column_type, ', ')
		FROM (DESCRIBE SELECT * FROM read_parquet(?))`, QuoteGlob(dir)+"/*/*.parquet").Scan(&types); err != nil {
		t.Fatal(err)
	}
	return types
}
