package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var data, out string
	cmd := &cobra.Command{
		Use:   "run --data DIR --out DIR EXPERIMENT.sql",
		Short: "Run an experiment: a SQL file of settings and steps, results as Parquet",
		Long: `Runs the statements of EXPERIMENT.sql in order over the data folder, like lanlq sql,
with lanlq's table functions (lanl_edges, ...) and two variables set first:
getvariable('out'), where results go, and getvariable('data'). Write results with

  COPY (SELECT ... ORDER BY ...) TO (getvariable('out') || '/NAME.parquet') (FORMAT parquet);

Results are moved into OUT only when every statement succeeded, with a copy of the
experiment and experiment.json (its settings: the variables it set, its sha256, the
data fingerprint). A failing statement is reported as EXPERIMENT.sql:LINE: message
and leaves OUT as it was. experiments/README.md documents the table functions.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			errOut := cmd.ErrOrStderr()
			name := filepath.Base(args[0])
			start := time.Now()
			progress := func(ev engine.StatementEvent) {
				if !ev.Done {
					return
				}
				status := ev.Elapsed.Round(time.Millisecond).String()
				if ev.Err != nil {
					status = "failed after " + status
				}
				fmt.Fprintf(errOut, "[%d/%d] %s:%d %s  %s\n", ev.Index+1, ev.Total, name, ev.Statement.Line,
					firstLine(ev.Statement.SQL, 60), status)
			}
			if err := engine.RunExperiment(cmd.Context(), data, out, args[0], progress); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results in %s (%s)\n", out, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	requiredString(cmd, &data, "data", "lanlq data folder written by lanlq ingest")
	requiredString(cmd, &out, "out", "folder the results are moved into")
	rootCmd.AddCommand(cmd)
}

// firstLine shortens a statement to its first line, at most n bytes, for progress lines.
func firstLine(sql string, n int) string {
	line, _, cut := strings.Cut(sql, "\n")
	if len(line) > n {
		line, cut = line[:n], true
	}
	if cut {
		line += " …"
	}
	return line
}
