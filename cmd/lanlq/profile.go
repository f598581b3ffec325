package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"time"
)

// startPeakHeapProfile writes a heap profile to path each time the Go heap's objects
// grow 10 % past the size of the last profile written (checked every 200 ms), so that
// the file left at exit shows what the heap held near its peak (a profile taken at
// exit shows what was left, not what was largest). It is for tuning
// (LANLQ_MEMPROFILE=FILE). The returned stop ends the sampling and returns a line of
// peaks: the Go heap's objects (live and not yet collected), the memory the Go runtime
// holds from the OS (mapped, not released), and the process's resident set, so that
// the part outside Go (DuckDB's) shows as the difference.
func startPeakHeapProfile(path string) (stop func() string) {
	sample := []metrics.Sample{
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
	}
	var peakHeap, peakGo, peakRSS, rssAtGoPeak, goAtRSSPeak, written uint64
	var rssPeakAt time.Duration
	began := time.Now()
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			metrics.Read(sample)
			heap := sample[0].Value.Uint64()
			held := sample[1].Value.Uint64() - sample[2].Value.Uint64()
			rss := residentBytes()
			peakHeap = max(peakHeap, heap)
			if rss > peakRSS {
				peakRSS, goAtRSSPeak, rssPeakAt = rss, held, time.Since(began)
			}
			if held > peakGo {
				peakGo, rssAtGoPeak = held, rss
			}
			if heap > written+written/10 {
				runtime.GC() // the profile's in-use figures are as of the last GC
				if f, err := os.Create(path); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
					written = heap
				}
			}
		}
	}()
	return func() string {
		close(done)
		<-finished
		mib := func(b uint64) float64 { return float64(b) / (1 << 20) }
		return fmt.Sprintf("peaks: Go heap objects %.0f MiB, Go runtime held %.0f MiB (RSS then %.0f MiB), RSS %.0f MiB at %s (Go then %.0f MiB; sampled every 200 ms); heap profile near the peak: %s",
			mib(peakHeap), mib(peakGo), mib(rssAtGoPeak), mib(peakRSS), rssPeakAt.Round(time.Second), mib(goAtRSSPeak), path)
	}
}

// residentBytes is the process's resident set (VmRSS), 0 where /proc is missing.
func residentBytes() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(string(f[0]), 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}
