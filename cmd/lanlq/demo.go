package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
	"github.com/lanlq/lanlq/experiments"
	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/synth"
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
		Short: "Generate LANL-format data, ingest it, score it by role dynamics and evaluate against the red team",
		Long: `demo runs lanlq end to end on generated data: synth (5 days, about 3 million
events with red-team campaigns), ingest into interval-partitioned Parquet, a few SQL
queries, then lanlq score (notebook architecture, 1 h intervals, EWMA expectation),
the top anomalies, lanlq eval and lanlq plot. Everything is kept in DIR (default
./demo): raw/, data/ and out/ (scores, eval.json, plots/) for lanlq sql and notebooks.`,
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
				if err := runSQL(ctx, sess, w, q.sql, "table"); err != nil {
					return fmt.Errorf("%s: %w", q.title, err)
				}
			}
			out := filepath.Join(dir, "out")
			step("score: fused detector (%s; notebook architecture, 1 h) → %s", strings.Join(engine.DefaultComponents, ", "), out)
			spec := engine.ScoreSpec{Edges: engine.EdgeSpec{Arch: engine.ArchNotebook, Interval: time.Hour},
				Expect: graphkit.ExpectEWMA, Seed: 1}
			srep, err := runScore(cmd, sess, spec, out)
			if err != nil {
				return err
			}
			printScoreReport(w, srep)
			scores := filepath.Join(out, engine.ScoresFile)
			step("the 10 highest scores")
			top, err := sess.TopAnomalies(ctx, scores, 10, 0)
			if err != nil {
				return err
			}
			printAnomalies(w, top)
			step("eval against the red team → %s", filepath.Join(out, engine.EvalFile))
			erep, err := sess.Evaluate(ctx, scores, 0)
			if err != nil {
				return err
			}
			if err := erep.WriteJSON(filepath.Join(out, engine.EvalFile)); err != nil {
				return err
			}
			printEvalReport(w, erep)
			step("plots → %s", filepath.Join(out, "plots"))
			prep, err := sess.PlotResults(ctx, out)
			if err != nil {
				return err
			}
			printPlotReport(w, prep)

			// The notebook's own choices, as an experiment: plain role dynamics, t−1.
			nbDir := filepath.Join(dir, "notebook")
			nbSQL := filepath.Join(dir, "notebook.sql")
			text, err := experiments.Files.ReadFile("notebook.sql")
			if err != nil {
				return err
			}
			if err := os.WriteFile(nbSQL, text, 0o644); err != nil {
				return err
			}
			step("lanlq run %s (the notebook's choices: plain role dynamics, t−1) → %s", nbSQL, nbDir)
			progress := func(ev engine.StatementEvent) {
				if ev.Done {
					fmt.Fprintf(w, "[%d/%d] notebook.sql:%d %s  %s\n", ev.Index+1, ev.Total, ev.Statement.Line,
						firstLine(ev.Statement.SQL, 60), ev.Elapsed.Round(time.Millisecond))
				}
			}
			if err := engine.RunExperiment(ctx, data, nbDir, nbSQL, progress); err != nil {
				return err
			}
			// Interval 0: the width and the warm-up come from the scores' metadata (the
			// experiment made one scoring run), so the warm-up is left out as above.
			nrep, err := sess.Evaluate(ctx, filepath.Join(nbDir, engine.ScoresFile), 0)
			if err != nil {
				return err
			}
			printEvalReport(w, nrep)
			step("done; try: lanlq sql --data %s -c \"FROM '%s' LIMIT 10\"", data, engine.QuoteGlob(scores))
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "demo", "working folder for the demo's data and results")
	rootCmd.AddCommand(cmd)
}

// printAnomalies prints scored artifacts as a table, marking the red-team ones.
func printAnomalies(w io.Writer, top []engine.Anomaly) {
	fmt.Fprintf(w, "%-19s  %-40s  %6s  %-5s  %-11s  %s\n", "interval", "artifact", "score", "new", "role", "red team")
	for _, a := range top {
		role := "-" // the run computed no roles
		switch {
		case a.RoleAfter != nil && a.RoleBefore != nil:
			role = fmt.Sprintf("%d → %d", *a.RoleBefore, *a.RoleAfter)
		case a.RoleAfter != nil:
			role = fmt.Sprintf("new → %d", *a.RoleAfter)
		}
		rt := ""
		if a.RedTeam {
			rt = "RED TEAM"
		}
		fmt.Fprintf(w, "%-19s  %-40s  %6.3f  %-5t  %-11s  %s\n", a.IntervalStart.UTC().Format(time.DateTime), a.Artifact, a.Score, a.New, role, rt)
	}
}
