package engine

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// tfEdges runs query (which must select epoch seconds, a, b, weight) and collects its
// rows as an edgeSet keyed like bruteEdges'.
func tfEdges(t *testing.T, s *Session, query string) edgeSet {
	t.Helper()
	rows, err := s.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%v\n%s", err, query)
	}
	defer rows.Close()
	got := edgeSet{}
	for rows.Next() {
		var sec, w int64
		var a, b string
		if err := rows.Scan(&sec, &a, &b, &w); err != nil {
			t.Fatal(err)
		}
		if a >= b {
			t.Fatalf("a %q >= b %q", a, b)
		}
		k := edgeKey{sec - Origin.Unix(), a, b}
		if _, dup := got[k]; dup {
			t.Fatalf("edge %v twice", k)
		}
		got[k] = w
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestTableFuncEdges calls lanl_edges from plain SQL and checks it against the brute
// force, for both built-in architectures, a frame, a stream subset, settings from
// getvariable, and a query that projects only some columns.
func TestTableFuncEdges(t *testing.T) {
	data := genFixture(11, 800)
	s := fixtureSession(t, data)
	ctx := context.Background()
	const cols = "epoch(interval_start)::BIGINT, a, b, weight"

	got := tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges('notebook', 3600)")
	compareEdges(t, got, bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 1<<40))

	mustExec(t, s, "SET VARIABLE arch = 'entity'; SET VARIABLE width = 1800")
	got = tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges(getvariable('arch'), getvariable('width'))")
	compareEdges(t, got, bruteEdges(ArchEntity, data, allStreams, 1800, 0, 1<<40))

	got = tfEdges(t, s, `SELECT `+cols+` FROM lanl_edges('entity', 1800,
		TIMESTAMP '2015-01-01 01:10:00', 18000, 'auth, dns')`)
	compareEdges(t, got, bruteEdges(ArchEntity, data, []string{"auth", "dns"}, 1800, 4200, 18000))

	// A bound by name, as text; the other open.
	got = tfEdges(t, s, "SELECT "+cols+" FROM lanl_edges('notebook', 3600, to_ts := '2015-01-01 02:00:00')")
	compareEdges(t, got, bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 7200))

	// Projection: only weight and interval_start (duckdb-go must not be asked for a/b).
	var n, sum int64
	if err := s.QueryRow(ctx, "SELECT count(*), sum(weight) FROM lanl_edges('notebook', 3600)").Scan(&n, &sum); err != nil {
		t.Fatal(err)
	}
	var wantN, wantSum int64
	for _, w := range bruteEdges(ArchNotebook, data, allStreams, 3600, 0, 1<<40) {
		wantN++
		wantSum += w
	}
	if n != wantN || sum != wantSum {
		t.Fatalf("count, sum = %d, %d; want %d, %d", n, sum, wantN, wantSum)
	}

	// A LIMIT stops the scan early; the session goes on working.
	if err := s.QueryRow(ctx, "SELECT count(*) FROM (SELECT * FROM lanl_edges('notebook', 3600) LIMIT 3)").Scan(&n); err != nil || n != 3 {
		t.Fatalf("LIMIT 3: %d, %v", n, err)
	}
	// The function composes with the session's own state: a table it made earlier.
	mustExec(t, s, "CREATE TEMP TABLE e AS SELECT * FROM lanl_edges('entity', 3600)")
	if err := s.QueryRow(ctx, "SELECT count(*) FROM e").Scan(&n); err != nil || n != int64(len(bruteEdges(ArchEntity, data, allStreams, 3600, 0, 1<<40))) {
		t.Fatalf("CREATE TABLE AS: %d rows, %v", n, err)
	}
}

func TestTableFuncEdgesErrors(t *testing.T) {
	s := fixtureSession(t, genFixture(12, 50))
	ctx := context.Background()
	for _, tc := range []struct{ query, want string }{
		{"SELECT * FROM lanl_edges('notebook', 0)", "interval_seconds"},
		{"SELECT * FROM lanl_edges('nosuch', 3600)", "not notebook, entity"},
		{"SELECT * FROM lanl_edges('notebook', 3600, TIMESTAMP '2015-01-02', TIMESTAMP '2015-01-01')", "empty time frame"},
		{"SELECT * FROM lanl_edges('notebook', 3600, streams := 'redteam')", "not in architecture"},
		{"SELECT * FROM lanl_edges('notebook', 3600, 'yesterday')", "neither LANL seconds nor a timestamp"},
	} {
		err := s.Exec(ctx, tc.query)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want it to mention %q", tc.query, err, tc.want)
		}
	}
	// The session still works after the failures.
	var n int64
	if err := s.QueryRow(ctx, "SELECT count(*) FROM lanl_edges('notebook', 3600)").Scan(&n); err != nil || n == 0 {
		t.Fatalf("after errors: %d, %v", n, errors.Unwrap(err))
	}
}
