package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"
	"github.com/lanlq/lanlq/lanl"
)

// EdgeArgs and ScoreArgs are the settings of an edge export or a scoring run as a user
// types them, as flags of lanlq edges and lanlq score or as arguments of lanlq's table
// functions (lanl_edges, lanl_scores, …). Their Spec methods are the one parser of
// that text, so the CLI and SQL accept the same values and report the same reasons.
// Text is trimmed and case-insensitive; "" takes the default.
type EdgeArgs struct {
	Arch string
	// Interval is the interval width (0: DefaultEdgeInterval).
	Interval time.Duration
	// From and To bound the frame [From, To): LANL seconds or a UTC timestamp
	// (lanl.ParseTime); "" leaves that side open.
	From, To string
	// Streams is a comma-separated list of stream names; "" means every stream.
	Streams string
}

// ScoreArgs: see EdgeArgs.
type ScoreArgs struct {
	Edges EdgeArgs
	// Method is MethodFused or MethodRoles.
	Method string
	// Components is a comma-separated subset of AllComponents.
	Components string
	// Novelty is NoveltyContacts or NoveltyAll.
	Novelty string
	// Roles is a positive number or "auto".
	Roles string
	// TrainFrom and TrainTo bound the training window, as EdgeArgs.From and To.
	TrainFrom, TrainTo string
	// Expect is "ewma" or "previous".
	Expect      string
	HalfLife    float64
	Seed        uint64
	Generations int
	// Memberships is ScoreSpec.Memberships.
	Memberships bool
}

// SettingError reports a setting that cannot be read. Setting is its name as a table
// function argument (train_from); the CLI shows it as a flag (--train-from). It wraps
// ErrEdgeSpec or ErrScoreSpec.
type SettingError struct {
	Setting string
	Reason  string
	kind    error
}

func (e *SettingError) Error() string { return e.Setting + ": " + e.Reason }

func (e *SettingError) Unwrap() error { return e.kind }

func edgeSettingError(setting, format string, a ...any) error {
	return &SettingError{Setting: setting, Reason: fmt.Sprintf(format, a...), kind: ErrEdgeSpec}
}

func scoreSettingError(setting, format string, a ...any) error {
	return &SettingError{Setting: setting, Reason: fmt.Sprintf(format, a...), kind: ErrScoreSpec}
}

// Spec parses the arguments into an EdgeSpec. The architecture is checked when the
// spec is run (a FILE.sql is read then).
func (a EdgeArgs) Spec() (EdgeSpec, error) {
	spec := EdgeSpec{Arch: strings.TrimSpace(a.Arch), Interval: a.Interval}
	if a.Interval < 0 {
		return EdgeSpec{}, edgeSettingError("interval", "must be positive, got %v", a.Interval)
	}
	var err error
	if spec.From, spec.To, err = parseWindow(a.From, a.To, "from", "to", "time frame", edgeSettingError); err != nil {
		return EdgeSpec{}, err
	}
	spec.Streams = splitList(a.Streams)
	return spec, nil
}

// Spec parses the arguments into a ScoreSpec. Components and novelty are checked
// against the method when the spec is run.
func (a ScoreArgs) Spec() (ScoreSpec, error) {
	edges, err := a.Edges.Spec()
	if err != nil {
		return ScoreSpec{}, err
	}
	spec := ScoreSpec{Edges: edges, HalfLife: a.HalfLife, Seed: a.Seed, Generations: a.Generations, Memberships: a.Memberships,
		Components: splitList(strings.ToLower(a.Components)), Novelty: strings.ToLower(strings.TrimSpace(a.Novelty))}
	switch m := strings.ToLower(strings.TrimSpace(a.Method)); m {
	case "", MethodFused:
		spec.Method = MethodFused
	case MethodRoles:
		spec.Method = MethodRoles
	default:
		return ScoreSpec{}, scoreSettingError("method", "%q is neither %s nor %s", a.Method, MethodFused, MethodRoles)
	}
	if spec.Roles, err = ParseRoles(a.Roles); err != nil {
		return ScoreSpec{}, scoreSettingError("roles", "%v", err)
	}
	if spec.TrainFrom, spec.TrainTo, err = parseWindow(a.TrainFrom, a.TrainTo, "train_from", "train_to", "training window", scoreSettingError); err != nil {
		return ScoreSpec{}, err
	}
	if spec.Expect, err = ParseExpectation(a.Expect); err != nil {
		return ScoreSpec{}, scoreSettingError("expect", "%v", err)
	}
	if a.HalfLife < 0 || math.IsNaN(a.HalfLife) || math.IsInf(a.HalfLife, 0) {
		return ScoreSpec{}, scoreSettingError("half_life", "must be a positive number of intervals, got %v", a.HalfLife)
	}
	if a.Generations < -1 || a.Generations > 64 {
		return ScoreSpec{}, scoreSettingError("generations", "must be -1 (base features only), 0 (the default) or a positive number up to 64, got %d", a.Generations)
	}
	return spec, nil
}

// ParseRoles reads a number of RolX roles: a positive number, or "auto" or "" for 0
// (chosen by minimum description length).
func ParseRoles(text string) (int, error) {
	switch t := strings.ToLower(strings.TrimSpace(text)); t {
	case "", "auto":
		return 0, nil
	default:
		n, err := strconv.Atoi(t)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("%q is neither a positive number nor auto", text)
		}
		return n, nil
	}
}

// ParseExpectation reads how an artifact's expected membership is formed: "ewma" (the
// default, also for "") or "previous".
func ParseExpectation(text string) (graphkit.Expectation, error) {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "", "ewma":
		return graphkit.ExpectEWMA, nil
	case "previous":
		return graphkit.ExpectPrevious, nil
	}
	return 0, fmt.Errorf("%q is neither ewma nor previous", text)
}

// parseWindow reads the bounds of a window [from, to) (lanl.ParseTime; "" is open)
// and refuses an empty one; fromName and toName name the bounds, what the window, in
// errors.
func parseWindow(fromText, toText, fromName, toName, what string, fail func(string, string, ...any) error) (from, to time.Time, err error) {
	if from, err = lanl.ParseTime(fromText); err != nil {
		return from, to, fail(fromName, "%v", err)
	}
	if to, err = lanl.ParseTime(toText); err != nil {
		return from, to, fail(toName, "%v", err)
	}
	if !from.IsZero() && !to.IsZero() && !to.After(from) {
		return from, to, fail(toName, "empty %s [%s, %s)", what, fmtTime(from), fmtTime(to))
	}
	return from, to, nil
}

// splitList splits a comma-separated list, trimming names and dropping empty ones.
func splitList(text string) []string {
	var out []string
	for name := range strings.SplitSeq(text, ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}
