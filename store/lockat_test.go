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

	tx = s.LockAt(slot, deadline, nil) // at the deadline: not past it
	assert.Equal(t, deadline, tx.now)
	_, ok, err := tx.Get(key)
	require.NoError(t, err)
	assert.True(t, ok)
	tx.Close()

	tx = s.LockAt(slot, deadline+1, nil) // past it: expired
	_, ok, err = tx.Get(key)
	require.NoError(t, err)
	assert.False(t, ok)
	tx.Close()
}

// TestLockAtConfigNow: a store with Config.Now (tests) keeps its own clock.
func TestLockAtConfigNow(t *testing.T) {
	s, clock := newTestStore(t, Config{})
	tx := s.LockAt(5, 1, nil)
	assert.Equal(t, clock.MS(), tx.now)
	tx.Close()
}

// TestOwnTx: LockAt locks with the caller's own Tx while it is not open,
// with a pooled one while it is, and Close gives it back to its owner
// reset, its writes committed.
func TestOwnTx(t *testing.T) {
	s := New(Config{})
	own := s.OwnTx()
	now := time.Now().UnixMilli()
	tx := s.LockAt(ring.KeySlot([]byte("a")), now, own)
	require.Same(t, own, tx)
	require.NoError(t, tx.Put([]byte("a"), []byte("1"), 0))
	other := s.LockAt(ring.KeySlot([]byte("b")), now, own) // own is open: a pooled Tx
	assert.NotSame(t, own, other)
	other.Close()
	tx.Close()
	assert.False(t, own.open)
	assert.Empty(t, own.slots)
	tx = s.LockAt(ring.KeySlot([]byte("a")), now, own)
	require.Same(t, own, tx, "closed: reused")
	v, ok, err := tx.Get([]byte("a"))
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "1", string(v))
	tx.Close()
}
