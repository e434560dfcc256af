package server

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCommandStats: the snapshot lists the commands used, with calls that
// agree with the latency buckets, and skips the others.
func TestCommandStats(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	rdb := ts.client(t, 2)
	for range 3 {
		assert.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
	}
	assert.Error(t, rdb.Do(ctx, "get").Err()) // wrong arity: rejected
	got := map[string]CommandStats{}
	ts.srv.CommandStats(func(cs CommandStats) { got[cs.Name] = cs })
	assert.EqualValues(t, 3, got["set"].Calls)
	l := got["set"].Latency
	assert.EqualValues(t, 3, l.Total())
	assert.EqualValues(t, 1, got["get"].Rejected)
	assert.Zero(t, got["get"].Calls)
	_, listed := got["hset"]
	assert.False(t, listed, "never used")
	st := ts.srv.Stats()
	assert.EqualValues(t, 1, st.Keyspace.Keys)
	assert.GreaterOrEqual(t, st.Clients, int64(1))
	assert.GreaterOrEqual(t, st.CommandsProcessed, int64(4))
	assert.False(t, ts.srv.Stopping())
}
