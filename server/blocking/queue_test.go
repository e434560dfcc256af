package blocking

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// woken reports whether w has a token, taking it.
func woken(w *Waiter) bool {
	select {
	case <-w.Wake():
		return true
	default:
		return false
	}
}

func TestQueueOrderIsFirstBlocked(t *testing.T) {
	var q Queue
	late := NewWaiter(1, 300, []string{"a"})
	early := NewWaiter(2, 100, []string{"a", "b"})
	mid := NewWaiter(3, 200, []string{"b"})
	for _, w := range []*Waiter{late, early, mid} {
		q.Add(w)
	}
	q.Add(late) // again: stays where it is
	assert.EqualValues(t, 3, q.Len())
	assert.True(t, q.First(early), "first in both lines")
	assert.False(t, q.First(late))
	assert.False(t, q.First(mid))

	q.Remove(early)
	assert.True(t, woken(late), "the new first of line a gets a token")
	assert.True(t, woken(mid), "the new first of line b gets a token")
	assert.True(t, q.First(late))
	assert.True(t, q.First(mid))

	q.Remove(mid)
	assert.False(t, woken(late), "line a did not change its first")
	q.Remove(mid) // again: no effect
	assert.EqualValues(t, 1, q.Len())
}

func TestQueueUnblock(t *testing.T) {
	var q Queue
	w := NewWaiter(7, 1, []string{"k"})
	internal := NewWaiter(0, 2, []string{"k"})
	q.Add(w)
	q.Add(internal)
	assert.False(t, q.Unblock(0, Timeout), "internal clients have no ID")
	assert.False(t, q.Unblock(8, Timeout), "no such client")
	assert.True(t, q.Unblock(7, Error))
	assert.True(t, woken(w))
	assert.Equal(t, Error, w.Reason())
	assert.False(t, q.Unblock(7, Timeout), "already asked")
	q.Remove(w)
	assert.False(t, q.Unblock(7, Timeout), "gone")
	assert.True(t, woken(internal), "first in line after w left")
}

func TestWaiting(t *testing.T) {
	var q Queue
	assert.False(t, q.Waiting([]string{"a"}), "empty")
	w := NewWaiter(1, 10, []string{"a", "b"})
	q.Add(w)
	assert.True(t, q.Waiting([]string{"x", "b"}))
	assert.False(t, q.Waiting([]string{"x"}))
	q.Remove(w)
	assert.False(t, q.Waiting([]string{"a", "b"}))
}

// TestTurn: a waiter runs again only when first in line for the first of
// its keys that holds a value; with none holding one, when first anywhere.
func TestTurn(t *testing.T) {
	var q Queue
	ahead := NewWaiter(1, 10, []string{"l2"})
	w := NewWaiter(2, 20, []string{"l2", "l3"})
	q.Add(ahead)
	q.Add(w)
	holding := map[string]bool{}
	holds := func(k string) bool { return holding[k] }
	assert.True(t, q.Turn(w, holds), "nothing to pop: first on l3")
	holding["l2"], holding["l3"] = true, true
	assert.False(t, q.Turn(w, holds), "l2 is popped first, and ahead is first there")
	assert.True(t, q.Turn(ahead, holds))
	holding["l2"] = false
	assert.True(t, q.Turn(w, holds), "l3 is popped first now")
	q.Remove(ahead)
	holding["l2"] = true
	assert.True(t, q.Turn(w, holds))
}
