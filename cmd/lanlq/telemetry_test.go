package main

import (
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
