package arrowio

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"math/bits"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/klauspost/compress/zstd"
)

// ParquetWriter writes Arrow record batches of a flat schema (int32, int64, utf8,
// dictionary<int32, utf8> and timestamp[us] without time zone columns, no nulls) as a
// Parquet file. It exists for ingest's hot path: DuckDB's
// Arrow import plus its Parquet writer cost about 1.4 µs of CPU per LANL auth row, and
// arrow-go's pqarrow about as much (its dictionary encoder hashes every value through
// a general memo table); ingest's target leaves about 0.5 µs. What it writes is what
// DuckDB's COPY … (FORMAT parquet, COMPRESSION zstd) writes for such data, with less
// choice:
//   - every column OPTIONAL (as DuckDB writes them), definition levels all 1;
//   - a dictionary<int32, utf8> column as the utf8 column of its values, each
//     dictionary entry looked up by its index (no hashing of values already met in the
//     row group): for values drawn from a known table, such as artifact names by id;
//   - timestamps as INT64 microseconds, TIMESTAMP(isAdjustedToUTC=false, MICROS), which
//     DuckDB reads as TIMESTAMP;
//   - strings dictionary-encoded per row group (a Go map, with a one-entry cache of
//     the previous row's value, which LANL's low-cardinality columns hit often),
//     indices bit-packed; integers PLAIN;
//   - one data page per column chunk, zstd-compressed (klauspost/compress, level
//     ParquetOptions.Level);
//   - min/max statistics for every column chunk (min_value/max_value with type-defined
//     column order), so DuckDB prunes row groups on time.
//
// A writer is reused for many files (Reset), keeping its buffers and zstd encoder; it is
// not safe for concurrent use. Its life per file is Reset, Write…, Close: Close may be
// called again (it returns the first Close's result and writes nothing), and Write or
// Close without an open file, or Write after Close, return ErrWriterState.
type ParquetWriter struct {
	schema *arrow.Schema
	opts   ParquetOptions
	enc    *zstd.Encoder
	out    *bufio.Writer
	pos    int64 // bytes written to the current file
	cols   []pqColumn
	rows   int // rows of the open row group
	total  int64
	groups []pqRowGroup
	page   []byte // uncompressed page body
	comp   []byte // compressed page body
	meta   thriftWriter
	err    error
	state  pqState
}

// pqState is where a ParquetWriter is in the life of a file.
type pqState uint8

const (
	pqNoFile pqState = iota // new: Reset not called yet
	pqOpen                  // Reset called: Write and Close accepted
	pqClosed                // Close called: Reset starts the next file
)

// ParquetOptions are a ParquetWriter's settings; zero values take the defaults.
type ParquetOptions struct {
	// RowGroupRows is the number of rows per row group (DuckDB's default, 122,880).
	RowGroupRows int
	// Level is the zstd level (default zstd.SpeedFastest).
	Level zstd.EncoderLevel
	// CreatedBy is the footer's created_by (default "lanlq").
	CreatedBy string
	// DistinctDictionaries promises that the dictionary of every dictionary<int32,
	// utf8> batch holds each value once (artifact names by id, say): the writer then
	// does not hash the values of a row group's first dictionary to find repeats
	// (profiled: most of lanlq edges' writing CPU). The file is the same either way
	// when the promise holds; when it does not, a value may get two dictionary
	// entries in a row group (the rows read back the same).
	DistinctDictionaries bool
}

// Parquet physical types, encodings and codecs used (parquet.thrift).
const (
	pqInt32     = 1
	pqInt64     = 2
	pqByteArray = 6

	pqPlain         = 0
	pqRLE           = 3
	pqRLEDictionary = 8

	pqZstd = 6

	pqDataPage       = 0
	pqDictionaryPage = 2

	pqOptional                 = 1
	pqConvertedUTF8            = 0
	pqConvertedTimestampMicros = 10
)

// pqColumn buffers one column of the open row group.
type pqColumn struct {
	name string
	typ  arrow.Type
	i64  []int64
	i32  []int32
	// strings: codes per row, dictionary as PLAIN bytes (4-byte length + value) and the
	// offset of each entry in it.
	codes    []int32
	dict     map[string]int32
	dictBuf  []byte
	dictOffs []int32
	prev     []byte // previous row's value (a view into the last batch)
	prevCode int32
	// dictionary<int32, utf8> columns: the row group's code of each entry of the
	// batches' dictionary (-1: not met yet), the entries set, and which dictionary
	// that is (a batch with another one starts the mapping afresh; values met under
	// the former keep their codes through dict).
	remap   []int32
	touched []int32
	remapOf arrow.ArrayData
	// With distinct set, groupDict is the one dictionary the row group's entries came
	// from (nil: none yet), while mixed is false: then an entry met for the first
	// time is new to the row group (remap is per index, the dictionary's values
	// distinct) and is added without hashing its value, which dict is not told of. A
	// second dictionary in the row group sets mixed: dict is filled with the entries
	// so far, and every later new entry goes through it. Without distinct, mixed is
	// always set.
	groupDict arrow.ArrayData
	mixed     bool
	distinct  bool      // ParquetOptions.DistinctDictionaries
	chunks    []pqChunk // one per row group written
}

type pqChunk struct {
	offset, dictOffset       int64 // dictOffset < 0: no dictionary page
	compressed, uncompressed int64
	values                   int64
	minValue, maxValue       []byte
	dataPageOffset           int64
}

type pqRowGroup struct {
	rows, bytes, compressed int64
	offset                  int64
}

// NewParquetWriter returns a writer for batches of schema; call Reset before each file.
func NewParquetWriter(schema *arrow.Schema, opts ParquetOptions) (*ParquetWriter, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: Parquet writer: nil schema", ErrSchema)
	}
	if opts.RowGroupRows <= 0 {
		opts.RowGroupRows = 122880
	}
	if opts.Level == 0 {
		opts.Level = zstd.SpeedFastest
	}
	if opts.CreatedBy == "" {
		opts.CreatedBy = "lanlq"
	}
	w := &ParquetWriter{schema: schema, opts: opts}
	for _, f := range schema.Fields() {
		switch f.Type.ID() {
		case arrow.INT32, arrow.INT64, arrow.STRING:
		case arrow.DICTIONARY:
			if dt := f.Type.(*arrow.DictionaryType); dt.IndexType.ID() != arrow.INT32 || dt.ValueType.ID() != arrow.STRING {
				return nil, fmt.Errorf("%w: Parquet writer: column %s has type %s (dictionaries of int32 indices and utf8 values only)", ErrSchema, f.Name, f.Type)
			}
		case arrow.TIMESTAMP:
			if ts := f.Type.(*arrow.TimestampType); ts.Unit != arrow.Microsecond || ts.TimeZone != "" {
				return nil, fmt.Errorf("%w: Parquet writer: column %s has type %s (timestamps in microseconds without time zone only)", ErrSchema, f.Name, f.Type)
			}
		default:
			return nil, fmt.Errorf("%w: Parquet writer: column %s has type %s (int32, int64, utf8, dictionary<int32, utf8> or timestamp[us] only)", ErrSchema, f.Name, f.Type)
		}
		c := pqColumn{name: f.Name, typ: f.Type.ID(), distinct: opts.DistinctDictionaries}
		if c.typ == arrow.DICTIONARY {
			c.typ = arrow.STRING // written as its values
		}
		if c.typ == arrow.STRING {
			c.dict = map[string]int32{}
		}
		w.cols = append(w.cols, c)
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(opts.Level), zstd.WithEncoderConcurrency(1),
		zstd.WithEncoderCRC(false))
	if err != nil {
		return nil, err
	}
	w.enc = enc
	return w, nil
}

// Reset starts a new file written to dst (buffered; Close flushes it but does not
// close dst). A file left open by an earlier Reset is abandoned unfinished. A nil dst
// makes the following Write and Close return ErrWriterState.
func (w *ParquetWriter) Reset(dst io.Writer) {
	if dst == nil {
		w.state, w.err = pqNoFile, fmt.Errorf("%w: Reset with a nil destination", ErrWriterState)
		return
	}
	w.state = pqOpen
	if w.out == nil {
		w.out = bufio.NewWriterSize(dst, 1<<20)
	} else {
		w.out.Reset(dst)
	}
	w.pos, w.rows, w.total, w.groups, w.err = 0, 0, 0, w.groups[:0], nil
	for i := range w.cols {
		w.cols[i].resetGroup()
		w.cols[i].chunks = w.cols[i].chunks[:0]
	}
	w.write([]byte("PAR1"))
}

// Rows is the number of rows written to the current file so far.
func (w *ParquetWriter) Rows() int64 { return w.total + int64(w.rows) }

// Write appends the rows of rec, whose schema must equal the writer's.
func (w *ParquetWriter) Write(rec arrow.RecordBatch) error {
	if err := w.usable("Write"); err != nil {
		return err
	}
	if rec == nil {
		return fmt.Errorf("%w: Parquet writer: nil record batch", ErrSchema)
	}
	if !rec.Schema().Equal(w.schema) {
		return fmt.Errorf("%w: Parquet writer: batch schema %s, want %s", ErrSchema, rec.Schema(), w.schema)
	}
	for i := range w.cols {
		if n := rec.Column(i).NullN(); n > 0 {
			return fmt.Errorf("%w: Parquet writer: column %s holds %d nulls", ErrSchema, w.cols[i].name, n)
		}
		if d, ok := rec.Column(i).(*array.Dictionary); ok {
			if err := checkDictionary(d); err != nil {
				return fmt.Errorf("%w: Parquet writer: column %s: %w", ErrSchema, w.cols[i].name, err)
			}
		}
	}
	n := int(rec.NumRows())
	for lo := 0; lo < n; {
		hi := min(n, lo+w.opts.RowGroupRows-w.rows)
		for i := range w.cols {
			w.cols[i].append(rec.Column(i), lo, hi)
		}
		w.rows += hi - lo
		lo = hi
		if w.rows == w.opts.RowGroupRows {
			if err := w.flushGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

// usable returns the error that stops op: a writer with no open file, or the first
// error of the file being written.
func (w *ParquetWriter) usable(op string) error {
	switch {
	case w.err != nil:
		return w.err
	case w.state == pqNoFile:
		return fmt.Errorf("%w: %s before Reset", ErrWriterState, op)
	case w.state == pqClosed:
		return fmt.Errorf("%w: %s after Close", ErrWriterState, op)
	}
	return nil
}

// physicalType is the column's Parquet physical type.
func (c *pqColumn) physicalType() int32 {
	switch c.typ {
	case arrow.INT64, arrow.TIMESTAMP:
		return pqInt64
	case arrow.INT32:
		return pqInt32
	default:
		return pqByteArray
	}
}

// checkDictionary refuses a dictionary column the writer cannot write: nulls among
// the values, or an index outside them.
func checkDictionary(d *array.Dictionary) error {
	values := d.Dictionary()
	if n := values.NullN(); n > 0 {
		return fmt.Errorf("%d null dictionary values", n)
	}
	size := int32(values.Len())
	for _, k := range d.Indices().(*array.Int32).Int32Values() {
		if k < 0 || k >= size {
			return fmt.Errorf("index %d outside the dictionary of %d values", k, size)
		}
	}
	return nil
}

func (c *pqColumn) resetGroup() {
	c.i64, c.i32, c.codes = c.i64[:0], c.i32[:0], c.codes[:0]
	if c.dict != nil {
		clear(c.dict)
	}
	c.resetRemap()
	c.dictBuf, c.dictOffs, c.prev, c.prevCode = c.dictBuf[:0], c.dictOffs[:0], nil, 0
	c.groupDict, c.mixed = nil, false
}

// resetRemap forgets the codes of the dictionary entries met (a new row group, or
// another dictionary).
func (c *pqColumn) resetRemap() {
	for _, k := range c.touched {
		c.remap[k] = -1
	}
	c.touched = c.touched[:0]
}

// addValue returns the row group's code of value v, adding it to the dictionary page.
func (c *pqColumn) addValue(v []byte) int32 {
	code, ok := c.dict[string(v)]
	if !ok {
		code = int32(len(c.dictOffs))
		c.dict[string(v)] = code
		c.dictOffs = append(c.dictOffs, int32(len(c.dictBuf)))
		c.dictBuf = binary.LittleEndian.AppendUint32(c.dictBuf, uint32(len(v)))
		c.dictBuf = append(c.dictBuf, v...)
	}
	return code
}

// newValue adds v to the dictionary page as a new entry without looking it up: the
// caller knows the row group does not hold it (see pqColumn.groupDict).
func (c *pqColumn) newValue(v []byte) int32 {
	code := int32(len(c.dictOffs))
	c.dictOffs = append(c.dictOffs, int32(len(c.dictBuf)))
	c.dictBuf = binary.LittleEndian.AppendUint32(c.dictBuf, uint32(len(v)))
	c.dictBuf = append(c.dictBuf, v...)
	return code
}

// indexEntries puts the row group's dictionary entries so far into dict.
func (c *pqColumn) indexEntries() {
	for code, off := range c.dictOffs {
		n := binary.LittleEndian.Uint32(c.dictBuf[off:])
		c.dict[string(c.dictBuf[off+4:off+4+int32(n)])] = int32(code)
	}
}

// appendDictionary appends rows lo..hi of a dictionary<int32, utf8> column (checked by
// checkDictionary): an entry met before in the row group costs one slice lookup, and
// with DistinctDictionaries, while the row group has seen one dictionary, a new entry
// is not hashed either.
func (c *pqColumn) appendDictionary(d *array.Dictionary, lo, hi int) {
	values := d.Dictionary().(*array.String)
	data := values.Data()
	if data != c.remapOf {
		c.resetRemap()
		c.remapOf = data
		c.remap = slices.Grow(c.remap[:0], values.Len())[:values.Len()]
		for i := range c.remap {
			c.remap[i] = -1
		}
	}
	if !c.distinct {
		c.mixed = true
	} else if !c.mixed {
		if c.groupDict == nil && len(c.dictOffs) == 0 {
			c.groupDict = data
		} else if c.groupDict != data {
			c.indexEntries()
			c.mixed = true
		}
	}
	offs, vals := values.ValueOffsets(), values.ValueBytes()
	base := int32(0)
	if len(offs) > 0 {
		base = offs[0]
	}
	for _, k := range d.Indices().(*array.Int32).Int32Values()[lo:hi] {
		code := c.remap[k]
		if code < 0 {
			if c.mixed {
				code = c.addValue(vals[offs[k]-base : offs[k+1]-base])
			} else {
				code = c.newValue(vals[offs[k]-base : offs[k+1]-base])
			}
			c.remap[k] = code
			c.touched = append(c.touched, k)
		}
		c.codes = append(c.codes, code)
	}
}

func (c *pqColumn) append(a arrow.Array, lo, hi int) {
	if d, ok := a.(*array.Dictionary); ok {
		c.appendDictionary(d, lo, hi)
		return
	}
	switch c.typ {
	case arrow.INT64:
		c.i64 = append(c.i64, a.(*array.Int64).Int64Values()[lo:hi]...)
	case arrow.INT32:
		c.i32 = append(c.i32, a.(*array.Int32).Int32Values()[lo:hi]...)
	case arrow.TIMESTAMP:
		for _, v := range a.(*array.Timestamp).TimestampValues()[lo:hi] {
			c.i64 = append(c.i64, int64(v))
		}
	case arrow.STRING:
		s := a.(*array.String)
		offs := s.ValueOffsets()
		data := s.ValueBytes()
		base := int32(0)
		if len(offs) > 0 {
			base = offs[0]
		}
		for i := lo; i < hi; i++ {
			v := data[offs[i]-base : offs[i+1]-base]
			if c.prev != nil && bytes.Equal(v, c.prev) {
				c.codes = append(c.codes, c.prevCode)
				continue
			}
			code := c.addValue(v)
			c.codes = append(c.codes, code)
			c.prev, c.prevCode = v, code
		}
		// The batch may be released after Write returns: drop the view into it.
		c.prev = nil
	}
}

func (w *ParquetWriter) write(b []byte) {
	if w.err != nil {
		return
	}
	n, err := w.out.Write(b)
	w.pos += int64(n)
	w.err = err
}

// flushGroup writes the open row group's column chunks.
func (w *ParquetWriter) flushGroup() error {
	if w.rows == 0 {
		return w.err
	}
	g := pqRowGroup{rows: int64(w.rows), offset: w.pos}
	for i := range w.cols {
		c := &w.cols[i]
		ch := pqChunk{offset: w.pos, dictOffset: -1, values: int64(w.rows)}
		switch c.typ {
		case arrow.INT64, arrow.TIMESTAMP:
			w.page, ch.minValue, ch.maxValue = appendPlain(w.page[:0], c.i64)
			ch.dataPageOffset = w.pos
			w.writePage(&ch, pqDataPage, pqPlain, w.rows)
		case arrow.INT32:
			w.page, ch.minValue, ch.maxValue = appendPlain(w.page[:0], c.i32)
			ch.dataPageOffset = w.pos
			w.writePage(&ch, pqDataPage, pqPlain, w.rows)
		case arrow.STRING:
			ch.minValue, ch.maxValue = c.dictMinMax()
			ch.dictOffset = w.pos
			w.page = append(w.page[:0], c.dictBuf...)
			w.writePage(&ch, pqDictionaryPage, pqPlain, len(c.dictOffs))
			w.page = appendDefLevels(w.page[:0], w.rows)
			width := max(1, bits.Len32(uint32(len(c.dictOffs)-1)))
			w.page = append(w.page, byte(width))
			w.page = appendBitPacked(w.page, c.codes, width)
			ch.dataPageOffset = w.pos
			w.writePage(&ch, pqDataPage, pqRLEDictionary, w.rows)
		}
		g.bytes += ch.uncompressed
		g.compressed += ch.compressed
		c.chunks = append(c.chunks, ch)
		c.resetGroup()
	}
	w.groups = append(w.groups, g)
	w.total += int64(w.rows)
	w.rows = 0
	return w.err
}

// writePage compresses w.page and writes it with its header, adding its sizes to ch.
func (w *ParquetWriter) writePage(ch *pqChunk, kind, encoding int32, values int) {
	if len(w.page) > math.MaxInt32 && w.err == nil {
		// Page sizes are int32 in the format: a page past 2 GiB cannot be described.
		w.err = fmt.Errorf("%w: Parquet writer: a page of %d bytes (at most %d; use smaller row groups)", ErrSchema, len(w.page), math.MaxInt32)
	}
	if w.err != nil {
		return
	}
	w.comp = w.enc.EncodeAll(w.page, w.comp[:0])
	h := &w.meta
	h.reset()
	h.i32(1, kind)
	h.i32(2, int32(len(w.page)))
	h.i32(3, int32(len(w.comp)))
	if kind == pqDictionaryPage {
		h.beginStruct(7)
		h.i32(1, int32(values))
		h.i32(2, encoding)
		h.endStruct()
	} else {
		h.beginStruct(5)
		h.i32(1, int32(values))
		h.i32(2, encoding)
		h.i32(3, pqRLE)
		h.i32(4, pqRLE)
		h.endStruct()
	}
	h.stop()
	ch.uncompressed += int64(len(h.b) + len(w.page))
	ch.compressed += int64(len(h.b) + len(w.comp))
	w.write(h.b)
	w.write(w.comp)
}

// appendDefLevels appends a V1 data page's definition levels for n defined values of
// an OPTIONAL column: the 4-byte length, then one RLE run of n ones (bit width 1).
func appendDefLevels(b []byte, n int) []byte {
	run := binary.AppendUvarint(nil, uint64(n)<<1)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(run)+1))
	b = append(b, run...)
	return append(b, 1)
}

// appendBitPacked appends codes as one bit-packed run of the RLE/bit-packing hybrid
// (values LSB first, in groups of 8, the last group padded with zeros).
func appendBitPacked(b []byte, codes []int32, width int) []byte {
	groups := (len(codes) + 7) / 8
	b = binary.AppendUvarint(b, uint64(groups)<<1|1)
	var acc uint64
	var n int
	for _, c := range codes {
		acc |= uint64(c) << n
		n += width
		for n >= 8 {
			b = append(b, byte(acc))
			acc >>= 8
			n -= 8
		}
	}
	for pad := groups*8 - len(codes); pad > 0; pad-- {
		n += width
		for n >= 8 {
			b = append(b, byte(acc))
			acc >>= 8
			n -= 8
		}
	}
	if n > 0 {
		b = append(b, byte(acc)) // cannot happen: 8 values of any width fill whole bytes
	}
	return b
}

// appendPlain appends a data page body of integers (definition levels, then the
// values PLAIN: little-endian) and returns the least and greatest value, encoded the
// same way for the statistics.
func appendPlain[T int32 | int64](b []byte, v []T) (page, lo, hi []byte) {
	b = appendDefLevels(b, len(v))
	b, _ = binary.Append(b, binary.LittleEndian, v)
	l, h := minMax(v)
	lo, _ = binary.Append(nil, binary.LittleEndian, l)
	hi, _ = binary.Append(nil, binary.LittleEndian, h)
	return b, lo, hi
}

func minMax[T int32 | int64](v []T) (lo, hi T) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v[1:] {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// dictMinMax is the least and greatest value of the dictionary (byte order, which is
// Parquet's order for UTF8).
func (c *pqColumn) dictMinMax() (lo, hi []byte) {
	for i, off := range c.dictOffs {
		n := binary.LittleEndian.Uint32(c.dictBuf[off:])
		v := c.dictBuf[off+4 : off+4+int32(n)]
		if i == 0 || bytes.Compare(v, lo) < 0 {
			lo = v
		}
		if i == 0 || bytes.Compare(v, hi) > 0 {
			hi = v
		}
	}
	return bytes.Clone(lo), bytes.Clone(hi)
}

// Close writes the last row group and the footer and flushes the file. The writer
// can then be Reset for another file. Closing again returns the first Close's error
// and writes nothing.
func (w *ParquetWriter) Close() error {
	switch w.state {
	case pqClosed:
		return w.err
	case pqNoFile:
		if w.err != nil {
			return w.err
		}
		return fmt.Errorf("%w: Close before Reset", ErrWriterState)
	}
	w.state = pqClosed
	if err := w.flushGroup(); err != nil {
		return err
	}
	m := &w.meta
	m.reset()
	m.i32(1, 1) // version
	m.list(2, thriftStruct, len(w.cols)+1)
	m.open()
	m.string(4, "duckdb_schema")
	m.i32(5, int32(len(w.cols)))
	m.endStruct()
	for _, c := range w.cols {
		m.open()
		m.i32(1, c.physicalType())
		m.i32(3, pqOptional)
		m.string(4, c.name)
		switch c.typ {
		case arrow.STRING:
			m.i32(6, pqConvertedUTF8)
			m.beginStruct(10) // logicalType: STRING
			m.beginStruct(1)
			m.endStruct()
			m.endStruct()
		case arrow.TIMESTAMP:
			m.i32(6, pqConvertedTimestampMicros)
			m.beginStruct(10) // logicalType: TIMESTAMP
			m.beginStruct(8)
			m.bool(1, false) // isAdjustedToUTC: a local (zone-less) time, DuckDB's TIMESTAMP
			m.beginStruct(2) // unit: MICROS
			m.beginStruct(2)
			m.endStruct()
			m.endStruct()
			m.endStruct()
			m.endStruct()
		}
		m.endStruct()
	}
	m.i64(3, w.total)
	m.list(4, thriftStruct, len(w.groups))
	for gi, g := range w.groups {
		m.open()
		m.list(1, thriftStruct, len(w.cols))
		for _, c := range w.cols {
			ch := c.chunks[gi]
			m.open()
			m.i64(2, ch.offset)
			m.beginStruct(3)
			m.i32(1, c.physicalType())
			if ch.dictOffset >= 0 {
				m.list(2, thriftI32, 3)
				m.listI32(pqPlain)
				m.listI32(pqRLE)
				m.listI32(pqRLEDictionary)
			} else {
				m.list(2, thriftI32, 2)
				m.listI32(pqPlain)
				m.listI32(pqRLE)
			}
			m.list(3, thriftBinary, 1)
			m.listString(c.name)
			m.i32(4, pqZstd)
			m.i64(5, ch.values)
			m.i64(6, ch.uncompressed)
			m.i64(7, ch.compressed)
			m.i64(9, ch.dataPageOffset)
			if ch.dictOffset >= 0 {
				m.i64(11, ch.dictOffset)
			}
			m.beginStruct(12) // statistics
			m.i64(3, 0)       // null_count
			m.binary(5, ch.maxValue)
			m.binary(6, ch.minValue)
			m.endStruct()
			m.endStruct()
			m.endStruct()
		}
		m.i64(2, g.bytes)
		m.i64(3, g.rows)
		m.i64(5, g.offset)
		m.i64(6, g.compressed)
		m.field(7, thriftI16) // ordinal
		m.b = binary.AppendVarint(m.b, int64(gi))
		m.endStruct()
	}
	m.string(6, w.opts.CreatedBy)
	m.list(7, thriftStruct, len(w.cols)) // column_orders: TYPE_ORDER for every column
	for range w.cols {
		m.open()
		m.beginStruct(1)
		m.endStruct()
		m.endStruct()
	}
	m.stop()
	if len(m.b) > math.MaxUint32 {
		w.err = fmt.Errorf("%w: Parquet footer of %d bytes", ErrSchema, len(m.b))
		return w.err
	}
	w.write(m.b)
	w.write(binary.LittleEndian.AppendUint32(nil, uint32(len(m.b))))
	w.write([]byte("PAR1"))
	if w.err == nil {
		w.err = w.out.Flush()
	}
	return w.err
}
