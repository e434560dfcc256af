package store

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSnapshotSlotWith checks that the snapshot and the effects emitted
// after start cover the slot exactly: a writer racing the snapshot is
// either in the snapshot or in the tail, and replaying snapshot then tail
// on an empty store gives the primary's state.
func TestSnapshotSlotWith(t *testing.T) {
	a, clk := newTestStore(t, Config{})
	slot := keySlot("{s}")
	for i := range 50 {
		put(t, a, "{s}"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v0", 0)
	}
	var (
		mu      sync.Mutex // guards tail, teeing
		tail    []Effect
		teeing  bool
		started bool
	)
	a.SetEffectSink(func(sl uint16, effects []Effect) {
		mu.Lock()
		defer mu.Unlock()
		if teeing && sl == slot {
			for _, e := range effects {
				tail = append(tail, e.Clone())
			}
		}
	})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() { // updates and deletes racing the snapshot
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			k := "{s}" + string(rune('a'+i%26)) + string(rune('a'+(i/26)%2))
			if i%3 == 0 {
				tx := lockKeys(a, k)
				_, err := tx.Delete([]byte(k))
				tx.Close()
				assert.NoError(t, err)
			} else {
				put(t, a, k, "v"+string(rune('0'+i%10)), 0)
			}
		}
	}()
	var snap []Effect
	require.NoError(t, a.SnapshotSlotWith(slot, func(int) {
		mu.Lock()
		teeing, started = true, true
		mu.Unlock()
	}, func(e Effect) bool {
		snap = append(snap, e.Clone())
		return true
	}))
	require.True(t, started)
	for range 200 { // let some tail accumulate
		put(t, a, "{s}zz", "x", 0)
	}
	close(stop)
	wg.Wait()

	b := New(Config{Now: clk.Now})
	require.NoError(t, b.Apply(snap))
	mu.Lock()
	require.NoError(t, b.Apply(tail))
	mu.Unlock()
	assert.Equal(t, dump(t, a), dump(t, b))
	assert.Error(t, a.SnapshotSlotWith(1<<15, nil, func(Effect) bool { return true }))
}
