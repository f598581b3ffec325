package graphkit

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Tuple batches, as the engine's tuple query (sql/edges.sql, tuples ending) produces
// them, hold the events of one interval collapsed to distinct tuples of artifact ids:
//
//	n              integer or floating   > 0, not null: how many events the tuple stands for
//	every other    INT64, nulls allowed  an artifact id of the tuple (null: none)
//
// Each tuple is a clique over its ids: every pair of columns i < j holding ids a ≠ b
// adds n to the weight of the edge {a,b}, and the graph is the sum over all tuples (of
// all batches). Two columns holding the same id add nothing to each other, but each
// still pairs with the other ids, so a tuple with a repeated id counts its pairs twice:
// the engine nulls repeats so that an event is a set of artifacts. A tuple holds at most
// maxTupleWidth ids.

// ColMultiplicity is the name of the multiplicity column of tuple batches.
const ColMultiplicity = "n"

// maxTupleWidth bounds the id columns of a tuple: a row's null mask is one uint64.
const maxTupleWidth = 64

// TupleBuilder accumulates tuple batches and produces the graph of their clique
// expansion. The zero value is ready to use; after Build it is empty again and its work
// buffers are reused. Graphs returned by Build own their slices.
//
// Build is a parallel radix aggregation straight into CSR. Ids are mapped to local
// vertex indices (a rank bitmap over the id range when it is dense, as in Builder), and
// every pair (u < v) of a tuple becomes one uint64: u and v packed above the tuple's
// multiplicity, so that sorting moves 8 bytes per pair, not a key and a weight. A
// counting pass and a writing pass over the tuples scatter the pairs straight into
// buckets by the high bits of u (each worker owning a slice of the tuples); each
// worker then owns a contiguous range of buckets, splits each by u and sums each u's
// repeated pairs in v order (sorted, or for a hub in a dense accumulator over v), and
// writes the upper halves of its u's rows in order. The lower halves are filled through
// a transpose into buckets by v, each v-bucket's rows small enough for the caches (see
// sortBuckets and layoutUpper for what the direct ways cost). Workers are GOMAXPROCS,
// fewer for small inputs; the result does not depend on their number. When the
// multiplicities are not integers or their total does not fit beside the packed pair,
// Build falls back to Builder (same graph, slower).
type TupleBuilder struct {
	width  int      // id columns per tuple; 0 until the first batch
	ids    []int64  // row-major, width per tuple; null slots hold 0
	valid  []uint64 // per tuple, bit c set when column c holds an id
	n      []float64
	schema *arrow.Schema // the schema cols was resolved for
	cols   tupleColumns

	// Work buffers, reused between builds.
	loc     []int32    // local vertex index per slot of ids (valid slots only)
	rank    []rankWord // dense id → local index
	sorted  []int64    // sparse id mapping: the valid ids, sorted
	items   []uint64   // packed pairs, bucket by bucket
	bstart  []int      // per bucket: its first item (and the end, at nb)
	bcount  []int      // per bucket: its distinct pairs, after the sort
	upCur   []int32    // per vertex: upper degree, then the write cursor of its upper part
	lowCur  []int32    // per vertex: the write cursor of its lower part
	trans   []uint64   // distinct pairs by v-bucket (v >> bs), then by worker
	tstart  []int      // per v-bucket: its first pair in trans (and the end, at nb)
	workers []tupleWorker
	builder Builder // the fallback
}

// tupleWorker is one goroutine's share of a Build.
type tupleWorker struct {
	r0, r1  int      // tuples [r0, r1) in the scatter
	b0, b1  int      // buckets [b0, b1) in the sort and the upper parts
	v0, v1  int      // v-buckets [v0, v1) in the lower parts
	cursor  []int    // per bucket: items of its tuples, then write cursors; then the same per v-bucket
	low     []int32  // per vertex: its lower neighbours from this worker's buckets
	tmp     []uint64 // radix sort scratch: a small bucket, or one u's pairs (fewer than dense)
	hist    []int    // radix sort histograms
	rowOff  []int    // per u of a bucket: where its pairs start
	rowNext []int    // per u of a bucket: the next slot of its row, while splitting
	acc     []uint64 // per vertex: dense sums of one u's pairs, zero between uses
}

// tupleColumns locates the columns of one tuple schema.
type tupleColumns struct {
	idIdx []int
	nIdx  int
}

// Len returns the number of tuples added since the last Build.
func (b *TupleBuilder) Len() int { return len(b.n) }

// Reset empties the builder of its tuples, keeping its buffers.
func (b *TupleBuilder) Reset() { b.reset() }

// reset empties the builder, keeping its buffers.
func (b *TupleBuilder) reset() {
	b.width = 0
	b.ids, b.valid, b.n = b.ids[:0], b.valid[:0], b.n[:0]
	b.builder.reset()
}

// AddReader adds every tuple of rdr to the builder. On error the builder is left empty.
// AddReader does not Release rdr.
func (b *TupleBuilder) AddReader(rdr array.RecordReader) error {
	batch := 0
	for rdr.Next() {
		batch++
		if err := b.AddBatch(rdr.RecordBatch()); err != nil {
			b.reset()
			return fmt.Errorf("%w (tuple batch %d)", err, batch)
		}
	}
	if err := rdr.Err(); err != nil {
		b.reset()
		return fmt.Errorf("graphkit: reading tuple batches: %w", err)
	}
	return nil
}

// AddBatch adds the tuples of rec. Every batch of one Build must have the same number of
// id columns. On error the builder holds what it held before. AddBatch does not keep rec.
func (b *TupleBuilder) AddBatch(rec arrow.RecordBatch) error {
	if s := rec.Schema(); s != b.schema && (b.schema == nil || !s.Equal(b.schema)) {
		cols, err := resolveTupleColumns(s)
		if err != nil {
			return err
		}
		b.schema, b.cols = s, cols
	}
	k := len(b.cols.idIdx)
	if b.width != 0 && b.width != k {
		return fmt.Errorf("%w: %d id columns after %d", ErrTupleSchema, k, b.width)
	}
	rows := int(rec.NumRows())
	if rows == 0 {
		return nil
	}
	nc := rec.Column(b.cols.nIdx)
	if nc.NullN() > 0 {
		for r := range rows {
			if nc.IsNull(r) {
				return fmt.Errorf("%w: null %s in row %d", ErrInvalidEdge, ColMultiplicity, r)
			}
		}
	}
	base := len(b.n)
	b.n = extend(b.n, rows)
	if r, err := copyMultiplicity(b.n[base:], nc); err != nil {
		b.n = b.n[:base]
		return fmt.Errorf("%w in row %d", err, r)
	}
	b.width = k
	b.ids = extend(b.ids, rows*k)
	b.valid = extend(b.valid, rows)
	ids, valid := b.ids[base*k:], b.valid[base:]
	clear(valid)
	for c, idx := range b.cols.idIdx {
		col := rec.Column(idx).(*array.Int64)
		vals := col.Int64Values()
		bit := uint64(1) << c
		if col.NullN() == 0 {
			for r, x := range vals {
				ids[r*k+c] = x
				valid[r] |= bit
			}
			continue
		}
		for r, x := range vals {
			if col.IsValid(r) {
				ids[r*k+c] = x
				valid[r] |= bit
			} else {
				ids[r*k+c] = 0
			}
		}
	}
	return nil
}

// AddTuple adds one tuple of len(ids) columns: ids[c] is column c's id where bit c of
// valid is set (the other slots are ignored), n > 0 how many events it stands for.
// Every tuple of one Build must have the same number of columns, as with AddBatch.
// On error the builder holds what it held before.
func (b *TupleBuilder) AddTuple(ids []int64, valid uint64, n float64) error {
	k := len(ids)
	if k == 0 || k > maxTupleWidth {
		return fmt.Errorf("%w: %d id columns, want 1 to %d", ErrTupleSchema, k, maxTupleWidth)
	}
	if b.width != 0 && b.width != k {
		return fmt.Errorf("%w: %d id columns after %d", ErrTupleSchema, k, b.width)
	}
	if !(n > 0) || math.IsInf(n, 1) {
		return fmt.Errorf("%w: multiplicity %v", ErrInvalidEdge, n)
	}
	if k < 64 {
		valid &= 1<<k - 1
	}
	b.width = k
	base := len(b.n)
	b.n = append(b.n, n)
	b.valid = append(b.valid, valid)
	b.ids = extend(b.ids, k)
	row := b.ids[base*k:]
	for c, x := range ids {
		if valid&(1<<c) != 0 {
			row[c] = x
		} else {
			row[c] = 0
		}
	}
	return nil
}

func resolveTupleColumns(s *arrow.Schema) (tupleColumns, error) {
	c := tupleColumns{nIdx: -1}
	for i, f := range s.Fields() {
		if f.Name == ColMultiplicity {
			if c.nIdx >= 0 {
				return c, fmt.Errorf("%w: column %q appears twice", ErrTupleSchema, ColMultiplicity)
			}
			switch f.Type.ID() {
			case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
				arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
				arrow.FLOAT32, arrow.FLOAT64:
			default:
				return c, fmt.Errorf("%w: column %q has type %v, want an integer or floating-point type", ErrTupleSchema, f.Name, f.Type)
			}
			c.nIdx = i
			continue
		}
		if f.Type.ID() != arrow.INT64 {
			return c, fmt.Errorf("%w: id column %q has type %v, want int64 (cast artifact ids to BIGINT)", ErrTupleSchema, f.Name, f.Type)
		}
		c.idIdx = append(c.idIdx, i)
	}
	if c.nIdx < 0 {
		names := make([]string, s.NumFields())
		for i, f := range s.Fields() {
			names[i] = f.Name
		}
		return c, fmt.Errorf("%w: missing column %q (have %s)", ErrTupleSchema, ColMultiplicity, strings.Join(names, ", "))
	}
	if len(c.idIdx) > maxTupleWidth {
		return c, fmt.Errorf("%w: %d id columns, at most %d", ErrTupleSchema, len(c.idIdx), maxTupleWidth)
	}
	return c, nil
}

// copyMultiplicity converts a multiplicity column into dst, rejecting values that are
// not > 0; on error it returns the bad row.
func copyMultiplicity(dst []float64, col arrow.Array) (int, error) {
	switch a := col.(type) {
	case *array.Float64:
		return convertMultiplicity(dst, a.Float64Values())
	case *array.Int64:
		return convertMultiplicity(dst, a.Int64Values())
	case *array.Int32:
		return convertMultiplicity(dst, a.Int32Values())
	case *array.Int16:
		return convertMultiplicity(dst, a.Int16Values())
	case *array.Int8:
		return convertMultiplicity(dst, a.Int8Values())
	case *array.Uint64:
		return convertMultiplicity(dst, a.Uint64Values())
	case *array.Uint32:
		return convertMultiplicity(dst, a.Uint32Values())
	case *array.Uint16:
		return convertMultiplicity(dst, a.Uint16Values())
	case *array.Uint8:
		return convertMultiplicity(dst, a.Uint8Values())
	case *array.Float32:
		return convertMultiplicity(dst, a.Float32Values())
	default:
		panic(fmt.Sprintf("graphkit: multiplicity column of unchecked type %T", a)) // resolveTupleColumns admits only the types above
	}
}

func convertMultiplicity[W weightValue](dst []float64, src []W) (int, error) {
	bad := false
	for i, x := range src {
		f := float64(x)
		dst[i] = f
		bad = bad || !(f > 0)
	}
	if bad {
		for i, f := range dst[:len(src)] {
			if !(f > 0) {
				return i, fmt.Errorf("%w: multiplicity %v, want > 0", ErrInvalidEdge, f)
			}
		}
	}
	return 0, nil
}

// extend returns s with n more elements (unspecified contents), doubling the capacity
// when it must grow: a tuple set arrives in hundreds of small batches.
func extend[T any](s []T, n int) []T {
	need := len(s) + n
	if need > cap(s) {
		s = slices.Grow(s, max(need, 2*cap(s))-len(s))
	}
	return s[:need]
}

// GraphFromTuples returns the graph of the tuples of rdr (see TupleBuilder). A reader
// without rows gives an empty graph. GraphFromTuples does not Release rdr. It
// allocates its work buffers for this call alone: to reuse them over many readers
// (about 100 MB per LANL-rate hour of auth), keep a TupleBuilder and call
// TupleBuilder.AddReader and TupleBuilder.Build.
func GraphFromTuples(rdr array.RecordReader) (*Graph, error) {
	var b TupleBuilder
	if err := b.AddReader(rdr); err != nil {
		return nil, err
	}
	return b.Build()
}

// minItemsPerWorker keeps small builds on one goroutine: below it, starting and
// joining workers costs more than it saves.
const minItemsPerWorker = 1 << 16

// bucketBits is the number of high bits of u that pick a pair's bucket: 2048 buckets,
// whose write cursors stay in cache during the scatter, and buckets of a few thousand
// pairs at LANL rates, which sort in cache.
const bucketBits = 11

// Build returns the graph of the tuples added so far and resets the builder.
//
// The pairs of every tuple are packed into uint64 items and counted, then written,
// into buckets by their lower end u (1, 2); each bucket is sorted and its copies of a
// pair summed (3); the rows' offsets follow from the degrees (4); the upper parts of
// the rows (neighbours above u) are written bucket by bucket while the pairs move to
// buckets by their upper end v (5), from which the lower parts are written (6). The
// work is split over up to GOMAXPROCS workers; weights that do not pack into an item
// (not integers, or too large) take the general Builder instead.
func (b *TupleBuilder) Build() (*Graph, error) {
	defer b.reset()
	lo, hi, count, total, integral := b.survey()
	if count == 0 {
		return &Graph{IDs: []int64{}, Offsets: make([]int, 1), Nbrs: []int32{}, Weights: []float64{}}, nil
	}
	ids := b.mapIDs(lo, hi, count)
	nv := len(ids)
	vb := uint(bits.Len64(uint64(nv - 1))) // bits of a local index
	wb := 64 - 2*vb                        // bits left for the weight
	if !integral || 2*vb > 62 || total >= math.Ldexp(1, int(wb)) {
		return b.buildFallback()
	}
	bs := uint(0) // u >> bs is a pair's bucket
	if vb > bucketBits {
		bs = vb - bucketBits
	}
	nb := (nv-1)>>bs + 1
	ws := b.startWorkers(nb)

	// 1, 2. Count each worker's pairs per bucket, then write them.
	pos := b.bucketPairs(ws, nb, bs, vb, wb)
	// 3. Sort and sum each bucket; degrees.
	edges := b.sortAll(ws, nb, nv, pos, bs, vb, wb)
	if 2*edges > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %d edges in one graph, at most %d supported", ErrInvalidEdge, edges, math.MaxInt32/2)
	}
	// 4. Offsets and the cursors of every row.
	offsets, tpos := b.rowCursors(ws, nb, nv, bs)
	nbrs := make([]int32, offsets[nv])
	weights := make([]float64, offsets[nv])
	// 5. Rows. Each worker writes the upper parts of its u's (ascending v) and moves its
	// pairs into the v-buckets. Writing the lower parts straight away would scatter
	// over the whole graph, a cache miss per pair (it took longer than everything else
	// together); a v-bucket's rows are a few tens of KB.
	runWorkers(ws, func(w *tupleWorker) { b.layoutUpper(w, vb, wb, bs, nbrs, weights) })
	// 6. Each worker fills the lower parts of a range of v-buckets: within a bucket the
	// pairs come by worker, then ascending u, so every row comes out sorted.
	v := 0
	for w := range ws {
		ws[w].v0 = v
		for want := tpos * (w + 1) / len(ws); v < nb && (b.tstart[v] < want || w == len(ws)-1); v++ {
		}
		ws[w].v1 = v
	}
	runWorkers(ws, func(w *tupleWorker) { b.layoutLower(w, vb, wb, nbrs, weights) })
	return &Graph{IDs: ids, Offsets: offsets, Nbrs: nbrs, Weights: weights}, nil
}

// survey clears the masks of the tuples without two different ids (they add no edge
// and name no vertex) and returns the range and count of the remaining ids, the sum
// of their multiplicities and whether all are integers (so that weights can be
// packed into items).
func (b *TupleBuilder) survey() (lo, hi int64, count int, total float64, integral bool) {
	rows, k := len(b.n), b.width
	integral = true
	for r, m := range b.valid[:rows] {
		if m&(m-1) == 0 { // fewer than two ids
			b.valid[r] = 0
			continue
		}
		row := b.ids[r*k : r*k+k]
		first := row[bits.TrailingZeros64(m)]
		distinct := false
		for x := m & (m - 1); x != 0; x &= x - 1 {
			if row[bits.TrailingZeros64(x)] != first {
				distinct = true
				break
			}
		}
		if !distinct {
			b.valid[r] = 0
			continue
		}
		if count == 0 {
			lo, hi = first, first
		}
		for x := m; x != 0; x &= x - 1 {
			id := row[bits.TrailingZeros64(x)]
			lo, hi = min(lo, id), max(hi, id)
			count++
		}
		n := b.n[r]
		total += n
		integral = integral && n == math.Trunc(n)
	}
	return lo, hi, count, total, integral
}

// startWorkers returns the workers of a build, one per minItemsPerWorker pairs up to
// GOMAXPROCS, each given an equal share of the tuples and empty bucket cursors.
func (b *TupleBuilder) startWorkers(nb int) []tupleWorker {
	rows := len(b.n)
	pairs := 0
	for _, m := range b.valid[:rows] {
		c := bits.OnesCount64(m)
		pairs += c * (c - 1) / 2
	}
	nw := max(1, min(runtime.GOMAXPROCS(0), pairs/minItemsPerWorker))
	if cap(b.workers) < nw {
		b.workers = append(b.workers[:cap(b.workers)], make([]tupleWorker, nw-cap(b.workers))...)
	}
	ws := b.workers[:nw]
	for w := range ws {
		ws[w].r0, ws[w].r1 = rows*w/nw, rows*(w+1)/nw
		ws[w].cursor = grow(ws[w].cursor, nb)
		clear(ws[w].cursor)
	}
	return ws
}

// runWorkers calls f for every worker, on its own goroutine when there are several.
func runWorkers(ws []tupleWorker, f func(w *tupleWorker)) {
	if len(ws) == 1 {
		f(&ws[0])
		return
	}
	var wg sync.WaitGroup
	for w := range ws {
		wg.Go(func() { f(&ws[w]) })
	}
	wg.Wait()
}

// bucketPairs counts each worker's pairs per bucket, lays the buckets out in b.items
// (within a bucket, by worker) and writes the pairs there. It returns the number of
// items.
func (b *TupleBuilder) bucketPairs(ws []tupleWorker, nb int, bs, vb, wb uint) int {
	runWorkers(ws, func(w *tupleWorker) { b.scatter(w, bs, vb, wb, false) })
	b.bstart = grow(b.bstart, nb+1)
	bstart, pos := b.bstart, 0
	for bkt := range nb {
		bstart[bkt] = pos
		for w := range ws {
			c := ws[w].cursor[bkt]
			ws[w].cursor[bkt] = pos
			pos += c
		}
	}
	bstart[nb] = pos
	b.items = grow(b.items, pos)
	runWorkers(ws, func(w *tupleWorker) { b.scatter(w, bs, vb, wb, true) })
	return pos
}

// sortAll sorts and sums every bucket and counts the degrees; it returns the number
// of distinct edges. Buckets are split into contiguous ranges of about equal size, so
// each worker's u's ascend from the previous worker's.
func (b *TupleBuilder) sortAll(ws []tupleWorker, nb, nv, items int, bs, vb, wb uint) int {
	bkt := 0
	for w := range ws {
		ws[w].b0 = bkt
		for want := items * (w + 1) / len(ws); bkt < nb && (b.bstart[bkt] < want || w == len(ws)-1); bkt++ {
		}
		ws[w].b1 = bkt
		ws[w].low = grow(ws[w].low, nv)
		clear(ws[w].low)
	}
	b.upCur = grow(b.upCur, nv)
	clear(b.upCur)
	b.bcount = grow(b.bcount, nb)
	runWorkers(ws, func(w *tupleWorker) { b.sortBuckets(w, nv, vb, wb, bs) })
	edges := 0
	for _, c := range b.bcount[:nb] {
		edges += c
	}
	return edges
}

// rowCursors returns the rows' offsets and sets the write cursors of the lower and
// upper parts of every row. The transpose of step 5 moves each worker's pairs to
// v-buckets (by v >> bs, in worker order within a bucket): it also counts each
// worker's pairs per v-bucket, lays the v-buckets out in b.trans and returns their
// total.
func (b *TupleBuilder) rowCursors(ws []tupleWorker, nb, nv int, bs uint) ([]int, int) {
	offsets := make([]int, nv+1)
	b.lowCur = grow(b.lowCur, nv)
	for w := range ws {
		clear(ws[w].cursor)
	}
	at := int32(0)
	for r := range nv {
		offsets[r] = int(at)
		b.lowCur[r] = at
		for w := range ws {
			c := ws[w].low[r]
			ws[w].cursor[r>>bs] += int(c)
			at += c
		}
		c := b.upCur[r]
		b.upCur[r] = at
		at += c
	}
	offsets[nv] = int(at)
	b.tstart = grow(b.tstart, nb+1)
	tpos := 0
	for bkt := range nb {
		b.tstart[bkt] = tpos
		for w := range ws {
			c := ws[w].cursor[bkt]
			ws[w].cursor[bkt] = tpos
			tpos += c
		}
	}
	b.tstart[nb] = tpos
	b.trans = grow(b.trans, tpos)
	return offsets, tpos
}

// scatter runs over w's tuples and, for every pair of different ids, counts it in its
// bucket's cursor (write false) or writes it there (write true). A pair is packed as
// (u << vb | v) << wb | n, u < v local indices, n the tuple's multiplicity.
func (b *TupleBuilder) scatter(w *tupleWorker, bs, vb, wb uint, write bool) {
	k := b.width
	loc, valid, mult := b.loc, b.valid, b.n
	cursor, items := w.cursor, b.items
	var buf [maxTupleWidth]uint64
	for r := w.r0; r < w.r1; r++ {
		m := valid[r]
		if m == 0 {
			continue
		}
		row := loc[r*k : r*k+k]
		c := 0
		for x := m; x != 0; x &= x - 1 {
			buf[c] = uint64(row[bits.TrailingZeros64(x)])
			c++
		}
		ids := buf[:c]
		if !write {
			for i, a := range ids {
				for _, v := range ids[i+1:] {
					if a != v {
						cursor[min(a, v)>>bs]++
					}
				}
			}
			continue
		}
		n := uint64(mult[r])
		for i, a := range ids {
			for _, v := range ids[i+1:] {
				if a == v {
					continue
				}
				u := min(a, v)
				bkt := u >> bs
				p := cursor[bkt]
				cursor[bkt] = p + 1
				items[p] = (u<<vb|max(a, v))<<wb | n
			}
		}
	}
}

// sortBuckets sums the weights of repeated pairs in each of w's buckets, writing the
// distinct pairs sorted by (u, v) into the first slots of the bucket (b.bcount says how
// many), and counts degrees: the upper ones in b.upCur (w owns its u's), the lower ones
// in w.low. A bucket is first split by u (a counting sort, in place); then each u's
// pairs are sorted by v and summed, or, for a u with many pairs (a hub such as an auth
// type, paired with nearly every event), summed in a dense accumulator over v and read
// out in order, which needs no sort: hubs put half of a LANL hour's pairs into a few
// buckets, too large to sort in cache.
func (b *TupleBuilder) sortBuckets(w *tupleWorker, nv int, vb, wb, bs uint) {
	wmask := uint64(1)<<wb - 1
	vmask := uint64(1)<<vb - 1
	up, low := b.upCur, w.low
	rowsPer := 1 << bs
	dense := max(nv/32, 64) // a u with at least this many pairs is summed densely
	for bkt := w.b0; bkt < w.b1; bkt++ {
		s, e := b.bstart[bkt], b.bstart[bkt+1]
		out := b.items[s:e]
		o := 0
		// emitRun sums the runs of one pair in sorted (which holds one u, or any u's
		// in order) into out; out's write index never passes sorted's read index when
		// sorted aliases out.
		emitRun := func(sorted []uint64) {
			key, sum := sorted[0]>>wb, sorted[0]&wmask
			for _, it := range sorted[1:] {
				if it>>wb == key {
					sum += it & wmask
					continue
				}
				out[o] = key<<wb | sum
				o++
				up[key>>vb]++
				low[key&vmask]++
				key, sum = it>>wb, it&wmask
			}
			out[o] = key<<wb | sum
			o++
			up[key>>vb]++
			low[key&vmask]++
		}
		switch n := e - s; {
		case n == 0:
		case n <= 64 || rowsPer > 1<<12:
			// Small (or a bucket of very many u's, which only a huge graph has): sort
			// the whole bucket.
			var sorted []uint64
			w.tmp = grow(w.tmp, n)
			sorted, w.hist = radixSortBits(out, w.tmp[:n], w.hist, wb, wb+vb+bs)
			emitRun(sorted)
		default:
			// Split by u, in place (an American flag sort: each item swapped straight
			// into its row's next free slot), so that no scratch as large as a bucket is
			// needed: a hub's bucket holds a good part of an hour's pairs.
			w.rowOff = grow(w.rowOff, rowsPer+1)
			w.rowNext = grow(w.rowNext, rowsPer)
			off, next := w.rowOff, w.rowNext
			clear(off)
			shift := wb + vb
			umask := uint64(rowsPer - 1)
			for _, it := range out {
				off[it>>shift&umask+1]++
			}
			for r := range rowsPer {
				off[r+1] += off[r]
			}
			copy(next, off[:rowsPer])
			for r := range rowsPer {
				end := off[r+1]
				for i := next[r]; i < end; i = next[r] {
					it := out[i]
					for d := int(it >> shift & umask); d != r; d = int(it >> shift & umask) {
						j := next[d]
						next[d] = j + 1
						out[j], it = it, out[j]
					}
					out[i] = it
					next[r] = i + 1
				}
			}
			// Each u's row is summed into out at o, never past the row's start lo: the
			// distinct pairs so far are at most the items before it.
			for r := range rowsPer {
				lo, hi := off[r], off[r+1]
				row := out[lo:hi]
				switch m := hi - lo; {
				case m == 0:
				case m >= dense:
					acc := w.acc
					if len(acc) < nv {
						w.acc = make([]uint64, nv)
						acc = w.acc
					}
					for _, it := range row {
						acc[it>>wb&vmask] += it & wmask
					}
					u := row[0] >> shift
					for v, sum := range acc[:nv] {
						if sum == 0 {
							continue
						}
						acc[v] = 0
						out[o] = (u<<vb|uint64(v))<<wb | sum
						o++
						up[u]++
						low[v]++
					}
				case m <= 256:
					slices.Sort(row) // by v (and n): one u
					emitRun(row)
				default:
					// Fewer than dense items: the scratch stays small.
					var sorted []uint64
					w.tmp = grow(w.tmp, m)
					sorted, w.hist = radixSortBits(row, w.tmp[:m], w.hist, wb, wb+vb)
					emitRun(sorted)
				}
			}
		}
		b.bcount[bkt] = o
	}
}

// layoutUpper writes v into the upper part of u's row for every distinct pair (u, v) of
// w's buckets, and copies the pair into its v-bucket of b.trans.
func (b *TupleBuilder) layoutUpper(w *tupleWorker, vb, wb, bs uint, nbrs []int32, weights []float64) {
	wmask := uint64(1)<<wb - 1
	vmask := uint64(1)<<vb - 1
	up, cursor, trans := b.upCur, w.cursor, b.trans
	for bkt := w.b0; bkt < w.b1; bkt++ {
		s := b.bstart[bkt]
		for _, it := range b.items[s : s+b.bcount[bkt]] {
			key := it >> wb
			u, v := int32(key>>vb), key&vmask
			p := up[u]
			up[u] = p + 1
			nbrs[p], weights[p] = int32(v), float64(it&wmask)
			q := cursor[v>>bs]
			cursor[v>>bs] = q + 1
			trans[q] = it
		}
	}
}

// layoutLower writes u into the lower part of v's row for every pair of w's v-buckets.
func (b *TupleBuilder) layoutLower(w *tupleWorker, vb, wb uint, nbrs []int32, weights []float64) {
	wmask := uint64(1)<<wb - 1
	vmask := uint64(1)<<vb - 1
	low := b.lowCur
	for _, it := range b.trans[b.tstart[w.v0]:b.tstart[w.v1]] {
		key := it >> wb
		u, v := int32(key>>vb), key&vmask
		q := low[v]
		low[v] = q + 1
		nbrs[q], weights[q] = u, float64(it&wmask)
	}
}

// radixSortBits sorts items by their bits [lo, hi) (all items agree on the bits above
// hi) with a stable LSD radix sort, tmp as scratch (same length) and hist as the
// histograms' buffer. It returns the sorted slice (items or tmp) and hist, grown if it
// had to.
func radixSortBits(items, tmp []uint64, hist []int, lo, hi uint) ([]uint64, []int) {
	if len(items) < 2 || hi <= lo {
		return items, hist
	}
	if len(items) <= 64 {
		// Insertion sort on the whole value: also sorted by [lo, hi), as the bits
		// above agree. Cheaper than clearing histograms for a few items.
		for i := 1; i < len(items); i++ {
			x := items[i]
			j := i
			for ; j > 0 && items[j-1] > x; j-- {
				items[j] = items[j-1]
			}
			items[j] = x
		}
		return items, hist
	}
	width := hi - lo
	passes := (width + maxDigitBits - 1) / maxDigitBits
	digit := (width + passes - 1) / passes
	buckets := 1 << digit
	mask := uint64(buckets - 1)
	hist = grow(hist, int(passes)*buckets)
	clear(hist)
	for _, it := range items {
		x := it >> lo
		for p := range passes {
			hist[int(p)*buckets+int(x>>(p*digit)&mask)]++
		}
	}
	for p := range passes {
		h := hist[int(p)*buckets : int(p+1)*buckets]
		shift := lo + p*digit
		if h[items[0]>>shift&mask] == len(items) {
			continue
		}
		sum := 0
		for i, c := range h {
			h[i], sum = sum, sum+c
		}
		for _, it := range items {
			d := it >> shift & mask
			j := h[d]
			tmp[j] = it
			h[d] = j + 1
		}
		items, tmp = tmp, items
	}
	return items, hist
}

// mapIDs fills b.loc with the local index of every valid slot and returns the sorted
// distinct ids of those slots (a new slice). lo and hi bound them; count is how many
// slots are valid.
func (b *TupleBuilder) mapIDs(lo, hi int64, count int) []int64 {
	rows, k := len(b.n), b.width
	b.loc = grow(b.loc, rows*k)
	loc := b.loc
	span := uint64(hi) - uint64(lo)
	if span/64 < uint64(4*count)+1<<14 {
		words := int(span/64) + 1
		b.rank = grow(b.rank, words)
		rk := b.rank
		clear(rk)
		for r, m := range b.valid[:rows] {
			row := b.ids[r*k : r*k+k]
			for x := m; x != 0; x &= x - 1 {
				off := uint64(row[bits.TrailingZeros64(x)]) - uint64(lo)
				rk[off>>6].bits |= 1 << (off & 63)
			}
		}
		ids := rankIDs(rk, lo)
		for r, m := range b.valid[:rows] {
			row, lrow := b.ids[r*k:r*k+k], loc[r*k:r*k+k]
			for x := m; x != 0; x &= x - 1 {
				c := bits.TrailingZeros64(x)
				lrow[c] = rankOf(rk, uint64(row[c])-uint64(lo))
			}
		}
		return ids
	}
	// Sparse ids: sort them, then look each up.
	sorted := b.sorted[:0]
	for r, m := range b.valid[:rows] {
		row := b.ids[r*k : r*k+k]
		for x := m; x != 0; x &= x - 1 {
			sorted = append(sorted, row[bits.TrailingZeros64(x)])
		}
	}
	slices.Sort(sorted)
	sorted = slices.Compact(sorted)
	b.sorted = sorted
	for r, m := range b.valid[:rows] {
		row, lrow := b.ids[r*k:r*k+k], loc[r*k:r*k+k]
		for x := m; x != 0; x &= x - 1 {
			c := bits.TrailingZeros64(x)
			i, _ := slices.BinarySearch(sorted, row[c])
			lrow[c] = int32(i)
		}
	}
	return slices.Clone(sorted)
}

// buildFallback expands the tuples into b.builder, for multiplicities that cannot be
// packed beside a pair (not integers, or too large a total).
func (b *TupleBuilder) buildFallback() (*Graph, error) {
	k := b.width
	for r, m := range b.valid[:len(b.n)] {
		row := b.ids[r*k : r*k+k]
		for x := m; x != 0; x &= x - 1 {
			a := row[bits.TrailingZeros64(x)]
			for y := x & (x - 1); y != 0; y &= y - 1 {
				if c := row[bits.TrailingZeros64(y)]; c != a {
					if err := b.builder.Add(a, c, b.n[r]); err != nil {
						return nil, err
					}
				}
			}
		}
	}
	return b.builder.Build()
}
