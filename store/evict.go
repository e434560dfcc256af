package store

import (
	"math/rand/v2"
	"time"

	"github.com/meshcache/meshcache/store/evict"
)

// Eviction's decisions (the policies, the LFU counter, the scores, the
// candidate pool and the sampling rounds) are store/evict's. The store
// keeps the memory limit, lends evict its keyspace (evictSpace) and
// removes the keys it picks.

// overLimit reports whether the keyspace is over maxmemory, not counting
// dead arena bytes that compaction will return (memory.go).
func (s *Store) overLimit() bool {
	max := s.maxMemory.Load()
	return max > 0 && s.used.Load()-s.garbage.Load() > max
}

// Reclaim evicts keys until used memory is under the limit. It returns
// ErrOOM when the policy cannot free enough. Call it before a write command,
// never while holding a Tx.
func (s *Store) Reclaim() error {
	if !s.overLimit() {
		return nil
	}
	s.evictMu.Lock()
	defer s.evictMu.Unlock()
	if s.Policy() != evict.NoEviction {
		// Timed when it may evict, as Redis's performEvictions.
		start := time.Now()
		defer func() { s.latency("eviction-cycle", time.Since(start)) }()
	}
	for s.overLimit() {
		p := s.Policy()
		if p == evict.NoEviction || !s.pool.EvictOne(evictSpace{s}, p, s.samples, s.lfu) {
			return ErrOOM
		}
	}
	return nil
}

// evictSpace is the store as eviction sees it (evict.Keyspace). Its
// methods lock slots directly: eviction passes the serving gate (gate.go).
type evictSpace struct{ *Store }

// RandomSlot returns a random slot with keys (with a TTL, when volatile).
func (s evictSpace) RandomSlot(volatile bool) (uint16, bool) { return s.randomSlot(volatile, nil) }

// Sample appends a random key of slot sn (one with a TTL, when volatile)
// to buf and returns it with its access metadata.
func (s evictSpace) Sample(sn uint16, volatile bool, buf []byte) ([]byte, evict.Access, bool) {
	sl := &s.slots[sn]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	t := sl.t
	if t == nil || t.idx.Len() == 0 || (volatile && len(t.vol) == 0) {
		return buf, evict.Access{}, false
	}
	a, off := t.arena, t.pick(volatile)
	return append(buf[:0], eKey(a, off)...), evict.Access{ExpireAt: eExpire(a, off), LRU: eLRU(a, off), LDT: eLDT(a, off), LFU: eLFU(a, off)}, true
}

// Evict deletes key from slot sn if it still exists (with a TTL when
// volatile), or a random such key when key is nil, emitting EffectDel; it
// reports whether it evicted.
func (s evictSpace) Evict(sn uint16, key []byte, volatile bool) bool {
	tx := s.Lock(sn)
	defer tx.Close()
	sl := &s.slots[sn]
	t := sl.t
	if t == nil || t.idx.Len() == 0 || (volatile && len(t.vol) == 0) {
		return false
	}
	if key == nil {
		key = eKey(t.arena, t.pick(volatile))
	}
	off, pos, ok := t.find(key, s.hash(key))
	if !ok || (volatile && eExpire(t.arena, off) == 0) {
		return false
	}
	tx.evict(sl, pos, off, key)
	return true
}

// pick returns a random entry of t, one with a TTL when volatile; t must
// hold such an entry.
func (t *table) pick(volatile bool) uint32 {
	if volatile {
		return t.vol[rand.IntN(len(t.vol))]
	}
	off, _ := t.randomEntry()
	return off
}

// evict removes an entry for maxmemory. It compacts the slot sooner than
// ordinary deletes do (small arenas at once, others at a quarter garbage)
// so that eviction's freed bytes soon leave UsedMemory.
func (tx *Tx) evict(sl *slot, pos int, off uint32, key []byte) {
	tx.remove(sl, pos, off, key)
	tx.uncounted()
	tx.s.evictedKeys.Add(1)
	sl.keyEvent(key, KeyEvicted)
	if t := sl.t; t != nil && t.garbage > 0 && (cap(t.arena) <= 64<<10 || t.garbage*4 > len(t.arena)) {
		t.compact()
	}
	tx.done(sl)
}
