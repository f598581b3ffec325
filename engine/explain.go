package engine

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// ExplainEventLimit is the number of raw events per stream an Explanation lists.
const ExplainEventLimit = 50

// Explanation is the evidence behind an entity's score in one interval.
type Explanation struct {
	Entity        string
	IntervalStart time.Time
	// Experiment is the scoring run's.
	Experiment *Experiment
	// Artifacts are the entity's scored artifacts in the interval (kind::entity),
	// highest score first. Empty when no graph of the interval holds the entity.
	Artifacts []ExplainedArtifact
	// History is each artifact's record in the earlier intervals of the scores.
	History []ArtifactHistory
	// Contacts are the entity's new contacts in the interval: pairs of one of its
	// artifacts and another artifact that co-occur in an event of the interval and in
	// no earlier event.
	Contacts []Contact
	// Events are the raw events of the interval involving the entity, per stream.
	Events []StreamEvents
}

// ExplainedArtifact is one scores.parquet row with its rank in the interval.
type ExplainedArtifact struct {
	Artifact, Kind string
	Score          float64
	// Rank is the artifact's rank by score among the interval's Total artifacts.
	Rank, Total      int
	New, Warmup      bool
	RoleBefore       *int
	RoleAfter        int
	MembershipBefore []float64
	MembershipAfter  []float64
	RoleDelta        float64
	// The components (fused runs only; nil otherwise).
	RoleSurprise, NoveltyValue, NoveltySurprise, VolumeDegree, VolumeExpected, VolumeSurprise, FusedSurprise *float64
	NoveltyNewContacts                                                                                       *int64
	Dominant, Explanation                                                                                    *string
}

// ArtifactHistory is an artifact's record before the explained interval.
type ArtifactHistory struct {
	Artifact  string
	Intervals int
	LastSeen  time.Time
	UsualRole int
	// MeanVolume and MaxVolume are of volume_degree (nil for a roles run).
	MeanVolume, MaxVolume *float64
}

// noveltyPairs are the artifact kind pairs the run's novelty component counted as
// contacts, or nil when it had none (a roles run, or novelty left out).
func (e *Experiment) noveltyPairs() [][2]string {
	if e == nil || e.Fusion == nil || len(e.Fusion.NoveltyPairs) == 0 {
		return nil
	}
	return e.Fusion.NoveltyPairs
}

// Contact is one new contact of an entity.
type Contact struct {
	Artifact, Kind       string
	Contact, ContactKind string
	Events               int64
	// Typed marks a contact between kinds that the novelty component counts.
	Typed bool
}

// StreamEvents are the raw events of one stream: Lines (LANL format) up to
// ExplainEventLimit of Total.
type StreamEvents struct {
	Stream string
	Total  int64
	Lines  []string
}

// Explain gathers the evidence behind entity's scores (a user like U620@DOM1, a
// computer like C17693, any artifact value) in the interval holding at of the scoring
// run scoresPath: the scores and components of its artifacts, their history in the
// earlier intervals, its new contacts (from the stream views: every earlier event is
// scanned), and the raw events of the interval that involve it.
func (s *Session) Explain(ctx context.Context, scoresPath, entity string, at time.Time) (*Explanation, error) {
	sc, err := s.resolveScope(ctx, scoresPath, 0)
	if err != nil {
		return nil, err
	}
	exp, err := s.ReadExperiment(ctx, sc.scores)
	if err != nil {
		return nil, err
	}
	lo := lanl.FloorDiv(int64(at.Sub(lanl.Origin)/time.Second), sc.width) * sc.width
	hi := lo + sc.width
	start := lanl.Origin.Add(time.Duration(lo) * time.Second)
	ex := &Explanation{Entity: entity, IntervalStart: start, Experiment: exp}
	render := func(name string, data any) (string, error) { return edgeRender(name, data) }
	scoresData := struct{ Scores string }{escapeLiteral(sc.scores)}

	// The entity's artifacts in the interval.
	q, err := render("explain_artifacts.sql", scoresData)
	if err != nil {
		return nil, err
	}
	rows, err := s.Query(ctx, q, start, entity)
	if err != nil {
		return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
	}
	for rows.Next() {
		var a ExplainedArtifact
		var before *int32
		var after int32
		var mb, ma []any
		if err := rows.Scan(&a.Artifact, &a.Kind, &a.Score, &a.Rank, &a.Total, &a.New, &a.Warmup, &before, &after,
			&mb, &ma, &a.RoleDelta, &a.RoleSurprise, &a.NoveltyNewContacts, &a.NoveltyValue, &a.NoveltySurprise,
			&a.VolumeDegree, &a.VolumeExpected, &a.VolumeSurprise, &a.FusedSurprise, &a.Dominant, &a.Explanation); err != nil {
			rows.Close()
			return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
		}
		if before != nil {
			b := int(*before)
			a.RoleBefore = &b
		}
		a.RoleAfter = int(after)
		a.MembershipBefore, a.MembershipAfter = floats(mb), floats(ma)
		ex.Artifacts = append(ex.Artifacts, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
	}
	rows.Close()

	// Their history.
	if q, err = render("explain_history.sql", scoresData); err != nil {
		return nil, err
	}
	if rows, err = s.Query(ctx, q, start, entity); err != nil {
		return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
	}
	for rows.Next() {
		var h ArtifactHistory
		var role *int32
		if err := rows.Scan(&h.Artifact, &h.Intervals, &h.LastSeen, &role, &h.MeanVolume, &h.MaxVolume); err != nil {
			rows.Close()
			return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
		}
		if role != nil {
			h.UsualRole = int(*role)
		}
		ex.History = append(ex.History, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
	}
	rows.Close()

	// New contacts, over the architecture's streams.
	p, err := s.plan(ctx, EdgeSpec{Arch: exp.Arch, Interval: time.Duration(sc.width) * time.Second})
	if err != nil {
		return nil, err
	}
	lit := "'" + escapeLiteral(entity) + "'"
	if len(p.streams) > 0 {
		q, err = render("explain_contacts.sql", struct {
			Streams []edgeStream
			Entity  string
			Lo, Hi  int64
		}{p.streams, lit, lo, hi})
		if err != nil {
			return nil, err
		}
		kinds, err := s.artifactKinds(ctx)
		if err != nil {
			return nil, err
		}
		// The contacts the run's novelty component counted (--novelty all counts
		// processes and ports too); runs without novelty are shown the default set.
		typed := map[[2]string]bool{}
		pairs := exp.noveltyPairs()
		if pairs == nil {
			for _, kp := range graphkit.DefaultNoveltyPairs(kinds) {
				pairs = append(pairs, [2]string{kinds.Names[kp.A], kinds.Names[kp.B]})
			}
		}
		for _, kp := range pairs {
			typed[kp], typed[[2]string{kp[1], kp[0]}] = true, true
		}
		if rows, err = s.Query(ctx, q); err != nil {
			return nil, fmt.Errorf("engine: explain %s: new contacts: %w", entity, err)
		}
		for rows.Next() {
			var c Contact
			if err := rows.Scan(&c.Artifact, &c.Kind, &c.Contact, &c.ContactKind, &c.Events); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
			}
			c.Typed = typed[[2]string{c.Kind, c.ContactKind}]
			ex.Contacts = append(ex.Contacts, c)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
		}
		rows.Close()
	}

	// Raw events of every stream but redteam (its lines are the labels, not evidence).
	for _, st := range lanl.Streams {
		if st.Name == "redteam" {
			continue
		}
		var fields, cols []string
		for _, c := range st.Columns {
			fields = append(fields, c.Name)
			if c.Type == "VARCHAR" {
				cols = append(cols, c.Name)
			}
		}
		q, err := render("explain_events.sql", struct {
			Stream        string
			Fields, Cols  []string
			Entity        string
			Lo, Hi, Limit int64
		}{st.Name, fields, cols, lit, lo, hi, ExplainEventLimit})
		if err != nil {
			return nil, err
		}
		rows, err := s.Query(ctx, q)
		if err != nil {
			return nil, fmt.Errorf("engine: explain %s: %s events: %w", entity, st.Name, err)
		}
		se := StreamEvents{Stream: st.Name}
		for rows.Next() {
			var t int64
			var line string
			if err := rows.Scan(&t, &line, &se.Total); err != nil {
				rows.Close()
				return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
			}
			se.Lines = append(se.Lines, line)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("engine: explain %s: %w", entity, err)
		}
		rows.Close()
		ex.Events = append(ex.Events, se)
	}
	return ex, nil
}

// floats converts a scanned DuckDB DOUBLE[] to []float64.
func floats(xs []any) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		if f, ok := x.(float64); ok {
			out[i] = f
		} else {
			out[i] = math.NaN()
		}
	}
	return out
}
