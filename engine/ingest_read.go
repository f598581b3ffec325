package engine

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/gzip"
	"github.com/zeebo/xxh3"

	"github.com/lanlq/lanlq/lanl"
)

// maxLineBytes bounds one raw line; a longer one is rejected whole (LANL lines are
// under 200 bytes, so this only ever catches binary garbage or a missing newline).
const maxLineBytes = 1 << 20

// rawChunk is a run of complete lines of one input file, cut at a newline.
type rawChunk struct {
	index     int   // chunk number within the file, from 0
	firstLine int64 // 1-based number of the chunk's first line
	data      []byte
	// tail is set on the last chunk when the file did not end cleanly: the bytes
	// after the last newline and why the stream stopped (truncated or corrupt gzip).
	tailErr error
	tail    longLine
	// longLines are lines longer than maxLineBytes, dropped from data, to be rejected.
	longLines []longLine
	buf       *[]byte // the pooled buffer data is cut from; see release
}

// chunkBufs recycles chunk buffers: a fresh 4 MiB buffer per chunk cost about 5% of
// ingest's CPU in zeroing alone.
var chunkBufs sync.Pool

func getChunkBuf(n int) *[]byte {
	if b, ok := chunkBufs.Get().(*[]byte); ok && cap(*b) >= n {
		*b = (*b)[:n]
		return b
	}
	b := make([]byte, n)
	return &b
}

// release returns the chunk's buffer to the pool; c.data must not be used after.
func (c *rawChunk) release() {
	if c.buf != nil {
		chunkBufs.Put(c.buf)
		c.buf, c.data = nil, nil
	}
}

type longLine struct {
	line int64
	head []byte
}

// countingReader counts the bytes read from the underlying (compressed) file.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// openRawPart opens the part of a raw file a task reads: its bytes from t.offset to
// the size the file had when the raw folder was listed (bytes a writer adds meanwhile
// are left for the next ingest), counted into read and hashed into t.hash, and
// decompressed if gzip. A whole file is gzip if it starts with gzip's magic bytes
// (whatever its name); an appended part is gzip if the file was (it must then start a
// new member).
func openRawPart(t fileTask, read *atomic.Int64) (rc io.ReadCloser, raw io.Reader, gz bool, err error) {
	f, err := os.Open(t.Path)
	if err != nil {
		return nil, nil, false, err
	}
	if _, err := f.Seek(t.offset, io.SeekStart); err != nil {
		f.Close()
		return nil, nil, false, err
	}
	raw = countingReader{io.TeeReader(io.LimitReader(f, t.Size-t.offset), t.hash), read}
	br := bufio.NewReaderSize(raw, 1<<20)
	magic, _ := br.Peek(2)
	isGz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if t.offset > 0 {
		if t.gzip && !isGz {
			f.Close()
			return nil, nil, false, fmt.Errorf("%s: the bytes after the %d already ingested changed while ingest planned them", t.Path, t.offset)
		}
		isGz = t.gzip
	}
	if isGz {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, false, fmt.Errorf("%s: gzip header: %w", t.Path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, f}, raw, true, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, f}, raw, false, nil
}

// chunkLines reads r and sends chunks of complete lines of about chunkSize bytes,
// numbering lines from firstLine. The cut points depend only on the input and
// chunkSize, so chunk k is the same text in every run: ingest's segments (groups of
// chunks) are resumable units.
func chunkLines(ctx context.Context, r io.Reader, chunkSize int, firstLine int64, out chan<- rawChunk) error {
	var (
		line      = firstLine
		index     int
		carry     []byte
		skipping  bool // inside an overlong line, discarding until its newline
		longStart int64
		longHead  []byte
		pending   []longLine
	)
	send := func(c rawChunk) error {
		select {
		case out <- c:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		pooled := getChunkBuf(chunkSize + len(carry))
		buf := *pooled
		copy(buf, carry)
		n, rerr := fill(r, buf[len(carry):])
		buf = buf[:len(carry)+n]
		carry = nil
		// Any error other than io.EOF is a decompression error (a truncated or corrupt
		// gzip stream): the lines before it are good; the rest is the rejected tail.
		eof := rerr != nil
		if skipping {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 && !eof {
				chunkBufs.Put(pooled)
				continue
			}
			pending = append(pending, longLine{line: longStart, head: longHead})
			line++
			skipping = false
			if i < 0 {
				buf = buf[:0]
			} else {
				buf = buf[i+1:]
			}
		}
		cut := bytes.LastIndexByte(buf, '\n') + 1
		data, rest := buf[:cut], buf[cut:]
		var tailErr error
		if eof {
			if rerr != io.EOF {
				tailErr = rerr
			}
			if tailErr == nil && len(rest) > 0 {
				// A clean end without a final newline: the last line is ordinary.
				data, rest = buf, nil
			}
		} else if cut == 0 && len(buf) >= maxLineBytes {
			// No newline in a whole buffer: an overlong line. Reject it and skip on.
			skipping, longStart, longHead = true, line, bytes.Clone(buf[:min(len(buf), 256)])
			chunkBufs.Put(pooled)
			continue
		}
		c := rawChunk{index: index, firstLine: line, data: data, longLines: pending, buf: pooled}
		pending = nil
		line += int64(bytes.Count(data, []byte{'\n'}))
		if len(data) > 0 && data[len(data)-1] != '\n' {
			line++
		}
		if tailErr != nil {
			c.tailErr = tailErr
			c.tail = longLine{line: line, head: bytes.Clone(rest[:min(len(rest), maxLineBytes)])}
			rest = nil
		}
		// The carried partial line is copied out: the buffer goes to the parser,
		// which recycles it.
		carry = bytes.Clone(rest)
		if len(c.data) > 0 || len(c.longLines) > 0 || c.tailErr != nil {
			if err := send(c); err != nil {
				return err
			}
			index++
		} else {
			chunkBufs.Put(pooled)
		}
		if eof {
			return nil
		}
	}
}

// fill reads until buf is full or r fails, returning r's error unchanged (unlike
// io.ReadFull, which turns a short read before io.EOF into io.ErrUnexpectedEOF — the
// very error a truncated gzip stream reports).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// reject is one malformed input line.
type reject struct {
	line   int64
	raw    string
	reason string
}

// parsedBatch is the Arrow form of one chunk's good lines plus its rejects.
type parsedBatch struct {
	chunk   int
	rec     arrow.RecordBatch // nil when the chunk had no good line
	rows    int64
	lines   int64
	rejects []reject
	sumHash uint64 // sum of xxh3 of the good lines: an order-free content checksum
	sorted  bool   // times non-decreasing within the chunk
	minTime int64
	maxTime int64
}

// lineParser turns raw lines of one stream into Arrow columns. It fills plain Go
// slices (offsets and bytes for strings) and wraps them as Arrow buffers at the end
// of a chunk: measured twice as fast as array builders on this path.
type lineParser struct {
	stream lanl.Stream
	schema *arrow.Schema
	fields [][]byte
	ints   [][]int64 // per column: time and BIGINT columns
	int32s [][]int32 // per column: INTEGER columns
	strs   []stringColumn
}

type stringColumn struct {
	offsets []int32
	data    []byte
	// rows and bytes of the column in the previous chunk, to size the next
	rows, bytes int
}

// arrowSchema is the Arrow schema of a stream's rows as ingest hands them to DuckDB.
func arrowSchema(s lanl.Stream) *arrow.Schema {
	fs := []arrow.Field{{Name: "time", Type: arrow.PrimitiveTypes.Int64}}
	for _, c := range s.Columns {
		var t arrow.DataType
		switch c.Type {
		case lanl.Bigint:
			t = arrow.PrimitiveTypes.Int64
		case lanl.Integer:
			t = arrow.PrimitiveTypes.Int32
		default:
			t = arrow.BinaryTypes.String
		}
		fs = append(fs, arrow.Field{Name: c.Name, Type: t})
	}
	return arrow.NewSchema(fs, nil)
}

func newLineParser(s lanl.Stream, _ memory.Allocator) *lineParser {
	n := s.NumFields()
	return &lineParser{stream: s, schema: arrowSchema(s), fields: make([][]byte, 0, n+1),
		ints: make([][]int64, n), int32s: make([][]int32, n), strs: make([]stringColumn, n)}
}

func (p *lineParser) release() {}

// reset prepares empty columns sized for about rows lines of avg bytes.
func (p *lineParser) reset(rows, bytes int) {
	p.ints[0] = make([]int64, 0, rows)
	for i, c := range p.stream.Columns {
		switch c.Type {
		case lanl.Bigint:
			p.ints[i+1] = make([]int64, 0, rows)
		case lanl.Integer:
			p.int32s[i+1] = make([]int32, 0, rows)
		default:
			// The column's bytes in the last chunk, scaled to this one, are a better
			// guess than an even share of the line (growing the slice cost ~4% of CPU).
			guess := bytes/len(p.stream.Columns) + 64
			if last := p.strs[i+1]; last.rows > 0 {
				guess = max(64, int(int64(last.bytes)*int64(rows)/int64(last.rows)*9/8))
			}
			p.strs[i+1] = stringColumn{offsets: append(make([]int32, 0, rows+1), 0), data: make([]byte, 0, guess)}
		}
	}
}

// batch wraps the filled columns as an Arrow record batch (ownership passes to it).
func (p *lineParser) batch() arrow.RecordBatch {
	n := len(p.ints[0])
	cols := make([]arrow.Array, 0, p.stream.NumFields())
	cols = append(cols, int64Array(p.ints[0]))
	for i, c := range p.stream.Columns {
		switch c.Type {
		case lanl.Bigint:
			cols = append(cols, int64Array(p.ints[i+1]))
		case lanl.Integer:
			v := p.int32s[i+1]
			d := array.NewData(arrow.PrimitiveTypes.Int32, len(v),
				[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(v))}, nil, 0, 0)
			cols = append(cols, array.MakeFromData(d))
			d.Release()
		default:
			sc := p.strs[i+1]
			p.strs[i+1].rows, p.strs[i+1].bytes = len(sc.offsets)-1, len(sc.data)
			d := array.NewData(arrow.BinaryTypes.String, len(sc.offsets)-1, []*memory.Buffer{nil,
				memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(sc.offsets)), memory.NewBufferBytes(sc.data)}, nil, 0, 0)
			cols = append(cols, array.MakeFromData(d))
			d.Release()
		}
	}
	rec := array.NewRecordBatch(p.schema, cols, int64(n))
	for _, c := range cols {
		c.Release()
	}
	return rec
}

func int64Array(v []int64) arrow.Array {
	d := array.NewData(arrow.PrimitiveTypes.Int64, len(v),
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(v))}, nil, 0, 0)
	defer d.Release()
	return array.MakeFromData(d)
}

// append adds the fields of a line that passed Split.
func (p *lineParser) append() {
	t, _ := lanl.ParseInt(p.fields[0])
	p.ints[0] = append(p.ints[0], t)
	for i, c := range p.stream.Columns {
		f := p.fields[i+1]
		switch c.Type {
		case lanl.Bigint:
			v, _ := lanl.ParseInt(f)
			p.ints[i+1] = append(p.ints[i+1], v)
		case lanl.Integer:
			v, _ := lanl.ParseInt(f)
			p.int32s[i+1] = append(p.int32s[i+1], int32(v))
		default:
			sc := &p.strs[i+1]
			sc.data = append(sc.data, f...)
			sc.offsets = append(sc.offsets, int32(len(sc.data)))
		}
	}
}

// parse converts a chunk into a batch. With keepRejects false the first bad line is
// returned as a *LineError.
func (p *lineParser) parse(file string, c rawChunk, keepRejects bool) (parsedBatch, error) {
	pb := parsedBatch{chunk: c.index, sorted: true}
	p.reset(bytes.Count(c.data, []byte{'\n'})+1, len(c.data))
	reject1 := func(line int64, raw []byte, reason string) error {
		if !keepRejects {
			return &LineError{File: file, Line: line, Reason: reason}
		}
		pb.rejects = append(pb.rejects, reject{line: line, raw: strings.ToValidUTF8(string(raw), "\uFFFD"), reason: reason})
		pb.lines++
		return nil
	}
	// Overlong lines and a bad tail are interleaved by line number with the rest.
	longs := c.longLines
	data := c.data
	line := c.firstLine
	prev := int64(-1 << 63)
	first := true
	for len(data) > 0 {
		for len(longs) > 0 && longs[0].line == line {
			if err := reject1(line, longs[0].head, fmt.Sprintf("line longer than %d bytes", maxLineBytes)); err != nil {
				return pb, err
			}
			longs = longs[1:]
			line++
		}
		i := bytes.IndexByte(data, '\n')
		var l []byte
		if i < 0 {
			l, data = data, nil
		} else {
			l, data = data[:i], data[i+1:]
		}
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		var reason string
		if p.fields, reason = p.stream.Split(p.fields, l); reason != "" {
			if err := reject1(line, l, reason); err != nil {
				return pb, err
			}
		} else {
			t, _ := lanl.ParseInt(p.fields[0])
			if t < prev {
				pb.sorted = false
			}
			prev = t
			if first {
				pb.minTime, pb.maxTime, first = t, t, false
			} else {
				pb.minTime, pb.maxTime = min(pb.minTime, t), max(pb.maxTime, t)
			}
			p.append()
			pb.sumHash += xxh3.Hash(l)
			pb.rows++
			pb.lines++
		}
		line++
	}
	for _, ll := range longs {
		if err := reject1(ll.line, ll.head, fmt.Sprintf("line longer than %d bytes", maxLineBytes)); err != nil {
			return pb, err
		}
	}
	if c.tailErr != nil {
		if err := reject1(c.tail.line, c.tail.head, describeTail(c.tailErr)); err != nil {
			return pb, err
		}
	}
	if pb.rows > 0 {
		pb.rec = p.batch()
	}
	return pb, nil
}

func describeTail(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated gzip stream: the file ends inside a compressed member (partial or empty last line)"
	}
	return "corrupt gzip stream: " + err.Error() + " (nothing after this point is readable)"
}
