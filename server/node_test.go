package server

import (
	"log/slog"
	"regexp"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/topology"
	"github.com/meshcache/meshcache/store"
)

// TestStandaloneByDefault: a server built without a cluster runs with its
// own one-node membership, named by its run ID, and is standalone.
func TestStandaloneByDefault(t *testing.T) {
	cfg := config.Default()
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	assert.True(t, s.standalone)
	assert.Equal(t, ring.NodeID(s.runID), s.cluster.ID())
	assert.Equal(t, s.solo, s.cluster.Router)
	assert.Equal(t, s.solo, s.Solo())
	assert.Equal(t, ring.SlotCount, s.Cluster().Table().Assigned())
}

// oneNodeCluster is a solo.Node that does not say it is standalone: the
// server treats it as any cluster membership, a cluster of one.
type oneNodeCluster struct{ *solo.Node }

func (oneNodeCluster) Standalone() bool { return false }

// TestSetClusterFillsMissingParts: the parts not given stay the server's
// own one-node membership; the standalone fact is the Router's.
func TestSetClusterFillsMissingParts(t *testing.T) {
	cfg := config.Default()
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	r := oneNodeCluster{s.solo}
	s.SetCluster(membership.Cluster{Router: r})
	assert.False(t, s.standalone)
	assert.Equal(t, r, s.cluster.Router)
	assert.Equal(t, s.solo, s.cluster.Forwarder)
	assert.Equal(t, s.solo, s.cluster.Replicas)
	assert.Equal(t, s.solo, s.cluster.Leaver)
	s.SetCluster(membership.Of(s.solo))
	assert.True(t, s.standalone)
}

// TestSoloAsClusterOfOne runs the server on the one-node membership as a
// cluster of one (not standalone): every command goes through routing and
// replica acknowledgement, and the null object's answers make it behave as
// a real one-node cluster without replicas does: writes are not held back
// waiting for replicas (replica-ack all), WAIT counts 0, min-replicas-to-write
// refuses, and same-slot rules apply as in Redis Cluster.
func TestSoloAsClusterOfOne(t *testing.T) {
	cfg := config.Default()
	cfg.Port = 0
	cfg.ReplicaAck = "all"
	s := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	s.SetCluster(membership.Of(oneNodeCluster{s.solo}))
	ts := serveTest(t, s)
	c := ts.client(t, 2)
	tctx := testCtx(t)

	require.NoError(t, c.Set(tctx, "a", "1", 0).Err())
	require.NoError(t, c.MSet(tctx, "b", "2", "c", "3").Err(), "keys of several slots, all led here")
	assert.Equal(t, []any{"1", "2", "3"}, c.MGet(tctx, "a", "b", "c").Val())
	assert.EqualValues(t, 0, c.Do(tctx, "WAIT", "1", "0").Val(), "no replica applied anything")
	assert.EqualValues(t, 0, s.repl.ack.Counts().Waits, "no batch waited: no slot has a replica")
	err := c.Rename(tctx, "a", "b").Err()
	require.Error(t, err)
	assert.Equal(t, errCrossSlot, err.Error(), "a cluster of one keeps Redis Cluster's rules")
	res, err := c.TxPipelined(tctx, func(p redis.Pipeliner) error {
		p.Incr(tctx, "{t}x")
		p.Incr(tctx, "{t}y")
		return nil
	})
	require.NoError(t, err)
	assert.Len(t, res, 2)

	nodes, err := c.ClusterNodes(tctx).Result()
	require.NoError(t, err)
	assert.Regexp(t, `^`+s.runID+` 127\.0\.0\.1:\d+@\d+ myself,master - 0 0 0 connected 0-16383\n$`, nodes)
	info, err := c.Info(tctx, "cluster").Result()
	require.NoError(t, err)
	assert.Contains(t, info, "cluster_slots_migrating:0\r\n", "a cluster of one reports its (absent) transfers")
	assert.Contains(t, info, "cluster_migration_rate_bytes:0\r\n")
	err = c.Do(tctx, "CLUSTER", "FAILOVER").Err()
	require.Error(t, err)
	assert.Equal(t, topology.ErrNoClusterPort, err.Error())

	require.NoError(t, c.ConfigSet(tctx, "min-replicas-to-write", "1").Err())
	err = c.Set(tctx, "a", "2", 0).Err()
	require.Error(t, err)
	assert.Equal(t, errNoReplicas, err.Error())
	assert.Equal(t, "1", c.Get(tctx, "a").Val(), "reads go on")
}

// TestStandaloneAnswers: what a standalone server answers where a cluster
// of one differs (the same commands as TestSoloAsClusterOfOne).
func TestStandaloneAnswers(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.ReplicaAck = "all" })
	c := ts.client(t, 2)
	ctx := testCtx(t)
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.NoError(t, c.ConfigSet(ctx, "min-replicas-to-write", "1").Err())
	require.NoError(t, c.Rename(ctx, "a", "b").Err(), "cluster mode off: any keys meet")
	assert.EqualValues(t, 0, c.Do(ctx, "WAIT", "1", "0").Val())
	info, err := c.Info(ctx, "cluster").Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"# Cluster", "cluster_enabled:1", "cluster_settled:1"}, strings.Split(strings.TrimSpace(info), "\r\n"))
	for _, args := range [][]any{{"CLUSTER", "LEAVE"}, {"CLUSTER", "FAILOVER"}, {"CLUSTER", "MEET", "127.0.0.1", "7000"}} {
		err := c.Do(ctx, args...).Err()
		require.Error(t, err, "%v", args)
		assert.Equal(t, topology.ErrNoClusterPort, err.Error(), "%v", args)
	}
	err = c.Do(ctx, "CLUSTER", "FORGET", strings.Repeat("a", 40)).Err()
	require.Error(t, err)
	assert.Equal(t, "ERR Unknown node "+strings.Repeat("a", 40), err.Error())
	repl, err := c.Info(ctx, "replication").Result()
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^slots_led:0\r$`), repl)
	assert.Regexp(t, regexp.MustCompile(`(?m)^draining:0\r$`), repl)
}
