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
	// LANLQ_CPUPROFILE=FILE writes a CPU profile of the whole command (for tuning).
	if path := os.Getenv("LANLQ_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			pprof.StartCPUProfile(f)
			defer pprof.StopCPUProfile()
		}
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCmd.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "lanlq:", err)
		stop()
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}
