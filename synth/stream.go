package synth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"

	"github.com/klauspost/compress/gzip"
	"github.com/lanlq/lanlq/internal/faultpoint"
)

// chunkBytes bounds a formatted chunk handed to the compressor, so memory stays flat
// however large an hour gets.
const chunkBytes = 1 << 20

// hourFiller generates one stream's background events of global hour h. Events may
// lie after the hour (a LogOff, a process End): the runner carries them forward.
type hourFiller[E any] interface {
	fill(h int, out []timed[E]) []timed[E]
}

// streamJob is one output file: its background, its injected (red-team) events sorted
// by time, and its line format.
type streamJob[E any] struct {
	filler   hourFiller[E] // nil for a stream made only of injected events
	injected []timed[E]
	format   func(b []byte, t int64, e *E) []byte
	progress func(done, total int) // nil for none
}

// streamResult is what writing one stream produced.
type streamResult struct {
	lines, bytes int64
}

// run generates the stream hour by hour and writes it to path as gzip. A producer
// goroutine formats lines into chunks; the calling goroutine compresses them, so
// generation and compression of one stream overlap.
func (j *streamJob[E]) run(ctx context.Context, path string, hours int) (streamResult, error) {
	chunks := make(chan []byte, 4)
	free := make(chan []byte, 6)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var lines int64
	prodErr := make(chan error, 1)
	go func() {
		defer close(chunks)
		n, err := j.produce(ctx, hours, chunks, free)
		lines = n
		prodErr <- err
	}()

	written, werr := writeGzip(path, chunks, free)
	if werr != nil {
		cancel()
		for range chunks { // let the producer finish
		}
	}
	perr := <-prodErr
	if werr != nil {
		return streamResult{}, werr
	}
	if perr != nil {
		return streamResult{}, perr
	}
	return streamResult{lines: lines, bytes: written}, nil
}

func (j *streamJob[E]) produce(ctx context.Context, hours int, chunks chan<- []byte, free <-chan []byte) (int64, error) {
	var (
		lines   int64
		cur     []timed[E]
		pending []timed[E]
		sorted  []timed[E]
		counts  = make([]int, secondsPerHour+1)
		buf     []byte
	)
	injected := j.injected
	getBuf := func() []byte {
		select {
		case b := <-free:
			return b[:0]
		default:
			return make([]byte, 0, chunkBytes+4096)
		}
	}
	send := func(b []byte) error {
		select {
		case chunks <- b:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	buf = getBuf()
	for h := range hours {
		if err := ctx.Err(); err != nil {
			return lines, err
		}
		end := int64(h+1) * secondsPerHour
		cur = cur[:0]
		keep := pending[:0]
		for _, e := range pending {
			if e.t < end {
				cur = append(cur, e)
			} else {
				keep = append(keep, e)
			}
		}
		pending = keep
		if j.filler != nil {
			mark := len(cur)
			cur = j.filler.fill(h, cur)
			k := mark
			for i := mark; i < len(cur); i++ {
				if cur[i].t >= end {
					pending = append(pending, cur[i])
				} else {
					cur[k] = cur[i]
					k++
				}
			}
			cur = cur[:k]
		}
		for len(injected) > 0 && injected[0].t < end {
			cur = append(cur, injected[0])
			injected = injected[1:]
		}
		sorted = sortHour(sorted[:0], cur, counts, int64(h)*secondsPerHour)
		cur, sorted = sorted, cur
		for i := range cur {
			buf = j.format(buf, cur[i].t, &cur[i].e)
			if len(buf) >= chunkBytes {
				if err := send(buf); err != nil {
					return lines, err
				}
				buf = getBuf()
			}
		}
		lines += int64(len(cur))
		if j.progress != nil {
			j.progress(h+1, hours)
		}
		faultpoint.Reach(ctx, "synth hour")
	}
	// Events after the last hour (late LogOffs, Ends) fall outside the data set.
	if len(buf) > 0 {
		if err := send(buf); err != nil {
			return lines, err
		}
	}
	return lines, nil
}

// sortHour appends the events of src, all within the hour starting at start, to dst
// in time order. It is a counting sort over the hour's seconds: linear, and stable,
// so events of one second keep their generation order and the output is a function
// of the seed alone.
func sortHour[E any](dst, src []timed[E], counts []int, start int64) []timed[E] {
	clear(counts)
	for i := range src {
		counts[src[i].t-start+1]++
	}
	for s := 1; s < len(counts); s++ {
		counts[s] += counts[s-1]
	}
	dst = slices.Grow(dst, len(src))[:len(src)]
	for i := range src {
		s := src[i].t - start
		dst[counts[s]] = src[i]
		counts[s]++
	}
	return dst
}

// writeGzip compresses chunks into a new file at path and returns its size. Chunks
// go back on free for reuse. It returns at the first error, leaving the caller to
// drain chunks.
func writeGzip(path string, chunks <-chan []byte, free chan<- []byte) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("synth: %w", err)
	}
	// BestSpeed: the generator is compression-bound, and files are read once by ingest.
	zw, err := gzip.NewWriterLevel(f, gzip.BestSpeed)
	if err != nil {
		return 0, errors.Join(fmt.Errorf("synth: %w", err), f.Close())
	}
	for b := range chunks {
		if _, err := zw.Write(b); err != nil {
			return 0, errors.Join(fmt.Errorf("synth: write %s: %w", path, err), f.Close())
		}
		select {
		case free <- b:
		default:
		}
	}
	if err := zw.Close(); err != nil {
		return 0, errors.Join(fmt.Errorf("synth: write %s: %w", path, err), f.Close())
	}
	st, err := f.Stat()
	if err != nil {
		return 0, errors.Join(fmt.Errorf("synth: %w", err), f.Close())
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("synth: write %s: %w", path, err)
	}
	return st.Size(), nil
}
