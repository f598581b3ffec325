package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
	"github.com/lanlq/lanlq/synth"
)

// scoreTestData returns the data folder of two days of small synthetic data (about
// 115,000 events with red-team campaigns), generated and ingested once for the tests
// that read it.
func scoreTestData(t *testing.T) string {
	t.Helper()
	_, data, sum := sharedSynth(t, synth.Config{Days: 2, Scale: 0.1, Seed: 11})
	if sum.Lines["redteam"] == 0 {
		t.Fatal("synth wrote no red-team lines")
	}
	return data
}

// openScoreSession opens a session on scoreTestData, closed when t ends; the tests
// that use it run the whole scoring, so they are skipped in -short.
func openScoreSession(t *testing.T) *Session {
	t.Helper()
	if testing.Short() {
		t.Skip("end to end")
	}
	s, err := Open(context.Background(), scoreTestData(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// resultSchemas are the documented columns and DuckDB types of every result file.
var resultSchemas = map[string][][2]string{
	ScoresFile: {
		{"interval_start", "TIMESTAMP"}, {"kind", "VARCHAR"}, {"value", "VARCHAR"},
		{"score", "DOUBLE"}, {"new", "BOOLEAN"}, {"role_before", "INTEGER"}, {"role_after", "INTEGER"},
		{"membership_before", "DOUBLE[]"}, {"membership_after", "DOUBLE[]"},
		{"warmup", "BOOLEAN"}, {"role_delta", "DOUBLE"}, {"role_surprise", "FLOAT"},
		{"novelty_new_contacts", "BIGINT"}, {"novelty_value", "FLOAT"}, {"novelty_surprise", "FLOAT"}, {"volume_degree", "FLOAT"},
		{"volume_expected", "FLOAT"}, {"volume_surprise", "FLOAT"},
		{"typed_first_contacts", "BIGINT"}, {"typed_surprise", "FLOAT"}, {"switch_new_accounts", "BIGINT"}, {"switch_surprise", "FLOAT"},
		{"peers_unexplained", "BIGINT"}, {"peers_surprise", "FLOAT"}, {"spread_from", "VARCHAR"}, {"spread_surprise", "FLOAT"},
		{"dominant", "VARCHAR"}, {"explanation", "VARCHAR"},
	},
	IntervalScoresFile: {
		{"interval_start", "TIMESTAMP"}, {"score", "DOUBLE"}, {"score_known", "DOUBLE"},
		{"artifacts", "BIGINT"}, {"new_artifacts", "BIGINT"}, {"warmup", "BOOLEAN"},
	},
	RolesFile: {
		{"interval_start", "TIMESTAMP"}, {"artifact", "VARCHAR"}, {"role", "INTEGER"}, {"membership", "DOUBLE[]"},
	},
	RolesBasisFile: {
		{"role", "INTEGER"}, {"feature_index", "INTEGER"}, {"feature", "VARCHAR"}, {"generation", "INTEGER"},
		{"weight", "DOUBLE"},
	},
}

func describe(t *testing.T, s *Session, path string) [][2]string {
	t.Helper()
	rows, err := s.Query(context.Background(), "DESCRIBE SELECT * FROM read_parquet(?)", path)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][2]string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, [2]string{vals[0].(string), vals[1].(string)})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func queryInt(t *testing.T, s *Session, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := s.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

// TestScoreEndToEnd runs synth → ingest → Score → Evaluate and checks the result files'
// schemas and invariants, byte-identical reruns, and that a failed run writes nothing.
// The run asks for memberships (the fused default computes none); the default's run is
// checked against it in TestScoreWithoutRoles.
func TestScoreEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx := context.Background()
	data := scoreTestData(t)
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 3, Seed: 5, Memberships: true}
	out1 := filepath.Join(t.TempDir(), "out1")
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	scoreAllocator = func() memory.Allocator { return mem }
	defer func() { scoreAllocator = func() memory.Allocator { return memory.NewGoAllocator() } }()
	var calls, lastDone, lastTotal int
	rep, err := s.Score(ctx, spec, out1, func(done, total int) { calls++; lastDone, lastTotal = done, total })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d rows, timing %+v", rep.Rows, rep.Timing)
	if calls == 0 || lastDone != lastTotal {
		t.Errorf("progress: %d calls, last %d of %d", calls, lastDone, lastTotal)
	}
	exp := rep.Experiment
	if exp.Roles != 3 || exp.RolesAuto || len(exp.Basis) != 3 || len(exp.Basis[0]) != len(exp.Features) || len(exp.MDL) != 1 {
		t.Errorf("experiment: roles %d auto %v basis %d×%d features %d mdl %d",
			exp.Roles, exp.RolesAuto, len(exp.Basis), len(exp.Basis[0]), len(exp.Features), len(exp.MDL))
	}
	if exp.TrainFrom != "2015-01-01 00:00:00" || exp.TrainTo != "2015-01-02 00:00:00" || exp.TrainIntervals != 24 {
		t.Errorf("default training window [%s, %s) with %d intervals, want the first day", exp.TrainFrom, exp.TrainTo, exp.TrainIntervals)
	}
	if exp.DataFingerprint == "" || exp.IntervalSeconds != 3600 || exp.Arch != ArchNotebook || exp.Expectation != "ewma" {
		t.Errorf("experiment settings %+v", exp)
	}
	// The default method is fused, with every component and its settings recorded; the
	// first day is the warm-up.
	if exp.Method != MethodFused || !slices.Equal(exp.Components, DefaultComponents) || exp.Fusion == nil || !exp.RoleModel ||
		exp.Fusion.Period != 24 || len(exp.Fusion.NoveltyPairs) == 0 || exp.Fusion.History.HalfLife != 168 {
		t.Errorf("fused settings: method %q components %v fusion %+v", exp.Method, exp.Components, exp.Fusion)
	}
	if exp.WarmupTo != "2015-01-02 00:00:00" || exp.WarmupIntervals != 24 || exp.EvalWarmup != EvalWarmupExcluded {
		t.Errorf("warm-up to %q, %d intervals, eval %q", exp.WarmupTo, exp.WarmupIntervals, exp.EvalWarmup)
	}

	// Schemas.
	for name, want := range resultSchemas {
		got := describe(t, s, filepath.Join(out1, name))
		if !slices.Equal(got, want) {
			t.Errorf("%s: columns %v, want %v", name, got, want)
		}
		// Every Parquet file carries the experiment.
		e, err := s.ReadExperiment(ctx, filepath.Join(out1, name))
		if err != nil || e.DataFingerprint != exp.DataFingerprint || e.Roles != 3 {
			t.Errorf("%s: experiment metadata %v, %v", name, e, err)
		}
	}
	var fromFile Experiment
	if b, err := os.ReadFile(filepath.Join(out1, ExperimentFile)); err != nil {
		t.Fatal(err)
	} else if err := json.Unmarshal(b, &fromFile); err != nil {
		t.Fatal(err)
	}
	if fromFile.Seed != 5 || fromFile.Roles != 3 || len(fromFile.Features) == 0 {
		t.Errorf("experiment.json %+v", fromFile)
	}

	scores := filepath.Join(out1, ScoresFile)
	intervals := filepath.Join(out1, IntervalScoresFile)
	// δ is finite and ≥ 0, at most 2 (L1 distance of two distributions).
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE role_delta IS NULL OR NOT isfinite(role_delta) OR role_delta < 0 OR role_delta > 2 + 1e-9", scores); n != 0 {
		t.Errorf("%d role changes not finite in [0, 2]", n)
	}
	checkFusedScores(t, s, scores, DefaultComponents)
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?)", scores); n != rep.Rows || n == 0 {
		t.Errorf("scores.parquet has %d rows, report says %d", n, rep.Rows)
	}
	// Memberships are distributions over the 3 roles; roles are their argmax; new
	// artifacts alone have no role before.
	bad := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE
		len(membership_after) <> 3 OR len(membership_before) <> 3
		OR abs(list_sum(membership_after) - 1) > 1e-9 OR abs(list_sum(membership_before) - 1) > 1e-9
		OR membership_after[role_after + 1] <> list_max(membership_after)
		OR (new <> (role_before IS NULL))
		OR (NOT new AND membership_before[role_before + 1] <> list_max(membership_before))
		OR abs(role_delta - list_sum(list_transform(list_zip(membership_before, membership_after), p -> abs(p[1] - p[2])))) > 1e-9`, scores)
	if bad != 0 {
		t.Errorf("%d score rows with inconsistent memberships, roles or δ", bad)
	}
	// Rows are ordered by interval_start, score DESC, artifact.
	if n := queryInt(t, s, `SELECT count(*) FROM (
		SELECT interval_start, score, artifact, lag(interval_start) OVER w AS pi, lag(score) OVER w AS ps, lag(artifact) OVER w AS pa
		FROM (SELECT *, row_number() OVER () AS rn FROM `+scoresRel+`) WINDOW w AS (ORDER BY rn))
		WHERE pi > interval_start OR (pi = interval_start AND (ps < score OR (ps = score AND pa >= artifact)))`, scores); n != 0 {
		t.Errorf("%d scores rows out of order", n)
	}
	// Every interval of the frame is in interval_scores, once, with the artifact counts
	// of scores.parquet and Δ = their mean score.
	starts, err := s.Intervals(ctx, spec.Edges)
	if err != nil {
		t.Fatal(err)
	}
	wantN := int64(starts[len(starts)-1].Sub(starts[0])/time.Hour) + 1
	if n := queryInt(t, s, "SELECT count(DISTINCT interval_start) FROM read_parquet(?)", intervals); n != wantN || n != int64(exp.Intervals) || n != 48 {
		t.Errorf("interval_scores has %d intervals, frame has %d (experiment %d)", n, wantN, exp.Intervals)
	}
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) AS i
		FULL JOIN (SELECT interval_start, count(*) AS n, count(*) FILTER (WHERE new) AS nn, avg(score) AS d,
		                  avg(score) FILTER (WHERE NOT new) AS dk
		           FROM read_parquet(?) GROUP BY ALL) AS s USING (interval_start)
		WHERE i.artifacts IS DISTINCT FROM coalesce(s.n, 0) OR i.new_artifacts IS DISTINCT FROM coalesce(s.nn, 0)
		   OR abs(i.score - s.d) > 1e-9 OR (i.score IS NULL) <> (s.d IS NULL)
		   OR abs(i.score_known - s.dk) > 1e-9 OR (i.score_known IS NULL) <> (s.dk IS NULL)`, intervals, scores); n != 0 {
		t.Errorf("%d intervals whose summary disagrees with scores.parquet", n)
	}
	for _, st := range starts {
		if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE interval_start = ? AND artifacts > 0", intervals, st); n != 1 {
			t.Errorf("interval %s with events: %d rows with artifacts", st, n)
		}
	}
	// roles.parquet is the after side of scores.parquet.
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) AS r FULL JOIN `+scoresRel+` AS s USING (interval_start, artifact)
		WHERE r.role IS DISTINCT FROM s.role_after OR r.membership IS DISTINCT FROM s.membership_after`,
		filepath.Join(out1, RolesFile), scores); n != 0 {
		t.Errorf("%d roles rows disagree with scores", n)
	}
	// The basis: roles × features, rows summing to 1, names as in the experiment.
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?)", filepath.Join(out1, RolesBasisFile)); n != int64(3*len(exp.Features)) {
		t.Errorf("basis has %d rows, want %d", n, 3*len(exp.Features))
	}
	if n := queryInt(t, s, "SELECT count(*) FROM (SELECT role, sum(weight) AS w FROM read_parquet(?) GROUP BY role) WHERE abs(w - 1) > 1e-9",
		filepath.Join(out1, RolesBasisFile)); n != 0 {
		t.Errorf("%d basis rows do not sum to 1", n)
	}

	// A second run, in another session and folder, writes the same bytes.
	s2, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	out2 := filepath.Join(t.TempDir(), "out2")
	if _, err := s2.Score(ctx, spec, out2, nil); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ScoresFile, IntervalScoresFile, RolesFile, RolesBasisFile, ExperimentFile} {
		a, errA := os.ReadFile(filepath.Join(out1, name))
		b, errB := os.ReadFile(filepath.Join(out2, name))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs (%d and %d bytes; %v %v)", name, len(a), len(b), errA, errB)
		}
	}

	// A run cancelled in the middle writes nothing: not into a new folder, and not over
	// the results already in out1.
	before := map[string][]byte{}
	for _, name := range []string{ScoresFile, ExperimentFile} {
		before[name], _ = os.ReadFile(filepath.Join(out1, name))
	}
	// The first is cancelled while loading the training window, the second while
	// scoring (24 training intervals, then 48).
	for i, dir := range []string{filepath.Join(t.TempDir(), "out3"), out1} {
		cctx, cancel := context.WithCancel(ctx)
		other := spec
		other.Seed = 6
		other.Rescore = true // out1 holds the state of another seed
		_, err := s.Score(cctx, other, dir, func(done, total int) {
			if done == 10+30*i {
				cancel()
			}
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled run into %s: %v, want context.Canceled", dir, err)
		}
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				t.Errorf("cancelled run left %s in %s", e.Name(), dir)
			}
		}
		if dir != out1 && len(entries) != 0 {
			t.Errorf("cancelled run left %d files in %s", len(entries), dir)
		}
	}
	for name, b := range before {
		if now, _ := os.ReadFile(filepath.Join(out1, name)); !bytes.Equal(now, b) {
			t.Errorf("cancelled run changed %s", name)
		}
	}
	// The session is still usable, without the run's temporary table.
	if n := queryInt(t, s, "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'lanlq_score_rows'"); n != 0 {
		t.Errorf("lanlq_score_rows left behind")
	}

	t.Run("without roles", func(t *testing.T) { checkWithoutRoles(t, s, spec, out1) })
	t.Run("evaluate", func(t *testing.T) { checkEvaluateWarmup(t, s, out1) })
	t.Run("explain", func(t *testing.T) {
		checkExplain(t, s, scores)
		checkExplainTyped(t, s, scores, false)
	})
	t.Run("plots", func(t *testing.T) {
		rep, err := s.PlotResults(ctx, out1)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Files) != 6 || len(rep.LeftOut) != 0 {
			t.Errorf("plots %v, left out %v, want 6", rep.Files, rep.LeftOut)
		}
	})
}

// TestScoreAutoRoles chooses the number of roles by MDL on a short training window
// outside the frame, which starts on day 2 and ends two hours after the data: those
// hours are in interval_scores too, without score.
func TestScoreAutoRoles(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx := context.Background()
	data := scoreTestData(t)
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	day2 := lanl.Origin.Add(24 * time.Hour)
	spec := ScoreSpec{
		Edges:     EdgeSpec{From: day2, To: day2.Add(26 * time.Hour)},
		TrainFrom: lanl.Origin.Add(9 * time.Hour), TrainTo: lanl.Origin.Add(12 * time.Hour),
		Expect: graphkit.ExpectPrevious, Generations: -1, Seed: 2, Method: MethodRoles,
	}
	out := t.TempDir()
	rep, err := s.Score(ctx, spec, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := rep.Experiment
	if !exp.RolesAuto || len(exp.MDL) < 2 || exp.MDL[0].Roles != 2 {
		t.Fatalf("MDL table %+v", exp.MDL)
	}
	best := exp.MDL[0]
	for _, c := range exp.MDL {
		if c.Total < best.Total {
			best = c
		}
	}
	if exp.Roles != best.Roles {
		t.Errorf("chose %d roles, MDL minimum at %d", exp.Roles, best.Roles)
	}
	if exp.Intervals != 26 || exp.GraphIntervals != 24 || exp.FirstInterval != "2015-01-02 00:00:00" || exp.LastInterval != "2015-01-03 01:00:00" || exp.TrainIntervals != 3 || exp.Generations != 0 || exp.Expectation != "previous" {
		t.Errorf("experiment %+v", exp)
	}
	if len(exp.Features) != 5 {
		t.Errorf("base features only: %v", exp.Features)
	}
	// Plain role dynamics: the score is δ, and no component is computed. The training
	// window lies outside the frame, so the warm-up is the frame's first day.
	scores := filepath.Join(out, ScoresFile)
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE score <> role_delta OR score < 0 OR score > 2 + 1e-9
		OR volume_surprise IS NOT NULL OR novelty_surprise IS NOT NULL OR dominant IS NOT NULL
		OR warmup <> (interval_start < TIMESTAMP '2015-01-03')`, scores); n != 0 {
		t.Errorf("%d roles rows whose score is not δ, with components, or mis-flagged", n)
	}
	if exp.Method != MethodRoles || len(exp.Components) != 0 || exp.Fusion != nil || exp.WarmupTo != "2015-01-03 00:00:00" {
		t.Errorf("roles experiment: method %q components %v fusion %v warm-up to %q", exp.Method, exp.Components, exp.Fusion, exp.WarmupTo)
	}
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE score IS NULL AND artifacts = 0 AND interval_start >= TIMESTAMP '2015-01-03'",
		filepath.Join(out, IntervalScoresFile)); n != 2 {
		t.Errorf("%d empty intervals after the data, want 2", n)
	}
	// Evaluation counts the red team of day 1 as outside the frame.
	ev, err := s.Evaluate(ctx, filepath.Join(out, ScoresFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.RedTeam.Lines != ev.RedTeam.LinesInFrame+int(queryInt(t, s, "SELECT count(*) FROM redteam WHERE ts < ?", day2)) {
		t.Errorf("red-team counts %+v", ev.RedTeam)
	}
}

func TestScoreSpecErrors(t *testing.T) {
	ctx := context.Background()
	s, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, spec := range []ScoreSpec{{Roles: -1}, {Generations: -2}, {HalfLife: -1}, {Expect: 7},
		{Method: "magic"}, {Method: MethodRoles, Components: []string{ComponentNovelty}}, {Components: []string{"vibes"}},
		{Novelty: "everything"}, {Method: MethodRoles, Novelty: NoveltyAll}} {
		if _, err := s.Score(ctx, spec, t.TempDir(), nil); !errors.Is(err, ErrScoreSpec) {
			t.Errorf("%+v: %v, want ErrScoreSpec", spec, err)
		}
	}
	if _, err := s.Evaluate(ctx, filepath.Join(t.TempDir(), "none.parquet"), 0); !errors.Is(err, ErrNoScores) {
		t.Errorf("missing scores: %v, want ErrNoScores", err)
	}
	if got := thinCurve([][2]float64{{0, 0}, {0.0001, 0}, {0.5, 0.5}, {0.5001, 0.5}, {1, 1}}, 1e-3); len(got) != 3 {
		t.Errorf("thinCurve kept %v", got)
	}
	if b, _ := json.Marshal(JSONNum(math.NaN())); string(b) != "null" {
		t.Errorf("NaN as JSON: %s", b)
	}
}

// checkWithoutRoles scores spec without Memberships (the fused default: no component
// uses roles) and checks it against withRoles, the same run with memberships: no
// training, no roles files, the role columns NULL, and every other column of
// scores.parquet and interval_scores.parquet equal row for row and in the same order;
// explain, top and eval cope. Role settings given anyway are named in a warning.
func checkWithoutRoles(t *testing.T, s *Session, spec ScoreSpec, withRoles string) {
	ctx := context.Background()
	spec.Memberships = false
	out := filepath.Join(t.TempDir(), "noroles")
	rep, err := s.Score(ctx, spec, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	exp := rep.Experiment
	if exp.RoleModel || exp.TrainFrom != "" || exp.TrainIntervals != 0 || exp.Roles != 0 || len(exp.Features) != 0 ||
		len(exp.Basis) != 0 || rep.Timing.Features != 0 || rep.Timing.Fit != 0 || rep.Timing.Project != 0 {
		t.Errorf("a run without roles trained: %+v, timing %+v", exp, rep.Timing)
	}
	if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "roles set but unused") || !strings.Contains(rep.Warnings[0], "--memberships") {
		t.Errorf("warnings %q, want one naming the unused --roles", rep.Warnings)
	}
	for _, name := range []string{RolesFile, RolesBasisFile} {
		if _, err := os.Stat(filepath.Join(out, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s written without roles: %v", name, err)
		}
	}
	if len(rep.Files) != 4 || filepath.Base(rep.Files[3]) != StateDir {
		t.Errorf("files %v, want scores, interval scores, the experiment and the state", rep.Files)
	}
	scores := filepath.Join(out, ScoresFile)
	if got := describe(t, s, scores); !slices.Equal(got, resultSchemas[ScoresFile]) {
		t.Errorf("scores.parquet without roles: columns %v", got)
	}
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE role_before IS NOT NULL OR role_after IS NOT NULL
		OR membership_before IS NOT NULL OR membership_after IS NOT NULL OR role_delta IS NOT NULL OR role_surprise IS NOT NULL`, scores); n != 0 {
		t.Errorf("%d rows with role columns in a run without roles", n)
	}
	const cols = `interval_start, kind, value, score, new, warmup, novelty_new_contacts, novelty_value,
		novelty_surprise, volume_degree, volume_expected, volume_surprise, dominant, explanation`
	for file, c := range map[string]string{ScoresFile: cols, IntervalScoresFile: "*"} {
		q := `WITH a AS (SELECT row_number() OVER () AS rn, ` + c + ` FROM read_parquet(?)),
			b AS (SELECT row_number() OVER () AS rn, ` + c + ` FROM read_parquet(?))
			SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b),
			       (SELECT count(*) FROM (SELECT * FROM a EXCEPT ALL SELECT * FROM b))`
		var na, nb, diff int64
		if err := s.QueryRow(ctx, q, filepath.Join(out, file), filepath.Join(withRoles, file)).Scan(&na, &nb, &diff); err != nil {
			t.Fatal(err)
		}
		if na != nb || diff != 0 || na == 0 {
			t.Errorf("%s: %d rows without roles, %d with; %d differ in the columns roles do not touch", file, na, nb, diff)
		}
	}
	var at time.Time
	var value string
	if err := s.QueryRow(ctx, "SELECT interval_start, value FROM read_parquet(?) WHERE NOT warmup ORDER BY score DESC, kind || '::' || value LIMIT 1", scores).Scan(&at, &value); err != nil {
		t.Fatal(err)
	}
	ex, err := s.Explain(ctx, scores, value, at)
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Artifacts) == 0 || ex.Artifacts[0].RoleAfter != nil || ex.Artifacts[0].RoleDelta != nil || ex.Artifacts[0].Explanation == nil ||
		len(ex.Notes) != 1 || !strings.Contains(ex.Notes[0], "no role memberships") {
		t.Errorf("explain without roles: %+v, notes %q", ex.Artifacts, ex.Notes)
	}
	for _, h := range ex.History {
		if h.UsualRole != nil {
			t.Errorf("history with a usual role without roles: %+v", h)
		}
	}
	top, err := s.TopAnomalies(ctx, scores, 5, 0)
	if err != nil || len(top) != 5 || top[0].RoleAfter != nil {
		t.Errorf("top anomalies without roles: %+v, %v", top, err)
	}
	a, err := s.Evaluate(ctx, scores, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Evaluate(ctx, filepath.Join(withRoles, ScoresFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a.Entities)
	jb, _ := json.Marshal(b.Entities)
	if !bytes.Equal(ja, jb) {
		t.Errorf("entity metrics differ without roles:\n%s\n%s", ja, jb)
	}
}

// checkFusedScores checks the rows of a fused run of components comps: the score is
// the fused surprise, finite and ≥ 0; the columns of every component in comps are
// present (novelty_value and volume_expected only on rows scoring at least 2) and those
// of the others NULL; dominant names a component (NULL exactly when
// no component has evidence, and then the score is 0); warm-up is the first day.
func checkFusedScores(t *testing.T, s *Session, scores string, comps []string) {
	t.Helper()
	has := func(c string) bool { return slices.Contains(comps, c) }
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE (role_surprise IS NULL) = ?
		OR (novelty_new_contacts IS NULL) = ? OR (novelty_value IS NULL) <> (NOT ? OR score < 2) OR (novelty_surprise IS NULL) = ?
		OR (volume_degree IS NULL) = ? OR (volume_expected IS NULL) <> (NOT ? OR score < 2) OR (volume_surprise IS NULL) = ?
		OR (typed_first_contacts IS NULL) = ? OR (typed_surprise IS NULL) = ?
		OR (switch_new_accounts IS NULL) = ? OR (switch_surprise IS NULL) = ?
		OR (peers_unexplained IS NULL) = ? OR (peers_surprise IS NULL) = ?
		OR (spread_surprise IS NULL) = ? OR (spread_from IS NOT NULL AND spread_surprise IS NULL)`, scores,
		has(ComponentRole), has(ComponentNovelty), has(ComponentNovelty), has(ComponentNovelty),
		has(ComponentVolume), has(ComponentVolume), has(ComponentVolume),
		has(ComponentTyped), has(ComponentTyped), has(ComponentSwitch), has(ComponentSwitch),
		has(ComponentPeers), has(ComponentPeers), has(ComponentSpread)); n != 0 {
		t.Errorf("%d fused rows whose component columns do not match the components %v", n, comps)
	}
	if n := queryInt(t, s, `WITH r AS (
		SELECT *, coalesce(role_surprise, 0) AS rs, coalesce(novelty_surprise, 0) AS ns, coalesce(volume_surprise, 0) AS vs,
			coalesce(typed_surprise, 0) AS ts, coalesce(switch_surprise, 0) AS ws, coalesce(spread_surprise, 0) AS ps,
			coalesce(peers_surprise, 0) AS qs
		FROM read_parquet(?))
		SELECT count(*) FROM r WHERE score IS NULL OR NOT isfinite(score) OR score < 0
		OR NOT isfinite(rs + ns + vs + ts + ws + ps + qs + coalesce(volume_degree, 0) + coalesce(volume_expected, 0))
		OR least(rs, ns, vs, ts, ws, ps, qs, coalesce(novelty_new_contacts, 0), coalesce(novelty_value, 0),
			coalesce(typed_first_contacts, 0), coalesce(switch_new_accounts, 0), coalesce(peers_unexplained, 0)) < 0
		OR (novelty_value = 0 AND novelty_surprise <> 0)
		OR (typed_first_contacts = 0 AND typed_surprise <> 0)
		OR (switch_new_accounts = 0 AND switch_surprise <> 0)
		OR (peers_unexplained = 0 AND peers_surprise <> 0)
		OR (spread_from IS NULL AND ps <> 0 AND score >= 2)
		OR (spread_from IS NOT NULL AND score < 2)
		OR (dominant IS NULL AND greatest(rs, ns, vs, ts, ws, ps, qs) <> 0)
		-- surprises are stored to 3 decimals: a dominant one may round to 0 only on a
		-- row whose fused score is as small
		OR (dominant IS NOT NULL AND greatest(rs, ns, vs, ts, ws, ps, qs) = 0 AND score > 0.01)
		OR (dominant IS NULL AND score <> 0)
		OR dominant NOT IN ('role', 'novelty', 'volume', 'typed', 'switch', 'peers', 'spread')
		OR (explanation IS NULL) <> (dominant IS NULL OR score < 2)
		OR (explanation IS NOT NULL AND NOT contains(explanation, dominant || ' '))
		OR warmup <> (interval_start < TIMESTAMP '2015-01-02')`, scores); n != 0 {
		t.Errorf("%d fused rows with a bad score, component, dominant or warm-up flag", n)
	}
	// The dominant component has the largest surprise.
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE dominant IS NOT NULL AND
		CASE dominant WHEN 'role' THEN role_surprise WHEN 'novelty' THEN novelty_surprise
			WHEN 'volume' THEN volume_surprise WHEN 'typed' THEN typed_surprise
			WHEN 'switch' THEN switch_surprise WHEN 'peers' THEN peers_surprise ELSE spread_surprise END
		< greatest(coalesce(role_surprise, 0), coalesce(novelty_surprise, 0), coalesce(volume_surprise, 0),
			coalesce(typed_surprise, 0), coalesce(switch_surprise, 0), coalesce(peers_surprise, 0), coalesce(spread_surprise, 0))`, scores); n != 0 {
		t.Errorf("%d rows whose dominant component is not the most surprising", n)
	}
	// Each component has evidence somewhere after the warm-up.
	for _, c := range comps {
		if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE NOT warmup AND dominant = ?", scores, c); n == 0 {
			t.Errorf("component %s never dominates", c)
		}
	}
}

// checkExplain explains the red-team (interval, entity) with the highest score after
// the warm-up and checks that the evidence holds its scores and its raw auth events.
func checkExplain(t *testing.T, s *Session, scores string) {
	ctx := context.Background()
	if _, err := s.scope(ctx, scores, 0); err != nil {
		t.Fatal(err)
	}
	var start time.Time
	var entity string
	err := s.QueryRow(ctx, `SELECT p.interval_start, p.entity FROM lanlq_redteam_pairs AS p
		JOIN read_parquet(?) AS r ON r.interval_start = p.interval_start AND r.value = p.entity
		WHERE NOT r.warmup ORDER BY r.score DESC, p.entity LIMIT 1`, scores).Scan(&start, &entity)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := s.Explain(ctx, scores, entity, start.Add(17*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !ex.IntervalStart.Equal(start) || ex.Entity != entity || ex.Experiment.Method != MethodFused {
		t.Errorf("explained %s at %s (%s), want %s at %s", ex.Entity, ex.IntervalStart, ex.Experiment.Method, entity, start)
	}
	if len(ex.Artifacts) == 0 {
		t.Fatalf("no artifacts explained for %s at %s", entity, start)
	}
	for _, a := range ex.Artifacts {
		if !strings.HasSuffix(a.Artifact, "::"+entity) || a.Rank < 1 || a.Rank > a.Total || a.FusedSurprise == nil || a.Warmup {
			t.Errorf("artifact %+v", a)
		}
	}
	var auth *StreamEvents
	for i := range ex.Events {
		if ex.Events[i].Stream == "auth" {
			auth = &ex.Events[i]
		}
	}
	want := queryInt(t, s, `SELECT count(*) FROM auth WHERE ts >= ? AND ts < ? AND ? IN (userdomain_source,
		userdomain_destination, computer_source, computer_destination, auth, logon, direction, result)`,
		start, start.Add(time.Hour), entity)
	if auth == nil || auth.Total != want || want == 0 || len(auth.Lines) != int(min(want, ExplainEventLimit)) {
		t.Fatalf("auth events %+v, want %d", auth, want)
	}
	for _, l := range auth.Lines {
		if !strings.Contains(l, entity) {
			t.Errorf("auth line %q does not involve %s", l, entity)
		}
	}
	// A new contact co-occurs with the entity in the interval and never before.
	for _, c := range ex.Contacts {
		if c.Events < 1 || !strings.HasSuffix(c.Artifact, "::"+entity) {
			t.Errorf("contact %+v", c)
		}
	}
	t.Logf("%s at %s: %d artifacts (top %s score %.3g rank %d/%d), %d new contacts, %d auth events",
		entity, start, len(ex.Artifacts), ex.Artifacts[0].Artifact, ex.Artifacts[0].Score, ex.Artifacts[0].Rank,
		ex.Artifacts[0].Total, len(ex.Contacts), auth.Total)
}

// checkEvaluateWarmup runs checkEvaluate's brute-force comparison on a copy of the run
// whose experiment does not exclude the warm-up, then checks that the run itself
// leaves exactly the warm-up intervals out.
func checkEvaluateWarmup(t *testing.T, s *Session, outDir string) {
	ctx := context.Background()
	var exp Experiment
	b, err := os.ReadFile(filepath.Join(outDir, ExperimentFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	all := t.TempDir()
	for _, name := range []string{ScoresFile, IntervalScoresFile} {
		if err := s.Exec(ctx, `COPY (SELECT * FROM read_parquet('`+escapeLiteral(filepath.Join(outDir, name))+`'))
			TO '`+escapeLiteral(filepath.Join(all, name))+`' (FORMAT parquet)`); err != nil {
			t.Fatal(err)
		}
	}
	exp.EvalWarmup = ""
	b, _ = json.Marshal(exp)
	if err := os.WriteFile(filepath.Join(all, ExperimentFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	checkEvaluate(t, s, all)

	full, err := s.Evaluate(ctx, filepath.Join(all, ScoresFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Evaluate(ctx, filepath.Join(outDir, ScoresFile), 0)
	if err != nil {
		t.Fatal(err)
	}
	warm := queryInt(t, s, "SELECT count(DISTINCT (interval_start, value)) FROM read_parquet(?) WHERE warmup AND value IS NOT NULL",
		filepath.Join(outDir, ScoresFile))
	if full.WarmupExcludedTo != "" || rep.WarmupExcludedTo != exp.WarmupTo || rep.Method != exp.Method ||
		int64(rep.Entities.N) != int64(full.Entities.N)-warm ||
		rep.RedTeam.Pairs+rep.RedTeam.WarmupPairs != full.RedTeam.Pairs ||
		rep.RedTeam.IntervalsTotal != full.RedTeam.IntervalsTotal-exp.WarmupIntervals {
		t.Errorf("warm-up exclusion: with %+v %+v, without %+v %+v (%d warm-up pairs)", rep.RedTeam, rep.Entities.N,
			full.RedTeam, full.Entities.N, warm)
	}
}

// checkExplainTyped explains the five entity-hours with the most new contacts and
// checks that explain marks as counted (Typed) exactly the contacts between the kind
// pairs the run's novelty component recorded. With beyondDefault, some counted
// contact must lie outside graphkit.DefaultNoveltyPairs (a --novelty all run: a
// computer's first processes or ports).
func checkExplainTyped(t *testing.T, s *Session, scores string, beyondDefault bool) {
	ctx := context.Background()
	exp, err := s.ReadExperiment(ctx, scores)
	if err != nil {
		t.Fatal(err)
	}
	counted := map[[2]string]bool{}
	for _, p := range exp.noveltyPairs() {
		counted[p], counted[[2]string{p[1], p[0]}] = true, true
	}
	if len(counted) == 0 {
		t.Fatal("the run recorded no novelty pairs")
	}
	kinds, err := s.artifactKinds(ctx)
	if err != nil {
		t.Fatal(err)
	}
	def := map[[2]string]bool{}
	for _, p := range graphkit.DefaultNoveltyPairs(kinds) {
		a, b := kinds.Names[p.A], kinds.Names[p.B]
		def[[2]string{a, b}], def[[2]string{b, a}] = true, true
	}
	rows, err := s.Query(ctx, `SELECT DISTINCT ON (value, interval_start) interval_start, value FROM read_parquet(?)
		WHERE novelty_new_contacts > 0 ORDER BY novelty_new_contacts DESC, value, interval_start LIMIT 5`, scores)
	if err != nil {
		t.Fatal(err)
	}
	hours := scanHours(t, rows)
	if len(hours) == 0 {
		t.Fatal("no entity with new contacts")
	}
	var typed, outside int
	for _, h := range hours {
		ex, err := s.Explain(ctx, scores, h.entity, h.at)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range ex.Contacts {
			if want := counted[[2]string{c.Kind, c.ContactKind}]; c.Typed != want {
				t.Errorf("%s at %s: contact %+v marked %t, the run counted the pair: %t", h.entity, h.at, c, c.Typed, want)
			}
			if c.Typed {
				typed++
				if !def[[2]string{c.Kind, c.ContactKind}] {
					outside++
				}
			}
		}
	}
	if typed == 0 || beyondDefault != (outside > 0) {
		t.Errorf("%d counted contacts, %d outside the default pairs (want some: %t)", typed, outside, beyondDefault)
	}
}

// TestScoreAuthComponents runs the fused score with the components that read auth
// events and spread evidence: their columns are filled, spread names an artifact that
// is scored in the same interval, and its spread surprise is at most that artifact's
// own evidence; spread without novelty is refused; on the entity architecture typed and
// switch have no auth kinds and are left out.
func TestScoreAuthComponents(t *testing.T) {
	ctx := context.Background()
	s := openScoreSession(t)
	comps := []string{ComponentNovelty, ComponentVolume, ComponentTyped, ComponentSwitch, ComponentPeers, ComponentSpread}
	spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 2, Seed: 5, Components: comps}
	out := filepath.Join(t.TempDir(), "out")
	rep, err := s.Score(ctx, spec, out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(rep.Experiment.Components, comps) {
		t.Errorf("components %v, want %v", rep.Experiment.Components, comps)
	}
	scores := filepath.Join(out, ScoresFile)
	checkFusedScores(t, s, scores, comps)
	// Spread comes from an artifact of the same interval, and passes on at most what
	// that one's own components (the five but spread) say: their Fisher combination,
	// S = ln 10 · Σ s, −log10(e^−S (1 + S + S²/2 + S³/6 + S⁴/24)). The surprises are
	// stored as FLOAT to 3 decimals: the bound holds to their rounding (0.0005 each, six
	// of them) and FLOAT's precision (relative 1e-5 over the sum).
	if n := queryInt(t, s, `WITH r AS (SELECT *, ln(10) * (novelty_surprise + volume_surprise + typed_surprise
			+ switch_surprise + peers_surprise) AS s FROM `+scoresRel+`),
		b AS (SELECT *, (s - ln(1 + s + s^2 / 2 + s^3 / 6 + s^4 / 24)) / ln(10) AS own FROM r)
		SELECT count(*) FROM r AS a LEFT JOIN b ON b.interval_start = a.interval_start AND b.artifact = a.spread_from
		WHERE a.spread_from IS NOT NULL AND (b.artifact IS NULL OR a.spread_surprise > b.own + 0.003 + 1e-5 * (1 + b.own) OR a.spread_surprise <= 0)`, scores); n != 0 {
		t.Errorf("%d rows whose spread does not come from a scored artifact of the interval or exceeds it", n)
	}
	for _, c := range []string{"typed", "switch", "peers", "spread"} {
		if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE NOT warmup AND "+c+"_surprise > 1", scores); n == 0 {
			t.Errorf("component %s has no evidence above p = 0.1 after the warm-up", c)
		}
	}
	// Switch counts user accounts only: never a machine account or an anonymous one.
	if n := queryInt(t, s, `SELECT count(*) FROM read_parquet(?) WHERE kind = 'userdomain_source'
		AND (value LIKE '%$@%' OR value LIKE 'ANONYMOUS%') AND switch_new_accounts > 0`, scores); n != 0 {
		t.Errorf("%d machine or anonymous accounts with switched emissions", n)
	}

	checkExplainAuthFirsts(t, s, scores)

	if _, err := s.Score(ctx, ScoreSpec{Edges: spec.Edges, Roles: 2, Components: []string{ComponentVolume, ComponentSpread}}, t.TempDir(), nil); !errors.Is(err, ErrScoreSpec) {
		t.Errorf("spread without novelty: %v, want ErrScoreSpec", err)
	}
	ent := ScoreSpec{Edges: EdgeSpec{Arch: ArchEntity, Interval: time.Hour}, Roles: 2, Components: comps}
	rep, err = s.Score(ctx, ent, filepath.Join(t.TempDir(), "ent"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ComponentNovelty, ComponentVolume, ComponentPeers, ComponentSpread}; !slices.Equal(rep.Experiment.Components, want) {
		t.Errorf("entity architecture components %v, want %v", rep.Experiment.Components, want)
	}
}

// checkExplainAuthFirsts explains the hours with the most first typed contacts and
// first emissions of a run over the whole data: the contacts and emissions Explain
// lists (from the auth view, in SQL) are as many, per artifact, as the typed and switch
// components counted in Go, and every artifact shows its spread's source.
func checkExplainAuthFirsts(t *testing.T, s *Session, scores string) {
	t.Helper()
	ctx := context.Background()
	rows, err := s.Query(ctx, `SELECT interval_start, value FROM (
			SELECT interval_start, value, max(typed_first_contacts) AS ty, max(switch_new_accounts) AS sw
			FROM read_parquet(?) GROUP BY ALL)
		QUALIFY row_number() OVER (ORDER BY ty DESC, value, interval_start) <= 3
		     OR row_number() OVER (ORDER BY sw DESC, value, interval_start) <= 3`, scores)
	if err != nil {
		t.Fatal(err)
	}
	hours := scanHours(t, rows)
	var typed, switched int64
	for _, h := range hours {
		ex, err := s.Explain(ctx, scores, h.entity, h.at)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range ex.Artifacts {
			var ty, sw int64
			for _, f := range ex.AuthFirsts {
				switch {
				case f.What == ComponentTyped && (a.Kind == f.Kind && f.From == h.entity || a.Kind == "computer_destination" && f.To == h.entity):
					ty++
				case f.What == ComponentSwitch && (a.Kind == "computer_source" && f.From == h.entity || a.Kind == "userdomain_source" && f.To == h.entity):
					sw++
				}
			}
			if a.TypedFirstContacts == nil || a.SwitchNewAccounts == nil || *a.TypedFirstContacts != ty || *a.SwitchNewAccounts != sw {
				t.Errorf("%s at %s: typed %v and switch %v counted, explain lists %d and %d", a.Artifact, h.at, a.TypedFirstContacts, a.SwitchNewAccounts, ty, sw)
			}
			if a.SpreadSurprise == nil || (*a.SpreadSurprise > 0 && a.Score >= ExplainMinScore) != (a.SpreadFrom != nil) {
				t.Errorf("%s at %s: spread %v from %v", a.Artifact, h.at, a.SpreadSurprise, a.SpreadFrom)
			}
			typed += ty
			switched += sw
		}
	}
	if typed == 0 || switched == 0 {
		t.Errorf("explained %d hours: %d first typed contacts, %d first emissions; want some of each", len(hours), typed, switched)
	}
}

// hour is one (interval, entity) of a score file.
type hour struct {
	at     time.Time
	entity string
}

// scanHours reads (interval_start, entity) rows and closes them.
func scanHours(t *testing.T, rows *sql.Rows) []hour {
	t.Helper()
	defer rows.Close()
	var hours []hour
	for rows.Next() {
		var h hour
		if err := rows.Scan(&h.at, &h.entity); err != nil {
			t.Fatal(err)
		}
		hours = append(hours, h)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return hours
}
