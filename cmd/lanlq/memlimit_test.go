package main

import (
	"math"
	"os"
	"runtime/debug"
	"testing"

	"github.com/lanlq/lanlq/engine"
)

// TestScoreGoMemoryLimit checks that lanlq score sets Go's soft memory limit from its
// DuckDB limit, and leaves it alone when GOMEMLIMIT is set or the budget is too small.
func TestScoreGoMemoryLimit(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)

	t.Setenv("GOMEMLIMIT", "")
	if err := os.Unsetenv("GOMEMLIMIT"); err != nil {
		t.Fatal(err)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	setScoreGoMemoryLimit(engine.DefaultScoreMemoryLimit)
	want, _ := engine.ScoreGoMemoryLimit(engine.DefaultScoreMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != want || want <= 0 {
		t.Errorf("limit with --memory %s: %d, want %d", engine.DefaultScoreMemoryLimit, got, want)
	}

	debug.SetMemoryLimit(math.MaxInt64)
	setScoreGoMemoryLimit("8GB")
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit with --memory 8GB: %d, want none", got)
	}

	t.Setenv("GOMEMLIMIT", "5GiB")
	setScoreGoMemoryLimit(engine.DefaultScoreMemoryLimit)
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("limit with GOMEMLIMIT set: %d, want it left alone", got)
	}
}
