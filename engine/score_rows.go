package engine

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/graphkit"
)

// scoreRowSchema is the Arrow form of the rows of lanlq_score_rows (sql/score_table.sql).
var scoreRowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64},
	{Name: "new", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "role_before", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "role_after", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "membership_before", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "membership_after", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "warmup", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "role_delta", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	// The components' evidence explains a score and is stored as FLOAT: 7 significant
	// digits say what a user reads (and explanations print 3); the scores that rank
	// (score, role_delta) stay DOUBLE. The fused surprise is score itself, not stored
	// twice.
	{Name: "role_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "novelty_new_contacts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "novelty_value", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "novelty_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "volume_degree", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "volume_expected", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "volume_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "typed_first_contacts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "typed_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "switch_new_accounts", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "switch_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "peers_unexplained", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "peers_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "spread_from", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "spread_surprise", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "dominant", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "explanation", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// insert appends the scores of interval k to lanlq_score_rows through an Arrow scan.
// fused, parallel to scores, is nil for MethodRoles: the component columns are then
// NULL. Without role memberships (r.roles false) the role columns are NULL.
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
		switch {
		case !r.roles:
			beforeB.AppendNull()
			afterB.AppendNull()
			mbB.AppendNull()
			maB.AppendNull()
		case sc.New:
			// A new artifact's expectation is the uniform prior: it has no role.
			beforeB.AppendNull()
		default:
			beforeB.Append(int32(argmax(sc.Before)))
		}
		if r.roles {
			afterB.Append(int32(argmax(sc.After)))
			mbB.Append(true)
			mbV.AppendValues(sc.Before, nil)
			maB.Append(true)
			maV.AppendValues(sc.After, nil)
		}
		warmB.Append(warmup)
		if r.roles {
			deltaB.Append(sc.Score)
		} else {
			deltaB.AppendNull()
		}
		if fused != nil {
			r.fused.appendComponents(b, 10, i, fused[i], warmup)
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
