package pace

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPacer checks the spacing of rebalance steps on a given clock.
func TestPacer(t *testing.T) {
	p := New(500 * time.Millisecond)
	defer p.Stop()
	t0 := time.Now()
	require.True(t, p.Ready(t0), "the first step runs at once")
	p.Issued(t0)
	assert.False(t, p.Ready(t0.Add(100*time.Millisecond)), "too soon after a step")
	assert.False(t, p.Ready(t0.Add(499*time.Millisecond)))
	assert.True(t, p.Ready(t0.Add(500*time.Millisecond)), "due after the interval")
	p.Issued(t0.Add(600 * time.Millisecond))
	assert.False(t, p.Ready(t0.Add(700*time.Millisecond)))
	assert.True(t, p.Ready(t0.Add(1200*time.Millisecond)))
}

// TestPacerWakes checks that a deferred step's timer fires.
func TestPacerWakes(t *testing.T) {
	p := New(20 * time.Millisecond)
	defer p.Stop()
	p.Issued(time.Now())
	require.False(t, p.Ready(time.Now()))
	select {
	case <-p.Due():
	case <-time.After(5 * time.Second):
		t.Fatal("the pacer did not wake the loop")
	}
}

// TestPacerSoon checks that the step after an empty one is woken soon,
// without waiting for the interval.
func TestPacerSoon(t *testing.T) {
	p := New(time.Hour)
	defer p.Stop()
	p.Soon()
	select {
	case <-p.Due():
	case <-time.After(5 * time.Second):
		t.Fatal("Soon did not wake the loop")
	}
	assert.True(t, p.Ready(time.Now()), "nothing was issued: the step may run")
}
