package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// ExplainEventLimit is the number of raw events per stream an Explanation lists.
const ExplainEventLimit = 50

// Explanation is the evidence behind an entity's score in one interval.
type Explanation struct {
	// Entity is the entity value explained: what the user typed, resolved against the
	// scores (an artifact name gives its value; the case is the data's).
	Entity string
	// Notes say what the user should know first: the entity has no score in this
	// interval (and where it has one), the interval is outside the scored frame.
	Notes         []string
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
	// AuthFirsts are the entity's first typed contacts and first account emissions in
	// the interval, as the run's typed and switch components counted them (empty when
	// it had neither).
	AuthFirsts []AuthFirst
	// Events are the raw events of the interval involving the entity, per stream.
	Events []StreamEvents
}

// AuthFirst is one first typed contact (What "typed": From, of kind Kind, met To by
// Auth and Logon with an account of Class, for the first time) or one first emission
// (What "switch": source computer From emitted the user account To for the first
// time; Switched when another account had logged on to From in this or the previous
// interval).
type AuthFirst struct {
	What, Kind, From, To string
	Auth, Logon          string
	// Class is the account's: 0 ordinary, 1 machine account.
	Class    int
	Events   int64
	Switched bool
}

// ExplainedArtifact is one scores.parquet row with its rank in the interval.
type ExplainedArtifact struct {
	Artifact, Kind string
	Score          float64
	// Rank is the artifact's rank by score among the interval's Total artifacts.
	Rank, Total int
	New, Warmup bool
	// The role columns: RoleBefore is nil for a new artifact; all are nil (and the
	// memberships empty) for a run that computed no role memberships.
	RoleBefore       *int
	RoleAfter        *int
	MembershipBefore []float64
	MembershipAfter  []float64
	RoleDelta        *float64
	// The components (fused runs only; nil otherwise, and for a component the run left
	// out).
	RoleSurprise, NoveltyValue, NoveltySurprise, VolumeDegree, VolumeExpected, VolumeSurprise, FusedSurprise *float64
	NoveltyNewContacts                                                                                       *int64
	TypedFirstContacts, SwitchNewAccounts, PeersUnexplained                                                  *int64
	TypedSurprise, SwitchSurprise, PeersSurprise, SpreadSurprise                                             *float64
	// SpreadFrom names the artifact whose evidence spread to this one (nil: none).
	SpreadFrom            *string
	Dominant, Explanation *string
}

// ArtifactHistory is an artifact's record before the explained interval.
type ArtifactHistory struct {
	Artifact  string
	Intervals int
	LastSeen  time.Time
	UsualRole *int // nil when the run computed no role memberships
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
	// Header names the fields of a line (time first); Times are the lines' instants
	// (lanl.Origin + time), UTC.
	Header []string
	Times  []time.Time
	// Refs and Raw are, in a data folder of real sources, each line's record (source
	// file:record) and its text as the source wrote it; nil for LANL data.
	Refs, Raw []string
}

// Explain gathers the evidence behind entity's scores (a user like U620@DOM1, a
// computer like C17693, any artifact value, or an artifact name as scores.parquet
// writes it, userdomain_source::U620@DOM1; matched case-insensitively when the case
// differs from the data's; ErrNotFound, with the nearest values, when it has no
// score at all) in the interval holding at of the scoring
// run scoresPath: the scores and components of its artifacts, their history in the
// earlier intervals, its new contacts (from the stream views: every earlier event is
// scanned), and the raw events of the interval that involve it.
func (s *Session) Explain(ctx context.Context, scoresPath, entity string, at time.Time) (*Explanation, error) {
	if abs, err := filepath.Abs(scoresPath); err == nil {
		// Read the scores' folder only while no lanlq score replaces it.
		lock, err := lockSharedNow(outLockPath(filepath.Dir(abs)), filepath.Dir(abs))
		if err != nil {
			return nil, err
		}
		// A read lock: failing to release it (closing its file) loses nothing.
		defer func() { _ = lock.Unlock() }()
	}
	sc, err := s.resolveScope(ctx, scoresPath, 0)
	if err != nil {
		return nil, err
	}
	exp, err := s.ReadExperiment(ctx, sc.scores)
	if err != nil {
		return nil, err
	}
	if entity, err = s.resolveEntity(ctx, sc.scores, entity); err != nil {
		return nil, err
	}
	lo := lanl.FloorDiv(int64(at.Sub(lanl.Origin)/time.Second), sc.width) * sc.width
	q := explainQuery{s: s, entity: entity, lit: "'" + escapeLiteral(entity) + "'", scores: resultLiteral(sc.scores),
		lo: lo, hi: lo + sc.width, start: lanl.Time(lo), fused: exp != nil && exp.Method == MethodFused}
	ex := &Explanation{Entity: entity, IntervalStart: q.start, Experiment: exp}
	if ex.Artifacts, err = q.artifacts(ctx); err != nil {
		return nil, err
	}
	if len(ex.Artifacts) == 0 {
		note, err := s.intervalNote(ctx, sc.scores, entity, q.start, exp)
		if err != nil {
			return nil, err
		}
		ex.Notes = append(ex.Notes, note)
	} else if ex.Artifacts[0].RoleAfter == nil {
		ex.Notes = append(ex.Notes, fmt.Sprintf("this run (components %s) computed no role memberships, so none are shown; lanlq score --memberships (or the role component) computes them",
			strings.Join(exp.Components, ", ")))
	}
	if ex.History, err = q.history(ctx); err != nil {
		return nil, err
	}
	if ex.Contacts, err = q.contacts(ctx, exp, sc.width); err != nil {
		return nil, err
	}
	if ex.AuthFirsts, err = q.authFirsts(ctx, exp, sc.width); err != nil {
		return nil, err
	}
	if ex.Events, err = q.events(ctx); err != nil {
		return nil, err
	}
	return ex, nil
}

// explainQuery runs the queries of one Explain: an entity in the interval [lo, hi)
// (raw seconds) of a scores file.
type explainQuery struct {
	s      *Session
	entity string
	lit    string // entity as a SQL literal
	scores string // the scores file, escaped for a SQL literal
	lo, hi int64
	start  time.Time
	fused  bool // the scores are a fused run's
}

// each runs the rendered template name with data and args and calls scan on every
// row; what names the query in errors.
func (q *explainQuery) each(ctx context.Context, what, name string, data any, args []any, scan func(*sql.Rows) error) error {
	text, err := edgeRender(name, data)
	if err != nil {
		return err
	}
	fail := func(err error) error { return fmt.Errorf("engine: explain %s: %s: %w", q.entity, what, err) }
	rows, err := q.s.Query(ctx, text, args...)
	if err != nil {
		return fail(err)
	}
	for rows.Next() {
		if err := scan(rows); err != nil {
			return errors.Join(fail(err), rows.Close())
		}
	}
	if err := rows.Err(); err != nil {
		return errors.Join(fail(err), rows.Close())
	}
	return rows.Close()
}

// artifacts returns the scores and components of the entity's artifacts.
func (q *explainQuery) artifacts(ctx context.Context) ([]ExplainedArtifact, error) {
	var out []ExplainedArtifact
	err := q.each(ctx, "artifacts", "explain_artifacts.sql", struct{ Scores string }{q.scores}, []any{q.start, q.entity},
		func(rows *sql.Rows) error {
			var a ExplainedArtifact
			var before, after *int32
			var mb, ma any // a list, or nil for a run without roles
			if err := rows.Scan(&a.Artifact, &a.Kind, &a.Score, &a.Rank, &a.Total, &a.New, &a.Warmup, &before, &after,
				&mb, &ma, &a.RoleDelta, &a.RoleSurprise, &a.NoveltyNewContacts, &a.NoveltyValue, &a.NoveltySurprise,
				&a.VolumeDegree, &a.VolumeExpected, &a.VolumeSurprise, &a.TypedFirstContacts, &a.TypedSurprise,
				&a.SwitchNewAccounts, &a.SwitchSurprise, &a.PeersUnexplained, &a.PeersSurprise, &a.SpreadFrom,
				&a.SpreadSurprise, &a.Dominant, &a.Explanation); err != nil {
				return err
			}
			if q.fused {
				// A fused run's score is its fused surprise.
				a.FusedSurprise = &a.Score
			}
			a.RoleBefore, a.RoleAfter = intPtr(before), intPtr(after)
			a.MembershipBefore, a.MembershipAfter = floats(mb), floats(ma)
			out = append(out, a)
			return nil
		})
	return out, err
}

// history returns the record of the entity's artifacts in the earlier intervals.
func (q *explainQuery) history(ctx context.Context) ([]ArtifactHistory, error) {
	var out []ArtifactHistory
	err := q.each(ctx, "history", "explain_history.sql", struct{ Scores string }{q.scores}, []any{q.start, q.entity},
		func(rows *sql.Rows) error {
			var h ArtifactHistory
			var role *int32
			if err := rows.Scan(&h.Artifact, &h.Intervals, &h.LastSeen, &role, &h.MeanVolume, &h.MaxVolume); err != nil {
				return err
			}
			h.UsualRole = intPtr(role)
			out = append(out, h)
			return nil
		})
	return out, err
}

// contacts returns the entity's new contacts in the interval, over the streams of
// the run's architecture, each marked Typed when the run's novelty component counts
// its pair of kinds (runs without novelty are shown the default set).
func (q *explainQuery) contacts(ctx context.Context, exp *Experiment, width int64) ([]Contact, error) {
	p, err := q.s.plan(ctx, EdgeSpec{Arch: exp.Arch, Interval: time.Duration(width) * time.Second})
	if err != nil || len(p.streams) == 0 {
		return nil, err
	}
	kinds, err := q.s.artifactKinds(ctx)
	if err != nil {
		return nil, err
	}
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
	var out []Contact
	data := struct {
		Streams []edgeStream
		Entity  string
		Lo, Hi  int64
	}{p.streams, q.lit, q.lo, q.hi}
	err = q.each(ctx, "new contacts", "explain_contacts.sql", data, nil, func(rows *sql.Rows) error {
		var c Contact
		if err := rows.Scan(&c.Artifact, &c.Kind, &c.Contact, &c.ContactKind, &c.Events); err != nil {
			return err
		}
		c.Typed = typed[[2]string{c.Kind, c.ContactKind}]
		out = append(out, c)
		return nil
	})
	return out, err
}

// authFirsts returns the entity's first typed contacts and first emissions in the
// interval (explain_auth_firsts.sql), those of the components the run fused.
func (q *explainQuery) authFirsts(ctx context.Context, exp *Experiment, width int64) ([]AuthFirst, error) {
	if exp == nil || (!slices.Contains(exp.Components, ComponentTyped) && !slices.Contains(exp.Components, ComponentSwitch)) {
		return nil, nil
	}
	var out []AuthFirst
	err := q.each(ctx, "first typed contacts and emissions", "explain_auth_firsts.sql", nil,
		[]any{q.entity, q.lo, q.hi, q.lo - width}, func(rows *sql.Rows) error {
			var f AuthFirst
			var auth, logon sql.NullString
			var switched sql.NullBool
			if err := rows.Scan(&f.What, &f.Kind, &f.From, &f.To, &auth, &logon, &f.Class, &f.Events, &switched); err != nil {
				return err
			}
			f.Auth, f.Logon, f.Switched = auth.String, logon.String, switched.Bool
			if slices.Contains(exp.Components, f.What) {
				out = append(out, f)
			}
			return nil
		})
	return out, err
}

// events returns the raw events of the interval involving the entity, up to
// ExplainEventLimit per stream, of every stream but redteam (its lines are the
// labels, not evidence).
func (q *explainQuery) events(ctx context.Context) ([]StreamEvents, error) {
	var out []StreamEvents
	for _, st := range lanl.Streams {
		if st.Name == "redteam" {
			continue
		}
		var fields, cols []string
		for _, c := range st.Columns {
			fields = append(fields, c.Name)
			if c.Type == lanl.Varchar {
				cols = append(cols, c.Name)
			}
		}
		data := struct {
			Stream        string
			Fields, Cols  []string
			Entity        string
			Lo, Hi, Limit int64
			Raw           bool
		}{st.Name, fields, cols, q.lit, q.lo, q.hi, ExplainEventLimit, q.s.man.Clock == clockUTC}
		se := StreamEvents{Stream: st.Name, Header: append([]string{"time"}, fields...)}
		err := q.each(ctx, st.Name+" events", "explain_events.sql", data, nil, func(rows *sql.Rows) error {
			var t int64
			var line string
			var ref, raw sql.NullString
			if err := rows.Scan(&t, &line, &se.Total, &ref, &raw); err != nil {
				return err
			}
			se.Lines = append(se.Lines, line)
			if ref.Valid {
				se.Refs, se.Raw = append(se.Refs, ref.String), append(se.Raw, raw.String)
			}
			se.Times = append(se.Times, lanl.Time(t))
			return nil
		})
		if err != nil {
			return nil, err
		}
		out = append(out, se)
	}
	return out, nil
}

// floats converts a scanned DuckDB DOUBLE[] to []float64.
// floats converts a DOUBLE[] as scanned (nil when NULL) to its values.
func floats(v any) []float64 {
	xs, _ := v.([]any)
	if xs == nil {
		return nil
	}
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

// intPtr converts a nullable INTEGER as scanned to a nullable int.
func intPtr(v *int32) *int {
	if v == nil {
		return nil
	}
	i := int(*v)
	return &i
}
