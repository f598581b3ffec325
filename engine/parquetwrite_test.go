package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/internal/pqtest"
)

// writePQTest writes r with arrowio.ParquetWriter in batches of batchRows, sliced out
// of larger batches so that the writer sees arrays with offsets.
func writePQTest(t *testing.T, w *arrowio.ParquetWriter, path string, r pqtest.Rows, batchRows int) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w.Reset(f)
	if err := r.WriteSliced(mem, w, batchRows); err != nil {
		t.Fatal(err)
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
	w, err := arrowio.NewParquetWriter(pqtest.Schema, arrowio.ParquetOptions{RowGroupRows: 5000})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ rows, batch int }{{0, 1}, {1, 1}, {7, 3}, {8, 8}, {4999, 777}, {5000, 5000}, {23_456, 2048}} {
		t.Run(fmt.Sprintf("rows=%d", tc.rows), func(t *testing.T) {
			r := pqtest.Make(tc.rows, rng)
			path := filepath.Join(dir, fmt.Sprintf("r%d.parquet", tc.rows))
			writePQTest(t, w, path, r, tc.batch) // the same writer, reused across files
			rows, err := s.Query(ctx, fmt.Sprintf(`SELECT time, port, bytes, small, big, odd, epoch_us(stamp)
				FROM read_parquet('%s', file_row_number = true) ORDER BY file_row_number`, escapeLiteral(path)))
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			i := 0
			for rows.Next() {
				var tm, by, st int64
				var sm, bg, od string
				var pt int32
				if err := rows.Scan(&tm, &pt, &by, &sm, &bg, &od, &st); err != nil {
					t.Fatal(err)
				}
				if i >= tc.rows {
					t.Fatalf("more rows than the %d written", tc.rows)
				}
				if got := fmt.Sprintf("%d %d %d %q %q %q %d", tm, pt, by, sm, bg, od, st); got != r.Row(i) {
					t.Fatalf("row %d: read %s, wrote %s", i, got, r.Row(i))
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
			if want := "time BIGINT, port INTEGER, bytes BIGINT, small VARCHAR, big VARCHAR, odd VARCHAR, stamp TIMESTAMP"; types != want {
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
				    UNION ALL SELECT g, 'port', min(port)::VARCHAR, max(port)::VARCHAR FROM data GROUP BY g
				    UNION ALL SELECT g, 'stamp', min(stamp)::VARCHAR, max(stamp)::VARCHAR FROM data GROUP BY g
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
