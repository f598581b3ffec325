package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"text/template"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	lsql "github.com/lanlq/lanlq/sql"
)

var (
	copyTmpl    = template.Must(template.New("ingest_copy.sql").Parse(lsql.Text("ingest_copy.sql")))
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

// ingestFile loads file number fi of a stream, segment by segment, into work and
// returns the folders of all its segments (old and new), in order.
func ingestFile(ctx context.Context, sess *Session, s Stream, fi int, f inputFile, work string, opts IngestOptions, read *atomic.Int64, commits *int) ([]string, error) {
	done, err := existingSegments(work, fi)
	if err != nil {
		return nil, err
	}
	leftovers, _ := filepath.Glob(filepath.Join(work, fmt.Sprintf("f%04d-s*.tmp", fi)))
	for _, d := range leftovers {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	chunksPerSeg := max(1, opts.segmentBytes/opts.chunkBytes)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rc, err := openRaw(f.Path, read)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	defer rc.Close()

	chunks := make(chan rawChunk, 2)
	batches := make(chan segBatch, 2)
	var wg sync.WaitGroup
	var readErr, parseErr error
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(chunks)
		readErr = chunkLines(ctx, rc, opts.chunkBytes, chunks)
	}()
	go func() {
		defer wg.Done()
		defer close(batches)
		p := newLineParser(s, memory.DefaultAllocator)
		defer p.release()
		for c := range chunks {
			seg := c.index / chunksPerSeg
			sb := segBatch{seg: seg}
			if _, ok := done[seg]; ok {
				sb.skip = true
			} else {
				pb, err := p.parse(f.Path, c, opts.KeepRejects)
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
	defer func() {
		cancel()
		for b := range batches {
			if b.rec != nil {
				b.rec.Release()
			}
		}
		wg.Wait()
	}()

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
		dir, err := writeSegment(ctx, sess, s, fi, f, first, pull, func(b *segBatch) { next = b }, work, opts)
		if err != nil {
			return nil, errors.Join(err, firstErr(parseErr, readErr))
		}
		segs = append(segs, dir)
		*commits++
		if opts.crashAfter > 0 && *commits >= opts.crashAfter {
			return nil, errCrash
		}
	}
	wg.Wait()
	if err := firstErr(parseErr, readErr); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return segs, nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// segmentReader is the array.RecordReader DuckDB scans for one segment: it yields the
// segment's batches and stops at the first batch of the next segment (handed back
// through unread).
type segmentReader struct {
	refs    atomic.Int64
	schema  *arrow.Schema
	seg     int
	first   *segBatch
	pull    func() (*segBatch, bool)
	unread  func(*segBatch)
	cur     arrow.RecordBatch
	stats   segmentStats
	sorted  bool
	rejects []reject
	ended   bool
}

var _ array.RecordReader = (*segmentReader)(nil)

func (r *segmentReader) Retain()                        { r.refs.Add(1) }
func (r *segmentReader) Release()                       { r.release() }
func (r *segmentReader) Schema() *arrow.Schema          { return r.schema }
func (r *segmentReader) Err() error                     { return nil }
func (r *segmentReader) Record() arrow.RecordBatch      { return r.cur }
func (r *segmentReader) RecordBatch() arrow.RecordBatch { return r.cur }

func (r *segmentReader) release() {
	if r.refs.Add(-1) <= 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}

func (r *segmentReader) account(b *segBatch) {
	st := &r.stats
	if b.rows > 0 {
		if st.Rows == 0 {
			st.MinTime, st.MaxTime = b.minTime, b.maxTime
		} else {
			if b.minTime < st.MaxTime {
				r.sorted = false
			}
			st.MinTime, st.MaxTime = min(st.MinTime, b.minTime), max(st.MaxTime, b.maxTime)
		}
	}
	r.sorted = r.sorted && b.sorted
	st.Lines += b.lines
	st.Rows += b.rows
	st.Rejects += int64(len(b.rejects))
	st.SumHash += b.sumHash
	r.rejects = append(r.rejects, b.rejects...)
}

func (r *segmentReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	for !r.ended {
		var b *segBatch
		if r.first != nil {
			b, r.first = r.first, nil
		} else {
			var ok bool
			b, ok = r.pull()
			if !ok {
				r.ended = true
				return false
			}
			if b.seg != r.seg || b.skip {
				r.unread(b)
				r.ended = true
				return false
			}
		}
		r.account(b)
		if b.rec != nil {
			r.cur = b.rec
			return true
		}
	}
	return false
}

// drain consumes what DuckDB did not read of the segment (it stops early only on
// error), so that the accounting covers every line.
func (r *segmentReader) drain() {
	for r.Next() {
	}
}

// writeSegment writes one segment into work/<name>.tmp, records its stats and
// renames it to work/<name>: the rename is the commit point of the segment.
func writeSegment(ctx context.Context, sess *Session, s Stream, fi int, f inputFile, first *segBatch,
	pull func() (*segBatch, bool), unread func(*segBatch), work string, opts IngestOptions) (string, error) {
	name := segmentName(fi, first.seg)
	final := filepath.Join(work, name)
	tmp := final + ".tmp"
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return "", err
	}
	rdr := &segmentReader{schema: arrowSchema(s), seg: first.seg, first: first, pull: pull, unread: unread, sorted: true}
	rdr.refs.Store(1)
	view := "lanlq_ingest_" + name[:5] + name[6:]
	release, err := sess.RegisterArrow(rdr, view)
	if err != nil {
		return "", fmt.Errorf("engine: register segment: %w", err)
	}
	q := render(copyTmpl, map[string]any{
		"View": view, "Columns": s.Columns, "IntervalSeconds": int64(opts.Interval.Seconds()),
		"Dir": escapeLiteral(tmp), "Segment": name, "Sort": false,
	})
	var copied int64
	err = sess.QueryRow(ctx, q).Scan(&copied)
	release()
	if err != nil {
		return "", fmt.Errorf("engine: write %s segment %s: %w", s.Name, name, err)
	}
	rdr.drain()
	if copied != rdr.stats.Rows {
		return "", fmt.Errorf("engine: %s segment %s: DuckDB wrote %d rows, %d were read", s.Name, name, copied, rdr.stats.Rows)
	}
	if !rdr.sorted {
		// Rare (LANL files are time-ordered): rewrite the segment sorted by time.
		if err := resortSegment(ctx, sess, s, tmp, name, opts); err != nil {
			return "", err
		}
	}
	if len(rdr.rejects) > 0 {
		if err := writeRejects(ctx, sess, s, f, rdr.rejects, filepath.Join(tmp, rejectsDir, name+".parquet")); err != nil {
			return "", err
		}
	}
	b, _ := json.Marshal(rdr.stats)
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

// resortSegment rewrites a segment's partitions sorted by time.
func resortSegment(ctx context.Context, sess *Session, s Stream, dir, name string, opts IngestOptions) error {
	sorted := dir + ".sorted"
	os.RemoveAll(sorted)
	view := "lanlq_resort"
	q := fmt.Sprintf("CREATE OR REPLACE TEMP VIEW %s AS SELECT * EXCLUDE (interval_start) FROM read_parquet('%s', hive_partitioning = true)",
		view, escapeLiteral(partitionGlob(dir)))
	if err := sess.Exec(ctx, q); err != nil {
		return fmt.Errorf("engine: resort %s: %w", name, err)
	}
	q = render(copyTmpl, map[string]any{
		"View": view, "Columns": s.Columns, "IntervalSeconds": int64(opts.Interval.Seconds()),
		"Dir": escapeLiteral(sorted), "Segment": name, "Sort": true,
	})
	if err := sess.Exec(ctx, q); err != nil {
		return fmt.Errorf("engine: resort %s: %w", name, err)
	}
	parts, _ := filepath.Glob(filepath.Join(dir, "interval_start=*"))
	for _, p := range parts {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	parts, _ = filepath.Glob(filepath.Join(sorted, "interval_start=*"))
	for _, p := range parts {
		if err := os.Rename(p, filepath.Join(dir, filepath.Base(p))); err != nil {
			return err
		}
	}
	return os.RemoveAll(sorted)
}

// writeRejects stores rejected lines as Parquet via an Arrow stream.
func writeRejects(ctx context.Context, sess *Session, s Stream, f inputFile, rejects []reject, path string) error {
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
	rdr, err := array.NewRecordReader(schema, []arrow.RecordBatch{rec})
	if err != nil {
		return err
	}
	defer rdr.Release()
	release, err := sess.RegisterArrow(rdr, "lanlq_rejects")
	if err != nil {
		return fmt.Errorf("engine: register rejects: %w", err)
	}
	defer release()
	if err := sess.Exec(ctx, render(rejectsTmpl, map[string]any{"View": "lanlq_rejects", "File": escapeLiteral(path)})); err != nil {
		return fmt.Errorf("engine: write rejects: %w", err)
	}
	return nil
}

// writeCatalog writes DATA/catalog.duckdb: a DuckDB database holding the views, with
// absolute paths, for DuckDB clients other than lanlq (python, the duckdb CLI).
func writeCatalog(ctx context.Context, data string) error {
	q, err := viewsSQL(data)
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
	stmts := fmt.Sprintf("ATTACH '%s' AS lanlq_catalog; USE lanlq_catalog; %s USE memory; DETACH lanlq_catalog;", escapeLiteral(tmp), q)
	if err := sess.Exec(ctx, stmts); err != nil {
		return fmt.Errorf("engine: write catalog: %w", err)
	}
	return os.Rename(tmp, path)
}
