package lanl

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// The fuzz targets run their seeds (f.Add and testdata/fuzz/<target>) as plain tests
// in make test; `go test -run '^$' -fuzz FuzzX -fuzztime 10m ./lanl/` explores further
// (README, "Fuzzing").

// refSplit is an independent, slow reading of a LANL line of stream s: strings.Split
// and strconv, by the rules Split's doc states. It returns ok or not.
func refSplit(s Stream, line string) bool {
	if line == "" || !utf8.ValidString(line) {
		return false
	}
	fields := strings.Split(line, ",")
	if len(fields) != s.NumFields() {
		return false
	}
	if t, err := strconv.ParseInt(fields[0], 10, 64); err != nil || t < 0 {
		return false
	}
	for i, c := range s.Columns {
		switch c.Type {
		case Bigint:
			if _, err := strconv.ParseInt(fields[i+1], 10, 64); err != nil {
				return false
			}
		case Integer:
			if _, err := strconv.ParseInt(fields[i+1], 10, 32); err != nil {
				return false
			}
		}
	}
	return true
}

// FuzzSplit checks the line parser of every stream against refSplit: the same lines
// accepted, and an accepted line's fields rejoined give the line back.
func FuzzSplit(f *testing.F) {
	for _, l := range []string{
		"1,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Success",
		"1,C553$@DOM1,C553,P16,Start",
		"1,0,C1065,389,C3799,N10451,6,10,5323",
		"2,C4653,C5030",
		"150885,U620@DOM1,C17693,C1003",
		"1,?,?", "-1,C1,C2", "+7,C1,C2", "1,,", "", ",", "9223372036854775808,a,b",
		"1,0,C1,1,C2,2,2147483648,1,1", "1,0,C1,1,C2,2,-2147483648,1,1", "1,\xff,C2",
	} {
		f.Add(l)
	}
	f.Fuzz(func(t *testing.T, line string) {
		var dst [][]byte
		for _, s := range Streams {
			var reason string
			dst, reason = s.Split(dst, []byte(line))
			if ok := reason == ""; ok != refSplit(s, line) {
				t.Fatalf("%s %q: Split says %q, the reference ok=%t", s.Name, line, reason, !ok)
			}
			if reason != "" {
				continue
			}
			parts := make([]string, len(dst))
			for i, b := range dst {
				parts[i] = string(b)
			}
			if got := strings.Join(parts, ","); got != line {
				t.Fatalf("%s %q: fields %q rejoin to %q", s.Name, line, parts, got)
			}
		}
	})
}

// FuzzParseInt checks ParseInt against strconv.ParseInt, which its doc names.
func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"0", "-0", "+5", "007", "9223372036854775807", "-9223372036854775808",
		"9223372036854775808", "99999999999999999999", "", "-", "1e3", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := ParseInt([]byte(s))
		want, err := strconv.ParseInt(s, 10, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Fatalf("ParseInt(%q) = %d, %t; strconv: %d, %v", s, got, ok, want, err)
		}
	})
}

// FuzzParseTime checks ParseTime: what it accepts is UTC and reads back the same from
// its own text (LANL seconds for whole seconds, RFC 3339 otherwise); integers are
// LANL seconds from Origin.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"", "0", "86400", "-1", " 3600 ", "2015-01-02 08:00:00", "2015-01-02 08:00:00.5",
		"2015-01-02T08:00:00Z", "2015-01-02T08:00:00+02:00", "2015-01-02T08:00:00.123456789", "2015-01-02",
		"9223372036", "9223372037", "-9223372037", "2015-13-01", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseTime(s)
		if err != nil {
			if !tm.IsZero() {
				t.Fatalf("ParseTime(%q): error %v with time %v", s, err, tm)
			}
			return
		}
		if strings.TrimSpace(s) == "" {
			if !tm.IsZero() {
				t.Fatalf("ParseTime(%q) = %v, want the zero time", s, tm)
			}
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) = %v, not UTC", s, tm)
		}
		if sec, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil && !tm.Equal(Origin.Add(time.Duration(sec)*time.Second)) {
			t.Fatalf("ParseTime(%q) = %v, want Origin + %d s", s, tm, sec)
		}
		var again string
		if d := tm.Sub(Origin); tm.Nanosecond() == 0 && d > -math.MaxInt64 && d < math.MaxInt64 && d%time.Second == 0 {
			again = strconv.FormatInt(int64(d/time.Second), 10)
		} else {
			again = tm.Format(time.RFC3339Nano)
		}
		if back, err := ParseTime(again); err != nil || !back.Equal(tm) {
			if _, perr := time.Parse(time.RFC3339Nano, again); perr != nil {
				return // a year past 9999 or before 0: RFC 3339 cannot write it
			}
			t.Fatalf("ParseTime(%q) = %v; its text %q reads back as %v, %v", s, tm, again, back, err)
		}
	})
}

// FuzzParseInterval checks ParseInterval: what it accepts is a positive whole number
// of seconds that reads back the same from its own text; it agrees with
// time.ParseDuration on every input that one reads, and reads bare digits as seconds
// (days, 2d, are its own: only the invariants are checked for them).
func FuzzParseInterval(f *testing.F) {
	for _, s := range []string{"1h", "15m", "900s", "1h30m", " 1h ", "1s", "0s", "-1h", "1.5s", "500ms", "1", "",
		"2562047h47m16s", "9999999999h", "1e3s", "3600", "2d", "1d12h", "0d", "99999d99999h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseInterval(s)
		text := strings.TrimSpace(s)
		ref, rerr := time.ParseDuration(text)
		if sec, serr := strconv.ParseInt(text, 10, 64); serr == nil {
			ref, rerr = time.Duration(sec)*time.Second, nil
			if sec > int64(math.MaxInt64/int64(time.Second)) || sec < 0 {
				rerr = errors.New("out of range")
			}
		}
		wantOK := rerr == nil && ref >= time.Second && ref%time.Second == 0
		days := strings.Contains(text, "d")
		if !days && ((err == nil) != wantOK || (err == nil && d != ref)) {
			t.Fatalf("ParseInterval(%q) = %v, %v; time.ParseDuration: %v, %v", s, d, err, ref, rerr)
		}
		if err == nil && (d < time.Second || d%time.Second != 0) {
			t.Fatalf("ParseInterval(%q) = %v: not a positive whole number of seconds", s, d)
		}
		if err != nil {
			if d != 0 {
				t.Fatalf("ParseInterval(%q): error %v with %v", s, err, d)
			}
			return
		}
		if back, err := ParseInterval(d.String()); err != nil || back != d {
			t.Fatalf("ParseInterval(%q) = %v; %q reads back as %v, %v", s, d, d.String(), back, err)
		}
		if w := int64(d / time.Second); IntervalStart(2*w-1, w) != w || IntervalStart(w-1, w) != 0 {
			t.Fatalf("interval %v: the last seconds of the first two intervals start at %d and %d", d, IntervalStart(w-1, w), IntervalStart(2*w-1, w))
		}
	})
}
