//go:build lanlq_parquetio

package parquetio_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/arrowio/parquetio"
)

var origin = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// edges returns a reader over n seeded random edges in batches of 2048 rows.
func edges(t *testing.T, mem memory.Allocator, n int) *arrowio.SliceReader {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	starts := make([]time.Time, n)
	a, b, w := make([]int64, n), make([]int64, n), make([]int64, n)
	for i := range n {
		starts[i] = origin.Add(time.Duration(i/1000) * time.Hour)
		a[i], b[i], w[i] = rng.Int64N(5000), rng.Int64N(5000), 1+rng.Int64N(9)
	}
	rdr, err := arrowio.NewEdgeReader(mem, 2048, starts, a, b, w)
	if err != nil {
		t.Fatal(err)
	}
	return rdr
}

func write(t *testing.T, mem memory.Allocator, n int, meta map[string]string, opts ...parquetio.Option) []byte {
	t.Helper()
	rdr := edges(t, mem, n)
	defer rdr.Release()
	var buf bytes.Buffer
	if err := parquetio.Write(&buf, rdr, meta, append(opts, parquetio.WithAllocator(mem))...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 10_000
	meta := map[string]string{"lanlq.version": "test", "lanlq.interval": "1h", "z": ""}
	data := write(t, mem, n, meta, parquetio.WithRowGroupRows(3000))

	pr, err := parquetio.Open(bytes.NewReader(data), parquetio.WithAllocator(mem), parquetio.WithBatchRows(1500))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Release()
	var _ array.RecordReader = pr
	if pr.NumRows() != n {
		t.Errorf("NumRows = %d, want %d", pr.NumRows(), n)
	}
	if got := pr.Metadata(); len(got) != len(meta) || got["lanlq.interval"] != "1h" || got["z"] != "" {
		t.Errorf("metadata %v, want %v", got, meta)
	}
	if !sameFields(pr.Schema(), arrowio.EdgeSchema(true)) {
		t.Fatalf("schema %v, want %v", pr.Schema(), arrowio.EdgeSchema(true))
	}

	want := edges(t, mem, n)
	defer want.Release()
	wantTable := table(t, want)
	defer wantTable.Release()
	gotTable := table(t, pr)
	defer gotTable.Release()
	if gotTable.NumRows() != n {
		t.Fatalf("read %d rows, want %d", gotTable.NumRows(), n)
	}
	for c := range int(wantTable.NumCols()) {
		g, w := gotTable.Column(c).Data(), wantTable.Column(c).Data()
		if !array.ChunkedEqual(g, w) {
			t.Errorf("column %s differs after the round trip", wantTable.Schema().Field(c).Name)
		}
	}
}

// table concatenates a reader's batches (Retaining them) into a table the caller Releases.
func table(t *testing.T, rdr array.RecordReader) arrow.Table {
	t.Helper()
	var recs []arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	if err := rdr.Err(); err != nil {
		t.Fatal(err)
	}
	tbl := array.NewTableFromRecords(rdr.Schema(), recs)
	for _, r := range recs {
		r.Release()
	}
	return tbl
}

func TestDeterministic(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	meta := map[string]string{"b": "2", "a": "1", "c": "3", "d": "4", "e": "5"}
	first := write(t, mem, 5000, meta)
	for range 3 {
		// Map iteration order differs from run to run; the bytes must not.
		if again := write(t, mem, 5000, map[string]string{"e": "5", "d": "4", "c": "3", "b": "2", "a": "1"}); !bytes.Equal(first, again) {
			t.Fatal("same input, different bytes")
		}
	}
	if other := write(t, mem, 5000, map[string]string{"a": "1"}); bytes.Equal(first, other) {
		t.Fatal("different metadata, same bytes")
	}
}

func TestWriteFileAndOpenFile(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	path := filepath.Join(t.TempDir(), "edges.parquet")
	rdr := edges(t, mem, 3000)
	defer rdr.Release()
	if err := parquetio.WriteFile(path, rdr, map[string]string{"k": "v"}, parquetio.WithAllocator(mem)); err != nil {
		t.Fatal(err)
	}
	pr, err := parquetio.OpenFile(path, parquetio.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	rows := int64(0)
	for pr.Next() {
		rows += pr.RecordBatch().NumRows()
	}
	if pr.Err() != nil || rows != 3000 || pr.Metadata()["k"] != "v" {
		t.Errorf("read %d rows, err %v, metadata %v", rows, pr.Err(), pr.Metadata())
	}
	pr.Release()
	pr.Release() // twice is harmless

	if _, err := parquetio.OpenFile(filepath.Join(t.TempDir(), "missing.parquet")); err == nil {
		t.Error("opening a missing file succeeded")
	}
}

func TestReservedMetadataKey(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr := edges(t, mem, 10)
	defer rdr.Release()
	var buf bytes.Buffer
	if err := parquetio.Write(&buf, rdr, map[string]string{"ARROW:schema": "x"}, parquetio.WithAllocator(mem)); !errors.Is(err, parquetio.ErrMetadata) {
		t.Fatalf("err %v, want ErrMetadata", err)
	}
}

// An empty reader gives a valid file with the schema and no rows.
func TestEmpty(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rdr, err := arrowio.NewSliceReader(arrowio.EdgeSchema(false))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Release()
	var buf bytes.Buffer
	if err := parquetio.Write(&buf, rdr, nil, parquetio.WithAllocator(mem)); err != nil {
		t.Fatal(err)
	}
	pr, err := parquetio.Open(bytes.NewReader(buf.Bytes()), parquetio.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Release()
	if pr.NumRows() != 0 || !sameFields(pr.Schema(), arrowio.EdgeSchema(false)) {
		t.Errorf("NumRows %d, schema %v", pr.NumRows(), pr.Schema())
	}
	for pr.Next() {
		if pr.RecordBatch().NumRows() != 0 {
			t.Error("rows in an empty file")
		}
	}
	if err := pr.Err(); err != nil {
		t.Error(err)
	}
}

// sameFields compares names and types, not the field metadata (PARQUET:field_id) the
// reader adds.
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i, f := range a.Fields() {
		g := b.Field(i)
		if f.Name != g.Name || !arrow.TypeEqual(f.Type, g.Type) {
			return false
		}
	}
	return true
}
