package engine

import "testing"

func TestParseByteSize(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"512MB", 512_000_000, true},
		{"1GB", 1_000_000_000, true},
		{"1gib", 1 << 30, true},
		{" 1.5 GiB ", 3 << 29, true},
		{"100", 100, true},
		{"2kb", 2000, true},
		{"3 TiB", 3 << 40, true},
		{"80%", 0, false},
		{"lots", 0, false},
		{"", 0, false},
		{"-1GB", 0, false},
		{"1e30TB", 0, false},
	} {
		got, ok := parseByteSize(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseByteSize(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestScoreGoMemoryLimit(t *testing.T) {
	// The default DuckDB limit leaves the budget less the reserve and 512,000,000 bytes.
	got, ok := ScoreGoMemoryLimit(DefaultScoreMemoryLimit)
	if want := int64(3<<30 - 512<<20 - 512_000_000); !ok || got != want {
		t.Errorf("ScoreGoMemoryLimit(%q) = %d, %v; want %d, true", DefaultScoreMemoryLimit, got, ok, want)
	}
	if got, ok := ScoreGoMemoryLimit("1GiB"); !ok || got != 3<<29 {
		t.Errorf("ScoreGoMemoryLimit(1GiB) = %d, %v; want %d, true", got, ok, 3<<29)
	}
	// Exactly 1 GiB left is still a limit; less is none.
	if got, ok := ScoreGoMemoryLimit("1536MiB"); !ok || got != 1<<30 {
		t.Errorf("ScoreGoMemoryLimit(1536MiB) = %d, %v; want %d, true", got, ok, 1<<30)
	}
	for _, d := range []string{"1537MiB", "4GB", "90%", "x"} {
		if got, ok := ScoreGoMemoryLimit(d); ok {
			t.Errorf("ScoreGoMemoryLimit(%q) = %d, true; want no limit", d, got)
		}
	}
}
