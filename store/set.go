package store

import "github.com/meshcache/meshcache/store/set"

// A set is a setObj, one of the store's collections (object.go): the set
// of store/set, which owns the encodings (intset, listpack, hashtable)
// OBJECT ENCODING reports, random members, SSCAN cursors and the set
// algebra. The set commands and effects are in set_tx.go and set_ops.go.
type setObj struct {
	set.Set
}

func (s *setObj) typ() Type        { return TypeSet }
func (s *setObj) length() int      { return s.Len() }
func (s *setObj) bytes() int64     { return s.Bytes() }
func (s *setObj) encoding() string { return s.Encoding() }

// clone returns a deep copy with the holes closed.
func (s *setObj) clone() object { return &setObj{Set: s.Clone()} }

// rebuild emits one SADD per member.
func (s *setObj) rebuild(slot uint16, key []byte, fn func(Effect) bool) bool {
	more := true
	s.Each(func(m []byte) bool {
		more = fn(Effect{Kind: EffectSAdd, Slot: slot, Key: key, Field: m})
		return more
	})
	return more
}

// elements is SORT's view of the set: its members, in no particular order.
func (s *setObj) elements(fn func(e []byte) bool) { s.Each(fn) }
