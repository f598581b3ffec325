package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"

	"github.com/lanlq/lanlq/lanl"
)

// warnings are what a user should know about a scoring run's frame before trusting
// its results: a frame that is warm-up from end to end (lanlq eval then has nothing to
// rank), role settings given to a run that computes no roles, and a default training
// window that reaches past the frame.
func (r *scoreRun) warnings(spec ScoreSpec) []string {
	var out []string
	from, to := r.start(r.first), r.start(r.last+1)
	if r.warmupEnd > r.last {
		earlier := from.Add(-24 * time.Hour)
		msg := fmt.Sprintf("every interval of the frame [%s, %s) is warm-up: the first day of a frame (and the training window inside it) only builds the histories scores are judged against, so lanlq eval will have nothing to rank", fmtTime(from), fmtTime(to))
		if !earlier.Before(lanl.Origin) {
			msg += fmt.Sprintf("; start the frame a day earlier (--from %q) to have these intervals judged", fmtTime(earlier))
		} else {
			msg += "; score a frame longer than a day"
		}
		out = append(out, msg)
	}
	if !r.roles {
		var unused []string
		if spec.Roles != 0 {
			unused = append(unused, "roles")
		}
		if !spec.TrainFrom.IsZero() || !spec.TrainTo.IsZero() {
			unused = append(unused, "the training window")
		}
		if spec.Generations != 0 && spec.Generations != DefaultGenerations {
			unused = append(unused, "generations")
		}
		if spec.Expect != graphkit.ExpectEWMA || spec.HalfLife != graphkit.DefaultHalfLife {
			unused = append(unused, "the expectation")
		}
		if len(unused) > 0 {
			out = append(out, fmt.Sprintf("%s set but unused: components %s use no role memberships, so none were computed; add the role component (--components role,%s) or --memberships to compute them",
				strings.Join(unused, ", "), strings.Join(spec.Components, ","), strings.Join(spec.Components, ",")))
		}
	}
	if spec.TrainTo.IsZero() && !spec.Edges.To.IsZero() && r.trainSpec.To.After(spec.Edges.To) {
		out = append(out, fmt.Sprintf("roles trained on [%s, %s), the default window (the 24 hours from the frame's start: a role basis needs a day's variety of graphs), which reaches %s past --to %s; choose the window with --train-from and --train-to (before the frame, to judge all of it)",
			fmtTime(r.trainSpec.From), fmtTime(r.trainSpec.To), r.trainSpec.To.Sub(spec.Edges.To), fmtTime(spec.Edges.To)))
	}
	return out
}
