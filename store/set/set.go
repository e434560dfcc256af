// Package set is the data structure of a Redis set: its three encodings
// (intset, listpack, hashtable) with Redis 7.2's conversions, O(1) random
// members, SSCAN cursors, and the set algebra. It is pure: no locks, no
// effects, no memory accounting beyond Bytes, which the store's Tx layer
// (store/set_tx.go) reads before and after each write.
package set

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/meshcache/meshcache/store/rdb"
)

// A Set is one Redis set. Make one with NewFor or Fresh.
//
// Encodings follow Redis 7.2 (t_set.c), and OBJECT ENCODING reports them:
//
//   - "intset": every member is an integer in canonical form (Redis's
//     string2ll) and there are at most Limits.Intset of them. The members
//     are a sorted []int64.
//   - "listpack": at most Limits.Entries members, none longer than
//     Limits.Value bytes.
//
// The limits are those a write is given (the settings when its command
// began); a set converts when a write passes them, never when they change.
//   - "hashtable": anything else.
//
// A set only ever moves down that list (intset -> listpack -> hashtable,
// or straight to hashtable), as Redis converts, except when a command
// builds a new set (SPOP's "keep the rest" case, the *STORE commands),
// which starts from an intset or listpack as Redis's does.
//
// The listpack and hashtable encodings share one layout, compact and
// without pointers, so the garbage collector never scans it:
//
//   - data holds the members, each a uvarint length then its bytes;
//   - offs is the dense table: offs[i] is where member i starts in data,
//     or holeOff for a hole;
//   - idx is an open-addressing index (linear probing, backward-shift
//     deletion, never more than 3/4 full) whose words are a 32-bit hash of
//     the member (high half) and i+1 (low half); 0 is an empty slot.
//
// Offsets are 32-bit: one set holds at most 4 GiB of member bytes.
//
// Random members (SPOP, SRANDMEMBER) are drawn from offs in O(1): a
// listpack set has no holes (a removal moves the last member into the
// gap), a hashtable set has at most about as many holes as members (more
// are closed at once), so a draw that lands on a hole is retried.
//
// SSCAN follows the scheme of the store's hashes: an intset or listpack set is returned
// whole with cursor 0, as Redis does; a hashtable set never moves a member
// while holes are left and filled, and a cursor is the next position to
// look at with the set's generation in its high 32 bits; closing holes
// moves members and starts a new generation, and a cursor of an older one
// restarts at position 0 (members may come twice, none present for the
// whole scan is missed).
type Set struct {
	enc  setEnc
	ints []int64 // intset encoding: the members, ascending

	data    []byte   // members, uvarint length + bytes each
	offs    []uint32 // dense table of member offsets in data; holeOff for a hole
	idx     []uint64 // hash (high 32 bits) | dense index + 1 (low 32); 0 empty
	free    []uint32 // holes in offs (hashtable only)
	live    int      // members in data/offs
	garbage int      // bytes of removed members still in data
	gen     uint32   // SSCAN cursor generation
}

type setEnc uint8

const (
	setIntset setEnc = iota
	setListpack
	setHashtable
)

// Limits are the small encodings' bounds, Redis's set-max-intset-entries,
// set-max-listpack-entries and set-max-listpack-value.
type Limits struct {
	Intset  int // most members of an intset set
	Entries int // most members of a listpack set
	Value   int // longest member of a listpack set, bytes
}

// DefaultLimits are Redis 7.2's defaults.
var DefaultLimits = Limits{Intset: 512, Entries: 128, Value: 64}

// maxIntset is lim.Intset capped at 2^30, as Redis's intsetMaxEntries.
func (lim Limits) maxIntset() int { return min(lim.Intset, 1<<30) }

const holeOff = math.MaxUint32

// NewFor returns an empty set in the encoding Redis's setTypeCreate
// picks for a first member and a hint of how many members will be added.
func NewFor(first []byte, hint int, lim Limits) Set {
	if _, ok := rdb.CanonicalInt(first); ok && hint <= lim.maxIntset() {
		return Set{enc: setIntset}
	}
	if hint <= lim.Entries {
		return Set{enc: setListpack}
	}
	s := Set{enc: setHashtable}
	s.growIndex(hint)
	return s
}

// setOverhead is the Set struct itself.
const setOverhead = int64(unsafe.Sizeof(Set{}))

// Bytes estimates the heap the set holds: the struct and its slices by
// capacity (O(1), from capacities only).
func (s *Set) Bytes() int64 {
	return setOverhead + 8*int64(cap(s.ints)) + int64(cap(s.data)) + 4*int64(cap(s.offs)) +
		8*int64(cap(s.idx)) + 4*int64(cap(s.free))
}

// Len is the number of members.
func (s *Set) Len() int {
	if s.enc == setIntset {
		return len(s.ints)
	}
	return s.live
}

// Encoding is OBJECT ENCODING's answer.
func (s *Set) Encoding() string {
	switch s.enc {
	case setIntset:
		return "intset"
	case setListpack:
		return "listpack"
	}
	return "hashtable"
}

// memberHash is the 32-bit hash kept in idx for m.
func memberHash(m []byte) uint32 {
	h := xxhash.Sum64(m)
	return uint32(h ^ h>>32)
}

// member returns dense entry i, which must not be a hole. The slice
// aliases data: valid until the set changes.
func (s *Set) member(i int) []byte {
	off := s.offs[i]
	n, w := binary.Uvarint(s.data[off:])
	start := int(off) + w
	return s.data[start : start+int(n) : start+int(n)]
}

// find returns m's slot in idx and its dense index.
func (s *Set) find(m []byte, h uint32) (slot int, i int, ok bool) {
	if len(s.idx) == 0 {
		return 0, 0, false
	}
	mask := len(s.idx) - 1
	for p := int(h) & mask; ; p = (p + 1) & mask {
		e := s.idx[p]
		if e == 0 {
			return p, 0, false
		}
		if uint32(e>>32) == h {
			j := int(uint32(e)) - 1
			if string(s.member(j)) == string(m) {
				return p, j, true
			}
		}
	}
}

// growIndex makes idx big enough for n members at most 3/4 full,
// rebuilding it from offs.
func (s *Set) growIndex(n int) {
	size := 8
	for size*3 < n*4 {
		size *= 2
	}
	if size == len(s.idx) {
		return
	}
	s.idx = make([]uint64, size)
	mask := size - 1
	for i, off := range s.offs {
		if off == holeOff {
			continue
		}
		h := memberHash(s.member(i))
		p := int(h) & mask
		for s.idx[p] != 0 {
			p = (p + 1) & mask
		}
		s.idx[p] = uint64(h)<<32 | uint64(i+1)
	}
}

// idxDelete empties idx slot p and shifts the probe chain behind it back.
func (s *Set) idxDelete(p int) {
	mask := len(s.idx) - 1
	i := p
	s.idx[i] = 0
	for j := (i + 1) & mask; s.idx[j] != 0; j = (j + 1) & mask {
		e := s.idx[j]
		home := int(uint32(e>>32)) & mask
		// e stays when its home lies cyclically in (i, j].
		if (i <= j && i < home && home <= j) || (i > j && (i < home || home <= j)) {
			continue
		}
		s.idx[i] = e
		s.idx[j] = 0
		i = j
	}
}

// Has reports whether m is a member.
func (s *Set) Has(m []byte) bool {
	if s.enc == setIntset {
		v, ok := rdb.CanonicalInt(m)
		if !ok {
			return false
		}
		_, found := slices.BinarySearch(s.ints, v)
		return found
	}
	_, _, ok := s.find(m, memberHash(m))
	return ok
}

// Add adds m, converting the encoding as Redis's setTypeAddAux does when
// the set passes lim; it reports whether m is new.
func (s *Set) Add(m []byte, lim Limits) bool {
	if s.enc == setIntset {
		if v, ok := rdb.CanonicalInt(m); ok {
			i, found := slices.BinarySearch(s.ints, v)
			if found {
				return false
			}
			s.ints = slices.Insert(s.ints, i, v)
			if len(s.ints) > lim.maxIntset() {
				s.convert(setHashtable)
			}
			return true
		}
		if len(s.ints) < lim.Entries && len(m) <= lim.Value && s.longestInt() <= lim.Value {
			s.convert(setListpack)
		} else {
			s.convert(setHashtable)
		}
		s.insert(m, memberHash(m))
		return true
	}
	h := memberHash(m)
	if _, _, ok := s.find(m, h); ok {
		return false
	}
	if s.enc == setListpack && (s.live >= lim.Entries || len(m) > lim.Value) {
		s.convert(setHashtable)
	}
	s.insert(m, h)
	return true
}

// longestInt is the length of the longest member of an intset as a
// string: its least or its greatest.
func (s *Set) longestInt() int {
	if len(s.ints) == 0 {
		return 0
	}
	return max(len(strconv.FormatInt(s.ints[0], 10)), len(strconv.FormatInt(s.ints[len(s.ints)-1], 10)))
}

// insert adds m (not a member, hash h) to the string layout.
func (s *Set) insert(m []byte, h uint32) {
	if (s.live+1)*4 > len(s.idx)*3 {
		s.growIndex(s.live + 1)
	}
	off := uint32(len(s.data))
	s.data = binary.AppendUvarint(s.data, uint64(len(m)))
	s.data = append(s.data, m...)
	var i int
	if n := len(s.free); n > 0 {
		i = int(s.free[n-1])
		s.free = s.free[:n-1]
		s.offs[i] = off
	} else {
		i = len(s.offs)
		s.offs = append(s.offs, off)
	}
	mask := len(s.idx) - 1
	p := int(h) & mask
	for s.idx[p] != 0 {
		p = (p + 1) & mask
	}
	s.idx[p] = uint64(h)<<32 | uint64(i+1)
	s.live++
}

// Remove removes m; it reports whether m was a member.
func (s *Set) Remove(m []byte) bool {
	if s.enc == setIntset {
		v, ok := rdb.CanonicalInt(m)
		if !ok {
			return false
		}
		i, found := slices.BinarySearch(s.ints, v)
		if !found {
			return false
		}
		s.ints = slices.Delete(s.ints, i, i+1)
		return true
	}
	p, i, ok := s.find(m, memberHash(m))
	if !ok {
		return false
	}
	s.removeAt(p, i)
	return true
}

// removeAt removes dense entry i, whose idx slot is p.
func (s *Set) removeAt(p, i int) {
	n, w := binary.Uvarint(s.data[s.offs[i]:])
	s.garbage += w + int(n)
	s.idxDelete(p)
	s.live--
	last := len(s.offs) - 1
	switch {
	case s.enc != setHashtable:
		// No holes: the last member fills the gap.
		if i != last {
			lm := s.member(last)
			lh := memberHash(lm)
			mask := len(s.idx) - 1
			q := int(lh) & mask
			for uint32(s.idx[q]) != uint32(last+1) {
				q = (q + 1) & mask
			}
			s.idx[q] = uint64(lh)<<32 | uint64(i+1)
			s.offs[i] = s.offs[last]
		}
		s.offs = s.offs[:last]
	default:
		s.offs[i] = holeOff
		s.free = append(s.free, uint32(i))
		if len(s.free) > 32 && len(s.free) > s.live {
			s.closeHoles()
		}
	}
	if s.live == 0 {
		s.data, s.offs, s.idx, s.free, s.garbage = nil, nil, nil, nil, 0
		return
	}
	if s.garbage > 1024 && s.garbage*2 > len(s.data) {
		s.compactData()
	}
}

// compactData rewrites data without removed members (positions in offs
// stay, so cursors are unaffected).
func (s *Set) compactData() {
	nd := make([]byte, 0, len(s.data)-s.garbage)
	for i, off := range s.offs {
		if off == holeOff {
			continue
		}
		m := s.member(i)
		s.offs[i] = uint32(len(nd))
		nd = binary.AppendUvarint(nd, uint64(len(m)))
		nd = append(nd, m...)
	}
	s.data = nd
	s.garbage = 0
}

// closeHoles packs the dense table, rebuilds the index (shrinking it when
// the set shrank) and starts a new cursor generation.
func (s *Set) closeHoles() {
	j := 0
	for _, off := range s.offs {
		if off != holeOff {
			s.offs[j] = off
			j++
		}
	}
	s.offs = slices.Clip(s.offs[:j])
	if cap(s.offs) > 2*j+8 {
		s.offs = slices.Clone(s.offs)
	}
	s.free = nil
	s.gen++
	s.idx = nil
	s.growIndex(s.live)
	s.compactData()
}

// convert changes the encoding to enc (listpack or hashtable).
func (s *Set) convert(enc setEnc) {
	if s.enc == setIntset {
		ints := s.ints
		s.ints = nil
		s.enc = enc
		s.growIndex(len(ints) + 1)
		var buf [20]byte
		for _, v := range ints {
			m := strconv.AppendInt(buf[:0], v, 10)
			s.insert(m, memberHash(m))
		}
		return
	}
	s.enc = enc
}

// randomIndex returns a random member's dense index (the set must not be
// empty and must not be an intset).
func (s *Set) randomIndex() int {
	for {
		i := rand.IntN(len(s.offs))
		if s.offs[i] != holeOff {
			return i
		}
	}
}

// Each calls fn for every member until fn returns false. The slice is
// valid during fn only; fn must not change the set.
func (s *Set) Each(fn func(m []byte) bool) {
	if s.enc == setIntset {
		var buf [20]byte
		for _, v := range s.ints {
			if !fn(strconv.AppendInt(buf[:0], v, 10)) {
				return
			}
		}
		return
	}
	for i, off := range s.offs {
		if off != holeOff && !fn(s.member(i)) {
			return
		}
	}
}

// Scan implements SSCAN (see the type's doc for the cursor scheme).
func (s *Set) Scan(cursor uint64, count int, fn func(m []byte)) uint64 {
	if s.enc != setHashtable {
		s.Each(func(m []byte) bool { fn(m); return true })
		return 0
	}
	if count <= 0 {
		count = 10
	}
	i := int(uint32(cursor))
	if uint32(cursor>>32) != s.gen {
		i = 0
	}
	for seen, sent := 0, 0; i < len(s.offs) && sent < count && seen < count*10; i++ {
		seen++
		if s.offs[i] != holeOff {
			fn(s.member(i))
			sent++
		}
	}
	if i >= len(s.offs) {
		return 0
	}
	return uint64(s.gen)<<32 | uint64(i)
}

// Clone returns a deep copy with the holes closed.
func (s *Set) Clone() Set {
	c := Set{enc: s.enc, gen: s.gen}
	if s.enc == setIntset {
		c.ints = slices.Clone(s.ints)
		return c
	}
	c.data = make([]byte, 0, len(s.data)-s.garbage)
	c.offs = make([]uint32, 0, s.live)
	s.Each(func(m []byte) bool {
		c.offs = append(c.offs, uint32(len(c.data)))
		c.data = binary.AppendUvarint(c.data, uint64(len(m)))
		c.data = append(c.data, m...)
		return true
	})
	c.live = len(c.offs)
	c.growIndex(c.live)
	return c
}

// Fresh returns an empty set that a command building a new set starts
// from: an intset (SUNIONSTORE, SDIFFSTORE, SINTERSTORE, SPOP from an
// intset), else a listpack. Adding members then converts as Redis does.
func Fresh(intset bool) Set {
	if intset {
		return Set{enc: setIntset}
	}
	return Set{enc: setListpack}
}
