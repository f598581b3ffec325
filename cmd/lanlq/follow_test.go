package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFollowCLI runs lanlq score --follow end to end: --once cycles (the status line,
// the alerts file, a second cycle with nothing new), the flags it refuses, and a
// signal while it waits between cycles (a clean end, status 0) or inside a cycle (as
// any command, status 1).
func TestFollowCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end")
	}
	dir := t.TempDir()
	raw, data, out, alerts := filepath.Join(dir, "raw"), filepath.Join(dir, "data"), filepath.Join(dir, "out"), filepath.Join(dir, "alerts.jsonl")
	lanlq(t, "synth", "--out", raw, "--days", "1", "--scale", "0.01", "--seed", "4")
	args := []string{"score", "--follow", "--once", "--raw", raw, "--data", data, "--out", out, "--alerts", alerts, "--warmup", "3h", "--alert-top", "2"}
	stderr := lanlqStderr(t, args...)
	if !strings.Contains(stderr, "lanlq follow: cycle 1: data up to 2015-01-01 23:") || !strings.Contains(stderr, "scored 23 interval(s) up to 2015-01-01 22:00:00") {
		t.Errorf("status: %q", stderr)
	}
	b, err := os.ReadFile(alerts)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != 2*20 { // hours 3 … 22, two each
		t.Errorf("%d alerts, want 40 (2 for each of the 20 scored hours after the warm-up)", len(lines))
	}
	for i, l := range lines {
		var a map[string]any
		if err := json.Unmarshal([]byte(l), &a); err != nil || a["interval_start"] == nil || a["entity"] == nil || a["explanation"] == nil {
			t.Fatalf("alert %d: %v: %s", i+1, err, l)
		}
	}
	if stderr := lanlqStderr(t, args...); !strings.Contains(stderr, "nothing new to score; 0 alerts written") {
		t.Errorf("second cycle: %q", stderr)
	}
	if b2, _ := os.ReadFile(alerts); !bytes.Equal(b, b2) {
		t.Errorf("a cycle with nothing new changed the alerts file")
	}

	for _, bad := range [][]string{
		{"score", "--follow", "--data", data, "--out", out, "--alerts", alerts},
		{"score", "--follow", "--raw", raw, "--data", data, "--out", out},
		{"score", "--follow", "--raw", raw, "--data", data, "--out", out, "--alerts", alerts, "--alert-top", "0"},
		{"score", "--follow", "--raw", raw, "--data", data, "--out", out, "--alerts", alerts, "--to", "2015-01-01 05:00:00"},
	} {
		resetFlags()
		rootCmd.SetArgs(bad)
		var o, e bytes.Buffer
		rootCmd.SetOut(&o)
		rootCmd.SetErr(&e)
		if err := rootCmd.ExecuteContext(context.Background()); err == nil {
			t.Errorf("lanlq %s: no error", strings.Join(bad, " "))
		}
	}

	loop := []string{"score", "--follow", "--poll", "1h", "--raw", raw, "--data", data, "--out", out, "--alerts", alerts, "--warmup", "3h", "--alert-top", "2"}
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		if e := interruptWant(t, sig, "follow waiting", 0, loop...); !strings.Contains(e, "next poll") {
			t.Errorf("follow stopped while waiting: stderr %q", e)
		}
		interruptWant(t, sig, "follow scored", 1, loop...)
	}
	if b2, _ := os.ReadFile(alerts); !bytes.Equal(b, b2) {
		t.Errorf("the interrupted runs changed the alerts file")
	}
}
