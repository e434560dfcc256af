package store

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recorder is an EffectSink that keeps clones of every effect.
type recorder struct {
	mu      sync.Mutex
	effects []Effect
}

func (r *recorder) sink(slot uint16, effects []Effect) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range effects {
		if e.Slot != slot {
			panic("effect handed to the sink under the wrong slot")
		}
		r.effects = append(r.effects, e.Clone())
	}
}

func (r *recorder) take() []Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.effects
	r.effects = nil
	return e
}

func TestLazyExpiry(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	rec := &recorder{}
	s.SetEffectSink(rec.sink)
	put(t, s, "k", "v", clk.MS()+1000)
	w := s.NewWatcher()
	s.Watch(w, []byte("k"))
	_, ok := get(t, s, "k")
	assert.True(t, ok)
	rec.take()

	clk.Advance(999 * time.Millisecond)
	_, ok = get(t, s, "k")
	assert.True(t, ok, "alive 1 ms before its expiry")
	assert.False(t, w.Dirty())

	clk.Advance(time.Millisecond)
	_, ok = get(t, s, "k")
	assert.True(t, ok, "alive at its expiry time, as Redis's keyIsExpired (now > when)")
	assert.False(t, w.Dirty())

	clk.Advance(time.Millisecond)
	assert.Equal(t, int64(1), s.Len(), "still stored until touched")
	_, ok = get(t, s, "k")
	assert.False(t, ok, "expired once its expiry time has passed")
	assert.Equal(t, int64(0), s.Len())
	assert.Equal(t, int64(1), s.Stats().ExpiredKeys)
	assert.Equal(t, int64(0), s.Stats().Expires)
	assert.True(t, w.Dirty(), "expiry dirties watchers")
	effects := rec.take()
	require.Len(t, effects, 1)
	assert.Equal(t, EffectDel, effects[0].Kind)
	assert.Equal(t, "k", string(effects[0].Key))
}

func TestActiveExpiry(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	rec := &recorder{}
	s.SetEffectSink(rec.sink)
	const n = 5000
	for i := 0; i < n; i++ {
		exp := clk.MS() + 10_000
		if i%5 == 0 {
			exp = clk.MS() + 3_600_000 // 20% survive
		}
		put(t, s, "key:"+strconv.Itoa(i), "v", exp)
	}
	put(t, s, "persistent", "v", 0)
	rec.take()
	assert.Equal(t, int64(n), s.Stats().Expires)
	clk.Advance(20 * time.Second)
	for c := 0; c < 50 && s.Len() > n/5+1; c++ {
		s.expireCycle(time.Hour)
	}
	assert.Equal(t, int64(n/5+1), s.Len())
	st := s.Stats()
	assert.Equal(t, int64(n-n/5), st.ExpiredKeys)
	assert.Equal(t, int64(n/5), st.Expires)
	assert.Positive(t, st.AvgTTLMillis)
	dels := 0
	for _, e := range rec.take() {
		if e.Kind == EffectDel {
			dels++
		}
	}
	assert.Equal(t, n-n/5, dels)
	checkVolSlots(t, s)
	s.Flush()
	checkVolSlots(t, s)
	_, any := s.volSlots.Next(0)
	assert.False(t, any, "no slot has a TTL key after FLUSHALL")
}

// checkVolSlots: a slot is in the store's set of slots with TTL keys
// exactly when its TTL count is not zero.
func checkVolSlots(t *testing.T, s *Store) {
	t.Helper()
	for sn := range s.slots {
		_, in := s.volSlots.Next(sn)
		got, _ := s.volSlots.Next(sn)
		in = in && int(got) == sn
		require.Equal(t, s.slots[sn].vols.Load() > 0, in, "slot %d", sn)
	}
}

// TestActiveExpiryOff: DEBUG SET-ACTIVE-EXPIRE 0 stops the cycles, so an
// expired key stays until it is touched; 1 starts them again.
func TestActiveExpiryOff(t *testing.T) {
	s, clk := newTestStore(t, Config{})
	put(t, s, "k", "v", clk.MS()+1000)
	clk.Advance(2 * time.Second)
	s.SetActiveExpiry(false)
	for i := 0; i < 5; i++ {
		s.activeExpiryTick()
	}
	assert.Equal(t, int64(1), s.Len(), "no cycle ran")
	s.SetActiveExpiry(true)
	// A cycle has a wall-time budget and resumes where it stopped: tick
	// until it reaches the key.
	for i := 0; i < 1000 && s.Len() > 0; i++ {
		s.activeExpiryTick()
	}
	assert.Equal(t, int64(0), s.Len())
}

// TestRunStops runs the real background loop with the real clock and
// checks it expires keys and returns when its context ends.
func TestRunStops(t *testing.T) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.Run(ctx)
		close(done)
	}()
	for i := 0; i < 100; i++ {
		put(t, s, "k"+strconv.Itoa(i), "v", s.NowMS()+50)
	}
	require.Eventually(t, func() bool { return s.Len() == 0 }, 10*time.Second, 10*time.Millisecond)
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop")
	}
	assert.InDelta(t, time.Now().UnixMilli(), s.NowMS(), 1000)
}
