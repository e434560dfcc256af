package store

import (
	"errors"

	"github.com/meshcache/meshcache/store/zset"
)

// The sorted-set API of Tx. Every mutation emits idempotent effects per
// member: EffectZAdd with the member's resulting score, EffectZRem.
// Member slices handed to callbacks alias store memory that is never
// modified (they stay valid after the Tx closes) but must not be modified.

// ErrZScoreNaN is ZADD INCR's and ZINCRBY's error when the sum is NaN.
var ErrZScoreNaN = errors.New("ERR resulting score is not a number (NaN)")

// ZAddFlags are ZADD's conditions.
type ZAddFlags uint8

// ZADD's conditions (the caller refuses the incompatible combinations).
const (
	ZAddNX   ZAddFlags = 1 << iota // only add new members
	ZAddXX                         // only update existing members
	ZAddGT                         // only update when the new score is greater
	ZAddLT                         // only update when the new score is less
	ZAddIncr                       // add score to the current score (0 when new)
)

// ZAddOutcome says what ZAdd did.
type ZAddOutcome uint8

// ZAdd outcomes. CH counts ZAddAdded and ZAddUpdated; INCR answers the
// score unless the outcome is ZAddNop.
const (
	ZAddNop     ZAddOutcome = iota // a condition refused (NX on a member, XX on none, GT/LT)
	ZAddSame                       // processed, the score did not change
	ZAddUpdated                    // the member's score changed
	ZAddAdded                      // the member is new
)

// ZScoreRange is an interval of scores (zset.ScoreRange).
type ZScoreRange = zset.ScoreRange

// ZLexBound is one end of a lexical interval (zset.LexBound).
type ZLexBound = zset.LexBound

// zsetAt returns key's sorted set for reading: nil when missing,
// ErrWrongType when key holds another type.
func (tx *Tx) zsetAt(key []byte) (*zsetObj, error) {
	o, err := tx.readObject(key, TypeZSet)
	if o == nil || err != nil {
		return nil, err
	}
	return o.(*zsetObj), nil
}

// ZAdd is ZADD for one (score, member) pair under flags, and returns what
// it did and the member's resulting score. pairs is the number of pairs of
// the whole command: more than the zset-max-listpack-entries makes the set
// big at once, as Redis's size hint does. XX on a missing key creates nothing. A NaN sum (INCR)
// is ErrZScoreNaN and changes nothing.
func (tx *Tx) ZAdd(key, member []byte, score float64, flags ZAddFlags, pairs int) (ZAddOutcome, float64, error) {
	var mk func() object
	if flags&ZAddXX == 0 {
		mk = func() object {
			z := newZSet()
			if !tx.enc.ZSet.Small(pairs, len(member)) {
				z.Convert()
			}
			return z
		}
	}
	w, err := tx.writeObject(key, TypeZSet, mk, false)
	if w.obj == nil || err != nil {
		return ZAddNop, 0, err
	}
	z := w.obj.(*zsetObj)
	if pairs > tx.enc.ZSet.Entries {
		z.Convert()
	}
	out, newScore := ZAddNop, score
	ref, cur, found := z.Lookup(member) // one hash and search for the read and the write
	switch {
	case found && flags&ZAddNX != 0, !found && flags&ZAddXX != 0:
	case found:
		if flags&ZAddIncr != 0 {
			newScore = cur + score
			if newScore != newScore {
				tx.commitObject(w, false)
				return ZAddNop, 0, ErrZScoreNaN
			}
		}
		if (flags&ZAddLT != 0 && newScore >= cur) || (flags&ZAddGT != 0 && newScore <= cur) {
			break
		}
		out = ZAddSame
		if newScore != cur {
			out = ZAddUpdated
		}
	default:
		out = ZAddAdded
	}
	if out == ZAddAdded || out == ZAddUpdated {
		z.PutRef(ref, member, newScore, tx.enc.ZSet)
		tx.emitZAdd(w.sl.id, key, member, newScore)
	}
	tx.commitObject(w, out == ZAddAdded || out == ZAddUpdated)
	if out == ZAddNop {
		return out, cur, nil
	}
	return out, newScore, nil
}

// emitZAdd emits ZADD key score member.
func (tx *Tx) emitZAdd(slot uint16, key, member []byte, score float64) {
	if tx.sink == nil {
		return
	}
	var buf [32]byte
	tx.emit(Effect{Kind: EffectZAdd, Slot: slot, Key: key, Field: member, Value: AppendScore(buf[:0], score)})
}

// zaddEffect applies a replicated ZADD: another type at key is replaced.
func (tx *Tx) zaddEffect(e Effect) error {
	score, ok := parseEffectScore(e.Value)
	if !ok {
		return errors.New("zadd effect: bad score " + string(e.Value))
	}
	w, err := tx.writeObject(e.Key, TypeZSet, func() object { return newZSet() }, true)
	if err != nil {
		return err
	}
	w.obj.(*zsetObj).Put(e.Field, score, tx.enc.ZSet)
	tx.commitObject(w, true)
	return nil
}

// ZRem removes member; it reports whether it was there. The key goes away
// with its last member.
func (tx *Tx) ZRem(key, member []byte) (bool, error) {
	w, err := tx.writeObject(key, TypeZSet, nil, false)
	if w.obj == nil || err != nil {
		return false, err
	}
	ok := w.obj.(*zsetObj).Remove(member)
	if ok {
		tx.emit(Effect{Kind: EffectZRem, Slot: w.sl.id, Key: key, Field: member})
	}
	tx.commitObject(w, ok)
	return ok, nil
}

// ZScore returns member's score.
func (tx *Tx) ZScore(key, member []byte) (float64, bool, error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, false, err
	}
	s, ok := z.Score(member)
	return s, ok, nil
}

// ZCard returns the number of members (0 when key is missing).
func (tx *Tx) ZCard(key []byte) (int, error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, err
	}
	return z.Len(), nil
}

// ZRank returns member's 0-based ascending rank and its score.
func (tx *Tx) ZRank(key, member []byte) (rank int, score float64, ok bool, err error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, 0, false, err
	}
	rank, score, ok = z.Rank(member)
	return rank, score, ok, nil
}

// ZScoreSpan returns the ranks [lo, hi) of the members whose score is in
// r, and the set's length.
func (tx *Tx) ZScoreSpan(key []byte, r ZScoreRange) (lo, hi, n int, err error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, 0, 0, err
	}
	lo, hi = z.ScoreSpan(r)
	return lo, hi, z.Len(), nil
}

// ZLexSpan returns the ranks [lo, hi) of the members between min and max
// (meaningful when all scores are equal, as in Redis), and the length.
func (tx *Tx) ZLexSpan(key []byte, min, max ZLexBound) (lo, hi, n int, err error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, 0, 0, err
	}
	lo, hi = z.LexSpan(min, max)
	return lo, hi, z.Len(), nil
}

// ZIter calls fn with the members from rank from on, ascending (descending
// when rev), until fn returns false or the set ends. fn must not modify
// the store.
func (tx *Tx) ZIter(key []byte, from int, rev bool, fn func(member []byte, score float64) bool) error {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return err
	}
	z.Iter(from, rev, func(m string, s float64) bool { return fn(bytesOf(m), s) })
	return nil
}

// ZRangeByScore calls fn, in ascending order, with the members whose
// score is in r, until fn returns false. fn must not modify the store.
func (tx *Tx) ZRangeByScore(key []byte, r ZScoreRange, fn func(member []byte, score float64) bool) error {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return err
	}
	lo, hi := z.ScoreSpan(r)
	k := lo
	z.Iter(lo, false, func(m string, s float64) bool {
		if k >= hi {
			return false
		}
		k++
		return fn(bytesOf(m), s)
	})
	return nil
}

// ZRemRanks removes the members of ranks [lo, hi) and returns how many.
func (tx *Tx) ZRemRanks(key []byte, lo, hi int) (int, error) {
	w, err := tx.writeObject(key, TypeZSet, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	z := w.obj.(*zsetObj)
	n := z.RemoveRanks(lo, hi, func(m string) {
		tx.emit(Effect{Kind: EffectZRem, Slot: w.sl.id, Key: key, Field: bytesOf(m)})
	})
	tx.commitObject(w, n > 0)
	return n, nil
}

// ZPop removes up to count members with the lowest scores (the highest
// when max), calling fn with each in pop order, and returns how many.
func (tx *Tx) ZPop(key []byte, max bool, count int, fn func(member []byte, score float64)) (int, error) {
	w, err := tx.writeObject(key, TypeZSet, nil, false)
	if w.obj == nil || err != nil {
		return 0, err
	}
	z := w.obj.(*zsetObj)
	n := 0
	for ; n < count && z.Len() > 0; n++ {
		m, s := z.Pop(max)
		tx.emit(Effect{Kind: EffectZRem, Slot: w.sl.id, Key: key, Field: bytesOf(m)})
		if fn != nil {
			fn(bytesOf(m), s)
		}
	}
	tx.commitObject(w, n > 0)
	return n, nil
}

// ZStore replaces key (whatever it holds) with the sorted set of members
// and scores (members unique), or deletes it when members is empty, and
// returns the new length. The form follows the final contents, as
// Redis's STORE commands do. It emits DEL and one ZADD per member (only
// DEL, when key existed, for an empty result). members may alias store
// memory, the key's own included.
func (tx *Tx) ZStore(key []byte, members [][]byte, scores []float64) (int, error) {
	existed, err := tx.Delete(key)
	if err != nil || len(members) == 0 {
		return 0, err
	}
	longest := 0
	for _, m := range members {
		longest = max(longest, len(m))
	}
	big := !tx.enc.ZSet.Small(len(members), longest)
	w, err := tx.writeObject(key, TypeZSet, func() object { return newZSet() }, false)
	if err != nil {
		return 0, err
	}
	z := w.obj.(*zsetObj)
	if big {
		z.Convert()
	}
	if !existed {
		// DEL even so: the ZADDs that follow then rebuild the key from
		// nothing wherever they are applied, whatever was there.
		tx.emit(Effect{Kind: EffectDel, Slot: w.sl.id, Key: key})
	}
	for i, m := range members {
		z.Put(m, scores[i], tx.enc.ZSet)
		tx.emitZAdd(w.sl.id, key, m, scores[i])
	}
	tx.commitObject(w, true)
	return z.Len(), nil
}

// ZScan returns members of the set from cursor on, about count of them,
// and the next cursor (0 when done). A small set is returned whole with
// cursor 0, as Redis does for a listpack; a big one is scanned through
// its hash table with Redis's reverse binary cursor, so a member present
// for the whole scan is returned at least once. fn must not modify the
// store.
func (tx *Tx) ZScan(key []byte, cursor uint64, count int, fn func(member []byte, score float64)) (uint64, error) {
	z, err := tx.zsetAt(key)
	if z == nil || err != nil {
		return 0, err
	}
	return z.Scan(cursor, count, func(m string, s float64) { fn(bytesOf(m), s) }), nil
}

// applyZSet applies a replicated ZADD or ZREM (tx.apply).
func (tx *Tx) applyZSet(e Effect) error {
	if e.Kind == EffectZAdd {
		return tx.zaddEffect(e)
	}
	_, err := tx.ZRem(e.Key, e.Field)
	if err == ErrWrongType {
		err = nil // nothing to remove from another type: converged
	}
	return err
}
