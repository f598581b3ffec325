package graphkit

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
)

// packedPairs is the compressed, sorted part of a grow-only pairSet: distinct
// non-zero keys (a<<32 | b) in increasing order, in blocks of packBlock keys. A
// block's first key is kept whole (first, the skip list a lookup searches); the
// others follow in data as deltas from the key before: a key with the same a as the
// one before as uvarint((b−b′)<<1), one with another a as uvarint((a−a′)<<1 | 1) and
// uvarint(b). A counted set keeps each key's visits in met (2 bytes; 0xFFFF sends
// to big, for counts that do not fit).
//
// At LANL rates (a hub meeting thousands of partners, most artifacts a few) a key
// takes 1–2 bytes of data, 12/packBlock of skip list and 2 of count: novelty's
// contacts took 3.3–3.5 bytes a pair on the generator's LANL-rate day and week
// against 22.5–23.7 in the hash table, switch's emissions (no count) 1.7
// (BENCHMARKS.md, "Novelty's pair set packed").
//
// Lookups exploit the order in which a scorer visits an interval's contacts (its
// graph's rows and their neighbours in increasing id order): the block last decoded
// is kept decoded, and the next block is found by galloping forward from it, so a
// walk over keys in increasing order costs a few comparisons a key; keys in any
// other order cost a binary search.
type packedPairs struct {
	n     int
	first []uint64 // per block: its first key
	off   []uint32 // per block and one more: where its deltas start in data
	data  []byte
	met   []uint16 // per key, when counted: its visits, packMetBig when in big
	big   map[uint64]uint32

	cur  int      // the block decoded in keys, −1 none
	keys []uint64 // block cur's keys
}

const (
	packBlock  = 64
	packMetBig = math.MaxUint16
)

// bytes returns the memory the part holds (capacities: what the allocator keeps).
func (p *packedPairs) bytes() int {
	return 8*cap(p.first) + 4*cap(p.off) + cap(p.data) + 2*cap(p.met) + 24*len(p.big) + 8*cap(p.keys)
}

// decode fills p.keys with block blk's keys.
func (p *packedPairs) decode(blk int) {
	n := min(packBlock, p.n-blk*packBlock)
	p.keys = append(p.keys[:0], p.first[blk])
	data := p.data[p.off[blk]:p.off[blk+1]]
	prev := p.first[blk]
	for range n - 1 {
		var k int
		prev, k = nextPackedKey(prev, data)
		data = data[k:]
		p.keys = append(p.keys, prev)
	}
	p.cur = blk
}

// nextPackedKey decodes the key after prev from the front of data (encoded by
// appendPackedKey) and the bytes it took; 0 bytes when data is malformed.
func nextPackedKey(prev uint64, data []byte) (uint64, int) {
	d, k := binary.Uvarint(data)
	if k <= 0 {
		return 0, 0
	}
	if d&1 == 0 {
		if d>>1 >= 1<<32-prev&(1<<32-1) {
			return 0, 0 // past the ids of prev's a
		}
		return prev + d>>1, k
	}
	b, k2 := binary.Uvarint(data[k:])
	if k2 <= 0 || b >= 1<<32 || d>>1 >= 1<<32-prev>>32 {
		return 0, 0
	}
	return (prev>>32+d>>1)<<32 | b, k + k2
}

// appendPackedKey appends key's delta from prev (< key).
func appendPackedKey(data []byte, prev, key uint64) []byte {
	if key>>32 == prev>>32 {
		return binary.AppendUvarint(data, (key-prev)<<1)
	}
	data = binary.AppendUvarint(data, (key>>32-prev>>32)<<1|1)
	return binary.AppendUvarint(data, key&(1<<32-1))
}

// find returns key's index, if the part has it.
func (p *packedPairs) find(key uint64) (int, bool) {
	nb := len(p.first)
	if nb == 0 || key < p.first[0] {
		return 0, false
	}
	// The last block whose first key is ≤ key: galloping forward from the block
	// last decoded, else a binary search below it.
	lo, hi := 0, max(p.cur, 0)
	if p.first[hi] <= key {
		lo, hi = hi, hi+1
		for step := 1; hi < nb && p.first[hi] <= key; step *= 2 {
			lo, hi = hi, min(hi+step, nb)
		}
	}
	j, _ := slices.BinarySearch(p.first[lo:hi], key+1)
	blk := lo + j - 1
	if blk != p.cur || len(p.keys) == 0 {
		p.decode(blk)
	}
	i, ok := slices.BinarySearch(p.keys, key)
	return blk*packBlock + i, ok
}

// getMet returns the visits of the key at index i.
func (p *packedPairs) getMet(i int, key uint64) uint32 {
	if m := p.met[i]; m != packMetBig {
		return uint32(m)
	}
	return p.big[key]
}

// setMet sets the visits of the key at index i.
func (p *packedPairs) setMet(i int, key uint64, met uint32) {
	if met < packMetBig {
		p.met[i] = uint16(met)
		return
	}
	if p.big == nil {
		p.big = map[uint64]uint32{}
	}
	p.met[i], p.big[key] = packMetBig, met
}

// packBuilder appends keys in increasing order to a new packedPairs.
type packBuilder struct {
	p       packedPairs
	counted bool
	prev    uint64
}

func newPackBuilder(n, dataCap int, counted bool) *packBuilder {
	b := &packBuilder{counted: counted}
	b.p.cur = -1
	b.p.first = make([]uint64, 0, (n+packBlock-1)/packBlock)
	b.p.off = make([]uint32, 0, (n+packBlock-1)/packBlock+1)
	b.p.data = make([]byte, 0, dataCap)
	if counted {
		b.p.met = make([]uint16, 0, n)
	}
	return b
}

// add appends key (above the last one added) with its visits.
func (b *packBuilder) add(key uint64, met uint32) {
	p := &b.p
	if p.n%packBlock == 0 {
		p.first = append(p.first, key)
		p.off = append(p.off, uint32(len(p.data)))
	} else {
		p.data = appendPackedKey(p.data, b.prev, key)
	}
	if b.counted {
		p.met = append(p.met, 0)
		p.setMet(p.n, key, met)
	}
	b.prev = key
	p.n++
}

// finish returns the part built.
func (b *packBuilder) finish() packedPairs {
	if len(b.p.data) > math.MaxUint32 {
		panic(fmt.Sprintf("graphkit: a packed pair set of %d bytes", len(b.p.data)))
	}
	b.p.off = append(b.p.off, uint32(len(b.p.data)))
	return b.p
}

// each calls fn with the part's keys and visits (0 when not counted) in order.
func (p *packedPairs) each(fn func(key uint64, met uint32)) {
	for blk := range p.first {
		p.decode(blk)
		for j, k := range p.keys {
			var met uint32
			if p.met != nil {
				met = p.getMet(blk*packBlock+j, k)
			}
			fn(k, met)
		}
	}
}

// packSegMax is the most keys a segment of the packed part holds: a merge rebuilds
// one segment at a time, so it holds at most one segment twice (a variable so that
// tests split small sets).
var packSegMax = 1 << 20

// segBuilder appends keys in increasing order to new segments of at most packSegMax
// keys; n and dataBytes are the expected keys and bytes of deltas, to size them.
type segBuilder struct {
	segs     []packedPairs
	b        *packBuilder
	counted  bool
	n, added int
	perKey   float64
}

func newSegBuilder(n, dataBytes int, counted bool) *segBuilder {
	return &segBuilder{counted: counted, n: n, perKey: float64(dataBytes) / float64(max(n, 1))}
}

func (sb *segBuilder) add(key uint64, met uint32) {
	if sb.b == nil || sb.b.p.n == packSegMax {
		if sb.b != nil {
			sb.segs = append(sb.segs, sb.b.finish())
		}
		n := min(packSegMax, max(sb.n-sb.added, 1))
		sb.b = newPackBuilder(n, int(float64(n)*sb.perKey*1.02)+16, sb.counted)
	}
	sb.b.add(key, met)
	sb.added++
}

func (sb *segBuilder) finish() []packedPairs {
	if sb.b != nil {
		sb.segs = append(sb.segs, sb.b.finish())
	}
	return sb.segs
}

// findPacked returns the segment and index of key, if the packed part has it. The
// segment last used is tried first, as its block is.
func (s *pairSet) findPacked(key uint64) (*packedPairs, int, bool) {
	segs := s.packed
	if len(segs) == 0 {
		return nil, 0, false
	}
	c := s.seg
	if c >= len(segs) || segs[c].first[0] > key || c+1 < len(segs) && segs[c+1].first[0] <= key {
		c = 0
		for lo, hi := 1, len(segs); lo < hi; {
			m := int(uint(lo+hi) >> 1)
			if segs[m].first[0] <= key {
				c, lo = m, m+1
			} else {
				hi = m
			}
		}
		s.seg = c
	}
	p := &segs[c]
	i, ok := p.find(key)
	return p, i, ok
}

// tableSorted returns the hash table's keys in order with their visits (0 when not
// counted).
func (s *pairSet) tableSorted() []keyMet {
	kv := make([]keyMet, 0, s.count)
	for i, k := range s.keys {
		if k != 0 {
			var met uint32
			if s.counted {
				met = s.met[i]
			}
			kv = append(kv, keyMet{k, met})
		}
	}
	slices.SortFunc(kv, func(a, b keyMet) int { return cmp.Compare(a.key, b.key) })
	return kv
}

type keyMet struct {
	key uint64
	met uint32
}

// eachSorted calls fn with every key of a set that is not windowed, in order, with
// its visits (0 when not counted).
func (s *pairSet) eachSorted(fn func(key uint64, met uint32)) {
	kv := s.tableSorted()
	i := 0
	for p := range s.packed {
		s.packed[p].each(func(key uint64, met uint32) {
			for ; i < len(kv) && kv[i].key < key; i++ {
				fn(kv[i].key, kv[i].met)
			}
			fn(key, met)
		})
	}
	for ; i < len(kv); i++ {
		fn(kv[i].key, kv[i].met)
	}
}

// pairSetMergeSlots is the smallest table a set that is not windowed merges into
// its packed part instead of growing (a variable so that tests merge small sets).
var pairSetMergeSlots = 1 << 16

// mergeDue reports whether the (full) table should be merged into the packed part
// rather than grow: a set that is not windowed keeps its table below about a
// sixteenth of its keys, so the table's 8–12 bytes a slot stay under a byte a pair,
// and merges (each a pass over the packed part) come every n/16 new keys.
func (s *pairSet) mergeDue() bool {
	return !s.windowed && len(s.keys) >= pairSetMergeSlots && s.count*16 >= s.packedN
}

// merge moves the table's keys into the packed part and empties the table (keeping
// its size). Each segment is rebuilt with the keys of its range (the first also
// takes those below it, the last those above), one after the other, the old one let
// go before the next; one that outgrows packSegMax is split.
func (s *pairSet) merge() {
	kv := s.tableSorted()
	var segs []packedPairs
	if len(s.packed) == 0 {
		sb := newSegBuilder(len(kv), 3*len(kv), s.counted)
		for _, e := range kv {
			sb.add(e.key, e.met)
		}
		segs = sb.finish()
	}
	for i := range s.packed {
		p := &s.packed[i]
		end := len(kv)
		if i+1 < len(s.packed) {
			end, _ = slices.BinarySearchFunc(kv, s.packed[i+1].first[0], func(e keyMet, k uint64) int { return cmp.Compare(e.key, k) })
		}
		part := kv[:end]
		kv = kv[end:]
		if len(part) == 0 {
			segs = append(segs, *p)
			*p = packedPairs{}
			continue
		}
		sb := newSegBuilder(p.n+len(part), len(p.data)*(p.n+len(part))/p.n, s.counted)
		j := 0
		p.each(func(key uint64, met uint32) {
			for ; j < len(part) && part[j].key < key; j++ {
				sb.add(part[j].key, part[j].met)
			}
			sb.add(key, met)
		})
		for ; j < len(part); j++ {
			sb.add(part[j].key, part[j].met)
		}
		*p = packedPairs{}
		segs = append(segs, sb.finish()...)
	}
	s.packed, s.packedN, s.seg = segs, s.packedN+s.count, 0
	clear(s.keys)
	clear(s.met)
	s.count = 0
}

// len returns the number of keys in the set.
func (s *pairSet) len() int { return s.count + s.packedN }

// lookupMet returns the visits of a key the set has (0 when not counted).
func (s *pairSet) lookupMet(key uint64) uint32 {
	if s.packedN > 0 {
		if p, i, ok := s.findPacked(key); ok {
			if s.counted {
				return p.getMet(i, key)
			}
			return 0
		}
	}
	mask := uint64(len(s.keys) - 1)
	j := pairHash(key) >> s.shift
	for s.keys[j] != key {
		j = (j + 1) & mask
	}
	if s.counted {
		return s.met[j]
	}
	return 0
}

// put sets key's visits (adding the key when absent) in a set that is not windowed.
func (s *pairSet) put(key uint64, met uint32) {
	if (s.count+1)*4 > len(s.keys)*3 {
		if s.mergeDue() {
			s.merge()
		} else {
			s.grow(0, 0)
		}
	}
	if s.packedN > 0 {
		if p, i, ok := s.findPacked(key); ok {
			if s.counted {
				p.setMet(i, key, met)
			}
			return
		}
	}
	mask := uint64(len(s.keys) - 1)
	j := pairHash(key) >> s.shift
	for s.keys[j] != 0 && s.keys[j] != key {
		j = (j + 1) & mask
	}
	if s.keys[j] == 0 {
		s.keys[j] = key
		s.count++
	}
	if s.counted {
		s.met[j] = met
	}
}

// savePacked writes a set that is not windowed as its keys in order with their
// visits (encodePairs): the same bytes for the same keys and visits, however the set
// came to hold them.
func (s *pairSet) savePacked(e *StateEncoder) {
	e.Bool(s.counted)
	encodePairs(e, s.counted, s.len(), s.eachSorted)
}

// loadPacked reads what savePacked wrote into the packed part of an empty set.
func (s *pairSet) loadPacked(d *StateDecoder, name string) {
	if counted := d.Bool(); d.err == nil && counted != s.counted {
		d.fail("%s: counted %v saved, %v now", name, counted, s.counted)
	}
	var sb *segBuilder
	decodePairs(d, name, s.counted, func(n int, keyBytes int) {
		sb = newSegBuilder(n, keyBytes, s.counted)
	}, func(key uint64, met uint32) { sb.add(key, met) })
	if d.err == nil {
		s.packed, s.packedN, s.seg = sb.finish(), sb.added, 0
	}
}

// encodePairs writes n keys in increasing order, given by each, delta-coded as in
// packedPairs (the first from 0), and when counted their visits as uvarints.
func encodePairs(e *StateEncoder, counted bool, n int, each func(func(key uint64, met uint32))) {
	var keys, mets []byte
	prev := uint64(0)
	i := 0
	each(func(key uint64, met uint32) {
		if i == 0 {
			keys = binary.AppendUvarint(keys, key>>32<<1|1)
			keys = binary.AppendUvarint(keys, key&(1<<32-1))
		} else {
			keys = appendPackedKey(keys, prev, key)
		}
		prev = key
		i++
		if counted {
			mets = binary.AppendUvarint(mets, uint64(met))
		}
	})
	if i != n {
		panic(fmt.Sprintf("graphkit: %d pairs encoded of %d", i, n))
	}
	e.Int(int64(n))
	e.Int(int64(len(keys)))
	e.b = append(e.b, keys...)
	e.Int(int64(len(mets)))
	e.b = append(e.b, mets...)
}

// decodePairs reads what encodePairs wrote: start is called with the number of keys
// and of their bytes, then add with each key and its visits (0 when not counted).
func decodePairs(d *StateDecoder, name string, counted bool, start func(n, keyBytes int), add func(key uint64, met uint32)) {
	n, nk := d.Int(), d.Int()
	if d.err == nil && (n < 0 || nk < n || nk > int64(d.Remaining())) {
		d.fail("%s: %d keys in %d bytes", name, n, nk)
	}
	if d.err != nil {
		return
	}
	keys := d.take(int(nk))
	nm := d.Int()
	if d.err == nil && (nm < 0 || nm > int64(d.Remaining()) || counted && nm < n || !counted && nm != 0) {
		d.fail("%s: %d visit counts in %d bytes", name, n, nm)
	}
	if d.err != nil {
		return
	}
	mets := d.take(int(nm))
	start(int(n), len(keys))
	prev := uint64(0)
	for i := range n {
		var key uint64
		var k int
		if i == 0 {
			key, k = nextPackedKey(0, keys)
			if k > 0 && keys[0]&1 == 0 {
				k = 0
			}
		} else {
			key, k = nextPackedKey(prev, keys)
			if k > 0 && key <= prev {
				d.fail("%s: keys out of order at key %d", name, i)
				return
			}
		}
		if k == 0 || key == 0 {
			d.fail("%s: key %d malformed", name, i)
			return
		}
		keys = keys[k:]
		var met uint32
		if counted {
			m, k := binary.Uvarint(mets)
			if k <= 0 || m == 0 || m > math.MaxUint32 {
				d.fail("%s: the visits of key %d malformed", name, i)
				return
			}
			mets, met = mets[k:], uint32(m)
		}
		add(key, met)
		prev = key
	}
	if len(keys) != 0 || len(mets) != 0 {
		d.fail("%s: %d bytes of keys and %d of visits left after %d keys", name, len(keys), len(mets), n)
	}
}
