package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// Generate writes outDir/{auth,proc,flows,dns,redteam}.txt.gz in LANL's formats and
// outDir/truth.json describing the red-team campaigns. The same Config gives
// byte-identical files. Streams are generated hour by hour and compressed as they
// go, in parallel, so memory does not grow with the number of events. Each file is
// written as NAME.tmp and renamed into place once all are complete: a failed or
// cancelled run leaves outDir's earlier files as they were and no partial file.
func Generate(ctx context.Context, outDir string, cfg Config) (_ Summary, err error) {
	if err := cfg.validate(); err != nil {
		return Summary{}, err
	}
	var (
		res    reserved
		replay []timed[rtLine]
	)
	if cfg.Replay != "" {
		var err error
		if replay, err = readReplay(cfg.Replay); err != nil {
			return Summary{}, err
		}
		res = reservedFor(replay)
		cfg.Days = max(cfg.Days, int(replay[len(replay)-1].t/86400)+1)
	}
	w := newWorld(cfg, res)
	var rt *redTeam
	if replay != nil {
		rt = replayCampaigns(w, cfg, replay)
	} else {
		rt = planCampaigns(w, cfg)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return Summary{}, fmt.Errorf("synth: %w", err)
	}

	hours := cfg.Days * hoursPerDay
	jobs := map[string]func(context.Context, string) (streamResult, error){
		"auth":    (&streamJob[authEvent]{filler: newAuthGen(w, cfg), injected: rt.auth, format: appendAuth, progress: cfg.Progress}).bind(hours),
		"proc":    (&streamJob[procEvent]{filler: newProcGen(w, cfg), injected: rt.proc, format: appendProc}).bind(hours),
		"flows":   (&streamJob[flowEvent]{filler: newFlowsGen(w, cfg), injected: rt.flows, format: appendFlow}).bind(hours),
		"dns":     (&streamJob[dnsEvent]{filler: newDNSGen(w, cfg), injected: rt.dns, format: appendDNS}).bind(hours),
		"redteam": (&streamJob[rtLine]{injected: rt.lines, format: appendRedTeam}).bind(hours),
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sum := Summary{
		Lines:     map[string]int64{},
		Bytes:     map[string]int64{},
		Campaigns: len(rt.campaigns),
		Users:     len(w.users),
		Computers: len(w.computers),
		Processes: len(w.procs),
		Seconds:   int64(hours)*secondsPerHour - 1,
	}
	final := map[string]string{truthFile: filepath.Join(outDir, truthFile)}
	for _, name := range StreamNames {
		final[name] = filepath.Join(outDir, name+".txt.gz")
	}
	defer func() {
		if err != nil {
			for _, path := range final {
				_ = os.Remove(path + ".tmp") // the run's own partial file; err says why
			}
		}
	}()
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for _, name := range StreamNames {
		job := jobs[name]
		wg.Go(func() {
			r, err := job(ctx, final[name]+".tmp")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = err
					cancel()
				}
				return
			}
			sum.Lines[name], sum.Bytes[name] = r.lines, r.bytes
		})
	}
	wg.Wait()
	if firstErr != nil {
		return Summary{}, firstErr
	}
	truth := Truth{Seed: cfg.Seed, Days: cfg.Days, Scale: cfg.Scale, Users: cfg.Users, Computers: cfg.Computers, Replay: cfg.Replay, Campaigns: rt.campaigns}
	if err := writeTruth(final[truthFile]+".tmp", truth); err != nil {
		return Summary{}, err
	}
	for _, name := range append([]string{truthFile}, StreamNames...) {
		if err := os.Rename(final[name]+".tmp", final[name]); err != nil {
			return Summary{}, fmt.Errorf("synth: %w", err)
		}
	}
	return sum, nil
}

// truthFile is the campaigns' description beside the streams.
const truthFile = "truth.json"

// bind binds a job to the number of hours to generate.
func (j *streamJob[E]) bind(hours int) func(context.Context, string) (streamResult, error) {
	return func(ctx context.Context, path string) (streamResult, error) { return j.run(ctx, path, hours) }
}
