package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
	"github.com/lanlq/lanlq/engine/synth"
)

// demoQueries are what the demo shows of the ingested data: what a threat hunter
// would look at first.
var demoQueries = []struct{ title, sql string }{
	{"events per stream", `SELECT 'auth' AS stream, count(*) AS events, min(ts) AS first, max(ts) AS last FROM auth
UNION ALL SELECT 'proc', count(*), min(ts), max(ts) FROM proc
UNION ALL SELECT 'flows', count(*), min(ts), max(ts) FROM flows
UNION ALL SELECT 'dns', count(*), min(ts), max(ts) FROM dns
UNION ALL SELECT 'redteam', count(*), min(ts), max(ts) FROM redteam`},
	{"busiest logon destinations", `SELECT computer_destination, count(*) AS logons, count(DISTINCT userdomain_source) AS users
FROM auth WHERE direction = 'LogOn' GROUP BY ALL ORDER BY logons DESC LIMIT 5`},
	{"red-team logons per day", `SELECT CAST(ts AS DATE) AS day, count(*) AS events,
       count(DISTINCT computer_destination) AS targets, string_agg(DISTINCT userdomain_source, ' ') AS users
FROM redteam GROUP BY ALL ORDER BY day`},
}

func init() {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo [--dir DIR]",
		Short: "Generate LANL-format data, ingest it, build the artifact graphs and show what is there",
		Long: `demo runs lanlq end to end on generated data: synth (5 days, about 3 million
events with red-team campaigns), ingest into interval-partitioned Parquet, a few SQL
queries, and the per-hour artifact co-occurrence graphs (notebook architecture).
Everything is kept in DIR (default ./demo) for lanlq sql and notebooks.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			w := cmd.OutOrStdout()
			raw, data := filepath.Join(dir, "raw"), filepath.Join(dir, "data")
			start := time.Now()
			step := func(format string, args ...any) {
				fmt.Fprintf(w, "\n== [%5.1fs] %s\n", time.Since(start).Seconds(), fmt.Sprintf(format, args...))
			}
			if _, err := os.Stat(filepath.Join(raw, "truth.json")); err == nil {
				step("synth: reusing %s", raw)
			} else {
				step("synth → %s", raw)
				sum, err := synth.Generate(ctx, raw, synth.DefaultConfig())
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "%d events, %d red-team lines in %d campaigns\n", sum.Events(), sum.Lines["redteam"], sum.Campaigns)
			}
			step("ingest → %s", data)
			rep, err := engine.Ingest(ctx, engine.IngestOptions{Raw: raw, Data: data})
			if err != nil {
				return err
			}
			printIngestReport(w, rep)
			sess, err := engine.Open(ctx, data, engine.Options{})
			if err != nil {
				return err
			}
			defer sess.Close()
			for _, q := range demoQueries {
				step("sql: %s", q.title)
				if err := sess.RunSQL(ctx, w, q.sql, "table"); err != nil {
					return fmt.Errorf("%s: %w", q.title, err)
				}
			}
			edges := filepath.Join(dir, "edges")
			step("edges of the first day (notebook architecture, 1 h) → %s", edges)
			spec := engine.EdgeSpec{Arch: engine.ArchNotebook, From: engine.Origin, To: engine.Origin.Add(24 * time.Hour)}
			if err := sess.ExportEdges(ctx, spec, edges, nil); err != nil {
				return err
			}
			if err := sess.RunSQL(ctx, w, fmt.Sprintf(`SELECT count(DISTINCT interval_start) AS intervals, count(*) AS edges,
       sum(weight) AS total_weight, max(weight) AS max_weight
FROM read_parquet('%s/*/*.parquet', hive_partitioning = true)`, edges), "table"); err != nil {
				return err
			}
			step("done; try: lanlq sql --data %s", data)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "working folder for the demo's data and results")
	rootCmd.AddCommand(cmd)
}
