package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/meshcache/meshcache/store/index"
)

// A slot's arena is one []byte holding entries back to back:
//
//	off+0   keyLen   uint32
//	off+4   valLen   uint32  (a hash entry stores 4 bytes: its hash number)
//	off+8   valCap   uint32  room for the value, >= valLen
//	off+12  volIdx   uint32  position in the slot's TTL list, when expireAt != 0
//	off+16  expireAt int64   unix ms, 0 = no expiry
//	off+24  lru      uint32  LRU clock: unix seconds of the last access
//	off+28  ldt      uint16  LFU: minutes (mod 2^16) of the last decrement
//	off+30  lfu      uint8   LFU logarithmic counter
//	off+31  type     uint8   Type; 0 marks a dead entry
//	off+32  key, then value (valCap bytes)
//
// The arena only grows by appending. Bytes once handed out are never written
// again except by an in-place overwrite of a value, which a Tx skips after it
// has returned a value slice (Tx.pinned): so slices returned by Get stay
// valid until the Tx closes, even across compaction, which copies live
// entries into a fresh arena and leaves the old one untouched for the
// garbage collector. Dead bytes are counted in table.garbage; a slot's arena
// is compacted once more than half of it is garbage.
const (
	hdrKeyLen = 0
	hdrValLen = 4
	hdrValCap = 8
	hdrVolIdx = 12
	hdrExpire = 16
	hdrLRU    = 24
	hdrLDT    = 28
	hdrLFU    = 30
	hdrType   = 31
	hdrSize   = 32
)

// maxArena is the largest arena: offsets are uint32 and the index stores
// offset+1.
const maxArena = math.MaxUint32 - 1

// minCompact is the arena length below which compaction is not worth it.
const minCompact = 512

var le = binary.LittleEndian

func eKeyLen(a []byte, off uint32) uint32      { return le.Uint32(a[off+hdrKeyLen:]) }
func eValLen(a []byte, off uint32) uint32      { return le.Uint32(a[off+hdrValLen:]) }
func eValCap(a []byte, off uint32) uint32      { return le.Uint32(a[off+hdrValCap:]) }
func eVolIdx(a []byte, off uint32) uint32      { return le.Uint32(a[off+hdrVolIdx:]) }
func eExpire(a []byte, off uint32) int64       { return int64(le.Uint64(a[off+hdrExpire:])) }
func eLRU(a []byte, off uint32) uint32         { return le.Uint32(a[off+hdrLRU:]) }
func eLDT(a []byte, off uint32) uint16         { return le.Uint16(a[off+hdrLDT:]) }
func eLFU(a []byte, off uint32) uint8          { return a[off+hdrLFU] }
func eType(a []byte, off uint32) Type          { return Type(a[off+hdrType] &^ rawFlag) }
func setValLen(a []byte, off, n uint32)        { le.PutUint32(a[off+hdrValLen:], n) }
func setVolIdx(a []byte, off, i uint32)        { le.PutUint32(a[off+hdrVolIdx:], i) }
func setExpire(a []byte, off uint32, at int64) { le.PutUint64(a[off+hdrExpire:], uint64(at)) }
func setLRU(a []byte, off, v uint32)           { le.PutUint32(a[off+hdrLRU:], v) }
func setLFU(a []byte, off uint32, ldt uint16, ctr uint8) {
	le.PutUint16(a[off+hdrLDT:], ldt)
	a[off+hdrLFU] = ctr
}

// rawFlag, in a string entry's type byte, marks a value changed in place
// (APPEND, SETRANGE, SETBIT, BITFIELD, the PF commands): OBJECT ENCODING
// says "raw" for it whatever it holds, as Redis's sds edited in place is
// raw, until the next whole-value write clears it. eType masks it off.
const rawFlag = 0x80

// eRaw reports whether the string entry at off was changed in place.
func eRaw(a []byte, off uint32) bool { return a[off+hdrType]&rawFlag != 0 }

// setRaw marks the string entry at off as changed in place.
func setRaw(a []byte, off uint32) { a[off+hdrType] |= rawFlag }

// eSize is the number of arena bytes the entry at off occupies.
func eSize(a []byte, off uint32) uint32 { return hdrSize + eKeyLen(a, off) + eValCap(a, off) }

// eKey returns the entry's key; its capacity is clipped so that an append
// by the caller can never write into the arena.
func eKey(a []byte, off uint32) []byte {
	s := off + hdrSize
	e := s + eKeyLen(a, off)
	return a[s:e:e]
}

// eVal returns the entry's value, clipped like eKey.
func eVal(a []byte, off uint32) []byte {
	s := off + hdrSize + eKeyLen(a, off)
	e := s + eValLen(a, off)
	return a[s:e:e]
}

// entryMeta is the access metadata carried into a new entry.
type entryMeta struct {
	lru uint32
	ldt uint16
	lfu uint8
}

// appendEntryRoom appends a live entry (no TTL yet; see slot.setExpire)
// with room >= len(val) bytes of value capacity (the spare bytes are zero)
// and returns its offset.
func (t *table) appendEntryRoom(key, val []byte, room int, typ Type, m entryMeta) (uint32, error) {
	size := hdrSize + len(key) + room
	off := len(t.arena)
	if uint64(off)+uint64(size) > maxArena {
		return 0, fmt.Errorf("store %d bytes in slot arena of %d bytes: arena limit %d reached", size, off, uint64(maxArena))
	}
	t.arena = growArena(t.arena, size)
	a := t.arena
	o := uint32(off)
	le.PutUint32(a[o+hdrKeyLen:], uint32(len(key)))
	le.PutUint32(a[o+hdrValLen:], uint32(len(val)))
	le.PutUint32(a[o+hdrValCap:], uint32(room))
	setLRU(a, o, m.lru)
	setLFU(a, o, m.ldt, m.lfu)
	a[o+hdrType] = byte(typ)
	copy(a[o+hdrSize:], key)
	copy(a[o+hdrSize+uint32(len(key)):], val)
	return o, nil
}

// reserve makes room for keys more entries of n bytes in all, so that
// inserting them moves neither the arena nor the index (an arena past its
// limit is left to appendEntry to report).
func (t *table) reserve(keys, n int) {
	if need := len(t.arena) + n; need > cap(t.arena) && uint64(need) <= maxArena {
		t.arena = moveArena(t.arena, need)
	}
	t.idx.Reserve(keys)
}

// arenaGrowMin is the least room a growing arena gains, so that a young
// slot does not move its arena for every key.
const arenaGrowMin = 256

// growArena extends a by n zero bytes. When a must move, it gains an eighth
// of its new length (at least arenaGrowMin) of spare room, rounded up to
// the allocator's size class: append's own policy (double small slices,
// then 1.25x) leaves a third of a 1M-key keyspace unused on average and
// keeps the old arena alive as garbage of the same size. Moving more often
// costs little: each byte is copied about eight times over its life.
func growArena(a []byte, n int) []byte {
	need := len(a) + n
	if need <= cap(a) {
		return a[:need]
	}
	return moveArena(a, need+max(need/8, arenaGrowMin))[:need]
}

// moveArena returns a copy of a with room for at least c bytes.
func moveArena(a []byte, c int) []byte {
	// append of a make is not an allocation of the make: the runtime
	// extends the nil slice by c zero bytes and rounds cap up to the size
	// class, which would otherwise be lost.
	na := append([]byte(nil), make([]byte, c)...)
	copy(na, a)
	return na[:len(a)]
}

// kill marks the entry at off dead and counts its bytes as garbage.
func (t *table) kill(off uint32) {
	t.garbage += int(eSize(t.arena, off))
	t.arena[off+hdrType] = 0
}

// needsCompact reports whether more than half of the arena is garbage.
func (t *table) needsCompact() bool {
	return len(t.arena) >= minCompact && t.garbage*2 > len(t.arena)
}

// compact copies every live entry into a fresh arena sized for them (plus
// an eighth of headroom), trimming each value's spare room, and repoints the
// index and TTL list. The old arena is left untouched (see above).
func (t *table) compact() {
	old := t.arena
	live := len(old) - t.garbage
	na := make([]byte, 0, live+live/8)
	for i, w := range t.idx.Words() {
		if w == 0 {
			continue
		}
		o := index.Off(w)
		kl, vl := eKeyLen(old, o), eValLen(old, o)
		no := uint32(len(na))
		na = append(na, old[o:o+hdrSize+kl+vl]...)
		le.PutUint32(na[no+hdrValCap:], vl)
		t.idx.SetOff(i, no)
		if eExpire(na, no) != 0 {
			t.vol[eVolIdx(na, no)] = no
		}
	}
	t.arena = na
	t.garbage = 0
}
