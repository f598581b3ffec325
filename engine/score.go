package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/lanlq/lanlq/graphkit"
	lsql "github.com/lanlq/lanlq/sql"
)

// Result files of a scoring run, written into its output folder.
const (
	ScoresFile         = "scores.parquet"
	IntervalScoresFile = "interval_scores.parquet"
	RolesFile          = "roles.parquet"
	RolesBasisFile     = "roles_basis.parquet"
	ExperimentFile     = "experiment.json"
)

// ExperimentKey is the Parquet key-value metadata key under which every result file
// of a scoring run carries the run's experiment.json (compact).
const ExperimentKey = "lanlq_experiment"

// Sentinels of the scoring run and its evaluation. They belong with the others in
// errors.go; they live here until that file's owner merges them.
var (
	// ErrScoreSpec reports a ScoreSpec that cannot be run.
	ErrScoreSpec = errors.New("engine: bad score spec")
	// ErrNoScores reports a scores file (or its folder) that cannot be evaluated.
	ErrNoScores = errors.New("engine: no scores")
)

// DefaultGenerations is the number of recursive ReFeX generations when
// ScoreSpec.Generations is zero.
const DefaultGenerations = graphkit.DefaultGenerations

// Scoring methods (ScoreSpec.Method).
const (
	// MethodFused, the default, scores each artifact by the Fisher fusion of three
	// surprises judged against its own history: its role change δ normalised by the δ
	// it usually shows at this hour (graphkit.RoleNormalizer), its first contacts with
	// typed artifacts it never met (graphkit.Novelty) and its degree against its
	// hour-of-day profile (graphkit.Volume). It is the default because each of them
	// asks "is this unusual for this artifact?", which plain δ does not: δ ranks first
	// the artifacts whose roles are never stable.
	MethodFused = "fused"
	// MethodRoles is plain role dynamics: the score is δ, as in the notebook.
	MethodRoles = "roles"
)

// Components of MethodFused, in fusion order (ScoreSpec.Components, the dominant
// column of scores.parquet).
const (
	ComponentRole    = "role"
	ComponentNovelty = "novelty"
	ComponentVolume  = "volume"
)

// AllComponents are every component of MethodFused, in fusion order.
var AllComponents = []string{ComponentRole, ComponentNovelty, ComponentVolume}

// DefaultComponents are the components of MethodFused when ScoreSpec.Components is
// empty: novelty and volume. The role component is left out of the default because it
// hurt on the data lanlq was tuned on (the replayed LANL red team, seed 1): fused with
// it, ROC AUC 0.927 and average precision 0.011; without it, 0.969 and 0.137
// (BENCHMARKS.md, "Detection"). Role change flags benign machines whose usage shifts,
// and Fisher's method lets that evidence alone outrank an attacker's first contacts.
var DefaultComponents = []string{ComponentNovelty, ComponentVolume}

// Novelty contact sets (ScoreSpec.Novelty).
const (
	// NoveltyContacts, the default, counts who met whom: users and computers
	// (graphkit.DefaultNoveltyPairs).
	NoveltyContacts = "contacts"
	// NoveltyAll also counts a computer's first processes and ports
	// (graphkit.AllNoveltyPairs).
	NoveltyAll = "all"
)

// EvalWarmupExcluded is the value of Experiment.EvalWarmup: lanlq eval leaves the
// warm-up intervals out of every metric.
const EvalWarmupExcluded = "excluded"

// ScoreSpec configures a scoring run.
type ScoreSpec struct {
	// Method is MethodFused (the default when empty) or MethodRoles.
	Method string
	// Components are the fused components, a non-empty subset of AllComponents
	// (empty: DefaultComponents); MethodRoles takes none.
	Components []string
	// Novelty is the novelty component's contact set: NoveltyContacts (the default
	// when empty) or NoveltyAll.
	Novelty string
	// Edges selects the graphs: architecture, interval width, frame [From, To), streams.
	Edges EdgeSpec
	// Roles fixes the number of RolX roles; 0 chooses it by minimum description
	// length over 2..8.
	Roles int
	// TrainFrom and TrainTo bound the training window [TrainFrom, TrainTo) on which
	// the ReFeX feature set and the RolX basis are fitted. Zero values mean the first
	// day of the frame: from Edges.From (or, when open, the start of the first interval
	// holding events), 24 hours long. The window may lie outside the frame.
	TrainFrom, TrainTo time.Time
	// Generations is the number of recursive ReFeX generations: 0 means
	// DefaultGenerations, -1 the base features only.
	Generations int
	// Expect is how an artifact's expected membership is formed from its history
	// (default graphkit.ExpectEWMA).
	Expect graphkit.Expectation
	// HalfLife is the EWMA half-life in intervals; 0 means graphkit.DefaultHalfLife.
	HalfLife float64
	// Seed seeds the RolX fit (row sampling and NMF starts).
	Seed uint64
}

// ScoreReport describes a completed scoring run.
type ScoreReport struct {
	// OutDir is the absolute output folder; Files the result files written into it.
	OutDir string
	Files  []string
	// Experiment is what experiment.json holds.
	Experiment Experiment
	// Rows is the number of (interval, artifact) scores written.
	Rows int64
	// Timing splits the run's wall time by stage.
	Timing ScoreTiming
}

// ScoreTiming is where a scoring run spent its time.
type ScoreTiming struct {
	Edges    time.Duration // edge SQL and CSR graphs
	Features time.Duration // ReFeX: learning on the training window and every interval's features
	Fit      time.Duration // RolX: NMF and MDL on the training window
	Project  time.Duration // memberships against the fixed basis
	Track    time.Duration // role-dynamics scores and the rows handed to DuckDB
	Fuse     time.Duration // MethodFused: novelty, volume, normalised role change and their fusion
	Write    time.Duration // sorting and writing the Parquet files
	Total    time.Duration
}

// Experiment records every setting and choice of a scoring run: experiment.json, and
// the key-value metadata ExperimentKey of each result file. Times are UTC
// "2006-01-02 15:04:05"; an empty frame bound is open.
type Experiment struct {
	Version         int      `json:"version"`
	Method          string   `json:"method"`
	Arch            string   `json:"arch"`
	ArchKey         string   `json:"arch_key"`
	IntervalSeconds int64    `json:"interval_seconds"`
	Streams         []string `json:"streams"`
	FrameFrom       string   `json:"frame_from"`
	FrameTo         string   `json:"frame_to"`
	// FirstInterval and LastInterval are the first and last interval of the frame
	// (those holding FrameFrom and the last second before FrameTo; an open side ends
	// at the data's first or last interval). Every interval between them, Intervals in
	// all, events or not, is in interval_scores.
	FirstInterval string `json:"first_interval"`
	LastInterval  string `json:"last_interval"`
	Intervals     int    `json:"intervals"`
	// GraphIntervals counts the intervals that had a graph.
	GraphIntervals int    `json:"graph_intervals"`
	TrainFrom      string `json:"train_from"`
	TrainTo        string `json:"train_to"`
	TrainIntervals int    `json:"train_intervals"`
	// TrainRows is the number of (interval, artifact) rows of the training matrix.
	TrainRows   int       `json:"train_rows"`
	Roles       int       `json:"roles"`
	RolesAuto   bool      `json:"roles_auto"`
	MDL         []MDLCost `json:"mdl"`
	Generations int       `json:"generations"`
	Features    []string  `json:"features"`
	// FeatureScales are the divisors of the log1p-normalised features.
	FeatureScales []float64 `json:"feature_scales"`
	// Basis is the fitted role basis, roles × features (rows of unit L1 norm).
	Basis           [][]float64 `json:"basis"`
	Expectation     string      `json:"expectation"`
	HalfLife        float64     `json:"half_life"`
	Seed            uint64      `json:"seed"`
	DataFingerprint string      `json:"data_fingerprint"`
	// Components are the fused components in fusion order; empty for MethodRoles.
	Components []string `json:"components"`
	// Fusion holds every setting of the fused components; nil for MethodRoles.
	Fusion *FusionSettings `json:"fusion,omitempty"`
	// WarmupTo ends the warm-up: the frame's intervals before it are scored and
	// flagged warmup in scores.parquet and interval_scores.parquet. The warm-up is the
	// frame's first day (the histories of the fused components start empty, so every
	// contact is new and no hour of day has a level yet) and, when the training window
	// overlaps the frame, every interval up to its end (the role basis was fitted on
	// those very graphs). It is the same for both methods.
	WarmupTo        string `json:"warmup_to"`
	WarmupIntervals int    `json:"warmup_intervals"`
	// EvalWarmup says how lanlq eval treats the warm-up intervals: EvalWarmupExcluded.
	EvalWarmup string `json:"eval_warmup"`
}

// FusionSettings are the settings of MethodFused's components, as used (defaults
// filled in).
type FusionSettings struct {
	// Combination is how the components' surprises are combined: "fisher".
	Combination string `json:"combination"`
	// Period is the number of intervals in a day, the season of the role and volume
	// histories (86400 / interval_seconds, at least 1).
	Period int `json:"period"`
	// History configures the per-artifact histories of δ and of the log-degree.
	History HistorySettings `json:"history"`
	// RoleMinScale and VolumeMinScale are the smallest prediction-error spreads of the
	// role and volume histories (δ, and ln(1+degree)).
	RoleMinScale   float64 `json:"role_min_scale"`
	VolumeMinScale float64 `json:"volume_min_scale"`
	// NoveltyContacts is ScoreSpec.Novelty; NoveltyPairs are the artifact kind pairs
	// whose edges are contacts.
	NoveltyContacts string      `json:"novelty_contacts"`
	NoveltyPairs    [][2]string `json:"novelty_pairs"`
	// NoveltyGraded and NoveltyCounterpart are graphkit.NoveltyConfig's Graded and
	// Counterpart.
	NoveltyGraded      bool    `json:"novelty_graded"`
	NoveltyCounterpart bool    `json:"novelty_counterpart"`
	NoveltyWindow      int     `json:"novelty_window"`
	NoveltyHalfLife    float64 `json:"novelty_half_life"`
	NoveltyPriorWeight float64 `json:"novelty_prior_weight"`
}

// HistorySettings mirror graphkit.HistoryConfig.
type HistorySettings struct {
	HalfLife     float64 `json:"half_life"`
	ProfileAfter float64 `json:"profile_after"`
	PriorWeight  float64 `json:"prior_weight"`
	SlotWeight   float64 `json:"slot_weight"`
	PriorDoF     float64 `json:"prior_dof"`
}

// MDLCost is the description length of one candidate number of roles, in bits.
type MDLCost struct {
	Roles      int     `json:"roles"`
	ModelBits  float64 `json:"model_bits"`
	ErrorBits  float64 `json:"error_bits"`
	Total      float64 `json:"total_bits"`
	Divergence float64 `json:"divergence"`
}

// Width returns the interval width.
func (e *Experiment) Width() time.Duration { return time.Duration(e.IntervalSeconds) * time.Second }

// Score scores every artifact of every interval of spec.Edges by spec.Method and
// writes the result files into outDir (created if needed): scores.parquet,
// interval_scores.parquet, roles.parquet, roles_basis.parquet and experiment.json
// (schemas in the README). Both methods compute role dynamics; MethodFused then feeds
// each interval's graph to graphkit's Novelty, Volume and RoleNormalizer (the last with
// the Tracker's δ), over the artifact kinds of the dictionary and a season of one day
// (86400 / interval seconds intervals), and fuses them with graphkit.Fusion. The
// warm-up intervals (Experiment.WarmupTo) are scored and flagged.
//
// The ReFeX feature set and the RolX basis are fitted on the training window's graphs;
// then every interval of the frame, in order, gets its features from that fixed set,
// its memberships projected onto the fixed basis, and its scores from the tracker.
// Score holds one interval's graph at a time plus the training window's; the rows go
// to a DuckDB temporary table interval by interval and are sorted and written at the
// end. The same inputs and seed give byte-identical files. The files appear by rename
// once all are written: on error none is written or replaced. progress, if not nil, is
// called with the intervals done and their total (training intervals included).
func (s *Session) Score(ctx context.Context, spec ScoreSpec, outDir string, progress func(done, total int)) (rep *ScoreReport, err error) {
	began := time.Now()
	r, err := s.newScoreRun(ctx, spec, outDir, progress)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, r.cleanup(err != nil)) }()
	if err := r.train(ctx); err != nil {
		return nil, err
	}
	if err := r.scoreAll(ctx); err != nil {
		return nil, err
	}
	if err := r.write(ctx); err != nil {
		return nil, err
	}
	r.rep.Timing.Total = time.Since(began)
	return r.rep, nil
}

// scoreAllocator allocates the Arrow batches a scoring run hands to DuckDB (a
// variable so that tests can check for leaks).
var scoreAllocator = func() memory.Allocator { return memory.NewGoAllocator() }

// scoreRun is the state of one Score call.
type scoreRun struct {
	s        *Session
	spec     ScoreSpec
	plan     *edgePlan
	width    int64 // seconds
	first    int64 // interval numbers (start / width) of the frame, inclusive
	last     int64
	nonEmpty map[int64]bool

	trainSpec EdgeSpec
	held      map[int64]*graphkit.Graph // training graphs reusable for the frame
	features  *graphkit.FeatureSet
	model     *graphkit.RoleModel
	tracker   *graphkit.Tracker
	warmupEnd int64 // the first interval number after the warm-up
	fused     *fusedScorers
	summaries []intervalSummary // MethodFused: the interval scores of the fused score

	done, total int
	progress    func(done, total int)

	outDir     string
	createdOut bool
	tmpDir     string
	table      bool // lanlq_score_rows exists
	mem        memory.Allocator
	rep        *ScoreReport
}

func (s *Session) newScoreRun(ctx context.Context, spec ScoreSpec, outDir string, progress func(done, total int)) (*scoreRun, error) {
	if spec.Roles < 0 {
		return nil, fmt.Errorf("%w: %d roles", ErrScoreSpec, spec.Roles)
	}
	switch spec.Method {
	case "":
		spec.Method = MethodFused
	case MethodFused, MethodRoles:
	default:
		return nil, fmt.Errorf("%w: method %q is neither %s nor %s", ErrScoreSpec, spec.Method, MethodFused, MethodRoles)
	}
	if spec.Method == MethodRoles && len(spec.Components) > 0 {
		return nil, fmt.Errorf("%w: method %s takes none of the fused components", ErrScoreSpec, MethodRoles)
	}
	if spec.Method == MethodFused {
		if len(spec.Components) == 0 {
			spec.Components = DefaultComponents
		}
		var comps []string
		for _, c := range AllComponents {
			if slices.Contains(spec.Components, c) {
				comps = append(comps, c)
			}
		}
		for _, c := range spec.Components {
			if !slices.Contains(AllComponents, c) {
				return nil, fmt.Errorf("%w: component %q is none of %s", ErrScoreSpec, c, strings.Join(AllComponents, ", "))
			}
		}
		spec.Components = comps // fusion order, no duplicates
	}
	switch spec.Novelty {
	case "":
		if spec.Method == MethodFused {
			spec.Novelty = NoveltyContacts
		}
	case NoveltyContacts, NoveltyAll:
		if spec.Method == MethodRoles {
			return nil, fmt.Errorf("%w: method %s has no novelty component", ErrScoreSpec, MethodRoles)
		}
	default:
		return nil, fmt.Errorf("%w: novelty %q is neither %s nor %s", ErrScoreSpec, spec.Novelty, NoveltyContacts, NoveltyAll)
	}
	if spec.Generations < -1 {
		return nil, fmt.Errorf("%w: %d generations", ErrScoreSpec, spec.Generations)
	}
	if spec.Expect != graphkit.ExpectEWMA && spec.Expect != graphkit.ExpectPrevious {
		return nil, fmt.Errorf("%w: expectation %v", ErrScoreSpec, spec.Expect)
	}
	if spec.HalfLife < 0 || math.IsNaN(spec.HalfLife) || math.IsInf(spec.HalfLife, 0) {
		return nil, fmt.Errorf("%w: half-life %v", ErrScoreSpec, spec.HalfLife)
	}
	if spec.HalfLife == 0 {
		spec.HalfLife = graphkit.DefaultHalfLife
	}
	if outDir == "" {
		return nil, fmt.Errorf("%w: no output folder", ErrScoreSpec)
	}
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	p, err := s.plan(ctx, spec.Edges)
	if err != nil {
		return nil, err
	}
	if len(p.streams) == 0 {
		return nil, fmt.Errorf("%w: no selected stream has two artifact columns", ErrEdgeSpec)
	}
	starts, err := s.Intervals(ctx, spec.Edges)
	if err != nil {
		return nil, err
	}
	if len(starts) == 0 {
		return nil, fmt.Errorf("%w: no events in the frame", ErrScoreSpec)
	}
	r := &scoreRun{s: s, spec: spec, plan: p, width: p.width, nonEmpty: map[int64]bool{},
		held: map[int64]*graphkit.Graph{}, progress: progress, outDir: abs, mem: scoreAllocator()}
	for _, st := range starts {
		r.nonEmpty[r.number(st)] = true
	}
	// The frame's intervals: from the one holding From to the one holding the last
	// second before To; an open side ends at the data's first or last interval.
	r.first, r.last = r.number(starts[0]), r.number(starts[len(starts)-1])
	if !spec.Edges.From.IsZero() {
		r.first = min(r.first, floorDiv(ceilSeconds(spec.Edges.From.Sub(Origin)), p.width))
	}
	if !spec.Edges.To.IsZero() {
		r.last = max(r.last, floorDiv(ceilSeconds(spec.Edges.To.Sub(Origin))-1, p.width))
	}

	r.trainSpec = spec.Edges
	r.trainSpec.From, r.trainSpec.To = spec.TrainFrom, spec.TrainTo
	if r.trainSpec.From.IsZero() {
		r.trainSpec.From = starts[0]
		if !spec.Edges.From.IsZero() {
			r.trainSpec.From = spec.Edges.From
		}
	}
	if r.trainSpec.To.IsZero() {
		r.trainSpec.To = r.trainSpec.From.Add(24 * time.Hour)
	}
	if !r.trainSpec.To.After(r.trainSpec.From) {
		return nil, fmt.Errorf("%w: empty training window [%s, %s)", ErrScoreSpec, fmtTime(r.trainSpec.From), fmtTime(r.trainSpec.To))
	}

	gen := spec.Generations
	if gen == 0 {
		gen = DefaultGenerations
	}
	exp := Experiment{
		Version:         1,
		Method:          spec.Method,
		Arch:            archName(spec.Edges.Arch),
		IntervalSeconds: p.width,
		FrameFrom:       fmtTime(spec.Edges.From),
		FrameTo:         fmtTime(spec.Edges.To),
		FirstInterval:   fmtTime(r.start(r.first)),
		LastInterval:    fmtTime(r.start(r.last)),
		Intervals:       int(r.last - r.first + 1),
		GraphIntervals:  len(starts),
		TrainFrom:       fmtTime(r.trainSpec.From),
		TrainTo:         fmtTime(r.trainSpec.To),
		RolesAuto:       spec.Roles == 0,
		Generations:     max(gen, 0),
		Expectation:     spec.Expect.String(),
		HalfLife:        spec.HalfLife,
		Seed:            spec.Seed,
	}
	if _, key, err := archText(spec.Edges.Arch); err == nil {
		exp.ArchKey = key
	}
	for _, st := range p.streams {
		exp.Streams = append(exp.Streams, st.Name)
	}
	if exp.DataFingerprint, err = dataFingerprint(s.dataDir); err != nil {
		return nil, err
	}
	r.setWarmup(&exp)
	r.rep = &ScoreReport{OutDir: abs, Experiment: exp}
	r.total = exp.Intervals

	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		r.createdOut = true
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if r.tmpDir, err = os.MkdirTemp(abs, ".lanlq-score-"); err != nil {
		return nil, errors.Join(fmt.Errorf("engine: %w", err), r.cleanup(true))
	}
	if err := s.Exec(ctx, lsql.Text("score_table.sql")); err != nil {
		return nil, errors.Join(fmt.Errorf("engine: score table: %w", err), r.cleanup(true))
	}
	r.table = true
	return r, nil
}

// cleanup drops the temporary table and folder; after a failure it also removes an
// output folder that Score created.
func (r *scoreRun) cleanup(failed bool) error {
	var errs []error
	if r.table {
		r.table = false
		// The caller's context may be the reason for the failure.
		errs = append(errs, r.s.Exec(context.Background(), "DROP TABLE IF EXISTS lanlq_score_rows"))
	}
	if r.tmpDir != "" {
		errs = append(errs, os.RemoveAll(r.tmpDir))
		r.tmpDir = ""
	}
	if failed && r.createdOut {
		os.Remove(r.outDir) // only if still empty
	}
	return errors.Join(errs...)
}

// number returns the interval number of an interval start (start = Origin + k·width).
func (r *scoreRun) number(start time.Time) int64 {
	return int64(start.Sub(Origin)/time.Second) / r.width
}

func (r *scoreRun) start(k int64) time.Time {
	return Origin.Add(time.Duration(k*r.width) * time.Second)
}

func (r *scoreRun) step() {
	r.done++
	if r.progress != nil {
		r.progress(r.done, r.total)
	}
}

// graph builds the graph of interval k under spec (nil when it has no edge).
func (r *scoreRun) graph(ctx context.Context, spec EdgeSpec, k int64) (*graphkit.Graph, error) {
	t0 := time.Now()
	defer func() { r.rep.Timing.Edges += time.Since(t0) }()
	// The tuple path: the same graph as graphkit over IntervalEdges' edge list
	// (TestIntervalGraphExact), for about a third less CPU on the notebook architecture
	// (BENCHMARKS.md, "Artifact graphs").
	g, err := r.s.IntervalGraph(ctx, spec, r.start(k))
	if err != nil {
		return nil, err
	}
	if g.NumVertices() == 0 {
		return nil, nil
	}
	return g, nil
}

// train learns the feature set and fits the role basis on the training window.
func (r *scoreRun) train(ctx context.Context) error {
	starts, err := r.s.Intervals(ctx, r.trainSpec)
	if err != nil {
		return err
	}
	r.total += len(starts)
	var graphs []*graphkit.Graph
	for _, st := range starts {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := r.number(st)
		g, err := r.graph(ctx, r.trainSpec, k)
		if err != nil {
			return err
		}
		r.step()
		if g == nil {
			continue
		}
		graphs = append(graphs, g)
		// The frame's graph of k is this one when both clip the interval alike.
		if k >= r.first && k <= r.last && r.sameClip(k) {
			r.held[k] = g
		}
	}
	exp := &r.rep.Experiment
	exp.TrainIntervals = len(graphs)
	if len(graphs) == 0 {
		return fmt.Errorf("%w: no events in the training window [%s, %s)", graphkit.ErrNoTrainingData, exp.TrainFrom, exp.TrainTo)
	}

	t0 := time.Now()
	fs, err := graphkit.LearnFeatures(graphs, graphkit.RefexConfig{Generations: r.spec.Generations})
	if err != nil {
		return fmt.Errorf("engine: features: %w", err)
	}
	V, err := fs.ComputeNormalized(graphs)
	if err != nil {
		return fmt.Errorf("engine: features: %w", err)
	}
	r.rep.Timing.Features += time.Since(t0)
	if err := ctx.Err(); err != nil {
		return err
	}

	t0 = time.Now()
	model, err := graphkit.FitRoles(V, graphkit.RolesConfig{Roles: r.spec.Roles}, rand.NewPCG(r.spec.Seed, 0x6c616e6c71))
	if err != nil {
		return fmt.Errorf("engine: roles: %w", err)
	}
	r.rep.Timing.Fit += time.Since(t0)
	r.features, r.model = fs, model

	exp.TrainRows, _ = V.Dims()
	exp.Roles = model.Roles()
	exp.Features = slices.Clone(fs.Names())
	exp.FeatureScales = slices.Clone(fs.Scales())
	for _, c := range model.Candidates {
		exp.MDL = append(exp.MDL, MDLCost{Roles: c.Roles, ModelBits: c.ModelBits, ErrorBits: c.ErrorBits, Total: c.Total, Divergence: c.Divergence})
	}
	for a := range model.Roles() {
		exp.Basis = append(exp.Basis, slices.Clone(model.Basis.RawRowView(a)))
	}
	return nil
}

// sameClip reports whether the training spec and the frame cut interval k alike, so
// that its training graph is its frame graph.
func (r *scoreRun) sameClip(k int64) bool {
	lo, hi := r.start(k), r.start(k+1)
	clip := func(from, to time.Time) (time.Time, time.Time) {
		a, b := lo, hi
		if !from.IsZero() && from.After(a) {
			a = from
		}
		if !to.IsZero() && to.Before(b) {
			b = to
		}
		return a, b
	}
	a1, b1 := clip(r.spec.Edges.From, r.spec.Edges.To)
	a2, b2 := clip(r.trainSpec.From, r.trainSpec.To)
	return a1.Equal(a2) && b1.Equal(b2)
}

// scoreAll scores every interval of the frame in order.
func (r *scoreRun) scoreAll(ctx context.Context) error {
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
	var X, M mat.Dense
	for k := r.first; k <= r.last; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		g, ok := r.held[k]
		delete(r.held, k)
		if !ok && r.nonEmpty[k] {
			if g, err = r.graph(ctx, r.spec.Edges, k); err != nil {
				return err
			}
		}
		if g == nil {
			tracker.Update(int(k), nil, nil)
			if r.fused != nil {
				r.summaries = append(r.summaries, intervalSummary{})
			}
			r.step()
			continue
		}
		t0 := time.Now()
		X.Reset()
		if err := r.features.Compute(g, &X); err != nil {
			return fmt.Errorf("engine: features of %s: %w", fmtTime(r.start(k)), err)
		}
		r.features.Normalize(&X)
		t1 := time.Now()
		r.rep.Timing.Features += t1.Sub(t0)
		M.Reset()
		if err := graphkit.ProjectRoles(&M, &X, r.model.Basis, graphkit.NMFConfig{}); err != nil {
			return fmt.Errorf("engine: roles of %s: %w", fmtTime(r.start(k)), err)
		}
		t2 := time.Now()
		r.rep.Timing.Project += t2.Sub(t1)
		scores := tracker.Update(int(k), g.IDs, &M)
		t3 := time.Now()
		var fused []graphkit.Fused
		if r.fused != nil {
			fused = r.fused.update(int(k), g, scores)
			var sum intervalSummary
			for i, f := range fused {
				sum.add(f.Score, scores[i].New)
			}
			r.summaries = append(r.summaries, sum)
		}
		t4 := time.Now()
		r.rep.Timing.Fuse += t4.Sub(t3)
		if err := r.insert(ctx, k, scores, fused); err != nil {
			return err
		}
		r.rep.Timing.Track += t3.Sub(t2) + time.Since(t4)
		r.rep.Rows += int64(len(scores))
		r.step()
	}
	return nil
}

// scoreRowSchema is the Arrow form of the rows of lanlq_score_rows (sql/score_table.sql).
var scoreRowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	{Name: "new", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "role_before", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "role_after", Type: arrow.PrimitiveTypes.Int32},
	{Name: "membership_before", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	{Name: "membership_after", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64)},
	{Name: "warmup", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "role_delta", Type: arrow.PrimitiveTypes.Float64},
	{Name: "role_surprise", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "novelty_new_contacts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "novelty_value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "novelty_surprise", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "volume_degree", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "volume_expected", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "volume_surprise", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "fused_surprise", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "dominant", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "explanation", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// insert appends the scores of interval k to lanlq_score_rows through an Arrow scan.
// fused, parallel to scores, is nil for MethodRoles: the component columns are then
// NULL.
func (r *scoreRun) insert(ctx context.Context, k int64, scores []graphkit.ArtifactScore, fused []graphkit.Fused) error {
	start := r.start(k)
	warmup := k < r.warmupEnd
	b := array.NewRecordBuilder(r.mem, scoreRowSchema)
	defer b.Release()
	ts := arrow.Timestamp(start.UnixMicro())
	startB := b.Field(0).(*array.TimestampBuilder)
	idB := b.Field(1).(*array.Int64Builder)
	scoreB := b.Field(2).(*array.Float64Builder)
	newB := b.Field(3).(*array.BooleanBuilder)
	beforeB := b.Field(4).(*array.Int32Builder)
	afterB := b.Field(5).(*array.Int32Builder)
	mbB := b.Field(6).(*array.ListBuilder)
	maB := b.Field(7).(*array.ListBuilder)
	mbV := mbB.ValueBuilder().(*array.Float64Builder)
	maV := maB.ValueBuilder().(*array.Float64Builder)
	warmB := b.Field(8).(*array.BooleanBuilder)
	deltaB := b.Field(9).(*array.Float64Builder)
	b.Reserve(len(scores))
	for i, sc := range scores {
		startB.Append(ts)
		idB.Append(sc.ID)
		if fused != nil {
			scoreB.Append(fused[i].Score)
		} else {
			scoreB.Append(sc.Score)
		}
		newB.Append(sc.New)
		if sc.New {
			// A new artifact's expectation is the uniform prior: it has no role.
			beforeB.AppendNull()
		} else {
			beforeB.Append(int32(argmax(sc.Before)))
		}
		afterB.Append(int32(argmax(sc.After)))
		mbB.Append(true)
		mbV.AppendValues(sc.Before, nil)
		maB.Append(true)
		maV.AppendValues(sc.After, nil)
		warmB.Append(warmup)
		deltaB.Append(sc.Score)
		if fused != nil {
			r.fused.appendComponents(b, 10, i, fused[i])
		} else {
			for c := 10; c < b.Schema().NumFields(); c++ {
				b.Field(c).AppendNull()
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return r.s.insertRecord(ctx, rec, "lanlq_score_batch", "INSERT INTO lanlq_score_rows SELECT * FROM lanlq_score_batch")
}

// insertRecord registers rec as the view name and runs query, which reads it once.
func (s *Session) insertRecord(ctx context.Context, rec arrow.RecordBatch, name, query string) error {
	rdr, err := array.NewRecordReader(rec.Schema(), []arrow.RecordBatch{rec})
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer rdr.Release()
	release, err := s.RegisterArrow(rdr, name)
	if err != nil {
		return fmt.Errorf("engine: register %s: %w", name, err)
	}
	defer release()
	if err := s.Exec(ctx, query); err != nil {
		return fmt.Errorf("engine: %s: %w", name, err)
	}
	return nil
}

// argmax returns the index of the largest entry (the first of equal ones).
func argmax(x []float64) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// write sorts the rows and writes every result file into the temporary folder, then
// renames them into the output folder.
func (r *scoreRun) write(ctx context.Context) error {
	t0 := time.Now()
	defer func() { r.rep.Timing.Write += time.Since(t0) }()
	exp := &r.rep.Experiment
	compact, err := json.Marshal(exp)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	pretty, err := json.MarshalIndent(exp, "", "  ")
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if err := os.WriteFile(filepath.Join(r.tmpDir, ExperimentFile), append(pretty, '\n'), 0o644); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if err := r.stageIntervalScores(ctx); err != nil {
		return err
	}
	if err := r.stageBasis(ctx); err != nil {
		return err
	}
	// One thread: DuckDB's parallel Parquet writer may cut row groups differently from
	// run to run; one thread makes the bytes depend on the data alone.
	var threads int
	if err := r.s.QueryRow(ctx, "SELECT current_setting('threads')").Scan(&threads); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if err := r.s.Exec(ctx, "SET threads = 1"); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer r.s.Exec(context.WithoutCancel(ctx), fmt.Sprintf("SET threads = %d", threads))
	for _, name := range []string{"score_copy_scores.sql", "score_copy_roles.sql", "score_copy_intervals.sql", "score_copy_basis.sql"} {
		if err := ctx.Err(); err != nil {
			return err
		}
		q, err := edgeRender(name, struct{ Dir, Meta string }{escapeLiteral(r.tmpDir), escapeLiteral(string(compact))})
		if err != nil {
			return err
		}
		if err := r.s.Exec(ctx, q); err != nil {
			return fmt.Errorf("engine: %s: %w", name, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// Every file is complete: move them in. The experiment goes last, so a folder
	// whose experiment.json is new holds new results only.
	for _, name := range []string{ScoresFile, IntervalScoresFile, RolesFile, RolesBasisFile, ExperimentFile} {
		dst := filepath.Join(r.outDir, name)
		if err := os.Rename(filepath.Join(r.tmpDir, name), dst); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		r.rep.Files = append(r.rep.Files, dst)
	}
	return nil
}

// stageIntervalScores loads the tracker's interval summaries into the temporary table
// lanlq_interval_rows.
func (r *scoreRun) stageIntervalScores(ctx context.Context) error {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "score_known", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "artifacts", Type: arrow.PrimitiveTypes.Int64},
		{Name: "new_artifacts", Type: arrow.PrimitiveTypes.Int64},
		{Name: "warmup", Type: arrow.FixedWidthTypes.Boolean},
	}, nil)
	b := array.NewRecordBuilder(r.mem, schema)
	defer b.Release()
	nullable := func(fb *array.Float64Builder, v float64) {
		if math.IsNaN(v) {
			fb.AppendNull()
		} else {
			fb.Append(v)
		}
	}
	for i, is := range r.tracker.Intervals() {
		if r.fused != nil {
			// The fused method's interval score is the mean of its artifact scores, as
			// Δ(t) is of δ.
			is.Delta, is.DeltaKnown = r.summaries[i].mean(), r.summaries[i].meanKnown()
		}
		k := int64(is.Interval)
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(r.start(k).UnixMicro()))
		nullable(b.Field(1).(*array.Float64Builder), is.Delta)
		nullable(b.Field(2).(*array.Float64Builder), is.DeltaKnown)
		b.Field(3).(*array.Int64Builder).Append(int64(is.Artifacts))
		b.Field(4).(*array.Int64Builder).Append(int64(is.New))
		b.Field(5).(*array.BooleanBuilder).Append(k < r.warmupEnd)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return r.s.insertRecord(ctx, rec, "lanlq_interval_batch", "CREATE OR REPLACE TEMP TABLE lanlq_interval_rows AS SELECT * FROM lanlq_interval_batch")
}

// stageBasis loads the role basis, one row per (role, feature), into lanlq_basis_rows.
func (r *scoreRun) stageBasis(ctx context.Context) error {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "role", Type: arrow.PrimitiveTypes.Int32},
		{Name: "feature_index", Type: arrow.PrimitiveTypes.Int32},
		{Name: "feature", Type: arrow.BinaryTypes.String},
		{Name: "generation", Type: arrow.PrimitiveTypes.Int32},
		{Name: "weight", Type: arrow.PrimitiveTypes.Float64},
	}, nil)
	b := array.NewRecordBuilder(r.mem, schema)
	defer b.Release()
	names, gens := r.features.Names(), r.features.Generations()
	for a := range r.model.Roles() {
		for j, name := range names {
			b.Field(0).(*array.Int32Builder).Append(int32(a))
			b.Field(1).(*array.Int32Builder).Append(int32(j))
			b.Field(2).(*array.StringBuilder).Append(name)
			b.Field(3).(*array.Int32Builder).Append(int32(gens[j]))
			b.Field(4).(*array.Float64Builder).Append(r.model.Basis.At(a, j))
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return r.s.insertRecord(ctx, rec, "lanlq_basis_batch", "CREATE OR REPLACE TEMP TABLE lanlq_basis_rows AS SELECT * FROM lanlq_basis_batch")
}

// dataFingerprint identifies the content of an ingested data folder: a hash of each
// stream's row count and order-free line checksum, and the partition width. It is ""
// for a session without a data folder.
func dataFingerprint(dataDir string) (string, error) {
	if dataDir == "" {
		return "", nil
	}
	m, err := readManifest(dataDir)
	if err != nil {
		return "", err
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range m.Streams {
			if !yield(k) {
				return
			}
		}
	})
	var b strings.Builder
	fmt.Fprintf(&b, "interval=%d\n", m.IntervalSeconds)
	for _, n := range names {
		st := m.Streams[n]
		fmt.Fprintf(&b, "%s rows=%d rejects=%d checksum=%s\n", n, st.Rows, st.Rejects, st.Checksum)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:16]), nil
}

// fmtTime formats t as UTC "2006-01-02 15:04:05", "" for the zero time.
func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateTime)
}

// ReadExperiment returns the experiment of a result file: its ExperimentKey metadata;
// failing that, the single scoring run of the ExperimentInfo in its ExperimentRunKey
// metadata (an experiment's result); failing that, the experiment.json in the same
// folder, which lanlq score writes as an Experiment and lanlq run as an
// ExperimentInfo. An experiment that made no or several scoring runs does not say
// which run the file holds: the error wraps ErrNoScores.
func (s *Session) ReadExperiment(ctx context.Context, resultPath string) (*Experiment, error) {
	kv := map[string][]byte{}
	// An unreadable file (not Parquet, or a folder) still has experiment.json beside it.
	if rows, err := s.Query(ctx, "SELECT decode(key), value FROM parquet_kv_metadata(?) WHERE key IN (encode(?), encode(?))",
		resultPath, ExperimentKey, ExperimentRunKey); err == nil {
		for rows.Next() {
			var k string
			var v []byte
			if rows.Scan(&k, &v) == nil && kv[k] == nil {
				kv[k] = v
			}
		}
		if errors.Join(rows.Err(), rows.Close()) != nil {
			clear(kv)
		}
	}
	if raw, ok := kv[ExperimentKey]; ok {
		return decodeExperiment(ExperimentKey+" metadata of "+resultPath, raw)
	}
	if raw, ok := kv[ExperimentRunKey]; ok {
		return singleRun(ExperimentRunKey+" metadata of "+resultPath, raw)
	}
	beside := filepath.Join(filepath.Dir(resultPath), ExperimentFile)
	raw, err := os.ReadFile(beside)
	if err != nil {
		return nil, fmt.Errorf("%w: %s has no experiment metadata and no %s beside it", ErrNoScores, resultPath, ExperimentFile)
	}
	// Both are JSON objects with a version; only an ExperimentInfo counts statements.
	var probe struct {
		Statements *int `json:"statements"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", beside, err)
	}
	if probe.Statements != nil {
		return singleRun(beside, raw)
	}
	return decodeExperiment(beside, raw)
}

// decodeExperiment decodes an Experiment read from source (a metadata key of a file,
// or a file), which errors name.
func decodeExperiment(source string, raw []byte) (*Experiment, error) {
	var exp Experiment
	if err := json.Unmarshal(raw, &exp); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", source, err)
	}
	return &exp, nil
}

// singleRun decodes an ExperimentInfo read from source and returns its single
// scoring run.
func singleRun(source string, raw []byte) (*Experiment, error) {
	var info ExperimentInfo
	if err := json.Unmarshal(raw, &info); err != nil {
		return nil, fmt.Errorf("engine: experiment in %s: %w", source, err)
	}
	exp, err := info.SingleRun()
	if err != nil {
		return nil, fmt.Errorf("%w (read from %s)", err, source)
	}
	return exp, nil
}

// setWarmup fixes the warm-up (see Experiment.WarmupTo): the frame's first day and,
// when the training window overlaps the frame, every interval up to its end.
func (r *scoreRun) setWarmup(exp *Experiment) {
	end := r.first + max(86400/r.width, 1)
	lo, hi := r.start(r.first), r.start(r.last+1)
	if r.trainSpec.From.Before(hi) && r.trainSpec.To.After(lo) {
		end = max(end, floorDiv(ceilSeconds(r.trainSpec.To.Sub(Origin))-1, r.width)+1)
	}
	r.warmupEnd = min(end, r.last+1)
	exp.WarmupTo = fmtTime(r.start(r.warmupEnd))
	exp.WarmupIntervals = int(r.warmupEnd - r.first)
	exp.EvalWarmup = EvalWarmupExcluded
}

// intervalSummary accumulates the mean score of an interval's artifacts, all and
// those seen before.
type intervalSummary struct {
	n, known      int
	sum, sumKnown float64
}

func (s *intervalSummary) add(score float64, isNew bool) {
	s.n++
	s.sum += score
	if !isNew {
		s.known++
		s.sumKnown += score
	}
}

func (s intervalSummary) mean() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.sum / float64(s.n)
}

func (s intervalSummary) meanKnown() float64 {
	if s.known == 0 {
		return math.NaN()
	}
	return s.sumKnown / float64(s.known)
}

// fusedScorers are MethodFused's components and their fusion, fed one interval at a
// time after the Tracker.
type fusedScorers struct {
	names   []string // components in fusion order
	role    *graphkit.RoleNormalizer
	novelty *graphkit.Novelty
	volume  *graphkit.Volume
	fusion  *graphkit.Fusion

	roleEv, novEv, volEv []graphkit.Evidence
	comps                [][]graphkit.Evidence
	out                  []graphkit.Fused
}

// The settings of the fused components, set explicitly so that experiment.json
// records exactly what ran. They are graphkit's documented defaults; none was tuned
// on a data set.
const (
	fusedPriorWeight    = 2
	fusedSlotWeight     = 1
	fusedPriorDoF       = 2
	fusedRoleMinScale   = 0.1
	fusedVolumeMinScale = 0.05
	fusedNoveltyPrior   = 2
)

// newFusedScorers builds the components of r.spec.Components over the kinds of the
// artifact dictionary, and records their settings in the experiment.
func (r *scoreRun) newFusedScorers(ctx context.Context) (*fusedScorers, error) {
	kinds, err := r.s.artifactKinds(ctx)
	if err != nil {
		return nil, err
	}
	period := max(int(86400/r.width), 1)
	memory := float64(graphkit.DefaultMemory) * 3600 / float64(r.width) // one week
	hist := graphkit.HistoryConfig{
		HalfLife: memory, Period: period, ProfileAfter: float64(period) / 3,
		PriorWeight: fusedPriorWeight, SlotWeight: fusedSlotWeight, PriorDoF: fusedPriorDoF,
	}
	set := &FusionSettings{
		Combination: "fisher", Period: period,
		History: HistorySettings{HalfLife: hist.HalfLife, ProfileAfter: hist.ProfileAfter,
			PriorWeight: hist.PriorWeight, SlotWeight: hist.SlotWeight, PriorDoF: hist.PriorDoF},
		NoveltyPairs: [][2]string{},
	}
	f := &fusedScorers{}
	for _, c := range r.spec.Components {
		switch c {
		case ComponentRole:
			h := hist
			h.MinScale = fusedRoleMinScale
			if f.role, err = graphkit.NewRoleNormalizer(kinds, graphkit.RoleConfig{History: h}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			set.RoleMinScale = h.MinScale
		case ComponentNovelty:
			pairs := graphkit.DefaultNoveltyPairs(kinds)
			if r.spec.Novelty == NoveltyAll {
				pairs = graphkit.AllNoveltyPairs(kinds)
			}
			if len(pairs) == 0 {
				// An architecture without the built-in kinds has no typed contacts:
				// novelty cannot judge it, and is left out (recorded in components).
				continue
			}
			// Graded and weighted by the counterpart: see graphkit.NoveltyConfig for why;
			// on the replayed LANL red team they lifted novelty's ROC AUC from about
			// 0.86 to 0.97 (BENCHMARKS.md, "Detection").
			cfg := graphkit.NoveltyConfig{Pairs: pairs, HalfLife: memory, PriorWeight: fusedNoveltyPrior,
				Graded: true, Counterpart: true}
			if f.novelty, err = graphkit.NewNovelty(kinds, cfg); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			for _, p := range pairs {
				set.NoveltyPairs = append(set.NoveltyPairs, [2]string{kinds.Names[p.A], kinds.Names[p.B]})
			}
			set.NoveltyWindow, set.NoveltyHalfLife, set.NoveltyPriorWeight = cfg.Window, cfg.HalfLife, cfg.PriorWeight
			set.NoveltyContacts, set.NoveltyGraded, set.NoveltyCounterpart = r.spec.Novelty, cfg.Graded, cfg.Counterpart
		case ComponentVolume:
			h := hist
			h.MinScale = fusedVolumeMinScale
			if f.volume, err = graphkit.NewVolume(kinds, graphkit.VolumeConfig{History: h}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			set.VolumeMinScale = h.MinScale
		}
		f.names = append(f.names, c)
	}
	if len(f.names) == 0 {
		return nil, fmt.Errorf("%w: no fused component applies to architecture %s", ErrScoreSpec, archName(r.spec.Edges.Arch))
	}
	if f.fusion, err = graphkit.NewFusion(f.names...); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	f.comps = make([][]graphkit.Evidence, len(f.names))
	exp := &r.rep.Experiment
	exp.Components, exp.Fusion = slices.Clone(f.names), set
	return f, nil
}

// artifactKinds reads the kind table of the session's artifact dictionary.
func (s *Session) artifactKinds(ctx context.Context) (*graphkit.Kinds, error) {
	rows, err := s.Query(ctx, lsql.Text("score_kinds.sql"))
	if err != nil {
		return nil, fmt.Errorf("engine: artifact kinds: %w", err)
	}
	defer rows.Close()
	var kindOf []string
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			return nil, fmt.Errorf("engine: artifact kinds: %w", err)
		}
		if id != int64(len(kindOf)) {
			return nil, fmt.Errorf("engine: artifact dictionary ids are not dense: %d at row %d", id, len(kindOf))
		}
		kindOf = append(kindOf, kind)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: artifact kinds: %w", err)
	}
	kinds, err := graphkit.NewKinds(kindOf)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return kinds, nil
}

// update feeds interval k's graph and the Tracker's scores (parallel to g.IDs) to
// every component and returns their fusion, parallel to g.IDs (valid until the next
// call).
func (f *fusedScorers) update(k int, g *graphkit.Graph, scores []graphkit.ArtifactScore) []graphkit.Fused {
	for c, name := range f.names {
		switch name {
		case ComponentRole:
			f.roleEv = f.role.Update(k, g, scores, f.roleEv)
			f.comps[c] = f.roleEv
		case ComponentNovelty:
			f.novEv = f.novelty.Update(k, g, f.novEv)
			f.comps[c] = f.novEv
		case ComponentVolume:
			f.volEv = f.volume.Update(k, g, f.volEv)
			f.comps[c] = f.volEv
		}
	}
	f.out = f.fusion.Fuse(g.IDs, f.comps...)
	for i := range f.out {
		// Surprises are finite, but their Fisher sum can overflow: keep the ranking
		// and the file finite.
		if math.IsInf(f.out[i].Score, 1) || math.IsNaN(f.out[i].Score) {
			f.out[i].Score = math.MaxFloat64
		}
	}
	return f.out
}

// appendComponents appends the component columns of one row, from field `from` of b
// on: role_surprise, novelty_new_contacts, novelty_value, novelty_surprise,
// volume_degree, volume_expected, volume_surprise, fused_surprise, dominant,
// explanation. i is the artifact's index in the interval's graph.
func (f *fusedScorers) appendComponents(b *array.RecordBuilder, from, i int, fu graphkit.Fused) {
	var role, nov, vol *graphkit.Evidence
	for c, name := range f.names {
		e := &fu.Components[c]
		switch name {
		case ComponentRole:
			role = e
		case ComponentNovelty:
			nov = e
		case ComponentVolume:
			vol = e
		}
	}
	fl := func(i int, e *graphkit.Evidence, v func(*graphkit.Evidence) float64) {
		fb := b.Field(from + i).(*array.Float64Builder)
		if e == nil {
			fb.AppendNull()
		} else {
			fb.Append(v(e))
		}
	}
	surprise := func(e *graphkit.Evidence) float64 { return e.Surprise }
	fl(0, role, surprise)
	if nc := b.Field(from + 1).(*array.Int64Builder); nov == nil {
		nc.AppendNull()
	} else {
		nc.Append(int64(f.novelty.NewContacts()[i]))
	}
	fl(2, nov, func(e *graphkit.Evidence) float64 { return e.Value })
	fl(3, nov, surprise)
	fl(4, vol, func(e *graphkit.Evidence) float64 { return e.Value })
	fl(5, vol, func(e *graphkit.Evidence) float64 { return e.Expected })
	fl(6, vol, surprise)
	b.Field(from + 7).(*array.Float64Builder).Append(fu.Score)
	dom, expl := b.Field(from+8).(*array.StringBuilder), b.Field(from+9).(*array.StringBuilder)
	if fu.Dominant < 0 {
		// No component has evidence: nothing to explain.
		dom.AppendNull()
		expl.AppendNull()
		return
	}
	dom.Append(f.names[fu.Dominant])
	expl.Append(f.fusion.Explain(fu))
}
