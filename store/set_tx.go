package store

import (
	"bytes"

	"github.com/meshcache/meshcache/store/set"
)

// The Tx API of sets. Member slices handed to callbacks alias store memory
// (or a scratch buffer for intset members): they are valid during the
// call only, and the callback must not modify the store.

// setAt returns key's set for reading: nil when missing, ErrWrongType when
// key holds another type.
func (tx *Tx) setAt(key []byte) (*setObj, error) {
	o, err := tx.readObject(key, TypeSet)
	if o == nil || err != nil {
		return nil, err
	}
	return o.(*setObj), nil
}

// SAdd adds members to the set at key, creating it; it returns how many
// were new. A key of another type gives ErrWrongType.
func (tx *Tx) SAdd(key []byte, members ...[]byte) (int, error) {
	return tx.sadd(key, members, false)
}

// sadd is SAdd; with force (replication) another type at key is replaced.
// As Redis's SADD, the number of members is a hint that picks a new set's
// encoding and converts a small one up front.
func (tx *Tx) sadd(key []byte, members [][]byte, force bool) (int, error) {
	if len(members) == 0 {
		return 0, nil
	}
	w, err := tx.writeObject(key, TypeSet, func() object { return &setObj{Set: set.NewFor(members[0], len(members), tx.enc.Set)} }, force)
	if err != nil {
		return 0, err
	}
	s := w.obj.(*setObj)
	s.Reserve(len(members), tx.enc.Set)
	added := 0
	for _, m := range members {
		if s.Add(m, tx.enc.Set) {
			added++
			tx.emit(Effect{Kind: EffectSAdd, Slot: w.sl.id, Key: key, Field: m})
		}
	}
	tx.commitObject(w, added > 0)
	return added, nil
}

// SRem removes members from the set at key; it returns how many were
// members. The key goes away with its last member.
func (tx *Tx) SRem(key []byte, members ...[]byte) (int, error) {
	w, err := tx.writeObject(key, TypeSet, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	s := w.obj.(*setObj)
	removed := 0
	for _, m := range members {
		if s.Remove(m) {
			removed++
			tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: key, Field: m})
			if s.Len() == 0 {
				break
			}
		}
	}
	tx.commitObject(w, removed > 0)
	return removed, nil
}

// SCard returns the number of members of the set at key (0 when missing).
func (tx *Tx) SCard(key []byte) (int, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return 0, err
	}
	return s.Len(), nil
}

// SIsMember reports whether member is in the set at key.
func (tx *Tx) SIsMember(key, member []byte) (bool, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return false, err
	}
	return s.Has(member), nil
}

// SMIsMember calls fn with whether each member is in the set at key (all
// false when it is missing), after checking the key's type.
func (tx *Tx) SMIsMember(key []byte, members [][]byte, fn func(bool)) error {
	s, err := tx.setAt(key)
	if err != nil {
		return err
	}
	for _, m := range members {
		fn(s != nil && s.Has(m))
	}
	return nil
}

// SMembers calls fn for each member of the set at key, after telling head
// how many there are (head is not called when the key is missing). It
// returns the number of members.
func (tx *Tx) SMembers(key []byte, head func(n int), fn func(m []byte)) (int, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return 0, err
	}
	if head != nil {
		head(s.Len())
	}
	s.Each(func(m []byte) bool { fn(m); return true })
	return s.Len(), nil
}

// SScan returns members of the set at key from cursor on, about count of
// them, and the next cursor (0 when done); members present for the whole
// scan are returned at least once (see set.Set).
func (tx *Tx) SScan(key []byte, cursor uint64, count int, fn func(m []byte)) (uint64, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return 0, err
	}
	return s.Scan(cursor, count, fn), nil
}

// SRandMember answers SRANDMEMBER with a count, by Redis's cases: count <
// 0 gives |count| members drawn independently (repeats allowed); count >= 0
// gives min(count, size) distinct members. head gets the number of
// members before the first call of fn; neither is called when the key is
// missing (found false).
func (tx *Tx) SRandMember(key []byte, count int64, head func(n int), fn func(m []byte)) (found bool, err error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return false, err
	}
	s.RandomMembers(count, head, fn)
	return true, nil
}

// spopMoveMul is Redis's SPOP_MOVE_STRATEGY_MUL: when the members left
// after SPOP are at most count/5, Redis builds a new set of them.
const spopMoveMul = 5

// SPop removes min(count, size) random distinct members from the set at
// key, calling head with their number and then fn with each before it
// goes; found is false (and nothing called) when the key is missing.
// Popping the whole set deletes the key (one DEL effect); otherwise each
// member popped is an SREM effect. When few members remain, the set is
// rebuilt in the encoding a new set of them would have, as Redis's SPOP
// does.
func (tx *Tx) SPop(key []byte, count int64, head func(n int), fn func(m []byte)) (found bool, err error) {
	w, err := tx.writeObject(key, TypeSet, nil, false)
	if w.obj == nil || err != nil {
		return false, err
	}
	s := w.obj.(*setObj)
	size := int64(s.Len())
	if count >= size {
		head(int(size))
		s.Each(func(m []byte) bool { fn(m); return true })
		// Delete emits the DEL, counts the memory and ends the write.
		_, err := tx.Delete(key)
		return true, err
	}
	head(int(count))
	buf := s.Scratch()
	for range count {
		s.PopRandom(buf, func(m []byte) {
			fn(m)
			tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: key, Field: m})
		})
	}
	if (size-count)*spopMoveMul <= count {
		s.Renew(tx.enc.Set)
	}
	tx.commitObject(w, count > 0)
	return true, nil
}

// SMove moves member from the set at src to the set at dst, creating dst;
// it reports whether member was moved (or, src == dst, is a member). A
// missing src answers false before dst's type is looked at, as Redis.
func (tx *Tx) SMove(src, dst, member []byte) (bool, error) {
	moved, _, err := tx.SMoveAdded(src, dst, member)
	return moved, err
}

// SMoveAdded is SMove that also reports whether dst gained the member
// (false when dst had it already): keyspace notifications tell "sadd"
// only then, as Redis's.
func (tx *Tx) SMoveAdded(src, dst, member []byte) (moved, added bool, err error) {
	w, err := tx.writeObject(src, TypeSet, nil, false)
	if w.obj == nil || err != nil {
		return false, false, err
	}
	t, err := tx.Type(dst)
	if err == nil && t != TypeNone && t != TypeSet {
		err = ErrWrongType
	}
	if err != nil {
		tx.commitObject(w, false)
		return false, false, err
	}
	s := w.obj.(*setObj)
	if bytes.Equal(src, dst) {
		ok := s.Has(member)
		tx.commitObject(w, false)
		return ok, false, nil
	}
	if !s.Remove(member) {
		tx.commitObject(w, false)
		return false, false, nil
	}
	tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: src, Field: member})
	tx.commitObject(w, true)
	n, err := tx.sadd(dst, [][]byte{member}, false)
	return true, n > 0, err
}

// applySet applies a replicated SADD (replacing a key of another type, as
// the primary's effect wins) or SREM (nothing to remove from another
// type: converged).
func (tx *Tx) applySet(e Effect) error {
	if e.Kind == EffectSAdd {
		_, err := tx.sadd(e.Key, [][]byte{e.Field}, true)
		return err
	}
	_, err := tx.SRem(e.Key, e.Field)
	if err == ErrWrongType {
		err = nil
	}
	return err
}
