package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// trickyArch exercises every form the Go tuple source takes: three auth columns of one
// kind (a repeat nulled, NULLs from nullif and from the CASE form, whose value can
// repeat the first column's), mixed case, a literal with a quote, and a kind shared
// across streams.
const trickyArch = `
CREATE OR REPLACE TEMP VIEW artifact_columns AS
SELECT * FROM (VALUES
    ('auth', 'host', 'computer_source'),
    ('auth', 'host', 'NULLIF(computer_destination, ''C3'')'),
    ('auth', 'host', 'CASE WHEN computer_source = ''C7'' THEN computer_source END'),
    ('auth', 'who',  'nullif( userdomain_source ,''U1@DOM1'')'),
    ('auth', 'who',  'nullif(userdomain_destination, ''it''''s'')'),
    ('auth', 'how',  'Logon'),
    ('dns',  'host', 'computer_source'),
    ('dns',  'host', 'nullif(computer_destination, ''?'')'),
    ('proc', 'host', 'case when computer_source = ''C9'' then computer_source end'),
    ('proc', 'proc', 'process')
) AS t(stream, kind, expr);`

// TestGoTuplesMatchSQL holds the Go tuple source to the SQL tuple query (edges.sql,
// tuples ending): for every interval the same multiset of tuples (ids, NULL slots,
// multiplicities), on data ingested in several drops (partitions of several segments,
// late rows, '?'), for the notebook and entity architectures and one that uses every
// expression form, with intervals other than the partitions' and frames that cut
// them. An expression the Go source does not take sends the architecture to the SQL;
// a value missing from the dictionary fails both ways, naming it.
func TestGoTuplesMatchSQL(t *testing.T) {
	if testing.Short() {
		t.Skip("ingest")
	}
	ctx := context.Background()
	raw, data := t.TempDir(), t.TempDir()
	for k, drop := range incrDrops(24000, 1800) {
		applyDrop(t, raw, k, drop)
		if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data, KeepRejects: true, chunkBytes: 4 << 10, segmentBytes: 16 << 10}); err != nil {
			t.Fatalf("drop %d: %v", k, err)
		}
	}
	segments := 0
	parts, _ := filepath.Glob(filepath.Join(data, "auth", "interval_start=*"))
	for _, p := range parts {
		files, _ := filepath.Glob(filepath.Join(p, "*.parquet"))
		segments = max(segments, len(files))
	}
	if segments < 2 {
		t.Fatalf("no auth partition of several files (%d partitions): the case is too weak", len(parts))
	}
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	dir := t.TempDir()
	tricky, other := filepath.Join(dir, "tricky.sql"), filepath.Join(dir, "other.sql")
	if err := os.WriteFile(tricky, []byte(trickyArch), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(other, []byte(strings.Replace(trickyArch, "'Logon'", "'lower(logon)'", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	at := func(sec int64) time.Time { return lanl.Origin.Add(time.Duration(sec) * time.Second) }
	for _, spec := range []EdgeSpec{
		{Arch: ArchNotebook},
		{Arch: ArchEntity, Interval: 30 * time.Minute, From: at(1000), To: at(4*3600 + 77)},
		{Arch: tricky, Interval: 2 * time.Hour},
		{Arch: tricky, Interval: 45 * time.Minute, From: at(3600 + 5), Streams: []string{"auth", "dns"}},
	} {
		t.Run(fmt.Sprintf("%s/%s", filepath.Base(spec.Arch), spec.Interval), func(t *testing.T) {
			p, err := s.plan(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, why := p.goStreams(); why != "" {
				t.Fatalf("the Go source does not take it: %s", why)
			}
			starts, err := s.Intervals(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if len(starts) < 3 {
				t.Fatalf("%d intervals: the case is too small", len(starts))
			}
			var tuples, nulls int
			for _, start := range starts {
				got := tupleMultiset(t, s, spec, start, false)
				want := tupleMultiset(t, s, spec, start, true)
				if len(got) != len(want) {
					t.Fatalf("%s: %d distinct tuples, SQL %d", start.Format(time.DateTime), len(got), len(want))
				}
				for k, n := range want {
					if got[k] != n {
						t.Fatalf("%s: tuple %s %d times, SQL %d", start.Format(time.DateTime), k, got[k], n)
					}
					tuples += n
					nulls += strings.Count(k, "-")
				}
			}
			if tuples == 0 || nulls == 0 {
				t.Fatalf("%d tuples, %d NULL slots: the case is too weak", tuples, nulls)
			}
		})
	}

	// An expression the Go source does not take: the SQL answers.
	p, err := s.plan(ctx, EdgeSpec{Arch: other})
	if err != nil {
		t.Fatal(err)
	}
	if _, why := p.goStreams(); !strings.Contains(why, "lower(logon)") {
		t.Errorf("lower(logon): the Go source would take it (%q)", why)
	}

	// A value missing from the dictionary: both ways fail, naming it.
	spec := EdgeSpec{Arch: tricky}
	if _, err := s.plan(ctx, spec); err != nil {
		t.Fatal(err)
	}
	mustExec(t, s, "DELETE FROM artifact_dictionary WHERE name = 'host::C5'")
	s.goDictionary = nil // the Go maps are read from the table when next needed
	for _, viaSQL := range []bool{false, true} {
		s.sqlTuples = viaSQL
		var b graphkit.TupleBuilder
		err := s.intervalTuples(ctx, spec, lanl.Origin, &b)
		if err == nil || !strings.Contains(err.Error(), "artifact host::C5 is not in artifact_dictionary") {
			t.Errorf("SQL %t: a value missing from the dictionary gave %v", viaSQL, err)
		}
		if b.Len() != 0 {
			t.Errorf("SQL %t: %d tuples left after the error", viaSQL, b.Len())
		}
	}
	s.sqlTuples = false
}

// tupleMultiset returns the tuples of an interval, from the SQL or the Go source, as
// a multiset: "id id - id … ×n" → how many times.
func tupleMultiset(t *testing.T, s *Session, spec EdgeSpec, start time.Time, viaSQL bool) map[string]int {
	t.Helper()
	s.sqlTuples = viaSQL
	defer func() { s.sqlTuples = false }()
	var b graphkit.TupleBuilder
	if err := s.intervalTuples(context.Background(), spec, start, &b); err != nil {
		t.Fatal(err)
	}
	var tu graphkit.Tuples
	b.CopyTuples(&tu)
	out := map[string]int{}
	for r := range tu.Len() {
		var k strings.Builder
		for c := range tu.Width {
			if tu.Valid[r]&(1<<c) != 0 {
				fmt.Fprintf(&k, "%d ", tu.IDs[r*tu.Width+c])
			} else {
				k.WriteString("- ")
			}
		}
		fmt.Fprintf(&k, "×%v", tu.N[r])
		out[k.String()]++
	}
	return out
}
