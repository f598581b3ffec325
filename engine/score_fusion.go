package engine

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/lanlq/lanlq/graphkit"
	lsql "github.com/lanlq/lanlq/sql"
)

// fusedScorers are MethodFused's components and their fusion, fed one interval at a
// time after the Tracker.
type fusedScorers struct {
	names         []string         // components in fusion order
	comp          []fusedComponent // parallel to names
	role          *graphkit.RoleNormalizer
	novelty       *graphkit.Novelty
	volume        *graphkit.Volume
	typed         *graphkit.Typed
	switching     *graphkit.Switching
	peers         *graphkit.Peers
	spread        *graphkit.Spread
	fusion        *graphkit.Fusion
	kinds         *graphkit.Kinds
	artifactNames []string // artifact names by id, for spread's explanations

	spreadEv []graphkit.Evidence
	comps    [][]graphkit.Evidence
	out      []graphkit.Fused
	base     []float64 // per vertex: the fusion without spread
	parts    []float64
}

// The settings of the fused components, set explicitly so that experiment.json
// records exactly what ran. They are graphkit's documented defaults; none was tuned
// on a data set.
const (
	fusedPriorWeight    = 2
	fusedSlotWeight     = 1
	fusedPriorDoF       = 2
	fusedRoleMinScale   = 0.1
	fusedVolumeMinScale = 0.05
	fusedNoveltyPrior   = 2
)

// newFusedScorers builds the components of r.spec.Components over the kinds of the
// artifact dictionary, and records their settings in the experiment.
func (r *scoreRun) newFusedScorers(ctx context.Context) (*fusedScorers, error) {
	kinds, err := r.s.artifactKinds(ctx)
	if err != nil {
		return nil, err
	}
	period := max(int(86400/r.width), 1)
	memory := float64(graphkit.DefaultMemory) * 3600 / float64(r.width) // one week
	hist := graphkit.HistoryConfig{
		HalfLife: memory, Period: period, ProfileAfter: float64(period) / 3,
		PriorWeight: fusedPriorWeight, SlotWeight: fusedSlotWeight, PriorDoF: fusedPriorDoF,
	}
	set := &FusionSettings{
		Combination: "fisher", Period: period,
		History: HistorySettings{HalfLife: hist.HalfLife, ProfileAfter: hist.ProfileAfter,
			PriorWeight: hist.PriorWeight, SlotWeight: hist.SlotWeight, PriorDoF: hist.PriorDoF},
		NoveltyPairs: [][2]string{},
	}
	f := &fusedScorers{kinds: kinds}
	ak, authOK := graphkit.NotebookAuthKinds(kinds)
	if r.spec.needsTuples() || slices.Contains(r.spec.Components, ComponentSpread) || slices.Contains(r.spec.Components, ComponentPeers) {
		if f.artifactNames, err = r.s.artifactClasses(ctx, kinds); err != nil {
			return nil, err
		}
		// The same names by id as the dictionary the result rows and the state read.
		r.dictNames = f.artifactNames
	}
	for _, c := range r.spec.Components {
		switch c {
		case ComponentRole:
			h := hist
			h.MinScale = fusedRoleMinScale
			if f.role, err = graphkit.NewRoleNormalizer(kinds, graphkit.RoleConfig{History: h}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &roleComponent{s: f.role})
			set.RoleMinScale = h.MinScale
		case ComponentNovelty:
			pairs := graphkit.DefaultNoveltyPairs(kinds)
			if r.spec.Novelty == NoveltyAll {
				pairs = graphkit.AllNoveltyPairs(kinds)
			}
			if len(pairs) == 0 {
				// An architecture without the built-in kinds has no typed contacts:
				// novelty cannot judge it, and is left out (recorded in components).
				continue
			}
			// Graded and weighted by the counterpart: see graphkit.NoveltyConfig for why;
			// on the replayed LANL red team they lifted novelty's ROC AUC from about
			// 0.86 to 0.97 (BENCHMARKS.md, "Detection").
			cfg := graphkit.NoveltyConfig{Pairs: pairs, HalfLife: memory, PriorWeight: fusedNoveltyPrior,
				Graded: true, Counterpart: true}
			if f.novelty, err = graphkit.NewNovelty(kinds, cfg); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &noveltyComponent{s: f.novelty})
			for _, p := range pairs {
				set.NoveltyPairs = append(set.NoveltyPairs, [2]string{kinds.Names[p.A], kinds.Names[p.B]})
			}
			set.NoveltyWindow, set.NoveltyHalfLife, set.NoveltyPriorWeight = cfg.Window, cfg.HalfLife, cfg.PriorWeight
			set.NoveltyContacts, set.NoveltyGraded, set.NoveltyCounterpart = r.spec.Novelty, cfg.Graded, cfg.Counterpart
		case ComponentVolume:
			h := hist
			h.MinScale = fusedVolumeMinScale
			if f.volume, err = graphkit.NewVolume(kinds, graphkit.VolumeConfig{History: h}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &volumeComponent{s: f.volume})
			set.VolumeMinScale = h.MinScale
		case ComponentTyped:
			if !authOK {
				continue // no auth kinds in this architecture: left out (recorded in components)
			}
			if f.typed, err = graphkit.NewTyped(kinds, ak, graphkit.TypedConfig{HalfLife: memory}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &typedComponent{s: f.typed})
		case ComponentSwitch:
			if !authOK {
				continue
			}
			if f.switching, err = graphkit.NewSwitching(kinds, ak, graphkit.SwitchConfig{HalfLife: memory}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &switchComponent{s: f.switching})
		case ComponentPeers:
			pairs := graphkit.DefaultPeerPairs(kinds)
			if len(pairs) == 0 {
				continue
			}
			if f.peers, err = graphkit.NewPeers(kinds, graphkit.PeersConfig{Pairs: pairs, HalfLife: memory}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &peersComponent{s: f.peers})
		case ComponentSpread:
			if f.novelty == nil {
				continue // novelty left out for this architecture: no contacts to follow
			}
			if f.spread, err = graphkit.NewSpread(kinds, graphkit.DefaultNoveltyPairs(kinds)); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
			f.comp = append(f.comp, &spreadComponent{s: f.spread})
		}
		f.names = append(f.names, c)
	}
	if len(f.names) == 0 {
		return nil, fmt.Errorf("%w: no fused component applies to architecture %s", ErrScoreSpec, archName(r.spec.Edges.Arch))
	}
	if f.fusion, err = graphkit.NewFusion(f.names...); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	f.comps = make([][]graphkit.Evidence, len(f.names))
	exp := &r.rep.Experiment
	exp.Components, exp.Fusion = slices.Clone(f.names), set
	return f, nil
}

// artifactKinds reads the kind table of the session's artifact dictionary.
func (s *Session) artifactKinds(ctx context.Context) (*graphkit.Kinds, error) {
	rows, err := s.Query(ctx, lsql.Text("score_kinds.sql"))
	if err != nil {
		return nil, fmt.Errorf("engine: artifact kinds: %w", err)
	}
	defer rows.Close()
	var kindOf []string
	for rows.Next() {
		var id int64
		var kind string
		if err := rows.Scan(&id, &kind); err != nil {
			return nil, fmt.Errorf("engine: artifact kinds: %w", err)
		}
		if id != int64(len(kindOf)) {
			return nil, fmt.Errorf("engine: artifact dictionary ids are not dense: %d at row %d", id, len(kindOf))
		}
		kindOf = append(kindOf, kind)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: artifact kinds: %w", err)
	}
	kinds, err := graphkit.NewKinds(kindOf)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return kinds, nil
}

// artifactClasses sets the class and entity of every artifact in kinds (see
// graphkit.Kinds.SetClasses) and returns the artifact names by id.
func (s *Session) artifactClasses(ctx context.Context, kinds *graphkit.Kinds) ([]string, error) {
	rows, err := s.Query(ctx, lsql.Text("score_classes.sql"))
	if err != nil {
		return nil, fmt.Errorf("engine: artifact classes: %w", err)
	}
	defer rows.Close()
	n := len(kinds.ByID)
	class, entity, names := make([]graphkit.Class, 0, n), make([]int32, 0, n), make([]string, 0, n)
	for rows.Next() {
		var id int64
		var c, e int32
		var name string
		if err := rows.Scan(&id, &c, &e, &name); err != nil {
			return nil, fmt.Errorf("engine: artifact classes: %w", err)
		}
		if id != int64(len(class)) {
			return nil, fmt.Errorf("engine: artifact dictionary ids are not dense: %d at row %d", id, len(class))
		}
		class, entity, names = append(class, graphkit.Class(c)), append(entity, e), append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("engine: artifact classes: %w", err)
	}
	if err := kinds.SetClasses(class, entity); err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	return names, nil
}

// update feeds interval k's graph, its tuples (nil unless a component reads events) and
// the Tracker's scores (parallel to g.IDs) to every component and returns their fusion,
// parallel to g.IDs (valid until the next call). Spread comes last: it passes on the
// fusion of the others.
func (f *fusedScorers) update(k int, g *graphkit.Graph, scores []graphkit.ArtifactScore, tuples *graphkit.Tuples) []graphkit.Fused {
	if tuples == nil {
		tuples = &graphkit.Tuples{}
	}
	spreadAt := -1
	for c, comp := range f.comp {
		if _, ok := comp.(*spreadComponent); ok {
			spreadAt = c
			continue
		}
		f.comps[c] = comp.update(k, g, scores, tuples)
	}
	if spreadAt >= 0 {
		n := g.NumVertices()
		f.base = slices.Grow(f.base[:0], n)[:n]
		for v := range n {
			f.parts = f.parts[:0]
			for c, comp := range f.comps {
				if c != spreadAt {
					f.parts = append(f.parts, comp[v].Surprise)
				}
			}
			f.base[v] = graphkit.FisherSurprise(f.parts)
		}
		f.spreadEv = f.spread.Update(g, f.base, f.novelty.Grades(), f.spreadEv)
		f.comps[spreadAt] = f.spreadEv
	}
	f.out = f.fusion.Fuse(g.IDs, f.comps...)
	for i := range f.out {
		// Surprises are finite, but their Fisher sum can overflow: keep the ranking
		// and the file finite.
		if math.IsInf(f.out[i].Score, 1) || math.IsNaN(f.out[i].Score) {
			f.out[i].Score = math.MaxFloat64
		}
	}
	return f.out
}

// appendComponents appends the component columns of one row, from field `from` of b
// on: role_surprise, novelty_new_contacts, novelty_value, novelty_surprise,
// volume_degree, volume_expected, volume_surprise, typed_first_contacts,
// typed_surprise, switch_new_accounts, switch_surprise, peers_unexplained,
// peers_surprise, spread_from, spread_surprise, dominant, explanation (the fused
// surprise is the row's score). i is the artifact's index in the interval's graph.
func (f *fusedScorers) appendComponents(b *array.RecordBuilder, from, i int, fu graphkit.Fused, warmup bool) {
	var role, nov, vol, typ, sw, peer, spr *graphkit.Evidence
	for c, name := range f.names {
		e := &fu.Components[c]
		switch name {
		case ComponentRole:
			role = e
		case ComponentNovelty:
			nov = e
		case ComponentVolume:
			vol = e
		case ComponentTyped:
			typ = e
		case ComponentSwitch:
			sw = e
		case ComponentPeers:
			peer = e
		case ComponentSpread:
			spr = e
		}
	}
	fl := func(i int, e *graphkit.Evidence, v func(*graphkit.Evidence) float64) {
		fb := b.Field(from + i).(*array.Float32Builder)
		if e == nil {
			fb.AppendNull()
		} else {
			fb.Append(float32(v(e)))
		}
	}
	// A surprise (−log10 p) is stored to SurpriseDigits decimals: p to 0.23 %, finer
	// than the two digits an explanation prints; the full-precision values are noise
	// a reader never uses, and were three quarters of the surprises' bytes. The score
	// they fused into stays exact.
	surprise := func(e *graphkit.Evidence) float64 { return roundSurprise(e.Surprise) }
	fl(0, role, surprise)
	if nc := b.Field(from + 1).(*array.Int64Builder); nov == nil {
		nc.AppendNull()
	} else {
		nc.Append(int64(f.novelty.NewContacts()[i]))
	}
	// novelty's weighted contacts and volume's expectation are kept, like the
	// explanation, only on rows scoring at least ExplainMinScore: below it the counts,
	// the degree and the surprises say why the row is ordinary, and these two columns,
	// distinct on nearly every row, were a sixth of a LANL-rate day's bytes.
	low := func(e *graphkit.Evidence) *graphkit.Evidence {
		if fu.Score < ExplainMinScore {
			return nil
		}
		return e
	}
	fl(2, low(nov), func(e *graphkit.Evidence) float64 { return e.Value })
	fl(3, nov, surprise)
	fl(4, vol, func(e *graphkit.Evidence) float64 { return e.Value })
	fl(5, low(vol), func(e *graphkit.Evidence) float64 { return e.Expected })
	fl(6, vol, surprise)
	count := func(col int, e *graphkit.Evidence, counts func() []int32) {
		ib := b.Field(from + col).(*array.Int64Builder)
		if e == nil {
			ib.AppendNull()
		} else {
			ib.Append(int64(counts()[i]))
		}
	}
	count(7, typ, func() []int32 { return f.typed.FirstContacts() })
	fl(8, typ, surprise)
	count(9, sw, func() []int32 { first, _ := f.switching.Emissions(); return first })
	fl(10, sw, surprise)
	count(11, peer, func() []int32 { u, _ := f.peers.Unexplained(); return u })
	fl(12, peer, surprise)
	// The artifact spread came from is named, like the explanation, only on rows
	// scoring at least ExplainMinScore: at LANL rates two rows in three received some
	// spread, and the name repeated on each was the largest column.
	if sb := b.Field(from + 13).(*array.StringBuilder); spr == nil || f.spread.From()[i] < 0 || fu.Score < ExplainMinScore {
		sb.AppendNull()
	} else {
		sb.Append(f.artifactNames[f.spread.From()[i]])
	}
	fl(14, spr, surprise)
	dom, expl := b.Field(from+15).(*array.StringBuilder), b.Field(from+16).(*array.StringBuilder)
	if fu.Dominant < 0 {
		// No component has evidence: nothing to explain.
		dom.AppendNull()
		expl.AppendNull()
		return
	}
	dom.Append(f.names[fu.Dominant])
	if fu.Score < ExplainMinScore {
		expl.AppendNull()
		return
	}
	expl.Append(f.explain(fu, i, warmup))
}

// SurpriseDigits is the number of decimals a component's surprise keeps in
// scores.parquet.
const SurpriseDigits = 3

// roundSurprise rounds a surprise to SurpriseDigits decimals (half away from zero).
func roundSurprise(s float64) float64 {
	const scale = 1e3 // 10^SurpriseDigits
	return math.Round(s*scale) / scale
}

// ExplainMinScore is the lowest fused score whose row in scores.parquet carries an
// explanation: 2, a fused tail probability of 1 %. The explanation was the largest
// column of a default run (about 7 of its 35 bytes per artifact-hour at LANL rates,
// every row a distinct string) and says little of the ordinary rows below it, whose
// components stay in their columns for lanlq explain and SQL.
const ExplainMinScore = 2

// explain renders a row's evidence as one line a user reads without the README:
// "novelty 18 first contacts (pairs never met before), weighted 12.4 against a usual 0.3 (p=1e-14) drove it;
// volume 40 (usual 6.1 at this hour, p=2e-05)". Warm-up rows say they are warm-up
// first. i is the artifact's index in the interval's graph.
func (f *fusedScorers) explain(fu graphkit.Fused, i int, warmup bool) string {
	var b strings.Builder
	if warmup {
		b.WriteString("warm-up, histories still forming (lanlq eval leaves it out): ")
	}
	for c, e := range fu.Components {
		if c > 0 {
			b.WriteString("; ")
		}
		p := math.Pow(10, -e.Surprise)
		switch f.names[c] {
		case ComponentNovelty:
			fmt.Fprintf(&b, "novelty %d first contacts (pairs never met before), weighted %.3g against a usual %.3g (p=%.2g)",
				f.novelty.NewContacts()[i], e.Value, e.Expected, p)
		case ComponentVolume:
			fmt.Fprintf(&b, "volume %.3g (usual %.3g at this hour, p=%.2g)", e.Value, e.Expected, p)
		case ComponentRole:
			fmt.Fprintf(&b, "role change %.3g (usual %.3g at this hour, p=%.2g)", e.Value, e.Expected, p)
		case ComponentTyped:
			fmt.Fprintf(&b, "typed %d first contacts of their auth package and logon type (usual %.3g, p=%.2g)",
				f.typed.FirstContacts()[i], e.Expected, p)
		case ComponentSwitch:
			// A source counts the accounts it emits for the first time; an account, the
			// sources that emit it for the first time.
			first, switched := f.switching.Emissions()
			what := "user accounts never emitted from this source"
			if !strings.HasPrefix(f.kinds.Names[f.kinds.Of(fu.ID)], "computer") {
				what = "sources that never emitted this account"
			}
			fmt.Fprintf(&b, "switch %d %s, %d after another account's logon (usual %.3g, p=%.2g)",
				first[i], what, switched[i], e.Expected, p)
		case ComponentPeers:
			u, all := f.peers.Unexplained()
			fmt.Fprintf(&b, "peers %d of %d first contacts that no peer (account sharing its destinations) made (usual %.3g, p=%.2g)",
				u[i], all[i], e.Expected, p)
		case ComponentSpread:
			if from := f.spread.From()[i]; from >= 0 {
				fmt.Fprintf(&b, "spread %.3g from %s (its own evidence %.3g, over a contact of familiarity %.2g)",
					e.Surprise, f.artifactNames[from], e.Value, e.Expected)
			} else {
				b.WriteString("spread none")
			}
		default:
			fmt.Fprintf(&b, "%s %.3g (expected %.3g, p=%.2g)", f.names[c], e.Value, e.Expected, p)
		}
		if e.New {
			b.WriteString(", new")
		}
		if c == fu.Dominant {
			b.WriteString(" drove it")
		}
	}
	return b.String()
}
