package main

import (
	"fmt"
	"io"
	"slices"
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
(novelty, volume, typed contacts, account switches, spread, role change: those the run
fused, and what drove the fused score), its role before and
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
		// The weighted contacts and volume's expectation are stored only on rows scoring
		// at least engine.ExplainMinScore.
		if a.NoveltyNewContacts != nil {
			weighted := ""
			if a.NoveltyValue != nil {
				weighted = fmt.Sprintf(" (weighted contacts %.3g)", *a.NoveltyValue)
			}
			fmt.Fprintf(w, "  novelty %d new contacts%s, surprise %.3g\n", *a.NoveltyNewContacts, weighted, *a.NoveltySurprise)
		}
		if a.VolumeDegree != nil {
			expected := ""
			if a.VolumeExpected != nil {
				expected = fmt.Sprintf(" (expected %.4g)", *a.VolumeExpected)
			}
			fmt.Fprintf(w, "  volume  %.4g%s, surprise %.3g\n", *a.VolumeDegree, expected, *a.VolumeSurprise)
		}
		if a.TypedFirstContacts != nil {
			fmt.Fprintf(w, "  typed   %d first contacts of their auth package, logon type and account class, surprise %.3g\n", *a.TypedFirstContacts, *a.TypedSurprise)
		}
		// Switch counts sources and the accounts they emit (the *_source kinds); a
		// destination artifact carries its zero, which says nothing, so it is left out.
		if a.SwitchNewAccounts != nil && (*a.SwitchNewAccounts > 0 || *a.SwitchSurprise > 0 || strings.HasSuffix(a.Kind, "source")) {
			// A source counts the accounts it emits for the first time; an account, the
			// sources that emit it for the first time.
			what := "user accounts this source never emitted before"
			if !strings.HasPrefix(a.Kind, "computer") {
				what = "sources that never emitted this account before"
			}
			fmt.Fprintf(w, "  switch  %d %s, surprise %.3g\n", *a.SwitchNewAccounts, what, *a.SwitchSurprise)
		}
		if a.PeersUnexplained != nil {
			fmt.Fprintf(w, "  peers   %d first contacts that no peer made, surprise %.3g\n", *a.PeersUnexplained, *a.PeersSurprise)
		}
		if a.SpreadSurprise != nil {
			switch {
			case a.SpreadFrom != nil:
				fmt.Fprintf(w, "  spread  %.3g from %s (its evidence, over an unfamiliar contact)\n", *a.SpreadSurprise, *a.SpreadFrom)
			case *a.SpreadSurprise > 0:
				fmt.Fprintf(w, "  spread  %.3g (whose is named only on rows scoring at least %d)\n", *a.SpreadSurprise, engine.ExplainMinScore)
			default:
				fmt.Fprintln(w, "  spread  none (no loud artifact met in an unfamiliar contact)")
			}
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
	printAuthFirsts(w, ex.AuthFirsts, ex.Experiment, all)
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

// printAuthFirsts lists the entity's first emissions and first typed contacts, for
// the components the run fused (the first explainContacts of each unless all).
func printAuthFirsts(w io.Writer, firsts []engine.AuthFirst, exp *engine.Experiment, all bool) {
	if exp == nil {
		return
	}
	for _, what := range []string{engine.ComponentSwitch, engine.ComponentTyped} {
		if !slices.Contains(exp.Components, what) {
			continue
		}
		var rows []engine.AuthFirst
		for _, f := range firsts {
			if f.What == what {
				rows = append(rows, f)
			}
		}
		if what == engine.ComponentSwitch {
			fmt.Fprintf(w, "\naccount switches (user accounts a source emitted for the first time; \"after a logon\": another account logged on to the source in this or the previous interval): %d\n", len(rows))
		} else {
			fmt.Fprintf(w, "\nfirst typed contacts (pairs never met before with this auth package, logon type and account class): %d\n", len(rows))
		}
		shown := rows
		if !all && len(shown) > explainContacts {
			shown = shown[:explainContacts]
		}
		for _, f := range shown {
			if what == engine.ComponentSwitch {
				after := ""
				if f.Switched {
					after = ", after a logon"
				}
				fmt.Fprintf(w, "   computer_source::%s emitted userdomain_source::%s (%d events%s)\n", f.From, f.To, f.Events, after)
				continue
			}
			class := "user account"
			if f.Class == 1 {
				class = "machine account"
			}
			fmt.Fprintf(w, "   %s::%s → computer_destination::%s by %s %s, %s (%d events)\n", f.Kind, f.From, f.To, f.Auth, f.Logon, class, f.Events)
		}
		if len(shown) < len(rows) {
			fmt.Fprintf(w, "   … and %d more (--all lists them)\n", len(rows)-len(shown))
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
