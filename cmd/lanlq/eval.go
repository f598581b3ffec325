package main

import (
	"fmt"
	"io"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var data, scores, out, interval, labels string
	cmd := &cobra.Command{
		Use:   "eval --data DIR --scores OUT/scores.parquet [--labels FILE.csv] [--out DIR] [--interval 1h]",
		Short: "Rank the scores against the red team: ROC AUC, average precision, precision and recall at k",
		Long: `Positives are (interval, entity) pairs: for each redteam line, its interval and each of
its userdomain_source, computer_source and computer_destination values. An entity's
score in an interval is the highest score of any artifact whose value is that entity;
negatives are every other scored (interval, entity). Red-team pairs that no graph holds
are counted and listed as unscored. Intervals are ranked by Δ(t) against "the interval
holds red-team events".

--labels FILE.csv takes the positives from your own incidents instead of the redteam
stream: a CSV file with a header naming time and entity, one labelled pair per row
(time a timestamp such as 2020-10-22T08:29:55Z, or LANL seconds; entity a value as
lanlq names it: pgustavo@THESHIRE, WORKSTATION5, 10.0.1.4). The positives are then the
(interval, entity) pairs of its rows.

Prints a summary and writes the metrics, the unscored pairs and the (thinned) ROC and
precision-recall curves to OUT/eval.json: --out is a folder (default: the scores'
folder). A file given as --out is never replaced, nor a folder holding another run's
results.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var width time.Duration
			if interval != "" {
				var err error
				if width, err = parseInterval(interval); err != nil {
					return err
				}
			}
			s, err := engine.Open(cmd.Context(), data, engine.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			if labels != "" {
				if _, err := s.UseLabels(cmd.Context(), labels); err != nil {
					return err
				}
			}
			rep, path, err := s.EvaluateInto(cmd.Context(), scores, width, out)
			if err != nil {
				return err
			}
			printEvalReport(cmd.OutOrStdout(), rep)
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			return nil
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder holding the redteam stream")
	requiredString(cmd, &scores, "scores", "scores.parquet written by lanlq score")
	f.StringVar(&out, "out", "", "folder to write eval.json into (default: the scores' folder)")
	f.StringVar(&interval, "interval", "", "interval width of the scores (default: from the scoring run)")
	f.StringVar(&labels, "labels", "", "CSV file of labelled (time, entity) pairs to evaluate against instead of the redteam stream")
	rootCmd.AddCommand(cmd)
}

func printEvalReport(w io.Writer, rep *engine.EvalReport) {
	rt := rep.RedTeam
	fmt.Fprintf(w, "frame [%s, %s), %d s intervals\n", rep.FrameFrom, rep.FrameTo, rep.IntervalSeconds)
	what := "red team: %d lines, %d in the frame"
	if rep.Labels != "" {
		fmt.Fprintf(w, "labels from %s\n", rep.Labels)
		what = "labels: %d pairs, %d in the frame"
	}
	fmt.Fprintf(w, what+" → %d (interval, entity) positives: %d scored, %d in no graph",
		rt.Lines, rt.LinesInFrame, rt.Pairs, rt.Scored, rt.Unscored)
	if rt.PairsOutside > 0 {
		fmt.Fprintf(w, "; %d pairs outside the frame", rt.PairsOutside)
	}
	fmt.Fprintln(w)
	if rep.WarmupExcludedTo != "" {
		fmt.Fprintf(w, "warm-up before %s left out (histories still empty): %d red-team pairs in it\n",
			rep.WarmupExcludedTo, rt.WarmupPairs)
	}
	if rep.Entities.N == 0 && rep.WarmupExcludedTo != "" {
		fmt.Fprintf(w, "nothing to rank: every scored interval is warm-up (before %s); score a frame that starts a day before the intervals to judge\n",
			rep.WarmupExcludedTo)
	}
	printMetrics(w, "entities", &rep.Entities)
	if rep.Intervals != nil {
		printMetrics(w, "intervals Δ(t)", rep.Intervals)
	}
	if rep.IntervalsKnown != nil {
		printMetrics(w, "intervals Δ known", rep.IntervalsKnown)
	}
}

func printMetrics(w io.Writer, name string, m *engine.EvalMetrics) {
	fmt.Fprintf(w, "%-18s n %-8d positives %-6d ROC AUC %s  AP %s (base rate %s)", name, m.N, m.Positives,
		fmtMetric(m.AUC), fmtMetric(m.AP), fmtMetric(m.BaseRate))
	for _, a := range m.AtK {
		fmt.Fprintf(w, "  P@%d %s R@%d %s", a.K, fmtMetric(a.Precision), a.K, fmtMetric(a.Recall))
	}
	fmt.Fprintln(w)
}

func fmtMetric(x engine.JSONNum) string {
	if math.IsNaN(float64(x)) {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", float64(x))
}
