package engine

import (
	"context"
	"time"

	"github.com/lanlq/lanlq/graphkit"
)

// buildAheadHook, when set (by tests), is called by buildAhead before it turns to
// the i-th interval of the frame (i = 0 for r.from); an error it returns is that
// interval's build error.
var buildAheadHook func(i int) error

// frameGraph is the graph of one interval of the frame as buildAhead hands it to
// scoreAll.
type frameGraph struct {
	k      int64
	g      *graphkit.Graph  // nil: no edge
	tuples *graphkit.Tuples // the interval's tuples (spec.needsTuples only)
	took   time.Duration    // the time building it took (0 for a held graph)
	err    error            // the build failed; nothing follows on the channel
}

// buildAhead sends the graphs of the intervals r.from … r.last on out, in order, and
// closes it. out is unbuffered, so it works one interval ahead of the scoring: it
// builds interval k+1's graph (the tuple query, under r.db, then the CSR build) while
// scoreAll scores and writes k, and holds at most that one graph, its tuples and the
// builder's buffers beyond what the scoring holds. The tuple query is DuckDB's work on
// its own threads and the build Go's on all cores, so on two cores they fill the time
// the single-threaded parts of the scoring leave. It stops after an error (sent) or
// when ctx is done (nothing more sent). Graphs held from training are handed on, not
// rebuilt.
func (r *scoreRun) buildAhead(ctx context.Context, out chan<- frameGraph) {
	defer close(out)
	for k := r.from; k <= r.last; k++ {
		fg := r.frameGraph(ctx, k)
		select {
		case out <- fg:
		case <-ctx.Done():
			return
		}
		if fg.err != nil {
			return
		}
	}
}

// frameGraph returns the graph of interval k of the frame: held from training, built,
// or nil for an interval without events.
func (r *scoreRun) frameGraph(ctx context.Context, k int64) frameGraph {
	fg := frameGraph{k: k}
	if buildAheadHook != nil {
		if fg.err = buildAheadHook(int(k - r.from)); fg.err != nil {
			return fg
		}
	}
	if g, ok := r.held[k]; ok {
		fg.g, fg.tuples = g, r.heldTuples[k]
		delete(r.held, k)
		delete(r.heldTuples, k)
		return fg
	}
	if r.nonEmpty[k] {
		t0 := time.Now()
		fg.g, fg.tuples, fg.err = r.graph(ctx, r.spec.Edges, k)
		fg.took = time.Since(t0)
	}
	return fg
}
