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
// cached cardinality (once the replica caught up: PFCOUNT is a read), and
// bits far into a string.
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
		// PFCOUNT is a read that may store its cached count (Redis
		// propagates that too): no reply waits for that write, nor does
		// WAIT (a read notes no position), so its bytes are compared
		// once the replica has caught up; every other reply waits.
		settled := func(key string) (want, got string, same bool) {
			want, err := c.Get(ctx, key).Result()
			if err != nil {
				return "", "", true // not created yet
			}
			got, ok := storeGet(t, rep, key)
			return want, got, ok && got == want
		}
		for _, key := range []string{k, h, m, pm} {
			if w[0] == "PFCOUNT" {
				require.Eventually(t, func() bool { _, _, same := settled(key); return same }, 10*time.Second, 5*time.Millisecond,
					"%v: %s never reached the replica", w[0], key)
				continue
			}
			want, got, same := settled(key)
			require.True(t, same, "%v: %s differs on the replica (%d bytes, want %d)", w[0], key, len(got), len(want))
		}
	}
	v, err := c.Get(ctx, h).Result()
	require.NoError(t, err)
	require.Equal(t, byte(0), v[4], "dense by now")
}
