package engine

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/lanl"
)

// DataRange returns the span of event times of the named streams (all when none is
// named) as recorded by ingest: first and last event time, UTC. ok is false when no
// such stream holds an event.
func (s *Session) DataRange(streams ...string) (first, last time.Time, ok bool) {
	m, err := s.manifest()
	if err != nil {
		return first, last, false
	}
	lo, hi := int64(-1), int64(-1)
	for name, st := range m.Streams {
		if name == "redteam" || (len(streams) > 0 && !slices.Contains(streams, name)) || st.Rows == 0 || st.MinTime < 0 {
			continue
		}
		if lo < 0 || st.MinTime < lo {
			lo = st.MinTime
		}
		hi = max(hi, st.MaxTime)
	}
	if lo < 0 {
		return first, last, false
	}
	return lanl.Origin.Add(time.Duration(lo) * time.Second), lanl.Origin.Add(time.Duration(hi) * time.Second), true
}

// frameError reports a frame of spec holding no event, with the data's range so the
// user can correct --from/--to.
func (s *Session) frameError(spec EdgeSpec, streams []string) error {
	frame := fmt.Sprintf("[%s, %s)", orOpen(spec.From, "start"), orOpen(spec.To, "end"))
	first, last, ok := s.DataRange(streams...)
	if !ok {
		return fmt.Errorf("%w %s: the data folder holds no event of %s", ErrFrame, frame, strings.Join(streams, ", "))
	}
	return fmt.Errorf("%w %s: the data's %s events span %s to %s (UTC; LANL second %d to %d)", ErrFrame, frame,
		strings.Join(streams, ", "), fmtTime(first), fmtTime(last),
		int64(first.Sub(lanl.Origin)/time.Second), int64(last.Sub(lanl.Origin)/time.Second))
}

func orOpen(t time.Time, open string) string {
	if t.IsZero() {
		return open
	}
	return fmtTime(t)
}
