package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSharedDeadline: forwards within span of each other share one context,
// whose deadline leaves each of them at least timeout and at most
// timeout+span; a forward after the span gets a new one.
func TestSharedDeadline(t *testing.T) {
	start := time.Now()
	clock := start
	d := &sharedDeadline{timeout: time.Hour, span: 10 * time.Millisecond, now: func() time.Time { return clock }}
	var got []any
	for i, step := range []struct {
		at     time.Duration
		sameAs int
	}{
		{0, -1},
		{5 * time.Millisecond, 0},
		{10*time.Millisecond - 1, 0},
		{10 * time.Millisecond, -1},
		{15 * time.Millisecond, 3},
		{time.Second, -1},
	} {
		clock = start.Add(step.at)
		ctx := d.get()
		dl, ok := ctx.Deadline()
		require.True(t, ok)
		left := dl.Sub(clock)
		assert.GreaterOrEqual(t, left, d.timeout, "step %d", i)
		assert.LessOrEqual(t, left, d.timeout+d.span, "step %d", i)
		assert.NoError(t, ctx.Err(), "step %d: a shared context ended early", i)
		if step.sameAs >= 0 {
			assert.Same(t, got[step.sameAs], ctx, "step %d", i)
		}
		for j, prev := range got {
			if step.sameAs < 0 {
				assert.NotSame(t, prev, ctx, "step %d got step %d's context", i, j)
			}
		}
		got = append(got, ctx)
	}
}

// TestForwardContext: the default timeout gets the shared context and a
// no-op end; another timeout gets a context of its own that its end
// cancels.
func TestForwardContext(t *testing.T) {
	ctx, cancel := forwardContext(forwardTimeout)
	cancel()
	require.NoError(t, ctx.Err(), "ending a forward canceled the shared context")
	dl, _ := ctx.Deadline()
	assert.GreaterOrEqual(t, time.Until(dl), forwardTimeout-time.Second)

	own, cancel := forwardContext(forwardTimeout + time.Second)
	dl, ok := own.Deadline()
	require.True(t, ok)
	assert.Greater(t, time.Until(dl), forwardTimeout)
	cancel()
	assert.Error(t, own.Err())
}
