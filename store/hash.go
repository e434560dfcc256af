package store

import (
	"unsafe"

	"github.com/meshcache/meshcache/store/hash"
)

// A hash is a hashObj, one of the store's collections (object.go): the
// hash of store/hash, which owns the layout, HSCAN's cursors and the
// encoding OBJECT ENCODING reports. The hash commands and effects are
// below.
type hashObj struct {
	hash.Hash
}

func newHash() *hashObj { return &hashObj{Hash: hash.New()} }

func (h *hashObj) typ() Type        { return TypeHash }
func (h *hashObj) length() int      { return h.Len() }
func (h *hashObj) bytes() int64     { return h.Bytes() }
func (h *hashObj) encoding() string { return h.Encoding() }

// clone returns a deep copy with the holes closed.
func (h *hashObj) clone() object { return &hashObj{Hash: h.Clone()} }

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
	v, ok := h.Get(field)
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
	isNew := w.obj.(*hashObj).Set(field, value, tx.enc.Hash)
	tx.emit(Effect{Kind: EffectHSet, Slot: w.sl.id, Key: key, Field: field, Value: value})
	tx.commitObject(w, true)
	return isNew, nil
}

// HSetPairs sets the field/value pairs of pairs (HSET, HMSET) in one
// write: the hash takes the hashtable encoding first when the pairs pass
// the encoding limits (hash.TryConversion, as Redis), then each pair is
// set and replicated as its own HSET effect. It returns how many fields
// are new; a key of another type fails before anything is written.
func (tx *Tx) HSetPairs(key []byte, pairs [][]byte) (int, error) {
	w, err := tx.writeObject(key, TypeHash, func() object { return newHash() }, false)
	if err != nil {
		return 0, err
	}
	h := w.obj.(*hashObj)
	h.TryConversion(pairs, tx.enc.Hash)
	added := 0
	for i := 0; i+1 < len(pairs); i += 2 {
		if h.Set(pairs[i], pairs[i+1], tx.enc.Hash) {
			added++
		}
		tx.emit(Effect{Kind: EffectHSet, Slot: w.sl.id, Key: key, Field: pairs[i], Value: pairs[i+1]})
	}
	tx.commitObject(w, true)
	return added, nil
}

// HDel deletes a hash field; it reports whether it existed. The key goes
// away with its last field.
func (tx *Tx) HDel(key, field []byte) (bool, error) {
	w, err := tx.writeObject(key, TypeHash, nil, false)
	if w.obj == nil || err != nil {
		return false, err
	}
	existed := w.obj.(*hashObj).Delete(field)
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
	return h.Len(), nil
}

// HRange calls fn for each field of the hash at key until fn returns false.
// fn must not modify the store or the slices it is given.
func (tx *Tx) HRange(key []byte, fn func(field, value []byte) bool) error {
	h, err := tx.hashAt(key)
	if h == nil || err != nil {
		return err
	}
	h.Each(func(f, v string) bool { return fn(bytesOf(f), bytesOf(v)) })
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
	return h.Scan(cursor, count, func(f, v string) { fn(bytesOf(f), bytesOf(v)) }), nil
}

// rebuild emits one HSET per field.
func (h *hashObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	h.Each(func(f, v string) bool {
		more = fn(Effect{Kind: EffectHSet, Slot: slot, Key: key, Field: bytesOf(f), Value: bytesOf(v)})
		return more
	})
	return more
}
