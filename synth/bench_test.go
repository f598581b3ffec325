package synth

import (
	"context"
	"testing"
)

// BenchmarkGenerate measures one day at scale 0.2 (about 120k events); SetBytes is
// the uncompressed text written, so MB/s compares with ingest's read rate.
func BenchmarkGenerate(b *testing.B) {
	cfg := Config{Days: 1, Scale: 0.2, Seed: 1}
	dir := b.TempDir()
	sum, err := Generate(context.Background(), dir, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(rawBytes(b, dir))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Generate(context.Background(), dir, cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(sum.Events())*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// rawBytes is the uncompressed size of the streams in dir.
func rawBytes(b *testing.B, dir string) int64 {
	b.Helper()
	var n int64
	for _, name := range StreamNames {
		for _, f := range readStream(b, dir, name) {
			for _, s := range f {
				n += int64(len(s)) + 1
			}
		}
	}
	return n
}
