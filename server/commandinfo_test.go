package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLockCommandsAreNodeLocal checks the command table entries: no keys
// (never routed or forwarded), not keyspace writes (never replicated, never
// waiting for replicas), fast, and that COMMAND INFO reports them so.
func TestLockCommandsAreNodeLocal(t *testing.T) {
	ts := startServer(t, nil)
	for _, name := range []string{"lock.acquire", "lock.confirm", "lock.release", "lock.extend"} {
		e := ts.srv.lookupName(name)
		require.NotNil(t, e, name)
		assert.False(t, e.hasKeys(), name)
		assert.Equal(t, FlagFast, e.Flags, name)
		assert.False(t, e.keyspace, name)
	}
	c := ts.client(t, 2)
	// An unknown LOCK.* name is the dispatcher's unknown command.
	require.EqualError(t, c.Do(testCtx(t), "lock.nosuch", "n").Err(),
		"ERR unknown command 'lock.nosuch', with args beginning with: 'n' ")
	info, err := c.Command(testCtx(t)).Result()
	require.NoError(t, err)
	ci := info["lock.acquire"]
	require.NotNil(t, ci)
	assert.Equal(t, int8(4), ci.Arity)
	assert.ElementsMatch(t, []string{"fast"}, ci.Flags)
	assert.Equal(t, int8(0), ci.FirstKeyPos)
}
