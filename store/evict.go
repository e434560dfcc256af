package store

import (
	"math"
	"math/rand/v2"
	"time"
)

// Eviction follows Redis's performEvictions: while used memory is over
// maxmemory, sample MaxMemorySamples keys (from random slots; only keys with
// a TTL for volatile-* policies), merge them into a pool of the best
// candidates seen so far (evictionPoolPopulate), and evict the best one
// that still exists. The random policies evict a random key directly.
// Scores (higher evicts first) are, as in Redis: LRU idle time; 255 minus
// the decayed LFU counter; for volatile-ttl, how soon the key expires.

// evictionPoolSize is EVPOOL_SIZE.
const evictionPoolSize = 16

// poolEntry is one eviction candidate.
type poolEntry struct {
	score uint64
	slot  uint16
	key   []byte // owned; reused between candidates
}

// evictionPool holds candidates sorted by ascending score; the best is last.
type evictionPool struct {
	n       int
	entries [evictionPoolSize]poolEntry
}

// insert adds a candidate when it beats the worst one or there is room,
// as evictionPoolPopulate does.
func (p *evictionPool) insert(score uint64, slot uint16, key []byte) {
	for i := 0; i < p.n; i++ {
		if p.entries[i].slot == slot && string(p.entries[i].key) == string(key) {
			p.entries[i].score = score
			return
		}
	}
	i := 0
	for i < p.n && p.entries[i].score < score {
		i++
	}
	if i == 0 && p.n == evictionPoolSize {
		return // worse than every candidate of a full pool
	}
	var spare []byte
	if p.n < evictionPoolSize {
		// Shift [i, n) right by one; the unused last entry's buffer is spare.
		spare = p.entries[p.n].key
		copy(p.entries[i+1:p.n+1], p.entries[i:p.n])
		p.n++
	} else {
		// Full: drop the worst (entry 0) and shift [1, i) left.
		spare = p.entries[0].key
		copy(p.entries[:i-1], p.entries[1:i])
		i--
	}
	p.entries[i] = poolEntry{score: score, slot: slot, key: append(spare[:0], key...)}
}

// pop removes and returns the best candidate; the key stays valid until the
// next insert.
func (p *evictionPool) pop() (poolEntry, bool) {
	if p.n == 0 {
		return poolEntry{}, false
	}
	p.n--
	return p.entries[p.n], true
}

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
	if s.Policy() != NoEviction {
		// Timed when it may evict, as Redis's performEvictions.
		start := time.Now()
		defer func() { s.latency("eviction-cycle", time.Since(start)) }()
	}
	for s.overLimit() {
		p := s.Policy()
		if p == NoEviction || !s.evictOne(p) {
			return ErrOOM
		}
	}
	return nil
}

// evictOne evicts one key under policy p; false means no candidate exists.
// s.evictMu is held.
func (s *Store) evictOne(p Policy) bool {
	if p.random() {
		for range 16 {
			sn, ok := s.randomSlot(p.volatile(), nil)
			if !ok {
				return false
			}
			if s.evictRandom(sn, p.volatile()) {
				return true
			}
		}
		return false
	}
	for attempt := 0; attempt < 16; attempt++ {
		if !s.populatePool(p) {
			return false
		}
		for {
			c, ok := s.pool.pop()
			if !ok {
				break
			}
			if s.evictKey(c.slot, c.key, p.volatile()) {
				return true
			}
		}
	}
	return false
}

// populatePool samples keys into the pool; false means there are none.
func (s *Store) populatePool(p Policy) bool {
	found := false
	for range s.samples {
		sn, ok := s.randomSlot(p.volatile(), nil)
		if !ok {
			return found
		}
		sl := &s.slots[sn]
		sl.mu.Lock()
		t := sl.t
		if t == nil || t.idx.Len() == 0 || (p.volatile() && len(t.vol) == 0) {
			sl.mu.Unlock()
			continue
		}
		var off uint32
		if p.volatile() {
			off = t.vol[rand.IntN(len(t.vol))]
		} else {
			off, _ = t.randomEntry()
		}
		s.pool.insert(s.evictScore(p, t.arena, off), sn, eKey(t.arena, off))
		sl.mu.Unlock()
		found = true
	}
	return found
}

// evictScore ranks the entry at off under p: higher evicts first.
func (s *Store) evictScore(p Policy, a []byte, off uint32) uint64 {
	now := s.NowMS()
	switch {
	case p == VolatileTTL:
		return math.MaxUint64 - uint64(eExpire(a, off))
	case p.lfu():
		return 255 - uint64(s.lfuDecay(a, off, uint16(now/60000)))
	default:
		if sec := uint32(now / 1000); sec > eLRU(a, off) {
			return uint64(sec-eLRU(a, off)) * 1000
		}
		return 0
	}
}

// evictKey deletes key from slot sn if it still exists (with a TTL when
// volatile), emitting EffectDel; it reports whether it evicted.
func (s *Store) evictKey(sn uint16, key []byte, volatile bool) bool {
	tx := s.Lock(sn)
	defer tx.Close()
	sl := &s.slots[sn]
	t := sl.t
	if t == nil {
		return false
	}
	off, pos, ok := t.find(key, s.hash(key))
	if !ok || (volatile && eExpire(t.arena, off) == 0) {
		return false
	}
	tx.evict(sl, pos, off, key)
	return true
}

// evictRandom evicts a random key (with a TTL when volatile) of slot sn.
func (s *Store) evictRandom(sn uint16, volatile bool) bool {
	tx := s.Lock(sn)
	defer tx.Close()
	sl := &s.slots[sn]
	t := sl.t
	if t == nil || t.idx.Len() == 0 || (volatile && len(t.vol) == 0) {
		return false
	}
	var off uint32
	var pos int
	if volatile {
		off = t.vol[rand.IntN(len(t.vol))]
		key := eKey(t.arena, off)
		var ok bool
		if pos, ok = t.idx.PosOf(s.hash(key), off); !ok {
			return false
		}
	} else {
		off, pos = t.randomEntry()
	}
	tx.evict(sl, pos, off, eKey(t.arena, off))
	return true
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

// LFU, as Redis's evict.c: an 8-bit logarithmic counter that starts at
// lfuInitVal, grows with probability 1/((counter-lfuInitVal)*lfu-log-factor+1)
// per access, and loses one per lfu-decay-time minutes without access.
const lfuInitVal = 5

// lfuDecay returns the entry's counter after decay (LFUDecrAndReturn).
func (s *Store) lfuDecay(a []byte, off uint32, nowMin uint16) uint8 {
	ctr := eLFU(a, off)
	elapsed := int64(nowMin - eLDT(a, off)) // wraps like LFUTimeElapsed
	periods := elapsed / s.lfuDecayMin
	if periods >= int64(ctr) {
		return 0
	}
	return ctr - uint8(periods)
}

// lfuTouch records an access (updateLFU): decay, then a logarithmic
// increment.
func (s *Store) lfuTouch(a []byte, off uint32, nowMin uint16) {
	ctr := s.lfuDecay(a, off, nowMin)
	if ctr < 255 {
		base := float64(int(ctr) - lfuInitVal)
		if base < 0 {
			base = 0
		}
		if rand.Float64() < 1/(base*float64(s.lfuLog)+1) {
			ctr++
		}
	}
	setLFU(a, off, nowMin, ctr)
}
