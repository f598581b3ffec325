package engine

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lanlq/lanlq/graphkit"
)

// DefaultGenerations is the number of recursive ReFeX generations when
// ScoreSpec.Generations is zero.
const DefaultGenerations = graphkit.DefaultGenerations

// Scoring methods (ScoreSpec.Method).
const (
	// MethodFused, the default, scores each artifact by the Fisher fusion of surprises
	// judged against its own history (the components, DefaultComponents unless chosen):
	// its first contacts with artifacts it never met (graphkit.Novelty), its degree
	// against its hour-of-day profile (graphkit.Volume), its first contacts typed by
	// auth package and logon type (graphkit.Typed), the user accounts a source emits
	// for the first time (graphkit.Switching), the evidence of the loud artifacts it
	// met in unfamiliar contacts (graphkit.Spread), and optionally its role change δ
	// normalised by the δ it usually shows at this hour (graphkit.RoleNormalizer) or
	// its first contacts no peer made (graphkit.Peers). It is the default because each
	// of them asks "is this unusual for this artifact?", which plain δ does not: δ
	// ranks first the artifacts whose roles are never stable.
	MethodFused = "fused"
	// MethodRoles is plain role dynamics: the score is δ, as in the notebook.
	MethodRoles = "roles"
)

// Components of MethodFused, in fusion order (ScoreSpec.Components, the dominant
// column of scores.parquet).
const (
	ComponentRole    = "role"
	ComponentNovelty = "novelty"
	ComponentVolume  = "volume"
	// ComponentTyped is graphkit.Typed: first contacts per auth package, logon type and
	// account class, read from the auth events (notebook architecture).
	ComponentTyped = "typed"
	// ComponentSwitch is graphkit.Switching: user accounts a source computer never
	// emitted before, after another account's logon to it (notebook architecture).
	ComponentSwitch = "switch"
	// ComponentPeers is graphkit.Peers: first contacts of an account that none of its
	// peers (accounts sharing its destinations) explains.
	ComponentPeers = "peers"
	// ComponentSpread is graphkit.Spread: an unfamiliar contact passes on the fused
	// evidence of its other end (needs novelty, whose contacts it follows).
	ComponentSpread = "spread"
)

// AllComponents are every component of MethodFused, in fusion order.
var AllComponents = []string{ComponentRole, ComponentNovelty, ComponentVolume, ComponentTyped, ComponentSwitch, ComponentPeers, ComponentSpread}

// DefaultComponents are the components of MethodFused when ScoreSpec.Components is
// empty: novelty, volume, switch and spread, the set chosen on the replayed LANL red
// team's seed 1 and held out on seeds 2–4 and on the harder background (BENCHMARKS.md,
// "Closing issue 12" and "The default without typed"). Spread carries most of the
// gain: the destinations and accounts an anomalous source reached inherit its
// evidence. Typed is left out: on seed 1 the default without it ranked as well or
// better (average precision 0.612 against 0.603) and it cost a third of the default's
// CPU at LANL rates. Role is left out because it hurt on the same
// data (fused with novelty and volume, average precision 0.026 against 0.151): role
// change flags benign machines whose usage shifts, and Fisher's method lets that
// evidence alone outrank an attacker's first contacts. Peers is left out too: added to
// the default it lowered average precision from 0.588 to 0.559 on seeds 2–4 (BENCHMARKS.md,
// "Closing issue 12"). The earlier defaults stay reachable as Components novelty,
// volume (before issue 12) and novelty, volume, typed, switch, spread.
var DefaultComponents = []string{ComponentNovelty, ComponentVolume, ComponentSwitch, ComponentSpread}

// Novelty contact sets (ScoreSpec.Novelty).
const (
	// NoveltyContacts, the default, counts who met whom: users and computers
	// (graphkit.DefaultNoveltyPairs).
	NoveltyContacts = "contacts"
	// NoveltyAll also counts a computer's first processes and ports
	// (graphkit.AllNoveltyPairs).
	NoveltyAll = "all"
)

// ScoreSpec configures a scoring run.
type ScoreSpec struct {
	// Method is MethodFused (the default when empty) or MethodRoles.
	Method string
	// Components are the fused components, a non-empty subset of AllComponents
	// (empty: DefaultComponents); MethodRoles takes none.
	Components []string
	// Novelty is the novelty component's contact set: NoveltyContacts (the default
	// when empty) or NoveltyAll.
	Novelty string
	// Edges selects the graphs: architecture, interval width, frame [From, To), streams.
	Edges EdgeSpec
	// Roles fixes the number of RolX roles; 0 chooses it by minimum description
	// length over 2..8.
	Roles int
	// TrainFrom and TrainTo bound the training window [TrainFrom, TrainTo) on which
	// the ReFeX feature set and the RolX basis are fitted. Zero values mean the first
	// day of the frame: from Edges.From (or, when open, the start of the first interval
	// holding events), 24 hours long. The window may lie outside the frame.
	TrainFrom, TrainTo time.Time
	// Generations is the number of recursive ReFeX generations: 0 means
	// DefaultGenerations, -1 the base features only.
	Generations int
	// Expect is how an artifact's expected membership is formed from its history
	// (default graphkit.ExpectEWMA).
	Expect graphkit.Expectation
	// HalfLife is the EWMA half-life in intervals; 0 means graphkit.DefaultHalfLife.
	HalfLife float64
	// Seed seeds the RolX fit (row sampling and NMF starts).
	Seed uint64
	// Warmup is how long the frame's warm-up lasts (scored, flagged warmup, left out by
	// lanlq eval); 0 means a day. A capture of minutes needs minutes: its histories are
	// only that long.
	Warmup time.Duration
	// Memberships computes role memberships (ReFeX features and a RolX basis on the
	// training window, every interval projected onto it) and writes roles.parquet and
	// roles_basis.parquet even when nothing scored uses them. MethodRoles and the role
	// component compute them anyway; without either, the fused default does not (see
	// UsesRoles).
	Memberships bool
	// Rescore ignores the state an earlier run saved in the output folder (StateDir)
	// and scores the whole frame again, replacing it. Without it, a run into a folder
	// holding a saved state of the same settings scores only the intervals added since.
	Rescore bool

	// keep, when set, carries the state a run saved to the next run into the same OUT
	// in this process (Follow's cycles), so that it need not be read back.
	keep *stateKeeper
}

// UsesRoles reports whether a run of spec computes role memberships: for MethodRoles,
// for the role component, or when asked (Memberships). Otherwise the run learns no
// features and fits no basis: Roles, TrainFrom, TrainTo, Generations, Expect and
// HalfLife have no effect, roles.parquet and roles_basis.parquet are not written and
// the role columns of scores.parquet are NULL. At LANL rates that work was most of
// a default run's time and memory (BENCHMARKS.md, "Work the default does not need").
func (spec ScoreSpec) UsesRoles() bool {
	return spec.Memberships || spec.Method == MethodRoles || slices.Contains(spec.Components, ComponentRole)
}

// withDefaults checks the spec and fills in its defaults: the method, the fused
// components (in fusion order, without duplicates), the novelty contact set and the
// half-life.
func (spec ScoreSpec) withDefaults() (ScoreSpec, error) {
	if spec.Warmup < 0 {
		return ScoreSpec{}, fmt.Errorf("%w: negative warm-up %s", ErrScoreSpec, spec.Warmup)
	}
	if spec.Roles < 0 {
		return ScoreSpec{}, fmt.Errorf("%w: %d roles", ErrScoreSpec, spec.Roles)
	}
	switch spec.Method {
	case "":
		spec.Method = MethodFused
	case MethodFused, MethodRoles:
	default:
		return ScoreSpec{}, fmt.Errorf("%w: method %q is neither %s nor %s", ErrScoreSpec, spec.Method, MethodFused, MethodRoles)
	}
	if spec.Method == MethodRoles && len(spec.Components) > 0 {
		return ScoreSpec{}, fmt.Errorf("%w: method %s takes none of the fused components", ErrScoreSpec, MethodRoles)
	}
	if spec.Method == MethodFused {
		if len(spec.Components) == 0 {
			spec.Components = DefaultComponents
		}
		var comps []string
		for _, c := range AllComponents {
			if slices.Contains(spec.Components, c) {
				comps = append(comps, c)
			}
		}
		for _, c := range spec.Components {
			if !slices.Contains(AllComponents, c) {
				return ScoreSpec{}, fmt.Errorf("%w: component %q is none of %s", ErrScoreSpec, c, strings.Join(AllComponents, ", "))
			}
		}
		spec.Components = comps // fusion order, no duplicates
		if slices.Contains(comps, ComponentSpread) && !slices.Contains(comps, ComponentNovelty) {
			return ScoreSpec{}, fmt.Errorf("%w: component %s follows novelty's contacts: add %s", ErrScoreSpec, ComponentSpread, ComponentNovelty)
		}
	}
	switch spec.Novelty {
	case "":
		if spec.Method == MethodFused {
			spec.Novelty = NoveltyContacts
		}
	case NoveltyContacts, NoveltyAll:
		if spec.Method == MethodRoles {
			return ScoreSpec{}, fmt.Errorf("%w: method %s has no novelty component", ErrScoreSpec, MethodRoles)
		}
	default:
		return ScoreSpec{}, fmt.Errorf("%w: novelty %q is neither %s nor %s", ErrScoreSpec, spec.Novelty, NoveltyContacts, NoveltyAll)
	}
	if spec.Generations < -1 {
		return ScoreSpec{}, fmt.Errorf("%w: %d generations", ErrScoreSpec, spec.Generations)
	}
	if spec.Expect != graphkit.ExpectEWMA && spec.Expect != graphkit.ExpectPrevious {
		return ScoreSpec{}, fmt.Errorf("%w: expectation %v", ErrScoreSpec, spec.Expect)
	}
	if spec.HalfLife < 0 || math.IsNaN(spec.HalfLife) || math.IsInf(spec.HalfLife, 0) {
		return ScoreSpec{}, fmt.Errorf("%w: half-life %v", ErrScoreSpec, spec.HalfLife)
	}
	if spec.HalfLife == 0 {
		spec.HalfLife = graphkit.DefaultHalfLife
	}
	return spec, nil
}

// needsTuples reports whether a component reads the auth events, not only the graph.
func (spec ScoreSpec) needsTuples() bool {
	return slices.Contains(spec.Components, ComponentTyped) || slices.Contains(spec.Components, ComponentSwitch)
}
