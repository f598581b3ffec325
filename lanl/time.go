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

// timeLayouts are the timestamp forms ParseTime accepts, tried in order: the text of a
// DuckDB TIMESTAMP (with or without fractions), RFC 3339, ISO date-times with or
// without a zone, a date. Forms without an offset are UTC; forms with one name an
// instant, converted to UTC.
var timeLayouts = []string{
	"2006-01-02 15:04:05.999999999", // 2015-01-02 08:00:00, the text of a TIMESTAMP
	time.RFC3339Nano,                // 2015-01-02T08:00:00Z, 2015-01-02T09:00:00+01:00
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999 Z07:00",
	"2006-01-02 15:04:05.999999999Z07", // the text of a TIMESTAMPTZ: 2015-01-02 09:00:00+01
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02 15:04Z07:00",
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	time.DateOnly,
}

// ParseTime reads a time a user typed: LANL seconds (86400) or a timestamp
// (2015-01-02 08:00:00, 2015-01-02T08:00:00Z, 2015-01-02T09:00:00+01:00, 2015-01-02).
// Every time lanlq reads or prints is UTC: a timestamp without an offset is UTC, one
// with an offset is the instant it names. The result is in UTC. Surrounding spaces
// are ignored; "" is the zero time, which callers take as an open end.
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
	return time.Time{}, fmt.Errorf("%q is neither LANL seconds nor a timestamp like 2015-01-02 08:00:00 (UTC) or 2015-01-02T09:00:00+01:00", text)
}

// maxSeconds bounds the LANL seconds ParseTime accepts: about 290 years.
const maxSeconds = int64(math.MaxInt64 / int64(time.Second))

// ParseInterval reads an interval width: a whole number of seconds given bare (3600)
// or as a duration (1h, 15m, 900s, 1h30m), days included (2d, 1d12h). Zero, negative
// and fractional-second widths are refused with the reason.
func ParseInterval(text string) (time.Duration, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return 0, fmt.Errorf("empty interval (give seconds like 3600 or a duration like 1h, 15m, 2d)")
	}
	var d time.Duration
	if sec, err := strconv.ParseInt(text, 10, 64); err == nil {
		if sec > int64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("interval %q is too long", text)
		}
		d = time.Duration(sec) * time.Second
	} else {
		rest := text
		if days, after, ok := strings.Cut(text, "d"); ok {
			n, err := strconv.ParseInt(days, 10, 64)
			if err != nil || n < 0 || n > 100000 {
				return 0, fmt.Errorf("interval %q: days must be a whole number, as in 2d or 1d12h", text)
			}
			d, rest = time.Duration(n)*24*time.Hour, after
		}
		if rest != "" {
			r, err := time.ParseDuration(rest)
			if err != nil {
				return 0, fmt.Errorf("interval %q is neither seconds (3600) nor a duration (1h, 15m, 900s, 2d)", text)
			}
			if r > 0 && d > math.MaxInt64-r {
				return 0, fmt.Errorf("interval %q is too long", text)
			}
			d += r
		}
	}
	switch {
	case d <= 0:
		return 0, fmt.Errorf("interval %q: an interval must be at least one second", text)
	case d%time.Second != 0:
		return 0, fmt.Errorf("interval %q is not a whole number of seconds", text)
	}
	return d, nil
}
