package store

import (
	"context"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store/evict"
)

// TestConcurrentSlots runs many goroutines over many slots, with multi-slot
// Txs, Run's background expiry, eviction, watchers and flushes, for the race
// detector; then checks the counters agree with the content.
func TestConcurrentSlots(t *testing.T) {
	s := New(Config{Policy: evict.AllKeysLRU})
	var effects sync.Map
	s.SetEffectSink(func(slot uint16, es []Effect) {
		for _, e := range es {
			effects.Store(string(e.Key), e.Kind)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	runDone := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(runDone)
	}()

	const workers, ops = 8, 3000
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			watcher := s.NewWatcher()
			for i := 0; i < ops && ctx.Err() == nil; i++ {
				k1 := []byte("key:" + strconv.Itoa(rng.IntN(500)))
				k2 := []byte("key:" + strconv.Itoa(rng.IntN(500)))
				switch rng.IntN(10) {
				case 0:
					s.Watch(watcher, k1)
				case 1:
					s.Unwatch(watcher)
				case 2:
					// ErrOOM is a right answer while the eviction goroutine
					// below holds the limit 1,000 bytes under a moment when
					// the keys held less than that (with TTLs under 50 ms
					// most have expired): even an empty store is over it.
					if err := s.Reclaim(); err != nil {
						require.ErrorIs(t, err, ErrOOM)
					}
				case 3:
					tx := s.LockSlots([]uint16{ring.KeySlot(k1), ring.KeySlot(k2)})
					_, _, err := tx.Rename(k1, k2, false)
					if err != nil {
						require.ErrorIs(t, err, ErrWrongType)
					}
					tx.Close()
				case 4:
					tx := s.Lock(ring.KeySlot(k1))
					_, err := tx.HSet(k1, []byte("f"), []byte("v"))
					if err != nil {
						require.ErrorIs(t, err, ErrWrongType)
					}
					tx.Close()
				case 5:
					if rng.IntN(50) == 0 {
						s.FlushSlot(ring.KeySlot(k1))
					}
				default:
					tx := s.Lock(ring.KeySlot(k1))
					require.NoError(t, tx.Put(k1, []byte("value"), s.NowMS()+int64(rng.IntN(50))))
					_, _, err := tx.Get(k1)
					require.NoError(t, err)
					tx.Close()
				}
			}
			s.Unwatch(watcher)
		}(w)
	}
	// Eviction under a moving limit, concurrently.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 50 && ctx.Err() == nil; i++ {
			s.SetMaxMemory(s.UsedMemory() - 1000)
			_ = s.Reclaim() // ErrOOM is possible when everything is gone
			s.SetMaxMemory(0)
			time.Sleep(time.Millisecond)
		}
	}()
	_ = s.Stats()
	_, _ = s.RandomKey()
	wg.Wait()
	cancel()
	<-runDone

	var keys, vols int64
	for i := range s.slots {
		sl := &s.slots[i]
		sl.mu.Lock()
		if sl.t != nil {
			keys += int64(sl.t.idx.Len())
			vols += int64(len(sl.t.vol))
		}
		sl.mu.Unlock()
	}
	st := s.Stats()
	assert.Equal(t, keys, st.Keys)
	assert.Equal(t, vols, st.Expires)
	assert.Equal(t, recomputeUsed(s), s.UsedMemory())
}

// recomputeUsed sums every table's memory from scratch.
func recomputeUsed(s *Store) int64 {
	total := baseOverhead
	for i := range s.slots {
		sl := &s.slots[i]
		sl.mu.Lock()
		if sl.t != nil {
			total += sl.t.bytes()
		}
		sl.mu.Unlock()
	}
	return total
}

// TestZeroAllocHotPath checks that GET and an overwrite of the same size
// allocate nothing in the store, with and without an effect sink.
func TestZeroAllocHotPath(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects at random under -race")
	}
	for _, withSink := range []bool{false, true} {
		s := New(Config{})
		if withSink {
			s.SetEffectSink(func(uint16, []Effect) {})
		}
		key, val := []byte("some:key:0001"), []byte("0123456789abcdef0123456789abcdef")
		sn := ring.KeySlot(key)
		tx := s.Lock(sn)
		require.NoError(t, tx.Put(key, val, 0))
		tx.Close()
		get := testing.AllocsPerRun(1000, func() {
			tx := s.Lock(sn)
			v, ok, err := tx.Get(key)
			if err != nil || !ok || len(v) != len(val) {
				panic("get failed")
			}
			tx.Close()
		})
		set := testing.AllocsPerRun(1000, func() {
			tx := s.Lock(sn)
			if err := tx.Put(key, val, 0); err != nil {
				panic(err)
			}
			tx.Close()
		})
		assert.Zero(t, get, "Lock+Get+Close allocs (sink %v)", withSink)
		assert.Zero(t, set, "Lock+Put+Close allocs (sink %v)", withSink)
	}
}
