package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSynthSize checks --users and --computers reach the generator, and that --lanl
// and --scale together are refused (--lanl fixes the scale).
func TestSynthSize(t *testing.T) {
	out := lanlq(t, "synth", "--out", t.TempDir(), "--days", "1", "--scale", "0.02", "--users", "120", "--computers", "200")
	if !strings.Contains(out, "120 users, 200 computers") {
		t.Errorf("synth --users 120 --computers 200: output %q", out)
	}
	resetFlags()
	rootCmd.SetArgs([]string{"synth", "--out", t.TempDir(), "--lanl", "--scale", "2"})
	var buf bytes.Buffer
	rootCmd.SetOut(&buf)
	rootCmd.SetErr(&buf)
	if err := rootCmd.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "--lanl") {
		t.Errorf("synth --lanl --scale 2: error %v, want one naming --lanl", err)
	}
}
