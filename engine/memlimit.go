package engine

import (
	"strconv"
	"strings"
)

// ScoreMemoryBudget is the peak resident memory lanlq score is designed to stay
// under (issue 11: 3 GB at any span and rate). It is split three ways: DuckDB's buffer
// manager (--memory, DefaultScoreMemoryLimit), ScoreMemoryReserve for what neither
// limit counts, and the Go runtime's soft limit (ScoreGoMemoryLimit), which holds the
// rest: the interval's graphs, the components' state and the garbage not yet
// collected.
const ScoreMemoryBudget = 3 << 30

// ScoreMemoryReserve is the part of ScoreMemoryBudget left to what neither DuckDB's
// memory_limit nor Go's soft limit counts: DuckDB's allocations outside its buffer
// manager (a LANL-rate day measured 0.6 GiB of RSS beside the Go runtime at the peak
// with --memory 512MB, so about 0.1–0.2 GiB past its limit), the program's text and
// the threads' stacks.
const ScoreMemoryReserve = 512 << 20

// minScoreGoMemoryLimit is the smallest Go soft limit ScoreGoMemoryLimit sets: a
// LANL-rate day's live Go heap is about 0.9 GiB, so a limit below 1 GiB would keep
// the collector running most of the time (Go caps it at about half the CPU, and then
// exceeds the limit anyway). A DuckDB limit that leaves less than this in the budget
// sets no Go limit: the budget cannot hold, and GOGC alone paces the collector.
const minScoreGoMemoryLimit = 1 << 30

// ScoreGoMemoryLimit returns the Go runtime's soft memory limit for lanlq score with
// DuckDB's memory limit duckdb (as --memory takes it: "512MB", "1GiB", …):
// ScoreMemoryBudget less duckdb and ScoreMemoryReserve; with the default 512MB,
// 2,072 MiB. ok is false when duckdb does not parse or leaves less than 1 GiB: then
// no limit is set. Below the limit the collector paces itself by GOGC as usual (the
// heap may grow to twice the live data); near it, it collects more often instead, so
// a span whose live heap is well under the limit costs no more CPU, and one whose
// live heap approaches it costs more (see BENCHMARKS.md, "score's Go memory limit").
// The command leaves an explicit GOMEMLIMIT in force.
func ScoreGoMemoryLimit(duckdb string) (limit int64, ok bool) {
	d, ok := parseByteSize(duckdb)
	if !ok {
		return 0, false
	}
	limit = ScoreMemoryBudget - ScoreMemoryReserve - d
	if limit < minScoreGoMemoryLimit {
		return 0, false
	}
	return limit, true
}

// parseByteSize reads a size as DuckDB's memory_limit takes it: a number, optional
// spaces and a unit; KB, MB, GB, TB (and K, M, G, T) are powers of 1000, KiB, MiB, GiB,
// TiB powers of 1024, B or none bytes; case does not matter. ok is false for anything
// else (DuckDB's own check then decides whether the setting is valid at all).
func parseByteSize(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, err := strconv.ParseFloat(s[:i], 64)
	if err != nil || num < 0 {
		return 0, false
	}
	unit := strings.ToLower(strings.TrimSpace(s[i:]))
	var scale float64
	switch unit {
	case "", "b", "byte", "bytes":
		scale = 1
	case "k", "kb":
		scale = 1e3
	case "m", "mb":
		scale = 1e6
	case "g", "gb":
		scale = 1e9
	case "t", "tb":
		scale = 1e12
	case "kib":
		scale = 1 << 10
	case "mib":
		scale = 1 << 20
	case "gib":
		scale = 1 << 30
	case "tib":
		scale = 1 << 40
	default:
		return 0, false
	}
	v := num * scale
	if v >= 1<<62 {
		return 0, false
	}
	return int64(v), true
}
