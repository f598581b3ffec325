package graphkit_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/graphkit/graphtest"
)

// tuple is one row of a tuple batch: ids (nil entries are nulls) and the multiplicity.
type tuple struct {
	ids []*int64
	n   float64
}

func id(x int64) *int64 { return &x }

// tupleReader lays out tuples (all of width k) as batches of batchRows rows with columns
// c0..c(k-1) INT64 and n, an integer or a float column.
func tupleReader(t testing.TB, mem memory.Allocator, batchRows, k int, floatN bool, tuples []tuple) *arrowio.SliceReader {
	t.Helper()
	var fields []arrow.Field
	for c := range k {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", c), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	ntype := arrow.DataType(arrow.PrimitiveTypes.Int64)
	if floatN {
		ntype = arrow.PrimitiveTypes.Float64
	}
	fields = append(fields, arrow.Field{Name: graphkit.ColMultiplicity, Type: ntype})
	schema := arrow.NewSchema(fields, nil)
	var batches []arrow.RecordBatch
	for lo := 0; lo < len(tuples); lo += batchRows {
		rb := array.NewRecordBuilder(mem, schema)
		for _, tp := range tuples[lo:min(lo+batchRows, len(tuples))] {
			for c := range k {
				if x := tp.ids[c]; x != nil {
					rb.Field(c).(*array.Int64Builder).Append(*x)
				} else {
					rb.Field(c).(*array.Int64Builder).AppendNull()
				}
			}
			if floatN {
				rb.Field(k).(*array.Float64Builder).Append(tp.n)
			} else {
				rb.Field(k).(*array.Int64Builder).Append(int64(tp.n))
			}
		}
		batches = append(batches, rb.NewRecordBatch())
		rb.Release()
	}
	rdr, err := arrowio.NewSliceReader(schema, batches...)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range batches {
		b.Release()
	}
	return rdr
}

// bruteTupleEdges expands tuples the obvious way: every pair of columns i < j holding
// ids a ≠ b adds n to {a,b}.
func bruteTupleEdges(tuples []tuple) []graphkit.Edge {
	sum := map[[2]int64]float64{}
	for _, tp := range tuples {
		for i, a := range tp.ids {
			for _, b := range tp.ids[i+1:] {
				if a == nil || b == nil || *a == *b {
					continue
				}
				sum[[2]int64{min(*a, *b), max(*a, *b)}] += tp.n
			}
		}
	}
	var out []graphkit.Edge
	for p, w := range sum {
		out = append(out, graphkit.Edge{A: p[0], B: p[1], Weight: w})
	}
	return out
}

// randomTuples draws n tuples of width k over ids base + scale·[0, vertices), with
// nulls, repeated ids and multiplicities up to maxN.
func randomTuples(rng *rand.Rand, n, k int, vertices, base, scale int64, maxN int) []tuple {
	out := make([]tuple, n)
	for i := range out {
		ids := make([]*int64, k)
		for c := range ids {
			switch r := rng.IntN(20); {
			case r == 0:
				// null
			case r == 1 && c > 0:
				ids[c] = ids[rng.IntN(c)] // repeat an earlier column (maybe a null)
			case r < 8:
				ids[c] = id(base + scale*rng.Int64N(min(vertices, 8))) // a hub
			default:
				ids[c] = id(base + scale*rng.Int64N(vertices))
			}
		}
		out[i] = tuple{ids, float64(1 + rng.IntN(maxN))}
	}
	return out
}

// skewedTuples returns n tuples of k ids below vertices, id j drawn with a weight
// falling like log(vertices/j): the rows of a bucket then range from a few pairs
// through hundreds (sorted by radix) to thousands (summed densely), each way of
// summing a row taking its part.
func skewedTuples(rng *rand.Rand, n, k int, vertices int64) []tuple {
	out := make([]tuple, n)
	for i := range out {
		ids := make([]*int64, k)
		for c := range ids {
			ids[c] = id(rng.Int64N(1 + rng.Int64N(vertices)))
		}
		out[i] = tuple{ids, float64(1 + rng.IntN(3))}
	}
	return out
}

func buildTuples(t testing.TB, batchRows, k int, floatN bool, tuples []tuple) (*graphkit.Graph, error) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	rdr := tupleReader(t, mem, batchRows, k, floatN, tuples)
	defer rdr.Release()
	return graphkit.GraphFromTuples(rdr)
}

// The tuple expansion equals a brute-force map-based builder, bit for bit, and equals
// FromEdges over the expanded pairs (the SQL edge path's builder), on hand-made and
// random tuple sets, with one and several workers.
func TestGraphFromTuplesExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	cases := []struct {
		name   string
		k      int
		floatN bool
		tuples []tuple
	}{
		{"empty", 3, false, nil},
		{"nulls only", 2, false, []tuple{{[]*int64{nil, nil}, 1}}},
		{"single ids and repeats make no vertex", 3, false, []tuple{
			{[]*int64{id(5), nil, nil}, 2}, {[]*int64{id(6), id(6), nil}, 3}, {[]*int64{nil, id(7), id(7)}, 1}}},
		{"one tuple", 3, false, []tuple{{[]*int64{id(9), id(2), id(4)}, 1}}},
		{"nulls, repeats, n > 1", 4, false, []tuple{
			{[]*int64{id(1), nil, id(3), id(1)}, 2}, // (1,3) twice: repeats count per column pair
			{[]*int64{nil, id(3), id(1), nil}, 5},
			{[]*int64{id(8), id(8), id(8), id(2)}, 1},
			{[]*int64{id(3), id(1), nil, nil}, 7},
		}},
		{"float n, exact", 3, true, []tuple{
			{[]*int64{id(1), id(2), id(3)}, 0.5}, {[]*int64{id(2), id(1), nil}, 0.25}}},
		{"n too large to pack", 2, true, []tuple{
			{[]*int64{id(1), id(2)}, 1 << 40}, {[]*int64{id(2), id(1)}, 3}, {[]*int64{id(2), id(3)}, 1 << 52}}},
		{"extreme ids", 3, false, []tuple{
			{[]*int64{id(math.MinInt64), id(math.MaxInt64), id(0)}, 1},
			{[]*int64{id(-5), id(math.MinInt64), nil}, 2}}},
		{"random dense", 8, false, randomTuples(rng, 3000, 8, 500, 1000, 1, 3)},
		{"random sparse", 5, false, randomTuples(rng, 2000, 5, 300, -1<<40, 1<<30, 2)},
		{"random many buckets", 8, false, randomTuples(rng, 60000, 8, 40000, 0, 1, 4)},
		{"random float n", 4, true, randomTuples(rng, 500, 4, 100, 0, 3, 9)},
		{"random skewed rows", 8, false, skewedTuples(rng, 30000, 8, 20000)},
	}
	for _, procs := range []int{1, 3} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("procs %d/%s", procs, c.name), func(t *testing.T) {
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
				want := bruteTupleEdges(c.tuples)
				for _, batchRows := range []int{1, 97, 2048} {
					if batchRows == 1 && len(c.tuples) > 5000 {
						continue
					}
					g, err := buildTuples(t, batchRows, c.k, c.floatN, c.tuples)
					if err != nil {
						t.Fatal(err)
					}
					graphtest.Check(t, g, want)
					ref, err := graphkit.FromEdges(want)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(g.IDs, ref.IDs) || !slices.Equal(g.Offsets, ref.Offsets) ||
						!slices.Equal(g.Nbrs, ref.Nbrs) || !slices.Equal(g.Weights, ref.Weights) {
						t.Fatalf("batch %d: graph differs from FromEdges over the expanded pairs", batchRows)
					}
				}
			})
		}
	}
}

// Pairs as tuples of width 2 meet the CSR contract.
func TestGraphFromTuplesContract(t *testing.T) {
	graphtest.Run(t, func(t testing.TB, edges []graphkit.Edge) (*graphkit.Graph, error) {
		tuples := make([]tuple, len(edges))
		for i, e := range edges {
			tuples[i] = tuple{[]*int64{id(e.A), id(e.B)}, e.Weight}
		}
		return buildTuples(t, 97, 2, false, tuples)
	})
}

// A builder reused across builds gives each build's graph alone.
func TestTupleBuilderReuse(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	var b graphkit.TupleBuilder
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	for round := range 3 {
		tuples := randomTuples(rng, 5000*(3-round), 6, int64(2000*(round+1)), int64(round), 1, 3)
		rdr := tupleReader(t, mem, 2048, 6, false, tuples)
		err := b.AddReader(rdr)
		rdr.Release()
		if err != nil {
			t.Fatal(err)
		}
		if b.Len() != len(tuples) {
			t.Fatalf("Len %d, want %d", b.Len(), len(tuples))
		}
		g, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		graphtest.Check(t, g, bruteTupleEdges(tuples))
		if b.Len() != 0 {
			t.Fatal("Build did not reset the builder")
		}
	}
}

func TestGraphFromTuplesErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	field := func(name string, typ arrow.DataType) arrow.Field {
		return arrow.Field{Name: name, Type: typ, Nullable: true}
	}
	i64, f64, str := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String
	for _, c := range []struct {
		name   string
		fields []arrow.Field
		want   error
	}{
		{"no n", []arrow.Field{field("c0", i64), field("c1", i64)}, graphkit.ErrTupleSchema},
		{"string id", []arrow.Field{field("c0", str), field("n", f64)}, graphkit.ErrTupleSchema},
		{"string n", []arrow.Field{field("c0", i64), field("n", str)}, graphkit.ErrTupleSchema},
		{"n twice", []arrow.Field{field("n", i64), field("n", f64)}, graphkit.ErrTupleSchema},
	} {
		t.Run(c.name, func(t *testing.T) {
			schema := arrow.NewSchema(c.fields, nil)
			rb := array.NewRecordBuilder(mem, schema)
			rec := rb.NewRecordBatch()
			rb.Release()
			rdr, err := arrowio.NewSliceReader(schema, rec)
			rec.Release()
			if err != nil {
				t.Fatal(err)
			}
			defer rdr.Release()
			if _, err := graphkit.GraphFromTuples(rdr); !errors.Is(err, c.want) {
				t.Fatalf("error %v, want %v", err, c.want)
			}
		})
	}
	for _, n := range []float64{0, -1, math.NaN()} {
		rdr := tupleReader(t, mem, 2, 2, true, []tuple{{[]*int64{id(1), id(2)}, 1}, {[]*int64{id(1), id(3)}, n}})
		_, err := graphkit.GraphFromTuples(rdr)
		rdr.Release()
		if !errors.Is(err, graphkit.ErrInvalidEdge) {
			t.Errorf("n = %v: error %v, want ErrInvalidEdge", n, err)
		}
	}
	// Batches of different widths in one build.
	var b graphkit.TupleBuilder
	r2 := tupleReader(t, mem, 8, 2, false, []tuple{{[]*int64{id(1), id(2)}, 1}})
	r3 := tupleReader(t, mem, 8, 3, false, []tuple{{[]*int64{id(1), id(2), id(3)}, 1}})
	defer r2.Release()
	defer r3.Release()
	if err := b.AddReader(r2); err != nil {
		t.Fatal(err)
	}
	if err := b.AddReader(r3); !errors.Is(err, graphkit.ErrTupleSchema) {
		t.Fatalf("widths 2 then 3: %v, want ErrTupleSchema", err)
	}
	if b.Len() != 0 {
		t.Fatal("a failed AddReader left tuples in the builder")
	}
}

// TestTupleBuilderAddTuple: tuples added one at a time (null slots holding other ids,
// which must be ignored) give the graph of the brute force and of the same tuples as
// batches; a width change and a multiplicity that is not > 0 are refused, leaving the
// builder as it was.
func TestTupleBuilderAddTuple(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const k = 5
	tuples := randomTuples(rng, 3000, k, 400, 7, 3, 4)
	var b graphkit.TupleBuilder
	ids := make([]int64, k)
	for _, tu := range tuples {
		var valid uint64
		for c, x := range tu.ids {
			if x == nil {
				ids[c] = rng.Int64N(1000) // not an id: the slot is null
				continue
			}
			ids[c] = *x
			valid |= 1 << c
		}
		if err := b.AddTuple(ids, valid, tu.n); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.AddTuple(ids[:k-1], 1, 1); !errors.Is(err, graphkit.ErrTupleSchema) {
		t.Errorf("a narrower tuple: %v, want ErrTupleSchema", err)
	}
	for _, n := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		if err := b.AddTuple(ids, 1, n); !errors.Is(err, graphkit.ErrInvalidEdge) {
			t.Errorf("n = %v: %v, want ErrInvalidEdge", n, err)
		}
	}
	if b.Len() != len(tuples) {
		t.Fatalf("%d tuples after the refused ones, want %d", b.Len(), len(tuples))
	}
	got, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	want, err := buildTuples(t, 700, k, false, tuples)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Offsets, want.Offsets) ||
		!slices.Equal(got.Nbrs, want.Nbrs) || !slices.Equal(got.Weights, want.Weights) {
		t.Fatalf("AddTuple's graph (%d vertices, %d edges) differs from AddBatch's (%d, %d)",
			got.NumVertices(), got.NumEdges(), want.NumVertices(), want.NumEdges())
	}
	brute, err := graphkit.FromEdges(bruteTupleEdges(tuples))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Nbrs, brute.Nbrs) || !slices.Equal(got.Weights, brute.Weights) || !slices.Equal(got.IDs, brute.IDs) {
		t.Fatal("AddTuple's graph differs from the brute force")
	}
}
