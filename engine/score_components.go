package engine

import "github.com/lanlq/lanlq/graphkit"

// fusedComponent is one fused component as the scoring loop and the saved state see
// it: fusedScorers holds them in fusion order (comp, parallel to names), so that
// updating, saving and loading walk a slice instead of switching over names.
type fusedComponent interface {
	// update feeds interval k (its graph, the Tracker's scores parallel to g.IDs, the
	// events' tuples) and returns the evidence, parallel to g.IDs.
	update(k int, g *graphkit.Graph, scores []graphkit.ArtifactScore, tuples *graphkit.Tuples) []graphkit.Evidence
	// saveMain and loadMain write and read the component's state but its growing sets.
	saveMain(e *graphkit.StateEncoder)
	loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error
	// sets are the pair sets that only grow, saved as a base and deltas (StateDir).
	sets() []graphkit.GrowingSet
}

type roleComponent struct {
	s  *graphkit.RoleNormalizer
	ev []graphkit.Evidence
}

func (c *roleComponent) update(k int, g *graphkit.Graph, scores []graphkit.ArtifactScore, _ *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, scores, c.ev)
	return c.ev
}
func (c *roleComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveState(e) }
func (c *roleComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadState(d, m)
}
func (c *roleComponent) sets() []graphkit.GrowingSet { return nil }

type noveltyComponent struct {
	s  *graphkit.Novelty
	ev []graphkit.Evidence
}

func (c *noveltyComponent) update(k int, g *graphkit.Graph, _ []graphkit.ArtifactScore, _ *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, c.ev)
	return c.ev
}
func (c *noveltyComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveMain(e) }
func (c *noveltyComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadMain(d, m)
}
func (c *noveltyComponent) sets() []graphkit.GrowingSet { return c.s.Sets() }

type volumeComponent struct {
	s  *graphkit.Volume
	ev []graphkit.Evidence
}

func (c *volumeComponent) update(k int, g *graphkit.Graph, _ []graphkit.ArtifactScore, _ *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, c.ev)
	return c.ev
}
func (c *volumeComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveState(e) }
func (c *volumeComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadState(d, m)
}
func (c *volumeComponent) sets() []graphkit.GrowingSet { return nil }

// typedComponent's contacts met only grow too, but are a Go map of typed contacts,
// not a pair set: saved whole with the rest (typed is not a default component).
type typedComponent struct {
	s  *graphkit.Typed
	ev []graphkit.Evidence
}

func (c *typedComponent) update(k int, g *graphkit.Graph, _ []graphkit.ArtifactScore, tuples *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, tuples, c.ev)
	return c.ev
}
func (c *typedComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveState(e) }
func (c *typedComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadState(d, m)
}
func (c *typedComponent) sets() []graphkit.GrowingSet { return nil }

type switchComponent struct {
	s  *graphkit.Switching
	ev []graphkit.Evidence
}

func (c *switchComponent) update(k int, g *graphkit.Graph, _ []graphkit.ArtifactScore, tuples *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, tuples, c.ev)
	return c.ev
}
func (c *switchComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveMain(e) }
func (c *switchComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadMain(d, m)
}
func (c *switchComponent) sets() []graphkit.GrowingSet { return c.s.Sets() }

type peersComponent struct {
	s  *graphkit.Peers
	ev []graphkit.Evidence
}

func (c *peersComponent) update(k int, g *graphkit.Graph, _ []graphkit.ArtifactScore, _ *graphkit.Tuples) []graphkit.Evidence {
	c.ev = c.s.Update(k, g, c.ev)
	return c.ev
}
func (c *peersComponent) saveMain(e *graphkit.StateEncoder) { c.s.SaveMain(e) }
func (c *peersComponent) loadMain(d *graphkit.StateDecoder, m *graphkit.IDMap) error {
	return c.s.LoadMain(d, m)
}
func (c *peersComponent) sets() []graphkit.GrowingSet { return c.s.Sets() }

// spreadComponent has no state: it passes on each interval's evidence. Its update is
// fusedScorers.update's, after the others (it reads their fusion); its section keeps
// the saved components in fusion order.
type spreadComponent struct{ s *graphkit.Spread }

func (c *spreadComponent) update(int, *graphkit.Graph, []graphkit.ArtifactScore, *graphkit.Tuples) []graphkit.Evidence {
	return nil
}
func (c *spreadComponent) saveMain(e *graphkit.StateEncoder) { e.Section("spread") }
func (c *spreadComponent) loadMain(d *graphkit.StateDecoder, _ *graphkit.IDMap) error {
	d.Section("spread")
	return d.Err()
}
func (c *spreadComponent) sets() []graphkit.GrowingSet { return nil }
