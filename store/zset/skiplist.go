package zset

import (
	"math/bits"
	"math/rand/v2"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// The big form of a sorted set (Set) is Redis's: a skiplist with spans,
// ordered by (score, member bytes), beside a chained hash table from member
// to node. Both index the same nodes, and each node is one allocation that
// holds the member, the score, the hash chain link and all its skiplist
// levels (a variable-length array after the struct, see newZNode), so an
// element costs one node plus its member's bytes plus a bucket word.
//
// Invariants (checked by the tests):
//   - level 0 links every node in ascending (score, member) order; prev is
//     the level-0 predecessor (nil for the first node); tail is the last;
//   - at level i, a node's span is the number of level-0 steps to its
//     level-i successor (to the end of the list when it has none), so the
//     sum of spans along any search path is a rank;
//   - every node is in exactly one bucket chain, the one its hash selects.

// zslMaxLevel bounds a node's height (Redis's ZSKIPLIST_MAXLEVEL).
const zslMaxLevel = 32

// zlevel is one level of a node: its successor at that level and the
// distance to it.
type zlevel struct {
	next *znode
	span uint32
	h    uint32 // level 0 only: the node's height (number of levels)
}

// znode is a skiplist node. lev is really height entries long: newZNode
// allocates the struct with the extra levels right after it, and at reads
// them.
type znode struct {
	member string
	score  float64
	prev   *znode // level-0 predecessor; nil for the first node
	hnext  *znode // next node in the same hash bucket
	hash   uint64 // xxhash of member
	lev    [1]zlevel
}

// at returns level i of n; i must be below n's height.
func (n *znode) at(i int) *zlevel {
	return (*zlevel)(unsafe.Add(unsafe.Pointer(&n.lev[0]), uintptr(i)*unsafe.Sizeof(zlevel{})))
}

// height is the number of levels of n.
func (n *znode) height() int { return int(n.lev[0].h) }

// nodeWith is a node followed by more levels, allocated as one object.
type nodeWith[T any] struct {
	n znode
	_ T // the levels past the first, reached through at
}

func allocNode[T any]() *znode { return &new(nodeWith[T]).n }

// newZNode allocates a node of height h (1..zslMaxLevel). Heights above 8
// (one node in 65536) share the largest shape.
func newZNode(h int) *znode {
	var n *znode
	switch h {
	case 1:
		n = new(znode)
	case 2:
		n = allocNode[[1]zlevel]()
	case 3:
		n = allocNode[[2]zlevel]()
	case 4:
		n = allocNode[[3]zlevel]()
	case 5:
		n = allocNode[[4]zlevel]()
	case 6:
		n = allocNode[[5]zlevel]()
	case 7:
		n = allocNode[[6]zlevel]()
	case 8:
		n = allocNode[[7]zlevel]()
	default:
		n = allocNode[[zslMaxLevel - 1]zlevel]()
	}
	n.lev[0].h = uint32(h)
	return n
}

// nodeBytes is the heap size of a node of height h.
func nodeBytes(h int) int64 {
	if h > 8 {
		h = zslMaxLevel
	}
	return allocSize(int(unsafe.Sizeof(znode{})) + (h-1)*int(unsafe.Sizeof(zlevel{})))
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

// randomLevel returns a height with Redis's distribution: each extra
// level with probability 1/4.
func randomLevel() int {
	h := 1 + bits.TrailingZeros64(rand.Uint64()|1<<62)/2
	return min(h, zslMaxLevel)
}

// skiplist is the ordered half of the big form.
type skiplist struct {
	head   *znode // a node of zslMaxLevel levels holding no element
	tail   *znode
	length int
	level  int // height of the tallest node (at least 1)
}

func newSkiplist() *skiplist {
	return &skiplist{head: allocNode[[zslMaxLevel - 1]zlevel](), level: 1}
}

// before reports whether n sorts before (score, member).
func (n *znode) before(score float64, member string) bool {
	return n.score < score || (n.score == score && n.member < member)
}

// insertNode links n (its member, score and height set) at its place.
func (zsl *skiplist) insertNode(n *znode) {
	var update [zslMaxLevel]*znode
	var rank [zslMaxLevel]uint32
	x := zsl.head
	for i := zsl.level - 1; i >= 0; i-- {
		if i < zsl.level-1 {
			rank[i] = rank[i+1]
		}
		for nx := x.at(i).next; nx != nil && nx.before(n.score, n.member); nx = x.at(i).next {
			rank[i] += x.at(i).span
			x = nx
		}
		update[i] = x
	}
	h := n.height()
	if h > zsl.level {
		for i := zsl.level; i < h; i++ {
			rank[i] = 0
			update[i] = zsl.head
			zsl.head.at(i).span = uint32(zsl.length)
		}
		zsl.level = h
	}
	for i := 0; i < h; i++ {
		l, u := n.at(i), update[i].at(i)
		l.next = u.next
		u.next = n
		l.span = u.span - (rank[0] - rank[i])
		u.span = rank[0] - rank[i] + 1
	}
	for i := h; i < zsl.level; i++ {
		update[i].at(i).span++
	}
	n.prev = nil
	if update[0] != zsl.head {
		n.prev = update[0]
	}
	if nx := n.lev[0].next; nx != nil {
		nx.prev = n
	} else {
		zsl.tail = n
	}
	zsl.length++
}

// unlink removes n from the list (it must be in it).
func (zsl *skiplist) unlink(n *znode) {
	var update [zslMaxLevel]*znode
	x := zsl.head
	for i := zsl.level - 1; i >= 0; i-- {
		for nx := x.at(i).next; nx != nil && nx != n && nx.before(n.score, n.member); nx = x.at(i).next {
			x = nx
		}
		update[i] = x
	}
	for i := 0; i < zsl.level; i++ {
		u := update[i].at(i)
		if u.next == n {
			u.span += n.at(i).span - 1
			u.next = n.at(i).next
		} else {
			u.span--
		}
	}
	if nx := n.lev[0].next; nx != nil {
		nx.prev = n.prev
	} else {
		zsl.tail = n.prev
	}
	for zsl.level > 1 && zsl.head.at(zsl.level-1).next == nil {
		zsl.level--
	}
	zsl.length--
}

// updateScore moves n to score, in place when its neighbours allow it
// (as zslUpdateScore), else by unlinking and relinking the same node.
func (zsl *skiplist) updateScore(n *znode, score float64) {
	nx := n.lev[0].next
	if (n.prev == nil || n.prev.score < score) && (nx == nil || nx.score > score) {
		n.score = score
		return
	}
	zsl.unlink(n)
	n.score = score
	zsl.insertNode(n)
}

// rank returns n's 0-based rank.
func (zsl *skiplist) rank(n *znode) int {
	x, r := zsl.head, 0
	for i := zsl.level - 1; i >= 0; i-- {
		for nx := x.at(i).next; nx != nil && (nx == n || nx.before(n.score, n.member)); nx = x.at(i).next {
			r += int(x.at(i).span)
			x = nx
		}
		if x == n {
			return r - 1
		}
	}
	return -1 // not reached for a node of the list
}

// byRank returns the node of 0-based rank r (nil when out of range).
func (zsl *skiplist) byRank(r int) *znode {
	if r < 0 || r >= zsl.length {
		return nil
	}
	want := uint32(r + 1)
	x, traversed := zsl.head, uint32(0)
	for i := zsl.level - 1; i >= 0; i-- {
		for x.at(i).next != nil && traversed+x.at(i).span <= want {
			traversed += x.at(i).span
			x = x.at(i).next
		}
		if traversed == want {
			return x
		}
	}
	return nil
}

// lowerBound returns the number of nodes for which before is true: before
// must hold for a prefix of the list (true, ..., true, false, ...).
func (zsl *skiplist) lowerBound(before func(score float64, member string) bool) int {
	x, traversed := zsl.head, 0
	for i := zsl.level - 1; i >= 0; i-- {
		for nx := x.at(i).next; nx != nil && before(nx.score, nx.member); nx = x.at(i).next {
			traversed += int(x.at(i).span)
			x = nx
		}
	}
	return traversed
}

// zdict is the member -> node half of the big form: a chained hash table
// whose size is a power of two, grown when it holds as many nodes as
// buckets and shrunk below a tenth full, as Redis's dict.
type zdict struct {
	buckets []*znode
	n       int
}

const zdictMinSize = 4

func zhash(member string) uint64 { return xxhash.Sum64String(member) }

// find returns the node of member (hash h), or nil.
func (d *zdict) find(member string, h uint64) *znode {
	if len(d.buckets) == 0 {
		return nil
	}
	for n := d.buckets[h&uint64(len(d.buckets)-1)]; n != nil; n = n.hnext {
		if n.hash == h && n.member == member {
			return n
		}
	}
	return nil
}

// add inserts n (its hash set), which must not be in the table.
func (d *zdict) add(n *znode) {
	if d.n >= len(d.buckets) {
		d.resize(max(zdictMinSize, 2*len(d.buckets)))
	}
	b := &d.buckets[n.hash&uint64(len(d.buckets)-1)]
	n.hnext = *b
	*b = n
	d.n++
}

// remove takes n out of the table.
func (d *zdict) remove(n *znode) {
	for p := &d.buckets[n.hash&uint64(len(d.buckets)-1)]; *p != nil; p = &(*p).hnext {
		if *p == n {
			*p = n.hnext
			n.hnext = nil
			d.n--
			break
		}
	}
	if len(d.buckets) > zdictMinSize && d.n*10 < len(d.buckets) {
		size := zdictMinSize
		for size < d.n {
			size *= 2
		}
		d.resize(size)
	}
}

// resize rehashes every node into size buckets.
func (d *zdict) resize(size int) {
	old := d.buckets
	d.buckets = make([]*znode, size)
	mask := uint64(size - 1)
	for _, n := range old {
		for n != nil {
			next := n.hnext
			b := &d.buckets[n.hash&mask]
			n.hnext = *b
			*b = n
			n = next
		}
	}
}

// scan visits the buckets from cursor on with Redis's reverse binary
// cursor (dictScan), which returns every node present for the whole scan
// even when the table is resized between calls. It visits at least count
// nodes when it can, at most 10*count buckets, and returns the next
// cursor (0 when done).
func (d *zdict) scan(cursor uint64, count int, fn func(n *znode)) uint64 {
	if len(d.buckets) == 0 {
		return 0
	}
	m := uint64(len(d.buckets) - 1)
	seen := 0
	for iter := 0; iter < count*10; iter++ {
		for n := d.buckets[cursor&m]; n != nil; n = n.hnext {
			fn(n)
			seen++
		}
		cursor |= ^m
		cursor = bits.Reverse64(cursor)
		cursor++
		cursor = bits.Reverse64(cursor)
		if cursor == 0 || seen >= count {
			break
		}
	}
	return cursor
}
