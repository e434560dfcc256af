package store

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUsedMemoryGrowsAndShrinks(t *testing.T) {
	s := New(Config{})
	base := s.UsedMemory()
	assert.Equal(t, baseOverhead, base)
	const n = 20000
	for i := 0; i < n; i++ {
		put(t, s, fmt.Sprintf("key:%08d", i), "0123456789abcdef0123456789abcdef", 0)
	}
	full := s.UsedMemory()
	perKey := float64(full-base) / n
	assert.Greater(t, perKey, float64(hdrSize+12+32), "at least the entries themselves")
	assert.Less(t, perKey, 400.0)
	for i := 0; i < n/2; i++ {
		tx := lockKeys(s, fmt.Sprintf("key:%08d", i))
		_, err := tx.Delete([]byte(fmt.Sprintf("key:%08d", i)))
		tx.Close()
		require.NoError(t, err)
	}
	half := s.UsedMemory()
	assert.Less(t, half, full)
	assert.Equal(t, recomputeUsed(s), half)
	for i := n / 2; i < n; i++ {
		tx := lockKeys(s, fmt.Sprintf("key:%08d", i))
		_, err := tx.Delete([]byte(fmt.Sprintf("key:%08d", i)))
		tx.Close()
		require.NoError(t, err)
	}
	assert.Equal(t, base, s.UsedMemory())
	assert.Zero(t, s.garbage.Load())
}

// heapAlloc returns HeapAlloc after a full collection.
func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestUsedMemoryTracksHeap compares UsedMemory's growth for 100k keys (and
// for hashes) with the heap's.
func TestUsedMemoryTracksHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 100k keys")
	}
	tests := []struct {
		name string
		load func(s *Store, i int)
	}{
		{"strings", func(s *Store, i int) {
			put(t, s, fmt.Sprintf("key:%012d", i), "0123456789abcdef0123456789abcdef", 0)
		}},
		{"strings with ttl", func(s *Store, i int) {
			put(t, s, fmt.Sprintf("key:%012d", i), "0123456789abcdef", s.NowMS()+3_600_000)
		}},
		{"hashes", func(s *Store, i int) {
			hset(t, s, fmt.Sprintf("hash:%06d", i/10), fmt.Sprintf("field%d", i%10), "value-value")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := heapAlloc()
			s := New(Config{})
			used0 := s.UsedMemory()
			for i := 0; i < 100_000; i++ {
				tc.load(s, i)
			}
			grown := int64(heapAlloc() - before)
			used := s.UsedMemory() - used0 + baseOverhead
			ratio := float64(used) / float64(grown)
			t.Logf("UsedMemory %d, heap growth %d, ratio %.2f", used, grown, ratio)
			assert.InDelta(t, 1.0, ratio, 0.5, "UsedMemory within 0.5x..1.5x of heap growth")
			runtime.KeepAlive(s)
		})
	}
}
