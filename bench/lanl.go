package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// LANLHours is the length of the LANL cyber1 data set in hours (58 days).
const LANLHours = 1392

// The issue-11 targets a LANL-rate span is judged against.
const (
	TargetSecondsPerHour = 2.5     // ingest + score, wall, per hour of data
	TargetPeakRSS        = 3 << 30 // bytes, each command
	TargetBytesPerRow    = 20.0    // result folder bytes per artifact-hour
)

// LANLSpan is one span of LANL-rate data measured end to end: generation (when the
// raw folder was not cached), zcat of the raw files, lanlq ingest and lanlq score with
// the default components.
type LANLSpan struct {
	Days      int
	Raw, Data string // the raw and ingested folders (kept after the run)
	Out       string // the score's result folder (kept after the run)
	Generated bool   // whether this run generated Raw (else it was cached)
	Synth     Run    // zero when cached
	GzipBytes int64
	Events    int64 // ingested rows of the four event streams
	Zcat      Run
	Ingest    Run
	Score     Run
	// Stages are score's own step times, parsed from its report (ParseScoreTiming).
	Stages []Stage
	// Rows is the number of artifact scores (rows of scores.parquet, from its footer).
	Rows int64
	// ScoresBytes is scores.parquet's size, ResultBytes the result folder's files
	// without the scoring state, StateBytes the state (OUT/state/, or state.lanlq of
	// older binaries) alone.
	ScoresBytes, ResultBytes, StateBytes int64
	// LoadBefore and LoadAfter are the 1-minute load averages when ingest started and
	// score ended (other work on the machine inflates the wall times).
	LoadBefore, LoadAfter float64
}

// Hours is the span's length in hours of data.
func (s LANLSpan) Hours() int { return s.Days * 24 }

// PerHour divides d by the span's hours, in seconds.
func (s LANLSpan) PerHour(d time.Duration) float64 { return d.Seconds() / float64(s.Hours()) }

// IngestScoreWallPerHour is the speed figure: ingest + score wall seconds per
// hour of data.
func (s LANLSpan) IngestScoreWallPerHour() float64 { return s.PerHour(s.Ingest.Wall + s.Score.Wall) }

// BytesPerRow is the result folder's bytes (state excluded) per artifact-hour.
func (s LANLSpan) BytesPerRow() float64 { return ratio(s.ResultBytes, s.Rows) }

// ScoresBytesPerRow is scores.parquet's bytes per artifact-hour.
func (s LANLSpan) ScoresBytesPerRow() float64 { return ratio(s.ScoresBytes, s.Rows) }

func ratio(a, b int64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// Stage is one step of lanlq score's report and its wall time.
type Stage struct {
	Name string
	Time time.Duration
}

// ParseScoreTiming reads the timing line of lanlq score's report,
//
//	time 1m3.5s: edges 20.1s, features 0s, …, writing 9.8s
//
// and returns the total and the steps in order, plus an "other" step for the part of
// the total no step names (opening the data, the dictionary, the state).
func ParseScoreTiming(report string) (total time.Duration, stages []Stage, err error) {
	for line := range strings.Lines(report) {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "time ")
		if !ok {
			continue
		}
		head, list, ok := strings.Cut(rest, ": ")
		if !ok {
			return 0, nil, fmt.Errorf("bench: score timing line %q: no ': '", line)
		}
		if total, err = time.ParseDuration(head); err != nil {
			return 0, nil, fmt.Errorf("bench: score timing line %q: %w", line, err)
		}
		var sum time.Duration
		for item := range strings.SplitSeq(list, ", ") {
			i := strings.LastIndexByte(item, ' ')
			if i < 0 {
				return 0, nil, fmt.Errorf("bench: score timing line %q: step %q has no time", line, item)
			}
			d, err := time.ParseDuration(item[i+1:])
			if err != nil {
				return 0, nil, fmt.Errorf("bench: score timing line %q: step %q: %w", line, item, err)
			}
			stages = append(stages, Stage{Name: item[:i], Time: d})
			sum += d
		}
		stages = append(stages, Stage{Name: "other", Time: max(0, total-sum)})
		return total, stages, nil
	}
	return 0, nil, errors.New("bench: lanlq score's report has no timing line ('time …: edges …')")
}

// LoadAverage returns the 1-minute load average (0 where /proc is missing).
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// LANLSpanBench measures one span of days of LANL-sized data at LANL's rate under
// work: it generates work/raw-lanl-dDAYS-seedSEED with `lanlq synth --lanl` unless a
// complete one is there, then times zcat of its files, `lanlq ingest` into
// work/lanl-dDAYS/data and `lanlq score` (default components) into
// work/lanl-dDAYS/out, both folders made afresh. log, when not nil, gets one line per
// step.
func LANLSpanBench(ctx context.Context, lanlq, work string, days int, seed uint64, log io.Writer) (LANLSpan, error) {
	say := func(format string, a ...any) {
		if log != nil {
			fmt.Fprintf(log, "%s lanl %dd: %s\n", time.Now().Format("15:04:05"), days, fmt.Sprintf(format, a...))
		}
	}
	s := LANLSpan{
		Days: days,
		Raw:  filepath.Join(work, fmt.Sprintf("raw-lanl-d%d-seed%d", days, seed)),
		Data: filepath.Join(work, fmt.Sprintf("lanl-d%d", days), "data"),
		Out:  filepath.Join(work, fmt.Sprintf("lanl-d%d", days), "out"),
	}
	if days <= 0 {
		return s, fmt.Errorf("bench: days must be positive, got %d", days)
	}
	// synth writes truth.json last (every file appears by rename once all are done).
	if _, err := os.Stat(filepath.Join(s.Raw, "truth.json")); err != nil {
		say("generating %s", s.Raw)
		s.Generated = true
		var err error
		s.Synth, err = Measure(ctx, nil, lanlq, "synth", "--out", s.Raw, "--lanl", "--days", strconv.Itoa(days), "--seed", strconv.FormatUint(seed, 10))
		if err != nil {
			return s, err
		}
	}
	files, err := filepath.Glob(filepath.Join(s.Raw, "*.txt.gz"))
	if err != nil || len(files) == 0 {
		return s, fmt.Errorf("bench: no *.txt.gz in %s", s.Raw)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return s, err
		}
		s.GzipBytes += st.Size()
	}
	// Warm the page cache so zcat and ingest both read from memory.
	if _, err := Measure(ctx, nil, "cat", files...); err != nil {
		return s, err
	}
	say("zcat")
	if s.Zcat, err = Measure(ctx, nil, "zcat", files...); err != nil {
		return s, err
	}
	for _, dir := range []string{s.Data, s.Out} {
		if err := os.RemoveAll(dir); err != nil {
			return s, err
		}
	}
	s.LoadBefore = LoadAverage()
	say("ingest (load %.1f)", s.LoadBefore)
	if s.Ingest, err = Measure(ctx, nil, lanlq, "ingest", "--raw", s.Raw, "--data", s.Data); err != nil {
		return s, err
	}
	if s.Events, err = ingestedEvents(filepath.Join(s.Data, "lanlq.json")); err != nil {
		return s, err
	}
	say("ingested %d events in %s; score (load %.1f)", s.Events, s.Ingest.Wall.Round(time.Second), LoadAverage())
	var report strings.Builder
	if s.Score, err = MeasureOutput(ctx, &report, nil, lanlq, "score", "--data", s.Data, "--out", s.Out); err != nil {
		return s, err
	}
	s.LoadAfter = LoadAverage()
	if _, s.Stages, err = ParseScoreTiming(report.String()); err != nil {
		return s, err
	}
	if err := s.measureResults(); err != nil {
		return s, err
	}
	say("scored in %s, %d rows (load %.1f)", s.Score.Wall.Round(time.Second), s.Rows, s.LoadAfter)
	return s, nil
}

// The scoring state in a result folder: a folder (engine.StateDir) since format 2,
// one file before.
const (
	stateDir     = "state"
	oldStateFile = "state.lanlq"
)

// measureResults fills the result sizes and the row count from s.Out: every file
// under it counts, the state's apart; scores.parquet is a file, or a folder of parts
// after incremental runs.
func (s *LANLSpan) measureResults() error {
	var parts []string
	err := filepath.WalkDir(s.Out, func(path string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(s.Out, path)
		if err != nil {
			return err
		}
		top, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		switch top {
		case stateDir, oldStateFile:
			s.StateBytes += info.Size()
			return nil
		case "scores.parquet":
			s.ScoresBytes += info.Size()
			parts = append(parts, path)
		}
		s.ResultBytes += info.Size()
		return nil
	})
	if err != nil {
		return err
	}
	if len(parts) == 0 {
		return fmt.Errorf("bench: no scores.parquet in %s", s.Out)
	}
	for _, p := range parts {
		n, err := ParquetRows(p)
		if err != nil {
			return err
		}
		s.Rows += n
	}
	return nil
}

// ParquetRows returns the number of rows a Parquet file's footer records.
func ParquetRows(path string) (int64, error) {
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, fmt.Errorf("bench: %s: %w", path, err)
	}
	n := r.NumRows()
	if err := r.Close(); err != nil {
		return 0, fmt.Errorf("bench: %s: %w", path, err)
	}
	return n, nil
}

// ingestedEvents sums the rows lanlq.json records for every stream but redteam.
func ingestedEvents(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var m struct {
		Streams map[string]struct {
			Rows int64 `json:"rows"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return 0, fmt.Errorf("bench: %s: %w", path, err)
	}
	var n int64
	for name, st := range m.Streams {
		if name != "redteam" {
			n += st.Rows
		}
	}
	if n == 0 {
		return 0, fmt.Errorf("bench: %s records no event", path)
	}
	return n, nil
}

// LANLMarkdown renders spans as the scaling table of BENCHMARKS.md: per span the
// seconds per hour of data (wall and CPU) of zcat, ingest and score, peak RSS, result
// bytes per artifact-hour, then score's steps per hour, the projection of the
// longest span to the full LANL data set and the targets met or not.
func LANLMarkdown(spans []LANLSpan) string {
	var b strings.Builder
	gib := func(n int64) string { return fmt.Sprintf("%.2f", float64(n)/(1<<30)) }
	fmt.Fprintf(&b, "| span | events (M) | events/h (M) | gzip GB | zcat s/h | ingest s/h wall (CPU) | score s/h wall (CPU) | **ingest + score s/h** | peak RSS GiB ingest / score | artifact-hours (M) | B per artifact-hour: results (scores.parquet) | state MB | load |\n")
	fmt.Fprintf(&b, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, s := range spans {
		fmt.Fprintf(&b, "| %d d (%d h) | %.1f | %.3f | %.2f | %.2f | %.2f (%.2f) | %.2f (%.2f) | **%.2f** | %s / %s | %.2f | %.1f (%.1f) | %.0f | %.1f–%.1f |\n",
			s.Days, s.Hours(), float64(s.Events)/1e6, float64(s.Events)/float64(s.Hours())/1e6, float64(s.GzipBytes)/1e9,
			s.PerHour(s.Zcat.Wall),
			s.PerHour(s.Ingest.Wall), s.PerHour(s.Ingest.CPU()),
			s.PerHour(s.Score.Wall), s.PerHour(s.Score.CPU()),
			s.IngestScoreWallPerHour(), gib(s.Ingest.PeakRSS), gib(s.Score.PeakRSS),
			float64(s.Rows)/1e6, s.BytesPerRow(), s.ScoresBytesPerRow(), float64(s.StateBytes)/1e6,
			s.LoadBefore, s.LoadAfter)
	}
	if len(spans) == 0 {
		return b.String()
	}
	// Score's steps per hour of data, one column per span.
	fmt.Fprintf(&b, "\n| score step, s per hour of data |")
	for _, s := range spans {
		fmt.Fprintf(&b, " %d d |", s.Days)
	}
	fmt.Fprintf(&b, "\n|---|%s\n", strings.Repeat("---:|", len(spans)))
	var names []string
	for _, s := range spans {
		for _, st := range s.Stages {
			if !slices.Contains(names, st.Name) {
				names = append(names, st.Name)
			}
		}
	}
	for _, name := range names {
		fmt.Fprintf(&b, "| %s |", name)
		for _, s := range spans {
			i := slices.IndexFunc(s.Stages, func(st Stage) bool { return st.Name == name })
			if i < 0 {
				fmt.Fprintf(&b, " — |")
				continue
			}
			fmt.Fprintf(&b, " %.2f |", s.PerHour(s.Stages[i].Time))
		}
		b.WriteString("\n")
	}
	long := spans[0]
	for _, s := range spans {
		if s.Days > long.Days {
			long = s
		}
	}
	perHour := long.IngestScoreWallPerHour()
	fmt.Fprintf(&b, "\nProjected from the %d-day span to the full LANL data set (%d hours): ingest + score %.0f s wall (%.2f h), %.0f CPU-s; results %.2f GB (state excluded) at %.0f artifact-hours an hour.\n",
		long.Days, LANLHours, perHour*LANLHours, perHour*LANLHours/3600, long.PerHour(long.Ingest.CPU()+long.Score.CPU())*LANLHours,
		long.BytesPerRow()*float64(long.Rows)/float64(long.Hours())*LANLHours/1e9, float64(long.Rows)/float64(long.Hours()))
	fmt.Fprintf(&b, "\nTargets (issue 11), each span:\n")
	for _, s := range spans {
		fmt.Fprintf(&b, "- %d d: ingest + score %.2f s/h against ≤ %.1f: %s; peak RSS %s / %s GiB against ≤ %s: %s; %.1f B per artifact-hour against ≤ %.0f: %s\n",
			s.Days, s.IngestScoreWallPerHour(), TargetSecondsPerHour, verdict(s.IngestScoreWallPerHour() <= TargetSecondsPerHour),
			gib(s.Ingest.PeakRSS), gib(s.Score.PeakRSS), gib(TargetPeakRSS), verdict(max(s.Ingest.PeakRSS, s.Score.PeakRSS) <= TargetPeakRSS),
			s.BytesPerRow(), TargetBytesPerRow, verdict(s.BytesPerRow() <= TargetBytesPerRow))
	}
	return b.String()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "**not met**"
}
