// Command pqcheck reads two trees of Parquet files with arrow-go's Parquet reader (an
// implementation independent of DuckDB and of lanlq's writer) and checks that every
// file of the first tree holds the same columns and values, in the same order, as the
// file of the same relative path in the second. It checks lanlq's own Parquet writer
// (arrowio.ParquetWriter) against DuckDB's: ingest the same input with both, then
//
//	cd bench/pqarrow && go run ./pqcheck NEW_DATA/auth OLD_DATA/auth
package main

import (
	"context"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

func readTable(path string) (arrow.Table, error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	fr, err := pqarrow.NewFileReader(r, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	return fr.ReadTable(context.Background())
}

// compare returns "" when a and b hold the same columns and values in order.
func compare(a, b arrow.Table) string {
	if a.NumRows() != b.NumRows() || a.NumCols() != b.NumCols() {
		return fmt.Sprintf("shape %dx%d vs %dx%d", a.NumRows(), a.NumCols(), b.NumRows(), b.NumCols())
	}
	for c := 0; c < int(a.NumCols()); c++ {
		fa, fb := a.Schema().Field(c), b.Schema().Field(c)
		if fa.Name != fb.Name || !arrow.TypeEqual(fa.Type, fb.Type) {
			return fmt.Sprintf("column %d: %s %s vs %s %s", c, fa.Name, fa.Type, fb.Name, fb.Type)
		}
		ca, err := array.Concatenate(a.Column(c).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			return err.Error()
		}
		cb, err := array.Concatenate(b.Column(c).Data().Chunks(), memory.DefaultAllocator)
		if err != nil {
			return err.Error()
		}
		if !array.Equal(ca, cb) {
			return fmt.Sprintf("column %s: values differ", fa.Name)
		}
	}
	return ""
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: pqcheck NEW_TREE OLD_TREE")
	}
	root, other := os.Args[1], os.Args[2]
	var files, rows int64
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		a, err := readTable(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		defer a.Release()
		b, err := readTable(filepath.Join(other, rel))
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(other, rel), err)
		}
		defer b.Release()
		if msg := compare(a, b); msg != "" {
			return fmt.Errorf("%s: %s", rel, msg)
		}
		files++
		rows += a.NumRows()
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d files, %d rows: same columns and values, in order\n", files, rows)
}
