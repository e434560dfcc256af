package store

import "unsafe"

// A hash is a hashObj, one of the store's collections (object.go).
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

func (h *hashObj) typ() Type   { return TypeHash }
func (h *hashObj) length() int { return h.live }

// clone returns a deep copy with the holes closed.
func (h *hashObj) clone() object {
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

// hashAt returns key's hash for reading: nil when missing, ErrWrongType
// when key holds another type.
func (tx *Tx) hashAt(key []byte) (*hashObj, error) {
	o, err := tx.readObject(key, TypeHash)
	if o == nil || err != nil {
		return nil, err
	}
	return o.(*hashObj), nil
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

// hset is HSet; with force (replication) another type at key is replaced.
func (tx *Tx) hset(key, field, value []byte, force bool) (bool, error) {
	w, err := tx.writeObject(key, TypeHash, func() object { return newHash() }, force)
	if err != nil {
		return false, err
	}
	isNew := w.obj.(*hashObj).set(field, value)
	tx.emit(Effect{Kind: EffectHSet, Slot: w.sl.id, Key: key, Field: field, Value: value})
	tx.commitObject(w, true)
	return isNew, nil
}

// HDel deletes a hash field; it reports whether it existed. The key goes
// away with its last field.
func (tx *Tx) HDel(key, field []byte) (bool, error) {
	w, err := tx.writeObject(key, TypeHash, nil, false)
	if w.obj == nil || err != nil {
		return false, err
	}
	existed := w.obj.(*hashObj).del(field)
	if existed {
		tx.emit(Effect{Kind: EffectHDel, Slot: w.sl.id, Key: key, Field: field})
	}
	tx.commitObject(w, existed)
	return existed, nil
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

// rebuild emits one HSET per field.
func (h *hashObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	h.each(func(f, v string) bool {
		more = fn(Effect{Kind: EffectHSet, Slot: slot, Key: key, Field: bytesOf(f), Value: bytesOf(v)})
		return more
	})
	return more
}
