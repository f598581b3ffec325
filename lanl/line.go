package lanl

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// Split cuts one raw line of stream s (without its newline) into its comma-separated
// fields, appended to dst[:0], and validates them. It returns the fields, which alias
// line, and "" or the reason the line is rejected: empty, invalid UTF-8, a wrong
// field count, a time that is not a non-negative integer, or a BIGINT or INTEGER
// field that is not an integer of its range. Fields are not unquoted: LANL's text
// has no quoting.
func (s Stream) Split(dst [][]byte, line []byte) ([][]byte, string) {
	dst = dst[:0]
	if len(line) == 0 {
		return dst, "empty line"
	}
	// One pass splits the fields and checks for non-ASCII bytes; only lines with
	// some (rare in LANL) pay for a full UTF-8 validation.
	var high byte
	start := 0
	for i, c := range line {
		high |= c
		if c == ',' {
			dst = append(dst, line[start:i])
			start = i + 1
		}
	}
	dst = append(dst, line[start:])
	if high >= 0x80 && !utf8.Valid(line) {
		return dst, "invalid UTF-8"
	}
	if want := s.NumFields(); len(dst) != want {
		return dst, fmt.Sprintf("expected %d fields, got %d", want, len(dst))
	}
	if t, ok := ParseInt(dst[0]); !ok || t < 0 {
		return dst, fmt.Sprintf("time: not a non-negative integer: %q", dst[0])
	}
	for i, c := range s.Columns {
		if c.Type == Varchar {
			continue
		}
		v, ok := ParseInt(dst[i+1])
		if !ok || (c.Type == Integer && (v < -1<<31 || v >= 1<<31)) {
			return dst, fmt.Sprintf("%s: not an integer: %q", c.Name, dst[i+1])
		}
	}
	return dst, ""
}

// ParseInt parses a decimal integer with an optional sign without allocating. It
// accepts exactly what strconv.ParseInt(string(b), 10, 64) accepts.
func ParseInt(b []byte) (int64, bool) {
	// Up to 18 digits never overflow an int64; longer input takes the slow path.
	if len(b) > 18 {
		v, err := strconv.ParseInt(string(b), 10, 64)
		return v, err == nil
	}
	if len(b) == 0 {
		return 0, false
	}
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg = b[0] == '-'
		b = b[1:]
		if len(b) == 0 {
			return 0, false
		}
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
