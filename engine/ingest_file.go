package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"text/template"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/lanl"
	lsql "github.com/lanlq/lanlq/sql"
)

var (
	rejectsTmpl = template.Must(template.New("ingest_rejects.sql").Parse(lsql.Text("ingest_rejects.sql")))
)

func render(t *template.Template, data any) string {
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		panic(fmt.Sprintf("engine: template %s: %v", t.Name(), err)) // programmer error
	}
	return b.String()
}

// segBatch is a parsed chunk tagged with its segment; skip marks chunks of segments
// finished by an earlier run (not parsed again).
type segBatch struct {
	seg  int
	skip bool
	parsedBatch
}

// ingestFile loads the part of a raw file that task t names, segment by segment, into
// work and returns the folders of all the part's segments (those of an earlier,
// interrupted run included), in order, and what the part's end was like.
func ingestFile(ctx context.Context, w *segmentWriters, s lanl.Stream, t fileTask, work string, opts IngestOptions, read *atomic.Int64) ([]string, partEnd, error) {
	fi, f := t.index, t.inputFile
	done, err := existingSegments(work, fi)
	if err != nil {
		return nil, partEnd{}, err
	}
	leftovers, _ := globIn(work, filePrefix(fi)+"-*.tmp")
	for _, d := range leftovers {
		if err := os.RemoveAll(d); err != nil {
			return nil, partEnd{}, err
		}
	}
	chunksPerSeg := max(1, opts.segmentBytes/opts.chunkBytes)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, raw, gz, err := openRawPart(t, read)
	if err != nil {
		return nil, partEnd{}, fmt.Errorf("engine: %w", err)
	}
	defer rc.Close()
	lines := &endTracker{r: rc}

	chunks := make(chan rawChunk, 2)
	batches := make(chan segBatch, 2)
	var wg sync.WaitGroup
	var readErr, parseErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(chunks)
		readErr = chunkLines(ctx, lines, opts.chunkBytes, t.firstLine, chunks)
	}()
	go func() {
		defer wg.Done()
		defer close(batches)
		p := newLineParser(s, memory.DefaultAllocator)
		defer p.release()
		for c := range chunks {
			seg := t.firstSeg + c.index/chunksPerSeg
			sb := segBatch{seg: seg}
			if _, ok := done[seg]; ok {
				sb.skip = true
				c.release()
			} else {
				pb, err := p.parse(f.Path, c, opts.KeepRejects)
				c.release()
				if err != nil {
					parseErr = err
					cancel()
					return
				}
				sb.parsedBatch = pb
			}
			select {
			case batches <- sb:
			case <-ctx.Done():
				if sb.rec != nil {
					sb.rec.Release()
				}
				return
			}
		}
	}()
	// stop ends both goroutines and waits for them: only after it may readErr and
	// parseErr be read.
	stop := sync.OnceFunc(func() {
		cancel()
		for b := range batches {
			if b.rec != nil {
				b.rec.Release()
			}
		}
		wg.Wait()
	})
	defer stop()

	var segs []string
	var next *segBatch
	pull := func() (*segBatch, bool) {
		if next != nil {
			b := next
			next = nil
			return b, true
		}
		b, ok := <-batches
		return &b, ok
	}
	for {
		first, ok := pull()
		if !ok {
			break
		}
		if first.skip {
			if len(segs) == 0 || segs[len(segs)-1] != done[first.seg] {
				segs = append(segs, done[first.seg])
			}
			continue
		}
		dir, err := writeSegment(ctx, w, s, fi, f, first, pull, func(b *segBatch) { next = b }, work, opts)
		if err != nil {
			stop()
			return nil, partEnd{}, errors.Join(err, firstErr(parseErr, readErr))
		}
		segs = append(segs, dir)
		if err := opts.stepDone(ctx, "commit "+s.Name+" "+filepath.Base(dir)); err != nil {
			return nil, partEnd{}, err
		}
	}
	wg.Wait() // batches is closed: both goroutines are ending
	if err := firstErr(parseErr, readErr); err != nil {
		return nil, partEnd{}, err
	}
	if err := ctx.Err(); err != nil {
		return nil, partEnd{}, err
	}
	// A gzip stream cut short leaves bytes unread: hash them too, so the record covers
	// the whole part (such a part is not clean: it is never continued).
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return nil, partEnd{}, fmt.Errorf("engine: %w", err)
	}
	return segs, partEnd{bytes: read.Load(), gzip: gz, clean: lines.clean()}, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// segmentSource hands out the rows of one segment as runs of rows of one interval,
// in input order: one Arrow stream per run, each written to one Parquet file by an
// arrowio.ParquetWriter. lanlq partitions in Go because DuckDB's PARTITION_BY writer
// does not keep row order.
type segmentSource struct {
	seg      int
	interval int64 // seconds
	first    *segBatch
	pull     func() (*segBatch, bool)
	unread   func(*segBatch)
	cur      arrow.RecordBatch // current batch (owned), rows before off already handed out
	off      int
	ended    bool
	stats    segmentStats
	rejects  []reject
	runs     map[int64]int // interval index → runs seen in this segment
	unsorted map[int64]bool
}

// fetch makes cur a batch with rows left, or returns false at the segment's end.
func (src *segmentSource) fetch() bool {
	for src.cur == nil || src.off >= int(src.cur.NumRows()) {
		if src.cur != nil {
			src.cur.Release()
			src.cur, src.off = nil, 0
		}
		if src.ended {
			return false
		}
		var b *segBatch
		if src.first != nil {
			b, src.first = src.first, nil
		} else {
			var ok bool
			b, ok = src.pull()
			if !ok || b.seg != src.seg || b.skip {
				if ok {
					src.unread(b)
				}
				src.ended = true
				return false
			}
		}
		st := &src.stats
		st.Lines += b.lines
		st.Rejects += int64(len(b.rejects))
		st.SumHash += b.sumHash
		src.rejects = append(src.rejects, b.rejects...)
		if b.rec != nil {
			if st.Rows == 0 {
				st.MinTime, st.MaxTime = b.minTime, b.maxTime
			} else {
				st.MinTime, st.MaxTime = min(st.MinTime, b.minTime), max(st.MaxTime, b.maxTime)
			}
			st.Rows += b.rows
			src.cur = b.rec
		}
	}
	return true
}

// nextRun returns the interval index of the next run, or false at the segment's end.
func (src *segmentSource) nextRun() (int64, bool) {
	if !src.fetch() {
		return 0, false
	}
	t := src.cur.Column(0).(*array.Int64).Value(src.off)
	return t / src.interval, true
}

// maxRunRows caps the rows of one run (one Parquet file), so that memory stays
// bounded whatever the interval width: an interval with more rows is written as
// several files, in order.
var maxRunRows int64 = 1 << 20 // a variable so tests can make it small

// runReader is the array.RecordReader of one run: rows of interval iv until a row of
// another interval, the end of the segment, or maxRunRows rows (capped).
type runReader struct {
	refs   atomic.Int64
	schema *arrow.Schema
	src    *segmentSource
	iv     int64
	prev   int64
	rows   int64
	out    arrow.RecordBatch
	done   bool
	capped bool
}

var _ array.RecordReader = (*runReader)(nil)

func (r *runReader) Retain()                        { r.refs.Add(1) }
func (r *runReader) Schema() *arrow.Schema          { return r.schema }
func (r *runReader) Err() error                     { return nil }
func (r *runReader) Record() arrow.RecordBatch      { return r.out }
func (r *runReader) RecordBatch() arrow.RecordBatch { return r.out }

func (r *runReader) Release() {
	if r.refs.Add(-1) <= 0 && r.out != nil {
		r.out.Release()
		r.out = nil
	}
}

func (r *runReader) Next() bool {
	if r.out != nil {
		r.out.Release()
		r.out = nil
	}
	if r.done || !r.src.fetch() {
		return false
	}
	src := r.src
	times := src.cur.Column(0).(*array.Int64).Int64Values()
	n := len(times)
	stop := min(n, src.off+int(maxRunRows-r.rows))
	end := src.off
	for end < stop && times[end]/src.interval == r.iv {
		if times[end] < r.prev {
			src.unsorted[r.iv] = true
		}
		r.prev = times[end]
		end++
	}
	if end == src.off {
		r.done = true
		return false
	}
	if src.off == 0 && end == n {
		src.cur.Retain()
		r.out = src.cur
	} else {
		r.out = src.cur.NewSlice(int64(src.off), int64(end))
	}
	r.rows += int64(end - src.off)
	src.off = end
	switch {
	case r.rows >= maxRunRows:
		r.done, r.capped = true, true
	case end < n:
		r.done = true // the next row starts another run
	}
	return true
}

// runJob is one run's batches, to be written to file.
type runJob struct {
	file    string
	batches []arrow.RecordBatch
}

func (j runJob) release() {
	for _, b := range j.batches {
		b.Release()
	}
}

// write writes the run to its file with pw and returns the rows written.
func (j runJob) write(pw *arrowio.ParquetWriter) (n int64, err error) {
	defer j.release()
	f, err := os.Create(j.file)
	if err != nil {
		return 0, err
	}
	defer func() { err = errors.Join(err, f.Close()) }()
	pw.Reset(f)
	for _, b := range j.batches {
		if err := pw.Write(b); err != nil {
			return 0, err
		}
	}
	return pw.Rows(), pw.Close()
}

// segmentWriters are what writes a stream's segments: its Parquet writers, one per
// goroutine cutting runs into files (arrowio's writer is single-threaded; two keep both
// cores busy), each keeping its buffers and zstd encoder from one file to the next, and
// the DuckDB session that re-sorts an out-of-order interval and writes rejects.
type segmentWriters struct {
	sess    *Session
	parquet []*arrowio.ParquetWriter
}

func newSegmentWriters(sess *Session, s lanl.Stream) (*segmentWriters, error) {
	w := &segmentWriters{sess: sess}
	for range min(2, runtime.NumCPU()) {
		pw, err := arrowio.NewParquetWriter(arrowSchema(s), arrowio.ParquetOptions{})
		if err != nil {
			return nil, err
		}
		w.parquet = append(w.parquet, pw)
	}
	return w, nil
}

// writeSegment writes one segment into work/<name>.tmp, records its stats and
// renames it to work/<name>: the rename is the commit point of the segment.
func writeSegment(ctx context.Context, w *segmentWriters, s lanl.Stream, fi int, f inputFile, first *segBatch,
	pull func() (*segBatch, bool), unread func(*segBatch), work string, opts IngestOptions) (string, error) {
	name := segmentName(fi, first.seg)
	final := filepath.Join(work, name)
	tmp := final + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	width := int64(opts.Interval / time.Second)
	src := &segmentSource{seg: first.seg, interval: width, first: first, pull: pull, unread: unread,
		runs: map[int64]int{}, unsorted: map[int64]bool{}}
	defer func() {
		if src.cur != nil {
			src.cur.Release()
		}
	}()
	// Runs are cut here, in order, and written by one goroutine per Parquet writer.
	schema := arrowSchema(s)
	jobs := make(chan runJob, 1)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		written  int64
		firstErr error
	)
	for _, pw := range w.parquet {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			for job := range jobs {
				var n int64
				if err == nil {
					n, err = job.write(pw)
				} else {
					job.release()
				}
				mu.Lock()
				written += n
				if err != nil && firstErr == nil {
					firstErr = fmt.Errorf("engine: write %s segment %s: %w", s.Name, name, err)
				}
				mu.Unlock()
			}
		}()
	}
	var last *runReader
	for {
		iv, ok := src.nextRun()
		if !ok {
			break
		}
		k := src.runs[iv]
		src.runs[iv]++
		continued := last != nil && last.capped && last.iv == iv
		if k > 0 && !continued {
			src.unsorted[iv] = true // the interval comes back: merge its files below
		}
		dir := filepath.Join(tmp, lanl.PartitionDir(iv*width))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			close(jobs)
			wg.Wait()
			return "", err
		}
		job := runJob{file: filepath.Join(dir, fmt.Sprintf("%s-%04d.parquet", name, k))}
		rdr := &runReader{schema: schema, src: src, iv: iv, prev: -1 << 63}
		if continued {
			rdr.prev = last.prev
		}
		last = rdr
		rdr.refs.Store(1)
		for rdr.Next() {
			b := rdr.RecordBatch()
			b.Retain()
			job.batches = append(job.batches, b)
		}
		if src.stats.IntervalRows == nil {
			src.stats.IntervalRows = map[int64]int64{}
		}
		src.stats.IntervalRows[iv] += rdr.rows
		select {
		case jobs <- job:
		case <-ctx.Done():
			job.release()
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return "", firstErr
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if written != src.stats.Rows {
		return "", fmt.Errorf("engine: %s segment %s: DuckDB wrote %d rows, %d were read", s.Name, name, written, src.stats.Rows)
	}
	for iv := range src.unsorted {
		// Rare (LANL files are time-ordered): merge the interval's files of this
		// segment into one file sorted by time.
		if err := resortPartition(ctx, w.sess, s, filepath.Join(tmp, lanl.PartitionDir(iv*width)), name); err != nil {
			return "", err
		}
	}
	if len(src.rejects) > 0 {
		if err := writeRejects(ctx, w.sess, s, f, src.rejects, filepath.Join(tmp, rejectsDir, name+".parquet")); err != nil {
			return "", err
		}
	}
	b, _ := json.Marshal(src.stats)
	if err := writeFileAtomic(filepath.Join(tmp, "segment.json"), b); err != nil {
		return "", err
	}
	if err := syncDir(tmp); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, final); err != nil {
		return "", err
	}
	return final, nil
}

// resortPartition replaces the segment's files in one partition folder by a single
// file sorted by time.
func resortPartition(ctx context.Context, sess *Session, s lanl.Stream, dir, name string) error {
	files, err := globIn(dir, name+"-*.parquet")
	if err != nil || len(files) == 0 {
		return err
	}
	sorted := filepath.Join(dir, name+"-sorted.tmp")
	q := fmt.Sprintf("COPY (SELECT * FROM read_parquet('%s') ORDER BY time) TO '%s' (FORMAT parquet, COMPRESSION zstd)",
		escapeLiteral(filepath.Join(QuoteGlob(dir), name+"-*.parquet")), escapeLiteral(sorted))
	if err := sess.Exec(ctx, q); err != nil {
		return fmt.Errorf("engine: sort %s: %w", dir, err)
	}
	for _, f := range files {
		if err := os.Remove(f); err != nil {
			return err
		}
	}
	return os.Rename(sorted, filepath.Join(dir, name+"-0000.parquet"))
}

// writeRejects stores rejected lines as Parquet via an Arrow stream.
func writeRejects(ctx context.Context, sess *Session, s lanl.Stream, f inputFile, rejects []reject, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "stream", Type: arrow.BinaryTypes.String},
		{Name: "file", Type: arrow.BinaryTypes.String},
		{Name: "line", Type: arrow.PrimitiveTypes.Int64},
		{Name: "raw", Type: arrow.BinaryTypes.String},
		{Name: "reason", Type: arrow.BinaryTypes.String},
	}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for _, rj := range rejects {
		b.Field(0).(*array.StringBuilder).Append(s.Name)
		b.Field(1).(*array.StringBuilder).Append(f.Path)
		b.Field(2).(*array.Int64Builder).Append(rj.line)
		b.Field(3).(*array.StringBuilder).Append(rj.raw)
		b.Field(4).(*array.StringBuilder).Append(rj.reason)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return sess.insertRecord(ctx, rec, "lanlq_rejects", render(rejectsTmpl, map[string]any{"View": "lanlq_rejects", "File": escapeLiteral(path)}))
}

// writeCatalog writes DATA/catalog.duckdb: a DuckDB database holding the views, with
// absolute paths, for DuckDB clients other than lanlq (python, the duckdb CLI).
func writeCatalog(ctx context.Context, data string) error {
	// Other clients read through the symlinks, which follow each new ingest.
	m, err := readManifest(data)
	if err != nil {
		return err
	}
	var rejects string
	if m.SourceRejects != "" {
		rejects = filepath.Join(data, sourceRejectsLink)
	}
	q, err := viewsSQL(func(stream string) string { return filepath.Join(data, stream) }, m, rejects)
	if err != nil {
		return err
	}
	path := filepath.Join(data, catalogName)
	tmp := path + ".tmp"
	os.Remove(tmp)
	os.Remove(tmp + ".wal")
	sess, err := NewSession(ctx, Options{})
	if err != nil {
		return err
	}
	defer sess.Close()
	attach, done, cleanup, err := attachableFile(tmp)
	if err != nil {
		return fmt.Errorf("engine: write catalog: %w", err)
	}
	defer cleanup()
	stmts := fmt.Sprintf("ATTACH '%s' AS lanlq_catalog; USE lanlq_catalog; %s USE memory; DETACH lanlq_catalog;", escapeLiteral(attach), q)
	err = sess.Exec(ctx, stmts)
	if err == nil {
		err = done()
	}
	if err != nil {
		// A half-written catalog (a full disk) is of no use: remove it.
		os.Remove(tmp)
		os.Remove(tmp + ".wal")
		return fmt.Errorf("engine: write catalog: %w", err)
	}
	return os.Rename(tmp, path)
}
