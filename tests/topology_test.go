package tests

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestClusterOneRolePerNode: cluster clients see one role per node (every
// node a master of the slots it leads, docs/DESIGN.md §6 "Cluster
// surface"), and keyspace-wide commands act on the slots a node leads, so
// go-redis's ClusterClient, redis-py's RedisCluster and redis-cli
// --cluster count every key once and FLUSHALL sent to every master
// empties the cluster, replicas included: on 3 nodes, on 5 after two
// joins, and after a CLUSTER FAILOVER.
func TestClusterOneRolePerNode(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3)
	checkOneRolePerNode(t, tc, "3 nodes")

	tc.addNode(t)
	tc.addNode(t)
	tc.waitConverged(t, 5, 180*time.Second)
	checkOneRolePerNode(t, tc, "5 nodes after two joins")

	ctx := testContext(t, 30*time.Second)
	x := tc.nodes[4]
	before := tc.slotsLed(t, x)
	require.NoError(t, x.client(2).Do(ctx, "CLUSTER", "FAILOVER").Err())
	testenv.Wait(t, 120*time.Second, "the failover to "+x.addr, func() error {
		if n := tc.slotsLed(t, x); n <= before {
			return fmt.Errorf("%s leads %d slots, %d before the failover", x.addr, n, before)
		}
		_, err := tc.view(5)
		return err
	})
	checkOneRolePerNode(t, tc, "5 nodes after a failover")
}

// slotsLed is the number of slots n leads, as CLUSTER NODES on n says.
func (tc *testCluster) slotsLed(t *testing.T, n *node) int {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: n.addr})
	defer c.Close()
	raw, err := c.ClusterNodes(context.Background()).Result()
	require.NoError(t, err)
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		f := strings.Fields(line)
		if len(f) < 8 || !strings.Contains(f[2], "myself") {
			continue
		}
		count := 0
		for _, r := range f[8:] {
			lo, hi, ok := strings.Cut(r, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				continue // an open slot, [s->-id]
			}
			b := a
			if ok {
				b, _ = strconv.Atoi(hi)
			}
			count += b - a + 1
		}
		return count
	}
	t.Fatalf("no myself line in CLUSTER NODES of %s", n.addr)
	return 0
}

// checkOneRolePerNode checks the cluster through every client kind; it
// empties the cluster first and leaves it empty.
func checkOneRolePerNode(t *testing.T, tc *testCluster, when string) {
	t.Helper()
	ctx := testContext(t, 2*time.Minute)
	nodes := len(tc.nodes)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs(), MaxRedirects: 3})
	t.Cleanup(func() { _ = cc.Close() })
	cc.ReloadState(ctx)

	// go-redis: FLUSHALL to every master (ForEachMaster, as with Redis
	// Cluster: the ClusterClient's own FlushAll goes to one node), then
	// keys counted once.
	flushAll := func() error {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return c.FlushAll(ctx).Err() })
	}
	require.NoError(t, flushAll(), when)
	var masters atomic.Int32 // ForEachMaster runs fn concurrently
	require.NoError(t, cc.ForEachMaster(ctx, func(context.Context, *redis.Client) error { masters.Add(1); return nil }))
	assert.Equal(t, int32(nodes), masters.Load(), "%s: every node one master", when)
	const nkeys = 600
	keys := make([]string, nkeys)
	for i := range keys {
		keys[i] = "role:" + strconv.Itoa(i)
		require.NoError(t, cc.Set(ctx, keys[i], i, 0).Err())
	}
	assert.Equal(t, int64(nkeys), cc.DBSize(ctx).Val(), "%s: DBSIZE summed over the masters", when)
	seen := map[string]int{}
	var mu sync.Mutex // guards seen: ForEachMaster runs fn concurrently
	require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		it := c.Scan(ctx, 0, "role:*", 100).Iterator()
		for it.Next(ctx) {
			mu.Lock()
			seen[it.Val()]++
			mu.Unlock()
		}
		return it.Err()
	}))
	assert.Len(t, seen, nkeys, "%s: SCAN over every master finds every key", when)
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s: SCAN over the masters returned %s %d times", when, k, n)
		}
	}

	// redis-cli --cluster: info counts every key once, check is clean,
	// call DBSIZE sums to the keys.
	if _, err := exec.LookPath("redis-cli"); err == nil {
		out := clusterCLI(t, "info", tc.nodes[0].addr)
		assert.Contains(t, out, fmt.Sprintf("[OK] %d keys in %d masters.", nkeys, nodes), "%s:\n%s", when, out)
		assert.Len(t, regexp.MustCompile(`(?m)\| 0 slaves\.$`).FindAllString(out, -1), nodes, out)
		out = clusterCLI(t, "check", tc.nodes[len(tc.nodes)-1].addr)
		assert.Contains(t, out, "[OK] All nodes agree about slots configuration.", out)
		assert.Contains(t, out, "[OK] All 16384 slots covered.", out)
		assert.NotContains(t, out, "[ERR]", out)
		assert.NotContains(t, out, "[WARNING]", out)
		out = clusterCLI(t, "call", tc.nodes[0].addr, "DBSIZE")
		sum := 0
		for _, m := range regexp.MustCompile(`(?m)^127\.0\.0\.1:\d+: (\d+)$`).FindAllStringSubmatch(out, -1) {
			n, _ := strconv.Atoi(m[1])
			sum += n
		}
		assert.Equal(t, nkeys, sum, "%s: redis-cli --cluster call DBSIZE:\n%s", when, out)
	}

	// FLUSHALL through the cluster client empties every copy: no node
	// holds any of the keys' slots, led or replicated, once the flushes
	// have replicated.
	require.NoError(t, flushAll())
	assert.Zero(t, cc.DBSize(ctx).Val(), when)
	slots := map[int]bool{}
	for _, k := range keys {
		slots[keySlot(k)] = true
	}
	clients := tc.clients(t, 2)
	testenv.Wait(t, 30*time.Second, "the flush to reach every replica", func() error {
		for addr, c := range clients {
			for s := range slots {
				if n := c.ClusterCountKeysInSlot(ctx, s).Val(); n != 0 {
					return fmt.Errorf("%s still holds %d keys of slot %d", addr, n, s)
				}
			}
		}
		return nil
	})

	// redis-py: scan_iter, dbsize, flushall.
	if err := exec.Command(pythonWithRedis, "-c", "import redis.cluster").Run(); err == nil {
		out, err := exec.CommandContext(ctx, pythonWithRedis, "py/keyspace_cluster.py",
			strconv.Itoa(tc.nodes[1].port), strconv.Itoa(nodes)).CombinedOutput()
		require.NoError(t, err, "%s: %s", when, out)
		require.Contains(t, string(out), "redis-py keyspace: all checks passed")
	}
}
