package engine

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"
)

// Alert is one (interval, artifact) score of an entity with the line that explains it.
type Alert struct {
	Entity        string
	IntervalStart time.Time
	Artifact      string
	Score         float64
	Why           string
}

// TopAlerts returns, for the entities entities with the highest score outside the
// warm-up of scoresPath, each one's perEntity highest (interval, artifact) scores with
// their explanation, highest entity first (sql/top_alerts.sql). The warm-up is left out:
// its scores judge artifacts against histories still empty, so its top rows are hubs
// seen for the first time, not attacks. The scores' data fingerprint must be the
// session's (ErrOtherData).
func (s *Session) TopAlerts(ctx context.Context, scoresPath string, entities, perEntity int) ([]Alert, error) {
	if entities < 1 || perEntity < 1 {
		return nil, fmt.Errorf("%w: top %d entities, %d alerts each: both must be at least 1", ErrSettings, entities, perEntity)
	}
	abs, err := filepath.Abs(scoresPath)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	lock, err := lockSharedNow(outLockPath(filepath.Dir(abs)), filepath.Dir(abs))
	if err != nil {
		return nil, err
	}
	// A read lock: failing to release it (closing its file) loses nothing.
	defer func() { _ = lock.Unlock() }()
	if _, err := s.resolveScope(ctx, abs, 0); err != nil {
		return nil, err
	}
	q, err := alertsQuery("top_alerts.sql", abs)
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q, entities, perEntity)
	if err != nil {
		return nil, fmt.Errorf("engine: top alerts of %s: %w", scoresPath, err)
	}
	defer rows.Close()
	var out []Alert
	for rows.Next() {
		var a Alert
		var why sql.NullString
		if err := rows.Scan(&a.Entity, &a.IntervalStart, &a.Artifact, &a.Score, &why); err != nil {
			return nil, fmt.Errorf("engine: top alerts: %w", err)
		}
		a.IntervalStart, a.Why = a.IntervalStart.UTC(), why.String
		out = append(out, a)
	}
	return out, rows.Err()
}

// alertsQuery renders sql/NAME over the rows of alerts_scored.sql of the scores at
// path (a file or a folder of parts).
func alertsQuery(name, path string) (string, error) {
	scored, err := edgeRender("alerts_scored.sql", struct{ Scores string }{resultLiteral(path)})
	if err != nil {
		return "", err
	}
	return edgeRender(name, struct{ Scored string }{scored})
}
