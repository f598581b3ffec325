package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
)

// pqTestRows is the content of one round-trip case, column by column.
type pqTestRows struct {
	times []int64
	small []string // a handful of values, long runs
	big   []string // tens of thousands of distinct values (17-bit codes)
	odd   []string // empty, multi-byte and long values
	proto []int32
	bytes []int64
}

var pqTestSchema = arrow.NewSchema([]arrow.Field{
	{Name: "time", Type: arrow.PrimitiveTypes.Int64},
	{Name: "small", Type: arrow.BinaryTypes.String},
	{Name: "big", Type: arrow.BinaryTypes.String},
	{Name: "odd", Type: arrow.BinaryTypes.String},
	{Name: "proto", Type: arrow.PrimitiveTypes.Int32},
	{Name: "bytes", Type: arrow.PrimitiveTypes.Int64},
}, nil)

func makePQTestRows(n int, rng *rand.Rand) pqTestRows {
	var r pqTestRows
	odd := []string{"", "?", "C586$@DOM1", "Ünïcödé-ホスト", strings.Repeat("x", 300), "a,b", "ANONYMOUS LOGON"}
	t := int64(1000)
	for i := range n {
		t += int64(rng.IntN(3))
		r.times = append(r.times, t)
		r.small = append(r.small, []string{"LogOn", "LogOff", "TGS"}[min(2, i/50%4)])
		r.big = append(r.big, fmt.Sprintf("U%d@DOM1", rng.IntN(90_000)))
		r.odd = append(r.odd, odd[rng.IntN(len(odd))])
		r.proto = append(r.proto, int32(rng.IntN(20)-3))
		r.bytes = append(r.bytes, rng.Int64N(1<<40)-1<<39)
	}
	return r
}

func (r pqTestRows) batch(mem memory.Allocator, lo, hi int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, pqTestSchema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues(r.times[lo:hi], nil)
	b.Field(1).(*array.StringBuilder).AppendValues(r.small[lo:hi], nil)
	b.Field(2).(*array.StringBuilder).AppendValues(r.big[lo:hi], nil)
	b.Field(3).(*array.StringBuilder).AppendValues(r.odd[lo:hi], nil)
	b.Field(4).(*array.Int32Builder).AppendValues(r.proto[lo:hi], nil)
	b.Field(5).(*array.Int64Builder).AppendValues(r.bytes[lo:hi], nil)
	return b.NewRecordBatch()
}

// writePQTest writes r with arrowio.ParquetWriter in batches of batchRows, sliced out
// of larger batches so that the writer sees arrays with offsets.
func writePQTest(t *testing.T, w *arrowio.ParquetWriter, path string, r pqTestRows, batchRows int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w.Reset(f)
	n := len(r.times)
	whole := r.batch(mem, 0, n)
	defer whole.Release()
	for lo := 0; lo < n; lo += batchRows {
		s := whole.NewSlice(int64(lo), int64(min(n, lo+batchRows)))
		err := w.Write(s)
		s.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestParquetWriterRoundTrip writes files with arrowio.ParquetWriter and reads them
// back with DuckDB: every value in order, the column types, row groups of the size
// asked, and statistics equal to the true minimum and maximum of each row group.
func TestParquetWriterRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	w, err := arrowio.NewParquetWriter(pqTestSchema, arrowio.ParquetOptions{RowGroupRows: 5000})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ rows, batch int }{{0, 1}, {1, 1}, {7, 3}, {8, 8}, {4999, 777}, {5000, 5000}, {23_456, 2048}} {
		t.Run(fmt.Sprintf("rows=%d", tc.rows), func(t *testing.T) {
			r := makePQTestRows(tc.rows, rng)
			path := filepath.Join(dir, fmt.Sprintf("r%d.parquet", tc.rows))
			writePQTest(t, w, path, r, tc.batch) // the same writer, reused across files
			rows, err := s.Query(ctx, fmt.Sprintf(`SELECT time, small, big, odd, proto, bytes
				FROM read_parquet('%s', file_row_number = true) ORDER BY file_row_number`, escapeLiteral(path)))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			i := 0
			for rows.Next() {
				var tm, by int64
				var sm, bg, od string
				var pr int32
				if err := rows.Scan(&tm, &sm, &bg, &od, &pr, &by); err != nil {
					t.Fatal(err)
				}
				if i >= tc.rows {
					t.Fatalf("more rows than the %d written", tc.rows)
				}
				if tm != r.times[i] || sm != r.small[i] || bg != r.big[i] || od != r.odd[i] || pr != r.proto[i] || by != r.bytes[i] {
					t.Fatalf("row %d: read (%d %q %q %q %d %d), wrote (%d %q %q %q %d %d)", i, tm, sm, bg, od, pr, by,
						r.times[i], r.small[i], r.big[i], r.odd[i], r.proto[i], r.bytes[i])
				}
				i++
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			if i != tc.rows {
				t.Fatalf("read %d rows, wrote %d", i, tc.rows)
			}
			var types string
			if err := s.QueryRow(ctx, fmt.Sprintf(`SELECT string_agg(column_name || ' ' || column_type, ', ')
				FROM (DESCRIBE SELECT * FROM read_parquet('%s'))`, escapeLiteral(path))).Scan(&types); err != nil {
				t.Fatal(err)
			}
			if want := "time BIGINT, small VARCHAR, big VARCHAR, odd VARCHAR, proto INTEGER, bytes BIGINT"; types != want {
				t.Fatalf("types %q, want %q", types, want)
			}
			if tc.rows == 0 {
				return
			}
			// Statistics: per row group and column, DuckDB's decoded min/max against
			// the true ones computed by DuckDB from the data.
			var groups, bad int
			q := fmt.Sprintf(`
				WITH data AS (
				    SELECT file_row_number // 5000 AS g, * FROM read_parquet('%[1]s', file_row_number = true)
				), truth AS (
				    SELECT g, 'time' AS c, min(time)::VARCHAR AS lo, max(time)::VARCHAR AS hi FROM data GROUP BY g
				    UNION ALL SELECT g, 'small', min(small), max(small) FROM data GROUP BY g
				    UNION ALL SELECT g, 'big', min(big), max(big) FROM data GROUP BY g
				    UNION ALL SELECT g, 'odd', min(odd), max(odd) FROM data GROUP BY g
				    UNION ALL SELECT g, 'proto', min(proto)::VARCHAR, max(proto)::VARCHAR FROM data GROUP BY g
				    UNION ALL SELECT g, 'bytes', min(bytes)::VARCHAR, max(bytes)::VARCHAR FROM data GROUP BY g
				)
				SELECT count(DISTINCT m.row_group_id), count(*) FILTER (WHERE m.stats_min_value IS DISTINCT FROM t.lo
				    OR m.stats_max_value IS DISTINCT FROM t.hi OR m.stats_null_count <> 0 OR m.num_values <> m.row_group_num_rows)
				FROM parquet_metadata('%[1]s') AS m JOIN truth AS t ON t.g = m.row_group_id AND t.c = m.path_in_schema`,
				escapeLiteral(path))
			if err := s.QueryRow(ctx, q).Scan(&groups, &bad); err != nil {
				t.Fatal(err)
			}
			if want := (tc.rows + 4999) / 5000; groups != want || bad != 0 {
				t.Fatalf("%d row groups (want %d), %d column chunks with wrong statistics or counts", groups, want, bad)
			}
		})
	}
}
