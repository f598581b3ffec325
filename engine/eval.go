package engine

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
	"github.com/lanlq/lanlq/plots"
)

// EvalKs are the k of precision@k and recall@k in an evaluation.
var EvalKs = []int{10, 100, 1000}

// EvalFile is the default name of the evaluation written beside the scores.
const EvalFile = "eval.json"

// EvalReport is the evaluation of a scoring run against the redteam stream.
//
// Entities: a positive is a pair (interval, entity) for each redteam line and each of
// its userdomain_source, computer_source and computer_destination values; an entity's
// score in an interval is the highest score of any artifact whose value is that entity;
// negatives are all the other scored (interval, entity) pairs. Red-team pairs inside the
// frame that were never scored (the entity is in no graph of that interval) are counted
// and listed, not dropped silently; pairs outside the frame are counted apart.
//
// Intervals: Δ(t) (and Δ over known artifacts) against "the interval holds red-team
// events"; intervals without artifacts have no score and are counted in Unscored.
//
// Warm-up: when the run's experiment has a warm-up (Experiment.WarmupTo, eval_warmup
// "excluded"), the intervals before WarmupTo are left out of every metric and count,
// positives included, for both methods alike: the histories the scores are judged
// against are still forming there (and the role basis was fitted on those graphs).
// The red-team pairs left out are counted in RedTeam.WarmupPairs.
type EvalReport struct {
	Scores          string `json:"scores"`
	IntervalSeconds int64  `json:"interval_seconds"`
	// FrameFrom and FrameTo bound the scored event times [from, to).
	FrameFrom string `json:"frame_from"`
	FrameTo   string `json:"frame_to"`
	// Method is the scoring method of the run ("" when the scores carry no experiment).
	Method string `json:"method"`
	// WarmupExcludedTo is the end of the warm-up left out ("" when nothing is).
	WarmupExcludedTo string `json:"warmup_excluded_to"`
	// Labels is the labels file whose (time, entity) pairs were the positives (lanlq
	// eval --labels); "" when they came from the redteam stream. RedTeam then counts
	// the labels' pairs in place of red-team lines.
	Labels  string        `json:"labels,omitempty"`
	RedTeam RedTeamCounts `json:"redteam"`
	// Unscored lists the red-team pairs in the frame that have no score.
	Unscored []EvalPair  `json:"unscored"`
	Entities EvalMetrics `json:"entities"`
	// Intervals and IntervalsKnown rank intervals by Δ(t) and by Δ over the artifacts
	// seen before; nil when interval_scores.parquet is not beside the scores.
	Intervals      *EvalMetrics `json:"intervals"`
	IntervalsKnown *EvalMetrics `json:"intervals_known"`
}

// RedTeamCounts tells what of the redteam stream the evaluation could use.
type RedTeamCounts struct {
	Lines          int `json:"lines"`
	LinesInFrame   int `json:"lines_in_frame"`
	Pairs          int `json:"pairs"`           // distinct (interval, entity) positives in the frame, after the warm-up
	WarmupPairs    int `json:"warmup_pairs"`    // distinct positives in the warm-up, left out
	Scored         int `json:"scored"`          // of Pairs, those with a score
	Unscored       int `json:"unscored"`        // of Pairs, those in no graph
	PairsOutside   int `json:"pairs_outside"`   // distinct pairs of lines outside the frame
	Intervals      int `json:"intervals"`       // intervals of the frame (after the warm-up) holding red-team lines
	IntervalsTotal int `json:"intervals_total"` // intervals of the frame, after the warm-up
}

// EvalPair is one (interval, entity) pair.
type EvalPair struct {
	IntervalStart string `json:"interval_start"`
	Entity        string `json:"entity"`
}

// EvalMetrics are ranking metrics of one kind of score. NaN values (a class absent)
// are written as null in JSON.
type EvalMetrics struct {
	N         int     `json:"n"`
	Positives int     `json:"positives"`
	Unscored  int     `json:"unscored,omitempty"`
	AUC       JSONNum `json:"roc_auc"`
	AP        JSONNum `json:"average_precision"`
	// BaseRate is Positives / N, the precision of a random ranking (AP's baseline).
	BaseRate JSONNum   `json:"base_rate"`
	AtK      []EvalAtK `json:"at_k"`
	// ROC (false positive rate, true positive rate) and PR (recall, precision) curves,
	// thinned to steps of at least 1/1000 along the curve; empty without both classes.
	ROC [][2]float64 `json:"roc"`
	PR  [][2]float64 `json:"pr"`
}

// EvalAtK is precision and recall among the k highest scores.
type EvalAtK struct {
	K         int     `json:"k"`
	Precision JSONNum `json:"precision"`
	Recall    JSONNum `json:"recall"`
}

// JSONNum is a float64 that encodes NaN and infinities as JSON null.
type JSONNum float64

// MarshalJSON implements json.Marshaler.
func (x JSONNum) MarshalJSON() ([]byte, error) {
	f := float64(x)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(f)
}

// UnmarshalJSON implements json.Unmarshaler (null is NaN).
func (x *JSONNum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*x = JSONNum(math.NaN())
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	*x = JSONNum(f)
	return nil
}

// evalScope is what an evaluation needs to know of a scoring run.
type evalScope struct {
	scores, intervals string // paths; intervals "" when missing
	labels            bool   // the positives come from the session's labels (UseLabels)
	width             int64  // seconds
	lo, hi            int64  // event times [lo, hi) scored
}

// scope resolves a scores file: the interval width (interval, or the run's experiment
// when 0) and the scored frame (the experiment's, or the span of the file's intervals);
// it (re)creates the session's view lanlq_redteam_pairs of the positives.
func (s *Session) scope(ctx context.Context, scoresPath string, interval time.Duration) (*evalScope, error) {
	sc, err := s.resolveScope(ctx, scoresPath, interval)
	if err != nil {
		return nil, err
	}
	sc.labels = s.labels != ""
	q, err := sc.render("eval_positives.sql")
	if err != nil {
		return nil, err
	}
	if err := s.Exec(ctx, q); err != nil {
		return nil, fmt.Errorf("engine: red-team positives: %w", err)
	}
	return sc, nil
}

func (s *Session) resolveScope(ctx context.Context, scoresPath string, interval time.Duration) (*evalScope, error) {
	abs, err := filepath.Abs(scoresPath)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if st, err := os.Stat(abs); err != nil || (st.IsDir() && !isResultFolder(abs)) {
		return nil, fmt.Errorf("%w: %s is not a file (or a folder of result parts)", ErrNoScores, scoresPath)
	}
	sc := &evalScope{scores: abs}
	if p := filepath.Join(filepath.Dir(abs), IntervalScoresFile); fileExists(p) {
		sc.intervals = p
	}
	exp, expErr := s.ReadExperiment(ctx, abs)
	if expErr == nil {
		if err := s.CheckSameData(exp, scoresPath); err != nil {
			return nil, err
		}
	}
	switch {
	case interval != 0:
		if interval < time.Second || interval%time.Second != 0 {
			return nil, fmt.Errorf("%w: interval %v is not a whole number of seconds", ErrScoreSpec, interval)
		}
		sc.width = int64(interval / time.Second)
		if expErr == nil && exp.IntervalSeconds > 0 && exp.IntervalSeconds != sc.width {
			// Regrouping the scores into other intervals mixes artifacts' scores of
			// different hours against red-team intervals they were not scored in.
			return nil, fmt.Errorf("%w: --interval %v, but %s was scored in %d s intervals (its experiment says so); leave --interval out",
				ErrSettings, interval, scoresPath, exp.IntervalSeconds)
		}
	case expErr == nil && exp.IntervalSeconds > 0:
		sc.width = exp.IntervalSeconds
	default:
		return nil, fmt.Errorf("%w: no interval given and %v", ErrNoScores, expErr)
	}
	if expErr == nil && exp.FirstInterval != "" && exp.IntervalSeconds == sc.width {
		first, err1 := time.Parse(time.DateTime, exp.FirstInterval)
		last, err2 := time.Parse(time.DateTime, exp.LastInterval)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("engine: experiment of %s: %w", scoresPath, err)
		}
		sc.lo = int64(first.Sub(lanl.Origin) / time.Second)
		sc.hi = int64(last.Sub(lanl.Origin)/time.Second) + sc.width
		if t, err := time.Parse(time.DateTime, exp.FrameFrom); err == nil {
			sc.lo = max(sc.lo, ceilSeconds(t.Sub(lanl.Origin)))
		}
		if t, err := time.Parse(time.DateTime, exp.FrameTo); err == nil {
			sc.hi = min(sc.hi, ceilSeconds(t.Sub(lanl.Origin)))
		}
		return sc, nil
	}
	var lo, hi *int64
	q := "SELECT epoch(min(interval_start))::BIGINT, epoch(max(interval_start))::BIGINT FROM read_parquet(?)"
	if err := s.QueryRow(ctx, q, resultGlob(abs)).Scan(&lo, &hi); err != nil {
		return nil, fmt.Errorf("engine: %s: %w", scoresPath, err)
	}
	if lo == nil {
		return nil, fmt.Errorf("%w: %s has no rows", ErrNoScores, scoresPath)
	}
	o := lanl.Origin.Unix()
	sc.lo, sc.hi = *lo-o, *hi-o+sc.width
	return sc, nil
}

// CheckSameData returns an error wrapping ErrOtherData when exp, the experiment of
// the result file path, was computed from another data set than the session's (their
// data fingerprints differ). An experiment without a fingerprint, or a session without
// a data folder, passes: there is nothing to compare.
func (s *Session) CheckSameData(exp *Experiment, path string) error {
	if exp == nil || exp.DataFingerprint == "" || s.dataDir == "" {
		return nil
	}
	fp, err := s.fingerprint()
	if err != nil || fp == "" || fp == exp.DataFingerprint {
		return err
	}
	return fmt.Errorf("%w: %s was computed from another data set than %s (data fingerprint %s, this folder's %s); give the --data it was scored from, or score again",
		ErrOtherData, path, s.dataDir, exp.DataFingerprint, fp)
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// render renders an evaluation template with the scope.
func (sc *evalScope) render(name string) (string, error) {
	return edgeRender(name, struct {
		Scores, Intervals string
		Width, Lo, Hi     int64
		Labels            bool
	}{resultLiteral(sc.scores), readLiteral(sc.intervals), sc.width, sc.lo, sc.hi, sc.labels})
}

// Evaluate ranks the scores of scoresPath (a scores.parquet) against the redteam
// stream of the session's data; see EvalReport for the definitions. interval is the
// width of the scored intervals, 0 to read it from the run's experiment (the file's
// metadata or the experiment.json beside it). Δ(t) is read from the
// interval_scores.parquet beside the scores, when there is one.
func (s *Session) Evaluate(ctx context.Context, scoresPath string, interval time.Duration) (*EvalReport, error) {
	sc, err := s.scope(ctx, scoresPath, interval)
	if err != nil {
		return nil, err
	}
	rep := &EvalReport{Scores: sc.scores, IntervalSeconds: sc.width,
		FrameFrom: fmtTime(lanl.Origin.Add(time.Duration(sc.lo) * time.Second)),
		FrameTo:   fmtTime(lanl.Origin.Add(time.Duration(sc.hi) * time.Second)), Labels: s.labels}
	if err := s.redTeamCounts(ctx, sc, &rep.RedTeam); err != nil {
		return nil, err
	}
	var warmupTo time.Time // zero: nothing left out
	if exp, err := s.ReadExperiment(ctx, sc.scores); err == nil {
		rep.Method = exp.Method
		if exp.EvalWarmup == EvalWarmupExcluded && exp.WarmupTo != "" {
			if warmupTo, err = time.Parse(time.DateTime, exp.WarmupTo); err != nil {
				return nil, fmt.Errorf("engine: experiment of %s: %w", scoresPath, err)
			}
			rep.WarmupExcludedTo = exp.WarmupTo
		}
	}
	inWarmup := func(start time.Time) bool { return start.Before(warmupTo) }

	pairs, err := s.entityPairs(ctx, sc)
	if err != nil {
		return nil, err
	}
	var scores []float64
	var labels []bool
	for _, p := range pairs {
		if inWarmup(p.start) {
			if p.positive {
				rep.RedTeam.WarmupPairs++
			}
			continue
		}
		switch {
		case !math.IsNaN(p.score):
			scores = append(scores, p.score)
			labels = append(labels, p.positive)
		case p.positive:
			rep.Unscored = append(rep.Unscored, EvalPair{fmtTime(p.start), p.entity})
		}
	}
	rep.Entities = rankMetrics(scores, labels)
	rep.Entities.Unscored = len(rep.Unscored)
	rep.RedTeam.Pairs -= rep.RedTeam.WarmupPairs
	rep.RedTeam.Unscored = len(rep.Unscored)
	rep.RedTeam.Scored = rep.RedTeam.Pairs - rep.RedTeam.Unscored
	if rep.Unscored == nil {
		rep.Unscored = []EvalPair{}
	}

	if sc.intervals != "" {
		rows, err := s.intervalRows(ctx, sc)
		if err != nil {
			return nil, err
		}
		rows = slices.DeleteFunc(rows, func(r intervalRow) bool { return inWarmup(r.start) })
		rep.RedTeam.IntervalsTotal = len(rows)
		for _, known := range []bool{false, true} {
			var scores []float64
			var labels []bool
			unscored := 0
			for _, r := range rows {
				v := r.score
				if known {
					v = r.known
				}
				if math.IsNaN(v) {
					unscored++
					continue
				}
				scores = append(scores, v)
				labels = append(labels, r.redteam)
			}
			m := rankMetrics(scores, labels)
			m.Unscored = unscored
			if known {
				rep.IntervalsKnown = &m
			} else {
				rep.Intervals = &m
			}
		}
		for _, r := range rows {
			if r.redteam {
				rep.RedTeam.Intervals++
			}
		}
	}
	return rep, nil
}

// entityPair is one row of eval_entities.sql: score NaN when the pair is unscored.
type entityPair struct {
	start    time.Time
	entity   string
	score    float64
	positive bool
}

// entityPairs labels every scored (interval, entity) and every red-team pair of the
// frame (sql/eval_entities.sql).
func (s *Session) entityPairs(ctx context.Context, sc *evalScope) ([]entityPair, error) {
	q, err := sc.render("eval_entities.sql")
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("engine: evaluate %s: %w", sc.scores, err)
	}
	defer rows.Close()
	var out []entityPair
	for rows.Next() {
		var p entityPair
		var score *float64
		if err := rows.Scan(&p.start, &p.entity, &score, &p.positive); err != nil {
			return nil, fmt.Errorf("engine: evaluate: %w", err)
		}
		p.score = math.NaN()
		if score != nil {
			p.score = *score
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: evaluate %s: %w", sc.scores, err)
	}
	return out, nil
}

func (s *Session) redTeamCounts(ctx context.Context, sc *evalScope, c *RedTeamCounts) error {
	q, err := sc.render("eval_redteam.sql")
	if err != nil {
		return err
	}
	if err := s.QueryRow(ctx, q).Scan(&c.Lines, &c.LinesInFrame, &c.Pairs, &c.PairsOutside); err != nil {
		return fmt.Errorf("engine: redteam: %w", err)
	}
	return nil
}

type intervalRow struct {
	start        time.Time
	score, known float64
	redteam      bool
}

func (s *Session) intervalRows(ctx context.Context, sc *evalScope) ([]intervalRow, error) {
	q, err := sc.render("eval_intervals.sql")
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("engine: evaluate %s: %w", sc.intervals, err)
	}
	defer rows.Close()
	var out []intervalRow
	for rows.Next() {
		var r intervalRow
		var score, known *float64
		if err := rows.Scan(&r.start, &score, &known, &r.redteam); err != nil {
			return nil, fmt.Errorf("engine: evaluate: %w", err)
		}
		r.score, r.known = math.NaN(), math.NaN()
		if score != nil {
			r.score = *score
		}
		if known != nil {
			r.known = *known
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// rankMetrics computes the metrics and thinned curves of scores against labels.
func rankMetrics(scores []float64, labels []bool) EvalMetrics {
	m := graphkit.RankMetrics(scores, labels, EvalKs)
	out := EvalMetrics{N: m.N, Positives: m.Positives, AUC: JSONNum(m.AUC), AP: JSONNum(m.AP),
		BaseRate: JSONNum(math.NaN()), ROC: [][2]float64{}, PR: [][2]float64{}}
	if m.N > 0 {
		out.BaseRate = JSONNum(float64(m.Positives) / float64(m.N))
	}
	for _, a := range m.AtK {
		out.AtK = append(out.AtK, EvalAtK{K: a.K, Precision: JSONNum(a.Precision), Recall: JSONNum(a.Recall)})
	}
	if m.Positives == 0 || m.Positives == m.N {
		return out
	}
	var roc, pr [][2]float64
	for _, p := range graphkit.ROCCurve(scores, labels) {
		roc = append(roc, [2]float64{p.FPR, p.TPR})
	}
	for _, p := range graphkit.PRCurve(scores, labels) {
		pr = append(pr, [2]float64{p.Recall, p.Precision})
	}
	out.ROC, out.PR = thinCurve(roc, 1e-3), thinCurve(pr, 1e-3)
	return out
}

// thinCurve keeps the first and last points and every point at least step away (in
// either coordinate) from the last kept one, so a curve of a million thresholds fits in
// a JSON file and still draws the same.
func thinCurve(pts [][2]float64, step float64) [][2]float64 {
	if len(pts) <= 2 {
		return pts
	}
	out := [][2]float64{pts[0]}
	for i, p := range pts[1:] {
		last := out[len(out)-1]
		if i == len(pts)-2 || math.Abs(p[0]-last[0]) >= step || math.Abs(p[1]-last[1]) >= step {
			out = append(out, p)
		}
	}
	return out
}

// WriteJSON writes the report to path atomically (a temporary file, then a rename).
func (r *EvalReport) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// Anomaly is one (interval, artifact) score with its red-team label.
type Anomaly struct {
	IntervalStart time.Time
	Artifact      string
	Value         string
	Score         float64
	New           bool
	RoleBefore    *int // nil for a new artifact, or when the run computed no roles
	RoleAfter     *int // nil when the run computed no roles
	// RedTeam marks an artifact whose value is a red-team entity of the interval.
	RedTeam bool
}

// TopAnomalies returns the n highest scores of scoresPath (ties by interval, then
// artifact), each labelled against the redteam stream. interval is as in Evaluate.
func (s *Session) TopAnomalies(ctx context.Context, scoresPath string, n int, interval time.Duration) ([]Anomaly, error) {
	sc, err := s.scope(ctx, scoresPath, interval)
	if err != nil {
		return nil, err
	}
	q, err := sc.render("eval_top.sql")
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q, n)
	if err != nil {
		return nil, fmt.Errorf("engine: top anomalies of %s: %w", scoresPath, err)
	}
	defer rows.Close()
	var out []Anomaly
	for rows.Next() {
		var a Anomaly
		var before, after *int32
		if err := rows.Scan(&a.IntervalStart, &a.Artifact, &a.Value, &a.Score, &a.New, &before, &after, &a.RedTeam); err != nil {
			return nil, fmt.Errorf("engine: top anomalies: %w", err)
		}
		a.RoleBefore, a.RoleAfter = intPtr(before), intPtr(after)
		out = append(out, a)
	}
	return out, rows.Err()
}

// PlotTopArtifacts is the number of artifacts drawn by PlotResults' top-artifacts plot.
const PlotTopArtifacts = 8

// PlotResults draws the results of the scoring run in outDir into outDir/plots: red-team
// events per hour and per day, Δ(t) with the red-team intervals shaded, the ROC and PR
// curves of the entity and interval scores, and the scores over time of the
// PlotTopArtifacts artifacts with the highest scores. A plot without data (no red
// team, say) is left out. It returns the paths written. OUT is locked against other
// writers (lanlq score replacing it) while the plots are drawn.
func (s *Session) PlotResults(ctx context.Context, outDir string) (_ *PlotReport, err error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	lock, err := lockOut(abs)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, lock.Unlock()) }()
	scores := filepath.Join(outDir, ScoresFile)
	rep, err := s.Evaluate(ctx, scores, 0)
	if err != nil {
		return nil, err
	}
	sc, err := s.scope(ctx, scores, 0)
	if err != nil {
		return nil, err
	}
	// The plots are drawn beside OUT/plots and replace it whole: a plot left out this
	// time never leaves an earlier run's beside the new ones.
	final := filepath.Join(abs, "plots")
	dir, err := os.MkdirTemp(abs, ".plots.tmp-")
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	defer os.RemoveAll(dir)
	report := &PlotReport{}
	add := func(name string, err error) error {
		if errors.Is(err, plots.ErrEmpty) {
			report.LeftOut = append(report.LeftOut, name+": "+strings.TrimPrefix(err.Error(), plots.ErrEmpty.Error()+": "))
			return nil
		}
		if err != nil {
			return err
		}
		report.Files = append(report.Files, filepath.Join(final, name))
		faultpoint.Reach(ctx, "plot drawn")
		return ctx.Err()
	}

	// Red-team events per hour and per day.
	for _, w := range []struct {
		name  string
		width time.Duration
	}{{"redteam_per_hour.png", time.Hour}, {"redteam_per_day.png", 24 * time.Hour}} {
		counts, err := s.redTeamCountsPer(ctx, w.width)
		if err != nil {
			return nil, err
		}
		title := fmt.Sprintf("red-team events per %s", map[time.Duration]string{time.Hour: "hour", 24 * time.Hour: "day"}[w.width])
		if err := add(w.name, plots.AttackBars(filepath.Join(dir, w.name), title, w.width, counts)); err != nil {
			return nil, err
		}
	}

	// Δ(t).
	if sc.intervals != "" {
		rows, err := s.intervalRows(ctx, sc)
		if err != nil {
			return nil, err
		}
		// The warm-up is left out: its first interval, every artifact new, would
		// flatten the rest of the curve.
		var warmupTo time.Time
		if rep.WarmupExcludedTo != "" {
			warmupTo, _ = time.Parse(time.DateTime, rep.WarmupExcludedTo)
		}
		var pts []plots.IntervalScore
		for _, r := range rows {
			if !r.start.Before(warmupTo) {
				pts = append(pts, plots.IntervalScore{Start: r.start, Score: r.score, RedTeam: r.redteam})
			}
		}
		title := "Δ(t), mean role change per interval"
		if rep.Method == MethodFused {
			title = "mean fused score per interval"
		}
		if !warmupTo.IsZero() {
			title += ", warm-up before " + rep.WarmupExcludedTo + " left out"
		}
		if len(pts) == 0 && len(rows) > 0 {
			report.LeftOut = append(report.LeftOut, "interval_scores.png: every interval is warm-up (before "+rep.WarmupExcludedTo+")")
		} else if err := add("interval_scores.png", plots.IntervalScores(filepath.Join(dir, "interval_scores.png"), title, pts)); err != nil {
			return nil, err
		}
	}

	// ROC and PR.
	curves := func(m *EvalMetrics, pr bool) []plots.CurvePoint {
		src := m.ROC
		if pr {
			src = m.PR
		}
		out := make([]plots.CurvePoint, len(src))
		for i, p := range src {
			out[i] = plots.CurvePoint{X: p[0], Y: p[1]}
		}
		return out
	}
	roc, pr := map[string][]plots.CurvePoint{}, map[string][]plots.CurvePoint{}
	auc, ap := map[string]float64{}, map[string]float64{}
	for name, m := range map[string]*EvalMetrics{"entities": &rep.Entities, "intervals Δ(t)": rep.Intervals} {
		if m == nil || len(m.ROC) == 0 {
			continue
		}
		roc[name], pr[name] = curves(m, false), curves(m, true)
		auc[name], ap[name] = float64(m.AUC), float64(m.AP)
	}
	if len(roc) == 0 {
		report.LeftOut = append(report.LeftOut, "roc.png, pr.png: nothing to rank (no red-team pair, or no other, outside the warm-up)")
	} else {
		if err := add("roc.png", plots.ROC(filepath.Join(dir, "roc.png"), "ROC against red team", roc, auc)); err != nil {
			return nil, err
		}
		if err := add("pr.png", plots.PR(filepath.Join(dir, "pr.png"), "precision-recall of entities against red team", map[string][]plots.CurvePoint{"entities": pr["entities"]}, ap, float64(rep.Entities.BaseRate))); err != nil {
			return nil, err
		}
	}

	// The top artifacts over time.
	series, err := s.topSeries(ctx, sc)
	if err != nil {
		return nil, err
	}
	if len(series) == 0 {
		report.LeftOut = append(report.LeftOut, "top_artifacts.png: no artifact scores to draw")
	} else {
		title := fmt.Sprintf("the %d artifacts with the highest scores", len(series))
		if err := add("top_artifacts.png", plots.TopArtifacts(filepath.Join(dir, "top_artifacts.png"), title, series)); err != nil {
			return nil, err
		}
	}
	if err := replaceDir(dir, final); err != nil {
		return nil, err
	}
	return report, nil
}

// PlotReport is what PlotResults drew: the files written, and each plot left out with
// why (no red team, every interval warm-up, …).
type PlotReport struct {
	Files   []string
	LeftOut []string
}

// redTeamCountsPer counts red-team events per interval of the given width.
func (s *Session) redTeamCountsPer(ctx context.Context, width time.Duration) ([]plots.IntervalCount, error) {
	w := int64(width / time.Second)
	q := fmt.Sprintf("SELECT (time // %d) * %d AS t, count(*) FROM redteam GROUP BY ALL ORDER BY t", w, w)
	rows, err := s.Query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("engine: redteam: %w", err)
	}
	defer rows.Close()
	var out []plots.IntervalCount
	for rows.Next() {
		var t int64
		var n int
		if err := rows.Scan(&t, &n); err != nil {
			return nil, fmt.Errorf("engine: redteam: %w", err)
		}
		out = append(out, plots.IntervalCount{Start: lanl.Origin.Add(time.Duration(t) * time.Second), Count: n})
	}
	return out, rows.Err()
}

// topSeries returns the scores over time of the artifacts with the highest scores.
func (s *Session) topSeries(ctx context.Context, sc *evalScope) ([]plots.Series, error) {
	q, err := sc.render("eval_top_series.sql")
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q, PlotTopArtifacts)
	if err != nil {
		return nil, fmt.Errorf("engine: top artifacts: %w", err)
	}
	defer rows.Close()
	var out []plots.Series
	rank := map[string]int{}
	for rows.Next() {
		var r int
		var name string
		var p plots.IntervalScore
		if err := rows.Scan(&r, &name, &p.Start, &p.Score, &p.RedTeam); err != nil {
			return nil, fmt.Errorf("engine: top artifacts: %w", err)
		}
		if _, ok := rank[name]; !ok {
			rank[name] = r
			out = append(out, plots.Series{Name: name})
		}
		i := slices.IndexFunc(out, func(s plots.Series) bool { return s.Name == name })
		out[i].Points = append(out[i].Points, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b plots.Series) int { return cmp.Compare(rank[a.Name], rank[b.Name]) })
	return out, nil
}
