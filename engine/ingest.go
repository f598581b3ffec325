package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
)

// IngestOptions configures Ingest.
type IngestOptions struct {
	Raw  string // folder holding the LANL files
	Data string // lanlq data directory (created if missing)
	// Interval is the partition width: a whole number of seconds, default 1 hour.
	Interval time.Duration
	// KeepRejects loads the good lines and stores bad ones in rejects; without it the
	// first bad line fails the ingest with a *LineError.
	KeepRejects bool
	// MemoryLimit bounds DuckDB (see Options.MemoryLimit).
	MemoryLimit string
	// Threads is DuckDB's worker count; 0 means all CPUs.
	Threads int
	// Progress, if set, is called from time to time with the compressed bytes read so
	// far and the total of the stream's files.
	Progress func(stream string, done, total int64)

	// segmentBytes and chunkBytes size the resumable units (tests make them tiny).
	segmentBytes int
	chunkBytes   int
	// step, if set, is called after each durable step: a segment committed
	// ("commit dns f0000-s000003"), a generation assembled ("assemble dns"), a stream
	// published ("publish dns", "manifest dns") and the catalog written ("catalog").
	// A non-nil error stops the ingest there, as a crash would: tests use it to
	// interrupt (or kill) at exact points, driven by events rather than timers.
	step func(event string) error
}

// stepDone reports a durable step to the test hook, if any.
func (o *IngestOptions) stepDone(ctx context.Context, event string) error {
	faultpoint.Reach(ctx, "ingest "+event)
	if err := ctx.Err(); err != nil {
		return err
	}
	if o.step == nil {
		return nil
	}
	return o.step(event)
}

const (
	defaultChunkBytes   = 4 << 20
	defaultSegmentBytes = 512 << 20
	// formatVersion changes when the layout of DATA changes, forcing a re-ingest.
	formatVersion = 2
)

// IngestReport is what Ingest did, per stream.
type IngestReport struct {
	Streams []StreamReport
	Elapsed time.Duration
	// Sources reconciles each source of IngestSources (empty for a LANL ingest).
	Sources []SourceReport
	// Warnings are things the user should know that did not stop the ingest: an empty
	// stream, a stream now loaded from another raw folder than the others.
	Warnings []string
}

// Unchanged reports whether no stream needed work.
func (r *IngestReport) Unchanged() bool {
	for _, s := range r.Streams {
		if !s.Unchanged {
			return false
		}
	}
	return true
}

// StreamReport reconciles one stream: LinesRead = Rows + Rejects, always.
type StreamReport struct {
	Stream    string   `json:"stream"`
	Files     []string `json:"files"`
	Bytes     int64    `json:"bytes"`
	LinesRead int64    `json:"lines_read"`
	Rows      int64    `json:"rows"`
	Rejects   int64    `json:"rejects"`
	// Checksum is the sum of xxh3 hashes of the stored lines (order-free), in hex.
	Checksum    string `json:"checksum"`
	Partitions  int    `json:"partitions"`
	MinTime     int64  `json:"min_time"`
	MaxTime     int64  `json:"max_time"`
	Fingerprint string `json:"fingerprint"`
	Generation  string `json:"generation"`
	// Inputs record, per raw file, how much of it the generation holds (incremental
	// ingest reads only what follows).
	Inputs    []ingestedFile `json:"inputs,omitempty"`
	Unchanged bool           `json:"-"`

	// What this ingest did (the fields above are the whole stream's).
	//
	// Incremental: only new files and appended bytes were read (Added says which),
	// on top of the generation before. Reread says why a stream ingested before was
	// read whole instead. ReadBytes and ReadLines are the raw bytes and lines read;
	// Verified the bytes of files ingested before that were hashed to make sure they
	// were only appended to. LateRows are new rows in intervals that already had rows.
	Incremental bool   `json:"-"`
	Added       string `json:"-"`
	Reread      string `json:"-"`
	ReadBytes   int64  `json:"-"`
	ReadLines   int64  `json:"-"`
	Verified    int64  `json:"-"`
	LateRows    int64  `json:"-"`
}

// manifest is DATA/lanlq.json.
type manifest struct {
	Version         int                     `json:"version"`
	IntervalSeconds int64                   `json:"interval_seconds"`
	Streams         map[string]StreamReport `json:"streams"`
	// Clock says what the time column counts (see clockLANL, clockUTC); "" in folders
	// written before lanlq recorded it, which hold LANL data.
	Clock string `json:"clock,omitempty"`
	// Origin is time 0 of the time column, as RFC 3339.
	Origin string `json:"origin,omitempty"`
	// Sources are the source definitions of the last source ingest (IngestSources)
	// and SourceRejects the generation holding their rejected records.
	Sources       []SourceReport `json:"sources,omitempty"`
	SourceRejects string         `json:"source_rejects,omitempty"`
}

// The clocks of a data folder. Both count whole seconds from lanl.Origin
// (2015-01-01 00:00:00 UTC), so intervals, --from/--to and ts work alike; they differ in
// what ts means. LANL's times are seconds from an unknown origin, shown from that date;
// real sources' times are absolute UTC, so there ts is the event's real time. The two
// never share a folder.
const (
	clockLANL = "lanl"
	clockUTC  = "utc"
)

// isLANL reports whether the folder's clock is LANL's relative one.
func (m manifest) isLANL() bool {
	return m.Clock == clockLANL || (m.Clock == "" && len(m.Streams) > 0)
}

func readManifest(dataDir string) (manifest, error) {
	m := manifest{Streams: map[string]StreamReport{}}
	b, err := os.ReadFile(filepath.Join(dataDir, manifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("engine: %s: %w", filepath.Join(dataDir, manifestName), err)
	}
	if m.Streams == nil {
		m.Streams = map[string]StreamReport{}
	}
	return m, nil
}

// fingerprint identifies the content of an ingested data folder: a hash of each
// stream's row count and order-free line checksum, and the partition width.
func (m manifest) fingerprint() string {
	names := slices.Sorted(maps.Keys(m.Streams))
	var b strings.Builder
	fmt.Fprintf(&b, "interval=%d\n", m.IntervalSeconds)
	for _, n := range names {
		st := m.Streams[n]
		fmt.Fprintf(&b, "%s rows=%d rejects=%d checksum=%s\n", n, st.Rows, st.Rejects, st.Checksum)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16])
}

func writeManifest(dataDir string, m manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dataDir, manifestName), append(b, '\n'))
}

// writeFileAtomic writes via a temporary file, fsync and rename.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Sync(); err != nil {
		return errors.Join(err, f.Close())
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// inputFile is one raw file of a stream.
type inputFile struct {
	Path  string
	Size  int64
	MTime int64
}

// discoverInputs finds, for each stream, RAW/<s>.txt.gz, RAW/<s>.txt, or the files of
// a folder RAW/<s>/ (chunk files such as split's output, in name order).
func discoverInputs(raw string) (map[string][]inputFile, error) {
	if st, err := os.Stat(raw); err != nil {
		return nil, fmt.Errorf("engine: raw folder: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("engine: raw folder %s is not a folder", raw)
	}
	out := map[string][]inputFile{}
	for _, s := range lanl.Streams {
		var forms []string
		var files []inputFile
		for _, name := range []string{s.Name + ".txt.gz", s.Name + ".txt", s.Name + ".csv.gz", s.Name + ".csv"} {
			p := filepath.Join(raw, name)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
				forms = append(forms, p)
				files = append(files, inputFile{Path: p, Size: st.Size(), MTime: st.ModTime().UnixNano()})
			}
		}
		dir := filepath.Join(raw, s.Name)
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			forms = append(forms, dir+string(filepath.Separator))
			entries, err := os.ReadDir(dir)
			if err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			for _, e := range entries {
				if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
					continue
				}
				info, err := e.Info()
				if err != nil {
					return nil, fmt.Errorf("engine: %w", err)
				}
				files = append(files, inputFile{Path: filepath.Join(dir, e.Name()), Size: info.Size(), MTime: info.ModTime().UnixNano()})
			}
		}
		if len(forms) > 1 {
			return nil, fmt.Errorf("%w: %s is in %s; keep one", ErrAmbiguousInput, s.Name, strings.Join(forms, " and "))
		}
		if len(files) > 0 {
			out[s.Name] = files
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w in %s (expected auth.txt.gz, proc.txt.gz, flows.txt.gz, dns.txt.gz, redteam.txt.gz, .txt, or folders of those names)", ErrNoInput, raw)
	}
	return out, nil
}

// fingerprint identifies a stream's input and the settings that shape its output.
// Files are identified by name, size and modification time, as make and rsync do:
// hashing 12 GB of gzip on every run would cost as much as ingesting it.
func fingerprint(stream string, files []inputFile, intervalSeconds int64, keepRejects bool) string {
	h := sha256.New()
	fmt.Fprintf(h, "lanlq-ingest v%d\n%s\n%d\n%t\n", formatVersion, stream, intervalSeconds, keepRejects)
	for _, f := range files {
		abs, _ := filepath.Abs(f.Path)
		fmt.Fprintf(h, "%s\n%d\n%d\n", abs, f.Size, f.MTime)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Ingest loads the raw LANL files in opts.Raw into opts.Data: Parquet partitioned by
// interval, the manifest, the views. It is idempotent (unchanged inputs are skipped),
// resumable (a rerun after a crash redoes only unfinished segments) and atomic per
// stream (readers see the old generation or the new one, never a mix).
func Ingest(ctx context.Context, opts IngestOptions) (*IngestReport, error) {
	start := time.Now()
	if opts.Interval == 0 {
		opts.Interval = time.Hour
	}
	if opts.Interval < time.Second || opts.Interval%time.Second != 0 {
		return nil, fmt.Errorf("engine: interval %s is not a whole number of seconds", opts.Interval)
	}
	if opts.chunkBytes == 0 {
		opts.chunkBytes = defaultChunkBytes
	}
	if opts.segmentBytes == 0 {
		opts.segmentBytes = defaultSegmentBytes
	}
	inputs, err := discoverInputs(opts.Raw)
	if err != nil {
		return nil, err
	}
	if err := checkIngestTarget(opts.Raw, opts.Data); err != nil {
		return nil, err
	}
	data, lock, err := lockDataForIngest(opts.Data)
	if err != nil {
		return nil, err
	}
	opts.Data = data
	// The kernel releases the lock with the process anyway; a failed close loses no data.
	defer func() { _ = lock.Unlock() }()
	m, err := readManifest(data)
	if err != nil {
		return nil, err
	}
	if m.Clock == clockUTC {
		return nil, fmt.Errorf("%w: %s holds events of real sources (absolute UTC times, %s); LANL's seconds from an unknown origin cannot share their clock — ingest the LANL files into another data folder",
			ErrClock, opts.Data, sourceNames(m.Sources))
	}
	report := &IngestReport{}
	report.Warnings = sourceWarnings(m, inputs)
	interval := int64(opts.Interval / time.Second)
	if m.IntervalSeconds != 0 && m.IntervalSeconds != interval {
		// A new partition width invalidates every stream; the fingerprints (which
		// include the width) make each one re-ingest below.
		m.Streams = map[string]StreamReport{}
	}
	m.Version, m.IntervalSeconds = formatVersion, interval
	m.Clock, m.Origin = clockLANL, lanl.Origin.Format(time.RFC3339)

	sess, err := NewSession(ctx, Options{MemoryLimit: opts.MemoryLimit, Threads: opts.Threads,
		TempDir: filepath.Join(data, internalDir, "duckdb_tmp")})
	if err != nil {
		return nil, err
	}
	defer sess.Close()

	for _, s := range lanl.Streams {
		files, ok := inputs[s.Name]
		if !ok {
			continue
		}
		fp := fingerprint(s.Name, files, interval, opts.KeepRejects)
		old, had := m.Streams[s.Name]
		if had && old.Fingerprint == fp && generationLive(data, s.Name, old.Generation) {
			old.Unchanged = true
			report.Streams = append(report.Streams, old)
			continue
		}
		plan, err := planStream(data, s.Name, old, had, files, fp)
		if err != nil {
			return nil, err
		}
		if plan.reread != "" {
			report.Warnings = append(report.Warnings, fmt.Sprintf("%s: %s: reading the stream whole again", s.Name, plan.reread))
		}
		if plan.base != nil && len(plan.tasks) == 0 {
			// Files only touched (same bytes): record their new times, keep the data.
			old.Fingerprint, old.Inputs, old.Unchanged = fp, sortedRecords(plan.kept), true
			m.Streams[s.Name] = old
			if err := writeManifest(data, m); err != nil {
				return nil, fmt.Errorf("engine: manifest: %w", err)
			}
			old.Verified = plan.verified
			report.Streams = append(report.Streams, old)
			continue
		}
		sr, err := ingestStream(ctx, sess, s, files, plan, opts)
		if err != nil {
			return nil, err
		}
		if err := opts.stepDone(ctx, "assemble "+s.Name); err != nil {
			return nil, err
		}
		// Publish: swap the stream's symlink, then record it in the manifest. A crash
		// between the two leaves a live generation the manifest does not name yet;
		// the rerun finds its work finished and republishes it.
		oldGen := m.Streams[s.Name].Generation
		if err := swapSymlink(filepath.Join(data, s.Name), filepath.Join(internalDir, "gen", sr.Generation)); err != nil {
			return nil, fmt.Errorf("engine: publish %s: %w", s.Name, err)
		}
		if err := opts.stepDone(ctx, "publish "+s.Name); err != nil {
			return nil, err
		}
		m.Streams[s.Name] = sr
		if err := writeManifest(data, m); err != nil {
			return nil, fmt.Errorf("engine: manifest: %w", err)
		}
		if err := opts.stepDone(ctx, "manifest "+s.Name); err != nil {
			return nil, err
		}
		if oldGen != "" && oldGen != sr.Generation {
			retireGeneration(data, oldGen)
		}
		if sr.LinesRead == 0 {
			report.Warnings = append(report.Warnings, fmt.Sprintf("%s: %s holds no line: the stream is empty", s.Name, strings.Join(sr.Files, ", ")))
		}
		// Cached artifact dictionaries describe the old data (their keys would not
		// match any more; this only reclaims the space).
		os.RemoveAll(filepath.Join(data, internalDir, "dict"))
		os.RemoveAll(filepath.Join(data, internalDir, "work", sr.Generation))
		report.Streams = append(report.Streams, sr)
	}
	// The catalog is rewritten when a stream changed, and also when it is missing or
	// older than the manifest: an earlier run that stopped (killed, disk full) between
	// publishing its last stream and the catalog left every stream unchanged.
	if !report.Unchanged() || !catalogCurrent(data) {
		if err := writeCatalog(ctx, data); err != nil {
			return nil, err
		}
		if err := opts.stepDone(ctx, "catalog"); err != nil {
			return nil, err
		}
	}
	report.Elapsed = time.Since(start)
	return report, nil
}

// catalogCurrent reports whether DATA/catalog.duckdb exists and was written after the
// manifest (writeCatalog runs after the manifest's last write).
func catalogCurrent(data string) bool {
	cat, err := os.Stat(filepath.Join(data, catalogName))
	if err != nil {
		return false
	}
	man, err := os.Stat(filepath.Join(data, manifestName))
	return err == nil && !cat.ModTime().Before(man.ModTime())
}

// lockDataForIngest readies data folder data for an ingest (LANL's or the sources'):
// its absolute path, refused if DuckDB could not read files through it (checkPathChars,
// before anything is created), its work folder created, and the folder's ingest lock
// taken without waiting (a second ingest fails with ErrLocked naming the holder). The
// caller releases the lock.
func lockDataForIngest(data string) (abs string, lock *fileLock, err error) {
	if abs, err = filepath.Abs(data); err != nil {
		return "", nil, err
	}
	if err := checkPathChars("data", abs); err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(filepath.Join(abs, internalDir, "work"), 0o755); err != nil {
		return "", nil, fmt.Errorf("engine: data folder: %w", err)
	}
	if lock, err = lockExclusive(filepath.Join(abs, internalDir, ingestLockName), abs); err != nil {
		return "", nil, err
	}
	return abs, lock, nil
}

// checkIngestTarget refuses a data folder that is the raw folder, or that holds raw
// LANL files without being a lanlq data folder (the stream symlinks ingest writes
// would then sit beside auth.txt.gz, and every later ingest from there would fail).
func checkIngestTarget(raw, data string) error {
	r, err1 := filepath.Abs(raw)
	d, err2 := filepath.Abs(data)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if er, err := filepath.EvalSymlinks(r); err == nil {
		r = er
	}
	if ed, err := filepath.EvalSymlinks(d); err == nil {
		d = ed
	}
	if r == d {
		return fmt.Errorf("%w: --raw and --data are the same folder %s; the data folder must be another (a new one is created)", ErrNotData, raw)
	}
	if _, err := os.Stat(filepath.Join(d, manifestName)); err == nil {
		return nil
	}
	if found, err := discoverInputs(d); err == nil && len(found) > 0 {
		return fmt.Errorf("%w: --data %s holds raw LANL files (%s); give a new or empty folder for the data", ErrNotData, data,
			strings.Join(slices.Sorted(maps.Keys(found)), ", "))
	}
	return nil
}

// sourceWarnings names each stream about to be loaded from another folder than it
// was, while streams not in the new raw folder stay from the old one: the data folder
// then mixes two data sets.
func sourceWarnings(m manifest, inputs map[string][]inputFile) []string {
	var warns []string
	folderOf := func(files []string) string {
		if len(files) == 0 {
			return ""
		}
		// Files are as the user gave them (--raw may be relative); a rerun from the
		// same working directory names the same folder.
		abs, _ := filepath.Abs(files[0])
		return filepath.Dir(abs)
	}
	var kept []string
	for _, st := range lanl.Streams {
		if _, ok := inputs[st.Name]; !ok {
			if _, had := m.Streams[st.Name]; had {
				kept = append(kept, st.Name)
			}
		}
	}
	for _, st := range lanl.Streams {
		files, ok := inputs[st.Name]
		old, had := m.Streams[st.Name]
		if !ok || !had || len(old.Files) == 0 {
			continue
		}
		abs, _ := filepath.Abs(files[0].Path)
		was, now := folderOf(old.Files), filepath.Dir(abs)
		// A stream given as a folder of chunks lives one level deeper.
		if filepath.Base(now) == st.Name {
			now = filepath.Dir(now)
		}
		if filepath.Base(was) == st.Name {
			was = filepath.Dir(was)
		}
		if was == now {
			continue
		}
		w := fmt.Sprintf("%s: now loaded from %s, before from %s (%d rows)", st.Name, now, was, old.Rows)
		if len(kept) > 0 {
			w += fmt.Sprintf("; %s stay from the earlier ingest: the data folder now mixes two sources", strings.Join(kept, ", "))
		}
		warns = append(warns, w)
	}
	return warns
}

// retireGeneration removes a replaced generation of a stream, and those retired
// earlier, when no session reads the data folder; otherwise it marks it retired for a
// later ingest to remove (an open session reads the generation it pinned; lock.go).
func retireGeneration(data, gen string) {
	retired := filepath.Join(data, internalDir, "retired")
	marked := os.MkdirAll(retired, 0o755) == nil && os.WriteFile(filepath.Join(retired, gen), nil, 0o644) == nil
	l, ok, err := tryExclusive(filepath.Join(data, internalDir, readLockName))
	if err != nil || !ok {
		return // a reader: the retired mark has the next ingest remove it
	}
	defer func() { _ = l.Unlock() }()
	if !marked {
		os.RemoveAll(filepath.Join(data, internalDir, "gen", gen))
	}
	entries, _ := os.ReadDir(retired)
	for _, e := range entries {
		live := false
		for _, st := range lanl.Streams {
			live = live || generationLive(data, st.Name, e.Name())
		}
		live = live || generationLive(data, sourceRejectsLink, e.Name())
		if live { // the same input ingested again
			os.Remove(filepath.Join(retired, e.Name()))
			continue
		}
		if err := os.RemoveAll(filepath.Join(data, internalDir, "gen", e.Name())); err == nil {
			os.Remove(filepath.Join(retired, e.Name()))
		}
	}
}

func generationLive(data, stream, gen string) bool {
	target, err := os.Readlink(filepath.Join(data, stream))
	return err == nil && gen != "" && filepath.Base(target) == gen
}

// swapSymlink points link at target atomically (a new symlink renamed over the old).
func swapSymlink(link, target string) error {
	tmp := link + ".new"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if st, err := os.Lstat(link); err == nil && st.Mode()&os.ModeSymlink == 0 {
		return fmt.Errorf("%s exists and is not a lanlq symlink; move it away", link)
	}
	return os.Rename(tmp, link)
}

// segmentStats is the record of one finished segment (segment.json in its folder).
type segmentStats struct {
	Lines   int64  `json:"lines"`
	Rows    int64  `json:"rows"`
	Rejects int64  `json:"rejects"`
	SumHash uint64 `json:"sum_hash"`
	MinTime int64  `json:"min_time"`
	MaxTime int64  `json:"max_time"`
	// IntervalRows counts the segment's rows per interval index (time / width), for the
	// late rows of an incremental ingest.
	IntervalRows map[int64]int64 `json:"interval_rows,omitempty"`
}

// ingestStream reads the file parts of plan into a new generation folder (for an
// incremental plan, the current generation's files plus the new ones) and returns the
// stream's report.
func ingestStream(ctx context.Context, sess *Session, s lanl.Stream, files []inputFile, plan streamPlan, opts IngestOptions) (StreamReport, error) {
	w, err := newSegmentWriters(sess, s)
	if err != nil {
		return StreamReport{}, err
	}
	gen := plan.generation
	work := filepath.Join(opts.Data, internalDir, "work", gen)
	genDir := filepath.Join(opts.Data, internalDir, "gen", gen)
	sr := StreamReport{Stream: s.Name, MinTime: -1, MaxTime: -1, Checksum: fmt.Sprintf("%016x", 0)}
	if plan.base != nil {
		sr = *plan.base
		sr.Incremental = true
	}
	sr.Fingerprint, sr.Generation, sr.Verified, sr.Reread = plan.fingerprint, gen, plan.verified, plan.reread
	// Work of an earlier, different input of this stream is stale.
	stale, _ := globIn(filepath.Join(opts.Data, internalDir, "work"), s.Name+"-*")
	for _, d := range stale {
		if d != work {
			os.RemoveAll(d)
		}
	}
	if err := os.MkdirAll(work, 0o755); err != nil {
		return sr, err
	}
	sr.Files, sr.Bytes = nil, 0
	for _, f := range files {
		sr.Bytes += f.Size
		sr.Files = append(sr.Files, f.Path)
	}
	var total int64
	for _, t := range plan.tasks {
		total += t.Size - t.offset
	}
	var read atomic.Int64
	var base int64
	stopProgress := func() {}
	if opts.Progress != nil {
		done := make(chan struct{})
		tick := time.NewTicker(200 * time.Millisecond)
		go func() {
			for {
				select {
				case <-tick.C:
					opts.Progress(s.Name, base+read.Load(), total)
				case <-done:
					return
				}
			}
		}()
		stopProgress = func() { tick.Stop(); close(done); opts.Progress(s.Name, total, total) }
	}
	defer stopProgress()

	var segs []string
	stats := map[string]segmentStats{}
	inputs := slices.Clone(plan.kept)
	for _, t := range plan.tasks {
		read.Store(0)
		fsegs, end, err := ingestFile(ctx, w, s, t, work, opts, &read)
		if err != nil {
			return sr, err
		}
		for _, seg := range fsegs {
			var st segmentStats
			b, err := os.ReadFile(filepath.Join(seg, "segment.json"))
			if err != nil {
				return sr, fmt.Errorf("engine: segment record: %w", err)
			}
			if err := json.Unmarshal(b, &st); err != nil {
				return sr, fmt.Errorf("engine: segment record %s: %w", seg, err)
			}
			stats[seg] = st
		}
		segs = append(segs, fsegs...)
		inputs = append(inputs, fileRecord(t, end, fsegs, stats))
		base += t.Size - t.offset
		sr.ReadBytes += end.bytes
	}
	sr.Inputs = sortedRecords(inputs)
	// Reconcile from the segment records, then assemble the generation.
	var sum uint64
	var added []segmentStats
	for _, seg := range segs {
		st := stats[seg]
		added = append(added, st)
		sr.LinesRead += st.Lines
		sr.ReadLines += st.Lines
		sr.Rows += st.Rows
		sr.Rejects += st.Rejects
		sum += st.SumHash
		if st.Rows > 0 {
			if sr.MinTime < 0 || st.MinTime < sr.MinTime {
				sr.MinTime = st.MinTime
			}
			sr.MaxTime = max(sr.MaxTime, st.MaxTime)
		}
	}
	sr.Checksum = addChecksums(sr.Checksum, fmt.Sprintf("%016x", sum))
	var baseDir string
	if plan.base != nil {
		baseDir = filepath.Join(opts.Data, internalDir, "gen", plan.base.Generation)
		sr.LateRows = lateRows(baseDir, int64(opts.Interval/time.Second), added)
	}
	parts, err := assembleGeneration(baseDir, segs, genDir)
	if err != nil {
		return sr, fmt.Errorf("engine: assemble %s: %w", s.Name, err)
	}
	sr.Partitions = parts
	sr.Added = describeParts(plan.tasks)
	return sr, nil
}

// assembleGeneration hard-links every file of the generation folder base (if not
// "") and of every segment into genDir (through a temporary folder renamed at the end,
// so genDir is complete or absent) and returns the number of partitions.
func assembleGeneration(base string, segs []string, genDir string) (int, error) {
	if _, err := os.Stat(genDir); err == nil {
		// Finished by an earlier run that stopped before publishing.
		parts, _ := globIn(genDir, "interval_start=*")
		return len(parts), nil
	}
	tmp := genDir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return 0, err
	}
	parts := map[string]bool{}
	from := segs
	if base != "" {
		from = append([]string{base}, segs...)
	}
	for _, seg := range from {
		err := filepath.WalkDir(seg, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
				return err
			}
			rel, _ := filepath.Rel(seg, p)
			dst := filepath.Join(tmp, rel)
			dir := filepath.Dir(rel)
			if !parts[dir] {
				if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
					return err
				}
				parts[dir] = true
			}
			if err := os.Link(p, dst); err != nil {
				// Hard links need one file system; copy otherwise.
				return copyFile(p, dst)
			}
			return nil
		})
		if err != nil {
			return 0, err
		}
	}
	if err := syncDir(tmp); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, genDir); err != nil {
		return 0, err
	}
	n := 0
	for d := range parts {
		if d != rejectsDir {
			n++
		}
	}
	return n, nil
}

func copyFile(src, dst string) error {
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(f.Sync(), f.Close())
}

// segmentName names segment k of file fi. The views read a stream's files in name
// order, so names sort as (fi, k) do: zero-padded, and past the padding's reach a
// later letter (f0000 … f9999, then g00010000 …; s000000 … s999999, then t0001000000 …),
// which an incremental ingest that goes on for years may need.
func segmentName(fi, k int) string { return filePrefix(fi) + "-" + segmentSuffix(k) }

func filePrefix(fi int) string {
	if fi < 10000 {
		return fmt.Sprintf("f%04d", fi)
	}
	return fmt.Sprintf("g%08d", fi)
}

func segmentSuffix(k int) string {
	if k < 1000000 {
		return fmt.Sprintf("s%06d", k)
	}
	return fmt.Sprintf("t%010d", k)
}

// segmentNumber is k of a segment folder named segmentName(fi, k).
func segmentNumber(name string) (int, bool) {
	_, suffix, ok := strings.Cut(name, "-")
	if !ok || len(suffix) < 2 || (suffix[0] != 's' && suffix[0] != 't') {
		return 0, false
	}
	k, err := strconv.Atoi(suffix[1:])
	return k, err == nil
}

// existingSegments lists the finished segments of file fi in work.
func existingSegments(work string, fi int) (map[int]string, error) {
	m := map[int]string{}
	matches, err := globIn(work, filePrefix(fi)+"-*")
	if err != nil {
		return nil, err
	}
	for _, p := range matches {
		if k, ok := segmentNumber(filepath.Base(p)); ok && !strings.HasSuffix(p, ".tmp") {
			m[k] = p
		}
	}
	return m, nil
}

var _ = slices.Sort[[]string]
