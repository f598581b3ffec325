package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var data, command, format, memory string
	cmd := &cobra.Command{
		Use:   "sql --data DIR [-c SQL | FILE.sql] [--format table|csv|json]",
		Short: "Run SQL over the ingested streams (interactive without -c or a file)",
		Long: `Runs SQL against the views auth, proc, flows, dns, redteam and rejects of a
data folder. Each stream view has time (BIGINT, LANL seconds), ts (TIMESTAMP,
2015-01-01 + time) and the stream's fields. With -c or a .sql file the last
statement's result is printed; with neither, an interactive prompt starts.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if command != "" && len(args) > 0 {
				return fmt.Errorf("give either -c or a SQL file, not both")
			}
			sess, err := engine.Open(cmd.Context(), data, engine.Options{MemoryLimit: memory})
			if err != nil {
				return err
			}
			defer sess.Close()
			out := cmd.OutOrStdout()
			switch {
			case command != "":
				return runSQL(cmd.Context(), sess, out, command, format)
			case len(args) == 1:
				b, err := os.ReadFile(args[0])
				if err != nil {
					return err
				}
				return runSQL(cmd.Context(), sess, out, string(b), format)
			default:
				return prompt(cmd.Context(), sess, cmd.InOrStdin(), out, cmd.ErrOrStderr(), format)
			}
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder")
	f.StringVarP(&command, "command", "c", "", "SQL to run")
	f.StringVar(&format, "format", "table", "output format: table, csv or json")
	f.StringVar(&memory, "memory", "4GB", "DuckDB memory limit")
	rootCmd.AddCommand(cmd)
}
