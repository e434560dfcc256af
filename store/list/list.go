// Package list is the data structure of a Redis list: a deque of
// pointer-free byte chunks split as Redis 7.2's quicklist nodes, with the
// listpack sizes that decide OBJECT ENCODING. It is pure: no locks, no
// effects, no memory accounting beyond Bytes, which the store's Tx layer
// (store/list_tx.go) reads before and after each write.
package list

import (
	"math"
	"unsafe"
)

// A List is one Redis list; the zero value is an empty list.
//
// Elements live in chunks, each a pointer-free byte buffer holding a run of
// elements, each with its length before and after it (elem.go), so a
// chunk is walked from either end, as a Redis listpack is. The chunks form a deque
// (ch[c0:]): pushing or popping at either end touches one chunk, and a
// chunk keeps free room at both ends of its buffer (lo, hi), so that
// LPUSH and RPUSH are O(1) and allocation-free but once per chunk.
// Index access walks the chunks by their counts from the nearer end, then
// the elements of one chunk.
//
// Positions: the list keeps head, the absolute position of its first
// element (element i is at head+i). PushFront decrements it, PopFront
// and TrimFront increment it, SetHead relabels; the store's replication
// effects name elements by absolute position, so that each effect is
// idempotent.
//
// Chunks split as Redis 7.2's quicklist nodes do under the Limits
// (list-max-listpack-size; -2, 8 KB, by default): each chunk tracks the
// size its elements would have in a Redis listpack (lp), a chunk takes a
// pushed element while lp + len + 8 and its count stay within the limits,
// and the whole list reports OBJECT ENCODING "listpack" while it is one
// listpack within them, "quicklist" after it outgrows them, and "listpack"
// again once it is one chunk within half of them after a removal
// (listTypeTryConversion in t_list.c). Writers call Grow, with the limits
// of their command, before adding, and Shrunk after removing, as Redis
// converts; the chunk rules of the adds that follow a Grow are its limits.
//
// Slices a List returns alias its memory (or its integer scratch buffer)
// and are valid until the list is written again.
type List struct {
	ch    []chunk // the live chunks are ch[c0:], none of them empty
	c0    int
	head  int64    // absolute position of the first element
	n     int      // elements
	quick bool     // "quicklist" encoding
	lim   Limits   // those of the last Grow or Shrunk: the chunk rules
	mem   int64    // sum of the chunk buffers' capacities
	num   [20]byte // scratch where integers are formatted on reading
}

// chunk is one run of elements: buf[lo:hi] holds n elements; lp is their
// Redis listpack size (header and end byte included).
type chunk struct {
	buf    []byte
	lo, hi int32
	n      int32
	lp     int32
}

// Limits are Redis's list-max-listpack-size: Fill < 0 bounds a listpack
// (and a quicklist node) by bytes, -1 to -5 being 4, 8, 16, 32 and 64 KB
// (beyond -5, 64 KB); Fill >= 0 bounds it by elements (0 counts as 1),
// and by 8 KB of bytes too (Redis's SIZE_SAFETY_LIMIT).
type Limits struct{ Fill int }

// DefaultLimits is Redis's default, -2: 8 KB.
var DefaultLimits = Limits{Fill: -2}

// sizeSafetyLimit is Redis's SIZE_SAFETY_LIMIT, the byte bound of a node
// whose Fill counts elements.
const sizeSafetyLimit = 8192

// bound returns the byte bound and the element bound of a node; a bound
// that does not apply is MaxInt (quicklistNodeLimit).
func (lim Limits) bound() (size, count int) {
	if lim.Fill >= 0 {
		return math.MaxInt, max(lim.Fill, 1)
	}
	return 4096 << min(-lim.Fill-1, 4), math.MaxInt
}

// exceeds reports whether a node of sz listpack bytes and n elements
// passes the limits (quicklistNodeExceedsLimit).
func (lim Limits) exceeds(sz, n int) bool {
	size, count := lim.bound()
	if size != math.MaxInt {
		return sz > size
	}
	return sz > sizeSafetyLimit || n > count
}

const (
	quickBuf       = 8192 // the least buffer of a quicklist chunk
	listLPOverhead = 8    // quicklist's SIZE_ESTIMATE_OVERHEAD
	lpHeader       = 7    // a listpack's header and end byte
	listMinChunk   = 32   // first buffer of a small list's chunk
)

// listOverhead is the List struct itself.
const listOverhead = int64(unsafe.Sizeof(List{}))

// chunkSize is one chunk's slot in the chunk slice.
const chunkSize = int64(unsafe.Sizeof(chunk{}))

// Len is the number of elements.
func (l *List) Len() int { return l.n }

// Head is the absolute position of the first element.
func (l *List) Head() int64 { return l.head }

// SetHead relabels the elements so that the first is at position h
// (positions are labels: nothing moves).
func (l *List) SetHead(h int64) { l.head = h }

// Bytes is the struct, the chunk slice by capacity and the buffers by
// capacity.
func (l *List) Bytes() int64 {
	return listOverhead + int64(cap(l.ch))*chunkSize + l.mem
}

// Encoding is OBJECT ENCODING's answer, as Redis 7.2 (see List).
func (l *List) Encoding() string {
	if l.quick {
		return "quicklist"
	}
	return "listpack"
}

// chunks returns the live chunks.
func (l *List) chunks() []chunk { return l.ch[l.c0:] }

// ---- chunk buffers ----

// room makes c able to take need more bytes at its front (front) or back,
// recentering its elements when the buffer has room enough, else moving
// them to a bigger buffer (at its end for the front, at its start for the
// back, so that pushes at one end keep finding room). quick chunks start
// at the full chunk size, so a big list grows a buffer at most once.
func (l *List) room(c *chunk, need int, front bool) {
	used := int(c.hi - c.lo)
	size := len(c.buf)
	free := size - used - need
	if free >= 0 && free >= used/4 && free >= 16 {
		lo := free / 2
		if front {
			lo += need
		}
		copy(c.buf[lo:], c.buf[c.lo:c.hi])
		c.lo, c.hi = int32(lo), int32(lo+used)
		return
	}
	nc := max(2*size, listMinChunk)
	if l.quick {
		nc = max(nc, quickBuf)
	}
	for nc < used+need {
		nc *= 2
	}
	buf := make([]byte, nc)
	lo := 0
	if front {
		lo = nc - used
	}
	copy(buf[lo:], c.buf[c.lo:c.hi])
	l.mem += int64(nc - size)
	c.buf, c.lo, c.hi = buf, int32(lo), int32(lo+used)
}

// shrink gives c a smaller buffer when it uses less than a quarter of a
// big one (after pops or removals).
func (l *List) shrink(c *chunk) {
	used := int(c.hi - c.lo)
	if len(c.buf) < 1024 || used*4 >= len(c.buf) {
		return
	}
	nc := max(2*used, listMinChunk)
	buf := make([]byte, nc)
	lo := (nc - used) / 2
	copy(buf[lo:], c.buf[c.lo:c.hi])
	l.mem += int64(nc - len(c.buf))
	c.buf, c.lo, c.hi = buf, int32(lo), int32(lo+used)
}

// newChunk adds an empty chunk with a buffer for at least need bytes at
// the front or back of the deque and returns it.
func (l *List) newChunk(need int, front bool) *chunk {
	nc := max(need, listMinChunk)
	if l.quick {
		nc = max(need, quickBuf)
	}
	c := chunk{buf: make([]byte, nc), lp: lpHeader}
	if front {
		c.lo, c.hi = int32(nc), int32(nc)
	}
	l.mem += int64(nc)
	if !front {
		l.ch = append(l.ch, c)
	} else {
		if l.c0 == 0 {
			live := len(l.ch)
			gap := max(live, 2)
			ch := make([]chunk, gap+live, gap+live+max(live, 2))
			copy(ch[gap:], l.ch)
			l.ch, l.c0 = ch, gap
		}
		l.c0--
		l.ch[l.c0] = c
	}
	if front {
		return &l.ch[l.c0]
	}
	return &l.ch[len(l.ch)-1]
}

// dropChunk removes live chunk i (relative to c0) from the deque.
func (l *List) dropChunk(i int) {
	l.mem -= int64(len(l.ch[l.c0+i].buf))
	live := l.chunks()
	switch {
	case i == 0:
		l.ch[l.c0] = chunk{}
		l.c0++
	case i == len(live)-1:
		l.ch[len(l.ch)-1] = chunk{}
		l.ch = l.ch[:len(l.ch)-1]
	default:
		copy(live[i:], live[i+1:])
		live[len(live)-1] = chunk{}
		l.ch = l.ch[:len(l.ch)-1]
	}
	if l.c0 == len(l.ch) {
		l.ch, l.c0 = l.ch[:0], 0
	} else if l.c0 > 0 && l.c0 >= len(l.ch)-l.c0 && l.c0 >= 8 {
		n := copy(l.ch, l.ch[l.c0:])
		clear(l.ch[n:])
		l.ch, l.c0 = l.ch[:n], 0
	}
}

// ---- the deque ----

// Grow applies Redis's growing conversion before adding count elements
// of raw total bytes raw: a listpack list becomes a quicklist when its
// listpack would pass lim. The adds that follow split chunks by lim.
func (l *List) Grow(count, raw int, lim Limits) {
	l.lim = lim
	if l.quick {
		return
	}
	lp, n := lpHeader, 0
	if l.n > 0 {
		lp, n = int(l.ch[l.c0].lp), l.n
	}
	if lim.exceeds(lp+raw, n+count) {
		l.quick = true
	}
}

// Shrunk applies Redis's shrinking conversion after a removal: a
// quicklist of one chunk within half of lim becomes a listpack.
func (l *List) Shrunk(lim Limits) {
	l.lim = lim
	if !l.quick || len(l.ch)-l.c0 != 1 {
		return
	}
	size, count := lim.bound()
	if c := &l.ch[l.c0]; (size == math.MaxInt || int(c.lp) <= size/2) && (count == math.MaxInt || int(c.n) <= count/2) {
		l.quick = false
	}
}

// fits reports whether c takes one more element of raw size n under the
// chunk rules (always while the list is a listpack).
func (l *List) fits(c *chunk, n int) bool {
	return !l.quick || !l.lim.exceeds(int(c.lp)+n+listLPOverhead, int(c.n)+1)
}

// PushBack appends e (call Grow first).
func (l *List) PushBack(e []byte) {
	enc := encodeOf(e)
	sz := enc.size
	var c *chunk
	if live := len(l.ch) - l.c0; live > 0 && l.fits(&l.ch[len(l.ch)-1], len(e)) {
		c = &l.ch[len(l.ch)-1]
	} else {
		c = l.newChunk(sz, false)
	}
	if int(c.hi)+sz > len(c.buf) {
		l.room(c, sz, false)
	}
	enc.put(c.buf[c.hi:], e)
	c.hi += int32(sz)
	c.n++
	c.lp += lpSize(enc, len(e))
	l.n++
}

// PushFront prepends e (call Grow first).
func (l *List) PushFront(e []byte) {
	enc := encodeOf(e)
	sz := enc.size
	var c *chunk
	if live := len(l.ch) - l.c0; live > 0 && l.fits(&l.ch[l.c0], len(e)) {
		c = &l.ch[l.c0]
	} else {
		c = l.newChunk(sz, true)
	}
	if int(c.lo) < sz {
		l.room(c, sz, true)
	}
	c.lo -= int32(sz)
	enc.put(c.buf[c.lo:], e)
	c.n++
	c.lp += lpSize(enc, len(e))
	l.n++
	l.head--
}

// PopFront removes the first element and returns it; the slice aliases the
// chunk's buffer and is valid until the list is written again.
func (l *List) PopFront() []byte {
	c := &l.ch[l.c0]
	e, next := readFwd(c.buf, int(c.lo), &l.num)
	c.lo = int32(next)
	c.n--
	c.lp -= lpEntrySize(e)
	l.n--
	l.head++
	if c.n == 0 {
		l.dropChunk(0)
	}
	return e
}

// PopBack removes the last element and returns it (as PopFront).
func (l *List) PopBack() []byte {
	i := len(l.ch) - 1
	c := &l.ch[i]
	e, start := readBack(c.buf, int(c.hi), &l.num)
	c.hi = int32(start)
	c.n--
	c.lp -= lpEntrySize(e)
	l.n--
	if c.n == 0 {
		l.dropChunk(i - l.c0)
	}
	return e
}

// locate returns the live chunk holding element i (0 <= i < n) and i's
// Index within it, walking from the nearer end.
func (l *List) locate(i int) (ci, j int) {
	live := l.chunks()
	if i < l.n/2 {
		for ci = range live {
			if i < int(live[ci].n) {
				return ci, i
			}
			i -= int(live[ci].n)
		}
	}
	rest := l.n - i // elements from i to the end
	for ci = len(live) - 1; ci >= 0; ci-- {
		if rest <= int(live[ci].n) {
			return ci, int(live[ci].n) - rest
		}
		rest -= int(live[ci].n)
	}
	panic("list: index out of range")
}

// offsetOf returns the byte offset of element j of c.
func offsetOf(c *chunk, j int) int {
	if j > int(c.n)/2 {
		off := int(c.hi)
		for k := int(c.n); k > j; k-- {
			off = skipBack(c.buf, off)
		}
		return off
	}
	off := int(c.lo)
	for ; j > 0; j-- {
		off = skipFwd(c.buf, off)
	}
	return off
}

// Index returns element i (0 <= i < n), aliasing the list's memory.
func (l *List) Index(i int) []byte {
	ci, j := l.locate(i)
	c := &l.ch[l.c0+ci]
	e, _ := readFwd(c.buf, offsetOf(c, j), &l.num)
	return e
}

// Each calls fn with elements from..n-1 in order until fn returns false.
func (l *List) Each(from int, fn func(e []byte) bool) {
	if from >= l.n {
		return
	}
	ci, j := l.locate(from)
	live := l.chunks()
	off := offsetOf(&live[ci], j)
	for ; ci < len(live); ci++ {
		c := &live[ci]
		if off < 0 {
			off = int(c.lo)
		}
		for off < int(c.hi) {
			var e []byte
			e, off = readFwd(c.buf, off, &l.num)
			if !fn(e) {
				return
			}
		}
		off = -1
	}
}

// EachRev calls fn with elements from..0 in reverse order until fn
// returns false.
func (l *List) EachRev(from int, fn func(e []byte) bool) {
	if from < 0 {
		return
	}
	ci, j := l.locate(from)
	live := l.chunks()
	c := &live[ci]
	end := skipFwd(c.buf, offsetOf(c, j))
	for ; ci >= 0; ci-- {
		c := &live[ci]
		if end < 0 {
			end = int(c.hi)
		}
		for end > int(c.lo) {
			var e []byte
			e, end = readBack(c.buf, end, &l.num)
			if !fn(e) {
				return
			}
		}
		end = -1
	}
}

// splice replaces the bytes buf[from:to] of live chunk ci by the
// encodings of elems, adjusting counts by dn elements and dlp listpack
// bytes, then splits the chunk when it outgrew the chunk rules.
func (l *List) splice(ci, from, to int, elems [][]byte, dn int, dlp int32) {
	c := &l.ch[l.c0+ci]
	add := 0
	for _, e := range elems {
		add += encodeOf(e).size
	}
	delta := add - (to - from)
	used := int(c.hi-c.lo) + delta
	if delta > 0 && int(c.hi)+delta > len(c.buf) {
		// Make room at the back, then find from and to again.
		rf, rt := from-int(c.lo), to-int(c.lo)
		l.room(c, delta, false)
		from, to = int(c.lo)+rf, int(c.lo)+rt
	}
	copy(c.buf[to+delta:], c.buf[to:c.hi])
	at := from
	for _, e := range elems {
		enc := encodeOf(e)
		enc.put(c.buf[at:], e)
		at += enc.size
	}
	c.hi = c.lo + int32(used)
	c.n += int32(dn)
	c.lp += dlp
	l.n += dn
	if c.n == 0 {
		l.dropChunk(ci)
		return
	}
	if l.quick && l.lim.exceeds(int(c.lp), int(c.n)) && c.n > 1 {
		l.split(ci)
	} else if delta < 0 {
		l.shrink(c)
	}
}

// split cuts live chunk ci in two halves by count.
func (l *List) split(ci int) {
	c := l.ch[l.c0+ci]
	half := int(c.n) / 2
	mid := offsetOf(&c, half)
	var lp int32 = lpHeader
	for off := int(c.lo); off < mid; {
		var e []byte
		e, off = readFwd(c.buf, off, &l.num)
		lp += lpEntrySize(e)
	}
	second := chunk{buf: make([]byte, max(int(c.hi)-mid, listMinChunk)), n: c.n - int32(half), lp: c.lp - lp + lpHeader}
	second.hi = int32(copy(second.buf, c.buf[mid:c.hi]))
	l.mem += int64(len(second.buf))
	first := &l.ch[l.c0+ci]
	first.hi, first.n, first.lp = int32(mid), int32(half), lp
	l.ch = append(l.ch, chunk{})
	live := l.chunks()
	copy(live[ci+2:], live[ci+1:])
	live[ci+1] = second
}

// Set replaces element i (0 <= i < n) by e.
func (l *List) Set(i int, e []byte) {
	ci, j := l.locate(i)
	c := &l.ch[l.c0+ci]
	off := offsetOf(c, j)
	old, end := readFwd(c.buf, off, &l.num)
	dlp := lpEntrySize(e) - lpEntrySize(old)
	if enc := encodeOf(e); enc.size == end-off {
		enc.put(c.buf[off:], e)
		c.lp += dlp
		return
	}
	l.splice(ci, off, end, [][]byte{e}, 0, dlp)
}

// Insert puts e before element i (0 < i < n; the ends are pushes).
func (l *List) Insert(i int, e []byte) {
	ci, j := l.locate(i)
	c := &l.ch[l.c0+ci]
	off := offsetOf(c, j)
	l.splice(ci, off, off, [][]byte{e}, 1, lpEntrySize(e))
}

// filter keeps the elements for which keep returns true, in order, and
// drops the others, compacting each chunk in place; it returns how many
// were dropped. head does not change.
func (l *List) filter(keep func(e []byte) bool) int {
	dropped := 0
	for ci := 0; ci < len(l.ch)-l.c0; {
		c := &l.ch[l.c0+ci]
		w := int(c.lo)
		for r := int(c.lo); r < int(c.hi); {
			start := r
			var e []byte
			e, r = readFwd(c.buf, r, &l.num)
			if keep(e) {
				if w != start {
					copy(c.buf[w:], c.buf[start:r])
				}
				w += r - start
				continue
			}
			c.n--
			c.lp -= lpEntrySize(e)
			l.n--
			dropped++
		}
		c.hi = int32(w)
		if c.n == 0 {
			l.dropChunk(ci)
			continue
		}
		l.shrink(c)
		ci++
	}
	return dropped
}

// TrimFront drops the first k elements (k <= n), whole chunks at once.
func (l *List) TrimFront(k int) {
	l.head += int64(k)
	for k > 0 {
		c := &l.ch[l.c0]
		if int(c.n) <= k {
			k -= int(c.n)
			l.n -= int(c.n)
			l.dropChunk(0)
			continue
		}
		for ; k > 0; k-- {
			var e []byte
			e, next := readFwd(c.buf, int(c.lo), &l.num)
			c.lo = int32(next)
			c.n--
			c.lp -= lpEntrySize(e)
			l.n--
		}
		l.shrink(c)
	}
}

// TrimBack drops the last k elements (k <= n).
func (l *List) TrimBack(k int) {
	for k > 0 {
		i := len(l.ch) - 1
		c := &l.ch[i]
		if int(c.n) <= k {
			k -= int(c.n)
			l.n -= int(c.n)
			l.dropChunk(i - l.c0)
			continue
		}
		for ; k > 0; k-- {
			e, start := readBack(c.buf, int(c.hi), &l.num)
			c.hi = int32(start)
			c.n--
			c.lp -= lpEntrySize(e)
			l.n--
		}
		l.shrink(c)
	}
}

// Clone returns a deep copy (same head, same chunking, tight buffers).
func (l *List) Clone() *List {
	c := &List{head: l.head, n: l.n, quick: l.quick, lim: l.lim, ch: make([]chunk, 0, len(l.ch)-l.c0)}
	for _, k := range l.chunks() {
		used := int(k.hi - k.lo)
		buf := make([]byte, max(used, listMinChunk))
		copy(buf, k.buf[k.lo:k.hi])
		c.mem += int64(len(buf))
		c.ch = append(c.ch, chunk{buf: buf, hi: int32(used), n: k.n, lp: k.lp})
	}
	return c
}

// Pos calls fn with the index of each element equal to e, as LPOS finds
// them: from the head for rank > 0 (skipping the first rank-1 matches),
// from the tail for rank < 0, looking at no more than maxlen elements (0:
// all), until fn returns false.
func (l *List) Pos(e []byte, rank, maxlen int64, fn func(i int64) bool) {
	skip := rank - 1
	seen := int64(0)
	visit := func(i int64) func(x []byte) bool {
		return func(x []byte) bool {
			if maxlen != 0 && seen >= maxlen {
				return false
			}
			seen++
			idx := i
			if rank > 0 {
				i++
			} else {
				i--
			}
			if string(x) != string(e) {
				return true
			}
			if skip > 0 {
				skip--
				return true
			}
			return fn(idx)
		}
	}
	if rank < 0 {
		skip = -rank - 1
		l.EachRev(l.n-1, visit(int64(l.n-1)))
	} else {
		l.Each(0, visit(0))
	}
}

// RemoveEqual removes elements equal to e, as LREM: the first count from
// the head (count > 0), the last -count from the tail (count < 0), or all
// (0). It returns the old indexes of the removed elements, ascending.
func (l *List) RemoveEqual(e []byte, count int64) (gone []int) {
	skip := int64(0) // matches to keep before removing (count < 0)
	if count < 0 {
		matches := int64(0)
		l.Each(0, func(x []byte) bool {
			if string(x) == string(e) {
				matches++
			}
			return true
		})
		skip = max(matches+count, 0)
		count = -count
	}
	limit, done := count, int64(0) // limit 0: all
	i := -1
	l.filter(func(x []byte) bool {
		i++
		if string(x) != string(e) {
			return true
		}
		if skip > 0 {
			skip--
			return true
		}
		if limit > 0 && done >= limit {
			return true
		}
		done++
		gone = append(gone, i)
		return false
	})
	return gone
}
