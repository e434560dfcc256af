package store

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/evict"
)

// loadHalfLimit sets maxmemory to half of what the keys above base take.
func loadHalfLimit(s *Store, base int64) {
	s.SetMaxMemory(base + (s.UsedMemory()-base)/2)
}

// evicted returns how many of the keys with prefix are gone.
func evicted(t *testing.T, s *Store, prefix string, n int) int {
	gone := 0
	for i := 0; i < n; i++ {
		tx := lockKeys(s, prefix+strconv.Itoa(i))
		ok, err := tx.Exists([]byte(prefix + strconv.Itoa(i)))
		tx.Close()
		require.NoError(t, err)
		if !ok {
			gone++
		}
	}
	return gone
}

func TestEvictionPolicies(t *testing.T) {
	const n = 2000
	val := strings.Repeat("v", 100)
	tests := []struct {
		policy evict.Policy
		// load fills the store with keys "a<i>" (the ones the policy should
		// evict first) and "b<i>" (the ones it should keep).
		load  func(t *testing.T, s *Store, clk *fakeClock)
		check func(t *testing.T, goneA, goneB int)
		oom   bool
	}{
		{evict.NoEviction, func(t *testing.T, s *Store, clk *fakeClock) {
			for i := 0; i < n; i++ {
				put(t, s, "a"+strconv.Itoa(i), val, 0)
				put(t, s, "b"+strconv.Itoa(i), val, 0)
			}
		}, func(t *testing.T, goneA, goneB int) {
			assert.Zero(t, goneA+goneB)
		}, true},
		{evict.AllKeysLRU, func(t *testing.T, s *Store, clk *fakeClock) {
			for i := 0; i < n; i++ {
				put(t, s, "a"+strconv.Itoa(i), val, 0)
			}
			clk.Advance(time.Hour)
			for i := 0; i < n; i++ {
				put(t, s, "b"+strconv.Itoa(i), val, 0)
			}
			clk.Advance(time.Second)
		}, func(t *testing.T, goneA, goneB int) {
			assert.Greater(t, goneA, 4*goneB, "LRU keeps recent keys")
		}, false},
		{evict.AllKeysLFU, func(t *testing.T, s *Store, clk *fakeClock) {
			for i := 0; i < n; i++ {
				put(t, s, "a"+strconv.Itoa(i), val, 0)
				put(t, s, "b"+strconv.Itoa(i), val, 0)
				for range 30 {
					get(t, s, "b"+strconv.Itoa(i))
				}
			}
		}, func(t *testing.T, goneA, goneB int) {
			assert.Greater(t, goneA, 4*goneB, "LFU keeps frequent keys")
		}, false},
		{evict.AllKeysRandom, func(t *testing.T, s *Store, clk *fakeClock) {
			for i := 0; i < n; i++ {
				put(t, s, "a"+strconv.Itoa(i), val, 0)
				put(t, s, "b"+strconv.Itoa(i), val, 0)
			}
		}, func(t *testing.T, goneA, goneB int) {
			assert.Positive(t, goneA)
			assert.Positive(t, goneB)
		}, false},
		{evict.VolatileLRU, volatileLoad(n, val), volatileOnly, true},
		{evict.VolatileLFU, volatileLoad(n, val), volatileOnly, true},
		{evict.VolatileRandom, volatileLoad(n, val), volatileOnly, true},
		{evict.VolatileTTL, func(t *testing.T, s *Store, clk *fakeClock) {
			for i := 0; i < n; i++ {
				put(t, s, "a"+strconv.Itoa(i), val, clk.MS()+60_000)
				put(t, s, "b"+strconv.Itoa(i), val, clk.MS()+3_600_000)
			}
		}, func(t *testing.T, goneA, goneB int) {
			assert.Greater(t, goneA, 4*goneB, "volatile-ttl evicts the soonest expiring")
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.policy.String(), func(t *testing.T) {
			s, clk := newTestStore(t, Config{Policy: tc.policy})
			rec := &recorder{}
			s.SetEffectSink(rec.sink)
			base := s.UsedMemory()
			tc.load(t, s, clk)
			rec.take()
			assert.NoError(t, s.Reclaim(), "no limit yet")
			loadHalfLimit(s, base)
			err := s.Reclaim()
			if tc.oom {
				require.ErrorIs(t, err, ErrOOM)
			} else {
				require.NoError(t, err)
				assert.LessOrEqual(t, s.UsedMemory()-s.garbage.Load(), s.MaxMemory())
			}
			goneA, goneB := evicted(t, s, "a", n), evicted(t, s, "b", n)
			tc.check(t, goneA, goneB)
			assert.Equal(t, int64(goneA+goneB), s.Stats().EvictedKeys)
			dels := 0
			for _, e := range rec.take() {
				if e.Kind == EffectDel {
					dels++
				}
			}
			assert.Equal(t, goneA+goneB, dels, "every eviction emits DEL")
			assert.Equal(t, int64(2*n-goneA-goneB), s.Len())
		})
	}
}

// volatileLoad gives the "a" keys a TTL and leaves the "b" keys persistent,
// with the "a" keys taking less than half the memory so that evicting all
// of them is not enough.
func volatileLoad(n int, val string) func(t *testing.T, s *Store, clk *fakeClock) {
	return func(t *testing.T, s *Store, clk *fakeClock) {
		for i := 0; i < n; i++ {
			put(t, s, "a"+strconv.Itoa(i), "x", clk.MS()+3_600_000)
			put(t, s, "b"+strconv.Itoa(i), val, 0)
		}
	}
}

func volatileOnly(t *testing.T, goneA, goneB int) {
	assert.Equal(t, 2000, goneA, "every volatile key goes before OOM")
	assert.Zero(t, goneB, "persistent keys are never evicted")
}

func TestLFUCounter(t *testing.T) {
	s, clk := newTestStore(t, Config{Policy: evict.AllKeysLFU})
	put(t, s, "k", "v", 0)
	freq := func() int {
		tx := lockKeys(s, "k")
		defer tx.Close()
		info, _, _ := tx.Object([]byte("k"))
		return info.Freq
	}
	assert.Equal(t, evict.LFUInitVal, freq())
	for range 1000 {
		get(t, s, "k")
	}
	hot := freq()
	assert.Greater(t, hot, evict.LFUInitVal)
	assert.Less(t, hot, 40, "logarithmic: 1000 hits give a small counter")
	clk.Advance(3 * time.Minute)
	assert.Equal(t, hot-3, freq(), "decays one per lfu-decay-time minute")
}
