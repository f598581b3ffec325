package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/lanlq/lanlq/synth"
)

func init() {
	var (
		out      string
		lanlSize bool
		cfg      = synth.DefaultConfig()
	)
	cmd := &cobra.Command{
		Use:   "synth --out DIR [--days N] [--scale F | --lanl] [--users N] [--computers N] [--seed S] [--replay REDTEAM] [--hard]",
		Short: "Generate LANL-format telemetry with red-team campaigns",
		Long: `synth writes DIR/{auth,proc,flows,dns,redteam}.txt.gz in the LANL cyber1 formats and
DIR/truth.json describing the injected red-team campaigns. The background looks like an
enterprise (users with home workstations and habitual servers, computer accounts, busy
hubs and DCs, a working day and quiet weekends); the same flags give identical files.
At the defaults (5 days, scale 1) it writes about 3 million events; events grow
linearly with days × scale, users and computers as its square root unless --users and
--computers fix them. --lanl is LANL's size and rate: 12,425 users, 17,684 computers and
about 1.18 million events an hour (scale 47.32: a day is about 28 million events).
--replay replays a LANL redteam file instead of synthetic campaigns.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return errors.New("synth: --out DIR is required")
			}
			if lanlSize {
				f := cmd.Flags()
				if f.Changed("scale") {
					return errors.New("synth: --lanl fixes the scale; give one of --lanl and --scale")
				}
				cfg.Scale = synth.LANLScale
				if !f.Changed("users") {
					cfg.Users = synth.LANLUsers
				}
				if !f.Changed("computers") {
					cfg.Computers = synth.LANLComputers
				}
			}
			start := time.Now()
			if bar := newCountBar(int64(cfg.Days*24), "synth hours"); bar != nil {
				cfg.Progress = func(done, total int) { bar.ChangeMax(total); _ = bar.Set(done) }
				defer bar.Finish()
			}
			sum, err := synth.Generate(cmd.Context(), out, cfg)
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			for _, name := range synth.StreamNames {
				fmt.Fprintf(w, "%-8s %12d lines %10.1f MB\n", name, sum.Lines[name], float64(sum.Bytes[name])/1e6)
			}
			fmt.Fprintf(w, "%d events, %d campaigns, %d users, %d computers in %s → %s\n",
				sum.Events(), sum.Campaigns, sum.Users, sum.Computers,
				time.Since(start).Round(time.Millisecond), out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&out, "out", "", "output directory (created if missing)")
	f.IntVar(&cfg.Days, "days", cfg.Days, "days of telemetry")
	f.Float64Var(&cfg.Scale, "scale", cfg.Scale, "event volume multiplier (1 ≈ 600k events a day)")
	f.BoolVar(&lanlSize, "lanl", false, "LANL's size and rate: 12,425 users, 17,684 computers, about 1.18 M events an hour (scale 47.32)")
	f.IntVar(&cfg.Users, "users", 0, "number of users (0: from the scale, 1000 × √scale)")
	f.IntVar(&cfg.Computers, "computers", 0, "number of computers, workstations, servers, hubs and DCs together (0: from the users)")
	f.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "random seed")
	f.StringVar(&cfg.Replay, "replay", "", "LANL redteam file to replay instead of synthetic campaigns")
	f.BoolVar(&cfg.Hard, "hard", false, "a harder background: new hires, rebuilt workstations, roaming users and admins, helpdesk accounts (more benign first contacts)")
	rootCmd.AddCommand(cmd)
}
