package store

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestLockAtUsesCallersClock: a free slot's Tx runs at the caller's time,
// which decides expiry as the store's own reading would.
func TestLockAtUsesCallersClock(t *testing.T) {
	s := New(Config{})
	key := []byte("lockat")
	slot := ring.KeySlot(key)
	deadline := time.Now().Add(time.Hour).UnixMilli()

	tx := s.Lock(slot)
	require.NoError(t, tx.Put(key, []byte("v"), deadline))
	tx.Close()

	tx = s.LockAt(slot, time.UnixMilli(deadline)) // at the deadline: not past it
	assert.Equal(t, deadline, tx.now)
	_, ok, err := tx.Get(key)
	require.NoError(t, err)
	assert.True(t, ok)
	tx.Close()

	tx = s.LockAt(slot, time.UnixMilli(deadline+1)) // past it: expired
	_, ok, err = tx.Get(key)
	require.NoError(t, err)
	assert.False(t, ok)
	tx.Close()
}

// TestLockAtConfigNow: a store with Config.Now (tests) keeps its own clock.
func TestLockAtConfigNow(t *testing.T) {
	s, clock := newTestStore(t, Config{})
	tx := s.LockAt(5, time.UnixMilli(1))
	assert.Equal(t, clock.MS(), tx.now)
	tx.Close()
}
