package transport

import (
	"context"
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
	d := &SharedDeadline{timeout: time.Hour, span: 10 * time.Millisecond, now: func() time.Time { return clock }}
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
		ctx := d.Get()
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

// NewSharedDeadlineIn's contexts end with their parent too.
func TestSharedDeadlineInParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	d := NewSharedDeadlineIn(parent, time.Hour, time.Hour)
	ctx := d.Get()
	require.NoError(t, ctx.Err())
	cancel()
	<-ctx.Done()
	require.ErrorIs(t, ctx.Err(), context.Canceled)
}
