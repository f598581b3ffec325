package main

import (
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/engine"
	"github.com/lanlq/lanlq/graphkit"
)

func init() {
	var (
		data, out, arch, interval, from, to, streams, roles string
		trainFrom, trainTo, expect, memory                  string
		method, components, novelty, warmup                 string
		halfLife                                            float64
		seed                                                uint64
		generations, threads                                int
		memberships, rescore                                bool
		follow                                              followFlags
	)
	cmd := &cobra.Command{
		Use:   "score --data DIR --out DIR [--method fused|roles] [--components role,novelty,volume,typed,switch,peers,spread] [--novelty contacts|all] [--arch notebook|entity|FILE.sql] [--interval 1h] [--from TS --to TS] [--streams ...] [--roles N|auto] [--train-from TS --train-to TS] [--expect ewma|previous] [--half-life N] [--seed S] [--memberships] [--rescore] [--follow --raw DIR --alerts FILE [--poll 1m] [--alert-top 20] [--alert-threshold X] [--once] [--newest]]",
		Short: "Score every artifact of every interval (fused evidence or plain role dynamics)",
		Long: `Builds the per-interval artifact graphs (as lanlq edges does) and scores them. Role
dynamics (--method roles, the role component, or --memberships) learns ReFeX features
and fits a RolX role basis on the training window (default: the first day), then for
every interval projects each artifact's features on that fixed basis and measures how far
its roles moved from its own history: δ = Σr |membership − expected membership|. The
default (fused novelty, volume, typed, switch and spread) uses no roles and skips all of
that: no training window, no roles.parquet, the role columns of scores.parquet NULL.

--method roles scores each artifact by δ alone (the notebook's role dynamics).
--method fused (the default) scores it by the Fisher fusion of surprises, each −log10
of a tail probability under the artifact's own history:
  novelty  its contacts between users and computers, each counted by how unfamiliar
           the pair is (1/(1+c) for a pair met in c earlier intervals) and divided by
           1 + the counterpart's usual novelty, against its own rate (--novelty all
           also counts a computer's first processes and ports);
  volume   its degree and event count against its hour-of-day profile;
  role     its δ against the δ it usually has at this hour of day;
  typed    its first contacts per auth package, logon type and account class (an NTLM
           network logon of a user account is its own population), binomial mid-p;
  switch   user accounts a source computer never emitted before, counted twice after
           another account's logon to it (credential switching), mid-p;
  peers    its first contacts that no peer (an account sharing its destinations) made;
  spread   the evidence of a loud artifact it met in an unfamiliar contact (one hop,
           fading with familiarity; needs novelty).
  (typed and switch read the auth events of the notebook architecture.)
--components picks them (default novelty,volume,switch,spread, chosen on the
replayed LANL red team: on held-out seeds ROC AUC 0.992, average precision 0.60 against
0.973 and 0.15 for novelty,volume, the default before; adding role cut average precision
about sixfold). The histories take about a day to form: the
intervals of the frame's first day (and of the training window, when it lies in the
frame) are scored but flagged warmup, and lanlq eval leaves them out, for both methods.
--warmup shortens the first day for captures of minutes (--warmup 10m with
--interval 1m; with the role component also --train-to as early, since a training
window inside the frame is warm-up too): their histories are that short.

Writes into OUT: scores.parquet (interval_start, kind, value, score, new,
role_before, role_after, membership_before, membership_after, warmup, role_delta,
role_surprise, novelty_new_contacts, novelty_value, novelty_surprise, volume_degree, volume_expected,
volume_surprise, typed_first_contacts, typed_surprise, switch_new_accounts, switch_surprise,
peers_unexplained, peers_surprise, spread_from, spread_surprise, dominant, explanation; the component columns are NULL
for --method roles; the artifact's name is kind || '::' || value, not stored; novelty_value,
volume_expected, spread_from and explanation only on rows scoring at least 2), interval_scores.parquet (interval_start, score = the mean artifact
score, score_known, artifacts, new_artifacts, warmup), experiment.json (every setting, the
MDL table, the features, the components' settings) and, with role memberships,
roles.parquet and roles_basis.parquet.
Explain one entity's score with: lanlq explain --data DIR --scores OUT/scores.parquet ENTITY INTERVAL
The same data and flags give byte-identical files; files are replaced only when all
are written. A folder scored before is continued: OUT/state/ holds the scorers'
state, and a run with the same settings scores only the intervals added to the data
since, adding their rows as the next part of OUT/scores.parquet/ (other settings are
refused; --rescore starts over). Evaluate with: lanlq eval --data DIR --scores OUT/scores.parquet

--follow keeps running: every --poll it ingests --raw into --data (only new chunk files
and appended lines, malformed lines kept in rejects), scores the intervals not scored
yet into OUT from its saved state, and appends the alerts of each newly scored interval
(its --alert-top highest rows, and every row above --alert-threshold) to --alerts as
JSON lines, one write per cycle, fsync'd, each alert once even across a crash. A status
line per cycle goes to stderr. By default a cycle scores only the intervals before the
one holding the newest event (it may still be filling); --newest scores that one too
(drops of whole intervals). --once runs one cycle (for cron). SIGINT or SIGTERM between
cycles ends it with status 0.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			width, err := parseInterval(interval)
			if err != nil {
				return err
			}
			if halfLife == 0 {
				// The engine takes 0 as "the default"; typed, it is a mistake.
				return fmt.Errorf("--half-life: must be a positive number of intervals, got 0 (the default is %v)", graphkit.DefaultHalfLife)
			}
			a := engine.ScoreArgs{
				Edges:  engine.EdgeArgs{Arch: arch, Interval: width, From: from, To: to, Streams: streams},
				Method: method, Components: components, Roles: roles, TrainFrom: trainFrom, TrainTo: trainTo,
				Expect: expect, HalfLife: halfLife, Seed: seed, Generations: generations, Memberships: memberships,
			}
			// --novelty's default belongs to the fused method alone.
			if method == engine.MethodFused || cmd.Flags().Changed("novelty") {
				a.Novelty = novelty
			}
			spec, err := a.Spec()
			if err != nil {
				return flagError(err)
			}
			spec.Rescore = rescore
			if warmup != "" {
				if spec.Warmup, err = parseInterval(warmup); err != nil {
					return fmt.Errorf("--warmup: %w", err)
				}
			}

			setScoreGoMemoryLimit(memory)
			if follow.on || follow.once {
				return runFollow(cmd, follow, spec, data, out, width, engine.Options{MemoryLimit: memory, Threads: threads})
			}
			// LANLQ_SCORE_SEQUENTIAL=1 turns the graph-building overlap off (for measurements).
			s, err := engine.Open(cmd.Context(), data, engine.Options{MemoryLimit: memory, Threads: threads,
				SequentialScore: os.Getenv("LANLQ_SCORE_SEQUENTIAL") == "1"})
			if err != nil {
				return err
			}
			defer s.Close()
			rep, err := runScore(cmd, s, spec, out)
			if err != nil {
				return err
			}
			printScoreReport(cmd.OutOrStdout(), rep)
			printWarnings(cmd.ErrOrStderr(), rep.Warnings)
			return nil
		},
	}
	f := cmd.Flags()
	requiredString(cmd, &data, "data", "lanlq data folder written by lanlq ingest")
	requiredString(cmd, &out, "out", "folder to write the result files to")
	f.StringVar(&method, "method", engine.MethodFused, "scoring method: fused (the components' surprises, Fisher-combined) or roles (plain role dynamics δ)")
	f.StringVar(&components, "components", "", "fused components, comma-separated subset of role,novelty,volume,typed,switch,peers,spread (default: novelty,volume,switch,spread)")
	f.StringVar(&novelty, "novelty", engine.NoveltyContacts, "novelty's contacts: contacts (users and computers: who met whom) or all (also a computer's first processes and ports)")
	f.StringVar(&arch, "arch", engine.ArchNotebook, "graph architecture: notebook, entity or FILE.sql")
	f.StringVar(&warmup, "warmup", "", "warm-up length (default a day): intervals scored but flagged and left out by lanlq eval")
	f.StringVar(&interval, "interval", "1h", "interval width: whole seconds, bare (3600) or as a duration (1h, 15m, 2d)")
	f.StringVar(&from, "from", "", "first event time scored (timestamp or LANL seconds)")
	f.StringVar(&to, "to", "", "first event time not scored (timestamp or LANL seconds)")
	f.StringVar(&streams, "streams", "", "comma-separated streams (default: all the architecture uses)")
	f.StringVar(&roles, "roles", "auto", "number of roles, or auto (minimum description length over 2..8)")
	f.StringVar(&trainFrom, "train-from", "", "start of the training window (default: the first interval)")
	f.StringVar(&trainTo, "train-to", "", "end of the training window (default: 24 hours after its start)")
	f.StringVar(&expect, "expect", "ewma", "expected membership: ewma (of the artifact's history) or previous (its last appearance)")
	f.Float64Var(&halfLife, "half-life", graphkit.DefaultHalfLife, "EWMA half-life in intervals")
	f.Uint64Var(&seed, "seed", 1, "seed of the role fit")
	f.IntVar(&generations, "generations", engine.DefaultGenerations, "recursive ReFeX generations (-1: base features only)")
	f.BoolVar(&memberships, "memberships", false, "compute role memberships (roles.parquet, the role columns) even when no component uses them")
	f.BoolVar(&rescore, "rescore", false, "ignore the state saved in OUT and score every interval again (by default a run into OUT scores only the intervals added since its last run)")
	f.StringVar(&memory, "memory", engine.DefaultScoreMemoryLimit, "DuckDB memory limit (it spills to disk beyond); Go's soft memory limit is 3 GiB less this and 512 MiB unless GOMEMLIMIT is set")
	f.IntVar(&threads, "threads", 0, "DuckDB threads (0: all CPUs)")
	follow.register(f)
	rootCmd.AddCommand(cmd)
}

// runScore runs s.Score with a progress bar over intervals.
func runScore(cmd *cobra.Command, s *engine.Session, spec engine.ScoreSpec, out string) (*engine.ScoreReport, error) {
	bar := newCountBar(0, "score")
	progress := func(done, total int) {
		if bar != nil {
			bar.ChangeMax(total)
			bar.Set(done)
		}
	}
	rep, err := s.Score(cmd.Context(), spec, out, progress)
	if bar != nil {
		bar.Finish()
	}
	return rep, err
}

func printScoreReport(w io.Writer, rep *engine.ScoreReport) {
	e := rep.Experiment
	if rep.UpToDate {
		fmt.Fprintf(w, "%s is up to date: every interval up to %s is scored; nothing written\n", rep.OutDir, e.LastInterval)
		return
	}
	if rep.Resumed {
		fmt.Fprintf(w, "continued the saved state: scored %s … %s (%d late events for earlier intervals)\n",
			rep.FirstScored, e.LastInterval, rep.LateEvents)
	}
	auto := "fixed"
	if e.RolesAuto {
		auto = "by MDL"
	}
	fmt.Fprintf(w, "%d intervals (%s … %s, %d with a graph), %d artifact scores\n",
		e.Intervals, e.FirstInterval, e.LastInterval, e.GraphIntervals, rep.Rows)
	method := e.Method
	if len(e.Components) > 0 {
		method += " (" + strings.Join(e.Components, ", ") + ")"
	}
	fmt.Fprintf(w, "method %s; warm-up %d intervals before %s, flagged and left out by lanlq eval\n",
		method, e.WarmupIntervals, e.WarmupTo)
	if e.RoleModel {
		fmt.Fprintf(w, "trained on [%s, %s): %d intervals, %d rows, %d features, %d roles (%s)\n",
			e.TrainFrom, e.TrainTo, e.TrainIntervals, e.TrainRows, len(e.Features), e.Roles, auto)
	} else {
		fmt.Fprintln(w, "no role memberships: no component uses them (--memberships or --components role,… compute them)")
	}
	t := rep.Timing
	fmt.Fprintf(w, "time %s: edges %s, features %s, role fit %s, projection %s, scoring %s, fusion %s, writing %s\n",
		t.Total.Round(time.Millisecond), t.Edges.Round(time.Millisecond), t.Features.Round(time.Millisecond),
		t.Fit.Round(time.Millisecond), t.Project.Round(time.Millisecond), t.Track.Round(time.Millisecond),
		t.Fuse.Round(time.Millisecond), t.Write.Round(time.Millisecond))
	if hidden := t.EdgesBuilt - t.Edges; hidden > 0 {
		fmt.Fprintf(w, "graphs built in %s, %s of it beside the scoring (edges above counts only the wait)\n",
			t.EdgesBuilt.Round(time.Millisecond), hidden.Round(time.Millisecond))
	}
	fmt.Fprintf(w, "wrote %s\n", strings.Join(rep.Files, ", "))
	if rep.StateBytes > 0 {
		fmt.Fprintf(w, "saved the scoring state (%s/, %d bytes, %d of them written by this run, generation %d): the next run into this folder scores only the intervals added since\n",
			engine.StateDir, rep.StateBytes, rep.StateWritten, rep.StateGeneration)
	}
}

// setScoreGoMemoryLimit sets the Go runtime's soft memory limit to what
// engine.ScoreMemoryBudget leaves beside DuckDB's limit duckdb, unless GOMEMLIMIT
// is set (the user's choice stands) or the budget leaves too little (see
// engine.ScoreGoMemoryLimit).
func setScoreGoMemoryLimit(duckdb string) {
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	if limit, ok := engine.ScoreGoMemoryLimit(duckdb); ok {
		debug.SetMemoryLimit(limit)
	}
}
