package lanl

import (
	"strings"
	"testing"
	"time"
)

func TestParseInterval(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"3600", time.Hour}, {"1h", time.Hour}, {"15m", 15 * time.Minute}, {"900s", 900 * time.Second},
		{"2d", 48 * time.Hour}, {"1d12h", 36 * time.Hour}, {" 60 ", time.Minute}, {"1h30m", 90 * time.Minute},
	} {
		if got, err := ParseInterval(c.in); err != nil || got != c.want {
			t.Errorf("ParseInterval(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	for _, c := range []struct{ in, reason string }{
		{"0", "at least one second"}, {"0s", "at least one second"}, {"-1h", "at least one second"},
		{"1.5s", "whole number of seconds"}, {"500ms", "whole number"}, {"1500ms", "whole number"},
		{"hour", "neither seconds"}, {"", "empty"}, {"xd", "days"}, {"2d3", "neither seconds"},
	} {
		if _, err := ParseInterval(c.in); err == nil || !strings.Contains(err.Error(), c.reason) {
			t.Errorf("ParseInterval(%q) = %v, want an error saying %q", c.in, err, c.reason)
		}
	}
}

// TestParseTime: every form names the same instant, offsets included; times without
// an offset are UTC.
func TestParseTime(t *testing.T) {
	want := time.Date(2015, 1, 2, 8, 0, 0, 0, time.UTC)
	for _, in := range []string{"115200", "2015-01-02 08:00:00", "2015-01-02T08:00:00", "2015-01-02T08:00:00Z",
		"2015-01-02T09:00:00+01:00", "2015-01-02 09:00:00+01:00", "2015-01-02 09:00:00 +01:00", "2015-01-02 03:00:00-05",
		"2015-01-02 09:00:00 +0100", "2015-01-02 08:00", "2015-01-02T10:30+02:30"} {
		got, err := ParseTime(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v; want %v UTC", in, got, err, want)
		}
	}
	if got, err := ParseTime("2015-01-02"); err != nil || !got.Equal(want.Add(-8*time.Hour)) {
		t.Errorf("date: %v %v", got, err)
	}
	if got, err := ParseTime(""); err != nil || !got.IsZero() {
		t.Errorf("empty: %v %v", got, err)
	}
	if _, err := ParseTime("yesterday"); err == nil {
		t.Error("yesterday parsed")
	}
}
