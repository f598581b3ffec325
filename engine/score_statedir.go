package engine

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/internal/faultpoint"
)

// The state folder's reading and writing (StateDir documents the layout).

// components returns the fused components (none for the other methods).
func (r *scoreRun) components() []fusedComponent {
	if r.fused == nil {
		return nil
	}
	return r.fused.comp
}

// dictionary returns the artifact names by id, read once per run.
func (r *scoreRun) dictionary(ctx context.Context) ([]string, error) {
	if r.dictNames == nil {
		names, err := r.s.artifactNameList(ctx)
		if err != nil {
			return nil, err
		}
		r.dictNames = names
	}
	return r.dictNames, nil
}

// castagnoli is CRC-32C's table: computed by the CPU's CRC instruction where there
// is one (tens of GB/s), where SHA-256 over a LANL-rate state took 0.8 CPU-s a run.
// It guards against damage (a flipped bit, a torn or truncated file), not tampering.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// readStateFile reads one file of the state and checks it against the manifest.
func readStateFile(dir string, f stateFile) ([]byte, error) {
	path := filepath.Join(dir, f.Name)
	if filepath.Base(f.Name) != f.Name {
		return nil, fmt.Errorf("%s: the manifest names a file outside the state: %q", filepath.Join(dir, stateManifest), f.Name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(b)) != f.Bytes || crc32.Checksum(b, castagnoli) != f.CRC32C {
		return nil, fmt.Errorf("%s: %d bytes whose CRC-32C differs from the manifest's (%d bytes): checksum mismatch, the file is damaged", path, len(b), f.Bytes)
	}
	return b, nil
}

// loadStateDir loads the state of dir (manifest hdr) into the run's scorers: the
// dictionary's generations, the main file, then the sets' base and deltas in order,
// each through the ids of its own generation.
func (r *scoreRun) loadStateDir(ctx context.Context, dir string, hdr *stateHeader) error {
	byKind := map[string][]stateFile{}
	for i, f := range hdr.Files {
		byKind[f.Kind] = append(byKind[f.Kind], f)
		if i > 0 && f.Generation < hdr.Files[i-1].Generation {
			return fmt.Errorf("%s: files out of generation order", filepath.Join(dir, stateManifest))
		}
	}
	dicts, sets, mains := byKind["dictionary"], byKind["sets"], byKind["main"]
	if len(dicts) != hdr.Generation+1 || len(sets) != hdr.Generation+1 || len(mains) != 1 || mains[0].Generation != hdr.Generation {
		return fmt.Errorf("%s: generation %d with %d dictionary, %d sets and %d main files", filepath.Join(dir, stateManifest), hdr.Generation, len(dicts), len(sets), len(mains))
	}
	// The saved dictionary: every generation's names in order are the stable ids the
	// sets keep (a name keeps the id of the generation that added it); sorted, they
	// are the ids of the main file (written by the last generation's run).
	var stable []string
	for g, f := range dicts {
		b, err := readStateFile(dir, f)
		if err != nil {
			return err
		}
		if f.Generation != g {
			return fmt.Errorf("%s: dictionary of generation %d where %d was expected", filepath.Join(dir, f.Name), f.Generation, g)
		}
		d := graphkit.NewStateDecoder(b)
		d.Section("dictionary", float64(g))
		n := d.Len(8)
		for range n {
			stable = append(stable, d.String())
		}
		if err := d.Err(); err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, f.Name), err)
		}
	}
	main, err := readStateFile(dir, mains[0])
	if err != nil {
		return err
	}
	return r.loadState(ctx, dir, filepath.Join(dir, mains[0].Name), hdr, stable, main, func(ids []uint32) error {
		for g, f := range sets {
			b, err := readStateFile(dir, f)
			if err != nil {
				return err
			}
			d := graphkit.NewStateDecoder(b)
			d.Section("sets", float64(g))
			for _, c := range r.components() {
				for _, set := range c.sets() {
					if g == 0 {
						set.SetIDs(ids)
						err = set.LoadBase(d)
					} else {
						err = set.LoadDelta(d)
					}
					if err != nil {
						return fmt.Errorf("%s: %w", filepath.Join(dir, f.Name), err)
					}
				}
			}
			if err := d.Err(); err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(dir, f.Name), err)
			}
			if d.Remaining() != 0 {
				return fmt.Errorf("%s: %d bytes after the sets", filepath.Join(dir, f.Name), d.Remaining())
			}
		}
		return nil
	})
}

// loadState loads a saved state into the run's scorers: stable is the saved
// dictionary in the order of the sets' stable ids, main the main file (mainPath names
// it in errors), and loadSets fills the sets given the map from current ids to
// stable ones.
func (r *scoreRun) loadState(ctx context.Context, dir, mainPath string, hdr *stateHeader, stable []string, main []byte, loadSets func(ids []uint32) error) error {
	if len(stable) != hdr.Artifacts {
		return fmt.Errorf("%s: %d artifact names saved, the manifest says %d", dir, len(stable), hdr.Artifacts)
	}
	order := make([]int, len(stable)) // order[rank] is the stable id of the rank-th name
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(stable[a], stable[b]) })
	sorted := make([]string, len(order))
	for i, id := range order {
		if i > 0 && stable[order[i-1]] == stable[id] {
			return fmt.Errorf("%s: artifact %q twice in the saved dictionary", dir, stable[id])
		}
		sorted[i] = stable[id]
	}
	current, err := r.dictionary(ctx)
	if err != nil {
		return err
	}
	full, err := r.idMap(sorted, current)
	if err != nil {
		return fmt.Errorf("%s: %w", dir, err)
	}
	r.prevMainBytes = len(main)
	d := graphkit.NewStateDecoder(main)
	if err := r.loadMain(d, full); err != nil {
		return fmt.Errorf("%s: %w", mainPath, err)
	}
	if d.Remaining() != 0 {
		return fmt.Errorf("%s: %d bytes after the state", mainPath, d.Remaining())
	}
	// The sets keep stable ids: the current ids are mapped onto them as they are
	// visited, names new since get the next ones (as the next dictionary file lists
	// them), and the saved tables load as they are.
	onto := &graphkit.IDMap{Artifact: make([]int64, len(stable))}
	for rank, id := range order {
		onto.Artifact[id] = full.Artifact[rank]
	}
	r.stableNames = stable
	if err := loadSets(graphkit.StableIDs(onto, len(current))); err != nil {
		return err
	}
	for _, c := range r.components() {
		for _, set := range c.sets() {
			set.Track()
		}
	}
	r.stateKnown = make([]bool, len(current))
	for _, id := range full.Artifact {
		r.stateKnown[id] = true
	}
	return nil
}

// stateKeeper holds the state the last run into an OUT saved, as that run left it in
// memory (Follow keeps one across its cycles): the next run into the same OUT, when
// OUT's manifest is still the one that run wrote, takes its scorers' sets and its
// dictionary and main file from here instead of reading and checking the files and
// faulting the sets' tables in again. A kept state is used at most once: the run
// that takes it changes its sets.
type stateKeeper struct {
	kept *keptState
}

// keptState is a saved state as its run had it in memory.
type keptState struct {
	outDir   string
	manifest []byte   // manifest.json's bytes as written
	stable   []string // the dictionary in the order of the sets' stable ids
	main     []byte   // the main file
	sets     []graphkit.GrowingSet
}

// take returns the kept state if it is OUT's current one (manifest raw), and forgets
// it either way.
func (k *stateKeeper) take(outDir string, raw []byte) *keptState {
	if k == nil || k.kept == nil {
		return nil
	}
	kept := k.kept
	k.kept = nil
	if kept.outDir != outDir || !bytes.Equal(kept.manifest, raw) {
		return nil
	}
	return kept
}

// loadKept loads a kept state into the run's scorers, as loadStateDir loads the files
// it was saved to.
func (r *scoreRun) loadKept(ctx context.Context, kept *keptState, hdr *stateHeader) error {
	dir := filepath.Join(r.outDir, StateDir)
	return r.loadState(ctx, dir, filepath.Join(dir, stateFileName("main", hdr.Generation)), hdr, kept.stable, kept.main, func(ids []uint32) error {
		i := 0
		for _, c := range r.components() {
			for _, set := range c.sets() {
				if i == len(kept.sets) {
					return fmt.Errorf("%s: %d sets kept, more now", dir, len(kept.sets))
				}
				if err := set.Adopt(kept.sets[i]); err != nil {
					return fmt.Errorf("%s: %w", dir, err)
				}
				set.SetIDs(ids)
				i++
			}
		}
		if i != len(kept.sets) {
			return fmt.Errorf("%s: %d sets kept, %d now", dir, len(kept.sets), i)
		}
		return nil
	})
}

// loadMain reads the main file: the Tracker, each fused component but its sets, in
// fusion order, and with roles the feature set and the basis.
func (r *scoreRun) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	d.Section("main")
	if err := r.tracker.LoadState(d, m); err != nil {
		return err
	}
	for _, c := range r.components() {
		if err := c.loadMain(d, m); err != nil {
			return err
		}
	}
	if r.roles {
		fs, err := graphkit.LoadFeatureSet(d, 0)
		if err != nil {
			return err
		}
		rows := d.Len(8)
		var data []float64
		cols := 0
		for range rows {
			row := d.Float64s()
			cols = len(row)
			data = append(data, row...)
		}
		if err := d.Err(); err != nil {
			return err
		}
		if rows == 0 || cols != fs.NumFeatures() || len(data) != rows*cols {
			return fmt.Errorf("%w: a basis of %d roles over %d features for %d features", graphkit.ErrState, rows, cols, fs.NumFeatures())
		}
		r.features, r.model = fs, &graphkit.RoleModel{Basis: mat.NewDense(rows, cols, data)}
	}
	return d.Err()
}

// saveState writes StateDir into the stage: continuing the resumed state (its
// dictionary and sets files linked, this run's generation added) when every set
// recorded its changes and the deltas stay under stateCompactShare of the base,
// otherwise whole as generation 0.
func (r *scoreRun) saveState(ctx context.Context) error {
	settings, err := settingsOf(r.rep.Experiment, r.spec.Roles)
	if err != nil {
		return err
	}
	counts, err := r.eventsBefore(ctx, r.last+1)
	if err != nil {
		return err
	}
	names, err := r.dictionary(ctx)
	if err != nil {
		return err
	}
	hdr := stateHeader{Format: stateFormat, Settings: settings, FirstInterval: r.first, LastScored: r.last,
		IntervalSeconds: r.width, Events: counts, Parts: 1, Artifacts: len(names),
		DataFingerprint: r.rep.Experiment.DataFingerprint}
	if r.prev != nil {
		hdr.Parts, hdr.LateEvents = r.prev.Parts+1, r.prev.LateEvents
	}
	dir := filepath.Join(r.tmpDir, StateDir)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	var sets []graphkit.GrowingSet
	for _, c := range r.components() {
		sets = append(sets, c.sets()...)
	}
	// A delta continues the resumed state if every set can say what changed and the
	// deltas stay small beside the base.
	var delta []byte
	if r.prev != nil && r.stateKnown != nil && !slices.ContainsFunc(sets, func(s graphkit.GrowingSet) bool { return !s.DeltaReady() }) {
		gen := r.prev.Generation + 1
		var e graphkit.StateEncoder
		e.Section("sets", float64(gen))
		for _, s := range sets {
			s.SaveDelta(&e)
		}
		var base, deltas int64
		for _, f := range r.prev.Files {
			switch {
			case f.Kind != "main" && f.Generation == 0:
				base += f.Bytes
			case f.Kind != "main":
				deltas += f.Bytes
			}
		}
		if float64(deltas+int64(len(e.Bytes()))) <= stateCompactShare*float64(base) {
			delta = e.Bytes()
		}
	}
	write := func(kind string, gen int, b []byte) error {
		name := stateFileName(kind, gen)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
		hdr.Files = append(hdr.Files, stateFile{Name: name, Kind: kind, Generation: gen, Bytes: int64(len(b)), CRC32C: crc32.Checksum(b, castagnoli)})
		r.rep.StateWritten += int64(len(b))
		return nil
	}
	var dict graphkit.StateEncoder
	var stable []string // the dictionary saved, in stable id order
	if delta != nil {
		hdr.Generation = r.prev.Generation + 1
		from := filepath.Join(r.outDir, StateDir)
		for _, f := range r.prev.Files {
			if f.Kind == "main" {
				continue
			}
			if err := os.Link(filepath.Join(from, f.Name), filepath.Join(dir, f.Name)); err != nil {
				return fmt.Errorf("engine: %w", err)
			}
			hdr.Files = append(hdr.Files, f)
		}
		faultpoint.Reach(ctx, "state linked")
		var added []string
		for id, known := range r.stateKnown {
			if !known {
				added = append(added, names[id])
			}
		}
		stable = append(slices.Clip(r.stableNames), added...)
		dict.Section("dictionary", float64(hdr.Generation))
		dict.Int(int64(len(added)))
		for _, n := range added {
			dict.String(n)
		}
		if err := write("dictionary", hdr.Generation, dict.Bytes()); err != nil {
			return err
		}
		if err := write("sets", hdr.Generation, delta); err != nil {
			return err
		}
	} else {
		// Whole: every name in stable order (the order of the ids the sets keep),
		// those new in this run last.
		all := slices.Clone(r.stableNames)
		for id, known := range r.stateKnown {
			if !known {
				all = append(all, names[id])
			}
		}
		if r.stateKnown == nil {
			all = names
		}
		stable = all
		dict.Section("dictionary", 0)
		dict.Int(int64(len(all)))
		for _, n := range all {
			dict.String(n)
		}
		if err := write("dictionary", 0, dict.Bytes()); err != nil {
			return err
		}
		var e graphkit.StateEncoder
		e.Section("sets", 0)
		for _, s := range sets {
			s.SaveBase(&e)
		}
		if err := write("sets", 0, e.Bytes()); err != nil {
			return err
		}
	}
	faultpoint.Reach(ctx, "state sets written")
	var e graphkit.StateEncoder
	e.Grow(r.prevMainBytes + r.prevMainBytes/8)
	e.Section("main")
	r.tracker.SaveState(&e)
	for _, c := range r.components() {
		c.saveMain(&e)
	}
	if r.roles {
		r.features.SaveState(&e)
		rows, _ := r.model.Basis.Dims()
		e.Int(int64(rows))
		for a := range rows {
			e.Float64s(r.model.Basis.RawRowView(a))
		}
	}
	main := e.Bytes()
	if err := write("main", hdr.Generation, main); err != nil {
		return err
	}
	faultpoint.Reach(ctx, "state main written")
	manifest, err := json.MarshalIndent(hdr, "", "  ")
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	manifest = append(manifest, '\n')
	if err := os.WriteFile(filepath.Join(dir, stateManifest), manifest, 0o644); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if r.spec.keep != nil {
		r.kept = &keptState{outDir: r.outDir, manifest: manifest, stable: stable, main: main, sets: sets}
	}
	for _, f := range hdr.Files {
		r.rep.StateBytes += f.Bytes
	}
	r.rep.StateGeneration = hdr.Generation
	return nil
}
