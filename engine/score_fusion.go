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
	names   []string // components in fusion order
	role    *graphkit.RoleNormalizer
	novelty *graphkit.Novelty
	volume  *graphkit.Volume
	fusion  *graphkit.Fusion

	roleEv, novEv, volEv []graphkit.Evidence
	comps                [][]graphkit.Evidence
	out                  []graphkit.Fused
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
	f := &fusedScorers{}
	for _, c := range r.spec.Components {
		switch c {
		case ComponentRole:
			h := hist
			h.MinScale = fusedRoleMinScale
			if f.role, err = graphkit.NewRoleNormalizer(kinds, graphkit.RoleConfig{History: h}); err != nil {
				return nil, fmt.Errorf("engine: %w", err)
			}
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
			set.VolumeMinScale = h.MinScale
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

// update feeds interval k's graph and the Tracker's scores (parallel to g.IDs) to
// every component and returns their fusion, parallel to g.IDs (valid until the next
// call).
func (f *fusedScorers) update(k int, g *graphkit.Graph, scores []graphkit.ArtifactScore) []graphkit.Fused {
	for c, name := range f.names {
		switch name {
		case ComponentRole:
			f.roleEv = f.role.Update(k, g, scores, f.roleEv)
			f.comps[c] = f.roleEv
		case ComponentNovelty:
			f.novEv = f.novelty.Update(k, g, f.novEv)
			f.comps[c] = f.novEv
		case ComponentVolume:
			f.volEv = f.volume.Update(k, g, f.volEv)
			f.comps[c] = f.volEv
		}
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
// volume_degree, volume_expected, volume_surprise, fused_surprise, dominant,
// explanation. i is the artifact's index in the interval's graph.
func (f *fusedScorers) appendComponents(b *array.RecordBuilder, from, i int, fu graphkit.Fused, warmup bool) {
	var role, nov, vol *graphkit.Evidence
	for c, name := range f.names {
		e := &fu.Components[c]
		switch name {
		case ComponentRole:
			role = e
		case ComponentNovelty:
			nov = e
		case ComponentVolume:
			vol = e
		}
	}
	fl := func(i int, e *graphkit.Evidence, v func(*graphkit.Evidence) float64) {
		fb := b.Field(from + i).(*array.Float64Builder)
		if e == nil {
			fb.AppendNull()
		} else {
			fb.Append(v(e))
		}
	}
	surprise := func(e *graphkit.Evidence) float64 { return e.Surprise }
	fl(0, role, surprise)
	if nc := b.Field(from + 1).(*array.Int64Builder); nov == nil {
		nc.AppendNull()
	} else {
		nc.Append(int64(f.novelty.NewContacts()[i]))
	}
	fl(2, nov, func(e *graphkit.Evidence) float64 { return e.Value })
	fl(3, nov, surprise)
	fl(4, vol, func(e *graphkit.Evidence) float64 { return e.Value })
	fl(5, vol, func(e *graphkit.Evidence) float64 { return e.Expected })
	fl(6, vol, surprise)
	b.Field(from + 7).(*array.Float64Builder).Append(fu.Score)
	dom, expl := b.Field(from+8).(*array.StringBuilder), b.Field(from+9).(*array.StringBuilder)
	if fu.Dominant < 0 {
		// No component has evidence: nothing to explain.
		dom.AppendNull()
		expl.AppendNull()
		return
	}
	dom.Append(f.names[fu.Dominant])
	expl.Append(f.explain(fu, i, warmup))
}

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
