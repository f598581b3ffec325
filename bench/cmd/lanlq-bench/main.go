// Command lanlq-bench runs lanlq's benchmark harness and prints the figures recorded
// in BENCHMARKS.md, with the command that produced them.
//
//	go run -tags duckdb_arrow ./bench/cmd/lanlq-bench ingest --work /tmp/lb --days 10 --scale 3
//	go run -tags duckdb_arrow ./bench/cmd/lanlq-bench lanl --work /tmp/lanl-bench --days 1,3,7
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/lanlq/lanlq/bench"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lanlq-bench ingest|lanl [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "ingest":
		err = ingest(os.Args[2:])
	case "lanl":
		err = lanl(os.Args[2:])
	default:
		err = fmt.Errorf("unknown benchmark %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "lanlq-bench:", err)
		os.Exit(1)
	}
}

func ingest(args []string) error {
	fs := flag.NewFlagSet("ingest", flag.ExitOnError)
	work := fs.String("work", filepath.Join(os.TempDir(), "lanlq-bench"), "scratch folder")
	lanlq := fs.String("lanlq", "bin/lanlq", "lanlq binary (make build)")
	days := fs.Int("days", 10, "synth days")
	scale := fs.Float64("scale", 3, "synth scale")
	seed := fs.Int("seed", 1, "synth seed")
	raw := fs.String("raw", "", "use this raw folder instead of generating one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	if *raw == "" {
		*raw = filepath.Join(*work, fmt.Sprintf("raw-d%d-s%g-%d", *days, *scale, *seed))
		if _, err := os.Stat(filepath.Join(*raw, "auth.txt.gz")); err != nil {
			cmd := exec.Command(*lanlq, "synth", "--out", *raw, "--days", fmt.Sprint(*days), "--scale", fmt.Sprint(*scale), "--seed", fmt.Sprint(*seed))
			cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
			if err := cmd.Run(); err != nil {
				return fmt.Errorf("synth: %w", err)
			}
		}
	}
	res, err := bench.IngestBench(ctx, *lanlq, *raw, *work)
	if err != nil {
		return err
	}
	fmt.Printf("command: lanlq-bench %s\nmachine: %s, %d CPUs, %s\n\n%s", strings.Join(os.Args[1:], " "),
		runtime.GOARCH, runtime.NumCPU(), cpuModel(), res.Markdown())
	return nil
}

// lanl generates, ingests and scores spans of LANL-sized data at LANL's rate and
// prints the scaling table, each span's row as soon as it is measured.
func lanl(args []string) error {
	fs := flag.NewFlagSet("lanl", flag.ExitOnError)
	work := fs.String("work", filepath.Join(os.TempDir(), "lanl-bench"), "folder for the generated raw data (cached), data and results")
	lanlq := fs.String("lanlq", "bin/lanlq", "lanlq binary (make build)")
	daysList := fs.String("days", "1,3,7", "comma-separated spans in days")
	seed := fs.Uint64("seed", 1, "synth seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var days []int
	for f := range strings.SplitSeq(*daysList, ",") {
		d, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || d <= 0 {
			return fmt.Errorf("--days: %q is not a positive number of days", f)
		}
		days = append(days, d)
	}
	fmt.Printf("command: lanlq-bench %s\nmachine: %s, %d CPUs, %s; started %s\n\n", strings.Join(os.Args[1:], " "),
		runtime.GOARCH, runtime.NumCPU(), cpuModel(), time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	var spans []bench.LANLSpan
	for _, d := range days {
		s, err := bench.LANLSpanBench(context.Background(), *lanlq, *work, d, *seed, os.Stderr)
		if err != nil {
			return err
		}
		spans = append(spans, s)
		if s.Generated {
			fmt.Printf("generated %s: %.0f s wall, %.0f CPU-s, peak RSS %.2f GiB\n", s.Raw, s.Synth.Wall.Seconds(), s.Synth.CPU().Seconds(), float64(s.Synth.PeakRSS)/(1<<30))
		}
		fmt.Printf("%d d done at %s\n\n%s\n", d, time.Now().UTC().Format("15:04 UTC"), bench.LANLMarkdown([]bench.LANLSpan{s}))
	}
	fmt.Printf("all spans:\n\n%s", bench.LANLMarkdown(spans))
	return nil
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "model name") {
			if _, v, ok := strings.Cut(line, ":"); ok {
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown CPU"
}
