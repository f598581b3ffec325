package engine

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
	"github.com/lanlq/lanlq/synth"
)

// fixtureEvent is one LANL line: its time and its fields after time, as text.
type fixtureEvent struct {
	time   int64
	fields []string
}

// genFixture makes a small LANL-like data set: values drawn from small pools (so that
// events repeat, inside an interval and across), `?` in every categorical column,
// source = destination now and then, exact duplicate lines, times over about 4 hours.
func genFixture(seed uint64, perStream int) map[string][]fixtureEvent {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(pool ...string) string { return pool[r.IntN(len(pool))] }
	num := func(prefix string, n int) string {
		if r.IntN(15) == 0 {
			return "?"
		}
		return prefix + strconv.Itoa(1+r.IntN(n))
	}
	computer := func() string { return num("C", 25) }
	user := func() string {
		switch r.IntN(8) {
		case 0:
			return "?"
		case 1:
			return computer() + "$@DOM1"
		}
		return "U" + strconv.Itoa(1+r.IntN(20)) + "@" + pick("DOM1", "DOM1", "DOM2")
	}
	port := func() string {
		if r.IntN(2) == 0 {
			return pick("80", "443", "445", "53", "?")
		}
		return num("N", 30)
	}
	pair := func(f func() string) (string, string) {
		a := f()
		if r.IntN(5) == 0 {
			return a, a
		}
		return a, f()
	}
	gen := map[string]func() []string{
		"auth": func() []string {
			us, ud := pair(user)
			cs, cd := pair(computer)
			return []string{us, ud, cs, cd, pick("NTLM", "Kerberos", "Negotiate", "?"),
				pick("Network", "Interactive", "Service", "?"), pick("LogOn", "LogOff", "TGS", "TGT"),
				pick("Success", "Success", "Success", "Fail")}
		},
		"proc": func() []string {
			return []string{user(), computer(), num("P", 15), pick("Start", "End")}
		},
		"flows": func() []string {
			cs, cd := pair(computer)
			ps, pd := pair(port)
			return []string{strconv.Itoa(r.IntN(30)), cs, ps, cd, pd, pick("6", "17", "1"),
				strconv.Itoa(1 + r.IntN(100)), strconv.Itoa(60 + r.IntN(10000))}
		},
		"dns": func() []string {
			cs, cd := pair(computer)
			return []string{cs, cd}
		},
	}
	out := map[string][]fixtureEvent{}
	for _, name := range []string{"auth", "proc", "flows", "dns"} {
		var evs []fixtureEvent
		for len(evs) < perStream {
			ev := fixtureEvent{time: 1 + r.Int64N(4*3600+1200), fields: gen[name]()}
			evs = append(evs, ev)
			if r.IntN(10) == 0 { // an exact duplicate line
				evs = append(evs, ev)
			}
		}
		slices.SortStableFunc(evs, func(a, b fixtureEvent) int { return int(a.time - b.time) })
		out[name] = evs
	}
	return out
}

// fixtureSession writes data as headerless LANL CSV files under t.TempDir() and creates
// views with exactly the schemas of sql/views.sql over them (empty views for streams
// without data), so the edge code sees what it sees over an ingested data directory.
// One DuckDB thread: a fixture of a few thousand rows per stream is one CSV file and
// less than a row group, which DuckDB reads in one pipeline whatever its threads; more
// threads only add their start-up and hand-offs to each of the many small queries of
// the exactness tests (a quarter of their CPU time). The tests over ingested data and
// TestTableFuncEdges (fixtureSessionWith, table functions called from DuckDB's
// threads) keep all CPUs.
func fixtureSession(t testing.TB, data map[string][]fixtureEvent) *Session {
	t.Helper()
	return fixtureSessionWith(t, data, Options{Threads: 1})
}

// fixtureSessionWith is fixtureSession with the session's options.
func fixtureSessionWith(t testing.TB, data map[string][]fixtureEvent, opts Options) *Session {
	t.Helper()
	ctx := context.Background()
	s, err := NewSession(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	dir := t.TempDir()
	for _, st := range lanl.Streams {
		evs := data[st.Name]
		if len(evs) == 0 {
			cols := []string{"CAST(NULL AS BIGINT) AS time", "CAST(NULL AS TIMESTAMP) AS ts"}
			for _, c := range st.Columns {
				cols = append(cols, fmt.Sprintf("CAST(NULL AS %s) AS %s", c.Type, c.Name))
			}
			mustExec(t, s, fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT %s WHERE false", st.Name, strings.Join(cols, ", ")))
			continue
		}
		var b strings.Builder
		for _, ev := range evs {
			fmt.Fprintf(&b, "%d,%s\n", ev.time, strings.Join(ev.fields, ","))
		}
		path := filepath.Join(dir, st.Name+".txt")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		createCSVView(t, s, st, path)
	}
	return s
}

// createCSVView creates the view of stream st over a headerless LANL CSV file. The
// file is read once into a table the view selects from (not a temporary table: the
// session's forks see it too): the edge tests query each interval separately, and a
// view over read_csv would parse the whole file again for every one of them.
func createCSVView(t testing.TB, s *Session, st lanl.Stream, path string) {
	t.Helper()
	types := []string{"'time': 'BIGINT'"}
	names := []string{}
	for _, c := range st.Columns {
		types = append(types, fmt.Sprintf("'%s': '%s'", c.Name, c.Type))
		names = append(names, c.Name)
	}
	mustExec(t, s, fmt.Sprintf(`CREATE OR REPLACE TABLE csv_%s AS
		SELECT time, TIMESTAMP '2015-01-01 00:00:00' + to_seconds(time) AS ts, %s
		FROM read_csv('%s', header = false, delim = ',', quote = '', escape = '', columns = {%s});
		CREATE OR REPLACE VIEW %s AS SELECT * FROM csv_%s`,
		st.Name, strings.Join(names, ", "), readLiteral(path), strings.Join(types, ", "), st.Name, st.Name))
}

func mustExec(t testing.TB, s *Session, q string) {
	t.Helper()
	if err := s.Exec(context.Background(), q); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
}

// edgeKey is an undirected edge between artifact names, lo < hi.
type edgeKey struct {
	interval int64 // seconds since lanl.Origin
	lo, hi   string
}

type edgeSet map[edgeKey]int64

// bruteArtifacts returns an event's artifacts under arch, as the architectures' comments
// define them, written out independently of the SQL.
func bruteArtifacts(arch, stream string, fields []string) []string {
	st, _ := lanl.StreamByName(stream)
	field := map[string]string{}
	for i, c := range st.Columns {
		field[c.Name] = fields[i]
	}
	if arch == ArchNotebook {
		// The notebook literally: every non-numeric column, name column::value.
		var out []string
		for _, c := range st.Columns {
			if c.Type == "VARCHAR" || c.Name == "protocol" {
				out = append(out, c.Name+"::"+field[c.Name])
			}
		}
		return out
	}
	typed := map[string][][2]string{ // stream → (kind, column)
		"auth": {{"user", "userdomain_source"}, {"user", "userdomain_destination"},
			{"computer", "computer_source"}, {"computer", "computer_destination"},
			{"auth_type", "auth"}, {"logon_type", "logon"}},
		"proc":  {{"user", "userdomain_source"}, {"computer", "computer_source"}, {"process", "process"}},
		"flows": {{"computer", "computer_source"}, {"port", "port_source"}, {"computer", "computer_destination"}, {"port", "port_destination"}},
		"dns":   {{"computer", "computer_source"}, {"computer", "computer_destination"}},
	}
	var out []string
	for _, kc := range typed[stream] {
		if v := field[kc[1]]; v != "?" {
			out = append(out, kc[0]+"::"+v)
		}
	}
	if stream == "auth" && field["result"] == "Fail" {
		out = append(out, "auth_result::Fail")
	}
	// Set semantics: an artifact twice in one event counts once.
	slices.Sort(out)
	return slices.Compact(out)
}

// bruteEdges follows the notebook: for each event in [from, to) and each pair of its
// artifacts, weight += 1 in the event's interval; streams summed.
func bruteEdges(arch string, data map[string][]fixtureEvent, streams []string, width, from, to int64) edgeSet {
	out := edgeSet{}
	for _, name := range streams {
		for _, ev := range data[name] {
			if ev.time < from || ev.time >= to {
				continue
			}
			arts := bruteArtifacts(arch, name, ev.fields)
			for i := range arts {
				for j := i + 1; j < len(arts); j++ {
					lo, hi := arts[i], arts[j]
					if lo > hi {
						lo, hi = hi, lo
					}
					out[edgeKey{ev.time / width * width, lo, hi}]++
				}
			}
		}
	}
	return out
}

// dictionary reads artifact_dictionary as id → name.
func dictionary(t testing.TB, s *Session) map[int64]string {
	t.Helper()
	rows, err := s.Query(context.Background(), "SELECT id, name, kind, value FROM artifact_dictionary ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	dict := map[int64]string{}
	prev := ""
	for rows.Next() {
		var id int64
		var name, kind, value string
		if err := rows.Scan(&id, &name, &kind, &value); err != nil {
			t.Fatal(err)
		}
		if name != kind+"::"+value {
			t.Fatalf("dictionary id %d: name %q, kind %q, value %q", id, name, kind, value)
		}
		if id != int64(len(dict)) || (id > 0 && name <= prev) {
			t.Fatalf("dictionary id %d %q is not the rank of its name (previous %q)", id, name, prev)
		}
		dict[id], prev = name, name
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return dict
}

// sqlEdges runs Intervals and IntervalEdges for spec and resolves ids to names,
// checking the Arrow schema, a < b and one row per pair on the way.
func sqlEdges(t testing.TB, s *Session, spec EdgeSpec) edgeSet {
	t.Helper()
	ctx := context.Background()
	starts, err := s.Intervals(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	dict := dictionary(t, s)
	out := edgeSet{}
	for _, start := range starts {
		rdr, err := s.IntervalEdges(ctx, spec, start)
		if err != nil {
			t.Fatal(err)
		}
		if got := rdr.Schema().String(); !strings.Contains(got, "interval_start: type=timestamp") ||
			!strings.Contains(got, "a: type=int64") || !strings.Contains(got, "b: type=int64") || !strings.Contains(got, "weight: type=int64") {
			t.Fatalf("schema %s", got)
		}
		for rdr.Next() {
			rec := rdr.RecordBatch()
			is := rec.Column(0).(*array.Timestamp)
			a, b, w := rec.Column(1).(*array.Int64), rec.Column(2).(*array.Int64), rec.Column(3).(*array.Int64)
			for i := range int(rec.NumRows()) {
				ts := is.Value(i).ToTime(is.DataType().(*arrow.TimestampType).Unit)
				if !ts.Equal(start) {
					t.Fatalf("interval_start %v in the batch of %v", ts, start)
				}
				if a.Value(i) >= b.Value(i) {
					t.Fatalf("edge %d-%d: a >= b", a.Value(i), b.Value(i))
				}
				k := edgeKey{int64(start.Sub(lanl.Origin) / time.Second), dict[a.Value(i)], dict[b.Value(i)]}
				if _, dup := out[k]; dup {
					t.Fatalf("edge %v twice", k)
				}
				out[k] = w.Value(i)
			}
		}
		if err := rdr.Err(); err != nil {
			t.Fatal(err)
		}
		rdr.Release()
	}
	return out
}

func compareEdges(t testing.TB, got, want edgeSet) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("brute force found no edges: the fixture is too small")
	}
	bad := 0
	for _, k := range slices.SortedFunc(maps.Keys(want), cmpEdgeKey) {
		if got[k] != want[k] {
			if bad++; bad <= 5 {
				t.Errorf("edge %v: weight %d, want %d", k, got[k], want[k])
			}
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			if bad++; bad <= 10 {
				t.Errorf("edge %v (weight %d) should not exist", k, got[k])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d edges differ", bad, len(want))
	}
}

func cmpEdgeKey(a, b edgeKey) int {
	if a.interval != b.interval {
		return int(a.interval - b.interval)
	}
	return strings.Compare(a.lo+"\x00"+a.hi, b.lo+"\x00"+b.hi)
}

var allStreams = []string{"auth", "proc", "flows", "dns"}

func TestEdgesExactFixture(t *testing.T) {
	data := genFixture(1, 3000)
	s := fixtureSession(t, data)
	at := func(sec int64) time.Time { return lanl.Origin.Add(time.Duration(sec) * time.Second) }
	cases := []struct {
		name     string
		spec     EdgeSpec
		streams  []string
		from, to int64
	}{
		{"notebook/1h", EdgeSpec{Arch: ArchNotebook}, allStreams, 0, 1 << 40},
		{"notebook/900s/frame", EdgeSpec{Interval: 900 * time.Second, From: at(1000), To: at(9000)}, allStreams, 1000, 9000},
		{"notebook/auth+dns/7m", EdgeSpec{Interval: 7 * time.Minute, Streams: []string{"dns", "auth"}}, []string{"auth", "dns"}, 0, 1 << 40},
		{"entity/1h", EdgeSpec{Arch: ArchEntity}, allStreams, 0, 1 << 40},
		{"entity/900s/frame", EdgeSpec{Arch: ArchEntity, Interval: 900 * time.Second, From: at(3600), To: at(3*3600 + 450)}, allStreams, 3600, 3*3600 + 450},
		{"entity/flows/1h", EdgeSpec{Arch: ArchEntity, Streams: []string{"flows"}}, []string{"flows"}, 0, 1 << 40},
		{"notebook/again", EdgeSpec{}, allStreams, 0, 1 << 40}, // back to notebook in the same session
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			width := int64(c.spec.Interval / time.Second)
			if width == 0 {
				width = 3600
			}
			arch := archName(c.spec.Arch)
			want := bruteEdges(arch, data, c.streams, width, c.from, c.to)
			got := sqlEdges(t, s, c.spec)
			compareEdges(t, got, want)
			t.Logf("%d edges", len(want))
		})
	}
}

// TestEdgesExactRealDNS checks both architectures on one real hour of LANL dns.
func TestEdgesExactRealDNS(t *testing.T) {
	const path = "../../shared/data/lanl-real/dns_excerpt_t766801-770399.txt"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real excerpt: %v", err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var evs []fixtureEvent
	for line := range strings.Lines(string(b)) {
		f := strings.Split(strings.TrimRight(line, "\r\n"), ",")
		tm, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		evs = append(evs, fixtureEvent{tm, f[1:]})
	}
	s := fixtureSession(t, nil)
	st, _ := lanl.StreamByName("dns")
	abs, _ := filepath.Abs(path)
	createCSVView(t, s, st, abs) // read_csv over the excerpt itself
	data := map[string][]fixtureEvent{"dns": evs}
	for _, arch := range []string{ArchNotebook, ArchEntity} {
		for _, width := range []int64{3600, 900} {
			t.Run(fmt.Sprintf("%s/%ds", arch, width), func(t *testing.T) {
				want := bruteEdges(arch, data, []string{"dns"}, width, 0, 1<<40)
				got := sqlEdges(t, s, EdgeSpec{Arch: arch, Interval: time.Duration(width) * time.Second})
				compareEdges(t, got, want)
				t.Logf("%d events, %d edges", len(evs), len(want))
			})
		}
	}
}

func TestEdgesIntervals(t *testing.T) {
	data := genFixture(2, 500)
	s := fixtureSession(t, data)
	spec := EdgeSpec{Interval: 1000 * time.Second, From: lanl.Origin.Add(1500 * time.Second), To: lanl.Origin.Add(9000 * time.Second), Streams: []string{"proc"}}
	got, err := s.Intervals(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	set := map[int64]bool{}
	for _, ev := range data["proc"] {
		if ev.time >= 1500 && ev.time < 9000 {
			set[ev.time/1000*1000] = true
		}
	}
	var want []time.Time
	for _, k := range slices.Sorted(maps.Keys(set)) {
		want = append(want, lanl.Origin.Add(time.Duration(k)*time.Second))
	}
	if !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("intervals %v, want %v", got, want)
	}
	if _, err := s.IntervalEdges(context.Background(), spec, lanl.Origin.Add(1500*time.Second)); !errors.Is(err, ErrEdgeSpec) {
		t.Fatalf("unaligned start: %v, want ErrEdgeSpec", err)
	}
	for _, bad := range []EdgeSpec{
		{Interval: 1500 * time.Millisecond},
		{Interval: -time.Hour},
		{From: lanl.Origin.Add(time.Hour), To: lanl.Origin},
		{Streams: []string{"redteam"}},
	} {
		if _, err := s.Intervals(context.Background(), bad); !errors.Is(err, ErrEdgeSpec) {
			t.Errorf("%+v: %v, want ErrEdgeSpec", bad, err)
		}
	}
}

func TestDictStable(t *testing.T) {
	data := genFixture(3, 1000)
	read := func() map[int64]string {
		s := fixtureSession(t, data)
		// A frame and a stream subset must not change the ids.
		spec := EdgeSpec{Arch: ArchEntity, Streams: []string{"dns"}, From: lanl.Origin.Add(time.Hour), To: lanl.Origin.Add(2 * time.Hour)}
		if err := s.PrepareArtifacts(context.Background(), spec); err != nil {
			t.Fatal(err)
		}
		return dictionary(t, s)
	}
	d1, d2 := read(), read()
	if !maps.Equal(d1, d2) {
		t.Fatal("two sessions over the same data gave different dictionaries")
	}
	// Every artifact of every stream is in it, whatever the spec selected.
	names := map[string]bool{}
	for _, name := range d1 {
		names[name] = true
	}
	for _, st := range allStreams {
		for _, ev := range data[st] {
			for _, a := range bruteArtifacts(ArchEntity, st, ev.fields) {
				if !names[a] {
					t.Fatalf("%s artifact %q missing from the dictionary", st, a)
				}
			}
		}
	}
	if len(names) != len(d1) {
		t.Fatal("duplicate names in the dictionary")
	}
}

// hostsArch is a user's architecture: computers only, typed, unknowns dropped; auth
// also links the source user's domain.
const hostsArch = `
CREATE OR REPLACE TEMP VIEW artifact_columns AS
SELECT * FROM (VALUES
    ('dns',  'host',   'nullif(computer_source, ''?'')'),
    ('dns',  'host',   'nullif(computer_destination, ''?'')'),
    ('auth', 'host',   'nullif(computer_source, ''?'')'),
    ('auth', 'host',   'nullif(computer_destination, ''?'')'),
    ('auth', 'domain', 'nullif(split_part(userdomain_source, ''@'', 2), '''')')
) AS t(stream, kind, expr);`

func TestArchUserFile(t *testing.T) {
	data := genFixture(4, 1500)
	s := fixtureSession(t, data)
	dir := t.TempDir()
	file := filepath.Join(dir, "hosts.sql")
	err := os.WriteFile(file, []byte(hostsArch), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	want := edgeSet{}
	for _, st := range []string{"auth", "dns"} {
		for _, ev := range data[st] {
			hosts := ev.fields[0:2] // dns: computer_source, computer_destination
			if st == "auth" {
				hosts = ev.fields[2:4]
			}
			var arts []string
			for _, c := range hosts {
				if c != "?" {
					arts = append(arts, "host::"+c)
				}
			}
			if st == "auth" {
				if _, dom, ok := strings.Cut(ev.fields[0], "@"); ok && dom != "" {
					arts = append(arts, "domain::"+dom)
				}
			}
			slices.Sort(arts)
			arts = slices.Compact(arts)
			for i := range arts {
				for j := i + 1; j < len(arts); j++ {
					want[edgeKey{ev.time / 3600 * 3600, arts[i], arts[j]}]++
				}
			}
		}
	}
	got := sqlEdges(t, s, EdgeSpec{Arch: file})
	compareEdges(t, got, want)

	for name, text := range map[string]string{
		"noview.sql":   "CREATE TEMP VIEW something_else AS SELECT 1",
		"badcols.sql":  "CREATE TEMP VIEW artifact_columns AS SELECT 'dns' AS stream, 'x' AS kind",
		"badstr.sql":   "CREATE TEMP VIEW artifact_columns AS SELECT 'redteam' AS stream, 'x' AS kind, 'computer_source' AS expr",
		"syntax.sql":   "CREATE TEMP VIEW artifact_columns AS SELEC",
		"badexpr.sql":  "CREATE TEMP VIEW artifact_columns AS SELECT 'dns' AS stream, 'x' AS kind, 'no_such_column' AS expr",
		"notsql.txt":   "",
		"missing.sql/": "",
	} {
		path := filepath.Join(dir, name)
		if text != "" {
			if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		err := s.PrepareArtifacts(context.Background(), EdgeSpec{Arch: path})
		if err == nil || (name != "badexpr.sql" && !errors.Is(err, ErrArch)) {
			t.Errorf("%s: %v, want ErrArch", name, err)
		}
	}
}

func TestEdgesExport(t *testing.T) {
	data := genFixture(5, 1000)
	s := fixtureSession(t, data)
	ctx := context.Background()
	out := filepath.Join(t.TempDir(), "edges")
	spec := EdgeSpec{Arch: ArchEntity, Interval: 30 * time.Minute}
	var calls, total int
	progress := func(done, n int) { calls, total = done, n }
	for range 2 { // the second run replaces the first
		if err := s.ExportEdges(ctx, spec, out, progress); err != nil {
			t.Fatal(err)
		}
	}
	starts, _ := s.Intervals(ctx, spec)
	if calls != len(starts) || total != len(starts) {
		t.Fatalf("progress %d/%d, want %d", calls, total, len(starts))
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Fatalf("export left %d entries beside the output", len(entries))
	}
	// Read it back the way a user would: a plain glob, no options.
	rows, err := s.Query(ctx, fmt.Sprintf(`SELECT typeof(interval_start), typeof(a), typeof(b), typeof(weight),
		epoch(interval_start)::BIGINT, a, b, weight FROM read_parquet('%s/*/*.parquet')`, escapeLiteral(out)))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := edgeSet{}
	for rows.Next() {
		var ti, ta, tb, tw, a, b string
		var sec, w int64
		if err := rows.Scan(&ti, &ta, &tb, &tw, &sec, &a, &b, &w); err != nil {
			t.Fatal(err)
		}
		if ti != "TIMESTAMP" || ta != "VARCHAR" || tb != "VARCHAR" || tw != "BIGINT" {
			t.Fatalf("types %s %s %s %s", ti, ta, tb, tw)
		}
		if a >= b {
			t.Fatalf("a %q >= b %q", a, b)
		}
		got[edgeKey{sec - lanl.Origin.Unix(), a, b}] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	compareEdges(t, got, bruteEdges(ArchEntity, data, allStreams, 1800, 0, 1<<40))

	// A directory holding other files is never replaced.
	other := t.TempDir()
	os.WriteFile(filepath.Join(other, "notes.txt"), []byte("keep"), 0o644)
	if err := s.ExportEdges(ctx, spec, other, nil); !errors.Is(err, ErrOutExists) {
		t.Fatalf("export over a foreign directory: %v, want ErrOutExists", err)
	}
}

// TestEdgesIngestEndToEnd runs raw LANL files through Ingest and Open and checks both
// architectures and the export against the brute force.
func TestEdgesIngestEndToEnd(t *testing.T) {
	ctx := context.Background()
	data := genFixture(6, 2000)
	raw, dir := t.TempDir(), t.TempDir()
	for _, st := range allStreams {
		var b strings.Builder
		for _, ev := range data[st] {
			fmt.Fprintf(&b, "%d,%s\n", ev.time, strings.Join(ev.fields, ","))
		}
		if err := os.WriteFile(filepath.Join(raw, st+".txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: dir}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Interval queries read only the partitions overlapping the interval: widths
	// inside one 1 h partition, across several, unaligned frames.
	cases := []struct {
		arch     string
		width    int64
		from, to int64
	}{
		{ArchNotebook, 1200, 0, 1 << 40},
		{ArchEntity, 1200, 0, 1 << 40},
		{ArchNotebook, 7200, 1500, 9000},
		{ArchEntity, 5400, 3599, 3*3600 + 1},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/%ds/%d-%d", c.arch, c.width, c.from, c.to), func(t *testing.T) {
			spec := EdgeSpec{Arch: c.arch, Interval: time.Duration(c.width) * time.Second,
				From: lanl.Origin.Add(time.Duration(c.from) * time.Second)}
			if c.to < 1<<40 {
				spec.To = lanl.Origin.Add(time.Duration(c.to) * time.Second)
			}
			want := bruteEdges(c.arch, data, allStreams, c.width, c.from, c.to)
			compareEdges(t, sqlEdges(t, s, spec), want)
			compareEdges(t, checkIntervalGraphs(t, s, spec), want)
		})
	}
}

// TestEdgesSourceMatchesView checks that edges_source.sql, which reads an interval's
// partitions directly, gives exactly the rows and schema of the stream's view.
func TestEdgesSourceMatchesView(t *testing.T) {
	ctx := context.Background()
	data := genFixture(8, 1500)
	raw, dir := t.TempDir(), t.TempDir()
	for _, st := range allStreams {
		var b strings.Builder
		for _, ev := range data[st] {
			fmt.Fprintf(&b, "%d,%s\n", ev.time, strings.Join(ev.fields, ","))
		}
		if err := os.WriteFile(filepath.Join(raw, st+".txt"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: dir, Interval: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p, err := s.plan(ctx, EdgeSpec{Interval: 45 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if p.partWidth != 1800 {
		t.Fatalf("partition width %d, want 1800 from the manifest", p.partWidth)
	}
	for _, lo := range []int64{0, 2700, 5400, 3 * 2700} {
		streams, err := p.sources(lo, lo+2700)
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range streams {
			src, _ := strings.CutSuffix(st.Source, " AS "+st.Name)
			if !strings.Contains(src, "read_parquet") {
				t.Fatalf("%s: source %s does not read the partitions", st.Name, src)
			}
			view := fmt.Sprintf("SELECT * FROM %s WHERE time >= %d AND time < %d", st.Name, lo, lo+2700)
			direct := fmt.Sprintf("SELECT * FROM %s WHERE time >= %d AND time < %d", src, lo, lo+2700)
			var diff, n int64
			q := fmt.Sprintf("SELECT (SELECT count(*) FROM (%s EXCEPT ALL %s)) + (SELECT count(*) FROM (%s EXCEPT ALL %s)), (SELECT count(*) FROM (%s))",
				view, direct, direct, view, view)
			if err := s.QueryRow(ctx, q).Scan(&diff, &n); err != nil {
				t.Fatal(err)
			}
			if diff != 0 || n == 0 {
				t.Fatalf("%s [%d, %d): %d rows differ of %d", st.Name, lo, lo+2700, diff, n)
			}
			var vs, ds string
			schema := "SELECT string_agg(column_name || ' ' || column_type, ', ') FROM (DESCRIBE %s)"
			if err := s.QueryRow(ctx, fmt.Sprintf(schema, view)).Scan(&vs); err != nil {
				t.Fatal(err)
			}
			if err := s.QueryRow(ctx, fmt.Sprintf(schema, direct)).Scan(&ds); err != nil {
				t.Fatal(err)
			}
			if vs != ds {
				t.Fatalf("%s: schema %s, view has %s", st.Name, ds, vs)
			}
		}
	}
}

// readLANL reads a (gzipped) LANL file into events.
func readLANL(t testing.TB, path string) []fixtureEvent {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		defer zr.Close()
		r = zr
	}
	var evs []fixtureEvent
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		tm, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		evs = append(evs, fixtureEvent{tm, f[1:]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return evs
}

// TestEdgesExactSynth checks both architectures on synth data (LANL-shaped
// background plus red-team campaigns) through Ingest, over a frame of a few hours at
// 30-minute intervals. Scale 0.1 puts about 15,000 events and 90,000 notebook edges in
// the frame: every stream and every kind of pair, far more than a disagreement needs
// to show.
func TestEdgesExactSynth(t *testing.T) {
	if testing.Short() {
		t.Skip("synth + ingest")
	}
	ctx := context.Background()
	raw, dir, _ := sharedSynth(t, synth.Config{Days: 1, Scale: 0.1, Seed: 7})
	data := map[string][]fixtureEvent{}
	for _, st := range allStreams {
		data[st] = readLANL(t, filepath.Join(raw, st+".txt.gz"))
	}
	s, err := Open(ctx, dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const from, to = 8 * 3600, 12*3600 + 600
	for _, arch := range []string{ArchNotebook, ArchEntity} {
		t.Run(arch, func(t *testing.T) {
			spec := EdgeSpec{Arch: arch, Interval: 30 * time.Minute,
				From: lanl.Origin.Add(from * time.Second), To: lanl.Origin.Add(to * time.Second)}
			want := bruteEdges(arch, data, allStreams, 1800, from, to)
			compareEdges(t, sqlEdges(t, s, spec), want)
			compareEdges(t, checkIntervalGraphs(t, s, spec), want)
			auth := spec
			auth.Streams = []string{"auth"}
			compareEdges(t, checkIntervalGraphs(t, s, auth), bruteEdges(arch, data, auth.Streams, 1800, from, to))
			n := 0
			for _, st := range allStreams {
				for _, ev := range data[st] {
					if ev.time >= from && ev.time < to {
						n++
					}
				}
			}
			t.Logf("%d events, %d edges", n, len(want))
		})
	}
}

// TestEdgesStaleDictionary checks that data added after PrepareArtifacts fails the
// query instead of silently losing the new artifacts' edges.
func TestEdgesStaleDictionary(t *testing.T) {
	ctx := context.Background()
	s := fixtureSession(t, map[string][]fixtureEvent{"dns": {{10, []string{"C1", "C2"}}}})
	spec := EdgeSpec{Streams: []string{"dns"}}
	if err := s.PrepareArtifacts(ctx, spec); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, `CREATE OR REPLACE VIEW dns AS SELECT * FROM (VALUES
		(10::BIGINT, TIMESTAMP '2015-01-01 00:00:10', 'C1', 'C2'),
		(11::BIGINT, TIMESTAMP '2015-01-01 00:00:11', 'C1', 'C3')) AS t(time, ts, computer_source, computer_destination)`)
	rdr, err := s.IntervalEdges(ctx, spec, lanl.Origin)
	if err == nil {
		for rdr.Next() {
		}
		err = rdr.Err()
		rdr.Release()
	}
	if err == nil || !strings.Contains(err.Error(), "computer_destination::C3 is not in artifact_dictionary") {
		t.Fatalf("stale dictionary: %v", err)
	}
	if err := s.PrepareArtifacts(ctx, spec); err != nil {
		t.Fatal(err)
	}
	got := sqlEdges(t, s, spec)
	if len(got) != 2 {
		t.Fatalf("after PrepareArtifacts: %v", got)
	}
}

// checkIntervalGraphs checks, for every interval of spec, that IntervalGraph gives
// exactly the graph graphkit builds from IntervalEdges' edge list (vertex ids, rows,
// neighbours and weights, bit for bit), and returns the edges of those graphs by name.
func checkIntervalGraphs(t testing.TB, s *Session, spec EdgeSpec) edgeSet {
	t.Helper()
	ctx := context.Background()
	starts, err := s.Intervals(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	dict := dictionary(t, s)
	out := edgeSet{}
	for _, start := range starts {
		rdr, err := s.IntervalEdges(ctx, spec, start)
		if err != nil {
			t.Fatal(err)
		}
		want, err := graphkit.GraphFromReader(rdr)
		rdr.Release()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.IntervalGraph(ctx, spec, start, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Offsets, want.Offsets) ||
			!slices.Equal(got.Nbrs, want.Nbrs) || !slices.Equal(got.Weights, want.Weights) {
			t.Fatalf("interval %s: IntervalGraph (%d vertices, %d edges) differs from the SQL edge list's graph (%d vertices, %d edges)",
				start.Format(time.DateTime), got.NumVertices(), got.NumEdges(), want.NumVertices(), want.NumEdges())
		}
		sec := int64(start.Sub(lanl.Origin) / time.Second)
		for v := range got.NumVertices() {
			nbrs, wts := got.Neighbors(v)
			for i, u := range nbrs {
				if int(u) > v {
					out[edgeKey{sec, dict[got.IDs[v]], dict[got.IDs[u]]}] = int64(wts[i])
				}
			}
		}
	}
	return out
}

// TestIntervalGraphExact checks the tuple path against the SQL edge lists and the
// brute force: both architectures, auth alone and all streams, intervals other than 1 h.
func TestIntervalGraphExact(t *testing.T) {
	data := genFixture(9, 3000)
	s := fixtureSession(t, data)
	at := func(sec int64) time.Time { return lanl.Origin.Add(time.Duration(sec) * time.Second) }
	cases := []struct {
		name     string
		spec     EdgeSpec
		streams  []string
		from, to int64
	}{
		{"notebook/auth/1h", EdgeSpec{Streams: []string{"auth"}}, []string{"auth"}, 0, 1 << 40},
		{"notebook/all/1h", EdgeSpec{Arch: ArchNotebook}, allStreams, 0, 1 << 40},
		{"notebook/all/7m", EdgeSpec{Interval: 7 * time.Minute}, allStreams, 0, 1 << 40},
		{"notebook/dns+proc/20m/frame", EdgeSpec{Interval: 20 * time.Minute, Streams: []string{"proc", "dns"}, From: at(1000), To: at(9000)}, []string{"dns", "proc"}, 1000, 9000},
		{"entity/auth/1h", EdgeSpec{Arch: ArchEntity, Streams: []string{"auth"}}, []string{"auth"}, 0, 1 << 40},
		{"entity/all/1h", EdgeSpec{Arch: ArchEntity}, allStreams, 0, 1 << 40},
		{"entity/all/900s/frame", EdgeSpec{Arch: ArchEntity, Interval: 900 * time.Second, From: at(3600), To: at(3*3600 + 450)}, allStreams, 3600, 3*3600 + 450},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			width := int64(c.spec.Interval / time.Second)
			if width == 0 {
				width = 3600
			}
			got := checkIntervalGraphs(t, s, c.spec)
			compareEdges(t, got, bruteEdges(archName(c.spec.Arch), data, c.streams, width, c.from, c.to))
		})
	}
	// An interval whose events make no edge gives an empty graph.
	empty := fixtureSession(t, map[string][]fixtureEvent{"dns": {{10, []string{"C1", "C1"}}}})
	g, err := empty.IntervalGraph(context.Background(), EdgeSpec{Arch: ArchEntity, Streams: []string{"dns"}}, lanl.Origin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.NumVertices() != 0 || g.NumEdges() != 0 {
		t.Fatalf("graph of an event without a pair: %d vertices, %d edges", g.NumVertices(), g.NumEdges())
	}
}

// TestIntervalGraphRealDNS checks the tuple path on the real hour of LANL dns.
func TestIntervalGraphRealDNS(t *testing.T) {
	const path = "../../shared/data/lanl-real/dns_excerpt_t766801-770399.txt"
	if _, err := os.Stat(path); err != nil {
		t.Skipf("real excerpt: %v", err)
	}
	s := fixtureSession(t, nil)
	st, _ := lanl.StreamByName("dns")
	abs, _ := filepath.Abs(path)
	createCSVView(t, s, st, abs)
	data := map[string][]fixtureEvent{"dns": readLANL(t, abs)}
	for _, arch := range []string{ArchNotebook, ArchEntity} {
		for _, width := range []int64{3600, 600} {
			t.Run(fmt.Sprintf("%s/%ds", arch, width), func(t *testing.T) {
				got := checkIntervalGraphs(t, s, EdgeSpec{Arch: arch, Interval: time.Duration(width) * time.Second})
				compareEdges(t, got, bruteEdges(arch, data, []string{"dns"}, width, 0, 1<<40))
			})
		}
	}
}
