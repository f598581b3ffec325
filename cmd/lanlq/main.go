// Command lanlq detects attacker activity in LANL-format security telemetry with
// graph-node role dynamics. This package is CLI wiring only: flags, progress output and
// exit codes; the work lives in engine.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/spf13/cobra"
)

// rootCmd is the lanlq command; each subcommand registers itself from its own file.
// cobra gives subcommands, --help and flag parsing in the style users know from
// kubectl or gh, for less code than hand-written flag sets.
var rootCmd = &cobra.Command{
	Use:           "lanlq",
	Short:         "Find attacker activity in LANL-format telemetry with graph role dynamics",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	os.Exit(execute(os.Args[1:]))
}

// execute runs the command line args under a context that SIGINT and SIGTERM cancel
// and returns the exit status. An interrupted command stops at its next step, removes
// what it had not published (stages, temporary files, spill folders) and releases its
// locks before it returns.
func execute(args []string) int {
	// LANLQ_CPUPROFILE=FILE writes a CPU profile of the whole command (for tuning).
	if path := os.Getenv("LANLQ_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	// LANLQ_MEMPROFILE=FILE writes the Go heap's profile at its peak (for tuning).
	if path := os.Getenv("LANLQ_MEMPROFILE"); path != "" {
		stopHeap := startPeakHeapProfile(path)
		defer func() {
			fmt.Fprintln(os.Stderr, "lanlq:", stopHeap())
		}()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rootCmd.SetArgs(args)
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "lanlq: interrupted by a signal; nothing unfinished was published (run the command again to redo it):", err)
		} else {
			fmt.Fprintln(os.Stderr, "lanlq:", err)
		}
		return 1
	}
	return 0
}
