package tests

import (
	"crypto/sha1"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bsm/redislock"
	"github.com/go-redsync/redsync/v4"
	"github.com/go-redsync/redsync/v4/redis/goredis/v9"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestScriptingCluster: the lock libraries built on Lua scripts work
// unmodified against a 3-node cluster, through a plain client on any node
// (scripts forwarded to their key's primary) and through cluster clients:
// redsync (go-redis v9 pool), bsm/redislock and redis-py's Lock. Then the
// cluster rules of scripts: SCRIPT LOAD on one node serves EVALSHA through
// every node, keys of several slots are refused.
func TestScriptingCluster(t *testing.T) {
	t.Parallel()
	tc := startCluster(t, 3, formInOneStep...)
	view := tc.waitConverged(t, 3, 180*time.Second)

	t.Run("Redsync", func(t *testing.T) {
		for _, n := range tc.nodes {
			c := redis.NewClient(&redis.Options{Addr: n.addr})
			testRedsync(t, c, "plain-"+strconv.Itoa(n.port))
			_ = c.Close()
		}
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()})
		testRedsync(t, cc, "cluster")
		_ = cc.Close()
	})
	t.Run("Redislock", func(t *testing.T) {
		for _, n := range tc.nodes {
			c := redis.NewClient(&redis.Options{Addr: n.addr})
			testRedislock(t, c, "plain-"+strconv.Itoa(n.port))
			_ = c.Close()
		}
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()})
		testRedislock(t, cc, "cluster")
		_ = cc.Close()
	})
	t.Run("RedisPyLock", func(t *testing.T) {
		if err := exec.Command(pythonWithRedis, "-c", "import redis.cluster").Run(); err != nil {
			t.Skip("redis-py with redis.cluster not installed (apt-get install python3-redis)")
		}
		ctx := testContext(t, 2*time.Minute)
		out, err := exec.CommandContext(ctx, pythonWithRedis, "py/scripting.py", strconv.Itoa(tc.nodes[1].port)).CombinedOutput()
		require.NoError(t, err, string(out))
		require.Contains(t, string(out), "redis-py scripting: all checks passed")
	})
	t.Run("ScriptRules", func(t *testing.T) { testScriptRules(t, tc) })
	t.Run("EvalshaFallback", func(t *testing.T) { testEvalshaFallback(t, tc, view) })
	t.Run("Functions", func(t *testing.T) { testFunctionsCluster(t, tc) })
}

// testEvalshaFallback: a script cached on one node only (EVAL caches it
// where it runs) runs by EVALSHA through that node for a key another node
// leads: the primary answers NOSCRIPT and the node sends the body.
func testEvalshaFallback(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, time.Minute)
	clients := tc.clients(t, 2)
	a := tc.nodes[0].addr
	var here, there string
	for i := 0; here == "" || there == ""; i++ {
		k := fmt.Sprintf("fallback-%d", i)
		if view.ownerOf(k) == a {
			here = k
		} else {
			there = k
		}
	}
	body := "return 'fallback ' .. KEYS[1]"
	require.NoError(t, clients[a].Eval(ctx, body, []string{here}).Err())
	sha := fmt.Sprintf("%x", sha1.Sum([]byte(body)))
	exists, err := clients[view.ownerOf(there)].ScriptExists(ctx, sha).Result()
	require.NoError(t, err)
	require.Equal(t, []bool{false}, exists, "the primary of %s must not have the script yet", there)
	v, err := clients[a].EvalSha(ctx, sha, []string{there}).Text()
	require.NoError(t, err)
	assert.Equal(t, "fallback "+there, v)
}

// testFunctionsCluster: FUNCTION LOAD on one node reaches every member,
// FCALL works through every node whichever node leads the key, DELETE
// reaches every member, and a node that joins later fetches the
// libraries from a peer.
func testFunctionsCluster(t *testing.T, tc *testCluster) {
	ctx := testContext(t, 3*time.Minute)
	clients := tc.clients(t, 2)
	lib := "#!lua name=clib\nredis.register_function('cincr', function(keys) return redis.call('INCR', keys[1]) end)"
	require.NoError(t, clients[tc.nodes[2].addr].FunctionLoad(ctx, lib).Err())
	for i, n := range tc.nodes {
		for k := range 9 {
			key := fmt.Sprintf("fcall-%d-%d", i, k)
			v, err := clients[n.addr].FCall(ctx, "cincr", []string{key}).Int()
			require.NoError(t, err, "FCALL %s through %s", key, n.addr)
			assert.Equal(t, 1, v)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()})
	defer func() { _ = cc.Close() }()
	v, err := cc.FCall(ctx, "cincr", []string{"fcall-0-0"}).Int()
	require.NoError(t, err)
	assert.Equal(t, 2, v)

	joined := tc.addNode(t, formInOneStep...)
	jc := redis.NewClient(&redis.Options{Addr: joined.addr})
	defer func() { _ = jc.Close() }()
	require.NoError(t, testenv.Until(2*time.Minute, func() error {
		libs, err := jc.FunctionList(ctx, redis.FunctionListQuery{}).Result()
		if err != nil {
			return err
		}
		if len(libs) != 1 || libs[0].Name != "clib" {
			return fmt.Errorf("the joined node has libraries %v", libs)
		}
		return nil
	}))
	require.NoError(t, clients[tc.nodes[0].addr].FunctionDelete(ctx, "clib").Err())
	for _, n := range append(tc.nodes[:3:3], joined) {
		c := redis.NewClient(&redis.Options{Addr: n.addr})
		// The join's rebalance may be moving x's slot: TRYAGAIN, as Redis
		// Cluster answers before it looks at the command, is asked again
		// (go-redis's own three retries can fall inside one handoff).
		var err error
		require.NoError(t, testenv.Until(time.Minute, func() error {
			_, err = c.FCall(ctx, "cincr", []string{"x"}).Result()
			if err != nil && strings.HasPrefix(err.Error(), "TRYAGAIN") {
				return err
			}
			return nil
		}), n.addr)
		assert.ErrorContains(t, err, "Function not found", n.addr)
		_ = c.Close()
	}
}

// testRedsync takes, extends and releases mutexes whose names spread over
// the slots of every node.
func testRedsync(t *testing.T, c redis.UniversalClient, label string) {
	rs := redsync.New(goredis.NewPool(c))
	for i := range 12 {
		name := fmt.Sprintf("redsync-%s-%d", label, i)
		m := rs.NewMutex(name, redsync.WithExpiry(10*time.Second), redsync.WithTries(1))
		require.NoError(t, m.Lock(), name)
		other := rs.NewMutex(name, redsync.WithExpiry(10*time.Second), redsync.WithTries(1))
		require.Error(t, other.Lock(), "%s: a held mutex must not be taken", name)
		ok, err := m.Extend()
		require.NoError(t, err, name)
		require.True(t, ok, name)
		ok, err = m.Unlock()
		require.NoError(t, err, name)
		require.True(t, ok, name)
		ok, err = m.Unlock()
		require.False(t, ok, "%s: a released mutex must not unlock again (%v)", name, err)
		require.NoError(t, other.Lock(), "%s: a released mutex must be free", name)
		_, err = other.Unlock()
		require.NoError(t, err, name)
	}
}

// testRedislock obtains, refreshes and releases locks on keys over every node.
func testRedislock(t *testing.T, c redislock.RedisClient, label string) {
	ctx := testContext(t, time.Minute)
	locker := redislock.New(c)
	for i := range 12 {
		key := fmt.Sprintf("redislock-%s-%d", label, i)
		lock, err := locker.Obtain(ctx, key, 10*time.Second, nil)
		require.NoError(t, err, key)
		_, err = locker.Obtain(ctx, key, 10*time.Second, nil)
		require.ErrorIs(t, err, redislock.ErrNotObtained, key)
		ttl, err := lock.TTL(ctx)
		require.NoError(t, err, key)
		assert.Greater(t, ttl, time.Duration(0), key)
		require.NoError(t, lock.Refresh(ctx, 20*time.Second, nil), key)
		ttl, err = lock.TTL(ctx)
		require.NoError(t, err, key)
		assert.Greater(t, ttl, 10*time.Second, key)
		require.NoError(t, lock.Release(ctx), key)
		require.ErrorIs(t, lock.Release(ctx), redislock.ErrLockNotHeld, key)
		again, err := locker.Obtain(ctx, key, time.Second, nil)
		require.NoError(t, err, key)
		require.NoError(t, again.Release(ctx), key)
	}
}

// testScriptRules: a script loaded through one node runs by EVALSHA
// through every node, whichever node leads its key; a script's keys must
// share a slot.
func testScriptRules(t *testing.T, tc *testCluster) {
	ctx := testContext(t, time.Minute)
	clients := tc.clients(t, 2)
	body := "return redis.call('INCR', KEYS[1])"
	sha, err := clients[tc.nodes[0].addr].ScriptLoad(ctx, body).Result()
	require.NoError(t, err)
	for _, n := range tc.nodes {
		exists, err := clients[n.addr].ScriptExists(ctx, sha).Result()
		require.NoError(t, err)
		assert.Equal(t, []bool{true}, exists, "SCRIPT LOAD must reach %s", n.addr)
	}
	for i, n := range tc.nodes {
		for k := range 9 {
			key := fmt.Sprintf("evalsha-%d-%d", i, k)
			v, err := clients[n.addr].EvalSha(ctx, sha, []string{key}).Int()
			require.NoError(t, err, "EVALSHA %s through %s", key, n.addr)
			assert.Equal(t, 1, v)
		}
	}
	_, err = clients[tc.nodes[0].addr].Eval(ctx, "return 1", []string{"a", "b"}).Result()
	require.ErrorContains(t, err, "CROSSSLOT")
	v, err := clients[tc.nodes[0].addr].Eval(ctx, "redis.call('SET', KEYS[1], 1) return redis.call('GET', KEYS[2])", []string{"{t}a", "{t}b"}).Result()
	require.ErrorIs(t, err, redis.Nil, "%v", v)
	require.NoError(t, clients[tc.nodes[1].addr].ScriptFlush(ctx).Err())
	for _, n := range tc.nodes {
		exists, err := clients[n.addr].ScriptExists(ctx, sha).Result()
		require.NoError(t, err)
		assert.Equal(t, []bool{false}, exists, "SCRIPT FLUSH must reach %s", n.addr)
	}
}
