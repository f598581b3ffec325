package engine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// outKind says what an output folder may already hold for a command to replace it.
type outKind int

const (
	// outResults: the results of a scoring run or an experiment, recognised by their
	// experiment.json (with whatever eval and plot added beside them).
	outResults outKind = iota
	// outEdges: an edge export, interval_start=… folders only.
	outEdges
)

// outStage is an output folder being written: OUT is locked (see lock.go), the new
// contents are built in Stage, a hidden folder beside OUT, and Publish swaps Stage in
// for OUT as a whole, so the results of one run never sit beside another's (a new
// score removes the old run's eval.json and plots), and a failed or killed run leaves
// OUT as it was.
type outStage struct {
	Dir   string // OUT, absolute
	Stage string // "" once published
	lock  *fileLock
}

// beginOut locks outDir, checks that it is absent, empty or a previous output of
// kind, and creates the stage beside it. Close undoes what Publish did not.
func beginOut(outDir string, kind outKind) (*outStage, error) {
	return beginOutLocked(outDir, kind, true)
}

// beginOutLocked is beginOut, taking OUT's lock only when lock is set (a private
// temporary OUT needs none).
func beginOutLocked(outDir string, kind outKind, lock bool) (*outStage, error) {
	abs, err := filepath.Abs(outDir)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	if err := checkPathChars("output", abs); err != nil {
		return nil, err
	}
	o := &outStage{Dir: abs}
	if lock {
		if o.lock, err = lockOut(abs); err != nil {
			return nil, err
		}
		if err := recoverOut(abs); err != nil {
			return nil, errors.Join(err, o.Close())
		}
	}
	if err := checkOutTarget(abs, kind); err != nil {
		return nil, errors.Join(err, o.Close())
	}
	if o.Stage, err = os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".tmp-*"); err != nil {
		return nil, errors.Join(fmt.Errorf("engine: %w", err), o.Close())
	}
	return o, nil
}

// recoverOut undoes what a run killed (kill -9, a power cut) left beside OUT, under
// OUT's lock, so no other run is writing there: killed between the two renames of
// replaceDir, OUT is missing and the previous results wait as STAGE.old, which
// becomes OUT again; every other stage is unfinished work and is removed.
func recoverOut(abs string) error {
	stages, err := globIn(filepath.Dir(abs), "."+quoteGoGlob(filepath.Base(abs))+".tmp-*")
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if _, err := os.Stat(abs); errors.Is(err, fs.ErrNotExist) {
		for _, st := range stages {
			if strings.HasSuffix(st, ".old") {
				if err := os.Rename(st, abs); err != nil {
					return fmt.Errorf("engine: restoring the previous results: %w", err)
				}
				break
			}
		}
	}
	for _, st := range stages {
		if err := os.RemoveAll(st); err != nil {
			return fmt.Errorf("engine: %w", err)
		}
	}
	return nil
}

// Publish replaces OUT by the stage.
func (o *outStage) Publish() error {
	if err := replaceDir(o.Stage, o.Dir); err != nil {
		return err
	}
	o.Stage = ""
	return nil
}

// Close removes an unpublished stage and releases OUT's lock. It is safe to call twice.
func (o *outStage) Close() error {
	var err error
	if o.Stage != "" {
		err = os.RemoveAll(o.Stage)
		o.Stage = ""
	}
	return errors.Join(err, o.lock.Unlock())
}

// checkOutTarget refuses an existing dir that is not a folder or holds anything but a
// previous output of kind, so a mistyped --out never deletes a user's files.
func checkOutTarget(dir string, kind outKind) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%w: %s is a file; --out names a folder", ErrOutExists, dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	switch kind {
	case outEdges:
		for _, e := range entries {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), "interval_start=") {
				return fmt.Errorf("%w: %s holds %s, which is not part of an edge export (interval_start=… folders); give a new or empty folder",
					ErrOutExists, dir, e.Name())
			}
		}
	case outResults:
		if len(entries) == 0 {
			return nil
		}
		for _, name := range []string{ExperimentFile, ExperimentInfoFile} {
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Mode().IsRegular() {
				return nil
			}
		}
		return fmt.Errorf("%w: %s holds %s but no %s, so it is not the results of an earlier lanlq score or run, and replacing it would delete them; give a new or empty folder",
			ErrOutExists, dir, entries[0].Name(), ExperimentFile)
	}
	return nil
}
