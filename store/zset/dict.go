package zset

import (
	"math/bits"
	"unsafe"

	"github.com/cespare/xxhash/v2"
)

// The member -> node half of the big form (arena.go): a chained hash
// table of uint32 chain heads, its chains running through the nodes' link
// words. Its size is a power of two, grown when it holds as many nodes as
// buckets and shrunk below a tenth full, as Redis's dict; compaction keeps
// it. A node's bucket is the low bits of its stored 32-bit hash.

const zdictMinSize = 4

// zhash is the hash of a member: the low 32 bits of its xxhash.
func zhash(member []byte) uint32 {
	return uint32(xxhash.Sum64String(unsafe.String(unsafe.SliceData(member), len(member))))
}

// find returns the node of member (hash h), or 0.
func (b *big) find(member []byte, h uint32) uint32 {
	if len(b.buckets) == 0 {
		return 0
	}
	for x := b.buckets[h&uint32(len(b.buckets)-1)]; x != 0; x = b.hnext(x) {
		if b.hash(x) == h && b.member(x) == string(member) {
			return x
		}
	}
	return 0
}

// add inserts x into the table; x is in the list (length counts it) and
// not yet in the table, which holds length-1 nodes.
func (b *big) add(x uint32) {
	if b.length > len(b.buckets) {
		b.resize(max(zdictMinSize, 2*len(b.buckets)))
	}
	bk := &b.buckets[b.hash(x)&uint32(len(b.buckets)-1)]
	b.setHnext(x, *bk)
	*bk = x
}

// remove takes x out of the table; the list no longer counts it.
func (b *big) remove(x uint32) {
	bk := &b.buckets[b.hash(x)&uint32(len(b.buckets)-1)]
	if *bk == x {
		*bk = b.hnext(x)
	} else {
		for p := *bk; p != 0; p = b.hnext(p) {
			if b.hnext(p) == x {
				b.setHnext(p, b.hnext(x))
				break
			}
		}
	}
	b.setHnext(x, 0)
	if len(b.buckets) > zdictMinSize && b.length*10 < len(b.buckets) {
		size := zdictMinSize
		for size < b.length {
			size *= 2
		}
		b.resize(size)
	}
}

// resize rehashes every node into size buckets.
func (b *big) resize(size int) {
	old := b.buckets
	b.buckets = make([]uint32, size)
	mask := uint32(size - 1)
	for _, x := range old {
		for x != 0 {
			next := b.hnext(x)
			bk := &b.buckets[b.hash(x)&mask]
			b.setHnext(x, *bk)
			*bk = x
			x = next
		}
	}
}

// scan visits the buckets from cursor on with Redis's reverse binary
// cursor (dictScan), which returns every node present for the whole scan
// even when the table is resized between calls. It visits at least count
// nodes when it can, at most 10*count buckets, and returns the next
// cursor (0 when done). fn must not change the set.
func (b *big) scan(cursor uint64, count int, fn func(x uint32)) uint64 {
	if len(b.buckets) == 0 {
		return 0
	}
	m := uint64(len(b.buckets) - 1)
	seen := 0
	for iter := 0; iter < count*10; iter++ {
		for x := b.buckets[cursor&m]; x != 0; x = b.hnext(x) {
			fn(x)
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
