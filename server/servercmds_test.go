package server

import (
	"strings"
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

func TestCommandCommand(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	for _, proto := range []int{2, 3} {
		c := ts.client(t, proto)
		// go-redis parses COMMAND (Redis 7 shape: 10 fields per command).
		infos, err := c.Command(ctx).Result()
		require.NoError(t, err)
		require.Len(t, infos, len(ts.srv.table.Sorted))
		get := infos["get"]
		require.NotNil(t, get)
		require.EqualValues(t, 2, get.Arity)
		require.True(t, get.ReadOnly)
		require.EqualValues(t, 1, get.FirstKeyPos)
		require.EqualValues(t, 1, get.LastKeyPos)
		require.EqualValues(t, 1, get.StepCount)
		require.Contains(t, get.ACLFlags, "@read")

		n, err := c.Do(ctx, "COMMAND", "COUNT").Int64()
		require.NoError(t, err)
		require.EqualValues(t, len(ts.srv.table.Sorted), n)

		v, err := c.Do(ctx, "COMMAND", "INFO", "client|setname", "nosuch").Slice()
		require.NoError(t, err)
		require.Len(t, v, 2)
		require.Equal(t, "client|setname", v[0].([]any)[0])
		require.Nil(t, v[1])

		keys, err := c.CommandGetKeys(ctx, "MSET", "a", "1", "b", "2").Result()
		require.NoError(t, err)
		require.Equal(t, []string{"a", "b"}, keys)
		require.EqualError(t, c.Do(ctx, "COMMAND", "GETKEYS", "nosuch", "a").Err(), "ERR Invalid command specified")
		require.EqualError(t, c.Do(ctx, "COMMAND", "GETKEYS", "get").Err(), "ERR Invalid number of arguments specified for command")
		require.EqualError(t, c.Do(ctx, "COMMAND", "GETKEYS", "ping", "x").Err(), "ERR The command has no key arguments")

		names, err := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "PATTERN", "client|*").StringSlice()
		require.NoError(t, err)
		require.Contains(t, names, "client|setname")
		for _, n := range names {
			require.True(t, strings.HasPrefix(n, "client|"), n)
		}

		docs, err := c.Do(ctx, "COMMAND", "DOCS", "get").Result()
		require.NoError(t, err)
		require.NotNil(t, docs)
	}
}

func TestConfigGetSet(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c2, c3 := ts.client(t, 2), ts.client(t, 3)

	// What redis-benchmark asks for.
	require.Equal(t, map[string]string{"save": ""}, c2.ConfigGet(ctx, "save").Val())
	require.Equal(t, map[string]string{"appendonly": "no"}, c2.ConfigGet(ctx, "appendonly").Val())
	got, err := c3.Do(ctx, "CONFIG", "GET", "maxmemory*", "timeout").Result()
	require.NoError(t, err)
	require.Equal(t, map[any]any{"maxmemory": "0", "maxmemory-clients": "0", "maxmemory-policy": "noeviction", "maxmemory-samples": "5", "timeout": "0"}, got)

	steps := []testenv.Step{
		{Args: []any{"CONFIG", "SET", "maxmemory", "100mb", "maxmemory-policy", "allkeys-lru"}, Want: "OK"},
		{Args: []any{"CONFIG", "GET", "maxmemory"}, Want: []any{"maxmemory", "104857600"}},
		{Args: []any{"CONFIG", "SET", "maxmemory", "lots"}, Err: "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{Args: []any{"CONFIG", "SET", "maxmemory-policy", "foo"}, Err: "ERR CONFIG SET failed (possibly related to argument 'maxmemory-policy') - argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
		{Args: []any{"CONFIG", "SET", "maxclients", "x"}, Err: "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument couldn't be parsed into an integer"},
		{Args: []any{"CONFIG", "SET", "timeout", "-1"}, Err: "ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"},
		{Args: []any{"CONFIG", "SET", "port", "7"}, Err: "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config"},
		{Args: []any{"CONFIG", "SET", "nosuch", "1"}, Err: "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{Args: []any{"CONFIG", "SET", "save", ""}, Want: "OK"},
		{Args: []any{"CONFIG", "SET", "save", "900 1"}, Err: "ERR CONFIG SET failed (possibly related to argument 'save') - meshcache writes no RDB snapshots: save accepts only \"\""},
		{Args: []any{"CONFIG", "SET", "daemonize", "yes"}, Err: "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{Args: []any{"CONFIG", "SET", "timeout", "7", "replicaof", "h 1"}, Err: "ERR CONFIG SET failed (possibly related to argument 'replicaof') - can't set immutable config"},
		{Args: []any{"CONFIG", "SET", "timeout", "1", "timeout", "2"}, Err: "ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter"},
		{Args: []any{"CONFIG", "SET", "timeout", "1", "maxmemory"}, Err: "ERR wrong number of arguments for 'config|set' command"},
		// All or nothing: the valid timeout is not applied with the bad maxclients.
		{Args: []any{"CONFIG", "SET", "timeout", "5", "maxclients", "0"}, Err: "ERR CONFIG SET failed (possibly related to argument 'maxclients') - argument must be between 1 and 2147483647 inclusive"},
		{Args: []any{"CONFIG", "GET", "timeout"}, Want: []any{"timeout", "0"}},
		{Args: []any{"CONFIG", "RESETSTAT"}, Want: "OK"},
	}
	testenv.RunSteps(t, ctx, c2, "resp2", steps)
	require.EqualValues(t, 100<<20, ts.srv.Config().MaxMemory)
	require.EqualValues(t, 100<<20, ts.srv.store.MaxMemory(), "maxmemory reaches the store")
}

func TestOOM(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	require.NoError(t, c.Set(ctx, "seed", strings.Repeat("x", 4096), 0).Err())
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "1").Err())
	require.EqualError(t, c.Set(ctx, "a", "1", 0).Err(), errOOM)
	require.NoError(t, c.Get(ctx, "seed").Err(), "reads are allowed")
	require.NoError(t, c.Del(ctx, "seed").Err(), "DEL is not denyoom")
	// Inside MULTI the refusal dooms the transaction.
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		return nil
	})
	require.Error(t, err)
	require.Contains(t, err.Error(), "EXECABORT")
	rejected := ts.srv.table.LookupName("set").Stats.Rejected.Load()
	require.GreaterOrEqual(t, rejected, int64(2))
	require.NoError(t, c.ConfigSet(ctx, "maxmemory", "0").Err())
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
}

func TestInfo(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	require.NoError(t, c.Set(ctx, "k1", "v", 0).Err())
	require.NoError(t, c.Set(ctx, "k2", "v", 0).Err())
	require.NoError(t, c.Expire(ctx, "k2", 1000e9).Err())
	require.Error(t, c.Do(ctx, "GET").Err())

	info, err := c.Info(ctx).Result()
	require.NoError(t, err)
	for _, want := range []string{"# Server\r\n", "redis_version:" + RedisVersion, "# Clients\r\n", "connected_clients:",
		"cluster_connections:0\r\n", "# Memory\r\n", "used_memory:", "used_memory_rss:", "# Stats\r\n", "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n",
		"cluster_enabled:1\r\n", "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl="} {
		require.Contains(t, info, want)
	}
	require.NotContains(t, info, "cmdstat_", "commandstats is not a default section")

	stats, err := c.Info(ctx, "commandstats").Result()
	require.NoError(t, err)
	require.Contains(t, stats, "cmdstat_set:calls=2,")
	require.Contains(t, stats, "cmdstat_get:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0")
	require.NotContains(t, stats, "# Server")

	// RESP3: INFO is a verbatim string, which go-redis returns as text.
	c3 := ts.client(t, 3)
	info3, err := c3.Info(ctx, "server").Result()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(info3, "# Server\r\n"), info3)

	n, err := c.DBSize(ctx).Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, n)
	require.NoError(t, c.Do(ctx, "FLUSHDB", "ASYNC").Err())
	require.EqualValues(t, 0, c.DBSize(ctx).Val())
	require.EqualError(t, c.Do(ctx, "FLUSHALL", "LATER").Err(), "ERR syntax error")

	tm, err := c.Time(ctx).Result()
	require.NoError(t, err)
	require.False(t, tm.IsZero())
}

func TestMemoryObjectSlowlog(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	require.NoError(t, c.Set(ctx, "num", "12345", 0).Err())
	require.NoError(t, c.Set(ctx, "str", strings.Repeat("s", 100), 0).Err())
	steps := []testenv.Step{
		{Args: []any{"OBJECT", "ENCODING", "num"}, Want: "int"},
		{Args: []any{"OBJECT", "ENCODING", "str"}, Want: "raw"},
		{Args: []any{"OBJECT", "ENCODING", "missing"}, Want: nil},
		{Args: []any{"OBJECT", "REFCOUNT", "num"}, Want: int64(1)},
		{Args: []any{"OBJECT", "FREQ", "num"}, Err: "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."},
		{Args: []any{"OBJECT", "IDLETIME", "num"}, Want: int64(0)},
		{Args: []any{"MEMORY", "USAGE", "missing"}, Want: nil},
		{Args: []any{"MEMORY", "USAGE", "num", "SAMPLES", "x"}, Err: "ERR value is not an integer or out of range"},
		{Args: []any{"CONFIG", "SET", "maxmemory-policy", "allkeys-lfu"}, Want: "OK"},
		{Args: []any{"OBJECT", "IDLETIME", "num"}, Err: "ERR An LRU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."},
	}
	testenv.RunSteps(t, ctx, c, "resp2", steps)
	freq, err := c.Do(ctx, "OBJECT", "FREQ", "num").Int64()
	require.NoError(t, err)
	require.GreaterOrEqual(t, freq, int64(0))
	usage, err := c.MemoryUsage(ctx, "str").Result()
	require.NoError(t, err)
	require.Greater(t, usage, int64(100))

	// Slow log: log everything, then read it back.
	require.NoError(t, c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err())
	require.NoError(t, c.Do(ctx, "SLOWLOG", "RESET").Err())
	require.NoError(t, c.Set(ctx, "slow", strings.Repeat("v", 200), 0).Err())
	entries, err := c.SlowLogGet(ctx, -1).Result()
	require.NoError(t, err)
	require.NotEmpty(t, entries)
	var found bool
	for _, e := range entries {
		if len(e.Args) == 3 && e.Args[0] == "set" || len(e.Args) == 3 && e.Args[0] == "SET" {
			found = true
			require.Equal(t, "slow", e.Args[1])
			require.Equal(t, strings.Repeat("v", 128)+"... (72 more bytes)", e.Args[2])
		}
	}
	require.True(t, found, "SET is in the slow log: %+v", entries)
	n, err := c.Do(ctx, "SLOWLOG", "LEN").Int64()
	require.NoError(t, err)
	require.Positive(t, n)
	require.EqualError(t, c.Do(ctx, "SLOWLOG", "GET", "-2").Err(), "ERR count should be greater than or equal to -1")
	require.NoError(t, c.ConfigSet(ctx, "slowlog-max-len", "1").Err())
	require.EqualValues(t, 1, c.Do(ctx, "SLOWLOG", "LEN").Val())
}
