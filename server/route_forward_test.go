package server

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

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
