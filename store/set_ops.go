package store

import (
	"slices"

	"github.com/meshcache/meshcache/store/set"
)

// SetOp is an operation of the set algebra commands.
type SetOp = set.Op

// The set algebra operations.
const (
	SetInter = set.Inter // SINTER, SINTERSTORE
	SetUnion = set.Union // SUNION, SUNIONSTORE
	SetDiff  = set.Diff  // SDIFF, SDIFFSTORE
)

// setsAt looks every key up, in order, as Redis's commands do: a missing
// key is a nil set (an empty one), another type is ErrWrongType.
func (tx *Tx) setsAt(keys [][]byte) ([]*set.Set, error) {
	sets := make([]*set.Set, len(keys))
	for i, k := range keys {
		s, err := tx.setAt(k)
		if err != nil {
			return nil, err
		}
		if s != nil {
			sets[i] = &s.Set
		}
	}
	return sets, nil
}

// setOpResult computes op over sets as a new set, built as Redis builds
// the result of the *STORE commands (set.Combine); nil when the result is
// empty; lim are the set encoding's limits.
func setOpResult(op SetOp, sets []*set.Set, lim set.Limits) *setObj {
	res := &setObj{Set: set.Fresh(true)}
	set.Combine(op, sets, &res.Set, lim)
	if res.Len() == 0 {
		return nil
	}
	return res
}

// SetOp answers SINTER, SUNION or SDIFF over keys (a missing key is an
// empty set): head gets the size of the result, then fn each member.
func (tx *Tx) SetOp(op SetOp, keys [][]byte, head func(n int), fn func(m []byte)) error {
	sets, err := tx.setsAt(keys)
	if err != nil {
		return err
	}
	res := setOpResult(op, sets, tx.enc.Set)
	if res == nil {
		head(0)
		return nil
	}
	head(res.Len())
	res.Each(func(m []byte) bool { fn(m); return true })
	return nil
}

// SInterCard returns the size of the intersection of the sets at keys,
// counting up to limit when limit > 0.
func (tx *Tx) SInterCard(keys [][]byte, limit int) (int, error) {
	sets, err := tx.setsAt(keys)
	if err != nil || slices.Contains(sets, nil) {
		return 0, err
	}
	n := 0
	set.InterEach(sets, func([]byte) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n, nil
}

// SetOpStore stores the result of op over keys at dst (SINTERSTORE,
// SUNIONSTORE, SDIFFSTORE), replacing any value of any type and its TTL;
// an empty result deletes dst. It returns the result's size. Effects: DEL
// dst then one SADD per member.
func (tx *Tx) SetOpStore(op SetOp, dst []byte, keys [][]byte) (int, error) {
	sets, err := tx.setsAt(keys)
	if err != nil {
		return 0, err
	}
	res := setOpResult(op, sets, tx.enc.Set)
	if res == nil {
		_, err := tx.Delete(dst)
		return 0, err
	}
	if err := tx.storeSet(dst, res); err != nil {
		return 0, err
	}
	return res.Len(), nil
}

// storeSet makes key hold s, replacing any value and TTL, and emits DEL
// and s's SADDs.
func (tx *Tx) storeSet(key []byte, s *setObj) error {
	sl, h, err := tx.at(key)
	if err != nil {
		return err
	}
	off, pos, found := tx.find(sl, key, h)
	if _, err := tx.install(sl, h, key, nil, s, 0, pos, off, found); err != nil {
		return err
	}
	sl.touchWatch(key)
	tx.emitObject(sl.id, key, s, 0)
	tx.done(sl)
	return nil
}
