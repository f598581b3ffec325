package engine

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/lanlq/lanlq/arrowio"
)

// parquetFacts is what a footer edit must not change, as DuckDB reads it: the rows
// (count and a hash over all of them) and every row of parquet_metadata (row groups,
// column chunks, offsets, compression, encodings, statistics) and parquet_schema.
func parquetFacts(t *testing.T, s *Session, path string) (rows int64, hash string, meta, schema []string) {
	t.Helper()
	ctx := context.Background()
	q := "SELECT count(*), CAST(coalesce(sum(hash(x, s)), 0) AS VARCHAR) FROM read_parquet(?)"
	if err := s.QueryRow(ctx, q, path).Scan(&rows, &hash); err != nil {
		t.Fatal(err)
	}
	return rows, hash, queryStrings(t, s, "SELECT CAST(m AS VARCHAR) FROM parquet_metadata(?) AS m ORDER BY row_group_id, column_id", path),
		queryStrings(t, s, "SELECT CAST(m AS VARCHAR) FROM parquet_schema(?) AS m", path)
}

func queryStrings(t *testing.T, s *Session, q string, args ...any) []string {
	t.Helper()
	rows, err := s.Query(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSetParquetKeyValues: a footer edit adds and replaces key-value pairs and leaves
// the data, the row groups and the compression DuckDB wrote exactly as they were.
func TestSetParquetKeyValues(t *testing.T) {
	ctx := context.Background()
	s, err := NewSession(ctx, Options{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(t.TempDir(), "x.parquet")
	if err := s.Exec(ctx, "COPY (SELECT range AS x, 'v' || range AS s FROM range(100000)) TO '"+escapeLiteral(path)+
		"' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 10000, KV_METADATA {theirs: 'kept'})"); err != nil {
		t.Fatal(err)
	}
	rows, hash, meta, schema := parquetFacts(t, s, path)
	if rows != 100000 || len(meta) != 20 { // 10 row groups × 2 columns
		t.Fatalf("fixture: %d rows, %d column chunks", rows, len(meta))
	}
	kvs := func() []string {
		return queryStrings(t, s, "SELECT decode(key) || '=' || decode(value) FROM parquet_kv_metadata(?)", path)
	}

	if err := arrowio.SetParquetKeyValues(path, arrowio.ParquetKV{Key: "lanlq_run", Value: `{"a":1}`},
		arrowio.ParquetKV{Key: "theirs", Value: "replaced?", KeepExisting: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := kvs(), []string{"theirs=kept", `lanlq_run={"a":1}`}; !reflect.DeepEqual(got, want) {
		t.Errorf("key-values %q, want %q", got, want)
	}
	// Again: the key is replaced in place, not added twice; a long value (a second
	// footer size) works.
	long := strings.Repeat("é", 5000)
	if err := arrowio.SetParquetKeyValues(path, arrowio.ParquetKV{Key: "lanlq_run", Value: long}, arrowio.ParquetKV{Key: "theirs", Value: "new"}); err != nil {
		t.Fatal(err)
	}
	if got, want := kvs(), []string{"theirs=new", "lanlq_run=" + long}; !reflect.DeepEqual(got, want) {
		t.Errorf("key-values after the second edit: %d pairs %.60q, want %.60q", len(got), got, want)
	}
	rows2, hash2, meta2, schema2 := parquetFacts(t, s, path)
	if rows2 != rows || hash2 != hash {
		t.Errorf("data changed: %d rows hash %s, was %d rows hash %s", rows2, hash2, rows, hash)
	}
	if !reflect.DeepEqual(meta2, meta) || !reflect.DeepEqual(schema2, schema) {
		t.Errorf("parquet_metadata or parquet_schema changed:\n%q\nwas\n%q", meta2, meta)
	}
	var snappy, groups int64
	if err := s.QueryRow(ctx, "SELECT count(*) FILTER (WHERE compression = 'SNAPPY'), count(DISTINCT row_group_id) FROM parquet_metadata(?)", path).
		Scan(&snappy, &groups); err != nil {
		t.Fatal(err)
	}
	if snappy != 20 || groups != 10 {
		t.Errorf("%d snappy column chunks in %d row groups, want 20 in 10", snappy, groups)
	}
}

// TestSetParquetKeyValuesRefuses: files whose footer cannot be edited are left as they
// were, with an error saying why.
func TestSetParquetKeyValuesRefuses(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ name, content, want string }{
		{"encrypted.parquet", "PAR1" + strings.Repeat("\x00", 20) + "\x14\x00\x00\x00PARE", "encrypted footer"},
		{"csv.parquet", "a,b\n1,2\n3,4\n", "not a Parquet file"},
		{"short.parquet", "PAR1PAR1", "not a Parquet file"},
		{"long-footer.parquet", "PAR1\x15\x00\xff\x00\x00\x00PAR1", "exceeds the file"},
		{"garbage-footer.parquet", "PAR1\x19\x1c\x1c\x03\x00\x00\x00PAR1", "footer ends inside a value"},
	} {
		path := filepath.Join(dir, c.name)
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		err := arrowio.SetParquetKeyValues(path, arrowio.ParquetKV{Key: "k", Value: "v"})
		if !errors.Is(err, arrowio.ErrParquetFooter) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want arrowio.ErrParquetFooter saying %q", c.name, err, c.want)
		}
		if b, _ := os.ReadFile(path); string(b) != c.content {
			t.Errorf("%s changed", c.name)
		}
	}
}
