package engine

import (
	"context"
	"fmt"
	"math/bits"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// The Go tuple source: the tuples of edges.sql's tuple ending, computed in Go from the
// ingest partitions for architectures whose expressions are plain columns of the
// partition files, or one of two simple forms over one (the notebook and entity
// architectures are):
//
//	col                               the column's value
//	nullif(col, 'lit')                NULL where the value is lit
//	CASE WHEN col = 'lit' THEN col END   the value where it is lit, else NULL
//
// Everything else (other expressions, a session over views rather than an ingested
// data folder, tuples wider than goTupleMaxWidth) goes through the SQL. It reads what
// edges_source.sql reads (the interval's partition files of the generation the
// session pinned, rows inside the frame), string columns as dictionary arrays, so each
// row group's dictionary is mapped to artifact ids once through Go maps made from
// artifact_dictionary; identical events (the same raw ids, stream by stream) collapse
// to one tuple with their count, and an id repeated inside an event is then nulled
// after its first occurrence among the columns of its kind, as edges.sql does. A NULL
// value is no artifact; a value missing from the dictionary fails, naming it. The
// tuples are those of the SQL, as a multiset (TestGoTuplesMatchSQL); their order is
// the order of first occurrence in the files, so the same data gives the same order.
//
// On LANL-rate data the SQL's GROUP BY over the string values and its dictionary
// joins were about 70 % of lanlq edges' CPU before this (BENCHMARKS.md, "Artifact
// graphs").

// goTupleMaxWidth is the widest stream the Go source collapses (its key is an array):
// auth's 8 columns in the built-in architectures.
const goTupleMaxWidth = 8

// goColOp is how a Go source column derives its value from the file's column.
type goColOp uint8

const (
	goPlain  goColOp = iota // the value
	goNullIf                // NULL where the value is lit
	goOnly                  // the value where it is lit, else NULL
)

// goCol is one artifact column of a stream for the Go source.
type goCol struct {
	kind  string // as in artifact_dictionary
	field string // the partition file's column
	op    goColOp
	lit   string
	same  []int // earlier columns of the same kind
	// integer: the file's column is an integer one (plain form only); its value is
	// the number's decimal text.
	integer bool
}

// goStream is a selected stream as the Go source reads it.
type goStream struct {
	name string
	cols []goCol
}

var (
	goIdent  = `([A-Za-z_][A-Za-z0-9_]*)`
	goLit    = `'((?:[^']|'')*)'`
	goNullRe = regexp.MustCompile(`(?i)^nullif\s*\(\s*` + goIdent + `\s*,\s*` + goLit + `\s*\)$`)
	goCaseRe = regexp.MustCompile(`(?i)^case\s+when\s+` + goIdent + `\s*=\s*` + goLit + `\s+then\s+` + goIdent + `\s+end$`)
)

// goColumn parses expr over stream st's columns; ok is false when the Go source does
// not take it.
func goColumn(st lanl.Stream, kind, expr string) (goCol, bool) {
	column := func(name string) (lanl.Column, bool) {
		for _, c := range st.Columns {
			// DuckDB folds unquoted identifiers' case.
			if strings.EqualFold(c.Name, name) {
				return c, true
			}
		}
		return lanl.Column{}, false
	}
	field := func(name string) (string, bool) {
		c, ok := column(name)
		return c.Name, ok && c.Type == lanl.Varchar
	}
	expr = strings.TrimSpace(expr)
	if c, ok := column(expr); ok {
		// An integer column's value is its decimal text, as CAST(… AS VARCHAR) gives.
		return goCol{kind: kind, field: c.Name, op: goPlain, integer: c.Type != lanl.Varchar}, true
	}
	if m := goNullRe.FindStringSubmatch(expr); m != nil {
		if f, ok := field(m[1]); ok {
			return goCol{kind: kind, field: f, op: goNullIf, lit: strings.ReplaceAll(m[2], "''", "'")}, true
		}
	}
	if m := goCaseRe.FindStringSubmatch(expr); m != nil && strings.EqualFold(m[1], m[3]) {
		if f, ok := field(m[1]); ok {
			return goCol{kind: kind, field: f, op: goOnly, lit: strings.ReplaceAll(m[2], "''", "'")}, true
		}
	}
	return goCol{}, false
}

// goStreams returns the plan's streams for the Go source, and why not ("" when it
// applies).
func (p *edgePlan) goStreams() ([]goStream, string) {
	if p.partWidth == 0 {
		return nil, "no ingest partitions (views)"
	}
	var out []goStream
	for _, es := range p.streams {
		st, ok := lanl.StreamByName(es.Name)
		if !ok {
			return nil, "stream " + es.Name
		}
		if len(es.Cols) > goTupleMaxWidth {
			return nil, fmt.Sprintf("stream %s has %d columns", es.Name, len(es.Cols))
		}
		gs := goStream{name: es.Name}
		for _, c := range es.Cols {
			gc, ok := goColumn(st, c.rawKind, c.Expr)
			if !ok {
				return nil, fmt.Sprintf("expression %q of stream %s", c.Expr, es.Name)
			}
			gc.same = c.Same
			gs.cols = append(gs.cols, gc)
		}
		out = append(out, gs)
	}
	return out, ""
}

// goDictionary is artifact_dictionary as Go maps: kind → value → id.
type goDictionary struct {
	arch string // the lanlq_arch key it was read for
	ids  map[string]map[string]int32
}

// goDict returns the session's dictionary maps for arch, reading artifact_dictionary
// when the session has none for it (PrepareArtifacts drops them).
func (s *Session) goDict(ctx context.Context, arch string) (*goDictionary, error) {
	if s.goDictionary != nil && s.goDictionary.arch == arch {
		return s.goDictionary, nil
	}
	rdr, err := s.QueryArrow(ctx, "SELECT kind, value, CAST(id AS INTEGER) AS id FROM artifact_dictionary")
	if err != nil {
		return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	defer rdr.Release()
	d := &goDictionary{arch: arch, ids: map[string]map[string]int32{}}
	for rdr.Next() {
		rec := rdr.RecordBatch()
		kinds, ok1 := rec.Column(0).(*array.String)
		values, ok2 := rec.Column(1).(*array.String)
		ids, ok3 := rec.Column(2).(*array.Int32)
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("engine: artifact dictionary: columns %s", rec.Schema())
		}
		for i := range int(rec.NumRows()) {
			if kinds.IsNull(i) || values.IsNull(i) || ids.IsNull(i) {
				return nil, fmt.Errorf("engine: artifact dictionary: a null in row %d", i)
			}
			m := d.ids[kinds.Value(i)]
			if m == nil {
				m = map[string]int32{}
				d.ids[strings.Clone(kinds.Value(i))] = m
			}
			m[strings.Clone(values.Value(i))] = ids.Value(i)
		}
	}
	if err := rdr.Err(); err != nil {
		return nil, fmt.Errorf("engine: artifact dictionary: %w", err)
	}
	s.goDictionary = d
	return d, nil
}

// goTupleKey is an event's raw ids (before repeats are nulled), -1 for NULL, padded.
type goTupleKey [goTupleMaxWidth]int32

// goCollapse counts one stream's distinct events of one interval in an
// open-addressing hash table whose entries hold the key and its count, so that a row
// costs about one cache miss (a Go map of the 32-byte keys cost about three times the
// CPU on LANL-rate data, a table of indices into the keys about twice). order lists
// the keys in order of first occurrence.
type goCollapse struct {
	table []goEntry
	used  int
	order []goTupleKey
	n     []float64 // per key of order, after counts
	// Events wait in pend (their hashes in hashes) and go into the table goBatch at
	// a time: first every slot they start at is read, loads the CPU overlaps, then
	// each is counted. One at a time, a row waited for its slot's cache miss (most of
	// the collapse's CPU at LANL rates: the table outgrows the caches).
	pend   [goBatch]goTupleKey
	hashes [goBatch]uint64
	np     int
	sink   int32
}

// goBatch is how many events goCollapse counts together.
const goBatch = 32

// goEntry is one slot of goCollapse's table: n == 0 marks it empty.
type goEntry struct {
	key goTupleKey
	n   int32 // events counted
	j   int32 // the key's place in order
}

// reset empties c, keeping its buffers.
func (c *goCollapse) reset() {
	clear(c.table)
	c.used, c.np = 0, 0
	c.order, c.n = c.order[:0], c.n[:0]
}

// hash mixes a key's ids.
func (k *goTupleKey) hash() uint64 {
	const m1, m2 = 0x9e3779b97f4a7c15, 0xbf58476d1ce4e5b9
	h := uint64(0)
	for i := 0; i < goTupleMaxWidth; i += 2 {
		x := uint64(uint32(k[i])) | uint64(uint32(k[i+1]))<<32
		h = bits.RotateLeft64((h^x)*m1, 29)
	}
	h ^= h >> 31
	h *= m2
	return h ^ h>>29
}

// add counts one event with raw ids key (call flush to finish).
func (c *goCollapse) add(key *goTupleKey) {
	c.pend[c.np] = *key
	c.np++
	if c.np == goBatch {
		c.flush()
	}
}

// flush counts the pending events.
func (c *goCollapse) flush() {
	for 2*(c.used+c.np) > len(c.table) {
		c.grow()
	}
	mask := uint64(len(c.table) - 1)
	sink := int32(0)
	for k := range c.np {
		h := c.pend[k].hash()
		c.hashes[k] = h
		sink += c.table[h&mask].n
	}
	c.sink += sink
	for k := range c.np {
		c.count(&c.pend[k], c.hashes[k], mask)
	}
	c.np = 0
}

// count counts one event with raw ids key and hash h; the table has room.
func (c *goCollapse) count(key *goTupleKey, h, mask uint64) {
	for i := h & mask; ; i = (i + 1) & mask {
		e := &c.table[i]
		if e.n == 0 {
			*e = goEntry{key: *key, n: 1, j: int32(len(c.order))}
			c.order = append(c.order, *key)
			c.used++
			return
		}
		if e.key == *key {
			e.n++
			return
		}
	}
}

// grow doubles the table (at least 1 << 15 slots) and puts the entries back.
func (c *goCollapse) grow() {
	old := c.table
	c.table = make([]goEntry, max(1<<15, 2*len(old)))
	mask := uint64(len(c.table) - 1)
	for _, e := range old {
		if e.n == 0 {
			continue
		}
		i := e.key.hash() & mask
		for c.table[i].n != 0 {
			i = (i + 1) & mask
		}
		c.table[i] = e
	}
}

// counts fills c.n with the count of each key of c.order.
func (c *goCollapse) counts() {
	c.n = slices.Grow(c.n[:0], len(c.order))[:len(c.order)]
	for _, e := range c.table {
		if e.n != 0 {
			c.n[e.j] = float64(e.n)
		}
	}
}

// goUnknown marks a dictionary entry missing from artifact_dictionary in a column map.
const goUnknown = -2

// goIntervalTuples adds the tuples of the interval starting at start to b through the
// Go source (see above). On error b is left empty.
func (s *Session) goIntervalTuples(ctx context.Context, p *edgePlan, streams []goStream, start time.Time, b *graphkit.TupleBuilder) (err error) {
	defer func() {
		if err != nil {
			b.Reset()
		}
	}()
	off := start.Sub(lanl.Origin)
	if off%time.Second != 0 || int64(off/time.Second)%p.width != 0 {
		return fmt.Errorf("%w: %s is not the start of a %ds interval", ErrEdgeSpec, start.Format(time.DateTime), p.width)
	}
	lo := int64(off / time.Second)
	hi := lo + p.width
	l, h := p.clip(&lo, &hi)
	if *h <= *l {
		return nil
	}
	d, err := s.goDict(ctx, p.arch)
	if err != nil {
		return err
	}
	width := 0
	for _, st := range p.streams {
		width = max(width, len(st.Cols))
	}
	c := &s.goCollapse
	ids := make([]int64, width)
	for _, st := range streams {
		c.reset()
		for k := lanl.FloorDiv(*l, p.partWidth); k*p.partWidth < *h; k++ {
			dir := filepath.Join(p.streamDirs[st.name], lanl.PartitionDir(k*p.partWidth))
			if _, err := os.Stat(dir); err != nil {
				continue
			}
			files, err := globIn(dir, "*.parquet")
			if err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			for _, f := range files {
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := c.addFile(ctx, f, st, d, *l, *h); err != nil {
					return fmt.Errorf("engine: tuples of %s: %w", start.Format(time.DateTime), err)
				}
			}
		}
		c.counts()
		for t, key := range c.order {
			var valid uint64
			for i, col := range st.cols {
				id := key[i]
				if id < 0 {
					continue
				}
				repeat := false
				for _, e := range col.same {
					repeat = repeat || key[e] == id
				}
				if !repeat {
					ids[i] = int64(id)
					valid |= 1 << i
				}
			}
			if err := b.AddTuple(ids, valid, c.n[t]); err != nil {
				return fmt.Errorf("engine: graph of %s: %w", start.Format(time.DateTime), err)
			}
		}
	}
	return nil
}

// addFile counts the events of one partition file with time in [lo, hi).
func (c *goCollapse) addFile(ctx context.Context, path string, st goStream, d *goDictionary, lo, hi int64) (err error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	defer func() {
		if cerr := pf.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("%s: %w", path, cerr)
		}
	}()
	schema := pf.MetaData().Schema
	leaf := func(name string) (int, error) {
		i := schema.ColumnIndexByName(name)
		if i < 0 {
			return 0, fmt.Errorf("%s: no column %s", path, name)
		}
		return i, nil
	}
	// Batches as large as ingest's row groups (122,880 rows).
	props := pqarrow.ArrowReadProperties{BatchSize: 1 << 17}
	tcol, err := leaf("time")
	if err != nil {
		return err
	}
	indices := []int{tcol}
	pos := map[string]int{} // field → its position in indices
	for _, col := range st.cols {
		if _, ok := pos[col.field]; ok {
			continue
		}
		i, err := leaf(col.field)
		if err != nil {
			return err
		}
		if !col.integer {
			props.SetReadDict(i, true)
		}
		pos[col.field] = len(indices)
		indices = append(indices, i)
	}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	maps := make([]goColumnMap, len(st.cols))
	for rg := range pf.NumRowGroups() {
		if err := c.addRowGroup(ctx, fr, rg, indices, pos, st, d, maps, lo, hi); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

// addRowGroup counts the events of row group rg, read one batch at a time (one
// dictionary per string column to map).
func (c *goCollapse) addRowGroup(ctx context.Context, fr *pqarrow.FileReader, rg int, indices []int, pos map[string]int,
	st goStream, d *goDictionary, maps []goColumnMap, lo, hi int64) error {
	rr, err := fr.GetRecordReader(ctx, indices, []int{rg})
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		times, ok := rec.Column(0).(*array.Int64)
		if !ok {
			return fmt.Errorf("time has type %s", rec.Column(0).DataType())
		}
		for i, col := range st.cols {
			if err := maps[i].set(rec.Column(pos[col.field]), col, d); err != nil {
				return err
			}
		}
		if err := c.addRows(times, lo, hi, maps); err != nil {
			return err
		}
	}
	return rr.Err()
}

// goColumnMap maps one batch column's values to artifact ids: a string column's
// dictionary indices through ids, an integer column's rows through rowIDs.
type goColumnMap struct {
	dict    arrow.ArrayData // the dictionary ids was made for
	ids     []int32         // per dictionary entry: the id, -1 (NULL) or goUnknown
	values  *array.String
	indices []int32
	valid   arrow.Array // for nulls; nil when the column has none
	kind    string
	// An integer column: the id of each row of the batch (-1 or goUnknown likewise),
	// its values, and the ids of the values met so far.
	rowIDs []int32
	ints   arrow.Array
	intIDs map[int64]int32
}

// setIntegers points m at integer column a of a batch.
func (m *goColumnMap) setIntegers(a arrow.Array, col goCol, d *goDictionary) error {
	var vals []int64
	switch x := a.(type) {
	case *array.Int64:
		vals = x.Int64Values()
	case *array.Int32:
		vals = make([]int64, x.Len())
		for i, v := range x.Int32Values() {
			vals[i] = int64(v)
		}
	default:
		return fmt.Errorf("column %s has type %s, want an integer", col.field, a.DataType())
	}
	if m.intIDs == nil {
		m.intIDs = map[int64]int32{}
	}
	m.ints, m.kind, m.valid, m.rowIDs = a, col.kind, nil, m.rowIDs[:0]
	if a.NullN() > 0 {
		m.valid = a
	}
	known := d.ids[col.kind]
	for _, v := range vals {
		id, ok := m.intIDs[v]
		if !ok {
			id = goUnknown
			if x, ok := known[strconv.FormatInt(v, 10)]; ok {
				id = x
			}
			m.intIDs[v] = id
		}
		m.rowIDs = append(m.rowIDs, id)
	}
	return nil
}

// value returns the text of row r's value (for errors).
func (m *goColumnMap) value(r int) string {
	if m.ints != nil {
		return m.ints.ValueStr(r)
	}
	return m.values.Value(int(m.indices[r]))
}

// set points m at column a of a batch, mapping its dictionary when it is another.
func (m *goColumnMap) set(a arrow.Array, col goCol, d *goDictionary) error {
	if col.integer {
		return m.setIntegers(a, col, d)
	}
	m.ints = nil
	da, ok := a.(*array.Dictionary)
	if !ok {
		return fmt.Errorf("column %s has type %s, want a dictionary", col.field, a.DataType())
	}
	values, ok := da.Dictionary().(*array.String)
	if !ok {
		return fmt.Errorf("column %s has dictionary type %s, want utf8", col.field, da.Dictionary().DataType())
	}
	idx, ok := da.Indices().(*array.Int32)
	if !ok {
		return fmt.Errorf("column %s has index type %s, want int32", col.field, da.Indices().DataType())
	}
	m.indices, m.valid, m.kind = idx.Int32Values(), nil, col.kind
	if da.NullN() > 0 {
		m.valid = da
	}
	if data := values.Data(); data != m.dict {
		m.dict, m.values = data, values
		m.ids = m.ids[:0]
		known := d.ids[col.kind]
		for i := range values.Len() {
			id := int32(-1)
			if values.IsValid(i) {
				v := values.Value(i)
				switch {
				case col.op == goNullIf && v == col.lit, col.op == goOnly && v != col.lit:
				default:
					if x, ok := known[v]; ok {
						id = x
					} else {
						id = goUnknown
					}
				}
			}
			m.ids = append(m.ids, id)
		}
	}
	return nil
}

// addRows counts the rows of one batch with time in [lo, hi).
func (c *goCollapse) addRows(times *array.Int64, lo, hi int64, maps []goColumnMap) error {
	var key goTupleKey
	for i := range key {
		key[i] = -1
	}
	nullTimes := times.NullN() > 0
	for r, t := range times.Int64Values() {
		if t < lo || t >= hi || (nullTimes && times.IsNull(r)) {
			continue
		}
		for i := range maps {
			m := &maps[i]
			if m.valid != nil && m.valid.IsNull(r) {
				key[i] = -1
				continue
			}
			var id int32
			if m.ints != nil {
				id = m.rowIDs[r]
			} else {
				id = m.ids[m.indices[r]]
			}
			if id == goUnknown {
				return fmt.Errorf("artifact %s::%s is not in artifact_dictionary: the data changed since PrepareArtifacts; call it again", m.kind, m.value(r))
			}
			key[i] = id
		}
		c.add(&key)
	}
	c.flush()
	return nil
}
