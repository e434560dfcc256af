package zset

import (
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"unsafe"
)

// The big form of a sorted set (Set) is Redis's: a skiplist with spans,
// ordered by (score, member bytes), beside a chained hash table from member
// to node. Unlike Redis's, it holds no pointer the garbage collector must
// follow: each big set keeps three pointer-free slices (arenas), so a set
// of millions of members is three objects the collector never scans.
//
//   - words: the nodes, addressed by the uint32 index of their score word;
//     index 0 is nil (words[0] is unused) and index headNode is the list's
//     head, a node of zslMaxLevel levels holding no element. A node x of
//     height h is the 4+h words from x-h: its levels below x, so that the
//     walk's reads (a node's score, then its level word) mostly hit one
//     cache line, then four fixed words from x:
//
//     x-1-i, i < h: level i's successor (low 32; 0 at the end) |
//     its span (high 32)
//     x+wScore  math.Float64bits(score)
//     x+wMember member offset in members (low 32 bits) | its length (high 32)
//     x+wLinks  level-0 predecessor (low 32; 0 for the first node) |
//     next node of the same hash chain (high 32; 0 at the chain's end)
//     x+wHash   the low 32 bits of the member's xxhash (low 32) | h (high 32)
//
//   - members: the members' bytes, append-only: bytes below len(members)
//     are never written again, so a member string made by unsafe.String
//     (handed to a callback, an effect or a reply) stays valid whatever
//     the set does next. When the arena grows (append) or the set is
//     compacted, a new array is allocated and the bytes copied; strings
//     made earlier point into the old array, which the collector keeps
//     alive while any of them is referenced, and which is never written.
//
//   - buckets: the hash table, uint32 heads of chains that run through the
//     nodes' link words (chaining, not open addressing, so ZSCAN's reverse
//     binary cursor guarantee holds across resizes).
//
// A removed node goes to the free list of its height (linked through its
// predecessor half-word) and is reused by the next insert of that height;
// its member bytes stay in members as garbage. When more than half of
// either arena is free or garbage at the end of a removal, compact rebuilds
// the set in list order into fresh arenas, keeping the bucket count so
// ZSCAN cursors stay good.
//
// Invariants (checkSkiplist in the tests checks them all):
//   - level 0 links every live node in ascending (score, member) order;
//     the predecessor word is the level-0 predecessor; tail is the last;
//   - at level i, a node's span is the number of level-0 steps to its
//     level-i successor (to the end of the list when it has none), so the
//     sum of spans along any search path is a rank;
//   - every live node is in exactly one hash chain, the one its hash
//     selects, and the chains hold nothing else;
//   - the nodes after the head tile words exactly: each is live or on the
//     free list of its height, never both; freeWords counts the free ones'
//     words and garbage the members bytes of removed nodes.
//
// Indexes and offsets are 32-bit: one big set holds at most 4 GiB of member
// bytes and 2^32 words of nodes (hundreds of millions of members).

// zslMaxLevel bounds a node's height (Redis's ZSKIPLIST_MAXLEVEL).
const zslMaxLevel = 32

// Word offsets within a node, and the fixed nodes.
const (
	wScore  = 0
	wMember = 1
	wLinks  = 2
	wHash   = 3
	wFixed  = 4 // the fixed words from x on

	headNode  = 1 + zslMaxLevel              // the head's index (its score word)
	headWords = headNode + wFixed            // words[0] and the head
	lo32      = uint64(math.MaxUint32)       // mask of a word's low half
	maxIndex  = uint64(math.MaxUint32) - 128 // no node or member may end past this
)

// big is the big form: the arenas and the list's bookkeeping.
type big struct {
	words   []uint64 // nodes; see the layout above
	members []byte   // member bytes, append-only
	buckets []uint32 // hash chain heads; len is 0 or a power of two

	length int    // live nodes
	level  int    // height of the tallest live node (at least 1)
	tail   uint32 // last live node, 0 when empty

	free      [zslMaxLevel]uint32 // free[h-1]: first free node of height h
	freeWords int                 // words of free nodes
	garbage   int                 // member bytes of removed nodes
}

// bigOverhead is the struct's own size.
const bigOverhead = int64(unsafe.Sizeof(big{}))

func newBig() *big {
	b := &big{level: 1, words: make([]uint64, headWords)}
	b.words[headNode+wHash] = uint64(zslMaxLevel) << 32
	return b
}

func pack(lo, hi uint32) uint64 { return uint64(lo) | uint64(hi)<<32 }

func (b *big) score(x uint32) float64 { return math.Float64frombits(b.words[x+wScore]) }

// member returns x's member; it aliases members (see the invariant).
func (b *big) member(x uint32) string {
	w := b.words[x+wMember]
	n := uint32(w >> 32)
	if n == 0 {
		return ""
	}
	return unsafe.String(&b.members[uint32(w)], n)
}

func (b *big) memberLen(x uint32) int { return int(b.words[x+wMember] >> 32) }
func (b *big) prev(x uint32) uint32   { return uint32(b.words[x+wLinks]) }
func (b *big) hnext(x uint32) uint32  { return uint32(b.words[x+wLinks] >> 32) }
func (b *big) hash(x uint32) uint32   { return uint32(b.words[x+wHash]) }
func (b *big) height(x uint32) int    { return int(b.words[x+wHash] >> 32) }

func (b *big) setPrev(x, p uint32) {
	w := &b.words[x+wLinks]
	*w = *w&^lo32 | uint64(p)
}

func (b *big) setHnext(x, n uint32) {
	w := &b.words[x+wLinks]
	*w = *w&lo32 | uint64(n)<<32
}

// lvl is the index in words of level i of node x.
func lvl(x uint32, i int) int { return int(x) - 1 - i }

// next and span are level i of x.
func (b *big) next(x uint32, i int) uint32 { return uint32(b.words[lvl(x, i)]) }
func (b *big) span(x uint32, i int) uint32 { return uint32(b.words[lvl(x, i)] >> 32) }

// first is the first live node (0 when empty).
func (b *big) first() uint32 { return b.next(headNode, 0) }

// randomLevel returns a height with Redis's distribution: each extra
// level with probability 1/4.
func randomLevel() int {
	h := 1 + bits.TrailingZeros64(rand.Uint64()|1<<62)/2
	return min(h, zslMaxLevel)
}

// newNode stores member (hash h) and score in a node of random height,
// reused from the free lists when one of that height is free, and returns
// it, linked nowhere.
func (b *big) newNode(member []byte, score float64, h uint32) uint32 {
	height := randomLevel()
	size := wFixed + height
	x := b.free[height-1]
	if x != 0 {
		b.free[height-1] = b.prev(x)
		b.freeWords -= size
	} else {
		if uint64(len(b.words)+size) > maxIndex {
			panic(fmt.Sprintf("zset: a sorted set's node arena passed %d words", maxIndex))
		}
		x = uint32(len(b.words) + height)
		b.words = append(b.words, make([]uint64, size)...)
	}
	off := len(b.members)
	if uint64(off+len(member)) > maxIndex {
		panic(fmt.Sprintf("zset: a sorted set's members passed %d bytes", maxIndex))
	}
	b.members = append(b.members, member...)
	w := b.words[x : int(x)+wFixed]
	w[wScore] = math.Float64bits(score)
	w[wMember] = pack(uint32(off), uint32(len(member)))
	w[wLinks] = 0
	w[wHash] = pack(h, uint32(height))
	return x
}

// freeNode puts x, unlinked from the list and the table, on its free list.
func (b *big) freeNode(x uint32) {
	h := b.height(x)
	b.words[x+wLinks] = uint64(b.free[h-1])
	b.free[h-1] = x
	b.freeWords += wFixed + h
	b.garbage += b.memberLen(x)
}

// wasteful reports whether more than half of an arena is free or garbage.
func (b *big) wasteful() bool {
	return b.freeWords > (len(b.words)-headWords)/2 || b.garbage > len(b.members)/2
}

// compact rebuilds the set in list order into fresh arenas sized to the
// live nodes and members, with no free node and no garbage. The bucket
// count stays, so a ZSCAN cursor keeps its meaning. Member strings handed
// out earlier keep pointing into the old arena, which is not written.
func (b *big) compact() {
	words := make([]uint64, len(b.words)-b.freeWords)
	members := make([]byte, 0, len(b.members)-b.garbage)
	buckets := make([]uint32, len(b.buckets))
	mask := uint32(len(buckets) - 1)
	words[headNode+wHash] = uint64(zslMaxLevel) << 32
	var last [zslMaxLevel]uint32 // the new node last seen at each level
	var lastPos [zslMaxLevel]uint32
	for i := range last {
		last[i] = headNode
	}
	at, pos, prev := uint32(headWords), uint32(0), uint32(0) // at: where the next node starts
	for x := b.first(); x != 0; x = b.next(x, 0) {
		pos++
		h := b.height(x)
		at += uint32(h) // the new node's index: its levels come first
		m := b.member(x)
		hash := b.hash(x)
		words[at+wScore] = b.words[x+wScore]
		words[at+wMember] = pack(uint32(len(members)), uint32(len(m)))
		members = append(members, m...)
		words[at+wLinks] = pack(prev, buckets[hash&mask])
		buckets[hash&mask] = at
		words[at+wHash] = b.words[x+wHash]
		for i := 0; i < h; i++ {
			words[lvl(last[i], i)] = pack(at, pos-lastPos[i])
			last[i], lastPos[i] = at, pos
		}
		prev = at
		at += wFixed
	}
	for i := 0; i < zslMaxLevel; i++ {
		words[lvl(last[i], i)] = pack(0, pos-lastPos[i])
	}
	b.words, b.members, b.buckets = words, members, buckets
	b.tail = prev
	b.free = [zslMaxLevel]uint32{}
	b.freeWords, b.garbage = 0, 0
}

// clone copies the arenas.
func (b *big) clone() *big {
	c := *b
	c.words = append([]uint64(nil), b.words...)
	c.members = append([]byte(nil), b.members...)
	c.buckets = append([]uint32(nil), b.buckets...)
	return &c
}

// bytes is the heap the big form holds: its struct and arenas' capacities.
func (b *big) bytes() int64 {
	return bigOverhead + 8*int64(cap(b.words)) + int64(cap(b.members)) + 4*int64(cap(b.buckets))
}
