package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	cmd := &cobra.Command{
		Use:   "sources",
		Short: "List the shipped source definitions and how each maps its records onto the streams",
		Long: `Lists the source definitions lanlq ships (sql/sources/NAME.sql) with what each
reads and how it maps records onto auth, proc, flows and dns. Use one with
lanlq ingest --source NAME=PATH; a .sql file of your own that follows the contract
(documented atop windows-security.sql; README "Your own telemetry") works the same
way without rebuilding lanlq.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			w := cmd.OutOrStdout()
			for i, s := range engine.ShippedSources() {
				if i > 0 {
					fmt.Fprintln(w)
				}
				fmt.Fprintf(w, "%s\n", s.Name)
				for line := range strings.Lines(s.About) {
					fmt.Fprintf(w, "    %s", line)
				}
				fmt.Fprintln(w)
			}
			return nil
		},
	}
	rootCmd.AddCommand(cmd)
}
