// Command lanlq-bench runs lanlq's benchmark harness and prints the figures recorded
// in BENCHMARKS.md, with the command that produced them.
//
//	go run -tags duckdb_arrow ./bench/cmd/lanlq-bench ingest --work /tmp/lb --days 10 --scale 3
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/lanlq/lanlq/bench"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: lanlq-bench ingest [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "ingest":
		err = ingest(os.Args[2:])
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
