package arrowio

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/lanlq/lanlq/internal/pqtest"
)

// writePQ writes r with w, in batches of batchRows sliced out of one batch (arrays
// with offsets), and returns the file's bytes.
func writePQ(t *testing.T, mem memory.Allocator, w *ParquetWriter, r pqtest.Rows, batchRows int) []byte {
	t.Helper()
	var out bytes.Buffer
	w.Reset(&out)
	if err := r.WriteSliced(mem, w, batchRows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestParquetWriterArrowGoReader reads the writer's files with arrow-go's Parquet
// reader (parquet/file and parquet/pqarrow: an implementation independent of both
// the writer and DuckDB): every value in order, the schema, the row groups, and each
// column chunk's statistics against the true minimum and maximum.
func TestParquetWriterArrowGoReader(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const groupRows = 1000
	w, err := NewParquetWriter(pqtest.Schema, ParquetOptions{RowGroupRows: groupRows, CreatedBy: "lanlq test"})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct{ rows, batch int }{{0, 1}, {1, 1}, {9, 4}, {999, 1000}, {1000, 333}, {4321, 512}} {
		r := pqtest.Make(tc.rows, rng)
		b := writePQ(t, mem, w, r, tc.batch) // one writer, reused across files
		name := fmt.Sprintf("%d rows", tc.rows)
		rdr, err := file.NewParquetReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: arrow-go cannot open the file: %v", name, err)
		}
		md := rdr.MetaData()
		if md.NumRows != int64(tc.rows) || md.GetCreatedBy() != "lanlq test" {
			t.Errorf("%s: footer says %d rows by %q", name, md.NumRows, md.GetCreatedBy())
		}
		if want := (tc.rows + groupRows - 1) / groupRows; rdr.NumRowGroups() != want {
			t.Errorf("%s: %d row groups, want %d", name, rdr.NumRowGroups(), want)
		}
		for g := range rdr.NumRowGroups() {
			checkPQStats(t, name, md.RowGroup(g), r, g*groupRows)
		}
		fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 700}, mem)
		if err != nil {
			t.Fatal(err)
		}
		tbl, err := fr.ReadTable(context.Background())
		if err != nil {
			t.Fatalf("%s: arrow-go cannot read the file: %v", name, err)
		}
		checkPQTable(t, name, tbl, r)
		tbl.Release()
		if err := rdr.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func checkPQTable(t *testing.T, name string, tbl arrow.Table, r pqtest.Rows) {
	t.Helper()
	if !tbl.Schema().Equal(pqtest.Schema) {
		// arrow-go reads OPTIONAL columns as nullable: compare names and types.
		for i, f := range tbl.Schema().Fields() {
			if want := pqtest.Schema.Field(i); f.Name != want.Name || !arrow.TypeEqual(f.Type, want.Type) {
				t.Fatalf("%s: column %d read as %s %s, want %s %s", name, i, f.Name, f.Type, want.Name, want.Type)
			}
		}
	}
	if tbl.NumRows() != int64(r.Len()) {
		t.Fatalf("%s: read %d rows, wrote %d", name, tbl.NumRows(), r.Len())
	}
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		for k := range int(rec.NumRows()) {
			for c := range rec.NumCols() {
				if rec.Column(int(c)).IsNull(k) {
					t.Fatalf("%s: row %d column %d read as null", name, i, c)
				}
			}
			got := fmt.Sprintf("%d %d %d %q %q %q %d", rec.Column(0).(*array.Int64).Value(k), rec.Column(1).(*array.Int32).Value(k),
				rec.Column(2).(*array.Int64).Value(k), rec.Column(3).(*array.String).Value(k), rec.Column(4).(*array.String).Value(k),
				rec.Column(5).(*array.String).Value(k), rec.Column(6).(*array.Timestamp).Value(k))
			want := r.Row(i)
			if got != want {
				t.Fatalf("%s: row %d read %q, wrote %q", name, i, got, want)
			}
			i++
		}
	}
	if err := tr.Err(); err != nil {
		t.Fatal(err)
	}
}

// checkPQStats compares a row group's statistics with the rows it holds, which start
// at row lo.
func checkPQStats(t *testing.T, name string, rg *metadata.RowGroupMetaData, r pqtest.Rows, lo int) {
	t.Helper()
	hi := lo + int(rg.NumRows())
	for c := range rg.NumColumns() {
		cc, err := rg.ColumnChunk(c)
		if err != nil {
			t.Fatal(err)
		}
		st, err := cc.Statistics()
		if err != nil || st == nil || !st.HasMinMax() {
			t.Fatalf("%s: column %d has no min/max statistics (%v)", name, c, err)
		}
		if st.NullCount() != 0 || cc.NumValues() != int64(hi-lo) {
			t.Errorf("%s: column %d: %d nulls, %d values; want 0 and %d", name, c, st.NullCount(), cc.NumValues(), hi-lo)
		}
		var got, want string
		switch s := st.(type) {
		case *metadata.Int64Statistics:
			col := map[int][]int64{0: r.Times, 2: r.Bytes, 6: r.Stamp}[c][lo:hi]
			got, want = fmt.Sprint(s.Min(), s.Max()), fmt.Sprint(slices.Min(col), slices.Max(col))
		case *metadata.Int32Statistics:
			got, want = fmt.Sprint(s.Min(), s.Max()), fmt.Sprint(slices.Min(r.Ports[lo:hi]), slices.Max(r.Ports[lo:hi]))
		case *metadata.ByteArrayStatistics:
			col := [][]string{r.Small, r.Big, r.Odd}[c-3][lo:hi]
			got, want = fmt.Sprintf("%q %q", s.Min(), s.Max()), fmt.Sprintf("%q %q", slices.Min(col), slices.Max(col))
		default:
			t.Fatalf("%s: column %d has statistics of type %T", name, c, st)
		}
		if got != want {
			t.Errorf("%s: row group at %d, column %d: min/max %s, want %s", name, lo, c, got, want)
		}
	}
}

// failAfter is an io.Writer that accepts n bytes, then fails every write, as a full
// disk does.
type failAfter struct{ n int }

var errDiskFull = errors.New("test: no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if len(p) > f.n {
		k := f.n
		f.n = 0
		return k, errDiskFull
	}
	f.n -= len(p)
	return len(p), nil
}

// TestParquetWriterMisuse: calls out of order return ErrWriterState, not a panic;
// Close twice writes nothing more and returns the first result; a failing
// destination's error is returned by Write or Close and again by later calls.
func TestParquetWriterMisuse(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := pqtest.Make(3000, rand.New(rand.NewPCG(1, 9)))
	rec := rows.Batch(mem, 0, rows.Len())
	defer rec.Release()
	w, err := NewParquetWriter(pqtest.Schema, ParquetOptions{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); !errors.Is(err, ErrWriterState) {
		t.Errorf("Write before Reset: %v, want ErrWriterState", err)
	}
	if err := w.Close(); !errors.Is(err, ErrWriterState) {
		t.Errorf("Close before Reset: %v, want ErrWriterState", err)
	}
	w.Reset(nil)
	if err := w.Write(rec); !errors.Is(err, ErrWriterState) {
		t.Errorf("Write after Reset(nil): %v, want ErrWriterState", err)
	}
	if err := w.Close(); !errors.Is(err, ErrWriterState) {
		t.Errorf("Close after Reset(nil): %v, want ErrWriterState", err)
	}
	if _, err := NewParquetWriter(nil, ParquetOptions{}); !errors.Is(err, ErrSchema) {
		t.Errorf("nil schema: %v, want ErrSchema", err)
	}
	for _, typ := range []arrow.DataType{&arrow.TimestampType{Unit: arrow.Nanosecond}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
		arrow.PrimitiveTypes.Float64} {
		if _, err := NewParquetWriter(arrow.NewSchema([]arrow.Field{{Name: "x", Type: typ}}, nil), ParquetOptions{}); !errors.Is(err, ErrSchema) {
			t.Errorf("a column of type %s: %v, want ErrSchema", typ, err)
		}
	}

	var out bytes.Buffer
	w.Reset(&out)
	if err := w.Write(nil); !errors.Is(err, ErrSchema) {
		t.Errorf("Write(nil): %v, want ErrSchema", err)
	}
	other := arrow.NewSchema(pqtest.Schema.Fields()[:2], nil)
	ob := array.NewRecordBuilder(mem, other)
	ob.Field(0).(*array.Int64Builder).Append(1)
	ob.Field(1).(*array.Int32Builder).Append(1)
	orec := ob.NewRecordBatch()
	ob.Release()
	err = w.Write(orec)
	orec.Release()
	if !errors.Is(err, ErrSchema) {
		t.Errorf("Write of another schema: %v, want ErrSchema", err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	size := out.Len()
	if err := w.Close(); err != nil || out.Len() != size {
		t.Errorf("second Close: %v, file %d bytes after, %d before", err, out.Len(), size)
	}
	if err := w.Write(rec); !errors.Is(err, ErrWriterState) || out.Len() != size {
		t.Errorf("Write after Close: %v, file %d bytes after, %d before", err, out.Len(), size)
	}
	if _, err := file.NewParquetReader(bytes.NewReader(out.Bytes())); err != nil {
		t.Errorf("the file closed twice does not open: %v", err)
	}

	// A destination that fills up part way, at every point of the file.
	for _, limit := range []int{0, 3, 100, size / 2, size - 9, size - 1} {
		w.Reset(&failAfter{n: limit})
		err := w.Write(rec)
		if err == nil {
			err = w.Close()
		}
		if !errors.Is(err, errDiskFull) {
			t.Errorf("destination full after %d of %d bytes: %v, want its error", limit, size, err)
		}
		if err2 := w.Close(); !errors.Is(err2, errDiskFull) {
			t.Errorf("destination full after %d bytes: Close after the failure: %v", limit, err2)
		}
	}
	// The writer recovers for the next file.
	b := writePQ(t, mem, w, rows, 256)
	if !bytes.Equal(b, out.Bytes()) {
		t.Errorf("after failed files, the same rows give a different file (%d vs %d bytes)", len(b), size)
	}
}

// TestParquetWriterDictionary writes a dictionary<int32, utf8> column (batches sliced
// out of larger ones, a change of dictionary in the middle of a row group, duplicate
// and empty values) and the plain utf8 column of the same values: the files must be
// byte for byte the same, and arrow-go's reader must read the values back.
func TestParquetWriterDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dicts := [][]string{{"b", "a", "日本", "", "zz", "a"}, {"zz", "q", "a", strings.Repeat("x", 300)}}
	const n, split = 5000, 2100 // rows [0, split) index dicts[0], the rest dicts[1]
	rng := rand.New(rand.NewPCG(3, 4))
	idx := make([]int32, n)
	values := make([]string, n)
	for i := range n {
		d := dicts[min(1, i/split)]
		idx[i] = int32(rng.IntN(len(d)))
		if rng.IntN(4) == 0 && i > 0 && i != split {
			idx[i] = idx[i-1] // runs
		}
		values[i] = d[idx[i]]
	}
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dictSchema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: dictType}, {Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	plainSchema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String}, {Name: "k", Type: arrow.PrimitiveTypes.Int64}}, nil)
	keys := func(lo, hi int) arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		for i := lo; i < hi; i++ {
			b.Append(int64(i))
		}
		return b.NewArray()
	}
	// dictBatch returns rows [lo, hi) indexing dictionary d, sliced out of an array of
	// all n rows' indices (so the indices carry an offset).
	dictBatch := func(d []string, lo, hi int) arrow.RecordBatch {
		vb := array.NewStringBuilder(mem)
		vb.AppendValues(d, nil)
		dv := vb.NewArray()
		vb.Release()
		ib := array.NewInt32Builder(mem)
		ib.AppendValues(idx, nil)
		all := ib.NewArray()
		ib.Release()
		part := array.NewSlice(all, int64(lo), int64(hi))
		da := array.NewDictionaryArray(dictType, part, dv)
		k := keys(lo, hi)
		rec := array.NewRecordBatch(dictSchema, []arrow.Array{da, k}, int64(hi-lo))
		for _, a := range []arrow.Array{dv, all, part, da, k} {
			a.Release()
		}
		return rec
	}
	w, err := NewParquetWriter(dictSchema, ParquetOptions{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	w.Reset(&got)
	for _, span := range [][2]int{{0, 777}, {777, 1554}, {1554, split}, {split, 3333}, {3333, n}} {
		rec := dictBatch(dicts[min(1, span[0]/split)], span[0], span[1])
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}

	k := keys(0, n)
	samePlainFile(t, mem, got.Bytes(), plainSchema, values, k)
	k.Release()

	rdr, err := file.NewParquetReader(bytes.NewReader(got.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 700}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	tr := array.NewTableReader(tbl, 0)
	defer tr.Release()
	i := 0
	for tr.Next() {
		rec := tr.RecordBatch()
		v, kc := rec.Column(0).(*array.String), rec.Column(1).(*array.Int64)
		for r := range int(rec.NumRows()) {
			if v.Value(r) != values[i] || kc.Value(r) != int64(i) {
				t.Fatalf("row %d read (%q, %d), wrote (%q, %d)", i, v.Value(r), kc.Value(r), values[i], i)
			}
			i++
		}
	}
	if i != n {
		t.Fatalf("read %d rows, wrote %d", i, n)
	}

	// Misuse: an index outside the dictionary, a null value, other index types.
	w.Reset(io.Discard)
	bad := dictBatch(dicts[0], 0, 10)
	defer bad.Release()
	ib := array.NewInt32Builder(mem)
	ib.AppendValues([]int32{0, 9}, nil)
	far := ib.NewArray()
	ib.Release()
	defer far.Release()
	da := array.NewDictionaryArray(dictType, far, bad.Column(0).(*array.Dictionary).Dictionary())
	defer da.Release()
	k2 := keys(0, 2)
	defer k2.Release()
	rec2 := array.NewRecordBatch(dictSchema, []arrow.Array{da, k2}, 2)
	defer rec2.Release()
	if err := w.Write(rec2); !errors.Is(err, ErrSchema) {
		t.Errorf("an index outside the dictionary: %v, want ErrSchema", err)
	}
	nb := array.NewStringBuilder(mem)
	nb.AppendNull()
	nv := nb.NewArray()
	nb.Release()
	defer nv.Release()
	zero := array.NewSlice(far, 0, 1)
	defer zero.Release()
	dn := array.NewDictionaryArray(dictType, zero, nv)
	defer dn.Release()
	k1 := keys(0, 1)
	defer k1.Release()
	rec3 := array.NewRecordBatch(dictSchema, []arrow.Array{dn, k1}, 1)
	defer rec3.Release()
	if err := w.Write(rec3); !errors.Is(err, ErrSchema) {
		t.Errorf("a null dictionary value: %v, want ErrSchema", err)
	}
	wide := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int64, ValueType: arrow.BinaryTypes.String}
	if _, err := NewParquetWriter(arrow.NewSchema([]arrow.Field{{Name: "v", Type: wide}}, nil), ParquetOptions{}); !errors.Is(err, ErrSchema) {
		t.Errorf("int64 dictionary indices: %v, want ErrSchema", err)
	}
}

// TestParquetWriterDistinctDictionaries: with DistinctDictionaries, dictionary batches
// that share one dictionary across row groups and batches (the writer then hashes no
// value of a row group's first dictionary), with a second dictionary overlapping the
// first in the middle of a row group and a return to the first, give byte for byte
// the file of the plain utf8 column of the same values.
func TestParquetWriterDistinctDictionaries(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}
	dictSchema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: dictType}}, nil)
	plainSchema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String}}, nil)
	var dicts []arrow.Array
	for _, d := range [][]string{{"b", "a", "日本", "", "zz", "c"}, {"zz", "q", "a", strings.Repeat("x", 300)}} {
		b := array.NewStringBuilder(mem)
		b.AppendValues(d, nil)
		dicts = append(dicts, b.NewArray())
		b.Release()
	}
	defer func() {
		for _, d := range dicts {
			d.Release()
		}
	}()
	// Batches of [dictionary, rows]: row groups of 1000 rows; the second dictionary
	// starts inside the third row group, the first comes back inside the fourth.
	spans := []struct{ dict, rows int }{{0, 600}, {0, 900}, {0, 700}, {1, 500}, {0, 800}, {0, 1500}}
	rng := rand.New(rand.NewPCG(5, 6))
	var values []string
	w, err := NewParquetWriter(dictSchema, ParquetOptions{RowGroupRows: 1000, DistinctDictionaries: true})
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	w.Reset(&got)
	for _, sp := range spans {
		d := dicts[sp.dict].(*array.String)
		ib := array.NewInt32Builder(mem)
		for range sp.rows {
			k := rng.IntN(d.Len())
			ib.Append(int32(k))
			values = append(values, d.Value(k))
		}
		idx := ib.NewArray()
		ib.Release()
		da := array.NewDictionaryArray(dictType, idx, d)
		rec := array.NewRecordBatch(dictSchema, []arrow.Array{da}, int64(sp.rows))
		idx.Release()
		da.Release()
		err := w.Write(rec)
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	samePlainFile(t, mem, got.Bytes(), plainSchema, values)
}

// samePlainFile checks that got, a file written from a dictionary column, holds the
// bytes the writer gives for the same values as a plain string column (the first
// column of schema, in one record with the further columns rest; RowGroupRows 1000).
func samePlainFile(t *testing.T, mem memory.Allocator, got []byte, schema *arrow.Schema, values []string, rest ...arrow.Array) {
	t.Helper()
	pw, err := NewParquetWriter(schema, ParquetOptions{RowGroupRows: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	pw.Reset(&want)
	sb := array.NewStringBuilder(mem)
	sb.AppendValues(values, nil)
	sv := sb.NewArray()
	sb.Release()
	rec := array.NewRecordBatch(schema, append([]arrow.Array{sv}, rest...), int64(len(values)))
	sv.Release()
	err = pw.Write(rec)
	rec.Release()
	if err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the dictionary column's file (%d bytes) differs from the plain column's (%d bytes)", len(got), want.Len())
	}
}
