package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
)

// FollowOptions configures Follow (lanlq score --follow).
type FollowOptions struct {
	// Ingest reads the raw folder into the data folder each cycle (incrementally).
	Ingest IngestOptions
	// Score scores the data into Out each cycle (from Out's saved state). Its frame's
	// end (Score.Edges.To) is set by Follow: see Newest.
	Score ScoreSpec
	Out   string
	// Session configures the DuckDB session that scores (memory, threads).
	Session Options
	// Alerts is the JSON-lines file the alerts of newly scored intervals are appended
	// to: per interval its AlertTop highest rows, and every row scoring above
	// AlertThreshold when HasThreshold.
	Alerts         string
	AlertTop       int
	AlertThreshold float64
	HasThreshold   bool
	// Poll is the wait between cycles; Once runs one cycle and returns.
	Poll time.Duration
	Once bool
	// Newest scores the interval of the newest event too. By default a cycle scores
	// only the intervals before it: the newest may still be filling (a drop that ends
	// inside an interval), and an interval once scored keeps its scores.
	Newest bool
	// Status, if set, is called after each cycle.
	Status func(FollowStatus)

	// wait, if set, replaces the poll timer (tests drive the cycles by events).
	wait func(ctx context.Context) error
	// step, if set, is called after each durable step of the alerts' bookkeeping
	// ("alerts pending", "alerts appended", "alerts marked"); a non-nil error stops
	// Follow there, as a crash would.
	step func(event string) error
}

// FollowStatus is what one cycle of Follow did.
type FollowStatus struct {
	Cycle int
	// DataTo is the time of the newest event ingested (zero before any data).
	DataTo time.Time
	// Ingest is the cycle's ingest report (nil when the raw folder holds no stream yet).
	Ingest *IngestReport
	// Scored intervals were newly scored, up to ScoredTo (the start of the last one).
	Scored   int
	ScoredTo time.Time
	// Alerts were appended to the alerts file; AlertsTo is the last interval they
	// cover (the alerts of every interval up to it are in the file).
	Alerts   int
	AlertsTo time.Time
	Warnings []string
	// Idle: the ingest found nothing new since the last cycle, which did everything;
	// nothing was scored or alerted.
	Idle bool
	// Next is when the next cycle starts (zero with Once).
	Next time.Time
}

// FollowAlert is one line of the alerts file.
type FollowAlert struct {
	IntervalStart time.Time `json:"interval_start"`
	Entity        string    `json:"entity"`
	Artifact      string    `json:"artifact"`
	Kind          string    `json:"kind"`
	Score         float64   `json:"score"`
	Rank          int       `json:"rank"`
	Dominant      string    `json:"dominant,omitempty"`
	Explanation   string    `json:"explanation"`
}

// Follow ingests and scores new data as it arrives and appends the new alerts to
// opts.Alerts: a cycle ingests the raw folder (only new files and appended lines),
// scores the intervals not scored yet from Out's saved state (the state the cycle
// before saved is kept in memory and not read back while Out's manifest is the one
// it wrote), and appends the alerts
// of every interval scored since the last cycle (one write, fsync'd); then it waits
// opts.Poll. It returns nil when ctx ends while it waits (a signal between cycles), and
// ctx's error, with nothing half-published, when ctx ends inside a cycle.
func Follow(ctx context.Context, opts FollowOptions) error {
	if opts.Alerts == "" {
		return fmt.Errorf("%w: follow needs an alerts file", ErrSettings)
	}
	if opts.AlertTop < 0 || (opts.AlertTop == 0 && !opts.HasThreshold) {
		return fmt.Errorf("%w: --alert-top %d with no --alert-threshold: no alert could be written", ErrSettings, opts.AlertTop)
	}
	if !opts.Once && opts.Poll <= 0 && opts.wait == nil {
		return fmt.Errorf("%w: --poll %s: must be positive", ErrSettings, opts.Poll)
	}
	if !opts.Score.Edges.To.IsZero() {
		return fmt.Errorf("%w: follow scores up to the newest data; --to cannot be given", ErrSettings)
	}
	log, err := openAlertLog(opts.Alerts)
	if err != nil {
		return err
	}
	defer func() { _ = log.lock.Unlock() }()
	// The state each cycle saves stays in memory for the next one (still saved to
	// OUT every cycle): a new hour is not charged for reading back the history.
	opts.Score.keep = &stateKeeper{}
	for cycle := 1; ; cycle++ {
		// After a whole cycle, one that ingests nothing new has nothing to score or
		// alert either: it skips opening the data and reading OUT's state.
		st, err := followCycle(ctx, opts, log, cycle > 1)
		if err != nil {
			return err
		}
		st.Cycle = cycle
		if !opts.Once {
			st.Next = time.Now().Add(opts.Poll)
		}
		if opts.Status != nil {
			opts.Status(st)
		}
		if opts.Once {
			return nil
		}
		if err := followWait(ctx, opts); err != nil {
			return nil // a signal between cycles: a clean end
		}
	}
}

// followWait waits for the next cycle: opts.Poll, or the test's event.
func followWait(ctx context.Context, opts FollowOptions) error {
	if opts.wait != nil {
		return opts.wait(ctx)
	}
	t := time.NewTimer(opts.Poll)
	defer t.Stop()
	faultpoint.Reach(ctx, "follow waiting")
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// followCycle runs one cycle of Follow; after a whole cycle (prevDone), one whose
// ingest finds nothing new stops there (Idle).
func followCycle(ctx context.Context, opts FollowOptions, log *alertLog, prevDone bool) (FollowStatus, error) {
	var st FollowStatus
	rep, err := Ingest(ctx, opts.Ingest)
	switch {
	case errors.Is(err, ErrNoInput):
		st.Warnings = append(st.Warnings, "no data yet: "+err.Error())
		return st, nil
	case err != nil:
		return st, err
	}
	st.Ingest = rep
	st.Warnings = append(st.Warnings, rep.Warnings...)
	if prevDone && rep.Unchanged() {
		st.Idle = true
		st.DataTo, st.AlertsTo = log.dataTo, log.alertsTo
		return st, nil
	}
	faultpoint.Reach(ctx, "follow ingested")
	s, err := Open(ctx, opts.Ingest.Data, opts.Session)
	if err != nil {
		return st, err
	}
	defer s.Close()
	spec := opts.Score
	first, last, ok := s.DataRange(spec.Edges.Streams...)
	if !ok {
		st.Warnings = append(st.Warnings, "no events yet")
		return st, nil
	}
	st.DataTo = last
	width := spec.Edges.Interval
	if width == 0 {
		width = time.Hour
	}
	if !opts.Newest {
		newest := intervalOf(last, width)
		if !intervalOf(first, width).Before(newest) {
			st.Warnings = append(st.Warnings, fmt.Sprintf("the data holds one interval (%s), still filling: it is scored once a later one begins", fmtTime(newest)))
			return st, nil
		}
		spec.Edges.To = newest
	}
	srep, err := s.Score(ctx, spec, opts.Out, nil)
	if err != nil {
		return st, err
	}
	st.Warnings = append(st.Warnings, srep.Warnings...)
	if !srep.UpToDate {
		from, err1 := time.Parse(time.DateTime, srep.FirstScored)
		to, err2 := time.Parse(time.DateTime, srep.Experiment.LastInterval)
		if err1 == nil && err2 == nil {
			st.Scored, st.ScoredTo = int(to.Sub(from)/width)+1, to
		}
	}
	faultpoint.Reach(ctx, "follow scored")
	n, to, err := log.appendNew(ctx, s, opts)
	st.Alerts, st.AlertsTo = n, to
	log.dataTo, log.alertsTo = st.DataTo, to
	return st, err
}

// intervalOf is the start of the interval holding t.
func intervalOf(t time.Time, width time.Duration) time.Time {
	sec := int64(t.Sub(lanl.Origin) / time.Second)
	return lanl.Origin.Add(time.Duration(lanl.IntervalStart(sec, int64(width/time.Second))) * time.Second)
}

// alertLog is the alerts file of Follow and its mark, a small JSON file beside it
// (.NAME.mark) that says how far the alerts go. An append is bracketed by two writes
// of the mark: before it, the append about to be made (the file's size then and after,
// and the interval it reaches); after it, the append done. A run that finds an append
// pending (a crash in between) looks at the file's size: the whole append there means
// it was done; otherwise the file is cut back to its size before the append (no half
// line is left) and the alerts are written again. So each alert is written once.
type alertLog struct {
	path, mark string
	lock       *fileLock
	// dataTo and alertsTo are the last cycle's, for the status of an idle one.
	dataTo, alertsTo time.Time
}

// alertMark is the content of the mark.
type alertMark struct {
	// Through is the last interval whose alerts the file's first Size bytes hold.
	Through time.Time `json:"through"`
	Size    int64     `json:"size"`
	// PendingThrough and PendingSize describe an append begun (zero when none).
	PendingThrough time.Time `json:"pending_through,omitzero"`
	PendingSize    int64     `json:"pending_size,omitempty"`
}

func openAlertLog(path string) (*alertLog, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	dir, name := filepath.Split(abs)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("engine: alerts file: %w", err)
	}
	lock, err := lockExclusive(filepath.Join(dir, "."+name+".lock"), abs)
	if err != nil {
		return nil, err
	}
	return &alertLog{path: abs, mark: filepath.Join(dir, "."+name+".mark"), lock: lock}, nil
}

// rawMark reads the mark as it is (zero when there is none).
func (l *alertLog) rawMark() (alertMark, error) {
	var m alertMark
	b, err := os.ReadFile(l.mark)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return m, fmt.Errorf("engine: alerts mark: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("engine: alerts mark %s: %w", l.mark, err)
	}
	return m, nil
}

// readMark reads the mark and settles a pending append.
func (l *alertLog) readMark() (alertMark, error) {
	m, err := l.rawMark()
	if err != nil || m.PendingSize == 0 {
		return m, err
	}
	var size int64
	if fi, err := os.Stat(l.path); err == nil {
		size = fi.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return m, fmt.Errorf("engine: alerts file: %w", err)
	}
	switch {
	case size == m.PendingSize:
		m.Through, m.Size = m.PendingThrough, m.PendingSize // the append was done
	case size > m.Size && size < m.PendingSize:
		// Cut short: drop the part written, the alerts are written again.
		if err := os.Truncate(l.path, m.Size); err != nil {
			return m, fmt.Errorf("engine: alerts file: %w", err)
		}
	}
	m.PendingThrough, m.PendingSize = time.Time{}, 0
	return m, nil
}

// appendNew appends the alerts of the intervals scored in Out after the mark and
// returns how many it wrote and the last interval they cover.
func (l *alertLog) appendNew(ctx context.Context, s *Session, opts FollowOptions) (int, time.Time, error) {
	m, err := l.readMark()
	if err != nil {
		return 0, time.Time{}, err
	}
	alerts, through, err := s.followAlerts(ctx, filepath.Join(opts.Out, "scores.parquet"), m.Through, opts)
	if err != nil || through.IsZero() || !through.After(m.Through) {
		return 0, m.Through, err
	}
	var buf []byte
	for _, a := range alerts {
		b, err := json.Marshal(a)
		if err != nil {
			return 0, m.Through, fmt.Errorf("engine: alert: %w", err)
		}
		buf = append(append(buf, b...), '\n')
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return 0, m.Through, fmt.Errorf("engine: alerts file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, m.Through, errors.Join(fmt.Errorf("engine: alerts file: %w", err), f.Close())
	}
	// The file may have been rotated or emptied by its reader: the mark's size is then
	// not its own, the append starts from what is there.
	size := fi.Size()
	pending := alertMark{Through: m.Through, Size: size, PendingThrough: through, PendingSize: size + int64(len(buf))}
	if err := l.writeMark(pending); err != nil {
		return 0, m.Through, errors.Join(err, f.Close())
	}
	if err := l.stepDone(ctx, opts, "alerts pending"); err != nil {
		return 0, m.Through, errors.Join(err, f.Close())
	}
	if _, err := f.Write(buf); err != nil {
		return 0, m.Through, errors.Join(fmt.Errorf("engine: alerts file: %w", err), f.Close())
	}
	if err := f.Sync(); err != nil {
		return 0, m.Through, errors.Join(fmt.Errorf("engine: alerts file: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return 0, m.Through, fmt.Errorf("engine: alerts file: %w", err)
	}
	if err := l.stepDone(ctx, opts, "alerts appended"); err != nil {
		return 0, m.Through, err
	}
	if err := l.writeMark(alertMark{Through: through, Size: pending.PendingSize}); err != nil {
		return 0, m.Through, err
	}
	return len(alerts), through, l.stepDone(ctx, opts, "alerts marked")
}

func (l *alertLog) writeMark(m alertMark) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("engine: alerts mark: %w", err)
	}
	if err := writeFileAtomic(l.mark, append(b, '\n')); err != nil {
		return fmt.Errorf("engine: alerts mark: %w", err)
	}
	return nil
}

func (l *alertLog) stepDone(ctx context.Context, opts FollowOptions, event string) error {
	faultpoint.Reach(ctx, "follow "+event)
	if opts.step == nil {
		return nil
	}
	return opts.step(event)
}

// followAlerts returns the alerts of the intervals after `after` (all when zero) in
// the scores at path, outside the warm-up (sql/follow_alerts.sql), and the last
// interval scored there (zero when none is after `after`).
func (s *Session) followAlerts(ctx context.Context, path string, after time.Time, opts FollowOptions) ([]FollowAlert, time.Time, error) {
	if !isResultFolder(path) {
		if _, err := os.Stat(path); err != nil {
			return nil, time.Time{}, nil // nothing scored yet
		}
	}
	var through sql.NullTime
	lit := resultLiteral(path)
	if err := s.QueryRow(ctx, fmt.Sprintf("SELECT max(interval_start) FROM read_parquet('%s')", lit)).Scan(&through); err != nil {
		return nil, time.Time{}, fmt.Errorf("engine: alerts of %s: %w", path, err)
	}
	if !through.Valid || !through.Time.After(after) {
		return nil, time.Time{}, nil
	}
	q, err := alertsQuery("follow_alerts.sql", path)
	if err != nil {
		return nil, time.Time{}, err
	}
	var since any // NULL: every interval
	if !after.IsZero() {
		since = after.UTC()
	}
	var threshold any
	if opts.HasThreshold {
		threshold = opts.AlertThreshold
	}
	rows, err := s.Query(ctx, q, since, opts.AlertTop, threshold)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("engine: alerts of %s: %w", path, err)
	}
	defer rows.Close()
	var out []FollowAlert
	for rows.Next() {
		var a FollowAlert
		var kind, dominant, why sql.NullString
		if err := rows.Scan(&a.IntervalStart, &a.Entity, &a.Artifact, &kind, &a.Score, &a.Rank, &dominant, &why); err != nil {
			return nil, time.Time{}, fmt.Errorf("engine: alerts: %w", err)
		}
		a.IntervalStart, a.Kind, a.Dominant, a.Explanation = a.IntervalStart.UTC(), kind.String, dominant.String, why.String
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, time.Time{}, fmt.Errorf("engine: alerts: %w", err)
	}
	return out, through.Time.UTC(), nil
}
