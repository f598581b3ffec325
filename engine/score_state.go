package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// StateDir is the saved scoring state in OUT: what every scorer carries from one
// interval to the next, so that the next `lanlq score` into OUT scores only the
// intervals added since, exactly as a run over all of them would (README, "Running
// it every hour"). It is written into the stage with the results and published with
// them, so OUT's state always matches OUT's results.
//
// Layout (format 3), files in graphkit's binary state format, each listed in
// manifest.json with its size and CRC-32C (the manifest is written last, and a file
// whose bytes differ from it is refused as damaged):
//
//   - manifest.json: stateHeader, the settings and bookkeeping, and the files.
//   - dictionary-G.bin: the artifact names the saved ids refer to. Generation 0
//     holds the whole dictionary when the state was last saved whole; a later
//     generation G the names new in the run that saved it. Their order is the
//     stable ids the sets keep: a name keeps the id it got when first saved, so a
//     saved set needs no remapping when new names shift the dictionary's ids (name
//     ranks). The main file's ids are the ranks of all the names, sorted, as the
//     run that wrote it had them.
//   - sets-G.bin: the pair sets that only grow (novelty's contacts met, switch's
//     emissions met, peers' contacts: graphkit.GrowingSet), by component in fusion
//     order: whole in generation 0 — a set's keys in order, delta-coded (2–3
//     bytes a pair, and with novelty's visit counts a byte or two more), loaded
//     into the set's packed part without rehashing — and in a later generation G
//     only the pairs added or changed in the run that saved it, coded the same
//     way; loading applies them in order.
//   - main-G.bin: everything else (the Tracker, every component's rates and
//     histories, with roles the feature set and the basis), small or changed
//     everywhere, so rewritten by every run: only the last generation's is kept.
//
// A run that continues the state hard-links the earlier dictionary and sets files
// into its stage (as carryOver links the result parts) and writes only its own
// generation's three files: what it writes grows with the hour, not the history.
// When the deltas would exceed stateCompactShare of the base (or a set changed too
// much to record), it saves the state whole again as generation 0.
const StateDir = "state"

// oldStateFile is where format 1 kept the state, one file rewritten whole by every
// run; it is refused with a message naming --rescore.
const oldStateFile = "state.lanlq"

// Format 3 saves the pair sets that are not windowed as their keys in order,
// delta-coded (graphkit.GrowingSet); format 2 saved their hash tables and is refused
// with a message naming --rescore, as format 1 is.
const (
	stateFormat   = 3
	stateManifest = "manifest.json"
)

// stateCompactShare is the share of the base (dictionary and sets of generation 0)
// that the deltas may reach before a run saves the state whole again: loading reads
// base and deltas, so this bounds what it reads beyond a whole state.
var stateCompactShare = 0.25

// stateHeader is StateDir's manifest.json.
type stateHeader struct {
	Format int `json:"format"`
	// Settings is the run's experiment without what grows with the data (frame end,
	// counts, fitted parts, data fingerprint): a later run must have the same.
	Settings json.RawMessage `json:"settings"`
	// FirstInterval and LastScored are interval numbers (start = origin +
	// number × interval_seconds): the frame's first interval and the last one scored.
	FirstInterval   int64 `json:"first_interval"`
	LastScored      int64 `json:"last_scored"`
	IntervalSeconds int64 `json:"interval_seconds"`
	// Events counts, per stream, the events before the end of LastScored when it was
	// scored; fewer now means data under scored intervals was removed (refused), more
	// means late events (accepted, counted; their intervals are not rescored).
	Events map[string]int64 `json:"events"`
	// Parts is the number of result parts: scores.parquet is one file while 1, a
	// folder of part-NNNNN.parquet files after.
	Parts int `json:"parts"`
	// Artifacts is the size of the dictionary the saved ids refer to.
	Artifacts int `json:"artifacts"`
	// LateEvents sums the late events accepted so far.
	LateEvents      int64  `json:"late_events"`
	DataFingerprint string `json:"data_fingerprint"`
	// Generation is the last generation saved (0: the state is saved whole); Files
	// lists every file of the state, generations in order.
	Generation int         `json:"generation"`
	Files      []stateFile `json:"files"`
}

// stateFile is a file of the state as the manifest lists it.
type stateFile struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"` // dictionary, sets or main
	Generation int    `json:"generation"`
	Bytes      int64  `json:"bytes"`
	CRC32C     uint32 `json:"crc32c"`
}

// stateFileName is the name of the state file of kind and generation.
func stateFileName(kind string, gen int) string { return fmt.Sprintf("%s-%05d.bin", kind, gen) }

// settingsOf returns exp without the fields that grow with the data or come out of
// training: what two runs continuing each other must share. roles is the number of
// roles asked for (0: by MDL), a setting only when roles are computed.
func settingsOf(exp Experiment, roles int) (json.RawMessage, error) {
	e := exp
	e.FrameTo, e.FirstInterval, e.LastInterval, e.Intervals, e.GraphIntervals, e.DataFingerprint = "", "", "", 0, 0, ""
	e.TrainIntervals, e.TrainRows, e.MDL, e.Features, e.FeatureScales, e.Basis = 0, 0, nil, nil, nil, nil
	e.Roles = 0
	if e.RoleModel {
		e.Roles = roles
	}
	e.WarmupTo, e.WarmupIntervals = "", 0
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return b, nil
}

// settingsDiff names the settings that differ between two settingsOf values.
func settingsDiff(saved, now json.RawMessage) string {
	var a, b map[string]any
	if json.Unmarshal(saved, &a) != nil || json.Unmarshal(now, &b) != nil {
		return "unreadable settings"
	}
	var diffs []string
	keys := slices.Sorted(maps.Keys(a))
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		x, _ := json.Marshal(a[k])
		y, _ := json.Marshal(b[k])
		if !bytes.Equal(x, y) {
			diffs = append(diffs, fmt.Sprintf("%s %s then, %s now", k, x, y))
		}
	}
	return strings.Join(diffs, "; ")
}

// prepareScorers makes the Tracker and, for MethodFused, the components.
func (r *scoreRun) prepareScorers(ctx context.Context) error {
	tracker, err := graphkit.NewTracker(graphkit.DynamicsConfig{Mode: r.spec.Expect, HalfLife: r.spec.HalfLife})
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	r.tracker = tracker
	if r.spec.Method == MethodFused {
		if r.fused, err = r.newFusedScorers(ctx); err != nil {
			return err
		}
	}
	return nil
}

// statefulRun reports whether this run saves its state: a locked OUT (not a table
// function's private folder), and, with roles, a training window the data covers
// whole (its basis will not change with more data).
func (r *scoreRun) statefulRun() bool {
	if r.out == nil || !r.locked {
		return false
	}
	if r.roles {
		return r.last >= r.number(r.trainSpec.To.Add(-time.Second))
	}
	return true
}

// resume loads OUT's saved state when OUT holds one of a run with the same settings
// over the same data, and sets r.from to the first interval not scored yet. Without
// a state (or with ScoreSpec.Rescore) the run starts over and replaces OUT.
func (r *scoreRun) resume(ctx context.Context) error {
	r.from = r.first
	if !r.locked || r.spec.Rescore {
		return nil
	}
	dir := filepath.Join(r.outDir, StateDir)
	where := filepath.Join(dir, stateManifest)
	raw, err := os.ReadFile(where)
	if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Join(r.outDir, oldStateFile)); err == nil {
			return fmt.Errorf("%w: %s is a scoring state of format 1, which this lanlq no longer reads (the state is now the folder %s); score with --rescore to start over",
				ErrStateMismatch, filepath.Join(r.outDir, oldStateFile), StateDir)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	hdr, err := decodeManifest(raw)
	if err != nil {
		return fmt.Errorf("%w: %s: %w; score with --rescore to start over", ErrStateMismatch, where, err)
	}
	if hdr.IntervalSeconds != r.width || hdr.FirstInterval != r.first {
		return fmt.Errorf("%w: %s continues a run whose frame starts at %s in %d s intervals; the data now starts the frame at %s in %d s intervals (events before the scored ones were added or removed); score with --rescore to start over, or into a new --out",
			ErrStateMismatch, where, fmtTime(r.start(hdr.FirstInterval)), hdr.IntervalSeconds, fmtTime(r.start(r.first)), r.width)
	}
	settings, err := settingsOf(r.rep.Experiment, r.spec.Roles)
	if err != nil {
		return err
	}
	if !bytes.Equal(settings, hdr.Settings) {
		return fmt.Errorf("%w: %s holds a run with other settings (%s); score with the settings it was made with, with --rescore to replace it, or into a new --out",
			ErrStateMismatch, where, settingsDiff(hdr.Settings, settings))
	}
	// A new part has scores.parquet's current columns: the earlier parts must have them
	// too, or the folder no longer reads as one table.
	scores := filepath.Join(r.outDir, ScoresFile)
	var named int
	q := fmt.Sprintf("SELECT count(*) FROM (DESCRIBE SELECT * FROM read_parquet('%s')) WHERE column_name = 'artifact'", resultLiteral(scores))
	if err := r.s.QueryRow(ctx, q).Scan(&named); err != nil {
		return fmt.Errorf("engine: the earlier results: %w", err)
	}
	if named > 0 {
		return fmt.Errorf("%w: %s was written by an earlier lanlq that stored the artifact column (now derived from kind and value); score with --rescore to start over, or into a new --out",
			ErrStateMismatch, scores)
	}
	if kept := r.spec.keep.take(r.outDir, raw); kept != nil {
		// This process saved OUT's state and still has it.
		if err := r.loadKept(ctx, kept, hdr); err != nil {
			return fmt.Errorf("%w: %w; score with --rescore to start over", ErrStateMismatch, err)
		}
		r.tookKept, r.rep.StateKept = kept, true
	} else if err := r.loadStateDir(ctx, dir, hdr); err != nil {
		return fmt.Errorf("%w: %w; score with --rescore to start over", ErrStateMismatch, err)
	}
	// Data under the scored intervals: events removed are refused, late ones counted.
	counts, err := r.eventsBefore(ctx, hdr.LastScored+1)
	if err != nil {
		return err
	}
	var late int64
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		was, now := hdr.Events[st], counts[st]
		if now < was {
			return fmt.Errorf("%w: stream %s had %d events up to the end of the last scored interval (%s) when it was scored, now %d: data under scored intervals was removed or replaced; score with --rescore to start over",
				ErrStateMismatch, st, was, fmtTime(r.start(hdr.LastScored)), now)
		}
		late += now - was
	}
	prev, err := readExperimentFile(filepath.Join(r.outDir, ExperimentFile))
	if err != nil {
		return err
	}
	exp := &r.rep.Experiment
	exp.TrainIntervals, exp.TrainRows, exp.Roles, exp.MDL = prev.TrainIntervals, prev.TrainRows, prev.Roles, prev.MDL
	exp.Features, exp.FeatureScales, exp.Basis = prev.Features, prev.FeatureScales, prev.Basis
	r.prev, r.resumed = hdr, true
	r.from = hdr.LastScored + 1
	r.rep.Resumed, r.rep.LateEvents = true, late
	r.prev.LateEvents += late
	if late > 0 {
		r.rep.Warnings = append(r.rep.Warnings, fmt.Sprintf(
			"%d late events arrived for intervals already scored (up to %s); they are in the data but their intervals keep their scores; score with --rescore to rescore everything with them",
			late, fmtTime(r.start(hdr.LastScored))))
	}
	return nil
}

// readExperimentFile reads an experiment.json.
func readExperimentFile(path string) (*Experiment, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return decodeExperiment(path, raw)
}

// decodeManifest reads a state's manifest.json and checks its format.
func decodeManifest(raw []byte) (*stateHeader, error) {
	var hdr stateHeader
	if err := json.Unmarshal(raw, &hdr); err != nil {
		return nil, fmt.Errorf("not a lanlq scoring state manifest: %w", err)
	}
	if hdr.Format != stateFormat {
		return nil, fmt.Errorf("state format %d, this lanlq reads %d", hdr.Format, stateFormat)
	}
	// The manifest is indented; settings compare as settingsOf writes them.
	var settings bytes.Buffer
	if err := json.Compact(&settings, hdr.Settings); err != nil {
		return nil, fmt.Errorf("settings: %w", err)
	}
	hdr.Settings = settings.Bytes()
	return &hdr, nil
}

// idMap maps the saved dictionary's ids onto the current one's: both are sorted
// names (ids are name ranks), and every saved name must still be there.
func (r *scoreRun) idMap(saved, names []string) (*graphkit.IDMap, error) {
	m := &graphkit.IDMap{Artifact: make([]int64, len(saved))}
	j := 0
	for i, name := range saved {
		for j < len(names) && names[j] < name {
			j++
		}
		if j == len(names) || names[j] != name {
			return nil, fmt.Errorf("artifact %q of the scored intervals is no longer in the data (data under scored intervals changed)", name)
		}
		m.Artifact[i] = int64(j)
	}
	if r.fused != nil && r.fused.kinds.Entity != nil {
		// Entities number the distinct values in order (sql/score_classes.sql).
		values := make([]string, len(saved))
		for i, name := range saved {
			values[i] = artifactValue(name)
		}
		uniq := slices.Compact(slices.Sorted(slices.Values(values)))
		m.Entity = make([]int32, len(uniq))
		for i, v := range values {
			e := sort.SearchStrings(uniq, v)
			m.Entity[e] = r.fused.kinds.Entity[m.Artifact[i]]
		}
	}
	return m, nil
}

// artifactValue is the value of an artifact name "kind::value".
func artifactValue(name string) string {
	if _, v, ok := strings.Cut(name, "::"); ok {
		return v
	}
	return name
}

// artifactNameList returns the artifact names by id, as Go strings.
func (s *Session) artifactNameList(ctx context.Context) ([]string, error) {
	rows, err := s.Query(ctx, "SELECT name FROM artifact_dictionary ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

// eventsBefore counts each scored stream's events before interval k: the stream's
// rows as ingest recorded them (DATA/lanlq.json) less the rows of the partitions that
// reach past k's start, so that it reads only the partitions after the scored ones,
// not every partition's metadata. A stream ingest has no record of, or whose
// partitions are not the ones recorded (a partition folder removed or added behind
// ingest's back), is counted by a query over its view, which reads every partition.
func (r *scoreRun) eventsBefore(ctx context.Context, k int64) (map[string]int64, error) {
	counts := map[string]int64{}
	for _, st := range r.plan.streams {
		n, err := r.s.eventsBefore(ctx, st.Name, k*r.width)
		if err != nil {
			return nil, err
		}
		counts[st.Name] = n
	}
	return counts, nil
}

// eventsBefore counts stream's events before raw second end (see scoreRun.eventsBefore).
func (s *Session) eventsBefore(ctx context.Context, stream string, end int64) (int64, error) {
	if sr, ok := s.man.Streams[stream]; ok && sr.Generation != "" && s.man.IntervalSeconds > 0 {
		after, ok, err := s.rowsFrom(ctx, stream, sr, end)
		if err != nil {
			return 0, err
		}
		if ok {
			return sr.Rows - after, nil
		}
	}
	var n int64
	if err := s.QueryRow(ctx, fmt.Sprintf("SELECT count(*) FROM %s WHERE time < ?", stream), end).Scan(&n); err != nil {
		return 0, fmt.Errorf("engine: events of %s: %w", stream, err)
	}
	return n, nil
}

// rowsFrom counts the rows of stream at or after raw second end, reading only the
// partitions that end after it; ok is false when the stream's folder does not hold
// the number of partitions its ingest recorded.
func (s *Session) rowsFrom(ctx context.Context, stream string, sr StreamReport, end int64) (n int64, ok bool, err error) {
	dir := s.streamDir(stream)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, false, fmt.Errorf("engine: events of %s: %w", stream, err)
	}
	pw := s.man.IntervalSeconds
	parts := 0
	var files []string
	for _, e := range entries {
		v, ok := strings.CutPrefix(e.Name(), "interval_start=")
		if !ok || !e.IsDir() {
			continue
		}
		parts++
		t, err := time.ParseInLocation(time.DateTime, v, time.UTC)
		if err != nil {
			return 0, false, nil
		}
		if start := int64(t.Sub(lanl.Origin) / time.Second); start+pw > end {
			pf, err := globIn(filepath.Join(dir, e.Name()), "*.parquet")
			if err != nil {
				return 0, false, fmt.Errorf("engine: events of %s: %w", stream, err)
			}
			files = append(files, pf...)
		}
	}
	if parts != sr.Partitions {
		return 0, false, nil
	}
	if len(files) == 0 {
		return 0, true, nil
	}
	lits := make([]string, len(files))
	for i, f := range files {
		lits[i] = "'" + readLiteral(f) + "'"
	}
	q := fmt.Sprintf("SELECT count(*) FROM read_parquet([%s], hive_partitioning = false) WHERE time >= ?", strings.Join(lits, ", "))
	if err := s.QueryRow(ctx, q, end).Scan(&n); err != nil {
		return 0, false, fmt.Errorf("engine: events of %s: %w", stream, err)
	}
	return n, true, nil
}

// partName is the file name of result part i inside a result folder.
func partName(i int) string { return fmt.Sprintf("part-%05d.parquet", i) }

// carryOver links OUT's earlier results into the stage: scores.parquet (and
// roles.parquet) become folders of parts, the earlier ones linked, not copied, so a
// new hour costs what the hour costs whatever the history; roles_basis.parquet is
// linked as is. experiment.json, interval_scores.parquet and the state are written
// anew; eval.json and plots of the earlier run are left behind (they describe fewer
// intervals).
func (r *scoreRun) carryOver() error {
	names := []string{ScoresFile}
	if r.roles {
		names = append(names, RolesFile)
		if err := os.Link(filepath.Join(r.outDir, RolesBasisFile), filepath.Join(r.tmpDir, RolesBasisFile)); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	for _, name := range names {
		src, dst := filepath.Join(r.outDir, name), filepath.Join(r.tmpDir, name)
		st, err := os.Stat(src)
		if err != nil {
			return fmt.Errorf("engine: the earlier results: %w", err)
		}
		if err := os.Mkdir(dst, 0o755); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		if !st.IsDir() {
			if err := os.Link(src, filepath.Join(dst, partName(0))); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			continue
		}
		parts, err := os.ReadDir(src)
		if err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		for _, p := range parts {
			if err := os.Link(filepath.Join(src, p.Name()), filepath.Join(dst, p.Name())); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
		}
	}
	return nil
}

// resultLiteral is the SQL string literal that reads a result file: the file, or
// every part of a result folder (scores.parquet after an incremental run).
func resultLiteral(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return escapeLiteral(QuoteGlob(path) + "/*.parquet")
	}
	return readLiteral(path)
}

// isResultFolder reports whether dir is a folder of result parts.
func isResultFolder(dir string) bool {
	parts, err := globIn(dir, "part-*.parquet")
	return err == nil && len(parts) > 0
}

// resultGlob is resultLiteral unescaped, for a query parameter.
func resultGlob(path string) string {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return QuoteGlob(path) + "/*.parquet"
	}
	return QuoteGlob(path)
}
