package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var opts engine.IngestOptions
	var interval string
	var sources []string
	cmd := &cobra.Command{
		Use:   "ingest (--raw DIR | --source NAME=PATH ...) --data DIR [--interval 1h] [--rejects] [--memory 1GB]",
		Short: "Load raw LANL streams, or your own telemetry through source definitions, into Parquet partitioned by time interval",
		Long: `Loads whichever of auth, proc, flows, dns and redteam the raw folder holds
(NAME.txt.gz, NAME.txt, or a folder NAME/ of chunk files) into DATA as Parquet
partitioned by interval, and writes the views that lanlq sql queries.

A rerun over unchanged input does nothing; a rerun after an interruption finishes
the work. New chunk files in a stream folder and lines (or, for .gz, gzip members)
appended to a file already ingested are read alone and added to the stream; a file
rewritten, truncated or removed makes its stream be read whole again, with a warning. Without --rejects the first malformed line stops ingest with its file,
line number and reason; with --rejects good lines are loaded and bad ones are kept
in the rejects view.

--source NAME=PATH (repeatable) reads your own telemetry instead: NAME is a shipped
source definition (lanlq sources lists them: windows-security, sysmon, zeek-conn,
zeek-dns, lanl) or the path of a .sql file of your own, PATH a file, a glob or a
folder. Every record is accounted for per source: records read = rows + not mapped
+ rejects (rejects are always kept, in the rejects view, with file, record and
reason). The sources given are the data folder's whole input.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := parseInterval(interval)
			if err != nil {
				return err
			}
			opts.Interval = d
			if (len(sources) > 0) == (opts.Raw != "") {
				return fmt.Errorf("give either --raw DIR (LANL files) or --source NAME=PATH (repeatable), not both or neither")
			}
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
			var rep *engine.IngestReport
			if len(sources) > 0 {
				so := engine.SourceIngestOptions{Data: opts.Data, Interval: d, MemoryLimit: opts.MemoryLimit, Threads: opts.Threads, LANL: opts}
				for _, s := range sources {
					spec, perr := engine.ParseSourceSpec(s)
					if perr != nil {
						return perr
					}
					so.Sources = append(so.Sources, spec)
				}
				rep, err = engine.IngestSources(cmd.Context(), so)
			} else {
				rep, err = engine.Ingest(cmd.Context(), opts)
			}
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
	f.StringVar(&opts.Raw, "raw", "", "folder with the raw LANL files")
	f.StringArrayVar(&sources, "source", nil, "NAME=PATH: a source definition (shipped name or FILE.sql) and its file, glob or folder (repeatable)")
	requiredString(cmd, &opts.Data, "data", "lanlq data folder to create or update")
	f.StringVar(&interval, "interval", "1h", "partition width: whole seconds, bare (3600) or as a duration (1h, 15m, 2d)")
	f.BoolVar(&opts.KeepRejects, "rejects", false, "keep malformed lines in the rejects view instead of failing")
	f.StringVar(&opts.MemoryLimit, "memory", engine.DefaultMemoryLimit, "DuckDB memory limit (it spills to disk beyond)")
	f.IntVar(&opts.Threads, "threads", 0, "DuckDB threads (0: all CPUs)")
	rootCmd.AddCommand(cmd)
}

func printIngestReport(w io.Writer, rep *engine.IngestReport) {
	if rep.Unchanged() {
		fmt.Fprintln(w, "nothing to do: every stream's input is unchanged since the last ingest")
	}
	for _, s := range rep.Sources {
		state := "ingested"
		if s.Unchanged {
			state = "unchanged"
		}
		var per []string
		for _, st := range []string{"auth", "proc", "flows", "dns"} {
			if n, ok := s.Rows[st]; ok {
				per = append(per, fmt.Sprintf("%s %d", st, n))
			}
		}
		fmt.Fprintf(w, "source %-16s %-9s records read %d = rows %d (%s) + not mapped %d + rejects %d; %d files, %s\n",
			s.Name, state, s.Read, s.TotalRows(), strings.Join(per, ", "), s.NotMapped, s.Rejects, len(s.Files), humanBytes(s.Bytes))
	}
	for _, s := range rep.Streams {
		state := "ingested"
		if s.Unchanged {
			state = "unchanged"
		}
		if len(rep.Sources) > 0 {
			// The sources' lines above reconcile the records; a stream only holds rows.
			fmt.Fprintf(w, "%-8s %-9s rows %d; %d partitions\n", s.Stream, state, s.Rows, s.Partitions)
			continue
		}
		if s.Incremental {
			state = "added"
		}
		fmt.Fprintf(w, "%-8s %-9s lines read %d = rows %d + rejects %d; %d partitions, %s\n",
			s.Stream, state, s.LinesRead, s.Rows, s.Rejects, s.Partitions, humanBytes(s.Bytes))
		if s.Incremental {
			fmt.Fprintf(w, "%-8s %-9s this run read %s: %d lines, %s", "", "", s.Added, s.ReadLines, humanBytes(s.ReadBytes))
			if s.Verified > 0 {
				fmt.Fprintf(w, " (and checked the %s ingested before were unchanged)", humanBytes(s.Verified))
			}
			fmt.Fprintf(w, "; %d late rows (in intervals that already had rows)\n", s.LateRows)
		}
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
