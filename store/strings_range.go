package store

import (
	"errors"
	"fmt"
	"strconv"
)

// Writes to part of a string (SETRANGE, APPEND, SETBIT, BITFIELD) change a
// range of its bytes in place and replicate as one EffectSetRange: Field is
// the offset in decimal, Value the bytes now at [offset, offset+len(Value)).
// Applying it writes those bytes there, growing the string with zero bytes
// when it is shorter (creating it, with no TTL, when it is missing), and
// keeps the key's TTL: so it is idempotent, and a SETBIT on a 100 MB string
// ships one byte, not the string.

// ErrStringRange is returned for a range that cannot fit a slot's arena.
var ErrStringRange = errors.New("ERR string exceeds maximum allowed size")

// greedyRoom is the room a string growing to n bytes is given, as Redis's
// sdsMakeRoomFor: double it below 1 MB, else 1 MB more.
func greedyRoom(n int) int {
	const mb = 1 << 20
	if n < mb {
		return 2 * n
	}
	return n + mb
}

// StringLen returns the length of the string at key without handing out
// its bytes (so the Tx may still write it in place); a missing key gives
// (0, false, nil) and another type ErrWrongType. It does not count as a
// keyspace hit or miss: write commands look their keys up this way.
func (tx *Tx) StringLen(key []byte) (int, bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return 0, false, err
	}
	off, _, ok := tx.find(sl, key, h)
	if !ok {
		return 0, false, nil
	}
	if eType(sl.t.arena, off) != TypeString {
		return 0, false, ErrWrongType
	}
	return int(eValLen(sl.t.arena, off)), true, nil
}

// PeekString calls fn with the string at key without handing its bytes out
// of the Tx, so that the Tx may still write the string in place: fn must
// not keep v nor call into the store. A missing key gives false without
// calling fn, another type ErrWrongType. It does not count as a keyspace
// hit or miss (write commands look their keys up this way).
func (tx *Tx) PeekString(key []byte, fn func(v []byte)) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, _, ok := tx.find(sl, key, h)
	if !ok {
		return false, nil
	}
	if eType(sl.t.arena, off) != TypeString {
		return false, ErrWrongType
	}
	fn(eVal(sl.t.arena, off))
	return true, nil
}

// ModifyRange makes the string at key at least offset+n bytes long (growing
// it with zero bytes, creating it when missing) and calls fn with the whole
// string, of which fn may change the window [offset, offset+n) in place and
// nothing else; the key keeps its TTL. It emits one EffectSetRange of the
// window fn leaves, and returns the string's new length. n must be
// positive. fn must not call into the store nor keep v. Another type gives
// ErrWrongType (a replay replaces it, so that any earlier state converges).
func (tx *Tx) ModifyRange(key []byte, offset, n int, fn func(v []byte)) (int, error) {
	if offset < 0 || n <= 0 {
		return 0, fmt.Errorf("modify range [%d, +%d) of a string: bad range", offset, n)
	}
	sl, h, err := tx.at(key)
	if err != nil {
		return 0, err
	}
	end := offset + n
	if uint64(end)+uint64(len(key))+hdrSize > maxArena {
		return 0, ErrStringRange
	}
	off, pos, found := tx.find(sl, key, h)
	var old []byte
	var exp int64
	str := false
	if found {
		a := sl.t.arena
		if eType(a, off) == TypeString {
			old, str = eVal(a, off), true
		} else if !tx.replay {
			return 0, ErrWrongType
		}
		exp = eExpire(a, off)
	}
	size := max(len(old), end)
	var window []byte
	if str && !tx.pinned && size <= int(eValCap(sl.t.arena, off)) {
		t := sl.t
		a := t.arena
		s := int(off) + hdrSize + int(eKeyLen(a, off))
		v := a[s : s+size : s+size]
		clear(v[len(old):]) // spare room may hold an older, longer value
		setValLen(a, off, uint32(size))
		fn(v)
		setRaw(a, off)
		window = v[offset:end]
		tx.access(t, off)
	} else {
		// Made in the arena directly, so that a SETBIT at offset 2^32-1
		// allocates its 512 MB once. old stays readable: the new entry is
		// appended (room exceeds the old entry's, or the Tx is pinned) and
		// arena bytes once written are never overwritten (arena.go).
		room := size
		if str && size > len(old) {
			room = greedyRoom(size)
		}
		noff, err := tx.installRoom(sl, h, key, nil, room, nil, exp, pos, off, found)
		if err != nil {
			return 0, err
		}
		a := sl.t.arena
		s := int(noff) + hdrSize + len(key)
		v := a[s : s+size : s+size]
		clear(v[copy(v, old):])
		setValLen(a, noff, uint32(size))
		fn(v)
		setRaw(a, noff)
		window = v[offset:end]
		tx.access(sl.t, noff)
	}
	sl.touchWatch(key)
	var num [20]byte
	tx.emit(Effect{Kind: EffectSetRange, Slot: sl.id, Key: key, Field: strconv.AppendInt(num[:0], int64(offset), 10), Value: window})
	tx.done(sl)
	return size, nil
}

// applySetRange applies an EffectSetRange.
func (tx *Tx) applySetRange(e Effect) error {
	offset, err := strconv.ParseInt(string(e.Field), 10, 64)
	if err != nil || offset < 0 || offset > maxArena {
		return fmt.Errorf("setrange offset %q: not an offset", e.Field)
	}
	if len(e.Value) == 0 {
		return nil
	}
	_, err = tx.ModifyRange(e.Key, int(offset), len(e.Value), func(v []byte) { copy(v[offset:], e.Value) })
	return err
}
