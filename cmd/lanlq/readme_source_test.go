package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readmeExample returns the fenced block after the marker <!-- example NAME --> in
// README.md.
func readmeExample(t *testing.T, readme, name string) string {
	t.Helper()
	_, after, ok := strings.Cut(readme, "<!-- example "+name+" -->\n")
	if !ok {
		t.Fatalf("README has no example %s", name)
	}
	_, body, ok := strings.Cut(after, "\n") // the opening fence
	if !ok {
		t.Fatalf("README example %s: no fence", name)
	}
	block, _, ok := strings.Cut(body, "```\n")
	if !ok {
		t.Fatalf("README example %s: no closing fence", name)
	}
	return block
}

// TestReadmeUserSource runs README's user-written source definition (a VPN export)
// exactly as written there: its files, its commands, and the output it shows.
func TestReadmeUserSource(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	dir := t.TempDir()
	for _, name := range []string{"vpn.csv", "vpn.sql"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(readmeExample(t, readme, name)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(dir)
	steps := strings.Split(readmeExample(t, readme, "commands"), "$ ")[1:]
	if len(steps) != 3 {
		t.Fatalf("README's VPN example has %d commands, want ingest and two queries", len(steps))
	}
	for _, step := range steps {
		cmdLine, want, _ := strings.Cut(step, "\n")
		args := shellWords(t, strings.TrimPrefix(cmdLine, "lanlq "))
		got := lanlq(t, args...)
		if args[0] == "ingest" {
			got = got[:strings.LastIndex(got, "done in ")]
		}
		if got != want {
			t.Errorf("lanlq %s printed\n%s\nREADME shows\n%s", cmdLine, got, want)
		}
	}
}

// shellWords splits a command line as a shell would for README's commands: words
// separated by spaces, "double quotes" grouping.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	quoted, inWord := false, false
	for _, r := range line {
		switch {
		case r == '"':
			quoted, inWord = !quoted, true
		case r == ' ' && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unbalanced quotes in %q", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
