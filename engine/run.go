package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/arrowio"
	"github.com/lanlq/lanlq/internal/faultpoint"
)

// An experiment is one SQL file run in batch: its statements run in order in a Session
// over a data folder, with the variables out (where results go) and data (the data
// folder) set beforehand, so the file writes its results with
//
//	COPY (SELECT … ORDER BY …) TO (getvariable('out') || '/scores.parquet') (FORMAT parquet);
//
// (DuckDB takes an expression as a COPY target only in parentheses). Results appear
// in the output folder only when every statement succeeded.

// Reserved experiment variables, set before the first statement.
const (
	ExperimentVarOut  = "out"  // the folder results are written to (a staging folder inside OUT)
	ExperimentVarData = "data" // the absolute data folder
)

// ExperimentInfoFile is the run record RunExperiment writes beside the results.
const ExperimentInfoFile = "experiment.json"

// ExperimentRunKey is the Parquet key-value metadata key under which every Parquet file
// an experiment writes carries its ExperimentInfo (compact JSON). When the experiment
// made exactly one scoring run, the files also carry that run's Experiment under
// ExperimentKey (unless the COPY set that key itself), as lanlq score's results do, so
// lanlq eval finds the interval and warm-up without --interval.
const ExperimentRunKey = "lanlq_run"

// Statement is one statement of an experiment file.
type Statement struct {
	Line int    // 1-based line of its first character in the file
	SQL  string // its text, without the closing ';'
}

// StatementError is a failed statement: file:line: DuckDB's message.
type StatementError struct {
	File string
	Line int
	SQL  string
	Err  error
}

func (e *StatementError) Error() string { return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err) }

func (e *StatementError) Unwrap() []error { return []error{ErrExperiment, e.Err} }

// StatementEvent reports progress: once when statement Index (0-based) of Total starts
// (Done false) and once when it ends (Done true, with Elapsed and Err).
type StatementEvent struct {
	File         string
	Index, Total int
	Statement    Statement
	Done         bool
	Elapsed      time.Duration
	Err          error
}

// ExperimentInfo is OUT/experiment.json: what ran, on which data, with which settings.
// It holds no times or paths that change between runs, so a rerun rewrites it
// byte-identical.
type ExperimentInfo struct {
	Version    int    `json:"version"`
	Experiment string `json:"experiment"` // the file's base name, copied beside the results
	SHA256     string `json:"sha256"`     // of the experiment file
	Statements int    `json:"statements"`
	// Settings are the variables the experiment set (SET VARIABLE), as DuckDB prints
	// their values; out and data are left out.
	Settings        map[string]string `json:"settings"`
	DataFingerprint string            `json:"data_fingerprint"` // from DATA/lanlq.json, as in score results
	Results         []string          `json:"results"`          // files and folders written to OUT
	// Runs are the scoring runs the experiment's table functions made (lanl_scores and
	// friends), in the order they were made; calls with the same settings share one.
	Runs []Experiment `json:"runs"`
}

// experimentInfoVersion is ExperimentInfo.Version: 2 added Runs.
const experimentInfoVersion = 2

// SingleRun returns the experiment's scoring run when it made exactly one: the run
// whose interval, method and warm-up its scores have. With none or several, which run
// a result file holds is unknown, and the error (wrapping ErrNoScores) says so.
func (info *ExperimentInfo) SingleRun() (*Experiment, error) {
	switch {
	case info.Version < experimentInfoVersion:
		return nil, fmt.Errorf("%w: experiment %s was run by a lanlq that did not record its scoring runs: run it again, or give the interval (--interval)",
			ErrNoScores, info.Experiment)
	case len(info.Runs) != 1:
		return nil, fmt.Errorf("%w: experiment %s made %d scoring runs, so which one a result holds is unknown: give the interval (--interval)",
			ErrNoScores, info.Experiment, len(info.Runs))
	}
	return &info.Runs[0], nil
}

// RunExperiment runs the SQL file at path over the ingested data in dataDir and moves
// what it wrote into outDir, with a copy of the file and experiment.json. The
// statements write into a staging folder beside outDir (getvariable('out')); when one
// fails, the staging folder is removed and outDir is left as it was, and the error is a
// *StatementError naming path and the statement's line. Every Parquet file written
// (in folders too, as COPY … PARTITION_BY writes them) is labelled with key-value
// metadata (ExperimentRunKey, and ExperimentKey after exactly one scoring run) by
// rewriting its footer only, so the COPY's options stay as written. On success the
// staging folder replaces outDir as a whole, so no result of an earlier run (nor its
// eval.json or plots) stays beside the new ones; outDir must be absent, empty or an
// earlier result folder (it has an experiment.json), and is locked while the
// experiment runs (a second run into it fails with ErrLocked). progress, if not nil,
// is called before and after each statement.
//
// Results are byte-identical between runs when every COPY orders its rows completely
// (ORDER BY over a key), as DuckDB then writes the same Parquet file.
func RunExperiment(ctx context.Context, dataDir, outDir, path string, progress func(StatementEvent)) (err error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	stmts, err := SplitStatements(string(text))
	if err != nil {
		return &StatementError{File: path, Line: lineOf(err), Err: err}
	}
	s, err := Open(ctx, dataDir, Options{})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, s.Close()) }()
	out, err := beginOut(outDir, outResults)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, out.Close()) }()
	stage := out.Stage
	set := fmt.Sprintf("SET VARIABLE %s = '%s'; SET VARIABLE %s = '%s'",
		ExperimentVarOut, escapeLiteral(stage), ExperimentVarData, escapeLiteral(s.DataDir()))
	if err := s.Exec(ctx, set); err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	for i, st := range stmts {
		if err := ctx.Err(); err != nil {
			return err
		}
		ev := StatementEvent{File: path, Index: i, Total: len(stmts), Statement: st}
		if progress != nil {
			progress(ev)
		}
		start := time.Now()
		err := s.Exec(ctx, st.SQL)
		ev.Done, ev.Elapsed = true, time.Since(start)
		if err != nil {
			ev.Err = &StatementError{File: path, Line: st.Line, SQL: st.SQL, Err: err}
		}
		if progress != nil {
			progress(ev)
		}
		if ev.Err != nil {
			return ev.Err
		}
		faultpoint.Reach(ctx, "run statement")
	}
	if err := ctx.Err(); err != nil {
		return err
	}

	info, err := experimentInfo(ctx, s, stage, filepath.Base(path), text, len(stmts))
	if err != nil {
		return err
	}
	if err := labelResults(stage, &info); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(stage, info.Experiment), text, 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	if err := os.WriteFile(filepath.Join(stage, ExperimentInfoFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	return out.Publish()
}

// experimentInfo gathers experiment.json after the last statement: the variables the
// file set, and what it wrote to the staging folder.
func experimentInfo(ctx context.Context, s *Session, stage, name string, text []byte, n int) (ExperimentInfo, error) {
	sum := sha256.Sum256(text)
	info := ExperimentInfo{Version: experimentInfoVersion, Experiment: name, SHA256: hex.EncodeToString(sum[:]),
		Statements: n, Settings: map[string]string{}}
	var out string
	if err := s.QueryRow(ctx, "SELECT CAST(getvariable('"+ExperimentVarOut+"') AS VARCHAR)").Scan(&out); err != nil || out != stage {
		return info, fmt.Errorf("%w: the experiment changed the reserved variable %q: write results to (getvariable('out') || '/FILE')", ErrExperiment, ExperimentVarOut)
	}
	rows, err := s.Query(ctx, "SELECT name, coalesce(CAST(value AS VARCHAR), 'NULL') FROM duckdb_variables() WHERE name NOT IN (?, ?) ORDER BY name",
		ExperimentVarOut, ExperimentVarData)
	if err != nil {
		return info, fmt.Errorf("%w: settings: %w", ErrExperiment, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return info, fmt.Errorf("%w: settings: %w", ErrExperiment, err)
		}
		info.Settings[k] = v
	}
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("%w: settings: %w", ErrExperiment, err)
	}
	entries, err := os.ReadDir(stage)
	if err != nil {
		return info, fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	for _, e := range entries {
		if e.Name() != name && e.Name() != ExperimentInfoFile {
			info.Results = append(info.Results, e.Name())
		}
	}
	slices.Sort(info.Results)
	if info.DataFingerprint, err = s.fingerprint(); err != nil {
		return info, fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	if info.Runs, err = s.ScoringRuns(); err != nil {
		return info, fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	return info, nil
}

// labelResults adds the experiment's key-value metadata to every Parquet file under
// stage (see ExperimentRunKey).
func labelResults(stage string, info *ExperimentInfo) error {
	run, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrExperiment, err)
	}
	kvs := []arrowio.ParquetKV{{Key: ExperimentRunKey, Value: string(run)}}
	if len(info.Runs) == 1 {
		exp, err := json.Marshal(info.Runs[0])
		if err != nil {
			return fmt.Errorf("%w: %w", ErrExperiment, err)
		}
		// A COPY that set ExperimentKey itself (KV_METADATA) knows better.
		kvs = append(kvs, arrowio.ParquetKV{Key: ExperimentKey, Value: string(exp), KeepExisting: true})
	}
	err = filepath.WalkDir(stage, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.EqualFold(filepath.Ext(path), ".parquet") {
			return err
		}
		return arrowio.SetParquetKeyValues(path, kvs...)
	})
	if err != nil {
		return fmt.Errorf("%w: label results: %w", ErrExperiment, err)
	}
	return nil
}

type splitError struct {
	line int
	what string
}

func (e *splitError) Error() string { return "unterminated " + e.what }

func lineOf(err error) int {
	var se *splitError
	if errors.As(err, &se) {
		return se.line
	}
	return 0
}

// sqlBlanks are the bytes that separate tokens, ASCII's only, as in DuckDB's scanner,
// where every byte from 0x80 on belongs to an identifier: a no-break space before a
// comment is an identifier, not a blank, and "\u2001$$" holds no dollar quote.
const sqlBlanks = " \t\n\r\f\v"

// SplitStatements cuts SQL text into statements at the semicolons outside quotes
// ('…', "…", $tag$…$tag$) and comments (-- to the end of the line, /* … */). Each
// statement keeps the line of its first character that is not blank or comment;
// statements holding only blanks and comments are dropped.
func SplitStatements(text string) ([]Statement, error) {
	var out []Statement
	line := 1
	start, startLine := -1, 0 // first significant byte of the current statement
	mark := func(i int) {
		if start < 0 {
			start, startLine = i, line
		}
	}
	flush := func(end int) {
		if start >= 0 {
			if q := strings.Trim(text[start:end], sqlBlanks); q != "" {
				out = append(out, Statement{Line: startLine, SQL: q})
			}
		}
		start = -1
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			line++
		case strings.IndexByte(sqlBlanks, c) >= 0:
		case c == '-' && strings.HasPrefix(text[i:], "--"):
			for i < len(text) && text[i] != '\n' {
				i++
			}
			i-- // the newline is counted by the loop
		case c == '/' && strings.HasPrefix(text[i:], "/*"):
			at := line
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return nil, &splitError{at, "comment /*"}
			}
			line += strings.Count(text[i:i+2+end+2], "\n")
			i += 2 + end + 1
		case c == '\'' || c == '"':
			mark(i)
			at := line
			backslash := c == '\'' && i > 0 && (text[i-1] == 'E' || text[i-1] == 'e') && (i < 2 || !isIdentByte(text[i-2]))
			j := i + 1
			for ; j < len(text); j++ {
				if backslash && text[j] == '\\' {
					j++
					continue
				}
				if text[j] == c {
					if j+1 < len(text) && text[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= len(text) {
				return nil, &splitError{at, "quoted text " + string(c)}
			}
			line += strings.Count(text[i:j], "\n")
			i = j
		case c == '$' && dollarTag(text[i:]) != "" && (i == 0 || !isIdentByte(text[i-1])):
			mark(i)
			tag := dollarTag(text[i:])
			at := line
			end := strings.Index(text[i+len(tag):], tag)
			if end < 0 {
				return nil, &splitError{at, "dollar-quoted text " + tag}
			}
			stop := i + len(tag) + end + len(tag)
			line += strings.Count(text[i:stop], "\n")
			i = stop - 1
		case c == ';':
			flush(i)
		default:
			mark(i)
		}
	}
	flush(len(text))
	return out, nil
}

// dollarTag returns the opening $tag$ (or $$) at the start of s, or "".
func dollarTag(s string) string {
	for j := 1; j < len(s); j++ {
		switch {
		case s[j] == '$':
			return s[:j+1]
		case !isIdentByte(s[j]) || (j == 1 && s[j] >= '0' && s[j] <= '9'):
			return "" // $1 is a parameter, not a quote
		}
	}
	return ""
}

func isIdentByte(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}
