package engine

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// resolveEntity maps what a user typed to explain onto an entity value of the scores
// file: an artifact name as scores.parquet writes it (userdomain_source::U800@DOM1),
// a value (U800@DOM1), or either in another case (c586: LANL's values are upper case).
// An entity in no score fails with ErrNotFound naming the nearest values.
func (s *Session) resolveEntity(ctx context.Context, scores, typed string) (string, error) {
	typed = strings.TrimSpace(typed)
	lit := resultLiteral(scores)
	if _, after, ok := strings.Cut(typed, "::"); ok {
		var value string
		q := fmt.Sprintf("SELECT value FROM read_parquet('%s') WHERE lower(kind || '::' || value) = lower(?) LIMIT 1", lit)
		if err := s.QueryRow(ctx, q, typed).Scan(&value); err == nil {
			return value, nil
		}
		typed = after
	}
	q := fmt.Sprintf(`SELECT value, value = ? AS exact FROM (SELECT DISTINCT value FROM read_parquet('%s') WHERE lower(value) = lower(?))
		ORDER BY exact DESC, value LIMIT 1`, lit)
	var value string
	var exact bool
	if err := s.QueryRow(ctx, q, typed, typed).Scan(&value, &exact); err == nil {
		return value, nil
	}
	near, err := s.nearValues(ctx, scores, typed)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%q is not an entity or artifact scored (in any interval) in %s", typed, scores)
	if len(near) > 0 {
		msg += "; the nearest are " + strings.Join(near, ", ")
	}
	return "", fmt.Errorf("%w: %s", ErrNotFound, msg)
}

// nearValues lists up to 5 entity values of the scores closest to typed (Jaro-Winkler
// similarity, case folded).
func (s *Session) nearValues(ctx context.Context, scores, typed string) ([]string, error) {
	q := fmt.Sprintf(`SELECT value FROM (SELECT DISTINCT value FROM read_parquet('%s'))
		ORDER BY jaro_winkler_similarity(lower(value), lower(?)) DESC, value LIMIT 5`, resultLiteral(scores))
	rows, err := s.Query(ctx, q, typed)
	if err != nil {
		return nil, fmt.Errorf("engine: explain: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// nearIntervals returns the starts of the intervals nearest to start in which entity
// has a score: the last before and the first after (zero when there is none).
func (s *Session) nearIntervals(ctx context.Context, scores, entity string, start time.Time) (before, after time.Time, err error) {
	q := fmt.Sprintf(`SELECT max(interval_start) FILTER (WHERE interval_start < ?), min(interval_start) FILTER (WHERE interval_start > ?)
		FROM read_parquet('%s') WHERE value = ?`, resultLiteral(scores))
	var b, a *time.Time
	if err := s.QueryRow(ctx, q, start, start, entity).Scan(&b, &a); err != nil {
		return before, after, fmt.Errorf("engine: explain: %w", err)
	}
	if b != nil {
		before = b.UTC()
	}
	if a != nil {
		after = a.UTC()
	}
	return before, after, nil
}

// intervalNote says that entity has no score in the interval starting at start, and
// where it has.
func (s *Session) intervalNote(ctx context.Context, scores, entity string, start time.Time, exp *Experiment) (string, error) {
	before, after, err := s.nearIntervals(ctx, scores, entity, start)
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%s has no score in the interval %s (no graph of it holds %s)", entity, fmtTime(start), entity)
	if exp != nil && exp.FirstInterval != "" {
		if first, err := time.Parse(time.DateTime, exp.FirstInterval); err == nil && start.Before(first) {
			msg = fmt.Sprintf("the interval %s is before the scored frame (%s … %s)", fmtTime(start), exp.FirstInterval, exp.LastInterval)
		}
		if last, err := time.Parse(time.DateTime, exp.LastInterval); err == nil && start.After(last) {
			msg = fmt.Sprintf("the interval %s is after the scored frame (%s … %s)", fmtTime(start), exp.FirstInterval, exp.LastInterval)
		}
	}
	var near []string
	if !before.IsZero() {
		near = append(near, fmtTime(before)+" (before)")
	}
	if !after.IsZero() {
		near = append(near, fmtTime(after)+" (after)")
	}
	if len(near) > 0 {
		msg += "; its nearest scored intervals: " + strings.Join(near, ", ")
	}
	return msg, nil
}
