package engine

import (
	"context"
	"path/filepath"
	"testing"
)

// TestDictionaryCache checks that the artifact dictionary is cached under the data
// folder, reused by the next session with the same ids, and dropped by a new ingest.
func TestDictionaryCache(t *testing.T) {
	raw, data := t.TempDir(), t.TempDir()
	writeFixture(t, raw, 2000)
	ctx := context.Background()
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	dict := func() (string, []string) {
		s := openData(t, data)
		if err := s.PrepareArtifacts(ctx, EdgeSpec{Arch: ArchNotebook}); err != nil {
			t.Fatal(err)
		}
		_, sum, err := s.Checksum(ctx, "artifact_dictionary")
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(data, internalDir, "dict", "*.parquet"))
		return sum, files
	}
	first, files := dict()
	if len(files) != 1 {
		t.Fatalf("%d cached dictionaries after the first session, want 1", len(files))
	}
	second, files2 := dict()
	if second != first || len(files2) != 1 || files2[0] != files[0] {
		t.Errorf("second session: checksum %s (first %s), cache %v", second, first, files2)
	}
	// A new ingest (dns with a computer never seen before) invalidates the cache; the
	// rebuilt dictionary holds the new artifact.
	writeGz(t, filepath.Join(raw, "dns.txt.gz"), joinLines(append(fixtureLines("dns", 50, 1, 42), "500,C999999,C1")))
	if _, err := Ingest(ctx, IngestOptions{Raw: raw, Data: data}); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, internalDir, "dict", "*.parquet")); len(left) != 0 {
		t.Errorf("cache survived a new ingest: %v", left)
	}
	third, files3 := dict()
	if third == first || len(files3) != 1 || files3[0] == files[0] {
		t.Errorf("after re-ingest: checksum %s (before %s), cache %v", third, first, files3)
	}
}
