package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var (
		data, out, arch, interval, from, to, streams, memory string
		threads                                              int
	)
	cmd := &cobra.Command{
		Use:   "edges --data DIR --out DIR [--arch notebook|entity|FILE.sql] [--interval 1h] [--from TS --to TS] [--streams auth,proc,...]",
		Short: "Write the per-interval artifact co-occurrence graphs as Parquet edge lists",
		Long: `Builds, for each interval, the graph in which every event is a clique over its
artifacts (edge weight = number of events holding both ends, all streams summed) and
writes it to OUT/interval_start=YYYY-MM-DD hh:mm:ss/data_0.parquet with columns
interval_start TIMESTAMP, a VARCHAR, b VARCHAR, weight BIGINT (artifact names, a < b).
Read it back with: lanlq sql -c "SELECT * FROM read_parquet('OUT/*/*.parquet')".

--arch notebook (default) names artifacts column::value over every non-numeric column,
as the research notebook did; entity types them (computer::C586, user::U12@DOM1,
process::P16, port::445, ...) so a computer is one vertex whether source or
destination. FILE.sql is your own architecture: "lanlq edges arch" prints the
notebook one, whose header states what such a file must define.

--from and --to bound event times [from, to): a timestamp (2015-01-02 08:00:00,
2015-01-02T08:00:00Z, 2015-01-02) or LANL seconds (86400). OUT is replaced as a whole
when the export completes; a folder holding anything else is refused.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			width, err := parseInterval(interval)
			if err != nil {
				return err
			}
			spec, err := engine.EdgeArgs{Arch: arch, Interval: width, From: from, To: to, Streams: streams}.Spec()
			if err != nil {
				return flagError(err)
			}
			s, err := engine.Open(cmd.Context(), data, engine.Options{MemoryLimit: memory, Threads: threads})
			if err != nil {
				return err
			}
			defer s.Close()
			bar := newCountBar(0, "edges")
			progress := func(done, total int) {
				if bar != nil {
					bar.ChangeMax(total)
					bar.Set(done)
				}
			}
			start := time.Now()
			err = s.ExportEdges(cmd.Context(), spec, out, progress)
			if bar != nil {
				bar.Finish()
			}
			if err != nil {
				return err
			}
			var intervals, edges int64
			q := "SELECT count(DISTINCT interval_start), count(*) FROM read_parquet(?)"
			if err := s.QueryRow(cmd.Context(), q, engine.QuoteGlob(out)+"/*/*.parquet").Scan(&intervals, &edges); err != nil {
				// An export of a frame without events writes no file to count.
				intervals, edges = 0, 0
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d intervals, %d edges in %s (%s)\n", intervals, edges, out, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder written by lanlq ingest")
	requiredString(cmd, &out, "out", "folder to write the edge lists to")
	f.StringVar(&arch, "arch", engine.ArchNotebook, "graph architecture: notebook, entity or FILE.sql")
	f.StringVar(&interval, "interval", "1h", "interval width: whole seconds, bare (3600) or as a duration (1h, 15m, 2d)")
	f.StringVar(&from, "from", "", "first event time included (timestamp or LANL seconds)")
	f.StringVar(&to, "to", "", "first event time excluded (timestamp or LANL seconds)")
	f.StringVar(&streams, "streams", "", "comma-separated streams (default: all the architecture uses)")
	f.StringVar(&memory, "memory", engine.DefaultMemoryLimit, "DuckDB memory limit (it spills to disk beyond)")
	f.IntVar(&threads, "threads", 0, "DuckDB threads (0: all CPUs)")
	cmd.AddCommand(&cobra.Command{
		Use:   "arch [notebook|entity]",
		Short: "Print a built-in graph architecture's SQL, the template for your own FILE.sql",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			name := engine.ArchNotebook
			if len(args) == 1 {
				name = args[0]
			}
			text, err := engine.ArchSQL(name)
			if err != nil {
				return err
			}
			fmt.Print(text)
			return nil
		},
	})
	rootCmd.AddCommand(cmd)
}

// flagError shows a setting error of engine's shared parser under the flag's name:
// train_from: … becomes --train-from: …; it still wraps engine's sentinel.
func flagError(err error) error {
	if se, ok := errors.AsType[*engine.SettingError](err); ok {
		return &settingFlagError{flag: "--" + strings.ReplaceAll(se.Setting, "_", "-"), err: se}
	}
	return err
}

type settingFlagError struct {
	flag string
	err  *engine.SettingError
}

func (e *settingFlagError) Error() string { return e.flag + ": " + e.err.Reason }
func (e *settingFlagError) Unwrap() error { return e.err }
