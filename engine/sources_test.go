package engine

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// realTelemetry is the folder of the real Windows/Sysmon/Zeek samples
// (../shared/data/real-telemetry, SOURCES.md there).
func realTelemetry(t testing.TB) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "data", "real-telemetry")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		t.Skip("real telemetry samples not found:", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

const (
	purpleSharp  = "purplesharp_ad_playbook_I_2020-10-22042947.subset.json"
	empirePsExec = "empire_psexec_dcerpc_tcp_svcctl_2020-09-20121608.subset.json"
)

// windowsExpect counts, independently of the SQL (encoding/json over each line), what
// the windows-security and sysmon definitions must make of a JSON-lines file.
func windowsExpect(t *testing.T, path string) (records int64, security, sysmon map[string]int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	security, sysmon = map[string]int64{}, map[string]int64{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		records++
		var ev struct {
			Channel string
			EventID int
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			security["reject"]++
			sysmon["reject"]++
			continue
		}
		switch ch := strings.ToLower(ev.Channel); {
		case ch == "security" && slices.Contains([]int{4624, 4625, 4648, 4672, 4768, 4769, 4776}, ev.EventID):
			security["auth"]++
			sysmon["not mapped"]++
		case ch == "security" && (ev.EventID == 4688 || ev.EventID == 4689):
			security["proc"]++
			sysmon["not mapped"]++
		case ch == "microsoft-windows-sysmon/operational" && (ev.EventID == 1 || ev.EventID == 5):
			sysmon["proc"]++
			security["not mapped"]++
		case ch == "microsoft-windows-sysmon/operational" && ev.EventID == 3:
			sysmon["flows"]++
			security["not mapped"]++
		case ch == "microsoft-windows-sysmon/operational" && ev.EventID == 22:
			sysmon["dns"]++
			security["not mapped"]++
		default:
			security["not mapped"]++
			sysmon["not mapped"]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return records, security, sysmon
}

// zeekRecords counts a Zeek log's records: its non-blank lines that are not headers.
func zeekRecords(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for line := range strings.Lines(string(b)) {
		if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
			n++
		}
	}
	return n
}

func outcomes(r SourceReport) map[string]int64 {
	m := map[string]int64{}
	for k, v := range r.Rows {
		m[k] = v
	}
	if r.NotMapped > 0 {
		m["not mapped"] = r.NotMapped
	}
	if r.Rejects > 0 {
		m["reject"] = r.Rejects
	}
	return m
}

// TestSourcesEveryRecordAccounted ingests every sample file through each definition
// that reads it and checks records read = rows + not mapped + rejects, against counts
// made in Go from the files themselves, and the rows in the views.
func TestSourcesEveryRecordAccounted(t *testing.T) {
	dir := realTelemetry(t)
	var specs []SourceSpec
	type want struct {
		read int64
		out  map[string]int64
	}
	var wants []want
	for _, f := range []string{purpleSharp, empirePsExec} {
		n, sec, sm := windowsExpect(t, filepath.Join(dir, f))
		specs = append(specs, SourceSpec{"windows-security", filepath.Join(dir, f)}, SourceSpec{"sysmon", filepath.Join(dir, f)})
		wants = append(wants, want{n, sec}, want{n, sm})
	}
	for _, f := range []string{"SCRANTON_conn.log", "NASHUA_conn.log", "scripts.base.protocols.ssh.basic.conn.log"} {
		n := zeekRecords(t, filepath.Join(dir, f))
		specs = append(specs, SourceSpec{"zeek-conn", filepath.Join(dir, f)})
		wants = append(wants, want{n, map[string]int64{"flows": n}})
	}
	n := zeekRecords(t, filepath.Join(dir, "SCRANTON_dns.log"))
	specs = append(specs, SourceSpec{"zeek-dns", filepath.Join(dir, "SCRANTON_dns.log")})
	wants = append(wants, want{n, map[string]int64{"dns": n}})

	data := t.TempDir()
	rep, err := IngestSources(context.Background(), SourceIngestOptions{Data: data, Sources: specs, Interval: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != len(specs) {
		t.Fatalf("%d source reports, want %d", len(rep.Sources), len(specs))
	}
	streamRows := map[string]int64{}
	for i, r := range rep.Sources {
		w := wants[i]
		name := specs[i].Name + " " + filepath.Base(specs[i].Path)
		if r.Read != w.read {
			t.Errorf("%s: read %d records, the file holds %d", name, r.Read, w.read)
		}
		if r.Read != r.TotalRows()+r.NotMapped+r.Rejects {
			t.Errorf("%s: read %d ≠ rows %d + not mapped %d + rejects %d", name, r.Read, r.TotalRows(), r.NotMapped, r.Rejects)
		}
		if got := outcomes(r); fmt.Sprint(got) != fmt.Sprint(w.out) {
			t.Errorf("%s: outcomes %v, want %v", name, got, w.out)
		}
		for st, n := range r.Rows {
			streamRows[st] += n
		}
	}
	s := openData(t, data)
	for _, st := range streamsFromSources {
		if got := count(t, s, "SELECT count(*) FROM "+st); got != streamRows[st] {
			t.Errorf("view %s: %d rows, the sources report %d", st, got, streamRows[st])
		}
		if got := count(t, s, "SELECT count(*) FROM "+st+" WHERE raw IS NULL OR file IS NULL OR record IS NULL OR ts IS NULL"); got != 0 {
			t.Errorf("view %s: %d rows without raw record, file, record or time", st, got)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM rejects"); got != 0 {
		t.Errorf("rejects: %d rows, want 0", got)
	}
	// The time column is seconds from 2015-01-01 UTC: ts is the event's real time.
	if got := count(t, s, "SELECT count(*) FROM dns WHERE source = 'zeek-dns' AND ts < TIMESTAMP '2020-04-30 00:06:38' OR source = 'zeek-dns' AND ts > TIMESTAMP '2020-04-30 00:45:01'"); got != 0 {
		t.Errorf("zeek-dns: %d rows outside the capture's window 2020-04-30 00:06:38Z–00:45:00Z", got)
	}
}

// authRow is one auth row as the lateral-movement tests name it.
type authRow struct {
	User, Source, Destination, Auth, Logon, Direction, Result string
}

func authRows(t *testing.T, s *Session, where string) []authRow {
	t.Helper()
	q := `SELECT userdomain_source, computer_source, computer_destination, coalesce(auth, ''), coalesce(logon, ''), direction, result
FROM auth WHERE ` + where + ` ORDER BY ALL`
	rows, err := s.Query(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []authRow
	for rows.Next() {
		var r authRow
		if err := rows.Scan(&r.User, &r.Source, &r.Destination, &r.Auth, &r.Logon, &r.Direction, &r.Result); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSourcesLateralMovement finds the lateral-movement logons of SOURCES.md's ground
// truth in auth: PurpleSharp's WinRM logons (pgustavo from WORKSTATION5, 172.18.39.5,
// to WORKSTATION6, WORKSTATION7 and MORDORDC, Kerberos, type 3, 08:29:59Z–08:30:01Z
// give or take the shipper's stamp) and Empire's PsExec logon (16:16:58Z, pgustavo
// from WORKSTATION5 to WORKSTATION6, Kerberos, type 3). The address becomes the name
// WORKSTATION5 through Sysmon's own-address records.
func TestSourcesLateralMovement(t *testing.T) {
	dir := realTelemetry(t)
	data := t.TempDir()
	both := filepath.Join(dir, "*.subset.json")
	_, err := IngestSources(context.Background(), SourceIngestOptions{Data: data, Interval: time.Minute,
		Sources: []SourceSpec{{"windows-security", both}, {"sysmon", both}}})
	if err != nil {
		t.Fatal(err)
	}
	s := openData(t, data)
	winrm := authRows(t, s, `ts BETWEEN TIMESTAMP '2020-10-22 08:29:50' AND TIMESTAMP '2020-10-22 08:30:10'
  AND direction = 'LogOn' AND computer_source <> computer_destination AND userdomain_source = 'pgustavo@THESHIRE'`)
	for _, dst := range []string{"WORKSTATION6", "WORKSTATION7", "MORDORDC"} {
		want := authRow{"pgustavo@THESHIRE", "WORKSTATION5", dst, "Kerberos", "Network", "LogOn", "Success"}
		if !slices.Contains(winrm, want) {
			t.Errorf("WinRM logon %+v not in auth; pgustavo's remote logons then: %+v", want, winrm)
		}
	}
	psexec := authRows(t, s, `ts BETWEEN TIMESTAMP '2020-09-20 16:16:58' AND TIMESTAMP '2020-09-20 16:16:59'
  AND direction = 'LogOn' AND userdomain_source = 'pgustavo@THESHIRE'`)
	want := authRow{"pgustavo@THESHIRE", "WORKSTATION5", "WORKSTATION6", "Kerberos", "Network", "LogOn", "Success"}
	if !slices.Contains(psexec, want) {
		t.Errorf("PsExec logon %+v not in auth; pgustavo's logons at 16:16:58Z: %+v", want, psexec)
	}
	// The password spray: 7 failed interactive NTLM logons on WORKSTATION5 and 7
	// failed validations on the DC for the same accounts.
	spray := authRows(t, s, `result = 'Fail' AND ts BETWEEN TIMESTAMP '2020-10-22 08:29:50' AND TIMESTAMP '2020-10-22 08:30:00'`)
	var logons, validations []string
	for _, r := range spray {
		switch {
		case r.Direction == "LogOn" && r.Logon == "Interactive" && r.Auth == "NTLM" && r.Destination == "WORKSTATION5":
			logons = append(logons, r.User)
		case r.Direction == "Validate" && r.Source == "WORKSTATION5" && r.Destination == "MORDORDC":
			validations = append(validations, r.User)
		}
	}
	sprayed := []string{"lrodriguez@THESHIRE", "mscott@THESHIRE", "nxlogsvc@THESHIRE", "pbeesly@THESHIRE", "pgustavo@THESHIRE", "sbeavers@THESHIRE", "sysmonsvc@THESHIRE"}
	if !slices.Equal(logons, sprayed) || !slices.Equal(validations, sprayed) {
		t.Errorf("password spray: failed logons %v and validations %v, want %v each", logons, validations, sprayed)
	}
	// The raw record stays with every row, for explain.
	var raw string
	if err := s.QueryRow(context.Background(), `SELECT raw FROM auth WHERE userdomain_source = 'pgustavo@THESHIRE'
  AND computer_destination = 'WORKSTATION6' AND direction = 'LogOn' AND ts BETWEEN TIMESTAMP '2020-09-20 16:16:58' AND TIMESTAMP '2020-09-20 16:16:59' LIMIT 1`).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{`"EventID":4624`, `"IpAddress":"172.18.39.5"`, `"TargetUserName":"pgustavo"`} {
		if !strings.Contains(raw, part) {
			t.Errorf("raw record of the PsExec logon lacks %s: %.300s", part, raw)
		}
	}
}

// zeekTSVToJSON writes a Zeek TSV log as Zeek's own JSON (LogAscii::use_json): one
// object per record, keys as #fields names them, unset fields left out, numbers and
// booleans as JSON values written with the TSV's own text, sets as arrays.
func zeekTSVToJSON(t *testing.T, tsv string) string {
	t.Helper()
	var fields, types []string
	var b strings.Builder
	for line := range strings.Lines(tsv) {
		line = strings.TrimRight(line, "\n")
		if v, ok := strings.CutPrefix(line, "#fields\t"); ok {
			fields = strings.Split(v, "\t")
			continue
		}
		if v, ok := strings.CutPrefix(line, "#types\t"); ok {
			types = strings.Split(v, "\t")
			continue
		}
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		vals := strings.Split(line, "\t")
		var parts []string
		for i, v := range vals {
			if v == "-" {
				continue
			}
			var enc string
			switch typ := types[i]; {
			case typ == "time" || typ == "interval" || typ == "count" || typ == "port" || typ == "int" || typ == "double" || typ == "bool":
				if typ == "bool" {
					v = map[string]string{"T": "true", "F": "false"}[v]
				}
				enc = v
			case strings.HasPrefix(typ, "set[") || strings.HasPrefix(typ, "vector["):
				var items []string
				for _, it := range strings.Split(v, ",") {
					q, _ := json.Marshal(it)
					items = append(items, string(q))
				}
				enc = "[" + strings.Join(items, ",") + "]"
			default:
				if v == "(empty)" {
					v = ""
				}
				q, _ := json.Marshal(v)
				enc = string(q)
			}
			k, _ := json.Marshal(fields[i])
			parts = append(parts, string(k)+":"+enc)
		}
		b.WriteString("{" + strings.Join(parts, ",") + "}\n")
	}
	return b.String()
}

// TestZeekTSVAndJSONSameRows ingests the TSV conn.log sample and its JSON form and
// compares the flows rows (every column but source, file and raw).
func TestZeekTSVAndJSONSameRows(t *testing.T) {
	dir := realTelemetry(t)
	tsvPath := filepath.Join(dir, "scripts.base.protocols.ssh.basic.conn.log")
	b, err := os.ReadFile(tsvPath)
	if err != nil {
		t.Fatal(err)
	}
	js := zeekTSVToJSON(t, string(b))
	in := t.TempDir()
	jsonPath := filepath.Join(in, "conn.json")
	if err := os.WriteFile(jsonPath, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	rowsOf := func(path string) []string {
		data := t.TempDir()
		rep, err := IngestSources(context.Background(), SourceIngestOptions{Data: data, Interval: time.Hour,
			Sources: []SourceSpec{{"zeek-conn", path}}})
		if err != nil {
			t.Fatal(err)
		}
		if r := rep.Sources[0]; r.Read != 25 || r.Rows["flows"] != 25 {
			t.Fatalf("%s: %+v, want 25 records read and 25 flows", path, r)
		}
		s := openData(t, data)
		rows, err := s.Query(context.Background(), `SELECT CAST(columns(* EXCLUDE (source, file, record, raw)) AS VARCHAR) FROM flows ORDER BY ALL`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			strs := make([]string, len(vals))
			for i, v := range vals {
				strs[i] = fmt.Sprint(v)
			}
			out = append(out, strings.Join(strs, " "))
		}
		return out
	}
	tsvRows, jsonRows := rowsOf(tsvPath), rowsOf(jsonPath)
	if len(tsvRows) != 25 || !slices.Equal(tsvRows, jsonRows) {
		t.Errorf("TSV and JSON forms differ:\nTSV  %q\nJSON %q", tsvRows, jsonRows)
	}
	// A spot check against the file's first record: 192.168.1.79:51880 →
	// 131.159.21.1:22 tcp, 6.159326 s, 25+20 packets, 3981+3549 IP bytes, at
	// 1324071333.493287 (before 2015: a negative time).
	want := fmt.Sprint(int64(1324071333)-time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).Unix(),
		" 2011-12-16 21:35:33 6 192.168.1.79 51880 131.159.21.1 22 6 45 7530")
	if !slices.Contains(tsvRows, want) {
		t.Errorf("no row %q among %q", want, tsvRows)
	}
}

func TestSourcesRerunUnchangedAndClocks(t *testing.T) {
	dir := realTelemetry(t)
	data := t.TempDir()
	specs := []SourceSpec{{"zeek-dns", filepath.Join(dir, "SCRANTON_dns.log")}}
	ctx := context.Background()
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: data, Interval: time.Minute, Sources: specs}); err != nil {
		t.Fatal(err)
	}
	rep, err := IngestSources(ctx, SourceIngestOptions{Data: data, Interval: time.Minute, Sources: specs})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Unchanged() || len(rep.Sources) != 1 || !rep.Sources[0].Unchanged || rep.Sources[0].Read != 32 {
		t.Errorf("rerun: %+v, want every stream and the source unchanged, 32 records", rep)
	}
	m, err := readManifest(data)
	if err != nil {
		t.Fatal(err)
	}
	if m.Clock != clockUTC || m.Origin != "2015-01-01T00:00:00Z" {
		t.Errorf("manifest clock %q origin %q, want utc from 2015-01-01T00:00:00Z", m.Clock, m.Origin)
	}
	// LANL's relative clock cannot join: neither as --raw nor as --source lanl beside others.
	raw := t.TempDir()
	if err := os.WriteFile(filepath.Join(raw, "dns.txt"), []byte("1,C1,C2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); !errors.Is(err, ErrClock) {
		t.Errorf("LANL ingest into a UTC folder: %v, want ErrClock", err)
	}
	_, err = IngestSources(ctx, SourceIngestOptions{Data: t.TempDir(), Sources: append(specs, SourceSpec{"lanl", raw})})
	if !errors.Is(err, ErrClock) {
		t.Errorf("lanl beside zeek-dns: %v, want ErrClock", err)
	}
	lanlData := t.TempDir()
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: lanlData, Sources: []SourceSpec{{"lanl", raw}}}); err != nil {
		t.Fatalf("--source lanl=DIR alone: %v", err)
	}
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: lanlData, Sources: specs}); !errors.Is(err, ErrClock) {
		t.Errorf("zeek-dns into a LANL folder: %v, want ErrClock", err)
	}
}

// TestSourcesRejectsAndBadDefinitions: a bad line is a reject with file, line and
// reason; a definition that loses or doubles a record fails the ingest naming it.
func TestSourcesRejectsAndBadDefinitions(t *testing.T) {
	in := t.TempDir()
	log := filepath.Join(in, "dns.log")
	lines := `{"ts":1588205198.5,"id.orig_h":"10.0.1.4","query":"newyork.dmevals.local","answers":["10.0.0.4"]}
{"ts":1588205199.5,"id.orig_h":"10.0.1.4"
{"ts":"yesterday","id.orig_h":"10.0.1.4","query":"x"}

{"ts":1588205200.5,"id.orig_h":"FE80:0:0:0:0:0:0:1","query":"WWW.Example.COM."}
{"ts":1588205201.5,"id.orig_h":"10.0.0.9"}
`
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := t.TempDir()
	rep, err := IngestSources(ctx, SourceIngestOptions{Data: data, Interval: time.Minute, Sources: []SourceSpec{{"zeek-dns", log}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Sources[0]; r.Read != 5 || r.Rows["dns"] != 2 || r.NotMapped != 1 || r.Rejects != 2 {
		t.Errorf("report %+v, want 5 read = 2 dns + 1 not mapped + 2 rejects", r)
	}
	s := openData(t, data)
	rows, err := s.Query(ctx, "SELECT stream, file, line, reason FROM rejects ORDER BY line")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var st, file, reason string
		var line int64
		if err := rows.Scan(&st, &file, &line, &reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %s:%d %s", st, filepath.Base(file), line, reason))
	}
	rows.Close()
	want := []string{"zeek-dns dns.log:2 not a JSON object", "zeek-dns dns.log:3 no parsable ts: yesterday"}
	if !slices.Equal(got, want) {
		t.Errorf("rejects %q, want %q", got, want)
	}
	var src, dst string
	if err := s.QueryRow(ctx, "SELECT computer_source, computer_destination FROM dns WHERE record = 5").Scan(&src, &dst); err != nil {
		t.Fatal(err)
	}
	if src != "fe80::1" || dst != "www.example.com" {
		t.Errorf("record 5: %s → %s, want fe80::1 → www.example.com", src, dst)
	}
	// 10.0.0.4 is NEWYORK by the answer of record 1; no row here names it, but a flow would.

	lose := filepath.Join(in, "lose.sql")
	def := `CREATE TEMP VIEW source_records AS SELECT file, record, raw FROM lanlq_lines(getvariable('lanlq_files'));
CREATE TEMP VIEW source_dns AS SELECT file, record, lanlq_epoch(raw::JSON->>'ts') AS ts, 'A' AS computer_source, 'B' AS computer_destination
FROM source_records WHERE record = 1;
CREATE TEMP VIEW source_not_mapped AS SELECT file, record, 'x' AS reason FROM source_records WHERE record = 1;
CREATE TEMP VIEW source_rejects AS SELECT file, record, 'y' AS reason FROM source_records WHERE false;`
	if err := os.WriteFile(lose, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = IngestSources(ctx, SourceIngestOptions{Data: t.TempDir(), Sources: []SourceSpec{{lose, log}}})
	if !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), "record 1 is counted 2 times (dns and not mapped)") ||
		!strings.Contains(err.Error(), "record 2 is in no stream view") {
		t.Errorf("a definition that doubles record 1 and loses the rest: %v", err)
	}
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: t.TempDir(), Sources: []SourceSpec{{"no-such-source", log}}}); !errors.Is(err, ErrSource) {
		t.Errorf("unknown source: %v, want ErrSource", err)
	}
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: t.TempDir(), Sources: []SourceSpec{{"zeek-dns", filepath.Join(in, "*.nothing")}}}); !errors.Is(err, ErrSource) {
		t.Errorf("a glob matching nothing: %v, want ErrSource", err)
	}
}

func TestNormalizeIdentities(t *testing.T) {
	users := []struct{ name, domain, want string }{
		{`THESHIRE\pgustavo`, "", "pgustavo@THESHIRE"},
		{"pgustavo@THESHIRE.LOCAL", "", "pgustavo@THESHIRE"},
		{"PGustavo", "theshire.local", "pgustavo@THESHIRE"},
		{"WORKSTATION6$", "THESHIRE", "WORKSTATION6$@THESHIRE"},
		{"workstation6$@theshire.local", "", "WORKSTATION6$@THESHIRE"},
		{`NT AUTHORITY\SYSTEM`, "", "system@NT AUTHORITY"},
		{"lrodriguez", "-", "lrodriguez@?"},
		{"-", "THESHIRE", ""},
		{"", "", ""},
	}
	for _, c := range users {
		got, ok := NormalizeUser(c.name, c.domain)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("NormalizeUser(%q, %q) = %q, %t; want %q", c.name, c.domain, got, ok, c.want)
		}
	}
	hosts := []struct{ in, want string }{
		{"WORKSTATION6.theshire.local", "WORKSTATION6"},
		{"workstation5", "WORKSTATION5"},
		{"MORDORDC$", "MORDORDC"},
		{"::ffff:172.18.39.5", "172.18.39.5"},
		{"fe80:0:0:0:9582:39e0:356b:ef4e", "fe80::9582:39e0:356b:ef4e"},
		{"FE80::9582:39E0:356B:EF4E%12", "fe80::9582:39e0:356b:ef4e"},
		{"[2001:db8:0:0:0:0:0:1]", "2001:db8::1"},
		{"10.0.1.4", "10.0.1.4"},
		{"www.Example.com.", "www.example.com"},
		{"_ldap._tcp.dc._msdcs.theshire.local", "_ldap._tcp.dc._msdcs.theshire.local"},
		{"-", ""},
	}
	for _, c := range hosts {
		got, ok := NormalizeHost(c.in)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("NormalizeHost(%q) = %q, %t; want %q", c.in, got, ok, c.want)
		}
	}
}

// TestWindowsSecurityMapping runs windows-security over hand-written events of the
// ids the samples lack (4648, 4768, a failed 4769, a 4624 from an IPv6 client, a
// Sysmon event in the same file, a line that is no JSON, an event without
// @timestamp) and checks each row against the mapping atop the definition.
func TestWindowsSecurityMapping(t *testing.T) {
	events := []string{
		`{"@timestamp":"2021-03-01T10:00:00.000Z","Channel":"Security","EventID":4648,"Hostname":"WS1.corp.local","SubjectUserName":"alice","SubjectDomainName":"CORP","TargetUserName":"admin","TargetDomainName":"CORP","TargetServerName":"srv2.corp.local"}`,
		`{"@timestamp":"2021-03-01T10:00:01.000Z","Channel":"Security","EventID":4768,"Hostname":"DC1.corp.local","TargetUserName":"alice","TargetDomainName":"CORP.LOCAL","IpAddress":"::ffff:10.1.2.3","Status":"0x0"}`,
		`{"@timestamp":"2021-03-01T10:00:02.000Z","Channel":"Security","EventID":4769,"Hostname":"DC1.corp.local","TargetUserName":"alice@CORP.LOCAL","TargetDomainName":"CORP.LOCAL","ServiceName":"SRV2$","IpAddress":"::ffff:10.1.2.3","Status":"0x1b"}`,
		`{"@timestamp":"2021-03-01T10:00:03.000Z","Channel":"Security","EventID":4624,"Hostname":"SRV2.corp.local","TargetUserName":"Alice","TargetDomainName":"CORP","IpAddress":"FE80:0:0:0:0:0:0:5","WorkstationName":"WS1","LogonType":"10","AuthenticationPackageName":"Negotiate"}`,
		`{"@timestamp":"2021-03-01T10:00:04.000Z","Channel":"Microsoft-Windows-Sysmon/Operational","EventID":1,"Hostname":"WS1.corp.local"}`,
		`{"@timestamp":"2021-03-01T10:00:05.000Z","Channel":"Security","EventID":4634,"Hostname":"WS1.corp.local"}`,
		`not json at all`,
		`{"Channel":"Security","EventID":4624,"Hostname":"WS1.corp.local"}`,
	}
	file := filepath.Join(t.TempDir(), "security.json")
	if err := os.WriteFile(file, []byte(strings.Join(events, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	rep, err := IngestSources(context.Background(), SourceIngestOptions{Data: data, Interval: time.Minute,
		Sources: []SourceSpec{{"windows-security", file}}})
	if err != nil {
		t.Fatal(err)
	}
	if r := rep.Sources[0]; r.Read != 8 || r.Rows["auth"] != 4 || r.NotMapped != 2 || r.Rejects != 2 {
		t.Errorf("report %+v, want 8 read = 4 auth + 2 not mapped + 2 rejects", r)
	}
	s := openData(t, data)
	got := authRows(t, s, "true")
	want := []authRow{
		{"alice@CORP", "WS1", "SRV2", "", "", "ExplicitCredentials", "Success"},
		{"alice@CORP", "10.1.2.3", "DC1", "Kerberos", "", "TGT", "Success"},
		{"alice@CORP", "10.1.2.3", "DC1", "Kerberos", "", "TGS", "Fail"},
		{"alice@CORP", "WS1", "SRV2", "Negotiate", "RemoteInteractive", "LogOn", "Success"},
	}
	byText := func(a, b authRow) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	slices.SortFunc(want, byText)
	slices.SortFunc(got, byText)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("auth rows\n%+v\nwant\n%+v", got, want)
	}
}

// TestSourcesOddDataFolder: the sources' ingest checks its data folder as Ingest does
// (lockDataForIngest): a folder holding a backslash, which DuckDB's readers cannot
// match, is refused before anything is created; one holding glob metacharacters, next
// to a sibling its name would match as a glob, reads its own rows only.
func TestSourcesOddDataFolder(t *testing.T) {
	in := t.TempDir()
	log := filepath.Join(in, "dns.log")
	lines := `{"ts":1588205198.5,"id.orig_h":"10.0.1.4","query":"a.example"}
{"ts":1588205199.5,"id.orig_h":"10.0.1.5","query":"b.example"}
`
	if err := os.WriteFile(log, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	base := t.TempDir()
	bad := filepath.Join(base, `da\ta`)
	if _, err := IngestSources(ctx, SourceIngestOptions{Data: bad, Sources: []SourceSpec{{"zeek-dns", log}}}); !errors.Is(err, ErrPathChars) {
		t.Errorf("sources into a folder holding a backslash: %v, want ErrPathChars", err)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Errorf("the refused folder %s was created", bad)
	}
	// "data" first: da*ta and da[t]a match it as globs, and it holds one row only.
	one := filepath.Join(in, "one.log")
	if err := os.WriteFile(one, []byte(strings.SplitAfter(lines, "\n")[0]), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, log string
		rows      int64
	}{{"data", one, 1}, {"da*ta", log, 2}, {"da[t]a", log, 2}} {
		data := filepath.Join(base, c.name)
		if _, err := IngestSources(ctx, SourceIngestOptions{Data: data, Sources: []SourceSpec{{"zeek-dns", c.log}}}); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := count(t, openData(t, data), "SELECT count(*) FROM dns"); got != c.rows {
			t.Errorf("%s: %d dns rows, want %d", c.name, got, c.rows)
		}
	}
}
