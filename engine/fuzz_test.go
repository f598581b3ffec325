package engine

import (
	"strings"
	"testing"
)

// FuzzSplitStatements: lanlq run's statement splitter never panics; each statement is
// non-empty trimmed text of the input, at a line that exists, in order; a statement
// splits again into itself; text with no quotes, comments or dollar signs splits as
// strings.Split at ';' would.
func FuzzSplitStatements(f *testing.F) {
	for _, s := range []string{
		"SELECT 1; SELECT 2;", "SELECT ';'; -- a;b\nSELECT \"x;y\" /* ; */ FROM t;",
		"SELECT $$a;b$$; SELECT $tag$ ; $tag$;", "SELECT E'it\\'s;'; SELECT 'it''s';",
		"/* unterminated", "SELECT 'open", ";;;\n\n;", "CREATE MACRO m(x) AS x + 1;\nSELECT m(2)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		stmts, err := SplitStatements(text)
		if err != nil {
			if lineOf(err) < 1 || lineOf(err) > strings.Count(text, "\n")+1 {
				t.Fatalf("%q: error %v at line %d", text, err, lineOf(err))
			}
			return
		}
		lines := strings.Count(text, "\n") + 1
		prev := 1
		for _, st := range stmts {
			if st.SQL == "" || st.SQL != strings.Trim(st.SQL, sqlBlanks) || !strings.Contains(text, st.SQL) {
				t.Fatalf("%q: statement %q is not trimmed text of the input", text, st.SQL)
			}
			if st.Line < prev || st.Line > lines {
				t.Fatalf("%q: statement %q at line %d (previous %d, %d lines)", text, st.SQL, st.Line, prev, lines)
			}
			prev = st.Line
			again, err := SplitStatements(st.SQL)
			if err != nil || len(again) != 1 || again[0].SQL != st.SQL {
				t.Fatalf("%q: statement %q splits again into %v, %v", text, st.SQL, again, err)
			}
		}
		if !strings.ContainsAny(text, "'\"$-/") {
			var want []string
			for _, p := range strings.Split(text, ";") {
				if p = strings.Trim(p, sqlBlanks); p != "" {
					want = append(want, p)
				}
			}
			if len(want) != len(stmts) {
				t.Fatalf("%q: %d statements, strings.Split gives %d", text, len(stmts), len(want))
			}
			for i := range want {
				if want[i] != stmts[i].SQL {
					t.Fatalf("%q: statement %d is %q, want %q", text, i, stmts[i].SQL, want[i])
				}
			}
		}
	})
}
