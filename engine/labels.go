package engine

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/lanlq/lanlq/lanl"
)

// UseLabels makes the session's evaluations take their positives from a labels file
// instead of the redteam stream: a CSV file with a header naming the columns time and
// entity (others are ignored), one labelled (time, entity) pair per row — the time as
// lanl.ParseTime reads it (a timestamp, UTC unless it says otherwise, or LANL seconds),
// the entity as lanlq names it (a value of the streams: pgustavo@THESHIRE,
// WORKSTATION5, 10.0.1.4). An evaluation's positives are then the (interval, entity)
// pairs of the rows. A bad row fails with a *LineError naming the file, line and
// reason. It returns the number of pairs loaded.
func (s *Session) UseLabels(ctx context.Context, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("engine: labels: %w", err)
	}
	defer f.Close()
	abs, _ := filepath.Abs(path)
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return 0, &LineError{File: path, Line: 1, Reason: "no header (want a CSV file with columns time,entity): " + errText(err)}
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")))] = i
	}
	ti, ok1 := col["time"]
	ei, ok2 := col["entity"]
	if !ok1 || !ok2 {
		return 0, &LineError{File: path, Line: 1, Reason: fmt.Sprintf("header %q names no time and entity columns", strings.Join(header, ","))}
	}
	var values []string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return 0, &LineError{File: path, Line: int64(line), Reason: errText(err)}
		}
		if len(rec) <= max(ti, ei) {
			return 0, &LineError{File: path, Line: int64(line), Reason: fmt.Sprintf("%d fields, the header names %d", len(rec), len(header))}
		}
		t, err := lanl.ParseTime(rec[ti])
		if err != nil || strings.TrimSpace(rec[ti]) == "" {
			reason := "no time"
			if err != nil {
				reason = err.Error()
			}
			return 0, &LineError{File: path, Line: int64(line), Reason: reason}
		}
		entity := strings.TrimSpace(rec[ei])
		if entity == "" {
			return 0, &LineError{File: path, Line: int64(line), Reason: "no entity"}
		}
		sec := lanl.FloorDiv(t.Sub(lanl.Origin).Nanoseconds(), 1e9)
		values = append(values, fmt.Sprintf("(%d, '%s')", sec, escapeLiteral(entity)))
	}
	if len(values) == 0 {
		return 0, &LineError{File: path, Line: 2, Reason: "no labelled pair after the header"}
	}
	q := "CREATE OR REPLACE TEMP TABLE lanlq_labels (time BIGINT, entity VARCHAR);\n"
	for i := 0; i < len(values); i += 1000 {
		q += "INSERT INTO lanlq_labels VALUES " + strings.Join(values[i:min(i+1000, len(values))], ", ") + ";\n"
	}
	if err := s.Exec(ctx, q); err != nil {
		return 0, fmt.Errorf("engine: labels %s: %w", path, err)
	}
	s.labels = abs
	return len(values), nil
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
