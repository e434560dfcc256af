package server

import (
	"github.com/meshcache/meshcache/server/route"

	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestForwardContext: the default timeout gets the shared context and a
// no-op end; another timeout gets a context of its own that its end
// cancels.
func TestForwardContext(t *testing.T) {
	ctx, cancel := forwardContext(route.ForwardTimeout)
	cancel()
	require.NoError(t, ctx.Err(), "ending a forward canceled the shared context")
	dl, _ := ctx.Deadline()
	assert.GreaterOrEqual(t, time.Until(dl), route.ForwardTimeout-time.Second)

	own, cancel := forwardContext(route.ForwardTimeout + time.Second)
	dl, ok := own.Deadline()
	require.True(t, ok)
	assert.Greater(t, time.Until(dl), route.ForwardTimeout)
	cancel()
	assert.Error(t, own.Err())
}
