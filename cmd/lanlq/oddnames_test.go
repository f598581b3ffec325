package main

import (
	"crypto/sha256"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lanlq/lanlq/engine"
)

// TestOddFolderNames runs every command that reads or writes through DuckDB (ingest,
// sql, score, eval, explain, top, edges, plot) with data and output folders whose
// name holds a space, both quotes and every glob metacharacter at once: d*?[X] 'a"]ta.
// Beside it lie three decoys holding other data and results, each matched as a glob
// by that name when one kind of metacharacter is left unescaped (* by dZZ?[X] 'a"]ta,
// ? by d*Q[X] 'a"]ta, [X] by d*?X 'a"]ta): a path not escaped reads a decoy's files.
// Every command must give what it gives in a plain-named folder: the same rows, the
// same files, the same text once the folder's path is replaced by a placeholder.
// One odd folder with every kind of character (rather than a folder per kind) keeps
// the test to three pipeline runs; the decoys are copies of one run.
func TestOddFolderNames(t *testing.T) {
	took := regexp.MustCompile(`\([0-9.]+[mµn]?s\)`)
	base := t.TempDir()
	raw, decoyRaw := filepath.Join(base, "raw"), filepath.Join(base, "decoy-raw")
	lanlq(t, "synth", "--out", raw, "--days", "2", "--scale", "0.01", "--seed", "11")
	lanlq(t, "synth", "--out", decoyRaw, "--days", "2", "--scale", "0.005", "--seed", "12")
	run := func(name, raw string) (texts map[string]string, files map[string][32]byte) {
		dir := filepath.Join(base, name)
		data, out, edges := filepath.Join(dir, "data"), filepath.Join(dir, "out"), filepath.Join(dir, "edges")
		scores := filepath.Join(out, "scores.parquet")
		texts = map[string]string{}
		// The folder's path, and the time a command took, differ between runs.
		clean := func(s string) string { return took.ReplaceAllString(strings.ReplaceAll(s, dir, "DIR"), "(TOOK)") }
		// Errors are part of what is compared (the decoy's explain may find nothing).
		step := func(key string, args ...string) {
			out, _, err := lanlqRun(args...)
			texts[key] = clean(out)
			if err != nil {
				texts[key] += "ERROR " + clean(err.Error())
			}
		}
		if _, _, err := lanlqRun("ingest", "--raw", raw, "--data", data); err != nil {
			t.Fatalf("%s: ingest: %v", name, err)
		}
		step("sql", "sql", "--data", data, "--format", "csv", "-c",
			"SELECT (SELECT count(*) FROM auth), (SELECT count(*) FROM proc), (SELECT count(*) FROM flows), "+
				"(SELECT count(*) FROM dns), (SELECT count(*) FROM redteam), (SELECT count(*) FROM rejects)")
		if _, _, err := lanlqRun("score", "--data", data, "--out", out, "--roles", "2", "--generations", "-1",
			"--train-to", "2015-01-01 06:00:00"); err != nil {
			t.Fatalf("%s: score: %v", name, err)
		}
		step("scores", "sql", "--data", data, "--format", "csv", "-c",
			"SELECT count(*), count(DISTINCT kind || '::' || value), sum(hash(interval_start, kind || '::' || value, score)) FROM read_parquet('"+
				strings.ReplaceAll(engine.QuoteGlob(scores), "'", "''")+"')")
		step("eval", "eval", "--data", data, "--scores", scores)
		step("top", "top", "--data", data, "--scores", scores, "-n", "2")
		step("explain", "explain", "--data", data, "--scores", scores, "C107", "2015-01-02 00:00:00")
		step("edges", "edges", "--data", data, "--out", edges, "--from", "2015-01-01 00:00:00", "--to", "2015-01-01 03:00:00")
		step("plot", "plot", "--data", data, "--out", out)
		files = map[string][32]byte{}
		for _, sub := range []string{out, edges} {
			filepath.Walk(sub, func(p string, info os.FileInfo, err error) error {
				if err != nil || info.IsDir() {
					return nil
				}
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if strings.HasSuffix(p, ".json") {
					// eval.json names the scores file it evaluated.
					jdir, _ := json.Marshal(dir)
					b = []byte(strings.ReplaceAll(string(b), strings.Trim(string(jdir), `"`), "DIR"))
				}
				files[strings.TrimPrefix(p, dir)] = sha256.Sum256(b)
				return nil
			})
		}
		return texts, files
	}
	wantTexts, wantFiles := run("plain", raw)
	for key, text := range wantTexts {
		if strings.Contains(text, "ERROR") {
			t.Fatalf("plain folder: %s: %s", key, text)
		}
	}
	if !strings.Contains(wantTexts["edges"], "3 intervals") {
		t.Fatalf("plain folder's edges: %s", wantTexts["edges"])
	}
	decoyTexts, _ := run("decoy", decoyRaw)
	if decoyTexts["sql"] == wantTexts["sql"] || decoyTexts["scores"] == wantTexts["scores"] {
		t.Fatalf("the decoy's data or scores are the plain folder's: a decoy read would go unseen")
	}
	for _, name := range []string{`dZZ?[X] 'a"]ta`, `d*Q[X] 'a"]ta`, `d*?X 'a"]ta`} {
		if err := os.CopyFS(filepath.Join(base, name), os.DirFS(filepath.Join(base, "decoy"))); err != nil {
			t.Fatal(err)
		}
	}
	name := `d*?[X] 'a"]ta`
	texts, files := run(name, raw)
	for key, want := range wantTexts {
		if texts[key] != want {
			t.Errorf("%s: %s gives\n%s\nthe plain folder\n%s", name, key, texts[key], want)
		}
	}
	for f, sum := range files {
		if want, ok := wantFiles[f]; ok && want != sum {
			t.Errorf("%s: %s differs from the plain folder's", name, f)
		}
	}
	if !slices.Equal(slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(wantFiles))) {
		t.Errorf("%s: output files differ from the plain folder's:\n%v\n%v", name, slices.Sorted(maps.Keys(files)), slices.Sorted(maps.Keys(wantFiles)))
	}
}
