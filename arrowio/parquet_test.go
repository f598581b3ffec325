package arrowio

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// unpackHybrid decodes one RLE/bit-packing hybrid stream of n values of the given
// width, bit by bit as the Parquet spec describes it (an independent, slow reader).
func unpackHybrid(t *testing.T, b []byte, width, n int) []int32 {
	t.Helper()
	var out []int32
	for len(out) < n {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			t.Fatalf("bad run header")
		}
		b = b[k:]
		if h&1 == 0 { // RLE run: a value in ceil(width/8) bytes
			var v int32
			for i := 0; i < (width+7)/8; i++ {
				v |= int32(b[i]) << (8 * i)
			}
			b = b[(width+7)/8:]
			for range h >> 1 {
				out = append(out, v)
			}
			continue
		}
		count := int(h>>1) * 8
		for i := range count {
			var v int32
			for j := range width {
				bit := i*width + j
				if b[bit/8]>>(bit%8)&1 == 1 {
					v |= 1 << j
				}
			}
			out = append(out, v)
		}
		b = b[count*width/8:]
	}
	if len(b) != 0 {
		t.Fatalf("%d bytes left after the values", len(b))
	}
	return out[:n]
}

func TestAppendBitPacked(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, width := range []int{1, 2, 3, 7, 8, 9, 13, 17, 24, 31} {
		for _, n := range []int{1, 7, 8, 9, 63, 64, 1000} {
			codes := make([]int32, n)
			for i := range codes {
				codes[i] = int32(rng.Uint64() & (1<<width - 1))
			}
			got := unpackHybrid(t, appendBitPacked(nil, codes, width), width, n)
			if !equalInt32(got, codes) {
				t.Fatalf("width %d, %d values: decoded %v, want %v", width, n, got, codes)
			}
		}
	}
}

func TestDefLevels(t *testing.T) {
	for _, n := range []int{1, 63, 64, 122880} {
		b := appendDefLevels(nil, n)
		if l := binary.LittleEndian.Uint32(b); int(l) != len(b)-4 {
			t.Fatalf("n=%d: length prefix %d, %d bytes follow", n, l, len(b)-4)
		}
		for i, v := range unpackHybrid(t, b[4:], 1, n) {
			if v != 1 {
				t.Fatalf("n=%d: level %d is %d", n, i, v)
			}
		}
	}
}

func equalInt32(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestParquetWriterRefuses(t *testing.T) {
	if _, err := NewParquetWriter(arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Float64}}, nil), ParquetOptions{}); err == nil {
		t.Fatal("a float64 column was accepted")
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	w, err := NewParquetWriter(schema, ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a", ""}, []bool{true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()
	w.Reset(io.Discard)
	if err := w.Write(rec); err == nil {
		t.Fatal("a null was accepted")
	}
}

// BenchmarkParquetWriter writes auth-like rows (LANL's column cardinalities) to
// io.Discard, in batches of 8192 and files of 56 K rows as ingest does.
//
//	go test -run '^$' -bench ParquetWriter -benchtime 2000000x ./arrowio/
func BenchmarkParquetWriter(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	fields := []arrow.Field{{Name: "time", Type: arrow.PrimitiveTypes.Int64}}
	cards := []int{30_000, 30_000, 15_000, 15_000, 10, 10, 2, 2} // users, computers, auth/logon types, direction, result
	for i := range cards {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: arrow.BinaryTypes.String})
	}
	schema := arrow.NewSchema(fields, nil)
	const batchRows, fileRows = 8192, 56 * 1024
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	for r := range batchRows {
		rb.Field(0).(*array.Int64Builder).Append(int64(r / 16))
		for i, c := range cards {
			rb.Field(i + 1).(*array.StringBuilder).Append(fmt.Sprintf("V%d", int(rng.ExpFloat64()*float64(c)/4)%c))
		}
	}
	rec := rb.NewRecordBatch()
	defer rec.Release()
	w, err := NewParquetWriter(schema, ParquetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var out bytes.Buffer
	w.Reset(&out)
	rows := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += batchRows {
		if err := w.Write(rec); err != nil {
			b.Fatal(err)
		}
		if rows += batchRows; rows >= fileRows {
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
			out.Reset()
			w.Reset(&out)
			rows = 0
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/row")
}
