// Package zset is the data structure of a Redis sorted set: a sorted
// slice while small (Redis's listpack), else a skiplist with spans beside a
// chained member hash (Redis's skiplist encoding) kept in pointer-free
// arenas (arena.go), with the conversions
// OBJECT ENCODING reports. It is pure: no locks, no effects, no memory
// accounting beyond Bytes, which the store's Tx layer (store/zset_tx.go)
// reads before and after each write.
package zset

import (
	"bytes"
	"sort"
	"unsafe"
)

// A Set is one Redis sorted set; the zero value is an empty small one.
//
// It has two forms, as Redis's two encodings:
//
//   - small ("listpack"): a slice of entries sorted by (score, member),
//     used while the set has at most Limits.Entries members of at
//     most Limits.Value bytes each. Lookups scan it, as Redis scans its
//     listpack.
//   - big ("skiplist"): the skiplist with spans and the member hash table,
//     in per-set pointer-free arenas (arena.go, skiplist.go, dict.go).
//
// A set becomes big when an insert would break the small limits, or when
// ZADD is given more pairs than Limits.Entries (Redis's
// zsetTypeMaybeConvert; the caller asks Limits.Small and calls Convert),
// and stays big (Redis
// converts back only when a STORE command builds a new set, whose caller
// picks the form from the final contents).
//
// Ranks are 0-based positions in ascending (score, member) order. Scores
// are never NaN.
type Set struct {
	small []zentry // the small form, sorted; unused when big != nil
	big   *big     // the big form (arena.go), nil while small
	data  int64    // small form: bytes of its members' strings
}

// zentry is one element of the small form.
type zentry struct {
	member string
	score  float64
}

// Limits are the small form's bounds, Redis's zset-max-listpack-entries
// and zset-max-listpack-value. They are those a write is given (the
// settings when its command began): a set converts when a write passes
// them, never when they change.
type Limits struct {
	Entries int // most members of a small set
	Value   int // longest member of a small set, bytes
}

// DefaultLimits are Redis 7.2's defaults.
var DefaultLimits = Limits{Entries: 128, Value: 64}

// Small reports whether a set of n members, the longest of them longest
// bytes, takes the small form (Redis's zsetTypeCreate).
func (lim Limits) Small(n, longest int) bool { return n <= lim.Entries && longest <= lim.Value }

// zsetOverhead is the struct's own size.
const zsetOverhead = int64(unsafe.Sizeof(Set{}))

// Len is the number of members.
func (z *Set) Len() int {
	if z.big != nil {
		return z.big.length
	}
	return len(z.small)
}

// Encoding is OBJECT ENCODING's answer.
func (z *Set) Encoding() string {
	if z.big != nil {
		return "skiplist"
	}
	return "listpack"
}

// Bytes estimates the heap the set holds: in the big form, the capacities
// of its arenas (free nodes and garbage members included, as they are
// held); in the small form, the slice and the members' strings (kept
// incrementally in data).
func (z *Set) Bytes() int64 {
	if z.big != nil {
		return zsetOverhead + z.big.bytes()
	}
	return zsetOverhead + int64(cap(z.small))*int64(unsafe.Sizeof(zentry{})) + z.data
}

// allocSize approximates Go's size classes for an allocation of n bytes.
func allocSize(n int) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n <= 32:
		return int64(n+7) &^ 7
	case n <= 48:
		return 48
	case n <= 256:
		return int64(n+15) &^ 15
	case n <= 512:
		return int64(n+31) &^ 31
	case n <= 1024:
		return int64(n+63) &^ 63
	}
	return int64(n+8191) &^ 8191
}

// Convert turns the small form into the big one.
func (z *Set) Convert() {
	if z.big != nil {
		return
	}
	small := z.small
	z.small, z.big, z.data = nil, newBig(), 0
	for _, e := range small {
		m := bytesOf(e.member)
		z.insertBig(m, e.score, zhash(m))
	}
}

func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// insertBig adds a new member (hash h) to the big form.
func (z *Set) insertBig(member []byte, score float64, h uint32) {
	x := z.big.newNode(member, score, h)
	z.big.insertNode(x)
	z.big.add(x)
}

// delNode removes x from the big form; the caller compacts at the end of
// its write (maybeCompact), never in the middle, as compaction renumbers
// the nodes.
func (z *Set) delNode(x uint32) {
	z.big.unlink(x)
	z.big.remove(x)
	z.big.freeNode(x)
}

// maybeCompact ends a write that removed members: it compacts the big
// form when more than half of an arena is free or garbage.
func (z *Set) maybeCompact() {
	if z.big != nil && z.big.wasteful() {
		z.big.compact()
	}
}

// smallFind returns member's index in the small form, or -1.
func (z *Set) smallFind(member []byte) int {
	for i := range z.small {
		if z.small[i].member == string(member) {
			return i
		}
	}
	return -1
}

// smallSearch returns the index where (score, member) goes in the small form.
func (z *Set) smallSearch(score float64, member string) int {
	return sort.Search(len(z.small), func(i int) bool {
		e := &z.small[i]
		return !(e.score < score || (e.score == score && e.member < member))
	})
}

// A Ref is what Lookup found: the member's place in the form the set had,
// or, for a missing member in the big form, its hash. It is good for one
// PutRef on the same set with no write in between.
type Ref struct {
	at    int    // small index or big node, valid when found
	hash  uint32 // big form: the member's hash
	big   bool   // the set was big
	found bool
}

// Lookup finds member: its score, whether it is there, and a Ref for
// PutRef, so that a read-then-write (ZADD's conditions) hashes and
// searches once.
func (z *Set) Lookup(member []byte) (Ref, float64, bool) {
	if z.big != nil {
		h := zhash(member)
		if x := z.big.find(member, h); x != 0 {
			return Ref{at: int(x), hash: h, big: true, found: true}, z.big.score(x), true
		}
		return Ref{hash: h, big: true}, 0, false
	}
	if i := z.smallFind(member); i >= 0 {
		return Ref{at: i, found: true}, z.small[i].score, true
	}
	return Ref{}, 0, false
}

// Score returns member's score.
func (z *Set) Score(member []byte) (float64, bool) {
	_, s, ok := z.Lookup(member)
	return s, ok
}

// Put gives member the score, adding it if new (converting to the big
// form first when lim would break); it reports whether the member is new.
func (z *Set) Put(member []byte, score float64, lim Limits) bool {
	r, _, _ := z.Lookup(member)
	return z.PutRef(r, member, score, lim)
}

// PutRef is Put of the member Lookup gave r for, with no write between.
func (z *Set) PutRef(r Ref, member []byte, score float64, lim Limits) bool {
	if r.big != (z.big != nil) {
		panic("zset: PutRef with a Ref of another form")
	}
	if z.big == nil && score == 0 {
		score = 0 // a listpack stores -0 as the integer 0, so Redis's small form loses the sign
	}
	if z.big != nil {
		if r.found {
			if x := uint32(r.at); z.big.score(x) != score {
				z.big.updateScore(x, score)
			}
			return false
		}
		z.insertBig(member, score, r.hash)
		return true
	}
	if r.found {
		i := r.at
		e := z.small[i]
		if e.score == score {
			return false
		}
		copy(z.small[i:], z.small[i+1:])
		z.small = z.small[:len(z.small)-1]
		j := z.smallSearch(score, e.member)
		z.small = append(z.small, zentry{})
		copy(z.small[j+1:], z.small[j:])
		z.small[j] = zentry{member: e.member, score: score}
		return false
	}
	if !lim.Small(len(z.small)+1, len(member)) {
		z.Convert()
		z.insertBig(member, score, zhash(member))
		return true
	}
	m := string(member)
	j := z.smallSearch(score, m)
	z.small = append(z.small, zentry{})
	copy(z.small[j+1:], z.small[j:])
	z.small[j] = zentry{member: m, score: score}
	z.data += allocSize(len(m))
	return true
}

// Remove removes member; it reports whether it was there.
func (z *Set) Remove(member []byte) bool {
	if z.big != nil {
		x := z.big.find(member, zhash(member))
		if x == 0 {
			return false
		}
		z.delNode(x)
		z.maybeCompact()
		return true
	}
	i := z.smallFind(member)
	if i < 0 {
		return false
	}
	z.delSmall(i)
	return true
}

// delSmall removes entry i of the small form, giving memory back when the
// slice is mostly empty.
func (z *Set) delSmall(i int) {
	z.data -= allocSize(len(z.small[i].member))
	copy(z.small[i:], z.small[i+1:])
	z.small[len(z.small)-1] = zentry{}
	z.small = z.small[:len(z.small)-1]
	if cap(z.small) > 16 && len(z.small) < cap(z.small)/4 {
		z.small = append([]zentry(nil), z.small...)
	}
}

// Rank returns member's rank and score.
func (z *Set) Rank(member []byte) (int, float64, bool) {
	if z.big != nil {
		x := z.big.find(member, zhash(member))
		if x == 0 {
			return 0, 0, false
		}
		return z.big.rank(x), z.big.score(x), true
	}
	if i := z.smallFind(member); i >= 0 {
		return i, z.small[i].score, true
	}
	return 0, 0, false
}

// LowerBound returns how many elements satisfy before, which must hold for
// a prefix of the order.
func (z *Set) LowerBound(before func(score float64, member string) bool) int {
	if z.big != nil {
		return z.big.lowerBound(before)
	}
	return sort.Search(len(z.small), func(i int) bool { return !before(z.small[i].score, z.small[i].member) })
}

// Iter calls fn for the elements from rank from on, ascending (or
// descending when rev), until fn returns false or the set ends. fn must
// not change the set; the member strings it gets stay valid after.
func (z *Set) Iter(from int, rev bool, fn func(member string, score float64) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if b := z.big; b != nil {
		for x := b.byRank(from); x != 0; {
			if !fn(b.member(x), b.score(x)) {
				return
			}
			if rev {
				x = b.prev(x)
			} else {
				x = b.next(x, 0)
			}
		}
		return
	}
	if rev {
		for i := from; i >= 0; i-- {
			if !fn(z.small[i].member, z.small[i].score) {
				return
			}
		}
		return
	}
	for i := from; i < len(z.small); i++ {
		if !fn(z.small[i].member, z.small[i].score) {
			return
		}
	}
}

// Each calls fn for every element in ascending order until fn returns false.
func (z *Set) Each(fn func(member string, score float64) bool) { z.Iter(0, false, fn) }

// Clone returns a deep copy in the same form: the big form's arenas are
// copied as they are (free nodes and garbage included).
func (z *Set) Clone() *Set {
	c := &Set{data: z.data}
	if z.big != nil {
		c.big = z.big.clone()
		return c
	}
	c.small = append([]zentry(nil), z.small...)
	return c
}

// Pop removes the member with the lowest score (the highest when max) and
// returns it; the set must not be empty.
func (z *Set) Pop(max bool) (member string, score float64) {
	if b := z.big; b != nil {
		x := b.first()
		if max {
			x = b.tail
		}
		member, score = b.member(x), b.score(x)
		z.delNode(x)
		z.maybeCompact()
		return member, score
	}
	i := 0
	if max {
		i = len(z.small) - 1
	}
	e := z.small[i]
	z.delSmall(i)
	return e.member, e.score
}

// RemoveRanks removes the members of ranks [lo, hi) (clamped to the set),
// calling fn with each, and returns how many.
func (z *Set) RemoveRanks(lo, hi int, fn func(member string)) int {
	lo, hi = max(lo, 0), min(hi, z.Len())
	n := 0
	if b := z.big; b != nil {
		for x := b.byRank(lo); x != 0 && n < hi-lo; n++ {
			next := b.next(x, 0)
			z.delNode(x)
			fn(b.member(x))
			x = next
		}
		z.maybeCompact()
		return n
	}
	for ; n < hi-lo; n++ {
		fn(z.small[lo].member)
		z.delSmall(lo)
	}
	return n
}

// Scan calls fn with members from cursor on, about count of them (10
// when count <= 0), and returns the next cursor (0 when done). A small set
// is returned whole with cursor 0, as Redis does for a listpack; a big one
// is scanned through its hash table with Redis's reverse binary cursor,
// so a member present for the whole scan is returned at least once.
func (z *Set) Scan(cursor uint64, count int, fn func(member string, score float64)) uint64 {
	b := z.big
	if b == nil {
		for _, e := range z.small {
			fn(e.member, e.score)
		}
		return 0
	}
	if count <= 0 {
		count = 10
	}
	return b.scan(cursor, count, func(x uint32) { fn(b.member(x), b.score(x)) })
}

// ScoreRange is an interval of scores; a bound is excluded when its Ex
// flag is set. Min > Max is an empty interval.
type ScoreRange struct {
	Min, Max     float64
	MinEx, MaxEx bool
}

// LexBound is one end of a lexical interval: Inf -1 is "-" (below every
// member), +1 is "+" (above every member), 0 is Value, excluded when Ex.
type LexBound struct {
	Inf   int8
	Value []byte
	Ex    bool
}

// below reports whether member comes before the span's end that b
// makes: as a lower bound (upper false), whether member is below the
// interval b starts; as an upper bound, whether member is not above the
// end b closes. LowerBound counts those members.
func (b LexBound) below(member string, upper bool) bool {
	switch b.Inf {
	case -1:
		return false
	case 1:
		return true
	}
	c := bytes.Compare(unsafe.Slice(unsafe.StringData(member), len(member)), b.Value)
	return c < 0 || (b.Ex != upper && c == 0)
}

// ScoreSpan returns the ranks [lo, hi) of the scores in r.
func (z *Set) ScoreSpan(r ScoreRange) (lo, hi int) {
	lo = z.LowerBound(func(s float64, _ string) bool { return s < r.Min || (r.MinEx && s == r.Min) })
	hi = z.LowerBound(func(s float64, _ string) bool { return s < r.Max || (!r.MaxEx && s == r.Max) })
	return lo, max(lo, hi)
}

// LexSpan returns the ranks [lo, hi) of the members between min and max
// (meaningful when all scores are equal, as in Redis).
func (z *Set) LexSpan(min, max LexBound) (lo, hi int) {
	lo = z.LowerBound(func(_ float64, m string) bool { return min.below(m, false) })
	hi = z.LowerBound(func(_ float64, m string) bool { return max.below(m, true) })
	return lo, maxInt(lo, hi)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
