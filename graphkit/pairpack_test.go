package graphkit

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

// lanlLikeKey draws a pair as LANL's contacts spread: a few hub ids meet many
// partners, most ids a few; a < b as the scorers pack them.
func lanlLikeKey(rng *rand.Rand, ids uint64) uint64 {
	var a uint64
	if rng.IntN(4) == 0 {
		a = rng.Uint64N(8) // a hub
	} else {
		a = rng.Uint64N(ids)
	}
	b := rng.Uint64N(ids)
	if rng.IntN(3) == 0 {
		b = a + 1 + rng.Uint64N(40) // a neighbour in id order: small deltas
	}
	if a == b {
		b++
	}
	a, b = min(a, b), max(a, b)
	return a<<32 | b
}

// setKeys returns the set's keys and visits in order (through eachSorted, as saved).
func setKeys(s *pairSet) []keyMet {
	var kv []keyMet
	s.eachSorted(func(key uint64, met uint32) { kv = append(kv, keyMet{key, met}) })
	return kv
}

func refKeys(ref map[uint64]uint32, counted bool) []keyMet {
	var kv []keyMet
	for k, m := range ref {
		if !counted {
			m = 0
		}
		kv = append(kv, keyMet{k, m})
	}
	slices.SortFunc(kv, func(a, b keyMet) int { return cmpKey(a.key, b.key) })
	return kv
}

func cmpKey(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestPackedPairSet checks a grow-only set with its packed part against a map: visits
// in increasing order (as a scorer walks an interval's graph) and in random order,
// absent keys next to present ones (either side of every block's bounds), merges
// from the smallest table on (so every interval crosses some), sets saved whole and
// loaded, and bases with chains of deltas — all saying what the map says, and a
// set saved twice over different histories saved as the same bytes.
func TestPackedPairSet(t *testing.T) {
	defer func(n, m int) { pairSetMergeSlots, packSegMax = n, m }(pairSetMergeSlots, packSegMax)
	for _, mergeAt := range []int{pairSetMinSize, 1 << 12, 1 << 40} {
		pairSetMergeSlots = mergeAt
		packSegMax = 1000 + mergeAt%7 // segments split at an odd size, across blocks
		for _, counted := range []bool{false, true} {
			name := fmt.Sprintf("merge at %d, counted %v", mergeAt, counted)
			rng := rand.New(rand.NewPCG(uint64(mergeAt), 7))
			s := &pairSet{counted: counted}
			g := GrowingSet{name: "test", s: s}
			ref := map[uint64]uint32{}
			var base []byte
			var deltas [][]byte
			check := func(when string) {
				t.Helper()
				if got, want := setKeys(s), refKeys(ref, counted); !slices.Equal(got, want) {
					t.Fatalf("%s, %s: the set holds %d keys, the map %d (or other visits)", name, when, len(got), len(want))
				}
				if s.len() != len(ref) {
					t.Fatalf("%s, %s: len %d, want %d", name, when, s.len(), len(ref))
				}
			}
			for iv := range 60 {
				batch := make([]uint64, 0, 3000)
				for range 1 + rng.IntN(3000) {
					if len(ref) > 0 && rng.IntN(2) == 0 {
						batch = append(batch, knownKey(rng, s)) // a pair met before
					} else {
						batch = append(batch, lanlLikeKey(rng, 20000))
					}
				}
				if iv%3 != 2 {
					slices.Sort(batch) // the graph's order
					batch = slices.Compact(batch)
				}
				for _, key := range batch {
					want, had := ref[key]
					met, isNew := s.visit(key, 0, 0)
					wantMet := want
					if !counted {
						wantMet = 0
					}
					if isNew == had || met != wantMet {
						t.Fatalf("%s, interval %d, key %x: (met, new) = (%d, %v), want (%d, %v)", name, iv, key, met, isNew, wantMet, !had)
					}
					ref[key] = want + 1
					// Absent neighbours stay absent.
					for _, k := range []uint64{key - 1, key + 1} {
						if _, ok := ref[k]; !ok && k != 0 {
							if _, _, ok := s.findPacked(k); ok {
								t.Fatalf("%s: absent key %x found", name, k)
							}
						}
					}
				}
				switch {
				case iv == 10:
					// A base, then deltas.
					var e StateEncoder
					g.SaveBase(&e)
					base = e.Bytes()
					g.Track()
				case iv > 10 && iv%4 == 0:
					if !g.DeltaReady() {
						break
					}
					var e StateEncoder
					g.SaveDelta(&e)
					deltas = append(deltas, e.Bytes())
					// The chain loads as the set.
					l := &pairSet{counted: counted}
					lg := GrowingSet{name: "test", s: l}
					d := NewStateDecoder(base)
					if err := lg.LoadBase(d); err != nil {
						t.Fatalf("%s: base: %v", name, err)
					}
					for _, b := range deltas {
						if err := lg.LoadDelta(NewStateDecoder(b)); err != nil {
							t.Fatalf("%s: delta: %v", name, err)
						}
					}
					if !slices.Equal(setKeys(l), setKeys(s)) {
						t.Fatalf("%s, interval %d: base and %d deltas load another set", name, iv, len(deltas))
					}
					// Saved whole: the same bytes as the set saved in one piece.
					var e1, e2 StateEncoder
					g.SaveBase(&e1)
					lg.SaveBase(&e2)
					if !slices.Equal(e1.Bytes(), e2.Bytes()) {
						t.Fatalf("%s, interval %d: the loaded set saves other bytes", name, iv)
					}
					// And round trips.
					r := &pairSet{counted: counted}
					if err := (GrowingSet{name: "test", s: r}).LoadBase(NewStateDecoder(e1.Bytes())); err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(setKeys(r), setKeys(s)) {
						t.Fatalf("%s: a round trip changed the set", name)
					}
				}
				check(fmt.Sprintf("interval %d", iv))
			}
			if mergeAt <= 1<<12 && len(s.packed) < 2 {
				t.Errorf("%s: never merged", name)
			}
			if len(deltas) == 0 {
				t.Errorf("%s: no delta saved", name)
			}
			// Deltas out of order are refused (the count saved with each).
			if len(deltas) > 2 {
				l := GrowingSet{name: "test", s: &pairSet{counted: counted}}
				err := l.LoadBase(NewStateDecoder(base))
				for _, b := range [][]byte{deltas[1], deltas[0]} {
					if err == nil {
						err = l.LoadDelta(NewStateDecoder(b))
					}
				}
				if !errors.Is(err, ErrState) {
					t.Errorf("%s: deltas out of order: %v, want ErrState", name, err)
				}
			}
		}
	}
}

// knownKey returns a key the set holds.
func knownKey(rng *rand.Rand, s *pairSet) uint64 {
	if s.packedN > 0 && (s.count == 0 || rng.IntN(2) == 0) {
		p := &s.packed[rng.IntN(len(s.packed))]
		i := rng.IntN(p.n)
		p.decode(i / packBlock)
		return p.keys[i%packBlock]
	}
	for {
		if k := s.keys[rng.IntN(len(s.keys))]; k != 0 {
			return k
		}
	}
}

// TestPackedPairSetBigCounts: visits past what two bytes hold are kept exactly,
// through merges and saves.
func TestPackedPairSetBigCounts(t *testing.T) {
	defer func(n int) { pairSetMergeSlots = n }(pairSetMergeSlots)
	pairSetMergeSlots = pairSetMinSize
	s := &pairSet{counted: true}
	var keys []uint64
	for i := range uint64(3000) {
		keys = append(keys, (i/50)<<32|(i%50+100))
	}
	for i, k := range keys {
		s.put(k, uint32(i)*100+1)
	}
	if s.packedN == 0 {
		t.Fatal("never merged")
	}
	for i, k := range keys {
		if met, isNew := s.visit(k, 0, 0); isNew || met != uint32(i)*100+1 {
			t.Fatalf("key %d: (met, new) = (%d, %v), want (%d, false)", i, met, isNew, i*100+1)
		}
	}
	var e StateEncoder
	GrowingSet{name: "big", s: s}.SaveBase(&e)
	r := &pairSet{counted: true}
	if err := (GrowingSet{name: "big", s: r}).LoadBase(NewStateDecoder(e.Bytes())); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if met, _ := r.visit(k, 0, 0); met != uint32(i)*100+2 {
			t.Fatalf("loaded key %d: met %d, want %d", i, met, i*100+2)
		}
	}
}

// TestPackedPairSetCorrupt: a saved set cut short or with keys out of order is
// refused.
func TestPackedPairSetCorrupt(t *testing.T) {
	s := &pairSet{counted: true}
	for i := range uint64(500) {
		s.put((i%7)<<32|(i+10), 3)
	}
	s.merge()
	var e StateEncoder
	GrowingSet{name: "c", s: s}.SaveBase(&e)
	b := e.Bytes()
	for cut := 1; cut < len(b); cut += 37 {
		r := GrowingSet{name: "c", s: &pairSet{counted: true}}
		d := NewStateDecoder(b[:cut])
		if err := r.LoadBase(d); err == nil {
			t.Fatalf("cut at %d of %d: loaded", cut, len(b))
		}
	}
	// A delta of the same key and a larger one: the second key's byte run made to
	// go back (b-delta of zero) is refused.
	var e2 StateEncoder
	encodePairs(&e2, false, 2, func(fn func(uint64, uint32)) { fn(5<<32|9, 0); fn(5<<32|10, 0) })
	raw := e2.Bytes()
	// The second key's delta, uvarint(1<<1) = 2, is the last byte of the keys.
	keysEnd := 8 + 8 + int(raw[8])
	raw[keysEnd-1] = 0
	d := NewStateDecoder(raw)
	decodePairs(d, "c", false, func(int, int) {}, func(uint64, uint32) {})
	if !errors.Is(d.Err(), ErrState) {
		t.Fatalf("keys out of order: %v, want ErrState", d.Err())
	}
}

// BenchmarkPairSet compares novelty's set of contacts as a hash table alone ("table",
// never merged) and with its packed part ("packed", the default) on the contacts of
// LANL-rate hours (see lanlWorld; LANLQ_BENCH_GRAPH_HOURS hours, default 3, at
// LANLQ_BENCH_GRAPH_SCALE), visited as Novelty visits them (graded, so counted): each
// op visits every hour's contacts, in order, into a fresh set, then all of them again
// (known-visit: every pair known, as most of LANL's contacts are). It reports the
// pairs met, ns per visit (first pass), ns per known visit, the set's memory (B/pair: slots or packed bytes, capacities
// included) and its saved size (disk-B/pair, as GrowingSet.SaveBase writes it).
//
//	go test -tags duckdb_arrow -run '^$' -bench PairSet -benchtime 3x ./graphkit/
func BenchmarkPairSet(b *testing.B) {
	hours, scale := lanlBenchSpan()
	w := &lanlWorld{ids: map[string]int64{}}
	var graphs []*Graph
	for h := range int64(hours) {
		graphs = append(graphs, w.hour(h, scale).graph(b))
	}
	kindOf := make([]string, len(w.ids))
	for name, id := range w.ids {
		kindOf[id] = name[:strings.Index(name, "::")]
	}
	kinds, err := NewKinds(kindOf)
	if err != nil {
		b.Fatal(err)
	}
	nv, err := NewNovelty(kinds, NoveltyConfig{Pairs: DefaultNoveltyPairs(kinds), Graded: true})
	if err != nil {
		b.Fatal(err)
	}
	// Each hour's contacts in the order Novelty.Update visits them.
	var contacts [][]uint64
	visits := 0
	for _, g := range graphs {
		var keys []uint64
		for v := range g.NumVertices() {
			ka := int(kinds.ByID[g.IDs[v]])
			if !nv.rowOK[ka] {
				continue
			}
			nbrs, _ := g.Neighbors(v)
			lo, _ := slices.BinarySearch(nbrs, int32(v+1))
			for _, u := range nbrs[lo:] {
				if nv.sel[ka*nv.nk+int(kinds.ByID[g.IDs[u]])] {
					keys = append(keys, uint64(g.IDs[v])<<32|uint64(g.IDs[u]))
				}
			}
		}
		contacts = append(contacts, keys)
		visits += len(keys)
	}
	for _, c := range []struct {
		name  string
		merge int
	}{{"table", math.MaxInt}, {"packed", pairSetMergeSlots}} {
		b.Run(c.name, func(b *testing.B) {
			defer func(n int) { pairSetMergeSlots = n }(pairSetMergeSlots)
			pairSetMergeSlots = c.merge
			var s *pairSet
			var again time.Duration
			cpu := ProcessCPU()
			for b.Loop() {
				s = &pairSet{counted: true}
				for h, keys := range contacts {
					for _, k := range keys {
						s.visit(k, uint32(h), 0)
					}
				}
				// The same contacts again: every pair known, lookups alone.
				start := time.Now()
				for h, keys := range contacts {
					for _, k := range keys {
						s.visit(k, uint32(h), 0)
					}
				}
				again += time.Since(start)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64((b.Elapsed()-again).Nanoseconds())/float64(b.N)/float64(visits), "ns/visit")
			b.ReportMetric(float64(again.Nanoseconds())/float64(b.N)/float64(visits), "ns/known-visit")
			b.ReportMetric(float64(s.len()), "pairs")
			b.ReportMetric(float64(s.bytes())/float64(s.len()), "B/pair")
			var e StateEncoder
			GrowingSet{name: "novelty contacts", s: s}.SaveBase(&e)
			b.ReportMetric(float64(len(e.Bytes()))/float64(s.len()), "disk-B/pair")
		})
	}
}
