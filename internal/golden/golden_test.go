package golden

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func echo(t *testing.T, c *Case) string {
	switch c.Cmd {
	case "upper":
		return strings.ToUpper(c.Input)
	case "words":
		var out []string
		for k, v := range c.Args {
			out = append(out, k+"="+v)
		}
		slices.Sort(out)
		return strings.Join(out, "\n")
	}
	c.Fatalf(t, "unknown command %s", c.Cmd)
	return ""
}

func TestRun(t *testing.T) { Run(t, "testdata/echo.txt", echo) }

// TestRewrite checks that -rewrite reproduces a file whose outputs are right, and
// replaces wrong outputs, keeping comments and the double-separator form.
func TestRewrite(t *testing.T) {
	want, err := os.ReadFile("testdata/echo.txt")
	if err != nil {
		t.Fatal(err)
	}
	stale := strings.Replace(strings.Replace(string(want), "HELLO\n", "HELO\n", 1), "ONE\n\nTWO", "one", 1)
	stale = strings.Replace(stale, "----\n----\none\n----\n----\n", "----\none\n", 1)
	path := filepath.Join(t.TempDir(), "echo.txt")
	if err := os.WriteFile(path, []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	*rewrite = true
	defer func() { *rewrite = false }()
	Run(t, path, echo)
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	for _, text := range []string{"cmd\nno separator\n", "cmd\n----\n----\nunclosed\n"} {
		if _, err := parse("x.txt", text); err == nil {
			t.Errorf("%q: no error", text)
		}
	}
}
