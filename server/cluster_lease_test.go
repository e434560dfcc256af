package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/tests/testenv"
)

// TestClusterMinorityRefuses cuts one node of three (one replica per slot)
// off from the others and talks to it directly, as a client of that node
// would: once its quorum lease lapses it refuses writes with -CLUSTERDOWN,
// and reads too while cluster-allow-reads-when-down is no (the default);
// set to yes, it serves reads of its slots from its own copy (possibly
// stale) and still refuses writes. Healed, it takes writes again
// (docs/DESIGN.md §5, issue 18).
func TestClusterMinorityRefuses(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := clusterCtx(t, 90*time.Second)
	faults := transport.NewFaults()
	nodes := testenv.StartInProcess(t, 3,
		func(seeds []string) *clusterNode {
			return startClusterNodeFaults(t, seeds, func(c *config.Config) { c.Replicas = 1 }, true, faults)
		},
		func(c *clusterNode) testenv.InProcessNode { return c.node })
	minority := nodes[2]
	key := keyOn(t, nodes, minority, "lease")
	cl := dialClient(t, minority.addr, 2)
	require.NoError(t, cl.Set(ctx, key, "before", 0).Err())
	v, err := cl.ConfigGet(ctx, "cluster-allow-reads-when-down").Result()
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"cluster-allow-reads-when-down": "no"}, v, "reads are refused on a minority by default")

	faults.Cut([]string{minority.node.ClusterAddr()}, []string{nodes[0].node.ClusterAddr(), nodes[1].node.ClusterAddr()})
	testenv.Wait(t, 30*time.Second, "the minority refuses a read", func() error {
		if err := cl.Get(ctx, key).Err(); err == nil || err.Error() != route.ErrReadMinority {
			return fmt.Errorf("GET answered %v", err)
		}
		return nil
	})
	assert.EqualError(t, cl.Set(ctx, key, "during", 0).Err(), route.ErrWriteMinority)
	assert.EqualError(t, cl.Get(ctx, key).Err(), route.ErrReadMinority)

	require.NoError(t, cl.ConfigSet(ctx, "cluster-allow-reads-when-down", "yes").Err())
	got, err := cl.Get(ctx, key).Result()
	require.NoError(t, err, "with cluster-allow-reads-when-down yes the minority serves reads")
	assert.Equal(t, "before", got)
	assert.EqualError(t, cl.Set(ctx, key, "during", 0).Err(), route.ErrWriteMinority, "and still refuses writes")
	// A script that may write is refused up front, as Redis Cluster
	// refuses it while down; a read-only one is a read.
	assert.EqualError(t, cl.Eval(ctx, "return redis.call('SET', KEYS[1], 'script')", []string{key}).Err(), route.ErrWriteMinority,
		"EVAL is refused before it runs, not left to time out unacknowledged")
	got, err = cl.EvalRO(ctx, "return redis.call('GET', KEYS[1])", []string{key}).Text()
	require.NoError(t, err, "EVAL_RO is a read")
	assert.Equal(t, "before", got)
	require.NoError(t, cl.ConfigSet(ctx, "cluster-allow-reads-when-down", "no").Err())

	faults.Heal()
	waitConverged(t, nodes)
	testenv.Wait(t, 30*time.Second, "the healed node takes writes", func() error {
		return cl.Set(ctx, key, "after", 0).Err()
	})
	got, err = cl.Get(ctx, key).Result()
	require.NoError(t, err)
	assert.Equal(t, "after", got)
}
