package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/internal/faultpoint"
)

// write completes every result file in the temporary folder, then publishes them
// into the output folder. roles.parquet and roles_basis.parquet are
// written only by a run with role memberships.
func (r *scoreRun) write(ctx context.Context) (err error) {
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
	// scores.parquet and roles.parquet were written as the intervals were scored
	// (insert); here they are completed, into the stage or, for a resumed run, the
	// new part's folder (its scores and roles become the next part of the earlier
	// ones). The small files are written by DuckDB from the session.
	files := []string{"score_copy_intervals.sql"}
	names := []string{ScoresFile, IntervalScoresFile, ExperimentFile}
	if r.roles {
		files = []string{"score_copy_intervals.sql", "score_copy_basis.sql"}
		names = []string{ScoresFile, IntervalScoresFile, RolesFile, RolesBasisFile, ExperimentFile}
	}
	resultDir := r.tmpDir
	part := filepath.Join(r.tmpDir, ".part")
	if r.resumed {
		if err := r.carryOver(); err != nil {
			return err
		}
		if err := os.Mkdir(part, 0o755); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		files = slices.DeleteFunc(files, func(f string) bool { return f == "score_copy_basis.sql" })
		resultDir = part
		// interval_scores.parquet is small (a row per interval): rewritten whole.
		q := fmt.Sprintf("INSERT INTO lanlq_interval_rows SELECT interval_start, score, score_known, artifacts, new_artifacts, warmup FROM read_parquet('%s')",
			readLiteral(filepath.Join(r.outDir, IntervalScoresFile)))
		if err := r.s.Exec(ctx, q); err != nil {
			return fmt.Errorf("engine: the earlier interval scores: %w", err)
		}
	} else if r.roles {
		if err := r.stageBasis(ctx); err != nil {
			return err
		}
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
	defer func() {
		if rerr := r.s.Exec(context.WithoutCancel(ctx), fmt.Sprintf("SET threads = %d", threads)); rerr != nil {
			err = errors.Join(err, fmt.Errorf("engine: restore threads: %w", rerr))
		}
	}()
	if err := r.closeResults(resultDir, string(compact)); err != nil {
		return err
	}
	if r.reference != nil {
		if err := r.reference.write(ctx, string(compact)); err != nil {
			return err
		}
	}
	for _, name := range files {
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
	if r.resumed {
		n := r.prev.Parts
		for _, name := range []string{ScoresFile, RolesFile} {
			if !r.roles && name == RolesFile {
				continue
			}
			if err := os.Rename(filepath.Join(part, name), filepath.Join(r.tmpDir, name, partName(n))); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
		}
		if err := os.Remove(part); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	if r.statefulRun() {
		if err := r.saveState(ctx); err != nil {
			return err
		}
		names = append(names, StateDir)
	}
	faultpoint.Reach(ctx, "score staged")
	// Every file is complete: the stage replaces OUT as a whole, so nothing of an
	// earlier run (its eval.json, its plots) stays beside the new results.
	if err := r.out.Publish(); err != nil {
		return err
	}
	for _, name := range names {
		r.rep.Files = append(r.rep.Files, filepath.Join(r.outDir, name))
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
