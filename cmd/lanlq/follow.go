package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lanlq/lanlq/engine"
)

// followFlags are lanlq score's flags of --follow.
type followFlags struct {
	on, once, newest bool
	raw, alerts      string
	poll             time.Duration
	top              int
	threshold        float64
}

func (f *followFlags) register(fs *pflag.FlagSet) {
	fs.BoolVar(&f.on, "follow", false, "keep running: each --poll, ingest --raw, score the new intervals and append their alerts to --alerts")
	fs.BoolVar(&f.once, "once", false, "with --follow (implied): one cycle, then exit (for cron)")
	fs.BoolVar(&f.newest, "newest", false, "with --follow: score the interval of the newest event too (by default it waits for a later one to begin)")
	fs.StringVar(&f.raw, "raw", "", "with --follow: the raw folder to ingest each cycle (required)")
	fs.StringVar(&f.alerts, "alerts", "", "with --follow: JSON-lines file the new alerts are appended to (required)")
	fs.DurationVar(&f.poll, "poll", time.Minute, "with --follow: wait between cycles")
	fs.IntVar(&f.top, "alert-top", 20, "with --follow: alerts per newly scored interval, its highest rows (0: none)")
	fs.Float64Var(&f.threshold, "alert-threshold", 0, "with --follow: also alert every row scoring above this (default: no threshold)")
}

// runFollow runs engine.Follow with a status line per cycle on stderr.
func runFollow(cmd *cobra.Command, f followFlags, spec engine.ScoreSpec, data, out string, width time.Duration, sess engine.Options) error {
	if f.raw == "" || f.alerts == "" {
		return flagError(fmt.Errorf("--follow needs --raw (the folder to ingest) and --alerts (the file to append alerts to)"))
	}
	opts := engine.FollowOptions{
		Ingest: engine.IngestOptions{Raw: f.raw, Data: data, Interval: width, KeepRejects: true,
			MemoryLimit: sess.MemoryLimit, Threads: sess.Threads},
		Score: spec, Out: out, Session: sess, Alerts: f.alerts,
		AlertTop: f.top, AlertThreshold: f.threshold, HasThreshold: cmd.Flags().Changed("alert-threshold"),
		Poll: f.poll, Once: f.once, Newest: f.newest,
		Status: func(st engine.FollowStatus) { printFollowStatus(cmd.ErrOrStderr(), st) },
	}
	return engine.Follow(cmd.Context(), opts)
}

// printFollowStatus writes one cycle's status line (and its warnings).
func printFollowStatus(w io.Writer, st engine.FollowStatus) {
	var b strings.Builder
	fmt.Fprintf(&b, "lanlq follow: cycle %d: ", st.Cycle)
	if st.DataTo.IsZero() {
		b.WriteString("no data yet")
	} else {
		fmt.Fprintf(&b, "data up to %s", st.DataTo.UTC().Format(time.DateTime))
	}
	if st.Ingest != nil {
		var rows, late int64
		var streams []string
		for _, s := range st.Ingest.Streams {
			if !s.Unchanged {
				streams = append(streams, s.Stream)
				rows += s.ReadLines
				late += s.LateRows
			}
		}
		if len(streams) > 0 {
			fmt.Fprintf(&b, "; ingested %s (%d lines, %d late rows)", strings.Join(streams, ", "), rows, late)
		}
	}
	if st.Idle {
		b.WriteString("; no new data since the last cycle")
	} else if st.Scored > 0 {
		fmt.Fprintf(&b, "; scored %d interval(s) up to %s", st.Scored, st.ScoredTo.UTC().Format(time.DateTime))
	} else {
		b.WriteString("; nothing new to score")
	}
	fmt.Fprintf(&b, "; %d alerts written", st.Alerts)
	if !st.AlertsTo.IsZero() {
		fmt.Fprintf(&b, " (alerts up to %s)", st.AlertsTo.UTC().Format(time.DateTime))
	}
	if !st.Next.IsZero() {
		fmt.Fprintf(&b, "; next poll %s UTC", st.Next.UTC().Format(time.TimeOnly))
	}
	fmt.Fprintln(w, b.String())
	printWarnings(w, st.Warnings)
}
