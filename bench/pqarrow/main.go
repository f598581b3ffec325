// Command pqarrow compares two ways of writing ingest's partition files from the same
// Arrow record batches of auth rows: DuckDB's Arrow import and COPY … TO parquet, and
// arrow-go's pqarrow writer, in CPU time per row and bytes (the comparison behind
// lanlq's own writer, arrowio.ParquetWriter; BENCHMARKS.md). The folder's pqcheck command reads
// files with arrow-go's reader to check lanlq's writer against DuckDB's.
//
//	cd bench/pqarrow && go run -tags duckdb_arrow . -raw /tmp/bench20/auth.txt.gz
//
// Files hold about one interval's rows (56 K auth rows: 13.5 M rows over 240 hours),
// in batches of 8192 rows, as ingest writes them. Each configuration runs -reps times,
// interleaved, and the run with the least CPU time is kept: the machine is shared.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql/driver"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/klauspost/compress/gzip"
)

var authColumns = []string{"userdomain_source", "userdomain_destination", "computer_source",
	"computer_destination", "auth", "logon", "direction", "result"}

// authSchema is ingest's Arrow schema of auth rows (engine.arrowSchema).
func authSchema() *arrow.Schema {
	fs := []arrow.Field{{Name: "time", Type: arrow.PrimitiveTypes.Int64}}
	for _, c := range authColumns {
		fs = append(fs, arrow.Field{Name: c, Type: arrow.BinaryTypes.String})
	}
	return arrow.NewSchema(fs, nil)
}

// loadFiles reads the first n lines of a gzip auth file and returns them as files of
// perFile rows, each a list of record batches of batchRows rows.
func loadFiles(path string, n, perFile, batchRows int) ([][]arrow.RecordBatch, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(zr)
	b := array.NewRecordBuilder(memory.DefaultAllocator, authSchema())
	defer b.Release()
	var files [][]arrow.RecordBatch
	var cur []arrow.RecordBatch
	rows, inFile, inBatch := 0, 0, 0
	for rows < n && sc.Scan() {
		fields := bytes.Split(sc.Bytes(), []byte{','})
		if len(fields) != 9 {
			return nil, fmt.Errorf("%s: line %d: %d fields", path, rows+1, len(fields))
		}
		var t int64
		for _, c := range fields[0] {
			t = t*10 + int64(c-'0')
		}
		b.Field(0).(*array.Int64Builder).Append(t)
		for i := 1; i < 9; i++ {
			b.Field(i).(*array.StringBuilder).BinaryBuilder.Append(fields[i])
		}
		rows, inFile, inBatch = rows+1, inFile+1, inBatch+1
		if inBatch == batchRows || inFile == perFile {
			cur, inBatch = append(cur, b.NewRecordBatch()), 0
		}
		if inFile == perFile {
			files, cur, inFile = append(files, cur), nil, 0
		}
	}
	if inBatch > 0 {
		cur = append(cur, b.NewRecordBatch())
	}
	if len(cur) > 0 {
		files = append(files, cur)
	}
	return files, sc.Err()
}

// dictionaryFiles re-encodes the string columns as Arrow dictionary arrays, one
// dictionary per file and column built with a Go map, as ingest's parser could.
func dictionaryFiles(files [][]arrow.RecordBatch) ([][]arrow.RecordBatch, *arrow.Schema) {
	dt := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	fs := []arrow.Field{{Name: "time", Type: arrow.PrimitiveTypes.Int64}}
	for _, c := range authColumns {
		fs = append(fs, arrow.Field{Name: c, Type: dt})
	}
	schema := arrow.NewSchema(fs, nil)
	var out [][]arrow.RecordBatch
	for _, batches := range files {
		dicts := make([]map[string]int32, 9)
		values := make([]*array.StringBuilder, 9)
		indices := make([][][]int32, 9)
		for i := 1; i < 9; i++ {
			dicts[i] = map[string]int32{}
			values[i] = array.NewStringBuilder(memory.DefaultAllocator)
			for _, b := range batches {
				col := b.Column(i).(*array.String)
				ix := make([]int32, col.Len())
				for r := range ix {
					v := col.Value(r)
					k, ok := dicts[i][v]
					if !ok {
						k = int32(len(dicts[i]))
						dicts[i][v] = k
						values[i].Append(v)
					}
					ix[r] = k
				}
				indices[i] = append(indices[i], ix)
			}
		}
		dictionaries := make([]arrow.Array, 9)
		for i := 1; i < 9; i++ {
			dictionaries[i] = values[i].NewArray()
		}
		var recs []arrow.RecordBatch
		for bi, b := range batches {
			cols := []arrow.Array{b.Column(0)}
			for i := 1; i < 9; i++ {
				ix := indices[i][bi]
				d := array.NewData(arrow.PrimitiveTypes.Int32, len(ix),
					[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(ix))}, nil, 0, 0)
				cols = append(cols, array.NewDictionaryArray(dt, array.MakeFromData(d), dictionaries[i]))
			}
			recs = append(recs, array.NewRecordBatch(schema, cols, b.NumRows()))
		}
		out = append(out, recs)
	}
	return out, schema
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func folderBytes(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			n += info.Size()
		}
		return nil
	})
	return n
}

type measure struct {
	wall, cpu time.Duration
	bytes     int64
}

func timed(dir string, write func() error) (measure, error) {
	if err := os.RemoveAll(dir); err != nil {
		return measure{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return measure{}, err
	}
	t0, c0 := time.Now(), cpuTime()
	err := write()
	return measure{wall: time.Since(t0), cpu: cpuTime() - c0, bytes: folderBytes(dir)}, err
}

// duckdbCopy writes each file as ingest does: the batches registered as an Arrow view
// on one connection (threads = 1), then COPY … TO parquet with the options ingest used
// (zstd, row groups of 122,880).
func duckdbCopy(files [][]arrow.RecordBatch, dir string) (measure, error) {
	ctx := context.Background()
	c, err := duckdb.NewConnector("", nil)
	if err != nil {
		return measure{}, err
	}
	defer c.Close()
	conn, err := c.Connect(ctx)
	if err != nil {
		return measure{}, err
	}
	defer conn.Close()
	exec := conn.(driver.ExecerContext)
	if _, err := exec.ExecContext(ctx, "SET threads = 1", nil); err != nil {
		return measure{}, err
	}
	ar, err := duckdb.NewArrowFromConn(conn)
	if err != nil {
		return measure{}, err
	}
	return timed(dir, func() error {
		for i, batches := range files {
			for _, b := range batches {
				b.Retain() // the reader releases them
			}
			rdr, err := array.NewRecordReader(authSchema(), batches)
			if err != nil {
				return err
			}
			release, err := ar.RegisterView(rdr, "run")
			if err != nil {
				return err
			}
			q := fmt.Sprintf("COPY (SELECT * FROM run) TO '%s/f%05d.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)", dir, i)
			_, err = exec.ExecContext(ctx, q, nil)
			release()
			rdr.Release()
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// pqarrowWrite writes each file with pqarrow.
func pqarrowWrite(files [][]arrow.RecordBatch, schema *arrow.Schema, dir string, props *parquet.WriterProperties) (measure, error) {
	return timed(dir, func() error {
		for i, batches := range files {
			f, err := os.Create(fmt.Sprintf("%s/f%05d.parquet", dir, i))
			if err != nil {
				return err
			}
			w, err := pqarrow.NewFileWriter(schema, f, props, pqarrow.DefaultWriterProps())
			if err != nil {
				return err
			}
			for _, b := range batches {
				if err := w.WriteBuffered(b); err != nil {
					return err
				}
			}
			if err := w.Close(); err != nil { // closes f
				return err
			}
		}
		return nil
	})
}

func main() {
	raw := flag.String("raw", "/tmp/bench20/auth.txt.gz", "auth file (lanlq synth output)")
	n := flag.Int("n", 2_000_000, "rows")
	perFile := flag.Int("per-file", 56_000, "rows per file (one interval run)")
	reps := flag.Int("reps", 3, "repetitions; the one with the least CPU time is kept")
	out := flag.String("out", filepath.Join(os.TempDir(), "lanlq-pqarrow"), "scratch folder")
	flag.Parse()
	files, err := loadFiles(*raw, *n, *perFile, 8192)
	if err != nil {
		log.Fatal(err)
	}
	rows := 0
	for _, batches := range files {
		for _, b := range batches {
			rows += int(b.NumRows())
		}
	}
	props := func(opts ...parquet.WriterProperty) *parquet.WriterProperties {
		return parquet.NewWriterProperties(append([]parquet.WriterProperty{
			parquet.WithCompression(compress.Codecs.Zstd), parquet.WithCompressionLevel(1),
			parquet.WithDictionaryDefault(true), parquet.WithStats(true),
			parquet.WithMaxRowGroupLength(122880)}, opts...)...)
	}
	dfiles, dschema := dictionaryFiles(files)
	schema := authSchema()
	configs := []struct {
		name  string
		write func(dir string) (measure, error)
	}{
		{"DuckDB Arrow import + COPY, zstd", func(d string) (measure, error) { return duckdbCopy(files, d) }},
		{"pqarrow zstd 1, dictionary", func(d string) (measure, error) { return pqarrowWrite(files, schema, d, props()) }},
		{"pqarrow zstd 3, dictionary", func(d string) (measure, error) {
			return pqarrowWrite(files, schema, d, props(parquet.WithCompressionLevel(3)))
		}},
		{"pqarrow zstd 1, dictionary, V2 pages", func(d string) (measure, error) {
			return pqarrowWrite(files, schema, d, props(parquet.WithDataPageVersion(parquet.DataPageV2)))
		}},
		{"pqarrow zstd 1, dictionary, 1 MB pages", func(d string) (measure, error) {
			return pqarrowWrite(files, schema, d, props(parquet.WithDataPageSize(1<<20)))
		}},
		{"pqarrow zstd 1, no dictionary", func(d string) (measure, error) {
			return pqarrowWrite(files, schema, d, props(parquet.WithDictionaryDefault(false)))
		}},
		{"pqarrow uncompressed, dictionary", func(d string) (measure, error) {
			return pqarrowWrite(files, schema, d, props(parquet.WithCompression(compress.Codecs.Uncompressed)))
		}},
		{"pqarrow zstd 1, Arrow dictionary input (*)", func(d string) (measure, error) {
			return pqarrowWrite(dfiles, dschema, d, props())
		}},
	}
	best := make([]measure, len(configs))
	for rep := range *reps {
		for i, c := range configs {
			m, err := c.write(filepath.Join(*out, fmt.Sprint(i)))
			if err != nil {
				log.Fatalf("%s: %v", c.name, err)
			}
			if rep == 0 || m.cpu < best[i].cpu {
				best[i] = m
			}
		}
	}
	t0, c0 := time.Now(), cpuTime()
	dictionaryFiles(files)
	dictBuild := measure{wall: time.Since(t0), cpu: cpuTime() - c0}

	perRow := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 / float64(rows) }
	fmt.Printf("%d auth rows in %d files, best of %d\n\n", rows, len(files), *reps)
	fmt.Println("| writer | CPU µs/row | wall µs/row | bytes/row | size vs DuckDB |")
	fmt.Println("|---|---:|---:|---:|---:|")
	for i, c := range configs {
		m := best[i]
		fmt.Printf("| %s | %.2f | %.2f | %.2f | %.2f× |\n", c.name, perRow(m.cpu), perRow(m.wall),
			float64(m.bytes)/float64(rows), float64(m.bytes)/float64(best[0].bytes))
	}
	fmt.Printf("| (*) building those dictionaries (Go maps, 8 columns) | %.2f | %.2f | | |\n", perRow(dictBuild.cpu), perRow(dictBuild.wall))
	os.RemoveAll(*out)
}
