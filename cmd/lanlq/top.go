package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
)

func init() {
	var data, scores string
	var entities, perEntity int
	cmd := &cobra.Command{
		Use:   "top --data DIR --scores OUT/scores.parquet [-n 10] [--per-entity 3]",
		Short: "Print the top alerts per entity, warm-up left out, each with one line of why",
		Long: `Prints the -n entities (users, computers, …) with the highest score outside the
warm-up, highest first, and for each its --per-entity highest (interval, artifact)
scores with the explanation of each. The warm-up (the frame's first day) is left out:
there every history is empty, so its highest scores are busy hubs seen for the first
time, not attacks. Follow one up with: lanlq explain --data DIR --scores FILE ENTITY INTERVAL`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := engine.Open(cmd.Context(), data, engine.Options{})
			if err != nil {
				return err
			}
			defer s.Close()
			alerts, err := s.TopAlerts(cmd.Context(), scores, entities, perEntity)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if len(alerts) == 0 {
				fmt.Fprintln(w, "no score outside the warm-up: score a frame that starts a day before the intervals to judge")
				return nil
			}
			last := ""
			rank := 0
			for _, a := range alerts {
				if a.Entity != last {
					rank++
					fmt.Fprintf(w, "%d. %s\n", rank, a.Entity)
					last = a.Entity
				}
				fmt.Fprintf(w, "   %s  %-40s %8.3f  %s\n", a.IntervalStart.Format(time.DateTime), a.Artifact, a.Score, a.Why)
			}
			return nil
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder the scores were computed from")
	requiredString(cmd, &scores, "scores", "scores.parquet written by lanlq score")
	f.IntVarP(&entities, "entities", "n", 10, "number of entities")
	f.IntVar(&perEntity, "per-entity", 3, "alerts shown per entity")
	rootCmd.AddCommand(cmd)
}
