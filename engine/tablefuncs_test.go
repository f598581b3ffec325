package engine

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
	"github.com/lanlq/lanlq/synth"
)

// tfEdges runs query (which must select epoch seconds, a, b, weight) and collects its
// rows as an edgeSet keyed like bruteEdges'.
func tfEdges(t *testing.T, s *Session, query string) edgeSet {
	t.Helper()
	rows, err := s.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	got := edgeSet{}
	for rows.Next() {
		var sec, w int64
		var a, b string
		if err := rows.Scan(&sec, &a, &b, &w); err != nil {
			t.Fatal(err)
		}
		if a >= b {
			t.Fatalf("a %q >= b %q", a, b)
		}
		k := edgeKey{sec - lanl.Origin.Unix(), a, b}
		if _, dup := got[k]; dup {
			t.Fatalf("edge %v twice", k)
		}
		got[k] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestTableFuncEdges calls lanl_edges from plain SQL and checks it against the brute
// force, for both built-in architectures, a frame, a stream subset, settings from
// getvariable, and a query that projects only some columns.
func TestTableFuncEdges(t *testing.T) {
	data := genFixture(11, 800)
	s := fixtureSessionWith(t, data, Options{})
	ctx := context.Background()
	const cols = "epoch(interval_start)::BIGINT, a, b, weight"

	got := tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges('notebook', 3600)")
	compareEdges(t, got, bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 1<<40))

	mustExec(t, s, "SET VARIABLE arch = 'entity'; SET VARIABLE width = 1800")
	got = tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges(getvariable('arch'), getvariable('width'))")
	compareEdges(t, got, bruteEdges(ArchEntity, data, allStreams, 1800, 0, 1<<40))

	got = tfEdges(t, s, `SELECT `+cols+` FROM lanl_edges('entity', 1800,
		TIMESTAMP '2015-01-01 01:10:00', 18000, 'auth, dns')`)
	compareEdges(t, got, bruteEdges(ArchEntity, data, []string{"auth", "dns"}, 1800, 4200, 18000))

	// A bound by name, as text; the other open.
	got = tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges('notebook', 3600, to_ts := '2015-01-01 02:00:00')")
	compareEdges(t, got, bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 7200))

	// Projection: only weight and interval_start (duckdb-go must not be asked for a/b).
	var n, sum int64
	if err := s.QueryRow(ctx, "SELECT count(*), sum(weight) FROM lanl_edges('notebook', 3600)").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	var wantN, wantSum int64
	for _, w := range bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 1<<40) {
		wantN++
		wantSum += w
	}
	if n != wantN || sum != wantSum {
		t.Fatalf("count, sum = %d, %d; want %d, %d", n, sum, wantN, wantSum)
	}

	// A LIMIT stops the scan early; the session goes on working.
	if err := s.QueryRow(ctx, "SELECT count(*) FROM (SELECT * FROM lanl_edges('notebook', 3600) LIMIT 3)").Scan(&n); err != nil || n != 3 {
		t.Fatalf("LIMIT 3: %d, %v", n, err)
	}
	// The function composes with the session's own state: a table it made earlier.
	mustExec(t, s, "CREATE TEMP TABLE e AS SELECT * FROM lanl_edges('entity', 3600)")
	if err := s.QueryRow(ctx, "SELECT count(*) FROM e").Scan(&n); err != nil || n != int64(len(bruteEdges(ArchEntity, data, allStreams, 3600, 0, 1<<40))) {
		t.Fatalf("CREATE TABLE AS: %d rows, %v", n, err)
	}
}

func TestTableFuncEdgesErrors(t *testing.T) {
	s := fixtureSession(t, genFixture(12, 50))
	ctx := context.Background()
	for _, tc := range []struct{ query, want string }{
		{"SELECT * FROM lanl_edges('notebook', 0)", "interval_seconds"},
		{"SELECT * FROM lanl_edges('nosuch', 3600)", "not notebook, entity"},
		{"SELECT * FROM lanl_edges('notebook', 3600, TIMESTAMP '2015-01-02', TIMESTAMP '2015-01-01')", "empty time frame"},
		{"SELECT * FROM lanl_edges('notebook', 3600, streams := 'redteam')", "not in architecture"},
		{"SELECT * FROM lanl_edges('notebook', 3600, 'yesterday')", "neither LANL seconds nor a timestamp"},
	} {
		err := s.Exec(ctx, tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.query, err, tc.want)
		}
	}
	// The session still works after the failures.
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM lanl_edges('notebook', 3600)").Scan(&n); err != nil || n == 0 {
		t.Fatalf("after errors: %d, %v", n, errors.Unwrap(err))
	}
}

// rowTexts runs query, whose single column is a row cast to text, and returns the rows
// in the order they came.
func rowTexts(t *testing.T, s *Session, query string, args ...any) []string {
	t.Helper()
	rows, err := s.Query(context.Background(), query, args...)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var row string
		if err := rows.Scan(&row); err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestTableFuncScores calls lanl_scores, lanl_interval_scores and lanl_roles from plain
// SQL and requires the rows of Session.Score's files, in the files' order, with the
// files' columns; settings come as literals, by name and from getvariable. The
// calls share one scoring run, whose folder is gone when the session closes.
func TestTableFuncScores(t *testing.T) {
	ctx := context.Background()
	data := tinySynth(t, 0.05)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp) // where the functions score
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	out := t.TempDir()
	spec := ScoreSpec{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour, To: lanl.Origin.Add(8 * time.Hour)},
		Roles: 3, Expect: graphkit.ExpectPrevious, TrainTo: lanl.Origin.Add(4 * time.Hour), Seed: 1,
		Components: AllComponents, Novelty: NoveltyAll}
	if _, err := s.Score(ctx, spec, out, nil); err != nil {
		t.Fatal(err)
	}
	t.Run("explain", func(t *testing.T) { checkExplainTyped(t, s, filepath.Join(out, ScoresFile), true) })
	mustExec(t, s, "SET VARIABLE arch = 'notebook'; SET VARIABLE interval_seconds = 3600; SET VARIABLE expect = 'previous'")
	const args = `getvariable('arch'), getvariable('interval_seconds'), to_ts := 28800, roles := 3,
		train_to := TIMESTAMP '2015-01-01 04:00:00', expect := getvariable('expect'),
		components := 'volume, role,novelty,spread,switch,typed,peers', novelty := 'all'`
	for fn, file := range map[string]string{TableFuncScores: ScoresFile, TableFuncIntervalScores: IntervalScoresFile, TableFuncRoles: RolesFile} {
		// One call per function (each scores): its rows numbered in the order they came.
		mustExec(t, s, "CREATE OR REPLACE TEMP TABLE got AS SELECT row_number() OVER () AS i, * FROM "+fn+"("+args+")")
		path := filepath.Join(out, file)
		got := rowTexts(t, s, "SELECT CAST(t AS VARCHAR) FROM (SELECT * EXCLUDE (i) FROM got ORDER BY i) AS t")
		// lanl_scores gives back the artifact name scores.parquet does not store.
		cols := "*"
		if file == ScoresFile {
			cols = scoresColumns
		}
		want := rowTexts(t, s, "SELECT CAST(t AS VARCHAR) FROM (SELECT "+cols+" FROM read_parquet(?)) AS t", path)
		if len(want) == 0 {
			t.Fatalf("%s is empty", file)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %d rows differ from %s's %d", fn, len(got), file, len(want))
			for i := range min(len(got), len(want), 3) {
				t.Logf("got  %s\nwant %s", got[i], want[i])
			}
		}
		gotCols := describeQuery(t, s, "SELECT * EXCLUDE (i) FROM got")
		wantCols := describeQuery(t, s, "SELECT "+cols+" FROM read_parquet('"+escapeLiteral(path)+"')")
		if !slices.Equal(gotCols, wantCols) {
			t.Errorf("%s columns %v, %s has %v", fn, gotCols, file, wantCols)
		}
	}

	// Projection of a few columns, and a LIMIT that stops the scan early.
	var n int64
	var sum float64
	if err := s.QueryRow(ctx, "SELECT count(*), sum(score) FROM lanl_scores("+args+")").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	var wantN int64
	var wantSum float64
	if err := s.QueryRow(ctx, "SELECT count(*), sum(score) FROM read_parquet(?)", filepath.Join(out, ScoresFile)).Scan(&wantN, &wantSum); err != nil {
		t.Fatal(err)
	}
	if n != wantN || math.Abs(sum-wantSum) > 1e-9*math.Abs(wantSum) {
		t.Errorf("count, sum = %d, %g; want %d, %g", n, sum, wantN, wantSum)
	}
	if err := s.QueryRow(ctx, "SELECT count(*) FROM (SELECT artifact FROM lanl_roles("+args+") LIMIT 5)").Scan(&n); err != nil || n != 5 {
		t.Fatalf("LIMIT 5: %d, %v", n, err)
	}
	// The five calls share their settings: one scoring run, cached by the session
	// until it closes.
	if runs, _ := filepath.Glob(filepath.Join(tmp, "lanlq-lanl_*")); len(runs) != 1 {
		t.Errorf("%d scoring folders for one setting, want 1 (shared)", len(runs))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary folders left behind after Close: %d entries in %s", len(entries), tmp)
	}
}

// describeQuery returns the column names and types of a query.
func describeQuery(t *testing.T, s *Session, query string) []string {
	t.Helper()
	rows, err := s.Query(context.Background(), "SELECT column_name || ' ' || column_type FROM (DESCRIBE "+query+")")
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

func TestTableFuncScoresErrors(t *testing.T) {
	s := fixtureSession(t, genFixture(12, 50))
	ctx := context.Background()
	for _, tc := range []struct{ query, want string }{
		{"SELECT * FROM lanl_scores('notebook', 0)", "interval_seconds"},
		{"SELECT * FROM lanl_roles('nosuch', 3600)", "not notebook, entity"},
		{"SELECT * FROM lanl_scores('notebook', 3600, roles := 'many')", "neither a positive number nor auto"},
		{"SELECT * FROM lanl_scores('notebook', 3600, expect := 'mean')", "neither ewma nor previous"},
		{"SELECT * FROM lanl_interval_scores('notebook', 3600, train_from := 7200, train_to := 3600)", "empty training window"},
		{"SELECT * FROM lanl_scores('notebook', 3600, half_life := -2)", "half_life"},
		{"SELECT * FROM lanl_scores('notebook', 3600, seed := -1)", "seed"},
		{"SELECT * FROM lanl_scores('notebook', 3600, components := 'role,vibes')", "none of role, novelty, volume"},
		{"SELECT * FROM lanl_scores('notebook', 3600, method := 'roles', components := 'role')", "takes none"},
		{"SELECT * FROM lanl_scores('notebook', 3600, novelty := 'some')", "neither contacts nor all"},
		{"SELECT * FROM lanl_scores('notebook', 3600, from_ts := 10000000, to_ts := 10003600)", "no events"},
	} {
		err := s.Exec(ctx, tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.query, err, tc.want)
		}
	}
}

// tinySynth returns the data folder of one day of synthetic LANL data at the given
// scale, generated and ingested once for the tests that read it.
func tinySynth(t *testing.T, scale float64) string {
	t.Helper()
	_, data, _ := sharedSynth(t, synth.Config{Days: 1, Scale: scale, Seed: 1})
	return data
}
