package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
	"github.com/lanlq/lanlq/lanl"
)

func init() {
	var data, scores, memory string
	var memberships, all bool
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
			printExplanation(cmd.OutOrStdout(), ex, memberships, all)
			return nil
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder the scores were computed from")
	requiredString(cmd, &scores, "scores", "scores.parquet written by lanlq score")
	f.StringVar(&memory, "memory", engine.DefaultMemoryLimit, "DuckDB memory limit")
	f.BoolVar(&all, "all", false, fmt.Sprintf("list every new contact (default: the first %d)", explainContacts))
	f.BoolVar(&memberships, "memberships", false, "also print the role membership vectors (one weight per role, summing to 1)")
	rootCmd.AddCommand(cmd)
}

// explainContacts is the number of new contacts explain lists without --all.
const explainContacts = 20

// explainRawBytes is how much of a raw record explain prints without --all (a Windows
// event with its Message runs to several KB).
const explainRawBytes = 300

func printExplanation(w io.Writer, ex *engine.Explanation, memberships, all bool) {
	fmt.Fprintf(w, "%s in interval %s (method %s)\n", ex.Entity, ex.IntervalStart.Format("2006-01-02 15:04:05"), ex.Experiment.Method)
	for _, n := range ex.Notes {
		fmt.Fprintf(w, "\n%s\n", n)
	}
	for _, a := range ex.Artifacts {
		fmt.Fprintf(w, "\n%s: score %.4g, rank %d of %d", a.Artifact, a.Score, a.Rank, a.Total)
		if a.Warmup {
			fmt.Fprint(w, " (warm-up interval)")
		}
		fmt.Fprintln(w)
		vec := func(m []float64) string {
			if !memberships {
				return ""
			}
			return " " + fmtMembership(m)
		}
		if a.RoleAfter != nil {
			before := "none (new artifact)"
			if a.RoleBefore != nil {
				before = fmt.Sprintf("%d%s", *a.RoleBefore, vec(a.MembershipBefore))
			}
			fmt.Fprintf(w, "  role    before %s → after %d%s, δ %.3f (how far its role memberships moved, 0–2)", before, *a.RoleAfter, vec(a.MembershipAfter), *a.RoleDelta)
			if a.RoleSurprise != nil {
				fmt.Fprintf(w, ", surprise %.3g", *a.RoleSurprise)
			}
			fmt.Fprintln(w)
		}
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
			fmt.Fprintf(w, "  %s: scored in %d intervals, last %s", h.Artifact, h.Intervals, h.LastSeen.Format("2006-01-02 15:04"))
			if h.UsualRole != nil {
				fmt.Fprintf(w, ", usual role %d", *h.UsualRole)
			}
			if h.MeanVolume != nil {
				fmt.Fprintf(w, ", volume mean %.3g max %.4g", *h.MeanVolume, *h.MaxVolume)
			}
			fmt.Fprintln(w)
		}
	}
	// A contact appears once per artifact of the entity that met it (with the notebook
	// architecture C586 is computer_source:: and computer_destination::): listed once.
	type contact struct {
		name   string
		via    []string
		events int64
		typed  bool
	}
	var contacts []*contact
	byName := map[string]*contact{}
	typed := 0
	for _, c := range ex.Contacts {
		k := byName[c.Contact]
		if k == nil {
			k = &contact{name: c.Contact}
			byName[c.Contact] = k
			contacts = append(contacts, k)
		}
		k.via = append(k.via, c.Artifact)
		k.events = max(k.events, c.Events)
		if c.Typed && !k.typed {
			k.typed = true
			typed++
		}
	}
	fmt.Fprintf(w, "\nnew contacts (artifacts it never co-occurred with in any earlier event): %d", len(contacts))
	if len(contacts) > 0 {
		fmt.Fprintf(w, "; * marks the %d of kinds the novelty component counts", typed)
	}
	fmt.Fprintln(w)
	shown := contacts
	if !all && len(shown) > explainContacts {
		shown = shown[:explainContacts]
	}
	for _, c := range shown {
		mark := " "
		if c.typed {
			mark = "*"
		}
		fmt.Fprintf(w, " %s %s (%d events, as %s)\n", mark, c.name, c.events, strings.Join(c.via, ", "))
	}
	if len(shown) < len(contacts) {
		fmt.Fprintf(w, "   … and %d more (--all lists them)\n", len(contacts)-len(shown))
	}
	for _, se := range ex.Events {
		fmt.Fprintf(w, "\n%s events involving %s: %d", se.Stream, ex.Entity, se.Total)
		if int64(len(se.Lines)) < se.Total {
			fmt.Fprintf(w, " (first %d)", len(se.Lines))
		}
		fmt.Fprintln(w)
		if len(se.Lines) == 0 {
			continue
		}
		fmt.Fprintf(w, "  %-19s  %s\n", "ts (UTC)", strings.Join(se.Header, ","))
		for i, l := range se.Lines {
			fmt.Fprintf(w, "  %s  %s\n", se.Times[i].Format(time.DateTime), l)
			if i < len(se.Raw) {
				// The record as the source wrote it, under its normalised line.
				raw := se.Raw[i]
				if !all && len(raw) > explainRawBytes {
					raw = fmt.Sprintf("%s… (%d bytes; --all prints it whole)", strings.ToValidUTF8(raw[:explainRawBytes], ""), len(raw))
				}
				fmt.Fprintf(w, "  %19s    raw %s: %s\n", "", se.Refs[i], raw)
			}
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
