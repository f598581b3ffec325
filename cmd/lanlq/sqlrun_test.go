package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lanlq/lanlq/engine"
)

// openEmpty opens a session over a data folder without events (the ingest of one
// empty stream file): every view exists, with no rows.
func openEmpty(t *testing.T) *engine.Session {
	t.Helper()
	raw, data := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(raw, "dns.txt"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := engine.Ingest(context.Background(), engine.IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	s, err := engine.Open(context.Background(), data, engine.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPrompt(t *testing.T) {
	s := openEmpty(t)
	in := strings.NewReader("SELECT 40 +\n  2 AS answer;\nSELECT * FROM nowhere;\nSELECT count(*) AS n FROM auth;\n.quit\nSELECT 'not run';\n")
	var out, errOut bytes.Buffer
	if err := prompt(context.Background(), s, in, &out, &errOut, "csv"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "answer\n42\n") {
		t.Errorf("multi-line statement: output %q", out.String())
	}
	if !strings.Contains(errOut.String(), "nowhere") {
		t.Errorf("error not reported: %q", errOut.String())
	}
	if !strings.Contains(out.String(), "n\n0\n") {
		t.Errorf("the prompt stopped after an error: %q", out.String())
	}
	if strings.Contains(out.String(), "not run") {
		t.Errorf(".quit did not stop the prompt")
	}
}

// TestWriteRows checks every output format, and DuckDB's own value types, which reach
// the CLI through engine.PlainValue: a DECIMAL is a JSON number as DuckDB prints it
// (trailing zeros of its scale included); a UUID and an INTERVAL are text.
func TestWriteRows(t *testing.T) {
	s := openEmpty(t)
	ctx := context.Background()
	plain := `SELECT 1 AS i, 'a,b' AS s, NULL AS n, DATE '2015-01-02' AS d, TIMESTAMP '2015-01-01 01:02:03' AS ts, 0.5 AS f`
	duck := `SELECT 12.50::DECIMAL(6,2) AS d, -0.001::DECIMAL(9,3) AS neg, '00000000-0000-0000-0000-000000000001'::UUID AS u, INTERVAL 90 MINUTE AS iv`
	for _, c := range []struct{ query, format, want string }{
		{plain, "csv", "i,s,n,d,ts,f\n1,\"a,b\",,2015-01-02,2015-01-01 01:02:03,0.5\n"},
		{plain, "json", "[\n  {\"i\": 1, \"s\": \"a,b\", \"n\": null, \"d\": \"2015-01-02\", \"ts\": \"2015-01-01 01:02:03\", \"f\": 0.5}\n]\n"},
		{plain, "table", "i │ s   │ n    │ d          │ ts                  │ f\n──┼─────┼──────┼────────────┼─────────────────────┼────\n1 │ a,b │ NULL │ 2015-01-02 │ 2015-01-01 01:02:03 │ 0.5\n(1 row)\n"},
		{duck, "csv", "d,neg,u,iv\n12.50,-0.001,00000000-0000-0000-0000-000000000001,01:30:00\n"},
		{duck, "json", "[\n  {\"d\": 12.50, \"neg\": -0.001, \"u\": \"00000000-0000-0000-0000-000000000001\", \"iv\": \"01:30:00\"}\n]\n"},
	} {
		var b bytes.Buffer
		if err := runSQL(ctx, s, &b, c.query, c.format); err != nil {
			t.Fatal(err)
		}
		if b.String() != c.want {
			t.Errorf("%s %s:\n got %q\nwant %q", c.format, c.query, b.String(), c.want)
		}
	}
	if err := runSQL(ctx, s, &bytes.Buffer{}, plain, "xml"); err == nil {
		t.Errorf("unknown format accepted")
	}
}
