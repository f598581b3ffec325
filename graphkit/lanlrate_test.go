package graphkit

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gonum.org/v1/gonum/mat"

	"github.com/lanlq/lanlq/arrowio"
)

// The LANL-rate benchmarks below reproduce, without DuckDB, the graphs `lanlq score`
// builds from the engine's edge benchmark data (engine/testdata/edges_bench_gen.sql):
// per hour LANL cyber1's rates (750 k auth, 300 k proc, 95 k flows, 30 k dns events),
// each event a clique over its artifacts as the notebook architecture names them
// (`column::value`, the same name from two streams one vertex), identical events
// collapsed into one tuple with its multiplicity, as the engine's tuple query does.
// Events repeat as in LANL: three in four are one of 400,000 skewed recurring
// "habits", the rest fresh; users and computers are skewed (x³ of a uniform draw). A
// few artifacts (`direction::LogOn`, `result::Success`, `auth::Kerberos`,
// `action::Start`, `protocol::6`, …) touch nearly every event of their stream: these
// are the hubs that make the graphs dense in triangles.
const (
	lanlAuthPerHour  = 750_000
	lanlProcPerHour  = 300_000
	lanlFlowsPerHour = 95_000
	lanlDNSPerHour   = 30_000
)

// lanlWorld names artifacts: one dense id per `column::value`, shared by all hours.
type lanlWorld struct {
	ids map[string]int64
}

func (w *lanlWorld) id(column, value string) int64 {
	name := column + "::" + value
	x, ok := w.ids[name]
	if !ok {
		x = int64(len(w.ids))
		w.ids[name] = x
	}
	return x
}

// lanlHash is the generator's hash of (i, k): splitmix64's finaliser over a mix of both.
func lanlHash(i, k int64) uint64 {
	z := uint64(i)*0x9e3779b97f4a7c15 + uint64(k)*0xbf58476d1ce4e5b9 + 0x94d049bb133111eb
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// lanlU is a uniform draw in [0,1) from (i, k), as lanlq_u in the SQL generator.
func lanlU(i, k int64) float64 { return float64(lanlHash(i, k)%1000003) / 1000003 }

// lanlPick is a skewed draw in [0, n): n·u³.
func lanlPick(i, k, n int64) int64 { return int64(math.Floor(float64(n) * math.Pow(lanlU(i, k), 3))) }

// lanlSeed is the habit behind event i: one of 400,000 recurring ones, or a fresh one.
func lanlSeed(i, k int64) int64 {
	if lanlU(i, k) < 0.75 {
		return lanlPick(i, k+1, 400000)
	}
	return 1000000 + i
}

// lanlTuples collects the distinct tuples of one hour (width 8, unused slots -1).
type lanlTuples map[[8]int64]int64

func (t lanlTuples) add(ids ...int64) {
	var key [8]int64
	for i := range key {
		key[i] = -1
	}
	copy(key[:], ids)
	t[key]++
}

// hour returns the distinct event tuples of hour h of the LANL-rate world, scaled by
// scale (1 = LANL's rates).
func (w *lanlWorld) hour(h int64, scale float64) lanlTuples {
	out := lanlTuples{}
	str := strconv.FormatInt
	nAuth := int64(scale * lanlAuthPerHour)
	for i := h * nAuth; i < (h+1)*nAuth; i++ {
		s := lanlSeed(i, 1)
		var us, ud string
		if lanlU(s, 2) < 0.3 {
			us = "C" + str(lanlPick(s, 3, 17000), 10) + "$@DOM1"
		} else {
			us = "U" + str(lanlPick(s, 4, 12000), 10) + "@DOM1"
		}
		if lanlU(s, 5) < 0.8 {
			ud = us
		} else {
			ud = "U" + str(lanlPick(s, 6, 12000), 10) + "@DOM1"
		}
		cs := "C" + str(lanlPick(s, 7, 17000), 10)
		cd := cs
		if lanlU(s, 8) >= 0.3 {
			cd = "C" + str(lanlPick(s, 9, 3000), 10)
		}
		auth := [...]string{"NTLM", "Kerberos", "Kerberos", "Negotiate", "?"}[lanlPick(s, 10, 5)]
		logon := [...]string{"Network", "Network", "Service", "Batch", "Interactive", "?"}[lanlPick(s, 11, 6)]
		dir := [...]string{"LogOn", "LogOn", "LogOff", "TGS", "TGT", "AuthMap"}[lanlPick(s, 12, 6)]
		result := "Success"
		if lanlU(s, 13) < 0.02 {
			result = "Fail"
		}
		out.add(w.id("userdomain_source", us), w.id("userdomain_destination", ud),
			w.id("computer_source", cs), w.id("computer_destination", cd),
			w.id("auth", auth), w.id("logon", logon), w.id("direction", dir), w.id("result", result))
	}
	nProc := int64(scale * lanlProcPerHour)
	for i := h * nProc; i < (h+1)*nProc; i++ {
		s := lanlSeed(i, 21)
		action := "End"
		if lanlU(s, 5) < 0.5 {
			action = "Start"
		}
		out.add(w.id("userdomain_source", "C"+str(lanlPick(s, 3, 17000), 10)+"$@DOM1"),
			w.id("computer_source", "C"+str(lanlPick(s, 3, 17000), 10)),
			w.id("process", "P"+str(lanlPick(s, 4, 60000), 10)), w.id("action", action))
	}
	nFlows := int64(scale * lanlFlowsPerHour)
	port := func(i, s, k int64, p float64, common []string) string {
		if lanlU(i, k) < p {
			return "N" + str(lanlPick(i, k+1, 100000), 10)
		}
		return common[lanlPick(s, k+2, int64(len(common)))]
	}
	for i := h * nFlows; i < (h+1)*nFlows; i++ {
		s := lanlSeed(i, 41)
		out.add(w.id("computer_source", "C"+str(lanlPick(s, 3, 17000), 10)),
			w.id("port_source", port(i, s, 4, 0.5, []string{"80", "443", "445", "53", "?"})),
			w.id("computer_destination", "C"+str(lanlPick(s, 7, 3000), 10)),
			w.id("port_destination", port(i, s, 8, 0.3, []string{"80", "443", "445", "53", "389"})),
			w.id("protocol", [...]string{"6", "6", "17", "1"}[lanlPick(s, 11, 4)]))
	}
	nDNS := int64(scale * lanlDNSPerHour)
	for i := h * nDNS; i < (h+1)*nDNS; i++ {
		s := lanlSeed(i, 61)
		out.add(w.id("computer_source", "C"+str(lanlPick(s, 3, 17000), 10)),
			w.id("computer_destination", "C"+str(lanlPick(s, 4, 3000), 10)))
	}
	return out
}

// reader returns the tuples as the engine's tuple query gives them: Arrow batches of
// 2048 rows, 8 nullable id columns and the multiplicity.
func (t lanlTuples) reader(tb testing.TB) array.RecordReader {
	tb.Helper()
	var fields []arrow.Field
	for c := range 8 {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("c%d", c), Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	fields = append(fields, arrow.Field{Name: ColMultiplicity, Type: arrow.PrimitiveTypes.Int64})
	schema := arrow.NewSchema(fields, nil)
	rb := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer rb.Release()
	var batches []arrow.RecordBatch
	rows := 0
	flush := func() {
		batches = append(batches, rb.NewRecordBatch())
		rows = 0
	}
	for key, n := range t {
		for c, x := range key {
			if x < 0 {
				rb.Field(c).(*array.Int64Builder).AppendNull()
			} else {
				rb.Field(c).(*array.Int64Builder).Append(x)
			}
		}
		rb.Field(8).(*array.Int64Builder).Append(n)
		if rows++; rows == 2048 {
			flush()
		}
	}
	flush()
	rdr, err := arrowio.NewSliceReader(schema, batches...)
	if err != nil {
		tb.Fatal(err)
	}
	for _, b := range batches {
		b.Release()
	}
	return rdr
}

// graph builds the clique expansion of tuples through TupleBuilder, as the engine does.
func (t lanlTuples) graph(tb testing.TB) *Graph {
	tb.Helper()
	rdr := t.reader(tb)
	defer rdr.Release()
	g, err := GraphFromTuples(rdr)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// BenchmarkLANLRateTuples times TupleBuilder.Build on one LANL-rate hour (see
// lanlWorld, at LANLQ_BENCH_GRAPH_SCALE) with the builder reused, as a scoring run
// holds one, and reports the work buffers it keeps between builds (retained-MB).
//
//	go test -tags duckdb_arrow -run '^$' -bench LANLRateTuples -benchtime 5x ./graphkit/
func BenchmarkLANLRateTuples(b *testing.B) {
	scale := 1.0
	if f, err := strconv.ParseFloat(os.Getenv("LANLQ_BENCH_GRAPH_SCALE"), 64); err == nil && f > 0 {
		scale = f
	}
	w := &lanlWorld{ids: map[string]int64{}}
	hour := w.hour(0, scale)
	var tb TupleBuilder
	edges := 0
	b.ReportAllocs()
	cpu := ProcessCPU()
	for b.Loop() {
		b.StopTimer()
		rdr := hour.reader(b)
		b.StartTimer()
		if err := tb.AddReader(rdr); err != nil {
			b.Fatal(err)
		}
		rdr.Release()
		g, err := tb.Build()
		if err != nil {
			b.Fatal(err)
		}
		edges = g.NumEdges()
	}
	reportCPU(b, cpu)
	b.ReportMetric(float64(len(hour)), "tuples")
	b.ReportMetric(float64(edges), "edges")
	b.ReportMetric(float64(tb.retainedBytes())/(1<<20), "retained-MB")
}

// retainedBytes is the capacity of the builder's work buffers, in bytes.
func (b *TupleBuilder) retainedBytes() int {
	n := 8*(cap(b.ids)+cap(b.valid)+cap(b.n)+cap(b.sorted)+cap(b.items)+cap(b.bstart)+cap(b.bcount)+cap(b.trans)+cap(b.tstart)) + 16*cap(b.rank) +
		4*(cap(b.loc)+cap(b.upCur)+cap(b.lowCur))
	for _, w := range b.workers {
		n += 8*(cap(w.cursor)+cap(w.tmp)+cap(w.hist)+cap(w.rowOff)+cap(w.rowNext)+cap(w.acc)) + 4*cap(w.low)
	}
	return n
}

// lanlRateSetup holds the benchmark graphs: LANLQ_BENCH_GRAPH_HOURS hours (default 4)
// at LANLQ_BENCH_GRAPH_SCALE (default 1) of LANL's rates; the first hours − 1 are the
// training window, the last the interval scored. The feature set and the role basis
// learned on the window are made on first use.
var lanlRateSetup struct {
	graphsOnce, modelOnce sync.Once
	graphs                []*Graph
	fs                    *FeatureSet
	basis                 *mat.Dense
}

func lanlRateGraphs(b *testing.B) []*Graph {
	s := &lanlRateSetup
	s.graphsOnce.Do(func() {
		hours, scale := 4, 1.0
		if h, err := strconv.Atoi(os.Getenv("LANLQ_BENCH_GRAPH_HOURS")); err == nil && h >= 2 {
			hours = h
		}
		if f, err := strconv.ParseFloat(os.Getenv("LANLQ_BENCH_GRAPH_SCALE"), 64); err == nil && f > 0 {
			scale = f
		}
		w := &lanlWorld{ids: map[string]int64{}}
		for h := range int64(hours) {
			s.graphs = append(s.graphs, w.hour(h, scale).graph(b))
		}
	})
	return s.graphs
}

func lanlRateModel(b *testing.B) (*FeatureSet, *mat.Dense) {
	s := &lanlRateSetup
	s.modelOnce.Do(func() {
		train := lanlRateGraphs(b)
		train = train[:len(train)-1]
		fs, err := LearnFeatures(train, RefexConfig{})
		if err != nil {
			b.Fatal(err)
		}
		V, err := fs.ComputeNormalized(train)
		if err != nil {
			b.Fatal(err)
		}
		m, err := FitRoles(V, RolesConfig{}, rand.NewPCG(1, 1))
		if err != nil {
			b.Fatal(err)
		}
		s.fs, s.basis = fs, m.Basis
		b.Logf("%d features, %d roles: %v", fs.NumFeatures(), m.Roles(), fs.Names())
	})
	return s.fs, s.basis
}

// BenchmarkLANLRate times the role features of `lanlq score` on LANL-rate hub-dense
// graphs (see lanlWorld): learning the feature set on the training window (learn), the
// features of one interval (compute; base features alone: base) and its memberships
// against the fitted role basis (project). The graphs, the feature set and the basis
// are setup; each op is one call on the scored interval's graph (learn: on the window).
//
//	go test -tags duckdb_arrow -run '^$' -bench LANLRate -benchtime 3x ./graphkit/
func BenchmarkLANLRate(b *testing.B) {
	graphs := lanlRateGraphs(b)
	g := graphs[len(graphs)-1]
	train := graphs[:len(graphs)-1]
	hubs := 0
	for v := range g.NumVertices() {
		if g.Degree(v) > g.NumVertices()/4 {
			hubs++
		}
	}
	b.Logf("scored graph: %d vertices, %d edges, max degree %d, %d vertices adjacent to over a quarter of all; %d training graphs",
		g.NumVertices(), g.NumEdges(), maxDegree(g), hubs, len(train))
	workers := runtime.GOMAXPROCS(0)
	var X mat.Dense
	b.Run("learn", func(b *testing.B) {
		b.ReportAllocs()
		cpu := ProcessCPU()
		for b.Loop() {
			if _, err := LearnFeatures(train, RefexConfig{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
		b.ReportMetric(float64(b.Elapsed().Seconds())/float64(b.N)/float64(len(train)), "s/hour")
	})
	x := make([]float64, g.NumVertices()*numBase)
	b.Run("base", func(b *testing.B) {
		b.ReportAllocs()
		cpu := ProcessCPU()
		for b.Loop() {
			computeBase(g, x, numBase, [numBase]int{0, 1, 2, 3, 4}, workers)
		}
		reportCPU(b, cpu)
	})
	b.Run("compute", func(b *testing.B) {
		fs, _ := lanlRateModel(b)
		b.ReportAllocs()
		cpu := ProcessCPU()
		for b.Loop() {
			X.Reset()
			if err := fs.Compute(g, &X); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
	b.Run("project", func(b *testing.B) {
		fs, basis := lanlRateModel(b)
		X.Reset()
		if err := fs.Compute(g, &X); err != nil {
			b.Fatal(err)
		}
		fs.Normalize(&X)
		var M mat.Dense
		b.ReportAllocs()
		cpu := ProcessCPU()
		for b.Loop() {
			M.Reset()
			if err := ProjectRoles(&M, &X, basis, NMFConfig{}); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, cpu)
	})
}

// reportCPU reports the process's CPU seconds per op since cpu: on this shared machine
// steadier than wall time (a parallel op uses up to GOMAXPROCS cores).
func reportCPU(b *testing.B, cpu time.Duration) {
	b.ReportMetric((ProcessCPU()-cpu).Seconds()/float64(b.N), "cpu-s/op")
}

// lanlRateTuples returns the Tuples of a lanlTuples hour (as TupleBuilder.CopyTuples
// would hold them).
func (t lanlTuples) tuples() *Tuples {
	out := &Tuples{Width: 8}
	for key, n := range t {
		var mask uint64
		for c, x := range key {
			if x >= 0 {
				mask |= 1 << c
				out.IDs = append(out.IDs, x)
			} else {
				out.IDs = append(out.IDs, 0)
			}
		}
		out.Valid = append(out.Valid, mask)
		out.N = append(out.N, float64(n))
	}
	return out
}

// lanlBenchSpan returns the hours (LANLQ_BENCH_GRAPH_HOURS, default 3) and the scale
// (LANLQ_BENCH_GRAPH_SCALE, default 1) of the LANL-rate benchmarks' world.
func lanlBenchSpan() (hours int, scale float64) {
	hours, scale = 3, 1.0
	if h, err := strconv.Atoi(os.Getenv("LANLQ_BENCH_GRAPH_HOURS")); err == nil && h >= 1 {
		hours = h
	}
	if f, err := strconv.ParseFloat(os.Getenv("LANLQ_BENCH_GRAPH_SCALE"), 64); err == nil && f > 0 {
		scale = f
	}
	return hours, scale
}

// BenchmarkLANLRateScorers times the fused scorers per LANL-rate hour (see lanlWorld;
// LANLQ_BENCH_GRAPH_HOURS hours, default 3, at LANLQ_BENCH_GRAPH_SCALE): each op feeds
// every hour, in order, to a fresh scorer, and s/hour is its time per hour. "default"
// is novelty and volume (lanlq score's default before issue 12); the others are one
// scorer each (spread over novelty's grades, novelty's time not counted).
//
//	go test -tags duckdb_arrow -run '^$' -bench LANLRateScorers -benchtime 2x ./graphkit/
func BenchmarkLANLRateScorers(b *testing.B) {
	hours, scale := lanlBenchSpan()
	w := &lanlWorld{ids: map[string]int64{}}
	var graphs []*Graph
	var tuples []*Tuples
	for h := range int64(hours) {
		t := w.hour(h, scale)
		graphs = append(graphs, t.graph(b))
		tuples = append(tuples, t.tuples())
	}
	kindOf := make([]string, len(w.ids))
	class := make([]Class, len(w.ids))
	for name, id := range w.ids {
		i := strings.Index(name, "::")
		kindOf[id] = name[:i]
		if v := name[i+2:]; v == "?" {
			class[id] = ClassUnknown
		} else if strings.Contains(v, "$") {
			class[id] = ClassMachine
		}
	}
	kinds, err := NewKinds(kindOf)
	if err != nil {
		b.Fatal(err)
	}
	if err := kinds.SetClasses(class, nil); err != nil {
		b.Fatal(err)
	}
	ak, ok := NotebookAuthKinds(kinds)
	if !ok {
		b.Fatal("no auth kinds")
	}
	b.Logf("%d hours, %d vertices and %d tuples in the last", hours, graphs[hours-1].NumVertices(), tuples[hours-1].Len())
	perHour := func(b *testing.B, cpu time.Duration) {
		reportCPU(b, cpu)
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(hours), "s/hour")
	}
	pairs := DefaultNoveltyPairs(kinds)
	b.Run("default", func(b *testing.B) {
		cpu := ProcessCPU()
		for b.Loop() {
			nv, err := NewNovelty(kinds, NoveltyConfig{Pairs: pairs, Graded: true, Counterpart: true})
			if err != nil {
				b.Fatal(err)
			}
			vol, err := NewVolume(kinds, VolumeConfig{History: HistoryConfig{Period: 24}})
			if err != nil {
				b.Fatal(err)
			}
			var e1, e2 []Evidence
			for h, g := range graphs {
				e1 = nv.Update(h, g, e1)
				e2 = vol.Update(h, g, e2)
			}
		}
		perHour(b, cpu)
	})
	b.Run("typed", func(b *testing.B) {
		cpu := ProcessCPU()
		for b.Loop() {
			ty, err := NewTyped(kinds, ak, TypedConfig{})
			if err != nil {
				b.Fatal(err)
			}
			var ev []Evidence
			for h, g := range graphs {
				ev = ty.Update(h, g, tuples[h], ev)
			}
		}
		perHour(b, cpu)
	})
	b.Run("switch", func(b *testing.B) {
		cpu := ProcessCPU()
		for b.Loop() {
			s, err := NewSwitching(kinds, ak, SwitchConfig{})
			if err != nil {
				b.Fatal(err)
			}
			var ev []Evidence
			for h, g := range graphs {
				ev = s.Update(h, g, tuples[h], ev)
			}
		}
		perHour(b, cpu)
	})
	b.Run("peers", func(b *testing.B) {
		cpu := ProcessCPU()
		for b.Loop() {
			p, err := NewPeers(kinds, PeersConfig{Pairs: DefaultPeerPairs(kinds)})
			if err != nil {
				b.Fatal(err)
			}
			var ev []Evidence
			for h, g := range graphs {
				ev = p.Update(h, g, ev)
			}
		}
		perHour(b, cpu)
	})
	b.Run("spread", func(b *testing.B) {
		nv, err := NewNovelty(kinds, NoveltyConfig{Pairs: pairs, Graded: true, Counterpart: true})
		if err != nil {
			b.Fatal(err)
		}
		var grades [][]float32
		var bases [][]float64
		var ev []Evidence
		for h, g := range graphs {
			ev = nv.Update(h, g, ev)
			grades = append(grades, slices.Clone(nv.Grades()))
			base := make([]float64, len(ev))
			for v := range ev {
				base[v] = ev[v].Surprise
			}
			bases = append(bases, base)
		}
		sp, err := NewSpread(kinds, pairs)
		if err != nil {
			b.Fatal(err)
		}
		cpu := ProcessCPU()
		for b.Loop() {
			for h, g := range graphs {
				ev = sp.Update(g, bases[h], grades[h], ev)
			}
		}
		perHour(b, cpu)
	})
}
