// Package golden runs data-driven golden tests in the style of cockroachdb/pebble's
// datadriven: a testdata file holds cases, each a command line, optional input lines,
// a "----" separator and the expected output. A test's function computes the output of
// each case; a difference fails the test, and `go test -rewrite` writes the outputs
// into the file instead, so a change of output is reviewed as a diff of testdata.
//
//	# comments and blank lines between cases are kept
//	edges arch=notebook streams=auth,dns
//	optional input
//	----
//	expected output (ends at a blank line)
//
// An expected output that holds blank lines is written between double separators:
//
//	cmd
//	----
//	----
//	output with
//
//	blank lines
//	----
//	----
package golden

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected outputs of golden testdata files")

// Case is one case of a testdata file.
type Case struct {
	// Pos is file:line of the command, for messages.
	Pos string
	// Cmd is the command's first word; Args its key=value words (a bare word is a
	// key with the value "").
	Cmd  string
	Args map[string]string
	// Input is the lines between the command and the separator.
	Input string
}

// Arg returns the value of key, or def when the case does not give it.
func (c *Case) Arg(key, def string) string {
	if v, ok := c.Args[key]; ok {
		return v
	}
	return def
}

// Fatalf stops the test with a message naming the case.
func (c *Case) Fatalf(t testing.TB, format string, a ...any) {
	t.Helper()
	t.Fatalf("%s: %s", c.Pos, fmt.Sprintf(format, a...))
}

// Run reads the testdata file at path and checks fn's output of every case against
// the expected output, or with -rewrite replaces the expected outputs by fn's.
func Run(t *testing.T, path string, fn func(t *testing.T, c *Case) string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parse(path, string(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, b := range blocks {
		out.WriteString(b.before)
		if b.c == nil {
			continue
		}
		got := fn(t, b.c)
		if t.Failed() {
			return
		}
		if !strings.HasSuffix(got, "\n") && got != "" {
			got += "\n"
		}
		if !*rewrite && got != b.want {
			t.Errorf("%s: %s\n--- got:\n%s--- want:\n%s", b.c.Pos, b.c.Cmd, got, b.want)
		}
		out.WriteString(b.head)
		if strings.Contains(got, "\n\n") || strings.HasPrefix(got, "\n") {
			out.WriteString("----\n----\n" + got + "----\n----\n")
		} else {
			out.WriteString("----\n" + got)
		}
	}
	if *rewrite {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// block is a case with the text before it (comments, blank lines) and its head (the
// command and input lines); a last block may hold only text.
type block struct {
	before, head string
	c            *Case
	want         string
}

func parse(path, text string) ([]block, error) {
	lines := strings.SplitAfter(text, "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	var blocks []block
	var before strings.Builder
	for i := 0; i < len(lines); {
		line := strings.TrimRight(lines[i], "\n")
		if t := strings.TrimSpace(line); t == "" || strings.HasPrefix(t, "#") {
			before.WriteString(lines[i])
			i++
			continue
		}
		b := block{before: before.String()}
		before.Reset()
		c := &Case{Pos: fmt.Sprintf("%s:%d", path, i+1), Args: map[string]string{}}
		fields := strings.Fields(line)
		c.Cmd = fields[0]
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(f, "=")
			c.Args[k] = v
		}
		head := lines[i]
		i++
		var input strings.Builder
		for i < len(lines) && strings.TrimRight(lines[i], "\n") != "----" {
			input.WriteString(lines[i])
			head += lines[i]
			i++
		}
		if i == len(lines) {
			return nil, fmt.Errorf("%s: no ---- after the command", c.Pos)
		}
		i++ // the separator
		c.Input = input.String()
		var want strings.Builder
		if i < len(lines) && strings.TrimRight(lines[i], "\n") == "----" {
			// Double separators: the output runs to the next "----\n----".
			i++
			for ; ; i++ {
				if i+1 >= len(lines) {
					return nil, fmt.Errorf("%s: no closing ----/---- after the output", c.Pos)
				}
				if strings.TrimRight(lines[i], "\n") == "----" && strings.TrimRight(lines[i+1], "\n") == "----" {
					i += 2
					break
				}
				want.WriteString(lines[i])
			}
		} else {
			for i < len(lines) && strings.TrimSpace(lines[i]) != "" {
				want.WriteString(lines[i])
				i++
			}
		}
		b.c, b.head, b.want = c, head, want.String()
		blocks = append(blocks, b)
	}
	if before.Len() > 0 {
		blocks = append(blocks, block{before: before.String()})
	}
	return blocks, nil
}
