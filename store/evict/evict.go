// Package evict is maxmemory eviction's decisions, as Redis's evict.c
// makes them: the eight policies, the LFU counter, a key's eviction score,
// the pool of the best candidates sampled so far, and the rounds that
// sample keys and pick the one to evict. The store lends it its keyspace
// (Keyspace: random slots, sampled keys and their removal, each under the
// slot's lock) and keeps the memory limit, the entries' access metadata and
// the removal itself (store/evict.go); what is decided here takes state in
// and gives a choice out, so tables test it without a store.
//
// Eviction follows Redis's performEvictions: while used memory is over
// maxmemory, sample maxmemory-samples keys (from random slots; only keys
// with a TTL for volatile-* policies), merge them into a pool of the best
// candidates seen so far (evictionPoolPopulate), and evict the best one
// that still exists. The random policies evict a random key directly.
// Scores (higher evicts first) are, as in Redis: LRU idle time; 255 minus
// the decayed LFU counter; for volatile-ttl, how soon the key expires.
package evict

import "math"

// Access is what an entry's header records of it for eviction: its
// expiry, its LRU clock and its LFU counter.
type Access struct {
	ExpireAt int64  // unix milliseconds; 0 = no expiry
	LRU      uint32 // unix seconds of the last access
	LDT      uint16 // LFU clock (unix minutes mod 2^16) of the counter's last decrement
	LFU      uint8  // the LFU counter, before decay
}

// Score ranks an entry with access a under p at now (unix milliseconds):
// higher evicts first.
func Score(p Policy, now int64, a Access, lfu LFU) uint64 {
	switch {
	case p == VolatileTTL:
		return math.MaxUint64 - uint64(a.ExpireAt)
	case p.LFU():
		return 255 - uint64(lfu.Decay(a.LFU, a.LDT, uint16(now/60000)))
	default:
		if sec := uint32(now / 1000); sec > a.LRU {
			return uint64(sec-a.LRU) * 1000
		}
		return 0
	}
}

// Keyspace is the store as eviction sees it. Each method takes the lock of
// the slot it reads or changes and lets it go before it returns.
type Keyspace interface {
	// NowMS is the store's clock in unix milliseconds.
	NowMS() int64
	// RandomSlot returns a random slot that has keys (with a TTL, when
	// volatile); false when no slot has.
	RandomSlot(volatile bool) (uint16, bool)
	// Sample appends a random key of slot (one with a TTL, when volatile)
	// to buf and returns it with its access metadata; false when the slot
	// has no such key.
	Sample(slot uint16, volatile bool, buf []byte) ([]byte, Access, bool)
	// Evict removes key from slot if it still exists (and has a TTL, when
	// volatile), or a random such key of slot when key is nil, and
	// reports whether it removed one.
	Evict(slot uint16, key []byte, volatile bool) bool
}

// tries is how many random keys a random policy tries, and how many times
// a ranking policy samples anew, before EvictOne gives up.
const tries = 16

// EvictOne evicts one key of k under p, ranking samples of samples keys
// (lfu's settings for the LFU policies) in pool; false means no candidate
// exists. The caller serialises its calls with pool.
func (pool *Pool) EvictOne(k Keyspace, p Policy, samples int, lfu LFU) bool {
	if p.Random() {
		for range tries {
			sn, ok := k.RandomSlot(p.Volatile())
			if !ok {
				return false
			}
			if k.Evict(sn, nil, p.Volatile()) {
				return true
			}
		}
		return false
	}
	for range tries {
		if !pool.populate(k, p, samples, lfu) {
			return false
		}
		for {
			c, ok := pool.pop()
			if !ok {
				break
			}
			if k.Evict(c.slot, c.key, p.Volatile()) {
				return true
			}
		}
	}
	return false
}

// populate samples keys of k into the pool; false means there are none.
func (pool *Pool) populate(k Keyspace, p Policy, samples int, lfu LFU) bool {
	found := false
	for range samples {
		sn, ok := k.RandomSlot(p.Volatile())
		if !ok {
			return found
		}
		key, a, ok := k.Sample(sn, p.Volatile(), pool.sample)
		pool.sample = key
		if !ok {
			continue
		}
		pool.insert(Score(p, k.NowMS(), a, lfu), sn, key)
		found = true
	}
	return found
}
