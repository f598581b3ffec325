package main

import (
	"fmt"
	"io"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var opts engine.IngestOptions
	var interval string
	cmd := &cobra.Command{
		Use:   "ingest --raw DIR --data DIR [--interval 1h] [--rejects] [--memory 1GB]",
		Short: "Load raw LANL streams into Parquet partitioned by time interval",
		Long: `Loads whichever of auth, proc, flows, dns and redteam the raw folder holds
(NAME.txt.gz, NAME.txt, or a folder NAME/ of chunk files) into DATA as Parquet
partitioned by interval, and writes the views that lanlq sql queries.

A rerun over unchanged input does nothing; a rerun after an interruption finishes
the work. Without --rejects the first malformed line stops ingest with its file,
line number and reason; with --rejects good lines are loaded and bad ones are kept
in the rejects view.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseInterval(interval)
			if err != nil {
				return err
			}
			opts.Interval = d
			bars := map[string]*progressbar.ProgressBar{}
			if isTerminal() {
				opts.Progress = func(stream string, done, total int64) {
					b := bars[stream]
					if b == nil {
						b = newBytesBar(total, "ingest "+stream)
						bars[stream] = b
					}
					b.Set64(done)
				}
			}
			rep, err := engine.Ingest(cmd.Context(), opts)
			for _, b := range bars {
				b.Finish()
			}
			if err != nil {
				return err
			}
			printIngestReport(cmd.OutOrStdout(), rep)
			printWarnings(cmd.ErrOrStderr(), rep.Warnings)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Raw, "raw", "", "folder with the raw LANL files (required)")
	f.StringVar(&opts.Data, "data", "", "lanlq data folder to create or update (required)")
	f.StringVar(&interval, "interval", "1h", "partition width: whole seconds, bare (3600) or as a duration (1h, 15m, 2d)")
	f.BoolVar(&opts.KeepRejects, "rejects", false, "keep malformed lines in the rejects view instead of failing")
	f.StringVar(&opts.MemoryLimit, "memory", engine.DefaultMemoryLimit, "DuckDB memory limit (it spills to disk beyond)")
	f.IntVar(&opts.Threads, "threads", 0, "DuckDB threads (0: all CPUs)")
	cmd.MarkFlagRequired("raw")
	cmd.MarkFlagRequired("data")
	rootCmd.AddCommand(cmd)
}

func printIngestReport(w io.Writer, rep *engine.IngestReport) {
	if rep.Unchanged() {
		fmt.Fprintln(w, "nothing to do: every stream's input is unchanged since the last ingest")
	}
	for _, s := range rep.Streams {
		state := "ingested"
		if s.Unchanged {
			state = "unchanged"
		}
		fmt.Fprintf(w, "%-8s %-9s lines read %d = rows %d + rejects %d; %d partitions, %s\n",
			s.Stream, state, s.LinesRead, s.Rows, s.Rejects, s.Partitions, humanBytes(s.Bytes))
	}
	if !rep.Unchanged() {
		fmt.Fprintf(w, "done in %s\n", rep.Elapsed.Round(10*time.Millisecond))
	}
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// printWarnings writes each warning as one line on w (stderr): "lanlq: warning: …".
func printWarnings(w io.Writer, warnings []string) {
	for _, msg := range warnings {
		fmt.Fprintln(w, "lanlq: warning:", msg)
	}
}
