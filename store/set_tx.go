package store

import (
	"bytes"
	"math/rand/v2"
	"slices"
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
	w, err := tx.writeObject(key, TypeSet, func() object { return newSetFor(members[0], len(members)) }, force)
	if err != nil {
		return 0, err
	}
	s := w.obj.(*setObj)
	if (s.enc == setListpack && len(members) > setMaxListpack) || (s.enc == setIntset && len(members) > setMaxIntset) {
		s.convert(setHashtable)
		s.growIndex(s.live + len(members))
	}
	added := 0
	for _, m := range members {
		if s.add(m) {
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
		if s.remove(m) {
			removed++
			tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: key, Field: m})
			if s.length() == 0 {
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
	return s.length(), nil
}

// SIsMember reports whether member is in the set at key.
func (tx *Tx) SIsMember(key, member []byte) (bool, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return false, err
	}
	return s.has(member), nil
}

// SMIsMember calls fn with whether each member is in the set at key (all
// false when it is missing), after checking the key's type.
func (tx *Tx) SMIsMember(key []byte, members [][]byte, fn func(bool)) error {
	s, err := tx.setAt(key)
	if err != nil {
		return err
	}
	for _, m := range members {
		fn(s != nil && s.has(m))
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
		head(s.length())
	}
	s.each(func(m []byte) bool { fn(m); return true })
	return s.length(), nil
}

// SScan returns members of the set at key from cursor on, about count of
// them, and the next cursor (0 when done); members present for the whole
// scan are returned at least once (see setObj).
func (tx *Tx) SScan(key []byte, cursor uint64, count int, fn func(m []byte)) (uint64, error) {
	s, err := tx.setAt(key)
	if s == nil || err != nil {
		return 0, err
	}
	return s.scan(cursor, count, fn), nil
}

// scratch returns a buffer for formatting an intset's members (nil for
// other encodings, which need none: no allocation on their paths).
func (s *setObj) scratch() []byte {
	if s.enc == setIntset {
		return make([]byte, 0, 20)
	}
	return nil
}

// randomMember returns a uniformly random member (s not empty).
func (s *setObj) randomMember(buf []byte) []byte {
	if s.enc == setIntset {
		return appendInt(buf[:0], s.ints[rand.IntN(len(s.ints))])
	}
	return s.member(s.randomIndex())
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
	size := int64(s.length())
	buf := s.scratch()
	switch {
	case count < 0:
		head(int(-count))
		for range -count {
			fn(s.randomMember(buf[:0]))
		}
	case count >= size:
		head(int(size))
		s.each(func(m []byte) bool { fn(m); return true })
	default:
		head(int(count))
		for _, i := range s.sample(int(count)) {
			fn(s.at(i, buf[:0]))
		}
	}
	return true, nil
}

// at returns member i: position i of an intset, dense entry i otherwise.
func (s *setObj) at(i int, buf []byte) []byte {
	if s.enc == setIntset {
		return appendInt(buf, s.ints[i])
	}
	return s.member(i)
}

// sample returns count distinct random positions (as at takes them),
// 0 < count < size, uniformly: when count is a large part of the set, a
// partial shuffle of every position (Redis's CASE 3), else draws with
// rejection of repeats (CASE 4).
func (s *setObj) sample(count int) []int {
	size := s.length()
	if count*3 > size {
		all := make([]int, 0, size)
		if s.enc == setIntset {
			for i := range s.ints {
				all = append(all, i)
			}
		} else {
			for i, off := range s.offs {
				if off != holeOff {
					all = append(all, i)
				}
			}
		}
		for i := range count {
			j := i + rand.IntN(len(all)-i)
			all[i], all[j] = all[j], all[i]
		}
		return all[:count]
	}
	picked := make(map[int]struct{}, count)
	out := make([]int, 0, count)
	for len(out) < count {
		var i int
		if s.enc == setIntset {
			i = rand.IntN(len(s.ints))
		} else {
			i = s.randomIndex()
		}
		if _, dup := picked[i]; !dup {
			picked[i] = struct{}{}
			out = append(out, i)
		}
	}
	return out
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
	size := int64(s.length())
	if count >= size {
		head(int(size))
		s.each(func(m []byte) bool { fn(m); return true })
		// Delete emits the DEL, counts the memory and ends the write.
		_, err := tx.Delete(key)
		return true, err
	}
	head(int(count))
	buf := s.scratch()
	for range count {
		var m []byte
		if s.enc == setIntset {
			i := rand.IntN(len(s.ints))
			m = appendInt(buf[:0], s.ints[i])
			fn(m)
			s.ints = slices.Delete(s.ints, i, i+1)
		} else {
			i := s.randomIndex()
			m = s.member(i)
			fn(m)
			tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: key, Field: m})
			p, _, _ := s.find(m, memberHash(m))
			s.removeAt(p, i)
			continue
		}
		tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: key, Field: m})
	}
	if (size-count)*spopMoveMul <= count {
		s.renew(freshSet(s.enc == setIntset))
	}
	tx.commitObject(w, count > 0)
	return true, nil
}

// renew refills fresh with s's members and makes s that set, in a new
// cursor generation.
func (s *setObj) renew(fresh *setObj) {
	s.each(func(m []byte) bool { fresh.add(m); return true })
	fresh.gen = s.gen + 1
	*s = *fresh
}

// appendInt appends v in decimal.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 && v < 10 {
		return append(b, byte('0'+v))
	}
	var tmp [20]byte
	i := len(tmp)
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	for u > 0 {
		i--
		tmp[i] = byte('0' + u%10)
		u /= 10
	}
	if v < 0 {
		i--
		tmp[i] = '-'
	}
	return append(b, tmp[i:]...)
}

// SMove moves member from the set at src to the set at dst, creating dst;
// it reports whether member was moved (or, src == dst, is a member). A
// missing src answers false before dst's type is looked at, as Redis.
func (tx *Tx) SMove(src, dst, member []byte) (bool, error) {
	w, err := tx.writeObject(src, TypeSet, nil, false)
	if w.obj == nil || err != nil {
		return false, err
	}
	t, err := tx.Type(dst)
	if err == nil && t != TypeNone && t != TypeSet {
		err = ErrWrongType
	}
	if err != nil {
		tx.commitObject(w, false)
		return false, err
	}
	s := w.obj.(*setObj)
	if bytes.Equal(src, dst) {
		ok := s.has(member)
		tx.commitObject(w, false)
		return ok, nil
	}
	if !s.remove(member) {
		tx.commitObject(w, false)
		return false, nil
	}
	tx.emit(Effect{Kind: EffectSRem, Slot: w.sl.id, Key: src, Field: member})
	tx.commitObject(w, true)
	if _, err := tx.sadd(dst, [][]byte{member}, false); err != nil {
		return true, err
	}
	return true, nil
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
