package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
	"github.com/lanlq/lanlq/lanl"
)

func init() {
	var data, scores, memory string
	cmd := &cobra.Command{
		Use:   "explain --data DIR --scores FILE ENTITY INTERVAL",
		Short: "Show the evidence behind an entity's score in one interval",
		Long: `Prints, for ENTITY (a computer like C17693, a user like U620@DOM1, any artifact value)
in the interval holding INTERVAL (a timestamp like "2015-01-03 05:00:00" or LANL
seconds) of the scoring run FILE: each of its artifacts' score, rank and components
(role change, novelty, volume and what drove the fused score), its role before and
after, its history in the earlier intervals (usual role, usual volume), its new
contacts (pairs with artifacts it never co-occurred with in any earlier event, from the
stream views), and the raw events of the interval involving it (up to 50 per stream).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			at, err := lanl.ParseTime(args[1])
			if err != nil {
				return fmt.Errorf("INTERVAL: %w", err)
			}
			if at.IsZero() {
				return fmt.Errorf("INTERVAL: empty")
			}
			s, err := engine.Open(cmd.Context(), data, engine.Options{MemoryLimit: memory})
			if err != nil {
				return err
			}
			defer s.Close()
			ex, err := s.Explain(cmd.Context(), scores, args[0], at)
			if err != nil {
				return err
			}
			printExplanation(cmd.OutOrStdout(), ex)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&data, "data", "", "lanlq data folder the scores were computed from (required)")
	f.StringVar(&scores, "scores", "", "scores.parquet written by lanlq score (required)")
	f.StringVar(&memory, "memory", engine.DefaultMemoryLimit, "DuckDB memory limit")
	cmd.MarkFlagRequired("data")
	cmd.MarkFlagRequired("scores")
	rootCmd.AddCommand(cmd)
}

func printExplanation(w io.Writer, ex *engine.Explanation) {
	fmt.Fprintf(w, "%s in interval %s (method %s)\n", ex.Entity, ex.IntervalStart.Format("2006-01-02 15:04:05"), ex.Experiment.Method)
	if len(ex.Artifacts) == 0 {
		fmt.Fprintln(w, "\nno artifact of this entity was scored in this interval")
	}
	for _, a := range ex.Artifacts {
		fmt.Fprintf(w, "\n%s: score %.4g, rank %d of %d", a.Artifact, a.Score, a.Rank, a.Total)
		if a.Warmup {
			fmt.Fprint(w, " (warm-up interval)")
		}
		fmt.Fprintln(w)
		before := "none (new artifact)"
		if a.RoleBefore != nil {
			before = fmt.Sprintf("%d %s", *a.RoleBefore, fmtMembership(a.MembershipBefore))
		}
		fmt.Fprintf(w, "  role    before %s → after %d %s, δ %.3f", before, a.RoleAfter, fmtMembership(a.MembershipAfter), a.RoleDelta)
		if a.RoleSurprise != nil {
			fmt.Fprintf(w, ", surprise %.3g", *a.RoleSurprise)
		}
		fmt.Fprintln(w)
		if a.NoveltyNewContacts != nil {
			fmt.Fprintf(w, "  novelty %d new contacts (weighted contacts %.3g), surprise %.3g\n", *a.NoveltyNewContacts, *a.NoveltyValue, *a.NoveltySurprise)
		}
		if a.VolumeDegree != nil {
			fmt.Fprintf(w, "  volume  %.4g (expected %.4g), surprise %.3g\n", *a.VolumeDegree, *a.VolumeExpected, *a.VolumeSurprise)
		}
		if a.FusedSurprise != nil {
			dom := "none"
			if a.Dominant != nil {
				dom = *a.Dominant
			}
			fmt.Fprintf(w, "  fused   %.4g, driven by %s\n", *a.FusedSurprise, dom)
		}
		if a.Explanation != nil {
			fmt.Fprintf(w, "  %s\n", *a.Explanation)
		}
	}
	if len(ex.History) > 0 {
		fmt.Fprintln(w, "\nhistory before this interval:")
		for _, h := range ex.History {
			fmt.Fprintf(w, "  %s: scored in %d intervals, last %s, usual role %d", h.Artifact, h.Intervals,
				h.LastSeen.Format("2006-01-02 15:04"), h.UsualRole)
			if h.MeanVolume != nil {
				fmt.Fprintf(w, ", volume mean %.3g max %.4g", *h.MeanVolume, *h.MaxVolume)
			}
			fmt.Fprintln(w)
		}
	}
	typed := 0
	for _, c := range ex.Contacts {
		if c.Typed {
			typed++
		}
	}
	fmt.Fprintf(w, "\nnew contacts (never co-occurring before): %d, %d of kinds novelty counts\n", len(ex.Contacts), typed)
	for _, c := range ex.Contacts {
		mark := " "
		if c.Typed {
			mark = "*"
		}
		fmt.Fprintf(w, " %s %s – %s (%d events)\n", mark, c.Artifact, c.Contact, c.Events)
	}
	for _, se := range ex.Events {
		fmt.Fprintf(w, "\n%s events involving %s: %d", se.Stream, ex.Entity, se.Total)
		if int64(len(se.Lines)) < se.Total {
			fmt.Fprintf(w, " (first %d)", len(se.Lines))
		}
		fmt.Fprintln(w)
		for _, l := range se.Lines {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

func fmtMembership(m []float64) string {
	parts := make([]string, len(m))
	for i, x := range m {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return "[" + strings.Join(parts, " ") + "]"
}
