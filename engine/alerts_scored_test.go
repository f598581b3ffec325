package engine

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestAlertsWhyBelowTwo checks the line sql/alerts_scored.sql gives a fused row below
// score 2, which carries no explanation string: it names every component the row has
// evidence of, and none it has not (nor the weighted contacts or volume's expectation a
// row below 2 does not store); a row with an explanation keeps it; the artifact name is
// derived from kind and value, which is all the file stores.
func TestAlertsWhyBelowTwo(t *testing.T) {
	ctx := context.Background()
	s, err := NewSession(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	path := filepath.Join(t.TempDir(), "scores.parquet")
	// Four rows: every component's evidence; only switch and spread; an explanation;
	// novelty and volume as a fused row below 2 stores them.
	err = s.Exec(ctx, `COPY (SELECT * FROM (VALUES
		(1, 1.5, NULL, 3::BIGINT, 2.5::FLOAT, 1.0::FLOAT, 9.0::FLOAT, 4.0::FLOAT, 0.5::FLOAT,
		    2::BIGINT, 1.2::FLOAT, 1::BIGINT, 1.1::FLOAT, 4::BIGINT, 0.7::FLOAT, 1.3::FLOAT),
		(2, 1.0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
		    NULL, NULL, 2::BIGINT, 0.9::FLOAT, NULL, NULL, 0.8::FLOAT),
		(3, 3.0, 'novelty 10 (expected 0.02, p=1e-14) drove it', 10::BIGINT, 10.0::FLOAT, 14.0::FLOAT, NULL, NULL, NULL,
		    NULL, NULL, NULL, NULL, NULL, NULL, NULL),
		(4, 1.2, NULL, 5::BIGINT, NULL, 0.6::FLOAT, 7.0::FLOAT, NULL, 0.4::FLOAT,
		    NULL, NULL, NULL, NULL, NULL, NULL, NULL))
		AS t(id, score, explanation, novelty_new_contacts, novelty_value, novelty_surprise, volume_degree,
		     volume_expected, volume_surprise, typed_first_contacts, typed_surprise, switch_new_accounts,
		     switch_surprise, peers_unexplained, peers_surprise, spread_surprise),
		LATERAL (SELECT TIMESTAMP '2015-01-01 00:00:00' AS interval_start, 'user' AS kind, 'U' || id AS value, false AS warmup, 'novelty' AS dominant, false AS new,
		     NULL::INTEGER AS role_before, NULL::INTEGER AS role_after, NULL::DOUBLE AS role_delta,
		     NULL::FLOAT AS role_surprise)
		ORDER BY id) TO '`+escapeLiteral(path)+`' (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	q, err := edgeRender("alerts_scored.sql", struct{ Scores string }{resultLiteral(path)})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.Query(ctx, "SELECT artifact, why FROM ("+q+") ORDER BY artifact")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	want := map[string]struct{ has, hasNot []string }{
		"user::U1": {has: []string{"novelty 3 first contacts", "volume 9", "typed 2 first typed contacts",
			"switch 1 new accounts", "peers 4 contacts no peer made", "spread (p="}, hasNot: []string{"role"}},
		"user::U2": {has: []string{"switch 2 new accounts", "spread (p="}, hasNot: []string{"novelty", "volume", "typed", "peers", "role"}},
		"user::U3": {has: []string{"novelty 10 (expected 0.02, p=1e-14) drove it"}, hasNot: []string{"first contacts"}},
		// Below 2 the file keeps no weighted contacts nor volume's expectation.
		"user::U4": {has: []string{"novelty 5 first contacts (p=", "volume 7 (p="}, hasNot: []string{"weighted", "usual", "role"}},
	}
	n := 0
	for rows.Next() {
		var artifact, why string
		if err := rows.Scan(&artifact, &why); err != nil {
			t.Fatal(err)
		}
		n++
		w := want[artifact]
		for _, h := range w.has {
			if !strings.Contains(why, h) {
				t.Errorf("%s: why %q lacks %q", artifact, why, h)
			}
		}
		for _, h := range w.hasNot {
			if strings.Contains(why, h) {
				t.Errorf("%s: why %q names %q, which the row has no evidence of", artifact, why, h)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(want) {
		t.Errorf("%d rows, want %d", n, len(want))
	}
}
