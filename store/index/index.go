// Package index maps a key's 64-bit hash to the arena offset of its entry. It is an
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
//
// The index knows hashes and offsets only; the store compares keys. An
// Index is not safe for concurrent use: the store's slot lock guards it.
package index

import (
	"math/bits"
	"sync/atomic"
	"unsafe"
)

// Index is one slot table's index. The zero value is an empty index; an
// Index is not copied (its words are published in at).
type Index struct {
	words []uint64
	n     int // occupied words
	// at publishes words for HomeAddr, which reads it without the
	// owner's lock: the first word's address in the low 58 bits and
	// log2(len(words)) in the top 6, 0 while words is empty. Written
	// whenever words is replaced (setWords).
	at atomic.Uint64
}

// atShift is where Index.at keeps the size's log2.
const atShift = 58

// setWords replaces the table's words and publishes them (Index.at).
func (x *Index) setWords(w []uint64) {
	x.words = w
	var a uint64
	if len(w) > 0 {
		a = uint64(uintptr(unsafe.Pointer(&w[0]))) | uint64(bits.TrailingZeros(uint(len(w))))<<atShift
	}
	x.at.Store(a)
}

// Reset empties the index.
func (x *Index) Reset() {
	x.setWords(nil)
	x.n = 0
}

// HomeAddr returns the address of the first word a lookup of a key
// hashing to h reads, or 0 for an empty index. It may be called without
// the lock that guards the index, and then its answer may be out of date
// (the words replaced meanwhile): it is for a prefetch hint only, never to
// be read through.
func (x *Index) HomeAddr(h uint64) uintptr {
	a := x.at.Load()
	if a == 0 {
		return 0
	}
	mask := uint64(1)<<(a>>atShift) - 1
	return uintptr(a&(1<<atShift-1)) + uintptr(uint64(Tag(h))&mask)*8
}

// Len returns the number of words in use: the number of entries.
func (x *Index) Len() int { return x.n }

// Words returns the table's words, for probing (see Tag, Off) and for
// walking every entry (skip the zero words). Valid until the next change.
func (x *Index) Words() []uint64 { return x.words }

// minSize is the size of a new index; a power of two.
const minSize = 8

// Tag returns the part of h stored in the index: a word w belongs to a
// key hashing to h only if uint32(w>>32) == Tag(h).
func Tag(h uint64) uint32 { return uint32(h >> 32) }

// pack builds an index word.
func pack(tag, off uint32) uint64 { return uint64(tag)<<32 | uint64(off+1) }

// Off returns the arena offset held by the non-zero word w.
func Off(w uint64) uint32 { return uint32(w) - 1 }

// home returns the first position probed for tag.
func (x *Index) home(tag uint32) int { return int(tag) & (len(x.words) - 1) }

// Insert adds (h, off) without checking for an existing key; the caller has
// looked the key up first.
func (x *Index) Insert(h uint64, off uint32) {
	if len(x.words) == 0 {
		x.setWords(make([]uint64, minSize))
	} else if (x.n+1)*4 > len(x.words)*3 {
		x.resize(len(x.words) * 2)
	}
	x.place(pack(Tag(h), off))
	x.n++
}

// Reserve sizes the table for n more words, so that inserting them does
// not resize it.
func (x *Index) Reserve(n int) {
	size := max(len(x.words), minSize)
	for (x.n+n)*4 > size*3 {
		size *= 2
	}
	if size > len(x.words) {
		x.resize(size)
	}
}

// place stores w in the first empty word of its probe run.
func (x *Index) place(w uint64) {
	mask := len(x.words) - 1
	for i := x.home(uint32(w >> 32)); ; i = (i + 1) & mask {
		if x.words[i] == 0 {
			x.words[i] = w
			return
		}
	}
}

// resize rehashes every word into a table of size words.
func (x *Index) resize(size int) {
	old := x.words
	x.setWords(make([]uint64, size))
	for _, w := range old {
		if w != 0 {
			x.place(w)
		}
	}
}

// RemoveAt deletes the word at pos by backward-shift deletion, then shrinks
// the table when it is mostly empty. Positions held by the caller are
// invalid afterwards.
func (x *Index) RemoveAt(pos int) {
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
		if len(x.words) > minSize {
			x.setWords(nil)
		}
		return
	}
	if len(x.words) > minSize && x.n*8 < len(x.words) {
		x.resize(len(x.words) / 2)
	}
}

// SetOff points the word at pos to a new arena offset, keeping its tag.
func (x *Index) SetOff(pos int, off uint32) {
	x.words[pos] = x.words[pos]&^0xffffffff | uint64(off+1)
}

// Bytes returns the index's memory.
func (x *Index) Bytes() int64 { return int64(len(x.words)) * 8 }

// PosOf returns the position of the word holding off for a key hashing to
// h, and false if there is none.
func (x *Index) PosOf(h uint64, off uint32) (int, bool) {
	words := x.words
	if len(words) == 0 {
		return 0, false
	}
	want := pack(Tag(h), off)
	mask := len(words) - 1
	for i := int(Tag(h)) & mask; ; i = (i + 1) & mask {
		switch words[i] {
		case 0:
			return 0, false
		case want:
			return i, true
		}
	}
}
