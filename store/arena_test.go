package store

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestCollisions makes every key hash alike (and, in a second run, only the
// index tag alike), then checks lookups, overwrites and deletes stay exact.
func TestCollisions(t *testing.T) {
	hashes := map[string]func([]byte) uint64{
		"all equal":  func([]byte) uint64 { return 42 },
		"two values": func(k []byte) uint64 { return uint64(len(k) % 2) },
	}
	for name, fn := range hashes {
		t.Run(name, func(t *testing.T) {
			s := New(Config{})
			s.hashFn = fn
			const n = 300
			key := func(i int) string { return "{same}" + strconv.Itoa(i) }
			for i := 0; i < n; i++ {
				put(t, s, key(i), "v"+strconv.Itoa(i), 0)
			}
			for i := 0; i < n; i++ {
				v, ok := get(t, s, key(i))
				require.True(t, ok, key(i))
				require.Equal(t, "v"+strconv.Itoa(i), v)
			}
			_, ok := get(t, s, "{same}missing")
			assert.False(t, ok)
			// Delete every third key (backward-shift deletion inside one
			// long probe run) and overwrite others with longer values.
			for i := 0; i < n; i += 3 {
				tx := lockKeys(s, key(i))
				ok, err := tx.Delete([]byte(key(i)))
				tx.Close()
				require.NoError(t, err)
				require.True(t, ok)
			}
			for i := 1; i < n; i += 3 {
				put(t, s, key(i), fmt.Sprintf("longer-value-%d", i), 0)
			}
			for i := 0; i < n; i++ {
				v, ok := get(t, s, key(i))
				switch i % 3 {
				case 0:
					require.False(t, ok, key(i))
				case 1:
					require.Equal(t, fmt.Sprintf("longer-value-%d", i), v)
				default:
					require.Equal(t, "v"+strconv.Itoa(i), v)
				}
			}
			assert.Equal(t, int64(n-n/3), s.Len())
		})
	}
}

// TestCompaction overwrites values with bigger ones until the arena is
// mostly garbage and checks it was compacted with every value intact.
func TestCompaction(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	const n = 40
	key := func(i int) string { return "{c}" + strconv.Itoa(i) }
	for i := 0; i < n; i++ {
		put(t, s, key(i), "x", clk.MS()+int64(i+1)*1000)
	}
	sl := &s.slots[keySlot(key(0))]
	for round := 1; round <= 20; round++ {
		for i := 0; i < n; i++ {
			put(t, s, key(i), fmt.Sprintf("%0*d", round*5, i), clk.MS()+int64(i+1)*1000)
		}
		sl.mu.Lock()
		live := n * (hdrSize + len(key(0)) + 1 + round*5)
		// Without compaction the arena would hold every old version.
		require.LessOrEqual(t, len(sl.t.arena), 2*live+minCompact, "round %d", round)
		require.LessOrEqual(t, sl.t.garbage*2, len(sl.t.arena))
		sl.mu.Unlock()
	}
	for i := 0; i < n; i++ {
		v, ok := get(t, s, key(i))
		require.True(t, ok)
		require.Equal(t, fmt.Sprintf("%0*d", 100, i), v)
		tx := lockKeys(s, key(i))
		at, _, _ := tx.ExpireAt([]byte(key(i)))
		tx.Close()
		require.Equal(t, clk.MS()+int64(i+1)*1000, at)
	}
	assert.Equal(t, int64(n), countVolatile(s))
	// The TTL list still points at the right entries: active expiry finds
	// exactly the expired half.
	clk.Advance(time.Duration(n/2)*time.Second + time.Millisecond)
	for i := 0; i < 1000 && s.Len() > n/2; i++ {
		s.expireCycle(time.Hour)
	}
	assert.Equal(t, int64(n/2), s.Len())
	for i := n / 2; i < n; i++ {
		_, ok := get(t, s, key(i))
		assert.True(t, ok, "live key %d expired", i)
	}
}

func keySlot(k string) uint16 { return ring.KeySlotString(k) }
