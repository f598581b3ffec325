package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Run is one measured command: wall time, CPU time and peak resident memory.
type Run struct {
	Wall      time.Duration
	User, Sys time.Duration
	PeakRSS   int64 // bytes (max RSS of the process tree's largest process)
}

// CPU is the run's user + system time.
func (r Run) CPU() time.Duration { return r.User + r.Sys }

// Measure runs name with args, stdout discarded to /dev/null (a real file, so the
// command writes as it would to a terminal-less pipe without Go copying the bytes),
// and returns its resource use. stderr is passed through when verbose.
func Measure(ctx context.Context, stderr io.Writer, name string, args ...string) (Run, error) {
	return MeasureOutput(ctx, nil, stderr, name, args...)
}

// MeasureOutput is Measure with the command's stdout copied to stdout (to /dev/null
// when nil). The resource use is the child's own, from wait4's rusage: peak RSS is
// the largest of the process and the children it waited for.
func MeasureOutput(ctx context.Context, stdout, stderr io.Writer, name string, args ...string) (Run, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdout != nil {
		cmd.Stdout = stdout
	} else {
		devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		if err != nil {
			return Run{}, err
		}
		defer devnull.Close()
		cmd.Stdout = devnull
	}
	var errBuf strings.Builder
	if stderr != nil {
		cmd.Stderr = io.MultiWriter(stderr, &errBuf)
	} else {
		cmd.Stderr = &errBuf
	}
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return Run{}, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, errBuf.String())
	}
	wall := time.Since(start)
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return Run{
		Wall:    wall,
		User:    time.Duration(ru.Utime.Nano()),
		Sys:     time.Duration(ru.Stime.Nano()),
		PeakRSS: ru.Maxrss * 1024, // Linux reports KiB
	}, nil
}

// IngestResult compares lanlq ingest with zcat of the same files, measured in one run.
type IngestResult struct {
	Events    int64
	GzipBytes int64
	TextBytes int64
	Zcat      Run
	Ingest    Run
	Streams   map[string]int64
}

// Ratio is ingest wall time over zcat wall time.
func (r IngestResult) Ratio() float64 { return r.Ingest.Wall.Seconds() / r.Zcat.Wall.Seconds() }

// IngestBench times `zcat FILES > /dev/null` and `lanlq ingest` over the raw files in
// raw, writing into a fresh data folder under work.
func IngestBench(ctx context.Context, lanlq, raw, work string, extra ...string) (IngestResult, error) {
	var res IngestResult
	files, err := filepath.Glob(filepath.Join(raw, "*.txt.gz"))
	if err != nil || len(files) == 0 {
		return res, fmt.Errorf("bench: no *.txt.gz in %s", raw)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return res, err
		}
		res.GzipBytes += st.Size()
	}
	// Warm the page cache so both commands read from memory.
	if _, err := Measure(ctx, nil, "cat", files...); err != nil {
		return res, err
	}
	res.Zcat, err = Measure(ctx, nil, "zcat", files...)
	if err != nil {
		return res, err
	}
	data := filepath.Join(work, "data")
	if err := os.RemoveAll(data); err != nil {
		return res, err
	}
	args := append([]string{"ingest", "--raw", raw, "--data", data}, extra...)
	res.Ingest, err = Measure(ctx, nil, lanlq, args...)
	if err != nil {
		return res, err
	}
	b, err := os.ReadFile(filepath.Join(data, "lanlq.json"))
	if err != nil {
		return res, err
	}
	var m struct {
		Streams map[string]struct {
			Rows int64 `json:"rows"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return res, err
	}
	res.Streams = map[string]int64{}
	for name, s := range m.Streams {
		res.Streams[name] = s.Rows
		if name != "redteam" {
			res.Events += s.Rows
		}
	}
	return res, nil
}

// Markdown renders the result as the rows BENCHMARKS.md records.
func (r IngestResult) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "| command | wall s | user+sys s | peak RSS MiB | events/s | gzip MB/s |\n|---|---:|---:|---:|---:|---:|\n")
	row := func(name string, run Run) {
		fmt.Fprintf(&b, "| %s | %.2f | %.2f | %.0f | %.2fM | %.1f |\n", name, run.Wall.Seconds(),
			(run.User + run.Sys).Seconds(), float64(run.PeakRSS)/(1<<20),
			float64(r.Events)/run.Wall.Seconds()/1e6, float64(r.GzipBytes)/run.Wall.Seconds()/1e6)
	}
	row("zcat FILES > /dev/null", r.Zcat)
	row("lanlq ingest", r.Ingest)
	fmt.Fprintf(&b, "\nevents %d (%v), gzip %.1f MB; ingest / zcat wall time = %.2f×\n",
		r.Events, r.Streams, float64(r.GzipBytes)/1e6, r.Ratio())
	return b.String()
}
