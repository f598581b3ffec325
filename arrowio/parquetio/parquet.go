//go:build lanlq_parquetio

package parquetio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// DefaultRowGroupRows is the row-group length Write uses unless told otherwise.
const DefaultRowGroupRows = 1 << 20

// arrowSchemaKey is where pqarrow stores the serialised Arrow schema.
const arrowSchemaKey = "ARROW:schema"

type parquetConfig struct {
	mem          memory.Allocator
	rowGroupRows int64
	batchRows    int64
}

// Option adjusts Write or Open.
type Option func(*parquetConfig)

// WithAllocator makes the Parquet writer or reader allocate with mem (default
// memory.DefaultAllocator).
func WithAllocator(mem memory.Allocator) Option {
	return func(c *parquetConfig) { c.mem = mem }
}

// WithRowGroupRows sets the maximum rows per row group when writing.
func WithRowGroupRows(n int64) Option {
	return func(c *parquetConfig) { c.rowGroupRows = n }
}

// WithBatchRows sets the rows per record batch when reading.
func WithBatchRows(n int64) Option {
	return func(c *parquetConfig) { c.batchRows = n }
}

func newParquetConfig(opts []Option) parquetConfig {
	c := parquetConfig{mem: memory.DefaultAllocator, rowGroupRows: DefaultRowGroupRows, batchRows: 64 * 1024}
	for _, o := range opts {
		o(&c)
	}
	return c
}

// writerOnly hides any Close method of the destination: pqarrow's FileWriter.Close would
// otherwise close the caller's writer.
type writerOnly struct{ io.Writer }

// Write writes every batch of rdr to w as one zstd-compressed Parquet file with
// the Arrow schema stored (so types such as TIMESTAMP[us] read back exactly) and meta as
// file key-value metadata, in key order.
//
// The output is a function of the input alone: identical batches and metadata give
// byte-identical files (no clock, host or random id is written; created_by is the
// library's fixed version string). Write does not Release rdr and does not close
// w. Keys may not be empty or "ARROW:schema".
func Write(w io.Writer, rdr array.RecordReader, meta map[string]string, opts ...Option) (err error) {
	cfg := newParquetConfig(opts)
	keys := make([]string, 0, len(meta))
	for k := range meta {
		if k == "" || k == arrowSchemaKey {
			return fmt.Errorf("%w: key %q is reserved", ErrMetadata, k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)

	props := parquet.NewWriterProperties(
		parquet.WithAllocator(cfg.mem),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithMaxRowGroupLength(cfg.rowGroupRows),
	)
	arrProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(cfg.mem))
	fw, err := pqarrow.NewFileWriter(rdr.Schema(), writerOnly{w}, props, arrProps)
	if err != nil {
		return fmt.Errorf("parquetio: parquet writer: %w", err)
	}
	defer func() {
		if cerr := fw.Close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("parquetio: closing parquet writer: %w", cerr))
		}
	}()
	for _, k := range keys {
		if err := fw.AppendKeyValueMetadata(k, meta[k]); err != nil {
			return fmt.Errorf("parquetio: parquet metadata %q: %w", k, err)
		}
	}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		if rec.NumRows() == 0 {
			continue
		}
		if err := fw.WriteBuffered(rec); err != nil {
			return fmt.Errorf("parquetio: writing parquet: %w", err)
		}
	}
	if err := rdr.Err(); err != nil {
		return fmt.Errorf("parquetio: reading batches to write: %w", err)
	}
	return nil
}

// WriteFile writes rdr to a new file at path with Write, removing the file
// again if writing fails.
func WriteFile(path string, rdr array.RecordReader, meta map[string]string, opts ...Option) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("parquetio: %w", err)
	}
	err = Write(f, rdr, meta, opts...)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("parquetio: %w", cerr)
	}
	if err != nil {
		return errors.Join(err, os.Remove(path))
	}
	return nil
}

var _ array.RecordReader = (*Reader)(nil)

// Reader streams the record batches of a Parquet file (its schema is the stored Arrow
// schema, each field with pqarrow's PARQUET:field_id metadata). It starts with one
// reference, which the caller must Release; the last Release closes the file. A batch
// returned by RecordBatch is valid until the next call to Next; Retain it to keep it.
type Reader struct {
	refs   atomic.Int64
	meta   map[string]string
	rows   int64
	pf     *file.Reader
	rr     pqarrow.RecordReader
	closer io.Closer // the os.File of OpenFile, else nil
}

// Open opens a Parquet file held by r (an *os.File, a *bytes.Reader, …) and
// prepares to read all of its columns and row groups.
func Open(r parquet.ReaderAtSeeker, opts ...Option) (*Reader, error) {
	cfg := newParquetConfig(opts)
	pf, err := file.NewParquetReader(r, file.WithReadProps(parquet.NewReaderProperties(cfg.mem)))
	if err != nil {
		return nil, fmt.Errorf("parquetio: opening parquet: %w", err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: cfg.batchRows}, cfg.mem)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("parquetio: opening parquet: %w", err), pf.Close())
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("parquetio: opening parquet: %w", err), pf.Close())
	}
	meta := make(map[string]string)
	if kv := pf.MetaData().KeyValueMetadata(); kv != nil {
		for i, k := range kv.Keys() {
			if k != arrowSchemaKey {
				meta[k] = kv.Values()[i]
			}
		}
	}
	p := &Reader{meta: meta, rows: pf.NumRows(), pf: pf, rr: rr}
	p.refs.Store(1)
	return p, nil
}

// OpenFile opens the Parquet file at path; the reader's last Release closes it.
func OpenFile(path string, opts ...Option) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("parquetio: %w", err)
	}
	p, err := Open(f, opts...)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	p.closer = f
	return p, nil
}

// Metadata returns the file's key-value metadata without pqarrow's stored Arrow schema.
// The map is the reader's; do not modify it.
func (p *Reader) Metadata() map[string]string { return p.meta }

// NumRows returns the number of rows in the file.
func (p *Reader) NumRows() int64 { return p.rows }

// Schema returns the Arrow schema of the batches.
func (p *Reader) Schema() *arrow.Schema { return p.rr.Schema() }

// Next advances to the next batch.
func (p *Reader) Next() bool { return p.rr.Next() }

// RecordBatch returns the current batch.
func (p *Reader) RecordBatch() arrow.RecordBatch { return p.rr.RecordBatch() }

// Record returns the current batch.
//
// Deprecated: use RecordBatch. It exists to satisfy array.RecordReader.
func (p *Reader) Record() arrow.RecordBatch { return p.rr.RecordBatch() }

// Err returns the error that stopped Next, if any (io.EOF is not an error).
func (p *Reader) Err() error {
	if err := p.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// Retain adds a reference.
func (p *Reader) Retain() { p.refs.Add(1) }

// Release removes a reference; the last one releases the batches and closes the file.
// Further Releases do nothing.
func (p *Reader) Release() {
	if p.refs.Add(-1) != 0 {
		return
	}
	p.rr.Release()
	// Errors on closing a file opened only for reading carry no information to act on.
	_ = p.pf.Close()
	if p.closer != nil {
		_ = p.closer.Close()
	}
}
