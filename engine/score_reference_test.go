package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/graphkit"
	lsql "github.com/lanlq/lanlq/sql"
)

// scoreRowSchema is the Arrow form of the rows of the reference table lanlq_score_rows
// (sql/score_table.sql): scoresSchema with the artifact's dictionary id in place of
// its kind and value.
var scoreRowSchema = func() *arrow.Schema {
	fs := scoresSchema.Fields()
	out := []arrow.Field{fs[0], {Name: "id", Type: arrow.PrimitiveTypes.Int64}}
	return arrow.NewSchema(append(out, fs[3:]...), nil)
}()

// sqlReference writes a run's scores.parquet and roles.parquet the way lanlq wrote
// them before they were streamed: every row appended to the temporary table
// lanlq_score_rows, then one COPY each (sql/score_copy_scores.sql,
// sql/score_copy_roles.sql) joining the artifact dictionary for the names and
// sorting all the rows in DuckDB, on one thread.
type sqlReference struct {
	r   *scoreRun
	dir string
}

// useSQLReference makes every scoring run of the test also write its reference files
// into a new folder under root; runs returns those folders in run order.
func useSQLReference(t *testing.T) (runs func() []string) {
	t.Helper()
	root := t.TempDir()
	var mu sync.Mutex
	var dirs []string
	newScoreReference = func(ctx context.Context, r *scoreRun) (scoreRowsReference, error) {
		if err := r.s.Exec(ctx, lsql.Text("score_table.sql")); err != nil {
			return nil, err
		}
		mu.Lock()
		defer mu.Unlock()
		dir := filepath.Join(root, fmt.Sprintf("run-%d", len(dirs)))
		dirs = append(dirs, dir)
		return &sqlReference{r: r, dir: dir}, nil
	}
	t.Cleanup(func() { newScoreReference = nil })
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(dirs)
	}
}

func (x *sqlReference) insert(ctx context.Context, r *scoreRun, rec arrow.RecordBatch, scores []graphkit.ArtifactScore, order []int32) error {
	ids := array.NewInt64Builder(r.mem)
	defer ids.Release()
	for _, i := range order {
		ids.Append(scores[i].ID)
	}
	id := ids.NewArray()
	defer id.Release()
	cols := []arrow.Array{rec.Column(0), id}
	cols = append(cols, rec.Columns()[3:]...)
	ref := array.NewRecordBatch(scoreRowSchema, cols, rec.NumRows())
	defer ref.Release()
	// buildAhead queries the session beside the scoring.
	r.db.Lock()
	defer r.db.Unlock()
	return r.s.insertRecord(ctx, ref, "lanlq_score_batch", "INSERT INTO lanlq_score_rows SELECT * FROM lanlq_score_batch")
}

func (x *sqlReference) write(ctx context.Context, meta string) error {
	if err := os.MkdirAll(x.dir, 0o755); err != nil {
		return err
	}
	files := []string{"score_copy_scores.sql"}
	if x.r.roles {
		files = append(files, "score_copy_roles.sql")
	}
	for _, name := range files {
		q, err := edgeRender(name, struct{ Dir, Meta string }{escapeLiteral(x.dir), escapeLiteral(meta)})
		if err != nil {
			return err
		}
		if err := x.r.s.Exec(ctx, q); err != nil {
			return fmt.Errorf("reference %s: %w", name, err)
		}
	}
	return nil
}

func (x *sqlReference) close(ctx context.Context) error {
	return x.r.s.Exec(ctx, "DROP TABLE IF EXISTS lanlq_score_rows")
}

// checkSameRows fails t unless the Parquet files got and want hold the same columns
// (names and DuckDB types), the same rows in the same order, every value equal, and
// the same lanlq_experiment.
func checkSameRows(t *testing.T, s *Session, got, want string) {
	t.Helper()
	cols := "SELECT column_name || ' ' || column_type FROM (DESCRIBE SELECT * FROM read_parquet(?))"
	if g, w := queryStrings(t, s, cols, got), queryStrings(t, s, cols, want); !slices.Equal(g, w) {
		t.Fatalf("%s: columns\n%q\nwant (%s)\n%q", got, g, want, w)
	}
	// Row text: DuckDB prints a DOUBLE or FLOAT by its shortest exact form, so equal
	// text is equal values; NULLs print as NULL.
	rows := "SELECT CAST(t AS VARCHAR) FROM read_parquet(?) AS t"
	g, w := queryStrings(t, s, rows, got), queryStrings(t, s, rows, want)
	if len(g) == 0 {
		t.Fatalf("%s: no rows", got)
	}
	if len(g) != len(w) {
		t.Fatalf("%s: %d rows, want %d (%s)", got, len(g), len(w), want)
	}
	bad := 0
	for i := range g {
		if g[i] != w[i] {
			if bad < 3 {
				t.Errorf("%s row %d:\n%s\nwant\n%s", got, i, g[i], w[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Fatalf("%s: %d of %d rows differ from %s", got, bad, len(g), want)
	}
	kv := "SELECT decode(value) FROM parquet_kv_metadata(?) WHERE decode(key) = 'lanlq_experiment'"
	if g, w := queryStrings(t, s, kv, got), queryStrings(t, s, kv, want); len(g) != 1 || !slices.Equal(g, w) {
		t.Errorf("%s: lanlq_experiment %q, want %q", got, g, w)
	}
}

// TestScoreRowsEqualSQL: scores.parquet (and roles.parquet), streamed interval by
// interval and sorted in Go, hold every row and column the SQL COPY over the whole
// run's rows writes, in the same order: for the fused method (every component, so
// every column is filled somewhere) and for the roles method with memberships (the
// list columns and roles.parquet).
func TestScoreRowsEqualSQL(t *testing.T) {
	ctx := context.Background()
	s := openScoreSession(t)
	runs := useSQLReference(t)
	comps := []string{ComponentRole, ComponentNovelty, ComponentVolume, ComponentTyped, ComponentSwitch, ComponentPeers, ComponentSpread}
	specs := []ScoreSpec{
		{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 2, Seed: 5, Components: comps},
		{Edges: EdgeSpec{Arch: ArchNotebook, Interval: time.Hour}, Roles: 3, Seed: 5, Method: MethodRoles, Memberships: true},
	}
	for i, spec := range specs {
		out := filepath.Join(t.TempDir(), "out")
		rep, err := s.Score(ctx, spec, out, nil)
		if err != nil {
			t.Fatal(err)
		}
		dirs := runs()
		if len(dirs) != i+1 {
			t.Fatalf("%d reference runs after %d scoring runs", len(dirs), i+1)
		}
		ref := dirs[i]
		checkSameRows(t, s, filepath.Join(out, ScoresFile), filepath.Join(ref, ScoresFile))
		if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?)", filepath.Join(out, ScoresFile)); n != rep.Rows {
			t.Errorf("%d rows in scores.parquet, the report says %d", n, rep.Rows)
		}
		if rep.Experiment.RoleModel {
			checkSameRows(t, s, filepath.Join(out, RolesFile), filepath.Join(ref, RolesFile))
		}
	}
}
