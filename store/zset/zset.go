// Package zset is the data structure of a Redis sorted set: a sorted
// slice while small (Redis's listpack), else a skiplist with spans beside a
// chained member hash (Redis's skiplist encoding), with the conversions
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
//   - big ("skiplist"): the skiplist with spans and the member hash table of
//     skiplist.go.
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
	small []zentry // the small form, sorted; unused when zsl != nil
	zsl   *skiplist
	dict  zdict
	data  int64 // bytes of members, plus nodes in the big form
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

// zsetOverhead is the struct, its header node when big aside.
const zsetOverhead = int64(unsafe.Sizeof(Set{}))

// Len is the number of members.
func (z *Set) Len() int {
	if z.zsl != nil {
		return z.zsl.length
	}
	return len(z.small)
}

// Encoding is OBJECT ENCODING's answer.
func (z *Set) Encoding() string {
	if z.zsl != nil {
		return "skiplist"
	}
	return "listpack"
}

// Bytes estimates the heap the set holds (kept incrementally in data).
func (z *Set) Bytes() int64 {
	if z.zsl != nil {
		return zsetOverhead + nodeBytes(zslMaxLevel) + int64(unsafe.Sizeof(skiplist{})) +
			8*int64(len(z.dict.buckets)) + z.data
	}
	return zsetOverhead + int64(cap(z.small))*int64(unsafe.Sizeof(zentry{})) + z.data
}

// Convert turns the small form into the big one.
func (z *Set) Convert() {
	if z.zsl != nil {
		return
	}
	small := z.small
	z.small, z.zsl, z.data = nil, newSkiplist(), 0
	for _, e := range small {
		z.insertBig(e.member, e.score)
	}
}

// insertBig adds a new member to the big form.
func (z *Set) insertBig(member string, score float64) {
	n := newZNode(randomLevel())
	n.member, n.score, n.hash = member, score, zhash(member)
	z.zsl.insertNode(n)
	z.dict.add(n)
	z.data += nodeBytes(n.height()) + allocSize(len(member))
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

// Score returns member's score.
func (z *Set) Score(member []byte) (float64, bool) {
	if z.zsl != nil {
		if n := z.dict.find(string(member), xxhashBytes(member)); n != nil {
			return n.score, true
		}
		return 0, false
	}
	if i := z.smallFind(member); i >= 0 {
		return z.small[i].score, true
	}
	return 0, false
}

// xxhashBytes is zhash of a byte slice.
func xxhashBytes(b []byte) uint64 { return zhash(unsafe.String(unsafe.SliceData(b), len(b))) }

// Put gives member the score, adding it if new (converting to the big
// form first when lim would break); it reports whether the member is new.
func (z *Set) Put(member []byte, score float64, lim Limits) bool {
	if z.zsl == nil && score == 0 {
		score = 0 // a listpack stores -0 as the integer 0, so Redis's small form loses the sign
	}
	if z.zsl != nil {
		if n := z.dict.find(string(member), xxhashBytes(member)); n != nil {
			if n.score != score {
				z.zsl.updateScore(n, score)
			}
			return false
		}
		z.insertBig(string(member), score)
		return true
	}
	if i := z.smallFind(member); i >= 0 {
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
		z.insertBig(string(member), score)
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
	if z.zsl != nil {
		n := z.dict.find(string(member), xxhashBytes(member))
		if n == nil {
			return false
		}
		z.delNode(n)
		return true
	}
	i := z.smallFind(member)
	if i < 0 {
		return false
	}
	z.delSmall(i)
	return true
}

// delNode removes n from the big form.
func (z *Set) delNode(n *znode) {
	z.zsl.unlink(n)
	z.dict.remove(n)
	z.data -= nodeBytes(n.height()) + allocSize(len(n.member))
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
	if z.zsl != nil {
		n := z.dict.find(string(member), xxhashBytes(member))
		if n == nil {
			return 0, 0, false
		}
		return z.zsl.rank(n), n.score, true
	}
	if i := z.smallFind(member); i >= 0 {
		return i, z.small[i].score, true
	}
	return 0, 0, false
}

// LowerBound returns how many elements satisfy before, which must hold for
// a prefix of the order.
func (z *Set) LowerBound(before func(score float64, member string) bool) int {
	if z.zsl != nil {
		return z.zsl.lowerBound(before)
	}
	return sort.Search(len(z.small), func(i int) bool { return !before(z.small[i].score, z.small[i].member) })
}

// Iter calls fn for the elements from rank from on, ascending (or
// descending when rev), until fn returns false or the set ends.
func (z *Set) Iter(from int, rev bool, fn func(member string, score float64) bool) {
	if from < 0 || from >= z.Len() {
		return
	}
	if z.zsl != nil {
		for n := z.zsl.byRank(from); n != nil; {
			if !fn(n.member, n.score) {
				return
			}
			if rev {
				n = n.prev
			} else {
				n = n.lev[0].next
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

// Clone returns a deep copy in the same form.
func (z *Set) Clone() *Set {
	c := &Set{}
	if z.zsl != nil {
		c.zsl = newSkiplist()
	}
	z.Each(func(m string, s float64) bool {
		if c.zsl != nil {
			c.insertBig(m, s)
		} else {
			c.small = append(c.small, zentry{member: m, score: s})
			c.data += allocSize(len(m))
		}
		return true
	})
	return c
}

// Pop removes the member with the lowest score (the highest when max) and
// returns it; the set must not be empty.
func (z *Set) Pop(max bool) (member string, score float64) {
	if z.zsl != nil {
		x := z.zsl.head.lev[0].next
		if max {
			x = z.zsl.tail
		}
		z.delNode(x)
		return x.member, x.score
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
	if z.zsl != nil {
		for x := z.zsl.byRank(lo); x != nil && n < hi-lo; n++ {
			next := x.lev[0].next
			z.delNode(x)
			fn(x.member)
			x = next
		}
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
	if z.zsl == nil {
		for _, e := range z.small {
			fn(e.member, e.score)
		}
		return 0
	}
	if count <= 0 {
		count = 10
	}
	return z.dict.scan(cursor, count, func(n *znode) { fn(n.member, n.score) })
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
