package store

import (
	"sync"
	"testing"

	"github.com/meshcache/meshcache/ring"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestGateServesTheOwedFirst: a push to a key a notifying watcher watches
// calls the release hook with the key; the hook owes the slot to token 7,
// and a Tx that asked for the slot meanwhile (Lock) gets it only after
// the owed client's Tx (LockFor 7), whose release owes it to nobody.
func TestGateServesTheOwedFirst(t *testing.T) {
	s := New(Config{})
	key := []byte("k")
	sn := ring.KeySlot(key)
	w := s.NewNotifyingWatcher()
	s.Watch(w, key)
	var (
		mu    sync.Mutex
		order []string
		calls [][]string
	)
	note := func(what string) {
		mu.Lock()
		order = append(order, what)
		mu.Unlock()
	}
	s.SetReleaseHook(func(tx *Tx, ready []string) {
		calls = append(calls, ready)
		if len(ready) > 0 {
			tx.Owe(sn, 7)
		} else {
			tx.Owe(sn, 0) // the owed client's turn ended
		}
	})
	tx := s.Lock(sn)
	_, err := tx.ListPush(key, [][]byte{[]byte("x")}, false, false)
	require.NoError(t, err)
	tx.Close()
	assert.Equal(t, [][]string{{"k"}}, calls, "the push readied k")

	other := make(chan struct{})
	go func() {
		tx := s.Lock(sn) // waits while the slot is owed to 7
		note("other")
		tx.Close()
		close(other)
	}()
	tx = s.LockFor(sn, 7)
	note("owed")
	assert.Equal(t, uint64(7), tx.Owed(sn))
	tx.Close()
	<-other
	assert.Equal(t, []string{"owed", "other"}, order)
	assert.Equal(t, [][]string{{"k"}, nil}, calls, "the owed Tx's close released the turn")

	s.Unwatch(w)
	tx = s.Lock(sn)
	_, err = tx.ListPush(key, [][]byte{[]byte("y")}, false, false)
	require.NoError(t, err)
	tx.Close()
	assert.Len(t, calls, 2, "no blocked client watches k: no release")
}

// TestGateGrowPassesOverAnOwedLowerSlot: Grow only tries a slot below a
// held one, and an owed slot counts as busy.
func TestGateGrowPassesOverAnOwedLowerSlot(t *testing.T) {
	s := New(Config{})
	tx := s.Lock(50)
	tx.Owe(50, 3)
	tx.Close()
	tx = s.Lock(100)
	assert.False(t, tx.Grow(50), "owed to 3")
	tx.Close()
	tx = s.LockFor(50, 3)
	tx.Owe(50, 0)
	tx.Close()
	tx = s.Lock(100)
	assert.True(t, tx.Grow(50))
	tx.Close()
}

// TestTryLock: a slot is taken without waiting only when no Tx holds it
// and it is owed to nobody; a refusal holds nothing.
func TestTryLock(t *testing.T) {
	s := New(Config{})
	try := func(slot uint16) bool {
		tx, ok := s.TryLockSlots([]uint16{slot}, 0, nil)
		if ok {
			tx.Close()
		}
		return ok
	}
	require.True(t, try(7))
	tx := s.Lock(7)
	require.False(t, try(7), "held")
	require.True(t, try(8))
	tx.Owe(7, 42)
	tx.Close()
	require.False(t, try(7), "owed")
	tx = s.LockFor(7, 42)
	tx.Owe(7, 0)
	tx.Close()
	require.True(t, try(7))
	tx = s.Lock(7) // the refusals left the slot's lock as they found it
	tx.Close()
}

// TestTryLockSlots: every slot or none, without waiting; a refusal holds
// nothing, and duplicates count once.
func TestTryLockSlots(t *testing.T) {
	s := New(Config{})
	tx, ok := s.TryLockSlots([]uint16{9, 3, 9, 5}, 0, nil)
	require.True(t, ok)
	assert.Equal(t, []uint16{3, 5, 9}, tx.slots)
	_, ok = s.TryLockSlots([]uint16{1, 5}, 0, nil)
	require.False(t, ok, "5 is held")
	tx.Close()
	held := s.Lock(9)
	_, ok = s.TryLockSlots([]uint16{1, 3, 9}, 0, nil)
	require.False(t, ok, "9 is held")
	held.Close()
	for _, sn := range []uint16{1, 3, 9} { // the refusals left every lock free
		l, free := s.TryLockSlots([]uint16{sn}, 0, nil)
		require.True(t, free, "slot %d", sn)
		l.Close()
	}
	held = s.Lock(7)
	held.Owe(7, 42)
	held.Close()
	_, ok = s.TryLockSlots([]uint16{6, 7}, 0, s.OwnTx())
	assert.False(t, ok, "7 is owed")
}
