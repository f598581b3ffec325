package lanl_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

func stream(t *testing.T, name string) lanl.Stream {
	t.Helper()
	s, ok := lanl.StreamByName(name)
	if !ok {
		t.Fatalf("no stream %q", name)
	}
	return s
}

// TestStreamsMatchDesign checks the stream table against DESIGN.md's "Raw input"
// table, written out here independently.
func TestStreamsMatchDesign(t *testing.T) {
	want := map[string]string{
		"auth":    "userdomain_source userdomain_destination computer_source computer_destination auth logon direction result",
		"proc":    "userdomain_source computer_source process action",
		"flows":   "duration computer_source port_source computer_destination port_destination protocol num_packets num_bytes",
		"dns":     "computer_source computer_destination",
		"redteam": "userdomain_source computer_source computer_destination",
	}
	if got := lanl.Names(); !slices.Equal(got, []string{"auth", "proc", "flows", "dns", "redteam"}) {
		t.Errorf("Names() = %v", got)
	}
	for name, fields := range want {
		s := stream(t, name)
		var got []string
		for _, c := range s.Columns {
			got = append(got, c.Name)
		}
		if strings.Join(got, " ") != fields {
			t.Errorf("%s fields: got %v, want %s", name, got, fields)
		}
		if s.NumFields() != len(strings.Fields(fields))+1 {
			t.Errorf("%s: NumFields %d", name, s.NumFields())
		}
	}
	// The numeric columns of flows, and no others anywhere.
	numeric := map[string]string{"flows.duration": lanl.Bigint, "flows.protocol": lanl.Integer,
		"flows.num_packets": lanl.Bigint, "flows.num_bytes": lanl.Bigint}
	for _, s := range lanl.Streams {
		for _, c := range s.Columns {
			wantType, ok := numeric[s.Name+"."+c.Name]
			if !ok {
				wantType = lanl.Varchar
			}
			if c.Type != wantType {
				t.Errorf("%s.%s: type %s, want %s", s.Name, c.Name, c.Type, wantType)
			}
		}
	}
	if _, ok := lanl.StreamByName("rejects"); ok {
		t.Errorf("StreamByName found a stream that is not LANL's")
	}
}

// TestSplitDesignSamples parses the sample line of each stream from DESIGN.md.
func TestSplitDesignSamples(t *testing.T) {
	samples := map[string]string{
		"auth":    "1,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Success",
		"proc":    "1,C553$@DOM1,C553,P16,Start",
		"flows":   "1,0,C1065,389,C3799,N10451,6,10,5323",
		"dns":     "2,C4653,C5030",
		"redteam": "150885,U620@DOM1,C17693,C1003",
	}
	for name, line := range samples {
		fields, reason := stream(t, name).Split(nil, []byte(line))
		if reason != "" {
			t.Errorf("%s: %q rejected: %s", name, line, reason)
			continue
		}
		var got []string
		for _, f := range fields {
			got = append(got, string(f))
		}
		if want := strings.Split(line, ","); !slices.Equal(got, want) {
			t.Errorf("%s: fields %q, want %q", name, got, want)
		}
	}
}

func TestSplitRejects(t *testing.T) {
	cases := []struct {
		stream, line, reason string // reason "" = accepted
	}{
		{"dns", "", "empty line"},
		{"dns", "2,C1", "expected 3 fields, got 2"},
		{"dns", "2,C1,C2,", "expected 3 fields, got 4"},
		{"dns", ",,", `time: not a non-negative integer: ""`},
		{"dns", "2,,", ""}, // empty names are values, like LANL's "?"
		{"dns", "2,?,?", ""},
		{"dns", "0,C1,C2", ""},
		{"dns", "-1,C1,C2", `time: not a non-negative integer: "-1"`},
		{"dns", "+7,C1,C2", ""},
		{"dns", " 2,C1,C2", `time: not a non-negative integer: " 2"`},
		{"dns", "2.0,C1,C2", `time: not a non-negative integer: "2.0"`},
		{"dns", "1e3,C1,C2", `time: not a non-negative integer: "1e3"`},
		{"dns", "9223372036854775807,C1,C2", ""},
		{"dns", "9223372036854775808,C1,C2", `time: not a non-negative integer: "9223372036854775808"`},
		{"dns", "9999999999999999999,C1,C2", `time: not a non-negative integer: "9999999999999999999"`},
		{"dns", "2,C1,\"C2\"", ""}, // no quoting in LANL: the quotes are part of the value
		{"dns", "2,Cé,C2", ""},
		{"dns", "2,C\xff,C2", "invalid UTF-8"},
		{"dns", "2,C1,C2\r", ""}, // Split keeps a CR; ingest strips it before
		{"flows", "1,0,C1,389,C2,N1,6,10,5323", ""},
		{"flows", "1,-5,C1,389,C2,N1,6,10,5323", ""}, // a negative duration is an integer
		{"flows", "1,x,C1,389,C2,N1,6,10,5323", `duration: not an integer: "x"`},
		{"flows", "1,0,C1,389,C2,N1,2147483647,10,5323", ""},
		{"flows", "1,0,C1,389,C2,N1,2147483648,10,5323", `protocol: not an integer: "2147483648"`},
		{"flows", "1,0,C1,389,C2,N1,-2147483648,10,5323", ""},
		{"flows", "1,0,C1,389,C2,N1,-2147483649,10,5323", `protocol: not an integer: "-2147483649"`},
		{"flows", "1,0,C1,389,C2,N1,6,10,99999999999999999999", `num_bytes: not an integer: "99999999999999999999"`},
		{"flows", "1,0,C1,389,C2,N1,6,,5323", `num_packets: not an integer: ""`},
		{"flows", "1,0,C1,?,C2,?,6,10,5323", ""}, // ports are names
	}
	for _, c := range cases {
		fields, reason := stream(t, c.stream).Split(make([][]byte, 0, 2), []byte(c.line))
		if reason != c.reason {
			t.Errorf("%s %q: reason %q, want %q", c.stream, c.line, reason, c.reason)
		}
		if c.line != "" && reason == "" && len(fields) != stream(t, c.stream).NumFields() {
			t.Errorf("%s %q: %d fields", c.stream, c.line, len(fields))
		}
	}
}

// TestSplitReusesDst checks that the fields are appended to dst[:0] (no stale fields
// from a previous, longer line) and alias the line.
func TestSplitReusesDst(t *testing.T) {
	s := stream(t, "dns")
	dst, _ := s.Split(nil, []byte("1,a,b,c,d,e"))
	line := []byte("2,x,y")
	got, reason := s.Split(dst, line)
	if reason != "" || len(got) != 3 || string(got[2]) != "y" {
		t.Fatalf("got %q, %q", got, reason)
	}
	line[2] = 'z'
	if string(got[1]) != "z" {
		t.Errorf("fields do not alias the line")
	}
}

// TestParseIntAgreesWithStrconv checks ParseInt against strconv.ParseInt on edge
// cases and on random strings over the alphabet of digits, signs and a few others.
func TestParseIntAgreesWithStrconv(t *testing.T) {
	inputs := []string{"", "+", "-", "0", "-0", "+0", "00", "007", "1", "-1", "+1",
		"922337203685477580", "9223372036854775807", "9223372036854775808", "-9223372036854775808",
		"-9223372036854775809", "999999999999999999", "9999999999999999999", "99999999999999999999",
		"+9223372036854775807", "1_000", "0x10", " 1", "1 ", "--1", "+-1", "١"}
	r := rand.New(rand.NewPCG(1, 1))
	alphabet := "0123456789+-_ x9"
	for range 20000 {
		b := make([]byte, r.IntN(22))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	for range 2000 {
		inputs = append(inputs, strconv.FormatInt(int64(r.Uint64()), 10))
	}
	for _, in := range inputs {
		got, ok := lanl.ParseInt([]byte(in))
		want, err := strconv.ParseInt(in, 10, 64)
		if ok != (err == nil) || (ok && got != want) {
			t.Errorf("ParseInt(%q) = %d, %v; strconv: %d, %v", in, got, ok, want, err)
		}
	}
}

// TestIntervals checks FloorDiv and IntervalStart against floating-point floor on
// random values of both signs, and the folder name of reference instants.
func TestIntervals(t *testing.T) {
	r := rand.New(rand.NewPCG(2, 2))
	for range 100000 {
		a := r.Int64N(1<<40) - 1<<39
		b := r.Int64N(100000) + 1
		if r.IntN(4) == 0 {
			b = -b
		}
		want := int64(math.Floor(float64(a) / float64(b)))
		if got := lanl.FloorDiv(a, b); got != want {
			t.Fatalf("FloorDiv(%d, %d) = %d, want %d", a, b, got, want)
		}
		if b > 0 {
			s := lanl.IntervalStart(a, b)
			if s > a || a-s >= b || s%b != 0 {
				t.Fatalf("IntervalStart(%d, %d) = %d", a, b, s)
			}
		}
	}
	cases := []struct {
		t, width int64
		dir      string
	}{
		{0, 3600, "interval_start=2015-01-01 00:00:00"},
		{3599, 3600, "interval_start=2015-01-01 00:00:00"},
		{3600, 3600, "interval_start=2015-01-01 01:00:00"},
		{150885, 3600, "interval_start=2015-01-02 17:00:00"},   // the first red-team line
		{5011199, 86400, "interval_start=2015-02-27 00:00:00"}, // LANL's last second (58 days)
		{-1, 3600, "interval_start=2014-12-31 23:00:00"},
		{1000, 7 * 60, "interval_start=2015-01-01 00:14:00"},
	}
	for _, c := range cases {
		if got := lanl.PartitionDir(lanl.IntervalStart(c.t, c.width)); got != c.dir {
			t.Errorf("time %d width %d: %s, want %s", c.t, c.width, got, c.dir)
		}
	}
	if lanl.Origin.Weekday() != time.Thursday || lanl.Time(86400*3).Weekday() != time.Sunday {
		t.Errorf("origin weekday %v", lanl.Origin.Weekday())
	}
}

func ExampleStream_Split() {
	auth, _ := lanl.StreamByName("auth")
	line := "1,ANONYMOUS LOGON@C586,ANONYMOUS LOGON@C586,C1250,C586,NTLM,Network,LogOn,Success"
	fields, reason := auth.Split(nil, []byte(line))
	fmt.Printf("%q %q %q\n", fields[0], fields[3], reason)
	_, reason = auth.Split(fields, []byte("x,U1@DOM1"))
	fmt.Println(reason)
	// Output:
	// "1" "C1250" ""
	// expected 9 fields, got 2
}

func TestParseTime(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"   ", time.Time{}},
		{"0", at("2015-01-01 00:00:00")},
		{"86400", at("2015-01-02 00:00:00")},
		{" 150885 ", at("2015-01-02 17:54:45")},
		{"-3600", at("2014-12-31 23:00:00")},
		{"2015-01-02 08:00:00", at("2015-01-02 08:00:00")},
		{"2015-01-02 08:00:00.5", at("2015-01-02 08:00:00").Add(500 * time.Millisecond)},
		{"2015-01-02T08:00:00Z", at("2015-01-02 08:00:00")},
		{"2015-01-02T09:30:00+01:30", at("2015-01-02 08:00:00")},
		{"2015-01-02T08:00:00", at("2015-01-02 08:00:00")},
		{"2015-01-02", at("2015-01-02 00:00:00")},
	}
	for _, c := range cases {
		got, err := lanl.ParseTime(c.in)
		if err != nil || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"yesterday", "2015-13-01", "2015-01-02 25:00:00", "1e5", "86400s",
		"9223372036854775807", "-9223372036854775808", "99999999999999999999"} {
		if got, err := lanl.ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) = %v, want an error", bad, got)
		}
	}
}
