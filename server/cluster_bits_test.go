package server

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
)

// TestReplBitsAndHLL: bitmap, range and HyperLogLog writes reach the
// replica through the replication stream (range effects included) before
// the reply, byte for byte: sparse and dense HyperLogLogs, a PFCOUNT's
// cached cardinality (after WAIT: PFCOUNT is a read), and bits far into a
// string.
func TestReplBitsAndHLL(t *testing.T) {
	nodes := startReplCluster(t, 2, func(c *config.Config) { c.Replicas = 1; c.ReplicaAck = "one" })
	ctx := clusterCtx(t, 60*time.Second)
	p := nodes[0]
	c := dialClient(t, p.addr, 2)
	k := syncedKeyOn(t, nodes, p, "bits-")
	h := "{" + k + "}hll"
	m := "{" + k + "}not"
	pm := "{" + k + "}merged"
	writes := [][]any{
		{"SETBIT", k, 100000, 1}, {"SETBIT", k, 7, 1}, {"SETRANGE", k, 5, "hello"}, {"APPEND", k, "tail"},
		{"BITFIELD", k, "SET", "u16", "#3", 65535, "INCRBY", "i8", 200, -3},
		{"BITOP", "NOT", m, k}, {"PFADD", h, "a", "b", "c"}, {"PFCOUNT", h},
	}
	var many []any
	for i := range 3000 {
		many = append(many, "e"+strconv.Itoa(i))
	}
	writes = append(writes, append([]any{"PFADD", h}, many...), []any{"PFADD", h, "x", "y", "z"},
		[]any{"PFCOUNT", h}, []any{"PFMERGE", pm, h}, []any{"PFCOUNT", pm})
	rep := replicaOf(t, nodes, k)
	for _, w := range writes {
		require.NoError(t, c.Do(ctx, w...).Err(), "%v", w[0])
		if w[0] == "PFCOUNT" {
			// PFCOUNT is a read that may store its cached count (Redis
			// propagates that too): no reply waits for it, so wait for
			// the replica before comparing bytes.
			require.NoError(t, c.Do(ctx, "WAIT", 1, 5000).Err())
		}
		for _, key := range []string{k, h, m, pm} {
			want, err := c.Get(ctx, key).Result()
			if err != nil {
				continue // not created yet
			}
			got, ok := storeGet(t, rep, key)
			require.True(t, ok, "%v: %s missing on the replica", w[0], key)
			require.Equal(t, want, got, "%v: %s differs on the replica", w[0], key)
		}
	}
	v, err := c.Get(ctx, h).Result()
	require.NoError(t, err)
	require.Equal(t, byte(0), v[4], "dense by now")
}
