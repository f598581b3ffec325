package synth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzReadReplay gives the red-team replay reader arbitrary files: it returns an
// error wrapping ErrReplay (a *LineError naming the file and an existing line for a
// bad line) or the file's non-blank lines, sorted by time, within a year.
func FuzzReadReplay(f *testing.F) {
	if real, err := os.ReadFile(filepath.Join("testdata", "redteam.txt")); err == nil {
		f.Add(string(real[:min(len(real), 2000)]))
	}
	for _, s := range []string{"150885,U620@DOM1,C17693,C1003\n", "1,U1@C2,C2,C3\n\n2,U9@DOM1,C1,C1\n",
		"0,U1@DOM1,C1,C2", "1,U1,C1,C2", "1,X1@DOM1,C1,C2", "31622400,U1@DOM1,C1,C2", "", "\n \n",
		"2,U1@DOM1,C1,C2\r\n1,U2@DOM1,C3,C4\r\n"} {
		f.Add(s)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, text string) {
		path := filepath.Join(dir, "redteam.txt")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		lines, err := readReplay(path)
		if err != nil {
			if !errors.Is(err, ErrReplay) {
				t.Fatalf("%q: error %v does not wrap ErrReplay", text, err)
			}
			var le *LineError
			if errors.As(err, &le) && (le.File != path || le.Line < 1 || le.Line > strings.Count(text, "\n")+1) {
				t.Fatalf("%q: line error %+v", text, le)
			}
			return
		}
		n := 0
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) != "" {
				n++
			}
		}
		if len(lines) != n {
			t.Fatalf("%q: %d lines read, %d non-blank", text, len(lines), n)
		}
		for i, l := range lines {
			if l.t < 1 || l.t >= 366*86400 || (i > 0 && l.t < lines[i-1].t) {
				t.Fatalf("%q: line %d at time %d (out of order or range)", text, i, l.t)
			}
		}
	})
}
