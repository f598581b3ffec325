package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/lanl"
)

// requiredString registers a string flag the command cannot run without: cobra then
// refuses a command line that lacks it, naming the flag.
func requiredString(cmd *cobra.Command, p *string, name, usage string) {
	cmd.Flags().StringVar(p, name, "", usage+" (required)")
	if err := cmd.MarkFlagRequired(name); err != nil {
		panic(err) // the flag was registered on the line above: a programmer's bug
	}
}

// parseInterval reads an --interval value: whole seconds, bare (3600) or as a
// duration (1h, 15m, 2d).
func parseInterval(s string) (time.Duration, error) {
	d, err := lanl.ParseInterval(s)
	if err != nil {
		return 0, fmt.Errorf("--interval: %w", err)
	}
	return d, nil
}
