// Package hash is the data structure of a Redis hash: fields in a dense
// slice in insertion order with a map to their positions, HSCAN cursors
// that never miss a field, and Redis 7.2's listpack/hashtable encodings as
// OBJECT ENCODING reports them. It is pure: no locks, no effects, no
// memory accounting beyond Bytes, which the store's Tx layer
// (store/hash.go) reads before and after each write.
package hash

import "unsafe"

// A Hash is one Redis hash. Make one with New.
//
// Fields live in a dense slice in insertion order; a map gives a field's
// position. HSCAN cursors are positions, and the scheme keeps Redis's
// promise that a field present for the whole scan is returned:
//
//   - A small hash (at most compactAt fields) is returned whole by every
//     HSCAN call, with cursor 0, as Redis does for listpack hashes. While
//     small, the slice has no holes: HDEL closes the gap at once.
//   - A big hash never moves a field: HDEL leaves a hole that a later HSET
//     may fill, and a cursor is the next position to look at. A field that
//     stays put is at a position the scan has not passed yet or has visited.
//   - Moving fields (closing holes when a big hash becomes small) bumps the
//     hash's generation, which is the cursor's high 32 bits; a cursor of an
//     older generation restarts the scan from position 0, which may return
//     fields twice (allowed) but never misses one.
//
// The encoding reported by OBJECT follows Redis: "listpack" until a write
// leaves the hash with more fields than the Limits that write is given, or
// sets a field or value longer than them, then "hashtable" for good (Redis
// never converts a hash back). The cursor scheme's small/big line
// (compactAt) is a layout fact of this package, not the encoding.
type Hash struct {
	pos    map[string]int32 // field -> index in fields
	fields []hfield
	free   []int32 // holes in fields, reused while big
	live   int
	gen    uint32
	table  bool  // converted to the hashtable encoding
	data   int64 // string bytes of fields and values, rounded as allocated
}

// hfield is one field of a hash; used is false for a hole.
type hfield struct {
	f, v string
	used bool
}

// compactAt is the most fields of a hash whose slice has no holes and
// which HSCAN returns whole.
const compactAt = 128

// Limits are the listpack encoding's bounds, Redis's
// hash-max-listpack-entries and hash-max-listpack-value. A write that
// leaves the hash past them converts it to the hashtable encoding.
type Limits struct {
	Entries int // most fields of a listpack hash
	Value   int // longest field or value of a listpack hash, bytes
}

// DefaultLimits are Redis 7.2's defaults.
var DefaultLimits = Limits{Entries: 512, Value: 64}

// New returns an empty hash.
func New() Hash { return Hash{pos: make(map[string]int32)} }

// roundStr is the heap size of a string of n bytes, rounded to 8.
func roundStr(n int) int64 { return int64(n+7) &^ 7 }

// hashOverhead is the Hash struct and its map header.
const hashOverhead = int64(unsafe.Sizeof(Hash{})) + 48

// Bytes estimates the heap the hash holds: the struct, the field slice by
// capacity, the holes list, the strings, and the map. Go's swiss map keeps
// groups of 8 slots (8 control bytes + 8 * 24-byte string/int32 slots =
// 200 bytes), at most 7/8 full, grown by doubling; the estimate sizes the
// map as the power-of-two group count that holds live fields at that load.
func (h *Hash) Bytes() int64 {
	return hashOverhead + int64(cap(h.fields))*int64(unsafe.Sizeof(hfield{})) +
		4*int64(cap(h.free)) + h.data + mapBytes(len(h.pos))
}

// mapBytes estimates the memory of a map[string]int32 with n entries.
func mapBytes(n int) int64 {
	groups := 1
	for groups*7 < n {
		groups *= 2
	}
	return int64(groups) * 200
}

// Encoding is OBJECT ENCODING's answer.
func (h *Hash) Encoding() string {
	if h.table {
		return "hashtable"
	}
	return "listpack"
}

// Get returns field f.
func (h *Hash) Get(f []byte) (string, bool) {
	i, ok := h.pos[string(f)]
	if !ok {
		return "", false
	}
	return h.fields[i].v, true
}

// Set sets field f to v, converting to the hashtable encoding when the
// hash passes lim, as Redis's hashTypeTryConversion; it reports whether f
// is new.
func (h *Hash) Set(f, v []byte, lim Limits) bool {
	if len(f) > lim.Value || len(v) > lim.Value {
		h.table = true
	}
	if i, ok := h.pos[string(f)]; ok {
		old := h.fields[i].v
		h.fields[i].v = string(v)
		h.data += roundStr(len(v)) - roundStr(len(old))
		if h.live > lim.Entries { // Redis checks after an overwrite too
			h.table = true
		}
		return false
	}
	fs := string(f)
	var i int32
	if h.live >= compactAt && len(h.free) > 0 {
		i = h.free[len(h.free)-1]
		h.free = h.free[:len(h.free)-1]
		h.fields[i] = hfield{f: fs, v: string(v), used: true}
	} else {
		i = int32(len(h.fields))
		h.fields = append(h.fields, hfield{f: fs, v: string(v), used: true})
	}
	h.pos[fs] = i
	h.live++
	h.data += roundStr(len(f)) + roundStr(len(v))
	if h.live > lim.Entries {
		h.table = true
	}
	return true
}

// TryConversion is Redis's hashTypeTryConversion, run before a write that
// sets the field/value pairs of args: a listpack hash converts to the
// hashtable encoding up front when the write brings more pairs than
// lim.Entries (duplicates counted, as Redis presizes its table for them)
// or a field or value longer than lim.Value. So HSET of 600 pairs of one
// field leaves a hashtable of one field, as Redis.
func (h *Hash) TryConversion(args [][]byte, lim Limits) {
	if h.table {
		return
	}
	if len(args)/2 > lim.Entries {
		h.table = true
		return
	}
	for _, a := range args {
		if len(a) > lim.Value {
			h.table = true
			return
		}
	}
}

// Delete deletes field f; it reports whether it existed.
func (h *Hash) Delete(f []byte) bool {
	i, ok := h.pos[string(f)]
	if !ok {
		return false
	}
	old := h.fields[i]
	delete(h.pos, old.f)
	h.fields[i] = hfield{}
	h.live--
	h.data -= roundStr(len(old.f)) + roundStr(len(old.v))
	if h.live <= compactAt {
		h.closeHoles()
	} else {
		h.free = append(h.free, i)
	}
	return true
}

// closeHoles packs the fields to the front, renumbering them, and starts a
// new cursor generation.
func (h *Hash) closeHoles() {
	if len(h.fields) == h.live {
		return
	}
	j := 0
	for _, fl := range h.fields {
		if !fl.used {
			continue
		}
		h.fields[j] = fl
		h.pos[fl.f] = int32(j)
		j++
	}
	clear(h.fields[j:])
	h.fields = h.fields[:j]
	if cap(h.fields) > 2*j+8 {
		h.fields = append([]hfield(nil), h.fields...)
	}
	h.free = nil
	h.gen++
}

// Each calls fn for each field in order until fn returns false.
func (h *Hash) Each(fn func(f, v string) bool) {
	for _, fl := range h.fields {
		if fl.used && !fn(fl.f, fl.v) {
			return
		}
	}
}

// Scan implements HSCAN (see the type's doc for the cursor scheme).
func (h *Hash) Scan(cursor uint64, count int, fn func(f, v string)) uint64 {
	if h.live <= compactAt {
		h.Each(func(f, v string) bool { fn(f, v); return true })
		return 0
	}
	if count <= 0 {
		count = 10
	}
	i := int(uint32(cursor))
	if uint32(cursor>>32) != h.gen {
		i = 0
	}
	for seen, sent := 0, 0; i < len(h.fields) && sent < count && seen < count*10; i++ {
		seen++
		if fl := h.fields[i]; fl.used {
			fn(fl.f, fl.v)
			sent++
		}
	}
	if i >= len(h.fields) {
		return 0
	}
	return uint64(h.gen)<<32 | uint64(i)
}

// Len is the number of fields.
func (h *Hash) Len() int { return h.live }

// Clone returns a deep copy with the holes closed.
func (h *Hash) Clone() Hash {
	c := Hash{pos: make(map[string]int32, h.live), fields: make([]hfield, 0, h.live), table: h.table}
	for _, fl := range h.fields {
		if fl.used {
			c.pos[fl.f] = int32(len(c.fields))
			c.fields = append(c.fields, fl)
		}
	}
	c.live = len(c.fields)
	c.data = h.data
	return c
}
