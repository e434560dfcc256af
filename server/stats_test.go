package server

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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

// TestInfoChangesSinceSave: INFO's rdb_changes_since_last_save counts
// changes as Redis's server.dirty (meshcache never saves): one per key a
// command changes, by element where Redis counts so (LPUSH); reads and
// writes that change nothing leave it, in RESP2 and RESP3. The Tcl suite's
// "BLPOP/BLMOVE should increase dirty" reads it; TestDirtyAgainstRedis
// compares every family with redis-server.
func TestInfoChangesSinceSave(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	for _, proto := range []int{2, 3} {
		rdb := ts.client(t, proto)
		changes := func() int64 {
			t.Helper()
			n, err := strconv.ParseInt(infoFields(t, rdb, ctx, "persistence")["rdb_changes_since_last_save"], 10, 64)
			require.NoError(t, err)
			return n
		}
		base := changes()
		assert.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
		assert.NoError(t, rdb.LPush(ctx, "l", "a", "b").Err())
		assert.Equal(t, base+3, changes(), "SET: one key; LPUSH: two elements")
		assert.NoError(t, rdb.Get(ctx, "k").Err())
		assert.NoError(t, rdb.SetBit(ctx, "b", 0, 0).Err()) // creates b
		assert.NoError(t, rdb.SetBit(ctx, "b", 0, 0).Err()) // changes nothing
		assert.NoError(t, rdb.Del(ctx, "b").Err())
		assert.Equal(t, base+5, changes(), "a read and a SETBIT that changes no bit count nothing")
		assert.NoError(t, rdb.Del(ctx, "k", "l", "nokey").Err())
		assert.Equal(t, base+7, changes(), "DEL of two keys that exist")
	}
}

// TestStoreLatencyEvents: the store's cycles reach LATENCY under their own
// event names once they cross latency-monitor-threshold, and not while
// the monitor is off (threshold 0) or below it, as Redis's
// latencyAddSampleIfNeeded.
func TestStoreLatencyEvents(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	rdb := ts.client(t, 2)
	ts.srv.noteStoreLatency("expire-cycle", 50*time.Millisecond) // the monitor is off
	latest := func() []any {
		t.Helper()
		v, err := rdb.Do(ctx, "LATENCY", "LATEST").Slice()
		require.NoError(t, err)
		return v
	}
	assert.Empty(t, latest())
	require.NoError(t, rdb.ConfigSet(ctx, "latency-monitor-threshold", "20").Err())
	ts.srv.noteStoreLatency("expire-cycle", 19*time.Millisecond)
	assert.Empty(t, latest(), "below the threshold")
	ts.srv.noteStoreLatency("expire-cycle", 25*time.Millisecond)
	ts.srv.noteStoreLatency("eviction-cycle", 30*time.Millisecond)
	got := map[string]int64{}
	for _, e := range latest() {
		ev := e.([]any)
		got[ev[0].(string)] = ev[2].(int64)
	}
	assert.Equal(t, map[string]int64{"expire-cycle": 25, "eviction-cycle": 30}, got)
}

// TestInstantaneousRates: INFO's instantaneous_ops_per_sec and
// input/output kbps follow the traffic (server/instant computes them;
// its own test checks the arithmetic): commands sent for a while make
// them positive. Waits on the condition, with a deadline.
func TestInstantaneousRates(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	rdb := ts.client(t, 2)
	deadline := time.Now().Add(10 * time.Second)
	for {
		for range 200 {
			require.NoError(t, rdb.Set(ctx, "k", "v", 0).Err())
		}
		f := infoFields(t, rdb, ctx, "stats")
		ops, err := strconv.Atoi(f["instantaneous_ops_per_sec"])
		require.NoError(t, err)
		in, err := strconv.ParseFloat(f["instantaneous_input_kbps"], 64)
		require.NoError(t, err)
		out, err := strconv.ParseFloat(f["instantaneous_output_kbps"], 64)
		require.NoError(t, err)
		if ops > 0 && in > 0 && out > 0 {
			return
		}
		require.True(t, time.Now().Before(deadline), "rates still %d ops/s, %.2f and %.2f kbps", ops, in, out)
	}
}
