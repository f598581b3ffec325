package engine

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zeebo/xxh3"

	"github.com/lanlq/lanlq/lanl"
)

// Incremental ingest. A stream's current generation is a set of Parquet files, each
// written from one segment of one raw file. When new chunk files arrive in the
// stream's folder, or lines are appended to a file already ingested, only the new
// bytes are read: their segments are written as usual and a new generation is
// assembled from hard links to every file of the current one plus the new files, then
// published by the same symlink swap (readers see all of the batch or none of it).
// The manifest records, per raw file, how far it was read and a hash of those bytes,
// so that an append (the recorded bytes unchanged, more after them) is told apart from
// a rewrite (a recorded byte changed, or the file shrank), which re-reads the stream
// whole as a first ingest would.

// ingestedFile records how much of one raw file a stream's generation holds.
type ingestedFile struct {
	Path  string `json:"path"`  // absolute
	Index int    `json:"index"` // the file's number in segment names (fNNNN), fixed once given
	Size  int64  `json:"size"`  // size and modification time when last read or checked
	MTime int64  `json:"mtime"`
	// Bytes were read (the file's first Bytes bytes, compressed if Gzip) and hash to
	// Hash (xxh3-128, hex); they held Lines lines.
	Bytes int64  `json:"bytes"`
	Hash  string `json:"hash"`
	Lines int64  `json:"lines"`
	// Segments is the number of the file's next segment: an appended part's segments
	// follow the earlier ones in name order, hence in the views' row order.
	Segments int  `json:"segments"`
	Gzip     bool `json:"gzip"`
	// Clean: the bytes read ended at a line end (and, gzip, at the end of a member), so
	// bytes appended after them start a new line (or member) and can be read alone.
	Clean bool `json:"clean"`
}

// fileTask is the part of one raw file an ingest reads: the whole file, or the bytes
// after those already ingested.
type fileTask struct {
	inputFile
	index     int   // the file's number in segment names
	offset    int64 // bytes already ingested, skipped
	firstLine int64 // number of the part's first line in the file
	firstSeg  int   // number of the part's first segment
	gzip      bool  // continuing a gzip file: the part is a new gzip member
	// hash has hashed the file's first offset bytes and goes on over the part's.
	hash *xxh3.Hasher
}

// streamPlan is what an ingest of one stream does.
type streamPlan struct {
	fingerprint string
	generation  string
	tasks       []fileTask
	// kept are the records of the files already ingested whole and unchanged.
	kept []ingestedFile
	// base is the current generation the tasks' rows are added to (nil: a first or
	// whole read), and verified the bytes hashed to check its files' prefixes.
	base     *StreamReport
	verified int64
	// reread says why a stream ingested before is read whole ("" otherwise).
	reread string
}

// planStream decides how to bring a stream's generation up to date with files (its
// raw files now, in name order): read only new files and appended bytes on top of the
// current generation old, or, when that is not possible, everything. fp is the
// fingerprint of files.
func planStream(data, stream string, old StreamReport, had bool, files []inputFile, fp string) (streamPlan, error) {
	whole := func(why string) streamPlan {
		p := streamPlan{fingerprint: fp, generation: stream + "-" + fp}
		if had {
			p.reread = why
		}
		for i, f := range files {
			p.tasks = append(p.tasks, fileTask{inputFile: f, index: i, firstLine: 1, hash: xxh3.New()})
		}
		return p
	}
	if !had {
		return whole(""), nil
	}
	if len(old.Inputs) == 0 && len(old.Files) > 0 {
		return whole("it was ingested before lanlq recorded how far each file was read"), nil
	}
	if _, err := os.Stat(filepath.Join(data, internalDir, "gen", old.Generation)); err != nil {
		return whole("its current generation is missing"), nil
	}
	byPath := map[string]inputFile{}
	for _, f := range files {
		abs, err := filepath.Abs(f.Path)
		if err != nil {
			return streamPlan{}, fmt.Errorf("engine: %w", err)
		}
		byPath[abs] = f
	}
	// Each input file name is a generation's part; the incremental generation is named
	// after the one it extends too, so that its work never mixes with a whole read's.
	h := sha256.Sum256([]byte(old.Generation + "\n" + fp))
	p := streamPlan{fingerprint: fp, generation: stream + "-" + fp + "-" + hex.EncodeToString(h[:4]), base: &old}
	next := 0
	done := map[string]bool{}
	for _, rec := range old.Inputs {
		next = max(next, rec.Index+1)
		f, ok := byPath[rec.Path]
		if !ok {
			return whole(fmt.Sprintf("%s, ingested before, is gone", rec.Path)), nil
		}
		done[rec.Path] = true
		if f.Size == rec.Size && f.MTime == rec.MTime {
			p.kept = append(p.kept, rec)
			continue
		}
		if f.Size < rec.Bytes {
			return whole(fmt.Sprintf("%s shrank from %d to %d bytes since it was ingested", f.Path, rec.Bytes, f.Size)), nil
		}
		hash, err := hashPrefix(f.Path, rec.Bytes)
		if err != nil {
			return streamPlan{}, fmt.Errorf("engine: %w", err)
		}
		p.verified += rec.Bytes
		if hexHash(hash) != rec.Hash {
			return whole(fmt.Sprintf("%s changed within its %d bytes already ingested (rewritten, not appended to)", f.Path, rec.Bytes)), nil
		}
		if f.Size == rec.Bytes { // touched, not changed
			rec.Size, rec.MTime = f.Size, f.MTime
			p.kept = append(p.kept, rec)
			continue
		}
		if !rec.Clean {
			what := "its last line had no line end"
			if rec.Gzip {
				what = "its gzip stream did not end cleanly after a complete line"
			}
			return whole(fmt.Sprintf("%s grew, but %s when it was ingested", f.Path, what)), nil
		}
		if rec.Gzip && !startsGzipMember(f.Path, rec.Bytes) {
			return whole(fmt.Sprintf("%s grew by bytes that are not a new gzip member (a gzip file can only be appended to whole members)", f.Path)), nil
		}
		p.tasks = append(p.tasks, fileTask{inputFile: f, index: rec.Index, offset: rec.Bytes, firstLine: rec.Lines + 1,
			firstSeg: rec.Segments, gzip: rec.Gzip, hash: hash})
	}
	lastOld := -1 // position of the last file ingested before, in name order
	for i, f := range files {
		if abs, _ := filepath.Abs(f.Path); done[abs] {
			lastOld = i
		}
	}
	for i, f := range files {
		abs, _ := filepath.Abs(f.Path)
		if done[abs] {
			continue
		}
		if i < lastOld {
			// Its rows would come after those of the files named after it: a whole read
			// keeps the views' row order that of the names.
			return whole(fmt.Sprintf("the new file %s sorts before %s, ingested before", f.Path, files[lastOld].Path)), nil
		}
		p.tasks = append(p.tasks, fileTask{inputFile: f, index: next, firstLine: 1, hash: xxh3.New()})
		next++
	}
	return p, nil
}

// hashPrefix hashes the first n bytes of the file at path, returning the hasher (to
// go on over the bytes after them).
func hashPrefix(path string, n int64) (*xxh3.Hasher, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	h := xxh3.New()
	if m, err := io.Copy(h, io.LimitReader(f, n)); err != nil {
		return nil, err
	} else if m != n {
		return nil, fmt.Errorf("%s: %w reading its first %d bytes", path, io.ErrUnexpectedEOF, n)
	}
	return h, nil
}

func hexHash(h *xxh3.Hasher) string {
	b := h.Sum128().Bytes()
	return hex.EncodeToString(b[:])
}

// startsGzipMember reports whether the file's bytes from off on begin a gzip member.
func startsGzipMember(path string, off int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [2]byte
	_, err = f.ReadAt(magic[:], off)
	return err == nil && magic == [2]byte{0x1f, 0x8b}
}

// partEnd is what reading one file part found at its end.
type partEnd struct {
	bytes int64 // raw bytes read
	gzip  bool
	clean bool
}

// endTracker remembers the last byte of a stream of decompressed lines and whether
// it ended with an error (a truncated or corrupt gzip stream).
type endTracker struct {
	r    io.Reader
	n    int64
	last byte
	err  error
}

func (e *endTracker) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if n > 0 {
		e.n += int64(n)
		e.last = p[n-1]
	}
	if err != nil && !errors.Is(err, io.EOF) {
		e.err = err
	}
	return n, err
}

// clean reports whether the lines read ended at a line end (or none were read: a part
// is only read after a clean one), with no error.
func (e *endTracker) clean() bool {
	return e.err == nil && (e.n == 0 || e.last == '\n')
}

// fileRecord is the record of a task's file once its part is read, from the part's
// end and the segment records of the part.
func fileRecord(t fileTask, end partEnd, segs []string, stats map[string]segmentStats) ingestedFile {
	abs, _ := filepath.Abs(t.Path)
	rec := ingestedFile{Path: abs, Index: t.index, Size: t.Size, MTime: t.MTime, Bytes: t.offset + end.bytes,
		Hash: hexHash(t.hash), Lines: t.firstLine - 1, Segments: t.firstSeg, Gzip: end.gzip, Clean: end.clean}
	for _, seg := range segs {
		rec.Lines += stats[seg].Lines
		if k, ok := segmentNumber(filepath.Base(seg)); ok {
			rec.Segments = max(rec.Segments, k+1)
		}
	}
	return rec
}

// lateRows counts the rows of the new segments that fall in intervals the base
// generation already has partitions of.
func lateRows(baseDir string, width int64, stats []segmentStats) int64 {
	var late int64
	seen := map[int64]bool{}
	for _, st := range stats {
		for iv, n := range st.IntervalRows {
			has, ok := seen[iv]
			if !ok {
				_, err := os.Stat(filepath.Join(baseDir, lanl.PartitionDir(iv*width)))
				has = err == nil
				seen[iv] = has
			}
			if has {
				late += n
			}
		}
	}
	return late
}

// addChecksums adds two order-free line checksums (hex sums of xxh3 hashes).
func addChecksums(a, b string) string {
	x, _ := strconv.ParseUint(a, 16, 64)
	y, _ := strconv.ParseUint(b, 16, 64)
	return fmt.Sprintf("%016x", x+y)
}

// sortedRecords returns the records in index order.
func sortedRecords(recs []ingestedFile) []ingestedFile {
	return slices.SortedFunc(slices.Values(recs), func(a, b ingestedFile) int { return a.Index - b.Index })
}

// describeParts says what an incremental ingest of a stream read, for its report.
func describeParts(tasks []fileTask) string {
	var fresh, appended []string
	for _, t := range tasks {
		if t.offset > 0 {
			appended = append(appended, filepath.Base(t.Path))
		} else {
			fresh = append(fresh, filepath.Base(t.Path))
		}
	}
	var b bytes.Buffer
	if len(fresh) > 0 {
		fmt.Fprintf(&b, "%d new file(s) (%s)", len(fresh), abbreviate(fresh))
	}
	if len(appended) > 0 {
		if b.Len() > 0 {
			b.WriteString(" and ")
		}
		fmt.Fprintf(&b, "the lines appended to %s", abbreviate(appended))
	}
	return b.String()
}

func abbreviate(names []string) string {
	if len(names) <= 3 {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, … %s", strings.Join(names[:2], ", "), names[len(names)-1])
}
