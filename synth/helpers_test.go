package synth

import (
	"bufio"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// small is the configuration most tests share: one day at scale 0.1 (about 60k
// events), generated once.
var small = Config{Days: 1, Scale: 0.1, Seed: 7}

var (
	smallOnce sync.Once
	smallDir  string
	smallSum  Summary
	smallErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if smallDir != "" {
		os.RemoveAll(filepath.Dir(smallDir))
	}
	os.Exit(code)
}

// smallDataset generates the shared small data set on first use.
func smallDataset(t testing.TB) (string, Summary) {
	t.Helper()
	smallOnce.Do(func() {
		tmp, err := os.MkdirTemp("", "synth-test-")
		if err != nil {
			smallErr = err
			return
		}
		smallDir = filepath.Join(tmp, "out")
		smallSum, smallErr = Generate(context.Background(), smallDir, small)
	})
	if smallErr != nil {
		t.Fatal(smallErr)
	}
	return smallDir, smallSum
}

// readStream returns the lines of dir/name.txt.gz split into fields, read with the
// standard library's gzip (an independent reader of what klauspost wrote).
func readStream(t testing.TB, dir, name string) [][]string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name+".txt.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var lines [][]string
	sc := bufio.NewScanner(zr)
	for sc.Scan() {
		lines = append(lines, strings.Split(sc.Text(), ","))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
