package engine

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lanlq/lanlq/graphkit"
)

// scoresSchema is scores.parquet's schema (README's "Result files"). Every column is
// OPTIONAL, as DuckDB's COPY wrote them.
var scoresSchema = arrow.NewSchema([]arrow.Field{
	{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "kind", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "new", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "role_before", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "role_after", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "membership_before", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "membership_after", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
	{Name: "warmup", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
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

// scoresComponents is the first of scoresSchema's component columns (role_surprise):
// fusedScorers.appendComponents fills them from there.
const scoresComponents = 11

// rolesSchema is roles.parquet's schema: every artifact's role memberships
// (L1-normalised) per interval and the role of largest membership.
var rolesSchema = arrow.NewSchema([]arrow.Field{
	{Name: "interval_start", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "artifact", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "role", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "membership", Type: arrow.ListOf(arrow.PrimitiveTypes.Float64), Nullable: true},
}, nil)

// resultRowGroupRows is the row group size of scores.parquet and roles.parquet
// (DuckDB's default). Row groups end where they fill, not at interval ends: the demo's
// small intervals would otherwise make row groups of a few hundred rows, whose
// dictionaries and pages cost more than their data.
const resultRowGroupRows = 122_880

// resultWriter streams one result file (scores.parquet or roles.parquet) into the
// run's stage as the intervals are scored: each interval's rows arrive sorted, so
// nothing of the earlier intervals is held but the open row group's encoded pages.
// The encoding is single-threaded and depends on the rows alone, so a rerun writes the
// same bytes.
type resultWriter struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	w    *pqarrow.FileWriter
}

// resultPageBytes is the data page size of the result files: zstd compresses a page
// at a time, and 8 MiB pages (against arrow-go's 1 MiB) took the explanations of a
// LANL-rate day from 16.4 to 15.8 MB.
const resultPageBytes = 8 << 20

// newResultWriter creates path and a Parquet writer of schema into it: format 2.6 with
// V2 data pages of resultPageBytes, zstd at level, statistics for every column chunk,
// and every column dictionary-encoded but those of encodings, which get the encoding
// given (columns whose values are nearly all distinct, where a dictionary only costs).
func newResultWriter(path string, schema *arrow.Schema, level int, encodings map[string]parquet.Encoding) (*resultWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	opts := []parquet.WriterProperty{
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV2),
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(level),
		parquet.WithMaxRowGroupLength(resultRowGroupRows),
		parquet.WithDataPageSize(resultPageBytes),
		parquet.WithCreatedBy("lanlq"),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
	}
	// Sorted, so that the options (and the bytes) do not depend on map order.
	for _, c := range slices.Sorted(maps.Keys(encodings)) {
		opts = append(opts, parquet.WithDictionaryFor(c, false), parquet.WithEncodingFor(c, encodings[c]))
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	w, err := pqarrow.NewFileWriter(schema, buf, parquet.NewWriterProperties(opts...), pqarrow.DefaultWriterProps())
	if err != nil {
		return nil, errors.Join(fmt.Errorf("engine: %s: %w", path, err), f.Close())
	}
	return &resultWriter{path: path, f: f, buf: buf, w: w}, nil
}

// write appends rec's rows.
func (w *resultWriter) write(rec arrow.RecordBatch) error {
	if err := w.w.WriteBuffered(rec); err != nil {
		return fmt.Errorf("engine: %s: %w", w.path, err)
	}
	return nil
}

// close writes the footer, with the key-value pair lanlq_experiment = meta, and
// closes the file.
func (w *resultWriter) close(meta string) error {
	err := w.w.AppendKeyValueMetadata("lanlq_experiment", meta)
	err = errors.Join(err, w.w.Close())
	err = errors.Join(err, w.buf.Flush(), w.f.Sync(), w.f.Close())
	w.w = nil
	if err != nil {
		return fmt.Errorf("engine: %s: %w", w.path, err)
	}
	return nil
}

// abort closes the file of a writer not closed (a failed run): its stage is removed.
func (w *resultWriter) abort() error {
	if w == nil || w.w == nil {
		return nil
	}
	w.w = nil
	return w.f.Close()
}

// Partial files in the stage: write renames them to their place when complete.
const (
	scoresPartial = ".scores.parquet.partial"
	rolesPartial  = ".roles.parquet.partial"
)

// openResults loads what the rows need of the artifact dictionary (names by id,
// kinds) and opens the streaming writers of scores.parquet (and roles.parquet) in the
// stage. It runs before the intervals are scored, while the session is free.
func (r *scoreRun) openResults(ctx context.Context) error {
	names, err := r.dictionary(ctx)
	if err != nil {
		return err
	}
	kinds := (*graphkit.Kinds)(nil)
	if r.fused != nil {
		kinds = r.fused.kinds
	} else if kinds, err = r.s.artifactKinds(ctx); err != nil {
		return err
	}
	if len(kinds.ByID) != len(names) {
		return fmt.Errorf("engine: artifact dictionary: %d kinds for %d names", len(kinds.ByID), len(names))
	}
	// kind || '::' || value is the name: the value is the name's tail.
	for id, name := range names {
		if k := kinds.Names[kinds.ByID[id]]; !strings.HasPrefix(name, k+"::") {
			return fmt.Errorf("engine: artifact dictionary: name %q of id %d does not start with its kind %q", name, id, k)
		}
	}
	r.kinds = kinds
	if r.scoresOut, err = newResultWriter(filepath.Join(r.tmpDir, scoresPartial), scoresSchema, scoresZstdLevel, scoresEncodings); err != nil {
		return err
	}
	if r.roles {
		if r.rolesOut, err = newResultWriter(filepath.Join(r.tmpDir, rolesPartial), rolesSchema, rolesZstdLevel, nil); err != nil {
			return err
		}
	}
	return nil
}

// scoresEncodings are scores.parquet's columns not dictionary-encoded, each the
// encoding that wrote a LANL-rate day's smallest (BENCHMARKS.md, "LANL-rate scaling";
// every other column is smallest with a dictionary): the fused score, novelty's
// weighted contacts and volume's degree and expectation are nearly all distinct, and
// byte stream split lets zstd see their exponents apart; the values and the
// explanations are mostly distinct text (delta lengths). These are encodings DuckDB's
// writer chose for the same columns, which every Parquet reader lanlq names reads.
var scoresEncodings = map[string]parquet.Encoding{
	"value":           parquet.Encodings.DeltaLengthByteArray,
	"score":           parquet.Encodings.ByteStreamSplit,
	"novelty_value":   parquet.Encodings.ByteStreamSplit,
	"volume_degree":   parquet.Encodings.ByteStreamSplit,
	"volume_expected": parquet.Encodings.ByteStreamSplit,
	"explanation":     parquet.Encodings.DeltaLengthByteArray,
}

// scoresZstdLevel and rolesZstdLevel are the zstd levels of scores.parquet (README's
// "Result files": level 9 took a LANL-rate day under 20 bytes per row) and
// roles.parquet (zstd's default).
const (
	scoresZstdLevel = 9
	rolesZstdLevel  = 3
)

// closeResults completes the result files with the experiment's record meta and
// renames them to dir/scores.parquet (and dir/roles.parquet).
func (r *scoreRun) closeResults(dir, meta string) error {
	for _, f := range []struct {
		w    *resultWriter
		name string
	}{{r.scoresOut, ScoresFile}, {r.rolesOut, RolesFile}} {
		if f.w == nil {
			continue
		}
		if err := f.w.close(meta); err != nil {
			return err
		}
		if err := os.Rename(f.w.path, filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	return nil
}

// abortResults closes the writers of a failed run.
func (r *scoreRun) abortResults() error {
	return errors.Join(r.scoresOut.abort(), r.rolesOut.abort())
}

// scoreOrder sorts order, indices into scores, as scores.parquet orders an interval's
// rows: score descending, then name. Ids are the ranks of the names (artifact
// dictionary), so the name order is the id order; NaN, which DuckDB sorted above
// every number, comes first.
func scoreOrder(order []int32, score func(i int32) float64, scores []graphkit.ArtifactScore) {
	slices.SortFunc(order, func(a, b int32) int {
		sa, sb := score(a), score(b)
		if c := cmpNaNHigh(sb, sa); c != 0 {
			return c
		}
		return cmp.Compare(scores[a].ID, scores[b].ID)
	})
}

// cmpNaNHigh is cmp.Compare with NaN above every number (DuckDB's order of DOUBLE).
func cmpNaNHigh(a, b float64) int {
	an, bn := math.IsNaN(a), math.IsNaN(b)
	switch {
	case an && bn:
		return 0
	case an:
		return 1
	case bn:
		return -1
	}
	return cmp.Compare(a, b)
}

// insert writes the scores of interval k: its rows of scores.parquet sorted by score
// (descending) and name, and for a run with role memberships its rows of
// roles.parquet sorted by name. fused, parallel to scores, is nil for MethodRoles: the
// component columns are then NULL. Without role memberships (r.roles false) the role
// columns are NULL.
func (r *scoreRun) insert(ctx context.Context, k int64, scores []graphkit.ArtifactScore, fused []graphkit.Fused) error {
	start := r.start(k)
	warmup := k < r.warmupEnd
	score := func(i int32) float64 { return scores[i].Score }
	if fused != nil {
		score = func(i int32) float64 { return fused[i].Score }
	}
	order := r.order[:0]
	for i := range scores {
		order = append(order, int32(i))
	}
	r.order = order
	scoreOrder(order, score, scores)

	b := array.NewRecordBuilder(r.mem, scoresSchema)
	defer b.Release()
	ts := arrow.Timestamp(start.UnixMicro())
	startB := b.Field(0).(*array.TimestampBuilder)
	kindB := b.Field(1).(*array.StringBuilder)
	valueB := b.Field(2).(*array.StringBuilder)
	scoreB := b.Field(3).(*array.Float64Builder)
	newB := b.Field(4).(*array.BooleanBuilder)
	beforeB := b.Field(5).(*array.Int32Builder)
	afterB := b.Field(6).(*array.Int32Builder)
	mbB := b.Field(7).(*array.ListBuilder)
	maB := b.Field(8).(*array.ListBuilder)
	mbV := mbB.ValueBuilder().(*array.Float64Builder)
	maV := maB.ValueBuilder().(*array.Float64Builder)
	warmB := b.Field(9).(*array.BooleanBuilder)
	deltaB := b.Field(10).(*array.Float64Builder)
	b.Reserve(len(scores))
	for _, i := range order {
		sc := scores[i]
		startB.Append(ts)
		kind := r.kinds.Names[r.kinds.ByID[sc.ID]]
		kindB.Append(kind)
		valueB.Append(r.dictNames[sc.ID][len(kind)+2:])
		scoreB.Append(score(i))
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
			r.fused.appendComponents(b, scoresComponents, int(i), fused[i], warmup)
		} else {
			for c := scoresComponents; c < b.Schema().NumFields(); c++ {
				b.Field(c).AppendNull()
			}
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := r.scoresOut.write(rec); err != nil {
		return err
	}
	if r.roles {
		if err := r.insertRoles(ts, scores); err != nil {
			return err
		}
	}
	if r.reference != nil {
		return r.reference.insert(ctx, r, rec, scores, order)
	}
	return nil
}

// insertRoles writes an interval's rows of roles.parquet, by name (id).
func (r *scoreRun) insertRoles(ts arrow.Timestamp, scores []graphkit.ArtifactScore) error {
	order := r.roleOrder[:0]
	for i := range scores {
		order = append(order, int32(i))
	}
	r.roleOrder = order
	slices.SortFunc(order, func(a, b int32) int { return cmp.Compare(scores[a].ID, scores[b].ID) })
	b := array.NewRecordBuilder(r.mem, rolesSchema)
	defer b.Release()
	startB := b.Field(0).(*array.TimestampBuilder)
	nameB := b.Field(1).(*array.StringBuilder)
	roleB := b.Field(2).(*array.Int32Builder)
	mB := b.Field(3).(*array.ListBuilder)
	mV := mB.ValueBuilder().(*array.Float64Builder)
	b.Reserve(len(scores))
	for _, i := range order {
		sc := scores[i]
		startB.Append(ts)
		nameB.Append(r.dictNames[sc.ID])
		roleB.Append(int32(argmax(sc.After)))
		mB.Append(true)
		mV.AppendValues(sc.After, nil)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	return r.rolesOut.write(rec)
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

// scoreRowsReference writes a run's rows a second, independent way, for the tests
// that check the streamed files against it (score_reference_test.go): insert gets
// each interval's rows as written to scores.parquet with order (their indices into
// scores), write completes its files and close releases what it holds.
type scoreRowsReference interface {
	insert(ctx context.Context, r *scoreRun, rec arrow.RecordBatch, scores []graphkit.ArtifactScore, order []int32) error
	write(ctx context.Context, meta string) error
	close(ctx context.Context) error
}

// newScoreReference, nil but in tests, makes every scoring run's reference writer.
var newScoreReference func(ctx context.Context, r *scoreRun) (scoreRowsReference, error)
