package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/internal/faultpoint"
	"github.com/lanlq/lanlq/lanl"
)

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
	// Warnings say what about the frame makes the results less than they seem (a
	// frame all warm-up, a training window past the frame), with the fix.
	Warnings []string
	// Resumed says the run continued OUT's saved state (StateDir) and scored only
	// the intervals from FirstScored on; UpToDate that there was none to score (OUT
	// was left as it was). LateEvents counts the events that arrived for intervals
	// scored before (accepted; those intervals keep their scores).
	Resumed, UpToDate bool
	FirstScored       string
	LateEvents        int64
	// StateBytes is the size of the state saved (0: none, see StateDir), StateWritten
	// what this run wrote of it (the rest was linked from the state it continued),
	// StateGeneration the generation saved (0: saved whole).
	StateBytes      int64
	StateWritten    int64
	StateGeneration int
	// StateKept says the state resumed was the one this process saved in the run
	// before (Follow's cycles), taken from memory instead of read back from OUT.
	StateKept bool `json:"state_kept,omitempty"`
}

// ScoreTiming is where a scoring run spent its time.
type ScoreTiming struct {
	// Edges is the time the run waited for graphs (edge SQL and CSR): every training
	// graph, the frame's first, and what building each next one took beyond the
	// scoring of the interval before it, beside which it is built (scoreAll).
	// EdgesBuilt is the whole time spent building them; EdgesBuilt − Edges is what the
	// overlap hid.
	Edges      time.Duration
	EdgesBuilt time.Duration
	Features   time.Duration // ReFeX: learning on the training window and every interval's features
	Fit        time.Duration // RolX: NMF and MDL on the training window
	Project    time.Duration // memberships against the fixed basis
	Track      time.Duration // role-dynamics scores
	Fuse       time.Duration // MethodFused: the components (novelty, volume, typed, …) and their fusion
	Write      time.Duration // every interval's rows sorted and encoded, and the result files completed
	Total      time.Duration
}

// Score scores every artifact of every interval of spec.Edges by spec.Method and
// writes the result files into outDir (created if needed): scores.parquet,
// interval_scores.parquet, experiment.json and, when the run computes role
// memberships (spec.UsesRoles), roles.parquet and roles_basis.parquet (schemas in the
// README). MethodFused feeds each interval's graph (and, for typed and switch, its auth
// events) to the graphkit scorers of its components (RoleNormalizer with the Tracker's
// δ), over the artifact kinds of the
// dictionary and a season of one day (86400 / interval seconds intervals), and fuses
// them with graphkit.Fusion. The warm-up intervals (Experiment.WarmupTo) are scored and
// flagged.
//
// When the run computes memberships, the ReFeX feature set and the RolX basis are
// fitted on the training window's graphs; then every interval of the frame, in order,
// gets its features from that fixed set, its memberships projected onto the fixed
// basis, and its δ from the tracker. Otherwise (the fused default, without role)
// no training window is read and the tracker only marks first appearances.
// Score holds two intervals' graphs at a time (the one being scored and the next,
// built beside it) plus, with memberships, the training window's; the rows go to a
// DuckDB temporary table interval by interval and are sorted and written at the end. The same inputs and seed give byte-identical files. The files appear by rename
// once all are written: on error none is written or replaced. progress, if not nil, is
// called with the intervals done and their total (training intervals included).
func (s *Session) Score(ctx context.Context, spec ScoreSpec, outDir string, progress func(done, total int)) (*ScoreReport, error) {
	rep, err := s.score(ctx, spec, outDir, progress, true)
	return rep, s.NameBrokenFile(ctx, err)
}

// score is Score, locking outDir only when lock is set (the table functions score
// into private temporary folders).
func (s *Session) score(ctx context.Context, spec ScoreSpec, outDir string, progress func(done, total int), lock bool) (rep *ScoreReport, err error) {
	began := time.Now()
	r, err := s.newScoreRun(ctx, spec, outDir, progress, lock)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, r.cleanup(err != nil)) }()
	if err := r.prepareScorers(ctx); err != nil {
		return nil, err
	}
	if err := r.resume(ctx); err != nil {
		return nil, err
	}
	if r.from > r.last {
		// Every interval of the data is scored already: OUT stays as it is, and so
		// does a kept state this run took (its sets unchanged).
		if r.tookKept != nil {
			r.spec.keep.kept = r.tookKept
		}
		r.rep.UpToDate = true
		r.rep.Timing.Total = time.Since(began)
		return r.rep, nil
	}
	r.tookKept = nil // its sets are this run's now; its main file need not stay in memory
	r.rep.FirstScored = fmtTime(r.start(r.from))
	r.total = int(r.last - r.from + 1)
	if !r.resumed {
		if err := r.train(ctx); err != nil {
			return nil, err
		}
	}
	if err := r.scoreAll(ctx); err != nil {
		return nil, err
	}
	if err := r.write(ctx); err != nil {
		return nil, err
	}
	if r.kept != nil {
		// Published: the next run of this process into OUT may take it.
		r.spec.keep.kept = r.kept
	}
	r.rep.Timing.Total = time.Since(began)
	return r.rep, nil
}

// scoreAllocator allocates the Arrow batches of a scoring run's result rows (a
// variable so that tests can check for leaks).
var scoreAllocator = func() memory.Allocator { return memory.NewGoAllocator() }

// scoreRun is the state of one Score call.
type scoreRun struct {
	s        *Session
	spec     ScoreSpec
	roles    bool // spec.UsesRoles(): features, basis, projection and δ are computed
	plan     *edgePlan
	width    int64 // seconds
	first    int64 // interval numbers (start / width) of the frame, inclusive
	last     int64
	nonEmpty map[int64]bool

	trainSpec EdgeSpec
	held      map[int64]*graphkit.Graph // training graphs reusable for the frame
	// heldTuples are the tuples of the held graphs, kept when a component reads events.
	heldTuples map[int64]*graphkit.Tuples
	// tuples holds the work buffers of every interval graph the run builds (about
	// 100 MB at LANL rates): reused from one interval to the next, freed with the run.
	// During scoreAll only buildAhead uses it (and held, heldTuples).
	tuples graphkit.TupleBuilder
	// db serialises the session's statements during scoreAll, where buildAhead's
	// tuple queries and the scoring's inserts come from two goroutines.
	db        sync.Mutex
	features  *graphkit.FeatureSet
	model     *graphkit.RoleModel
	tracker   *graphkit.Tracker
	warmupEnd int64 // the first interval number after the warm-up
	// from is the first interval this run scores: r.first, or after the last one
	// scored by the run whose state (prev) it resumed.
	from    int64
	resumed bool
	prev    *stateHeader
	// dictNames is the artifact dictionary by id (read once, for the rows and the state);
	// stableNames the resumed state's names in the order of the stable ids its sets
	// keep, stateKnown marks the current ids whose names it holds, and prevMainBytes
	// is the size of its main file (the next one's buffer is sized from it).
	dictNames     []string
	stableNames   []string
	stateKnown    []bool
	prevMainBytes int
	// tookKept is the state kept in memory this run resumed (spec.keep), kept the
	// state this run saved, for the next run.
	tookKept, kept *keptState
	locked         bool // OUT is locked: a user's folder, where the state is kept
	fused          *fusedScorers
	summaries      []intervalSummary // MethodFused: the interval scores of the fused score

	done, total int
	progress    func(done, total int)

	outDir string
	out    *outStage // OUT locked, and the stage that replaces it
	tmpDir string    // out.Stage
	// scoresOut and rolesOut stream scores.parquet and roles.parquet into the stage
	// (openResults); kinds and dictNames name the rows' artifacts; order and
	// roleOrder are an interval's row orders (reused).
	scoresOut, rolesOut *resultWriter
	kinds               *graphkit.Kinds
	order, roleOrder    []int32
	// reference, set only by tests (newScoreReference), writes the rows a second way.
	reference scoreRowsReference
	mem       memory.Allocator
	rep       *ScoreReport
}

func (s *Session) newScoreRun(ctx context.Context, spec ScoreSpec, outDir string, progress func(done, total int), lock bool) (*scoreRun, error) {
	spec, err := spec.withDefaults()
	if err != nil {
		return nil, err
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
		var names []string
		for _, st := range p.streams {
			names = append(names, st.Name)
		}
		return nil, s.frameError(spec.Edges, names)
	}
	r := &scoreRun{s: s, spec: spec, locked: lock, roles: spec.UsesRoles(), plan: p, width: p.width, nonEmpty: map[int64]bool{},
		held: map[int64]*graphkit.Graph{}, heldTuples: map[int64]*graphkit.Tuples{}, progress: progress, outDir: abs, mem: scoreAllocator()}
	r.setFrame(starts)
	if err := r.setTrainWindow(starts); err != nil {
		return nil, err
	}
	exp, err := r.experiment(starts)
	if err != nil {
		return nil, err
	}
	r.rep = &ScoreReport{OutDir: abs, Experiment: exp, Warnings: r.warnings(spec)}
	r.total = exp.Intervals
	if err := r.openOutput(ctx, lock); err != nil {
		return nil, err
	}
	return r, nil
}

// setFrame sets the frame's intervals, given the starts of those holding events:
// from the one holding From to the one holding the last second before To; an open
// side ends at the data's first or last interval.
func (r *scoreRun) setFrame(starts []time.Time) {
	for _, st := range starts {
		r.nonEmpty[r.number(st)] = true
	}
	edges := r.spec.Edges
	r.first, r.last = r.number(starts[0]), r.number(starts[len(starts)-1])
	if !edges.From.IsZero() {
		r.first = min(r.first, lanl.FloorDiv(ceilSeconds(edges.From.Sub(lanl.Origin)), r.width))
	}
	if !edges.To.IsZero() {
		r.last = max(r.last, lanl.FloorDiv(ceilSeconds(edges.To.Sub(lanl.Origin))-1, r.width))
	}
}

// setTrainWindow sets the training window: the spec's, its open sides filled with the
// frame's start (or the first interval holding events) and 24 hours after the start.
// A run without role memberships has none.
func (r *scoreRun) setTrainWindow(starts []time.Time) error {
	if !r.roles {
		return nil
	}
	spec := r.spec
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
		return fmt.Errorf("%w: empty training window [%s, %s)", ErrScoreSpec, fmtTime(r.trainSpec.From), fmtTime(r.trainSpec.To))
	}
	return nil
}

// experiment returns the run's record as known before training (the fitted parts are
// added as they are made) and sets the warm-up.
func (r *scoreRun) experiment(starts []time.Time) (Experiment, error) {
	spec := r.spec
	gen := spec.Generations
	if gen == 0 {
		gen = DefaultGenerations
	}
	exp := Experiment{
		Version:         1,
		Method:          spec.Method,
		Arch:            archName(spec.Edges.Arch),
		IntervalSeconds: r.width,
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
		RoleModel:       r.roles,
	}
	if !r.roles {
		// What was not run is not recorded as if it had been.
		exp.RolesAuto, exp.Generations, exp.Expectation, exp.HalfLife = false, 0, "", 0
	}
	if _, key, err := archText(spec.Edges.Arch); err == nil {
		exp.ArchKey = key
	}
	for _, st := range r.plan.streams {
		exp.Streams = append(exp.Streams, st.Name)
	}
	var err error
	if exp.DataFingerprint, err = r.s.fingerprint(); err != nil {
		return Experiment{}, err
	}
	r.setWarmup(&exp)
	return exp, nil
}

// openOutput locks the output folder (when lock is set), creates the stage that will
// replace it (see outStage).
func (r *scoreRun) openOutput(ctx context.Context, lock bool) error {
	var err error
	if r.out, err = beginOutLocked(r.outDir, outResults, lock); err != nil {
		return err
	}
	r.tmpDir = r.out.Stage
	if newScoreReference != nil {
		if r.reference, err = newScoreReference(ctx, r); err != nil {
			return errors.Join(err, r.cleanup(true))
		}
	}
	return nil
}

// cleanup closes the result writers, removes the stage unless it was published and
// releases OUT's lock.
func (r *scoreRun) cleanup(bool) error {
	var errs []error
	errs = append(errs, r.abortResults())
	r.scoresOut, r.rolesOut = nil, nil
	if r.reference != nil {
		// The caller's context may be the reason for the failure.
		errs = append(errs, r.reference.close(context.Background()))
		r.reference = nil
	}
	if r.out != nil {
		errs = append(errs, r.out.Close())
		r.out, r.tmpDir = nil, ""
	}
	return errors.Join(errs...)
}

// number returns the interval number of an interval start (start = lanl.Origin + k·width).
func (r *scoreRun) number(start time.Time) int64 {
	return int64(start.Sub(lanl.Origin)/time.Second) / r.width
}

func (r *scoreRun) start(k int64) time.Time {
	return lanl.Origin.Add(time.Duration(k*r.width) * time.Second)
}

func (r *scoreRun) step(ctx context.Context) {
	r.done++
	if r.progress != nil {
		r.progress(r.done, r.total)
	}
	faultpoint.Reach(ctx, "score interval")
}

// graph builds the graph of interval k under spec (nil when it has no edge) with the
// run's builder, and returns the interval's tuples too when a component reads events.
// Only the tuple query holds r.db: the build runs beside the session's next statement.
func (r *scoreRun) graph(ctx context.Context, spec EdgeSpec, k int64) (*graphkit.Graph, *graphkit.Tuples, error) {
	// The tuple path: the same graph as graphkit over IntervalEdges' edge list
	// (TestIntervalGraphExact), for about a third less CPU on the notebook architecture
	// (BENCHMARKS.md, "Artifact graphs").
	var keep *graphkit.Tuples
	if r.spec.needsTuples() {
		keep = new(graphkit.Tuples)
	}
	r.db.Lock()
	err := r.s.intervalTuples(ctx, spec, r.start(k), &r.tuples)
	r.db.Unlock()
	if err != nil {
		return nil, nil, err
	}
	g, err := buildIntervalGraph(r.start(k), &r.tuples, keep)
	if err != nil {
		return nil, nil, err
	}
	if g.NumVertices() == 0 {
		return nil, keep, nil
	}
	return g, keep, nil
}

// train learns the feature set and fits the role basis on the training window (for a
// run with role memberships; otherwise there is nothing to train).
func (r *scoreRun) train(ctx context.Context) error {
	if !r.roles {
		return nil
	}
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
		t0 := time.Now()
		g, tuples, err := r.graph(ctx, r.trainSpec, k)
		r.rep.Timing.Edges += time.Since(t0)
		r.rep.Timing.EdgesBuilt += time.Since(t0)
		if err != nil {
			return err
		}
		r.step(ctx)
		if g == nil {
			continue
		}
		graphs = append(graphs, g)
		// The frame's graph of k is this one when both clip the interval alike.
		if k >= r.first && k <= r.last && r.sameClip(k) {
			r.held[k] = g
			if tuples != nil {
				r.heldTuples[k] = tuples
			}
		}
	}
	exp := &r.rep.Experiment
	exp.TrainIntervals = len(graphs)
	if len(graphs) == 0 {
		return fmt.Errorf("%w: no events in the training window [%s, %s)", graphkit.ErrNoTrainingData, exp.TrainFrom, exp.TrainTo)
	}

	t0 := time.Now()
	// The training matrix comes out of learning: the window's features are not
	// computed a second time.
	fs, V, err := graphkit.LearnFeaturesNormalized(graphs, graphkit.RefexConfig{Generations: r.spec.Generations})
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

// scoreAll scores the intervals of the frame from r.from on, in order. Their graphs
// come from buildAhead, which builds interval k+1's while k is scored and written.
func (r *scoreRun) scoreAll(ctx context.Context) error {
	// Before buildAhead: the writers read the artifact dictionary from the session.
	if err := r.openResults(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	graphs := make(chan frameGraph)
	var wg sync.WaitGroup
	if r.s.sequential {
		// Options.SequentialScore: the same graphs, each built when its turn comes.
		graphs = nil
	} else {
		wg.Go(func() { r.buildAhead(ctx, graphs) })
	}
	// On every return buildAhead is stopped and waited for: it neither outlives the
	// call nor touches the session after it.
	defer func() {
		cancel()
		wg.Wait()
	}()
	tracker := r.tracker
	var X, M mat.Dense
	for k := r.from; k <= r.last; k++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		t0 := time.Now()
		fg, ok := frameGraph{}, true
		if graphs != nil {
			fg, ok = <-graphs
		} else {
			fg = r.frameGraph(ctx, k)
		}
		r.rep.Timing.Edges += time.Since(t0)
		if !ok {
			// buildAhead stops early only when the context is done.
			return errors.Join(context.Cause(ctx), fmt.Errorf("engine: no graph for %s", fmtTime(r.start(k))))
		}
		r.rep.Timing.EdgesBuilt += fg.took
		if fg.err != nil {
			if err := ctx.Err(); err != nil {
				return err
			}
			return fg.err
		}
		if fg.k != k {
			panic(fmt.Sprintf("engine: graph of interval %d received for %d", fg.k, k)) // buildAhead sends them in order
		}
		g := fg.g
		if g == nil {
			if r.roles {
				tracker.Update(int(k), nil, nil)
			} else {
				tracker.Appear(int(k), nil)
			}
			if r.fused != nil {
				r.summaries = append(r.summaries, intervalSummary{})
			}
			r.step(ctx)
			continue
		}
		if r.roles {
			if err := r.memberships(k, g, &X, &M); err != nil {
				return err
			}
		}
		t2 := time.Now()
		var scores []graphkit.ArtifactScore
		if r.roles {
			scores = tracker.Update(int(k), g.IDs, &M)
		} else {
			scores = tracker.Appear(int(k), g.IDs)
		}
		t3 := time.Now()
		var fused []graphkit.Fused
		if r.fused != nil {
			fused = r.fused.update(int(k), g, scores, fg.tuples)
			var sum intervalSummary
			for i, f := range fused {
				sum.add(f.Score, scores[i].New)
			}
			r.summaries = append(r.summaries, sum)
		}
		t4 := time.Now()
		r.rep.Timing.Fuse += t4.Sub(t3)
		r.rep.Timing.Track += t3.Sub(t2)
		if err := r.insert(ctx, k, scores, fused); err != nil {
			return err
		}
		r.rep.Timing.Write += time.Since(t4)
		r.rep.Rows += int64(len(scores))
		r.step(ctx)
	}
	return nil
}

// memberships computes the features (into X) and role memberships (into M, a row per
// vertex of g) of interval k.
func (r *scoreRun) memberships(k int64, g *graphkit.Graph, X, M *mat.Dense) error {
	t0 := time.Now()
	X.Reset()
	if err := r.features.Compute(g, X); err != nil {
		return fmt.Errorf("engine: features of %s: %w", fmtTime(r.start(k)), err)
	}
	r.features.Normalize(X)
	t1 := time.Now()
	r.rep.Timing.Features += t1.Sub(t0)
	M.Reset()
	if err := graphkit.ProjectRoles(M, X, r.model.Basis, graphkit.NMFConfig{}); err != nil {
		return fmt.Errorf("engine: roles of %s: %w", fmtTime(r.start(k)), err)
	}
	r.rep.Timing.Project += time.Since(t1)
	return nil
}

// setWarmup fixes the warm-up (see Experiment.WarmupTo): the frame's first day (or
// ScoreSpec.Warmup, in whole intervals, at least one) and,
// when roles are computed and their training window overlaps the frame, every interval
// up to its end.
func (r *scoreRun) setWarmup(exp *Experiment) {
	end := r.first + max(86400/r.width, 1)
	if r.spec.Warmup > 0 {
		end = r.first + max((ceilSeconds(r.spec.Warmup)+r.width-1)/r.width, 1)
	}
	lo, hi := r.start(r.first), r.start(r.last+1)
	if r.roles && r.trainSpec.From.Before(hi) && r.trainSpec.To.After(lo) {
		end = max(end, lanl.FloorDiv(ceilSeconds(r.trainSpec.To.Sub(lanl.Origin))-1, r.width)+1)
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
