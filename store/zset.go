package store

import (
	"bytes"
	"math"
	"sort"
	"strconv"
	"unsafe"
)

// A sorted set is a zsetObj, one of the store's collections (object.go).
//
// It has two forms, as Redis's two encodings:
//
//   - small ("listpack"): a slice of entries sorted by (score, member),
//     used while the set has at most zsetSmall members of at most
//     zsetSmallValue bytes each. Lookups scan it, as Redis scans its
//     listpack.
//   - big ("skiplist"): the skiplist with spans and the member hash table of
//     zset_skiplist.go.
//
// A set becomes big when an insert would break the small limits, or when
// ZADD is given more pairs than zsetSmall (Redis's zsetTypeMaybeConvert),
// and stays big (Redis converts back only when a STORE command builds a
// new set: ZStore picks the form from the final contents).
//
// Ranks are 0-based positions in ascending (score, member) order. Scores
// are never NaN.
type zsetObj struct {
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

const (
	zsetSmall      = 128 // zset-max-listpack-entries
	zsetSmallValue = 64  // zset-max-listpack-value
)

// zsetOverhead is the struct, its header node when big aside.
const zsetOverhead = int64(unsafe.Sizeof(zsetObj{}))

func newZSet() *zsetObj { return &zsetObj{} }

func (z *zsetObj) typ() Type { return TypeZSet }

func (z *zsetObj) length() int {
	if z.zsl != nil {
		return z.zsl.length
	}
	return len(z.small)
}

func (z *zsetObj) encoding() string {
	if z.zsl != nil {
		return "skiplist"
	}
	return "listpack"
}

// bytes estimates the heap the set holds (kept incrementally in data).
func (z *zsetObj) bytes() int64 {
	if z.zsl != nil {
		return zsetOverhead + nodeBytes(zslMaxLevel) + int64(unsafe.Sizeof(skiplist{})) +
			8*int64(len(z.dict.buckets)) + z.data
	}
	return zsetOverhead + int64(cap(z.small))*int64(unsafe.Sizeof(zentry{})) + z.data
}

// convert turns the small form into the big one.
func (z *zsetObj) convert() {
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
func (z *zsetObj) insertBig(member string, score float64) {
	n := newZNode(randomLevel())
	n.member, n.score, n.hash = member, score, zhash(member)
	z.zsl.insertNode(n)
	z.dict.add(n)
	z.data += nodeBytes(n.height()) + allocSize(len(member))
}

// smallFind returns member's index in the small form, or -1.
func (z *zsetObj) smallFind(member []byte) int {
	for i := range z.small {
		if z.small[i].member == string(member) {
			return i
		}
	}
	return -1
}

// smallSearch returns the index where (score, member) goes in the small form.
func (z *zsetObj) smallSearch(score float64, member string) int {
	return sort.Search(len(z.small), func(i int) bool {
		e := &z.small[i]
		return !(e.score < score || (e.score == score && e.member < member))
	})
}

// score returns member's score.
func (z *zsetObj) score(member []byte) (float64, bool) {
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

// set gives member the score, adding it if new (converting to the big
// form first when the small limits would break); it reports whether the
// member is new.
func (z *zsetObj) set(member []byte, score float64) bool {
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
	if len(z.small)+1 > zsetSmall || len(member) > zsetSmallValue {
		z.convert()
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

// del removes member; it reports whether it was there.
func (z *zsetObj) del(member []byte) bool {
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
func (z *zsetObj) delNode(n *znode) {
	z.zsl.unlink(n)
	z.dict.remove(n)
	z.data -= nodeBytes(n.height()) + allocSize(len(n.member))
}

// delSmall removes entry i of the small form, giving memory back when the
// slice is mostly empty.
func (z *zsetObj) delSmall(i int) {
	z.data -= allocSize(len(z.small[i].member))
	copy(z.small[i:], z.small[i+1:])
	z.small[len(z.small)-1] = zentry{}
	z.small = z.small[:len(z.small)-1]
	if cap(z.small) > 16 && len(z.small) < cap(z.small)/4 {
		z.small = append([]zentry(nil), z.small...)
	}
}

// rank returns member's rank and score.
func (z *zsetObj) rank(member []byte) (int, float64, bool) {
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

// lowerBound returns how many elements satisfy before, which must hold for
// a prefix of the order.
func (z *zsetObj) lowerBound(before func(score float64, member string) bool) int {
	if z.zsl != nil {
		return z.zsl.lowerBound(before)
	}
	return sort.Search(len(z.small), func(i int) bool { return !before(z.small[i].score, z.small[i].member) })
}

// iter calls fn for the elements from rank from on, ascending (or
// descending when rev), until fn returns false or the set ends.
func (z *zsetObj) iter(from int, rev bool, fn func(member string, score float64) bool) {
	if from < 0 || from >= z.length() {
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

// each calls fn for every element in ascending order until fn returns false.
func (z *zsetObj) each(fn func(member string, score float64) bool) { z.iter(0, false, fn) }

// clone returns a deep copy in the same form.
func (z *zsetObj) clone() object {
	c := newZSet()
	if z.zsl != nil {
		c.zsl = newSkiplist()
	}
	z.each(func(m string, s float64) bool {
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

// rebuild emits one ZADD per member.
func (z *zsetObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	var buf [32]byte
	z.each(func(m string, s float64) bool {
		more = fn(Effect{Kind: EffectZAdd, Slot: slot, Key: key, Field: bytesOf(m), Value: AppendScore(buf[:0], s)})
		return more
	})
	return more
}

// AppendScore appends the effect text of a score: the shortest decimal
// that parses back to it exactly, "inf" or "-inf".
func AppendScore(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

// parseEffectScore parses AppendScore's text.
func parseEffectScore(b []byte) (float64, bool) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// compareLex orders a member against a lexical bound value.
func compareLex(member string, b []byte) int {
	return bytes.Compare(unsafe.Slice(unsafe.StringData(member), len(member)), b)
}
