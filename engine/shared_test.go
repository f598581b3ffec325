package engine

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lanlq/lanlq/synth"
)

// Generated and ingested data sets shared by the tests of this package: each is built
// once per test binary, on first use, and read only by the tests that ask for it (a
// test that changes data ingests its own). They live under one folder removed by
// TestMain. Sharing keeps the suite's time to what the checks need: generation and
// ingest are the same work for every test that reads the same data.
var shared struct {
	mu   sync.Mutex
	dir  string
	sets map[string]*sharedSet
}

type sharedSet struct {
	once sync.Once
	data string
	sum  synth.Summary
	err  error
}

// sharedSynth returns the data folder of synth.Generate(cfg) ingested with default
// options, the raw folder it was ingested from (neither may be changed) and the
// generator's summary.
func sharedSynth(t *testing.T, cfg synth.Config) (raw, data string, sum synth.Summary) {
	t.Helper()
	key := fmt.Sprintf("d%d-s%g-r%d", cfg.Days, cfg.Scale, cfg.Seed)
	shared.mu.Lock()
	if shared.sets == nil {
		shared.sets = map[string]*sharedSet{}
	}
	set := shared.sets[key]
	if set == nil {
		set = &sharedSet{}
		shared.sets[key] = set
	}
	if shared.dir == "" {
		dir, err := os.MkdirTemp("", "lanlq-engine-test-")
		if err != nil {
			shared.mu.Unlock()
			t.Fatal(err)
		}
		shared.dir = dir
	}
	base := filepath.Join(shared.dir, key)
	shared.mu.Unlock()
	set.once.Do(func() {
		ctx := context.Background()
		raw, data := filepath.Join(base, "raw"), filepath.Join(base, "data")
		sum, err := synth.Generate(ctx, raw, cfg)
		if err == nil {
			_, err = Ingest(ctx, IngestOptions{Raw: raw, Data: data})
		}
		set.data, set.sum, set.err = data, sum, err
	})
	if set.err != nil {
		t.Fatalf("shared data set %s: %v", key, set.err)
	}
	return filepath.Join(base, "raw"), set.data, set.sum
}

// removeShared removes the shared data sets (TestMain, after the tests).
func removeShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.dir != "" {
		os.RemoveAll(shared.dir)
	}
}

// scoresRel reads the scores.parquet given as its parameter with the artifact name
// its readers derive (the file stores kind and value: engine/score_rows.go).
const scoresRel = "(SELECT kind || '::' || value AS artifact, * FROM read_parquet(?))"
