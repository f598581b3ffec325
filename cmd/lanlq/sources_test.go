package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func realTelemetryDir(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "data", "real-telemetry"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		t.Skip("real telemetry samples not found:", err)
	}
	return dir
}

// sourceLine is ingest's reconciling line of one source.
var sourceLine = regexp.MustCompile(`^source (\S+)\s+(ingested|unchanged)\s+records read (\d+) = rows (\d+) \(([^)]*)\) \+ not mapped (\d+) \+ rejects (\d+);`)

// TestIngestSourcesCLI runs lanlq ingest --source over every sample file and checks
// that each source's printed line reconciles (read = rows + not mapped + rejects, rows
// = the sum of its streams) and that lanlq sql counts what was printed.
func TestIngestSourcesCLI(t *testing.T) {
	dir := realTelemetryDir(t)
	data := t.TempDir()
	win := filepath.Join(dir, "*.subset.json")
	out := lanlq(t, "ingest", "--data", data, "--interval", "1m",
		"--source", "windows-security="+win, "--source", "sysmon="+win,
		"--source", "zeek-conn="+filepath.Join(dir, "*_conn.log"),
		"--source", "zeek-conn="+filepath.Join(dir, "scripts.base.protocols.ssh.basic.conn.log"),
		"--source", "zeek-dns="+dir+"/SCRANTON_dns.log")
	perStream := map[string]int64{}
	n := 0
	for line := range strings.Lines(out) {
		m := sourceLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		n++
		num := func(i int) int64 { v, _ := strconv.ParseInt(m[i], 10, 64); return v }
		read, rows, notMapped, rejects := num(3), num(4), num(6), num(7)
		if read != rows+notMapped+rejects || read == 0 {
			t.Errorf("%s: read %d ≠ rows %d + not mapped %d + rejects %d", m[1], read, rows, notMapped, rejects)
		}
		var sum int64
		for part := range strings.SplitSeq(m[5], ", ") {
			name, v, _ := strings.Cut(part, " ")
			k, _ := strconv.ParseInt(v, 10, 64)
			sum += k
			perStream[name] += k
		}
		if sum != rows {
			t.Errorf("%s: streams %s sum to %d, rows %d", m[1], m[5], sum, rows)
		}
	}
	if n != 5 {
		t.Fatalf("%d source lines, want 5:\n%s", n, out)
	}
	for stream, want := range perStream {
		got := strings.TrimSpace(lanlq(t, "sql", "--data", data, "--format", "csv", "-c", "SELECT count(*) AS n FROM "+stream))
		if got != "n\n"+strconv.FormatInt(want, 10) {
			t.Errorf("lanlq sql: %s has %q rows, ingest printed %d", stream, got, want)
		}
	}
	if again := lanlq(t, "ingest", "--data", data, "--interval", "1m",
		"--source", "windows-security="+win, "--source", "sysmon="+win,
		"--source", "zeek-conn="+filepath.Join(dir, "*_conn.log"),
		"--source", "zeek-conn="+filepath.Join(dir, "scripts.base.protocols.ssh.basic.conn.log"),
		"--source", "zeek-dns="+dir+"/SCRANTON_dns.log"); !strings.Contains(again, "nothing to do") {
		t.Errorf("rerun over unchanged sources:\n%s", again)
	}
	lanlqFails(t, []string{"either --raw", "--source"}, "ingest", "--data", t.TempDir())
	lanlqFails(t, []string{"NAME=PATH"}, "ingest", "--data", t.TempDir(), "--source", "sysmon")
	lanlqFails(t, []string{"no source definition", "windows-security"}, "ingest", "--data", t.TempDir(), "--source", "winlog="+win)
}

func TestSourcesList(t *testing.T) {
	out := lanlq(t, "sources")
	for _, want := range []string{"windows-security\n", "sysmon\n", "zeek-conn\n", "zeek-dns\n", "lanl\n", "4624", "EventID", "#fields"} {
		if !strings.Contains(out, want) {
			t.Errorf("lanlq sources lacks %q:\n%s", want, out)
		}
	}
}
