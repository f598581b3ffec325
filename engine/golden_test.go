package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/internal/golden"
	"github.com/lanlq/lanlq/internal/pqtest"
	"github.com/lanlq/lanlq/lanl"
)

// genFolder matches a stream's generation folder in a data folder shown as DATA.
var genFolder = regexp.MustCompile(`DATA/\.lanlq/gen/([a-z]+)-[0-9a-f]+/`)

// TestGoldenEdgeSQL renders the edge and tuple SQL of each built-in architecture
// (testdata/edge_sql.txt; refresh with go test -run TestGoldenEdgeSQL -rewrite):
//
//	edges|tuples arch=notebook|entity [interval=SECONDS] [from=T] [to=T] [streams=a,b] start=SECONDS [data=ingested]
//
// With data=ingested the session reads a small ingest (1 h partitions of auth and dns)
// and the SQL names the partition files it reads, with the data folder shown as DATA.
func TestGoldenEdgeSQL(t *testing.T) {
	ctx := context.Background()
	// A session with the views and no ingest behind them: events are read through
	// the views, not from partition files.
	views, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer views.Close()
	views.dataDir = t.TempDir()
	if err := views.createViews(ctx); err != nil {
		t.Fatal(err)
	}
	raw, data := t.TempDir(), t.TempDir()
	for name, lines := range map[string]string{
		"auth.txt": "10,U1@DOM1,U1@DOM1,C1,C2,NTLM,Network,LogOn,Success\n3700,U2@DOM1,U2@DOM1,C2,C3,Kerberos,Network,LogOn,Success\n",
		"dns.txt":  "20,C1,C2\n7300,C3,C1\n",
	} {
		if err := os.WriteFile(filepath.Join(raw, name), []byte(lines), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	ingested, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ingested.Close()

	golden.Run(t, "testdata/edge_sql.txt", func(t *testing.T, c *golden.Case) string {
		s := views
		if c.Arg("data", "") == "ingested" {
			s = ingested
		}
		a := EdgeArgs{Arch: c.Arg("arch", ""), From: c.Arg("from", ""), To: c.Arg("to", ""), Streams: c.Arg("streams", "")}
		if w := c.Arg("interval", ""); w != "" {
			sec, err := strconv.ParseInt(w, 10, 64)
			if err != nil {
				c.Fatalf(t, "interval: %v", err)
			}
			a.Interval = time.Duration(sec) * time.Second
		}
		spec, err := a.Spec()
		if err != nil {
			return "error: " + err.Error()
		}
		p, err := s.plan(ctx, spec)
		if err != nil {
			return "error: " + err.Error()
		}
		start, err := strconv.ParseInt(c.Arg("start", "0"), 10, 64)
		if err != nil {
			c.Fatalf(t, "start: %v", err)
		}
		var q string
		switch c.Cmd {
		case "edges":
			q, err = p.edgesSQL(lanl.Time(start))
		case "tuples":
			q, err = p.tuplesSQL(lanl.Time(start))
		default:
			c.Fatalf(t, "unknown command %s", c.Cmd)
		}
		if err != nil {
			return "error: " + err.Error()
		}
		// The rendered SQL must also run.
		rows, err := s.Query(ctx, q)
		if err != nil {
			c.Fatalf(t, "the rendered SQL fails: %v\n%s", err, q)
		}
		rows.Close()
		// The template's whole-line comments are the same in every case: left out.
		// The session reads the generation folders it pinned at Open (their names hash
		// the input's paths and times): shown as the stream's folder.
		return genFolder.ReplaceAllString(strings.ReplaceAll(stripComments(q), data, "DATA"), "DATA/$1/")
	})
}

// TestGoldenParquetLayout describes, as DuckDB's parquet_schema and parquet_metadata
// read them, the files arrowio.ParquetWriter writes (testdata/parquet_layout.txt;
// refresh with go test -run TestGoldenParquetLayout -rewrite):
//
//	write rows=N [batch=N] [rowgroup=N] [seed=N]
//
// The rows are pqtest.Make's (times, INTEGER and BIGINT values, low- and high-cardinality
// strings, odd strings, a TIMESTAMP) from a seeded generator.
func TestGoldenParquetLayout(t *testing.T) {
	ctx := context.Background()
	s, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	golden.Run(t, "testdata/parquet_layout.txt", func(t *testing.T, c *golden.Case) string {
		n := atoiArg(t, c, "rows", "1000")
		seed := uint64(atoiArg(t, c, "seed", "1"))
		w, err := arrowio.NewParquetWriter(pqtest.Schema, arrowio.ParquetOptions{RowGroupRows: atoiArg(t, c, "rowgroup", "0")})
		if err != nil {
			return "error: " + err.Error()
		}
		path := filepath.Join(t.TempDir(), "layout.parquet")
		writePQTest(t, w, path, pqtest.Make(n, rand.New(rand.NewPCG(seed, seed))), atoiArg(t, c, "batch", "8192"))
		var b strings.Builder
		query := func(q string) {
			rows, err := s.Query(ctx, q, path)
			if err != nil {
				c.Fatalf(t, "%v", err)
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				if err := rows.Scan(ptrs...); err != nil {
					c.Fatalf(t, "%v", err)
				}
				for i, v := range vals {
					if i > 0 {
						b.WriteString(" ")
					}
					if bs, ok := v.([]byte); ok {
						v = string(bs)
					}
					if v == nil {
						v = "NULL"
					}
					if str, ok := v.(string); ok && len(str) > 40 {
						v = fmt.Sprintf("%.12s…(%d bytes)", str, len(str))
					}
					fmt.Fprintf(&b, "%s=%v", cols[i], v)
				}
				b.WriteString("\n")
			}
			if err := rows.Err(); err != nil {
				c.Fatalf(t, "%v", err)
			}
		}
		query(`SELECT name, type, repetition_type, converted_type, logical_type, num_children
			FROM parquet_schema(?)`)
		query(`SELECT DISTINCT row_group_id AS row_group, row_group_num_rows AS rows
			FROM parquet_metadata(?) ORDER BY 1`)
		query(`SELECT row_group_id AS rg, path_in_schema AS col, type, num_values AS values,
			compression, encodings, dictionary_page_offset IS NOT NULL AS dictionary,
			stats_null_count AS nulls, stats_min_value AS min, stats_max_value AS max
			FROM parquet_metadata(?) ORDER BY row_group_id, column_id`)
		query(`SELECT created_by, num_rows, num_row_groups, format_version FROM parquet_file_metadata(?)`)
		return b.String()
	})
}

func atoiArg(t *testing.T, c *golden.Case, key, def string) int {
	v, err := strconv.Atoi(c.Arg(key, def))
	if err != nil {
		c.Fatalf(t, "%s: %v", key, err)
	}
	return v
}
