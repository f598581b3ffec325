package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var data, out string
	cmd := &cobra.Command{
		Use:   "plot --data DIR --out OUT",
		Short: "Draw the results of lanlq score in OUT as PNG plots in OUT/plots",
		Long: `Reads OUT's result files (lanlq score) and the red team of DIR and writes
OUT/plots: redteam_per_hour.png and redteam_per_day.png (red-team events),
interval_scores.png (Δ(t) with red-team intervals shaded), roc.png and pr.png (entity
and interval scores against the red team) and top_artifacts.png (the scores over time
of the 8 artifacts with the highest scores). A plot without data is left out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := engine.Open(cmd.Context(), data, engine.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := s.PlotResults(cmd.Context(), out)
			if err != nil {
				return err
			}
			printPlotReport(cmd.OutOrStdout(), rep)
			return nil
		},
	}
	requiredString(cmd, &data, "data", "lanlq data folder holding the redteam stream")
	requiredString(cmd, &out, "out", "folder of lanlq score's results")
	rootCmd.AddCommand(cmd)
}

// printPlotReport lists the plots written, then each one left out with why.
func printPlotReport(w io.Writer, rep *engine.PlotReport) {
	for _, f := range rep.Files {
		fmt.Fprintln(w, f)
	}
	for _, l := range rep.LeftOut {
		fmt.Fprintln(w, "left out", l)
	}
}
