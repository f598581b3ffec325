package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestSplitStatements(t *testing.T) {
	text := "-- header\nSET VARIABLE a = 'x;y';\n\n/* block ;\n comment */ SELECT 1;\nSELECT 'it''s;' AS \"semi;colon\"\n  , $$dollar; $$ AS d; -- trailing ; comment\nSELECT $tag$ a;\nb $tag$;\n;\n  SELECT 2 -- no semicolon at the end"
	got, err := SplitStatements(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []Statement{
		{2, "SET VARIABLE a = 'x;y'"},
		{5, "SELECT 1"},
		{6, "SELECT 'it''s;' AS \"semi;colon\"\n  , $$dollar; $$ AS d"},
		{8, "SELECT $tag$ a;\nb $tag$"},
		{11, "SELECT 2 -- no semicolon at the end"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	// Blanks are ASCII's, vertical tab included: a comment after one is no statement;
	// bytes from 0x80 on are identifier text, as in DuckDB's scanner, so a statement
	// starting with a no-break space keeps it and "$$" after it opens no quote (both
	// found by FuzzSplitStatements: "\v--" gave the statement "--", "\u2001$$" a
	// statement that did not split again).
	for _, c := range []struct{ text, want string }{
		{"\v-- c", ""}, {" \t\r\f\v/* c */ ;\v", ""},
		{"\u00a0-- c", "\u00a0-- c"}, {"\u2001$$", "\u2001$$"}, {"\vSELECT 1\v;", "SELECT 1"},
	} {
		got, err := SplitStatements(c.text)
		if err != nil || (c.want == "") != (len(got) == 0) || len(got) > 1 || len(got) == 1 && got[0].SQL != c.want {
			t.Errorf("%q: %+v, %v; want %q", c.text, got, err, c.want)
		}
	}
	for _, bad := range []string{"SELECT 'open", "SELECT 1; /* open", "SELECT $x$ open"} {
		if _, err := SplitStatements(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// readTree maps every file under dir (relative path) to its bytes.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		out[rel], err = os.ReadFile(path)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunExperiment runs experiments/edges-notebook.sql end to end twice, into two
// folders and once more over the first, and requires byte-identical results.
func TestRunExperiment(t *testing.T) {
	ctx := context.Background()
	data := tinySynth(t, 0.05)
	exp := filepath.Join("..", "experiments", "edges-notebook.sql")
	out1, out2 := t.TempDir(), t.TempDir()
	var events []StatementEvent
	if err := RunExperiment(ctx, data, out1, exp, func(ev StatementEvent) { events = append(events, ev) }); err != nil {
		t.Fatal(err)
	}
	stmts, _ := SplitStatements(string(must(os.ReadFile(exp))))
	if len(events) != 2*len(stmts) || !events[len(events)-1].Done || events[len(events)-1].Index != len(stmts)-1 {
		t.Fatalf("%d progress events for %d statements", len(events), len(stmts))
	}
	first := readTree(t, out1)
	for _, f := range []string{"interval_edges.parquet", "top_edges.parquet", "degree_distribution.parquet", "hubs.parquet",
		"edges-notebook.sql", ExperimentInfoFile} {
		if len(first[f]) == 0 {
			t.Errorf("%s missing from the results (have %v)", f, reflect.ValueOf(first).MapKeys())
		}
	}
	if err := RunExperiment(ctx, data, out2, exp, nil); err != nil {
		t.Fatal(err)
	}
	if err := RunExperiment(ctx, data, out1, exp, nil); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{out1, out2} {
		again := readTree(t, dir)
		if len(again) != len(first) {
			t.Fatalf("%s: %d files, first run %d", dir, len(again), len(first))
		}
		for name, b := range first {
			if !bytes.Equal(again[name], b) {
				t.Errorf("%s/%s differs from the first run", dir, name)
			}
		}
	}
	// The results hold what the edges say.
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var intervals, edges, sumEdges int64
	if err := s.QueryRow(ctx, "SELECT count(*), sum(edges) FROM read_parquet(?)", filepath.Join(out1, "interval_edges.parquet")).Scan(&intervals, &sumEdges); err != nil {
		t.Fatal(err)
	}
	if err := s.QueryRow(ctx, "SELECT count(*) FROM lanl_edges('notebook', 3600)").Scan(&edges); err != nil {
		t.Fatal(err)
	}
	if intervals != 24 || sumEdges != edges || edges == 0 {
		t.Errorf("interval_edges: %d intervals, %d edges; lanl_edges has %d", intervals, sumEdges, edges)
	}
	info := string(first[ExperimentInfoFile])
	for _, want := range []string{`"arch": "notebook"`, `"interval_seconds": "3600"`, `"data_fingerprint": "`, `"sha256": "`, `"runs": []`} {
		if !strings.Contains(info, want) {
			t.Errorf("experiment.json lacks %s:\n%s", want, info)
		}
	}
	// Every result carries the run record; with no scoring run there is no
	// Experiment, and lanlq eval would ask for the interval.
	for name := range first {
		if filepath.Ext(name) != ".parquet" {
			continue
		}
		path := filepath.Join(out1, name)
		kv := parquetKVs(t, s, path)
		if _, ok := kv[ExperimentKey]; ok || kv[ExperimentRunKey] != compactJSON(t, first[ExperimentInfoFile]) {
			t.Errorf("%s: key-value metadata %v, want %s = experiment.json (compact) alone", name, kv, ExperimentRunKey)
		}
		if _, err := s.ReadExperiment(ctx, path); !errors.Is(err, ErrNoScores) || !strings.Contains(err.Error(), "0 scoring runs") {
			t.Errorf("%s: ReadExperiment err = %v, want ErrNoScores for 0 scoring runs", name, err)
		}
	}
}

// parquetKVs returns the key-value metadata of a Parquet file.
func parquetKVs(t *testing.T, s *Session, path string) map[string]string {
	t.Helper()
	rows, err := s.Query(context.Background(), "SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", path)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	kv := map[string]string{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			t.Fatal(err)
		}
		if _, dup := kv[k]; dup {
			t.Errorf("%s: key %s twice", path, k)
		}
		kv[k] = v
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return kv
}

func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestRunExperimentScoringRuns: an experiment that scores twice (two widths) records
// both runs in the order made, a third call with the first settings adds none, and
// results written by COPY … PARTITION_BY (a folder of files) are labelled too. With two
// runs no file says which run it holds: ReadExperiment asks for the interval.
func TestRunExperimentScoringRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx := context.Background()
	data := tinySynth(t, 0.02)
	exp := filepath.Join(t.TempDir(), "two.sql")
	args := "roles := 2, to_ts := 43200, train_to := 21600, method := 'roles'"
	text := "COPY (SELECT * FROM lanl_interval_scores('notebook', 7200, " + args + ") ORDER BY interval_start)\n" +
		"  TO (getvariable('out') || '/wide.parquet') (FORMAT parquet);\n" +
		"COPY (SELECT *, hour(interval_start) < 6 AS early FROM lanl_interval_scores('notebook', 3600, " + args + ") ORDER BY interval_start)\n" +
		"  TO (getvariable('out') || '/narrow') (FORMAT parquet, PARTITION_BY (early));\n" +
		"SELECT count(*) FROM lanl_scores('notebook', 7200, " + args + ");\n"
	if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := RunExperiment(ctx, data, out, exp, nil); err != nil {
		t.Fatal(err)
	}
	var info ExperimentInfo
	b := must(os.ReadFile(filepath.Join(out, ExperimentInfoFile)))
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatal(err)
	}
	if len(info.Runs) != 2 || info.Runs[0].IntervalSeconds != 7200 || info.Runs[1].IntervalSeconds != 3600 {
		t.Fatalf("runs: %d, widths %v", len(info.Runs), func() (w []int64) {
			for _, r := range info.Runs {
				w = append(w, r.IntervalSeconds)
			}
			return w
		}())
	}
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files := 0
	err = filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || filepath.Ext(path) != ".parquet" {
			return err
		}
		files++
		kv := parquetKVs(t, s, path)
		if _, ok := kv[ExperimentKey]; ok || kv[ExperimentRunKey] != compactJSON(t, b) {
			t.Errorf("%s: key-value metadata %v, want %s = experiment.json (compact) alone", path, kv, ExperimentRunKey)
		}
		if _, err := s.ReadExperiment(ctx, path); !errors.Is(err, ErrNoScores) || !strings.Contains(err.Error(), "2 scoring runs") {
			t.Errorf("%s: ReadExperiment err = %v, want ErrNoScores for 2 scoring runs", path, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 3 { // wide.parquet, narrow/early=true/…, narrow/early=false/…
		t.Errorf("%d Parquet files labelled, want 3", files)
	}
}

// TestRunExperimentFailure: a statement failing in the middle is reported as
// file:line and leaves OUT as it was (the first statement's result is not published).
func TestRunExperimentFailure(t *testing.T) {
	ctx := context.Background()
	data := emptyData(t) // empty views are enough
	out := t.TempDir()   // an earlier experiment's results
	if err := os.WriteFile(filepath.Join(out, "old.parquet"), []byte("previous result"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, ExperimentInfoFile), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	exp := filepath.Join(t.TempDir(), "bad.sql")
	text := "SET VARIABLE k = 3;\nCOPY (SELECT 1 AS x) TO (getvariable('out') || '/old.parquet') (FORMAT parquet);\nCOPY (SELECT 2 AS y) TO (getvariable('out') || '/new.parquet') (FORMAT parquet);\n\n-- the mistake:\nSELECT *\n  FROM no_such_table;\nSELECT 1;\n"
	if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var last StatementEvent
	err := RunExperiment(ctx, data, out, exp, func(ev StatementEvent) { last = ev })
	var se *StatementError
	if !errors.As(err, &se) || se.Line != 6 || !errors.Is(err, ErrExperiment) {
		t.Fatalf("err = %v, want a StatementError at line 6", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, exp+":6: ") || !strings.Contains(msg, "no_such_table") {
		t.Fatalf("message %q", msg)
	}
	if !last.Done || last.Err == nil || last.Index != 3 || last.Total != 5 {
		t.Fatalf("last event %+v", last)
	}
	got := readTree(t, out)
	if len(got) != 2 || string(got["old.parquet"]) != "previous result" {
		t.Fatalf("OUT after a failure holds %v", reflect.ValueOf(got).MapKeys())
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("%s left beside OUT (a stage or a lock)", e.Name())
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestRunScoringExperiments runs the shipped scoring experiments (entity.sql,
// auth-only.sql; notebook.sql runs end to end in cmd/lanlq, with its automatic number
// of roles) on the first six hours of a tiny synthetic day, through copies whose frame
// and number of roles (2, not the MDL search over 2..8 that TestScoreAutoRoles checks)
// are changed the way a user would, and checks that each writes the three result files
// with the documented columns first and that experiment.json records the settings.
func TestRunScoringExperiments(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	ctx := context.Background()
	data := tinySynth(t, 0.05)
	s, err := Open(ctx, data, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	outs := map[string]string{}
	for _, name := range []string{"entity.sql", "auth-only.sql"} {
		text := string(must(os.ReadFile(filepath.Join("..", "experiments", name))))
		for _, v := range []string{"to_ts", "train_to"} {
			old := "SET VARIABLE " + v + " = NULL;"
			if !strings.Contains(text, old) {
				t.Fatalf("%s: no %q line to change", name, old)
			}
			text = strings.Replace(text, old, "SET VARIABLE "+v+" = 21600;", 1)
		}
		if old := "SET VARIABLE roles = 'auto';"; !strings.Contains(text, old) {
			t.Fatalf("%s: no %q line to change", name, old)
		} else {
			text = strings.Replace(text, old, "SET VARIABLE roles = 2;", 1)
		}
		exp := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(exp, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		out := t.TempDir()
		outs[name] = out
		if err := RunExperiment(ctx, data, out, exp, nil); err != nil {
			t.Fatal(err)
		}
		for _, file := range []string{ScoresFile, IntervalScoresFile, RolesFile} {
			path := filepath.Join(out, file)
			got, want := describe(t, s, path), resultSchemas[file]
			if file == ScoresFile {
				// The experiments write lanl_scores' rows, which give back the artifact
				// name that lanlq score's file does not store.
				want = slices.Insert(slices.Clone(want), 1, [2]string{"artifact", "VARCHAR"})
			}
			if len(got) < len(want) || !reflect.DeepEqual(got[:len(want)], want) {
				t.Errorf("%s/%s columns %v, want %v first", name, file, got, want)
			}
		}
		if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?)", filepath.Join(out, IntervalScoresFile)); n != 6 {
			t.Errorf("%s: %d intervals scored, want 6", name, n)
		}
		info := string(must(os.ReadFile(filepath.Join(out, ExperimentInfoFile))))
		for _, want := range []string{`"expect": "previous"`, `"to_ts": "21600"`, `"roles": "2"`} {
			if !strings.Contains(info, want) {
				t.Errorf("%s: experiment.json lacks %s:\n%s", name, want, info)
			}
		}
	}
	// auth-only scored auth's artifacts alone (no process, no port); entity's are typed
	// entities (no computer_source kind).
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE kind IN ('process', 'port_source', 'port_destination')",
		filepath.Join(outs["auth-only.sql"], ScoresFile)); n != 0 {
		t.Errorf("auth-only: %d scores of proc or flows artifacts", n)
	}
	if n := queryInt(t, s, "SELECT count(*) FROM read_parquet(?) WHERE kind = 'computer_source'",
		filepath.Join(outs["entity.sql"], ScoresFile)); n != 0 {
		t.Errorf("entity: %d scores of computer_source artifacts", n)
	}
}
