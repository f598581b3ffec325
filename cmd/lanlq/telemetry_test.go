package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOwnTelemetryEndToEnd is README "Your own telemetry" as commands: PurpleSharp's
// Windows Security and Sysmon events ingested at one-minute intervals, queried, scored
// over a frame given as real timestamps, and the attacking host explained at the
// attack's minute with the raw events behind its rows.
func TestOwnTelemetryEndToEnd(t *testing.T) {
	dir := realTelemetryDir(t)
	file := filepath.Join(dir, "purplesharp_ad_playbook_I_2020-10-22042947.subset.json")
	data, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	lanlq(t, "ingest", "--data", data, "--interval", "1m", "--source", "windows-security="+file, "--source", "sysmon="+file)
	got := lanlq(t, "sql", "--data", data, "--format", "csv", "-c",
		`SELECT computer_destination FROM auth WHERE userdomain_source = 'pgustavo@THESHIRE' AND computer_source = 'WORKSTATION5'
		 AND direction = 'LogOn' AND logon = 'Network' AND computer_destination <> 'MORDORDC' GROUP BY ALL ORDER BY ALL`)
	if got != "computer_destination\nWORKSTATION6\nWORKSTATION7\n" {
		t.Errorf("WinRM logons' destinations from lanlq sql:\n%s", got)
	}
	score := lanlq(t, "score", "--data", data, "--out", out, "--interval", "1m",
		"--from", "2020-10-22 08:29:00", "--to", "2020-10-22T08:31:00Z")
	if !strings.Contains(score, "2 intervals (2020-10-22 08:29:00 … 2020-10-22 08:30:00") {
		t.Errorf("score over two real minutes:\n%s", score)
	}
	ex := lanlq(t, "explain", "--data", data, "--scores", filepath.Join(out, "scores.parquet"), "--all",
		"workstation5", "2020-10-22T08:29:30Z")
	for _, want := range []string{
		"WORKSTATION5 in interval 2020-10-22 08:29:00",
		"computer_source::WORKSTATION5: score",
		",pgustavo@THESHIRE,pgustavo@THESHIRE,WORKSTATION5,WORKSTATION6,Kerberos,Network,LogOn,Success",
		"raw windows-security " + file + ":",
	} {
		if !strings.Contains(ex, want) {
			t.Errorf("explain lacks %q", want)
		}
	}
	// The raw record under the WinRM logon to WORKSTATION6 is the 4624 as logged.
	_, after, _ := strings.Cut(ex, "WORKSTATION5,WORKSTATION6,Kerberos,Network,LogOn,Success\n")
	raw, _, _ := strings.Cut(after, "\n")
	for _, want := range []string{`"EventID":4624`, `"IpAddress":"172.18.39.5"`, `"TargetUserName":"pgustavo"`, `"Hostname":"WORKSTATION6.theshire.local"`, `"LogonType":"3"`} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw record of the WinRM logon lacks %s: %.400s", want, raw)
		}
	}
}

// TestOwnTelemetryZeekAPT29 scores the APT29 replay's Zeek logs (40 minutes) at one
// minute with a ten-minute warm-up, and evaluates against labels
// of SOURCES.md's lateral-movement minutes: the scored frame leaves the warm-up out,
// every labelled pair is scored, and the host that moved laterally (10.0.1.4,
// SCRANTON) is the top entity outside the warm-up.
func TestOwnTelemetryZeekAPT29(t *testing.T) {
	dir := realTelemetryDir(t)
	data, out := t.TempDir(), filepath.Join(t.TempDir(), "out")
	lanlq(t, "ingest", "--data", data, "--interval", "1m",
		"--source", "zeek-conn="+filepath.Join(dir, "*_conn.log"), "--source", "zeek-dns="+filepath.Join(dir, "SCRANTON_dns.log"))
	score := lanlq(t, "score", "--data", data, "--out", out, "--interval", "1m", "--warmup", "10m")
	if !strings.Contains(score, "warm-up 10 intervals before 2020-04-30 00:16:00") {
		t.Errorf("score with --warmup 10m:\n%s", score)
	}
	top := lanlq(t, "top", "--data", data, "--scores", filepath.Join(out, "scores.parquet"), "-n", "3")
	if !strings.HasPrefix(top, "1. 10.0.1.4\n") {
		t.Errorf("top entities:\n%s", top)
	}
	labels := filepath.Join(t.TempDir(), "labels.csv")
	var b strings.Builder
	b.WriteString("time,entity\n2020-04-30T00:32:00Z,10.0.1.4\n2020-04-30T00:32:00Z,192.168.0.4\n")
	for _, m := range []string{"33", "35", "36", "37"} {
		b.WriteString("2020-04-30T00:" + m + ":00Z,10.0.1.4\n2020-04-30T00:" + m + ":00Z,NASHUA\n")
	}
	if err := os.WriteFile(labels, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := lanlq(t, "eval", "--data", data, "--scores", filepath.Join(out, "scores.parquet"), "--labels", labels, "--out", t.TempDir())
	if !strings.Contains(ev, "labels: 10 pairs, 10 in the frame → 10 (interval, entity) positives: 10 scored, 0 in no graph") {
		t.Errorf("eval --labels:\n%s", ev)
	}
}
