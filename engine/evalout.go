package engine

import (
	"context"
	"errors"
	"fmt"
	"github.com/lanlq/lanlq/internal/faultpoint"
	"os"
	"path/filepath"
	"time"
)

// EvaluateInto evaluates scoresPath (as Evaluate) and writes the report to
// outDir/eval.json, outDir "" meaning the scores' own folder. outDir is a folder: a
// file there is refused (eval never replaces a user's file), and so is a folder holding
// another run's results (its experiment.json: one run's results never sit beside
// another's). The scores' folder is locked against writers (a lanlq score replacing it)
// for the whole evaluation, and outDir against other writers too. It returns the
// report and the path written.
func (s *Session) EvaluateInto(ctx context.Context, scoresPath string, interval time.Duration, outDir string) (rep *EvalReport, path string, err error) {
	absScores, err := filepath.Abs(scoresPath)
	if err != nil {
		return nil, "", fmt.Errorf("engine: %w", err)
	}
	scoresDir := filepath.Dir(absScores)
	if outDir == "" {
		outDir = scoresDir
	}
	absOut, err := filepath.Abs(outDir)
	if err != nil {
		return nil, "", fmt.Errorf("engine: %w", err)
	}
	if st, err := os.Stat(absOut); err == nil && !st.IsDir() {
		return nil, "", fmt.Errorf("%w: --out %s is a file; --out names the folder eval writes %s into (default: the scores' folder)",
			ErrOutExists, outDir, EvalFile)
	}
	if absOut != scoresDir {
		for _, name := range []string{ExperimentFile, ScoresFile} {
			if _, err := os.Stat(filepath.Join(absOut, name)); err == nil {
				return nil, "", fmt.Errorf("%w: --out %s holds the results of another run (%s); write the evaluation beside its scores (leave --out out) or into a folder of its own",
					ErrOutExists, outDir, name)
			}
		}
	}
	outLock, err := lockOut(absOut)
	if err != nil {
		return nil, "", err
	}
	defer func() { err = errors.Join(err, outLock.Unlock()) }()
	if absOut != scoresDir {
		l, err := lockSharedNow(outLockPath(scoresDir), scoresDir)
		if err != nil {
			return nil, "", err
		}
		defer func() { err = errors.Join(err, l.Unlock()) }()
	}
	if rep, err = s.Evaluate(ctx, absScores, interval); err != nil {
		return nil, "", err
	}
	faultpoint.Reach(ctx, "eval evaluated")
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(absOut, 0o755); err != nil {
		return nil, "", fmt.Errorf("engine: %w", err)
	}
	path = filepath.Join(absOut, EvalFile)
	if err := rep.WriteJSON(path); err != nil {
		return nil, "", err
	}
	return rep, path, nil
}
