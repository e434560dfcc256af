package client

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/tests/testenv"
)

// startRedisCluster starts three redis-server --cluster-enabled yes and
// joins them with redis-cli --cluster create (three masters, no replicas),
// then waits until each reports cluster_state:ok. Skips without redis-cli.
func startRedisCluster(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not on PATH")
	}
	addrs := addrsOf(testenv.StartRedis(t, 3, "--cluster-enabled", "yes", "--cluster-node-timeout", "5000"))
	ctx := testCtx(t, time.Minute)
	out, err := exec.CommandContext(ctx, "redis-cli", append(append([]string{"--cluster", "create"}, addrs...),
		"--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	require.NoError(t, err, "redis-cli --cluster create: %s", out)
	for _, a := range addrs {
		c := redis.NewClient(&redis.Options{Addr: a})
		testenv.Wait(t, 30*time.Second, a+" cluster_state:ok", func() error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return errors.New("cluster_state not ok yet")
			}
			return nil
		})
		require.NoError(t, c.Close())
	}
	return addrs
}

// TestRedisClusterRefused: a real Redis Cluster answers CLUSTER NODES as
// meshcache does, but its masters split the keys, so Redlock over them is
// unsound: New refuses it, discovered or declared Redis, with
// lock.ErrRedisCluster; a Locker built over its nodes by hand grants
// nothing, and says why.
func TestRedisClusterRefused(t *testing.T) {
	addrs := startRedisCluster(t)
	ctx := testCtx(t, time.Minute)

	for _, opts := range []Options{{Addrs: addrs}, {Addrs: addrs, Redis: true}, {Addrs: addrs[1:2], Redis: true}} {
		c, err := New(ctx, opts)
		require.Error(t, err, "Redis=%v", opts.Redis)
		assert.Nil(t, c)
		assert.ErrorIs(t, err, lock.ErrRedisCluster, "Redis=%v", opts.Redis)
		assert.Contains(t, err.Error(), "Redis Cluster")
	}

	// lock/ alone: one backend per master. The lock's key lives on one of
	// them; the others redirect, which is ErrRedisCluster, so no quorum.
	backends := make([]lock.Backend, len(addrs))
	for i, a := range addrs {
		backends[i] = lock.NewRedisBackend(redis.NewClient(lock.ClientOptions(a)), "")
	}
	granted, redirected := 0, 0
	for _, b := range backends {
		_, err := b.Acquire(ctx, "job", "holder-1", 10*time.Second)
		switch {
		case err == nil:
			granted++
			require.NoError(t, b.Release(ctx, "job", "holder-1"))
		case errors.Is(err, lock.ErrRedisCluster):
			redirected++
		default:
			t.Fatalf("acquire on %s: %v", b, err)
		}
	}
	assert.Equal(t, 1, granted, "one master holds the key's slot")
	assert.Equal(t, 2, redirected)
	l, err := lock.New(backends)
	require.NoError(t, err)
	defer l.Close()
	_, err = l.TryAcquire(ctx, "job", 10*time.Second)
	require.Error(t, err, "a quorum over a Redis Cluster's masters is never granted")
	assert.ErrorIs(t, err, lock.ErrRedisCluster)
}
