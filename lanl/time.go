package lanl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Origin is time 0 of the LANL data: a raw time t is Origin + t seconds (the
// notebook's origin; LANL's own is unknown). 2015-01-01 was a Thursday.
var Origin = time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)

// Time returns the instant of raw time sec.
func Time(sec int64) time.Time { return Origin.Add(time.Duration(sec) * time.Second) }

// FloorDiv is a / b rounded towards minus infinity (b != 0), so that negative times
// fall into the interval before 0, not into interval 0.
func FloorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// IntervalStart is the raw second at which the interval of width seconds holding raw
// time t starts: floor(t / width) * width (the notebook's calc_lb_interval with the
// start at Origin).
func IntervalStart(t, width int64) int64 { return FloorDiv(t, width) * width }

// PartitionDir is the hive folder name of the interval starting at raw second start:
// interval_start=2015-01-01 00:00:00. It is unescaped (unlike DuckDB's PARTITION_BY,
// which writes %20 and %3A), so that DuckDB's hive_partitioning reads the key back as
// a TIMESTAMP; pyarrow reads it as well.
func PartitionDir(start int64) string {
	return "interval_start=" + Time(start).Format(time.DateTime)
}

// timeLayouts are the UTC timestamp forms ParseTime accepts: the text of a DuckDB
// TIMESTAMP (with or without fractions), RFC 3339, an ISO date-time without zone and
// a date.
var timeLayouts = []string{time.DateTime, "2006-01-02 15:04:05.999999999", time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999", time.DateOnly}

// ParseTime reads a time a user typed: LANL seconds (86400) or a UTC timestamp
// (2015-01-02 08:00:00, 2015-01-02T08:00:00Z, 2015-01-02). Surrounding spaces are
// ignored; "" is the zero time, which callers take as an open end.
func ParseTime(text string) (time.Time, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return time.Time{}, nil
	}
	if sec, err := strconv.ParseInt(text, 10, 64); err == nil {
		// Beyond ±292 years time.Duration overflows; no log is that long.
		if sec > maxSeconds || sec < -maxSeconds {
			return time.Time{}, fmt.Errorf("%d LANL seconds is out of range (at most %d)", sec, int64(maxSeconds))
		}
		return Time(sec), nil
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, text); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither LANL seconds nor a timestamp like 2015-01-02 08:00:00", text)
}

// maxSeconds bounds the LANL seconds ParseTime accepts: about 290 years.
const maxSeconds = int64(math.MaxInt64 / int64(time.Second))

// ParseInterval reads an interval width a user typed: a Go duration (1h, 15m, 900s,
// 1h30m) that is a whole number of seconds and at least one second.
func ParseInterval(text string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(text))
	if err != nil {
		return 0, err
	}
	if d < time.Second || d%time.Second != 0 {
		return 0, fmt.Errorf("interval %s is not a positive whole number of seconds", d)
	}
	return d, nil
}
