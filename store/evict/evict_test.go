package evict

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestScore(t *testing.T) {
	const now = 600_000 // unix ms: second 600, minute 10
	lfu := LFU{LogFactor: 10, DecayMin: 1}
	for _, c := range []struct {
		name string
		p    Policy
		a    Access
		want uint64
	}{
		{"lru: idle seconds, in ms", AllKeysLRU, Access{LRU: 590}, 10_000},
		{"lru: touched this second", VolatileLRU, Access{LRU: 600}, 0},
		{"lru: a clock ahead of now", AllKeysLRU, Access{LRU: 700}, 0},
		{"lfu: 255 minus the counter", AllKeysLFU, Access{LFU: 5, LDT: 10}, 250},
		{"lfu: decayed first", VolatileLFU, Access{LFU: 5, LDT: 8}, 252},
		{"ttl: sooner expiry scores higher", VolatileTTL, Access{ExpireAt: 1000}, math.MaxUint64 - 1000},
	} {
		assert.Equal(t, c.want, Score(c.p, now, c.a, lfu), c.name)
	}
	assert.Greater(t, Score(VolatileTTL, now, Access{ExpireAt: 1000}, lfu), Score(VolatileTTL, now, Access{ExpireAt: 2000}, lfu))
}

// fakeKey is one key of a fakeSpace: each slot holds at most one.
type fakeKey struct {
	key  string
	a    Access
	gone bool // deleted behind eviction's back: Evict finds nothing
}

// fakeSpace is a Keyspace whose random choices go round the slots in order.
type fakeSpace struct {
	slots   map[uint16]*fakeKey
	next    int
	evicted []string
}

func (f *fakeSpace) NowMS() int64 { return 600_000 }

func (f *fakeSpace) has(sn uint16, volatile bool) bool {
	k := f.slots[sn]
	return k != nil && !k.gone && (!volatile || k.a.ExpireAt != 0)
}

func (f *fakeSpace) RandomSlot(volatile bool) (uint16, bool) {
	var ids []uint16
	for sn := range f.slots {
		if f.has(sn, volatile) {
			ids = append(ids, sn)
		}
	}
	if len(ids) == 0 {
		return 0, false
	}
	slices.Sort(ids)
	f.next++
	return ids[f.next%len(ids)], true
}

func (f *fakeSpace) Sample(sn uint16, volatile bool, buf []byte) ([]byte, Access, bool) {
	if !f.has(sn, volatile) {
		return buf, Access{}, false
	}
	return append(buf[:0], f.slots[sn].key...), f.slots[sn].a, true
}

func (f *fakeSpace) Evict(sn uint16, key []byte, volatile bool) bool {
	k := f.slots[sn]
	if !f.has(sn, volatile) || (key != nil && string(key) != k.key) {
		return false
	}
	delete(f.slots, sn)
	f.evicted = append(f.evicted, k.key)
	return true
}

// TestEvictOne: which key a round evicts under each policy, from a
// keyspace whose every key the samples see.
func TestEvictOne(t *testing.T) {
	keys := func() map[uint16]*fakeKey {
		return map[uint16]*fakeKey{
			1: {key: "idle-persistent", a: Access{LRU: 100, LFU: 1, LDT: 10}},
			2: {key: "busy-soon", a: Access{LRU: 599, LFU: 50, LDT: 10, ExpireAt: 600_500}},
			3: {key: "idle-late", a: Access{LRU: 300, LFU: 3, LDT: 10, ExpireAt: 900_000}},
			4: {key: "busy-persistent", a: Access{LRU: 598, LFU: 90, LDT: 10}},
		}
	}
	lfu := LFU{LogFactor: 10, DecayMin: 1}
	for _, c := range []struct {
		p    Policy
		want string
	}{
		{AllKeysLRU, "idle-persistent"},
		{AllKeysLFU, "idle-persistent"},
		{VolatileLRU, "idle-late"},
		{VolatileLFU, "idle-late"},
		{VolatileTTL, "busy-soon"},
	} {
		f := &fakeSpace{slots: keys()}
		var pool Pool
		assert.True(t, pool.EvictOne(f, c.p, 4, lfu), "%s", c.p)
		assert.Equal(t, []string{c.want}, f.evicted, "%s", c.p)
	}
	for _, p := range []Policy{AllKeysRandom, VolatileRandom} {
		f := &fakeSpace{slots: keys()}
		var pool Pool
		for pool.EvictOne(f, p, 4, lfu) {
		}
		if p.Volatile() {
			assert.ElementsMatch(t, []string{"busy-soon", "idle-late"}, f.evicted, "%s evicts every key with a TTL, then no more", p)
		} else {
			assert.Len(t, f.evicted, 4, "%s evicts every key, then no more", p)
		}
	}
}

// TestEvictOneGoneCandidate: a pooled candidate deleted since it was
// sampled is passed over for the next best; with nothing to sample, or
// nothing a volatile policy may take, the round reports false.
func TestEvictOneGoneCandidate(t *testing.T) {
	lfu := LFU{LogFactor: 10, DecayMin: 1}
	f := &fakeSpace{slots: map[uint16]*fakeKey{
		1: {key: "idlest", a: Access{LRU: 100}},
		2: {key: "idle", a: Access{LRU: 200}},
		3: {key: "busy", a: Access{LRU: 599}},
	}}
	var pool Pool
	pool.populate(f, AllKeysLRU, 3, lfu)
	f.slots[1].gone = true
	assert.True(t, pool.EvictOne(f, AllKeysLRU, 3, lfu))
	assert.Equal(t, []string{"idle"}, f.evicted)

	assert.False(t, new(Pool).EvictOne(&fakeSpace{}, AllKeysLRU, 5, lfu), "an empty keyspace")
	assert.False(t, new(Pool).EvictOne(&fakeSpace{}, AllKeysRandom, 5, lfu), "an empty keyspace")
	persistent := &fakeSpace{slots: map[uint16]*fakeKey{1: {key: "k"}}}
	assert.False(t, new(Pool).EvictOne(persistent, VolatileLRU, 5, lfu), "no key with a TTL")
	assert.Empty(t, persistent.evicted)
}
