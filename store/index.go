package store

// index maps a key's 64-bit hash to the arena offset of its entry. It is an
// open-addressing table with linear probing over plain uint64 words, so the
// garbage collector never looks inside it. Each word is
//
//	tag<<32 | (offset+1)
//
// where tag is the high 32 bits of the key's hash and 0 marks an empty word.
// A word's home position is tag & mask. Several keys may share a tag (or a
// whole hash): they simply sit in successive words of the same probe run,
// and the caller compares the full key stored in the arena, so collisions
// cost a probe, never a wrong answer. Deletion shifts later words of the run
// backwards (no tombstones), keeping every run contiguous.
//
// The table doubles when more than 3/4 full and halves when less than 1/8
// full. Memory is exactly 8 bytes per word (len(words)*8).
type index struct {
	words []uint64
	n     int // occupied words
}

// minIndexSize is the size of a new index; a power of two.
const minIndexSize = 8

// tagOf returns the part of h stored in the index.
func tagOf(h uint64) uint32 { return uint32(h >> 32) }

// pack builds an index word.
func pack(tag, off uint32) uint64 { return uint64(tag)<<32 | uint64(off+1) }

// wordOff returns the arena offset held by word w.
func wordOff(w uint64) uint32 { return uint32(w) - 1 }

// home returns the first position probed for tag.
func (x *index) home(tag uint32) int { return int(tag) & (len(x.words) - 1) }

// insert adds (h, off) without checking for an existing key; the caller has
// looked the key up first.
func (x *index) insert(h uint64, off uint32) {
	if len(x.words) == 0 {
		x.words = make([]uint64, minIndexSize)
	} else if (x.n+1)*4 > len(x.words)*3 {
		x.resize(len(x.words) * 2)
	}
	x.place(pack(tagOf(h), off))
	x.n++
}

// reserve sizes the table for n more words, so that inserting them does
// not resize it.
func (x *index) reserve(n int) {
	size := max(len(x.words), minIndexSize)
	for (x.n+n)*4 > size*3 {
		size *= 2
	}
	if size > len(x.words) {
		x.resize(size)
	}
}

// place stores w in the first empty word of its probe run.
func (x *index) place(w uint64) {
	mask := len(x.words) - 1
	for i := x.home(uint32(w >> 32)); ; i = (i + 1) & mask {
		if x.words[i] == 0 {
			x.words[i] = w
			return
		}
	}
}

// resize rehashes every word into a table of size words.
func (x *index) resize(size int) {
	old := x.words
	x.words = make([]uint64, size)
	for _, w := range old {
		if w != 0 {
			x.place(w)
		}
	}
}

// removeAt deletes the word at pos by backward-shift deletion, then shrinks
// the table when it is mostly empty. Positions held by the caller are
// invalid afterwards.
func (x *index) removeAt(pos int) {
	mask := len(x.words) - 1
	i := pos
	for j := (i + 1) & mask; ; j = (j + 1) & mask {
		w := x.words[j]
		if w == 0 {
			break
		}
		k := x.home(uint32(w >> 32))
		// Move w back into the hole at i unless its home lies cyclically
		// in (i, j]: then w is already as close to home as it may be.
		if (j > i && (k <= i || k > j)) || (j < i && k <= i && k > j) {
			x.words[i] = w
			i = j
		}
	}
	x.words[i] = 0
	x.n--
	if x.n == 0 {
		if len(x.words) > minIndexSize {
			x.words = nil
		}
		return
	}
	if len(x.words) > minIndexSize && x.n*8 < len(x.words) {
		x.resize(len(x.words) / 2)
	}
}

// setOff points the word at pos to a new arena offset, keeping its tag.
func (x *index) setOff(pos int, off uint32) {
	x.words[pos] = x.words[pos]&^0xffffffff | uint64(off+1)
}

// bytes returns the index's memory.
func (x *index) bytes() int64 { return int64(len(x.words)) * 8 }
