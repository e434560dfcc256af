package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestReachGrowsInOrder: slots above the held ones are taken at once and
// Reach reports true.
func TestReachGrowsInOrder(t *testing.T) {
	s := New(Config{})
	tx := s.Lock(100)
	defer tx.Close()
	assert.True(t, tx.Reach([]uint16{100, 200, 300}))
	assert.Equal(t, []uint16{100, 200, 300}, tx.Slots())
	assert.True(t, tx.Reach([]uint16{50}), "a free lower slot is tried and taken")
	assert.Equal(t, []uint16{50, 100, 200, 300}, tx.Slots())
}

// TestReachReleasesForABusyLowerSlot: a lower slot another Tx holds is not
// waited for while holding a higher one (that could deadlock); Reach lets
// its slots go, takes them all again in order and reports false, so the
// caller reads again. The other Tx takes slot 100 in the meantime: proof
// that Reach released it.
func TestReachReleasesForABusyLowerSlot(t *testing.T) {
	s := New(Config{})
	other := s.Lock(50)
	tx := s.Lock(100)
	done := make(chan struct{})
	go func() {
		defer close(done)
		other.Grow(100) // waits until Reach lets slot 100 go
		other.Close()
	}()
	assert.False(t, tx.Reach([]uint16{50, 200}))
	<-done
	assert.Equal(t, []uint16{50, 100, 200}, tx.Slots())
	assert.True(t, tx.Reach([]uint16{50, 200}))
	tx.Close()
}
