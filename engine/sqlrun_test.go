package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestPrompt(t *testing.T) {
	s := openData(t, t.TempDir())
	in := strings.NewReader("SELECT 40 +\n  2 AS answer;\nSELECT * FROM nowhere;\nSELECT count(*) AS n FROM auth;\n.quit\nSELECT 'not run';\n")
	var out, errOut bytes.Buffer
	if err := s.Prompt(context.Background(), in, &out, &errOut, "csv"); err != nil {
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

func TestWriteRowsFormats(t *testing.T) {
	s := openData(t, t.TempDir())
	ctx := context.Background()
	q := `SELECT 1 AS i, 'a,b' AS s, NULL AS n, DATE '2015-01-02' AS d, TIMESTAMP '2015-01-01 01:02:03' AS ts, 0.5 AS f`
	cases := map[string]string{
		"csv":   "i,s,n,d,ts,f\n1,\"a,b\",,2015-01-02,2015-01-01 01:02:03,0.5\n",
		"json":  "[\n  {\"i\": 1, \"s\": \"a,b\", \"n\": null, \"d\": \"2015-01-02\", \"ts\": \"2015-01-01 01:02:03\", \"f\": 0.5}\n]\n",
		"table": "i │ s   │ n    │ d          │ ts                  │ f\n──┼─────┼──────┼────────────┼─────────────────────┼────\n1 │ a,b │ NULL │ 2015-01-02 │ 2015-01-01 01:02:03 │ 0.5\n(1 row)\n",
	}
	for format, want := range cases {
		var b bytes.Buffer
		if err := s.RunSQL(ctx, &b, q, format); err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("%s:\n got %q\nwant %q", format, b.String(), want)
		}
	}
	if err := s.RunSQL(ctx, &bytes.Buffer{}, q, "xml"); err == nil {
		t.Errorf("unknown format accepted")
	}
}
