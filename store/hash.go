package store

import "unsafe"

// Hashes are ordinary Go values: a hashObj per hash key, held in its slot's
// table.hashes and named by number from the key's arena entry.
//
// Fields live in a dense slice in insertion order; a map gives a field's
// position. HSCAN cursors are positions, and the scheme keeps Redis's
// promise that a field present for the whole scan is returned:
//
//   - A small hash (at most hashSmall fields) is returned whole by every
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
// The encoding reported by OBJECT follows Redis: "listpack" until the hash
// has more than 128 fields or a field or value longer than 64 bytes, then
// "hashtable" for good.
type hashObj struct {
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

const (
	hashSmall      = 128 // hash-max-listpack-entries
	hashSmallValue = 64  // hash-max-listpack-value
)

func newHash() *hashObj { return &hashObj{pos: make(map[string]int32)} }

// roundStr is the heap size of a string of n bytes, rounded to 8.
func roundStr(n int) int64 { return int64(n+7) &^ 7 }

// hashObjOverhead is the hashObj struct and its map header.
const hashObjOverhead = int64(unsafe.Sizeof(hashObj{})) + 48

// bytes estimates the heap the hash holds: the struct, the field slice by
// capacity, the holes list, the strings, and the map. Go's swiss map keeps
// groups of 8 slots (8 control bytes + 8 * 24-byte string/int32 slots =
// 200 bytes), at most 7/8 full, grown by doubling; the estimate sizes the
// map as the power-of-two group count that holds live fields at that load.
func (h *hashObj) bytes() int64 {
	return hashObjOverhead + int64(cap(h.fields))*int64(unsafe.Sizeof(hfield{})) +
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

// encoding is OBJECT ENCODING's answer.
func (h *hashObj) encoding() string {
	if h.table {
		return "hashtable"
	}
	return "listpack"
}

// get returns field f.
func (h *hashObj) get(f []byte) (string, bool) {
	i, ok := h.pos[string(f)]
	if !ok {
		return "", false
	}
	return h.fields[i].v, true
}

// set sets field f to v; it reports whether f is new.
func (h *hashObj) set(f, v []byte) bool {
	if len(f) > hashSmallValue || len(v) > hashSmallValue {
		h.table = true
	}
	if i, ok := h.pos[string(f)]; ok {
		old := h.fields[i].v
		h.fields[i].v = string(v)
		h.data += roundStr(len(v)) - roundStr(len(old))
		return false
	}
	fs := string(f)
	var i int32
	if h.live >= hashSmall && len(h.free) > 0 {
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
	if h.live > hashSmall {
		h.table = true
	}
	return true
}

// del deletes field f; it reports whether it existed.
func (h *hashObj) del(f []byte) bool {
	i, ok := h.pos[string(f)]
	if !ok {
		return false
	}
	old := h.fields[i]
	delete(h.pos, old.f)
	h.fields[i] = hfield{}
	h.live--
	h.data -= roundStr(len(old.f)) + roundStr(len(old.v))
	if h.live <= hashSmall {
		h.closeHoles()
	} else {
		h.free = append(h.free, i)
	}
	return true
}

// closeHoles packs the fields to the front, renumbering them, and starts a
// new cursor generation.
func (h *hashObj) closeHoles() {
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

// each calls fn for each field in order until fn returns false.
func (h *hashObj) each(fn func(f, v string) bool) {
	for _, fl := range h.fields {
		if fl.used && !fn(fl.f, fl.v) {
			return
		}
	}
}

// scan implements HSCAN (see the type's doc for the cursor scheme).
func (h *hashObj) scan(cursor uint64, count int, fn func(f, v string)) uint64 {
	if h.live <= hashSmall {
		h.each(func(f, v string) bool { fn(f, v); return true })
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

// clone returns a deep copy with the holes closed.
func (h *hashObj) clone() *hashObj {
	c := &hashObj{pos: make(map[string]int32, h.live), fields: make([]hfield, 0, h.live), table: h.table}
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

// bytesOf returns s's bytes without copying; callers must not modify them.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// hashNum returns the hash number a hash entry's value holds.
func hashNum(a []byte, off uint32) uint32 { return le.Uint32(eVal(a, off)) }

// addHash stores h in the table and returns its number.
func (t *table) addHash(h *hashObj) uint32 {
	t.hashBytes += h.bytes()
	if n := len(t.freeHashes); n > 0 {
		num := t.freeHashes[n-1]
		t.freeHashes = t.freeHashes[:n-1]
		t.hashes[num] = h
		return num
	}
	t.hashes = append(t.hashes, h)
	return uint32(len(t.hashes) - 1)
}

// takeHash removes hash num from the table and returns it.
func (t *table) takeHash(num uint32) *hashObj {
	h := t.hashes[num]
	t.hashBytes -= h.bytes()
	t.hashes[num] = nil
	t.freeHashes = append(t.freeHashes, num)
	return h
}

// freeHash drops hash num.
func (t *table) freeHash(num uint32) { t.takeHash(num) }

// reattach makes the entry at off (whose hash was taken) hold h again.
func (t *table) reattach(off uint32, h *hashObj) {
	le.PutUint32(t.arena[off+hdrSize+eKeyLen(t.arena, off):], t.addHash(h))
	t.arena[off+hdrType] = byte(TypeHash)
}

// hashAt returns key's hash for reading: nil when missing, ErrWrongType
// when key holds a string.
func (tx *Tx) hashAt(key []byte) (*hashObj, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return nil, err
	}
	off, ok := tx.read(sl, key, h)
	if !ok {
		return nil, nil
	}
	t := sl.t
	if eType(t.arena, off) != TypeHash {
		return nil, ErrWrongType
	}
	tx.access(t, off)
	return t.hashes[hashNum(t.arena, off)], nil
}

// HGet returns a hash field. The slice is valid until tx is closed and must
// not be modified.
func (tx *Tx) HGet(key, field []byte) ([]byte, bool, error) {
	h, err := tx.hashAt(key)
	if h == nil || err != nil {
		return nil, false, err
	}
	v, ok := h.get(field)
	if !ok {
		return nil, false, nil
	}
	return bytesOf(v), true, nil
}

// HSet sets a hash field; it reports whether the field is new.
func (tx *Tx) HSet(key, field, value []byte) (bool, error) {
	return tx.hset(key, field, value, false)
}

// hset is HSet; with force (replication) a string at key is replaced.
func (tx *Tx) hset(key, field, value []byte, force bool) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, pos, ok := tx.find(sl, key, h)
	if ok && eType(sl.t.arena, off) != TypeHash {
		if !force {
			return false, ErrWrongType
		}
		tx.remove(sl, pos, off, key)
		ok = false
	}
	if !ok {
		if off, err = tx.install(sl, h, key, nil, newHash(), 0, 0, 0, false); err != nil {
			return false, err
		}
	} else {
		tx.access(sl.t, off)
	}
	t := sl.t
	hv := t.hashes[hashNum(t.arena, off)]
	before := hv.bytes()
	isNew := hv.set(field, value)
	t.hashBytes += hv.bytes() - before
	sl.touchWatch(key)
	tx.emit(Effect{Kind: EffectHSet, Slot: sl.id, Key: key, Field: field, Value: value})
	tx.done(sl)
	return isNew, nil
}

// HDel deletes a hash field; it reports whether it existed. The key goes
// away with its last field.
func (tx *Tx) HDel(key, field []byte) (bool, error) {
	sl, h, err := tx.at(key)
	if err != nil {
		return false, err
	}
	off, pos, ok := tx.find(sl, key, h)
	if !ok {
		return false, nil
	}
	t := sl.t
	if eType(t.arena, off) != TypeHash {
		return false, ErrWrongType
	}
	hv := t.hashes[hashNum(t.arena, off)]
	before := hv.bytes()
	if !hv.del(field) {
		return false, nil
	}
	t.hashBytes += hv.bytes() - before
	tx.emit(Effect{Kind: EffectHDel, Slot: sl.id, Key: key, Field: field})
	if hv.live == 0 {
		sl.release(pos, off)
	} else {
		tx.access(t, off)
	}
	sl.touchWatch(key)
	tx.done(sl)
	return true, nil
}

// HLen returns the number of fields in the hash at key.
func (tx *Tx) HLen(key []byte) (int, error) {
	h, err := tx.hashAt(key)
	if h == nil || err != nil {
		return 0, err
	}
	return h.live, nil
}

// HRange calls fn for each field of the hash at key until fn returns false.
// fn must not modify the store or the slices it is given.
func (tx *Tx) HRange(key []byte, fn func(field, value []byte) bool) error {
	h, err := tx.hashAt(key)
	if h == nil || err != nil {
		return err
	}
	h.each(func(f, v string) bool { return fn(bytesOf(f), bytesOf(v)) })
	return nil
}

// HScan returns fields of the hash at key from cursor on, about count of
// them, and the next cursor (0 when done). Fields present for the whole scan
// are returned at least once, as Redis promises (see hashObj). fn must not
// modify the store or the slices it is given.
func (tx *Tx) HScan(key []byte, cursor uint64, count int, fn func(field, value []byte)) (uint64, error) {
	h, err := tx.hashAt(key)
	if h == nil || err != nil {
		return 0, err
	}
	return h.scan(cursor, count, func(f, v string) { fn(bytesOf(f), bytesOf(v)) }), nil
}

// emitHash emits the effects that recreate hash h at key from nothing:
// DEL, one HSET per field, and PEXPIREAT when it has a TTL.
func (tx *Tx) emitHash(sn uint16, key []byte, h *hashObj, exp int64) {
	if tx.sink == nil {
		return
	}
	tx.emit(Effect{Kind: EffectDel, Slot: sn, Key: key})
	h.each(func(f, v string) bool {
		tx.emit(Effect{Kind: EffectHSet, Slot: sn, Key: key, Field: bytesOf(f), Value: bytesOf(v)})
		return true
	})
	if exp != 0 {
		tx.emit(Effect{Kind: EffectExpire, Slot: sn, Key: key, ExpireAt: exp})
	}
}
