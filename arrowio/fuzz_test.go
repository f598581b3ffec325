package arrowio

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/lanlq/lanlq/internal/pqtest"
)

// The fuzz targets run their seeds as plain tests; README "Fuzzing" says how to run
// them longer.

// FuzzThriftStruct: splitThriftStruct never panics on any bytes, and what it accepts
// re-encodes (writeThriftStruct) to bytes it splits into the same fields.
func FuzzThriftStruct(f *testing.F) {
	f.Add(pqSeedFooter(f))
	f.Add([]byte{0})
	f.Add([]byte{0x19, 0x1c, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := splitThriftStruct(b)
		if err != nil {
			return
		}
		var again bytes.Buffer
		writeThriftStruct(&again, fields)
		back, err := splitThriftStruct(again.Bytes())
		if err != nil || len(back) != len(fields) {
			t.Fatalf("%x: %d fields re-encode to %x: %d fields, %v", b, len(fields), again.Bytes(), len(back), err)
		}
		for i := range back {
			if back[i].id != fields[i].id || back[i].typ != fields[i].typ || !bytes.Equal(back[i].value, fields[i].value) {
				t.Fatalf("%x: field %d changed on re-encoding", b, i)
			}
		}
	})
}

// pqSeedFooter is the footer of a small file written by ParquetWriter.
func pqSeedFooter(f *testing.F) []byte {
	file := pqSeedFile(f)
	n := int(file[len(file)-8]) | int(file[len(file)-7])<<8 | int(file[len(file)-6])<<16 | int(file[len(file)-5])<<24
	return file[len(file)-8-n : len(file)-8]
}

func pqSeedFile(f *testing.F) []byte {
	w, err := NewParquetWriter(pqtest.Schema, ParquetOptions{RowGroupRows: 3})
	if err != nil {
		f.Fatal(err)
	}
	rec := pqtest.Make(7, rand.New(rand.NewPCG(1, 1))).Batch(memory.DefaultAllocator, 0, 7)
	defer rec.Release()
	var out bytes.Buffer
	w.Reset(&out)
	if err := w.Write(rec); err != nil {
		f.Fatal(err)
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	return out.Bytes()
}

// FuzzParquetFooter gives SetParquetKeyValues arbitrary files (it edits files other
// tools wrote): it returns ErrParquetFooter or succeeds, never panics; on success the
// bytes before the footer are untouched and the key is set exactly once, also after
// a second edit.
func FuzzParquetFooter(f *testing.F) {
	f.Add(pqSeedFile(f))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Add([]byte("PAR1\x01\x00\x00\x00\x00\x01\x00\x00\x00PAR1"))
	f.Add([]byte("PAR1\x15\x00\x00\x00PARE"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(dir, "f.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		err := SetParquetKeyValues(path, ParquetKV{Key: "lanlq.k", Value: "v1"})
		if err != nil {
			if !errors.Is(err, ErrParquetFooter) {
				t.Fatalf("error %v does not wrap ErrParquetFooter", err)
			}
			return
		}
		n := int64(len(b)) - 8 - int64(uint32(b[len(b)-8])|uint32(b[len(b)-7])<<8|uint32(b[len(b)-6])<<16|uint32(b[len(b)-5])<<24)
		if err := SetParquetKeyValues(path, ParquetKV{Key: "lanlq.k", Value: "v2"}, ParquetKV{Key: "lanlq.k2", Value: "x", KeepExisting: true}); err != nil {
			t.Fatalf("a footer lanlq wrote cannot be edited again: %v", err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:n], b[:n]) {
			t.Fatalf("the %d bytes before the footer changed", n)
		}
		file, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer file.Close()
		footer, _, err := readParquetFooter(file, path)
		if err != nil {
			t.Fatal(err)
		}
		fields, err := splitThriftStruct(footer)
		if err != nil {
			t.Fatal(err)
		}
		for _, fl := range fields {
			if fl.id != fileMetaKeyValues {
				continue
			}
			entries, err := splitKeyValues(fl.value)
			if err != nil {
				t.Fatal(err)
			}
			counts := map[string]int{}
			for _, e := range entries {
				counts[e.key]++
			}
			if counts["lanlq.k"] < 1 || counts["lanlq.k2"] < 1 { // a file may hold a key twice already
				t.Fatalf("after two edits: keys %v", counts)
			}
			return
		}
		t.Fatal("no key_value_metadata after an edit")
	})
}
