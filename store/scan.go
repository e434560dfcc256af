package store

import (
	"math/rand/v2"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/index"
)

// ScanSlot calls fn for each live key of slot, under the slot's lock, until
// fn returns false. fn must not call into the store; the key slice is valid
// only during the call.
func (s *Store) ScanSlot(slot uint16, fn func(key []byte, t Type) bool) {
	sl := &s.slots[slot]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	t := sl.t
	if t == nil {
		return
	}
	now := s.NowMS()
	for _, w := range t.idx.Words() {
		if w == 0 {
			continue
		}
		off := index.Off(w)
		if exp := eExpire(t.arena, off); expired(exp, now) {
			continue
		}
		if !fn(eKey(t.arena, off), eType(t.arena, off)) {
			return
		}
	}
}

// randomSlot returns a random slot that has keys (with volatile set, keys
// with a TTL) and that keep accepts (nil: every slot), trying a few random
// slots and then walking from a random start. It reads counters without
// locks, so the slot may be empty by the time the caller locks it.
func (s *Store) randomSlot(volatile bool, keep func(slot uint16) bool) (uint16, bool) {
	has := func(sn int) bool {
		if keep != nil && !keep(uint16(sn)) {
			return false
		}
		if volatile {
			return s.slots[sn].vols.Load() > 0
		}
		return s.slots[sn].keys.Load() > 0
	}
	for range 8 {
		if sn := rand.IntN(ring.SlotCount); has(sn) {
			return uint16(sn), true
		}
	}
	start := rand.IntN(ring.SlotCount)
	for i := range ring.SlotCount {
		if sn := (start + i) & (ring.SlotCount - 1); has(sn) {
			return uint16(sn), true
		}
	}
	return 0, false
}

// randomEntry returns a random entry of t: a random index word, walking
// forward to an occupied one. t must hold at least one key.
func (t *table) randomEntry() (off uint32, pos int) {
	words := t.idx.Words()
	mask := len(words) - 1
	for i := rand.IntN(len(words)); ; i = (i + 1) & mask {
		if w := words[i]; w != 0 {
			return index.Off(w), i
		}
	}
}

// RandomKey returns a random live key, or false when the store is empty.
// Expired keys it meets are removed. It takes slot locks: never call it
// while holding a Tx.
func (s *Store) RandomKey() ([]byte, bool) { return s.RandomKeyIn(nil) }

// RandomKeyIn is RandomKey over the slots keep accepts (nil: every slot):
// RANDOMKEY on a cluster node draws from the slots it leads.
func (s *Store) RandomKeyIn(keep func(slot uint16) bool) ([]byte, bool) {
	for range 100 {
		sn, ok := s.randomSlot(false, keep)
		if !ok {
			return nil, false
		}
		tx := s.Lock(sn)
		sl := &s.slots[sn]
		if t := sl.t; t != nil && t.idx.Len() > 0 {
			off, pos := t.randomEntry()
			key := eKey(t.arena, off)
			if exp := eExpire(t.arena, off); !expired(exp, tx.now) {
				k := append([]byte(nil), key...)
				tx.Close()
				return k, true
			}
			tx.expire(sl, pos, off, key)
			tx.done(sl)
		}
		tx.Close()
	}
	return nil, false
}

// FlushSlot drops every key of slot, emitting EffectFlushSlot. It takes the
// slot's lock: never call it while holding a Tx.
func (s *Store) FlushSlot(slot uint16) {
	tx := s.Lock(slot)
	tx.flushSlot(slot)
	tx.Close()
}

// Flush drops every key, slot by slot, emitting EffectFlushSlot for each
// slot that had keys. Never call it while holding a Tx.
func (s *Store) Flush() { s.FlushIn(nil) }

// FlushIn is Flush of the slots keep accepts (nil: every slot): FLUSHALL
// on a cluster node drops the slots it leads, and the flushes replicate.
func (s *Store) FlushIn(keep func(slot uint16) bool) {
	for sn := range ring.SlotCount {
		if keep != nil && !keep(uint16(sn)) {
			continue
		}
		tx := s.Lock(uint16(sn))
		if s.slots[sn].t != nil {
			tx.flushSlot(uint16(sn))
		}
		tx.Close()
	}
}

// flushSlot drops every key of a slot tx holds, marking the watchers of
// the keys that existed dirty.
func (tx *Tx) flushSlot(sn uint16) {
	sl := &tx.s.slots[sn]
	t := sl.t
	if t == nil {
		return
	}
	if sl.watched != nil {
		for k, ws := range sl.watched {
			key := []byte(k)
			if _, _, ok := t.find(key, tx.s.hash(key)); ok {
				for _, w := range ws {
					w.mark()
				}
			}
		}
	}
	had := t.idx.Len() > 0
	if had {
		sl.version.Add(uint64(t.idx.Len())) // a change per key, as Redis's FLUSHALL counts them
	}
	tx.s.unaccount(t)
	sl.clear()
	if had {
		tx.emit(Effect{Kind: EffectFlushSlot, Slot: sn})
		if h := sl.hook.Load(); h != nil {
			(*h).SlotFlushed(sn)
		}
	}
}
