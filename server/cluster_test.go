package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/route"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// testGossipProfile: lan rather than local timing, because these tests
// check data placement, and on a loaded 2-core machine local's 100 ms probe
// timeout marks busy nodes dead, which re-places their slots (without
// their data, until slot transfer exists) mid-test.
const testGossipProfile = "lan"

// testLogger is the in-process nodes' logger: silent, or the nodes' log at
// info level on stderr when MESHCACHE_TEST_LOG is set (to see membership
// and routing-table changes around a failure).
func testLogger() *slog.Logger {
	if os.Getenv("MESHCACHE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	}
	return slog.New(slog.DiscardHandler)
}

// clusterNode is an in-process meshcache node: store, server and
// cluster.Node on free loopback ports with the local gossip profile.
type clusterNode struct {
	srv   *Server
	node  *cluster.Node
	addr  string // client address
	stop  func() // stops serving and closes the node (idempotent)
	alive bool
}

// startClusterNode starts a node that joins the cluster of the seeds (their
// cluster addresses). With replicate its cluster.Node replicates its store
// (Config.Store) with cfg.Replicas replicas per slot; without, ownership
// changes move no data. It is stopped when the test ends.
func startClusterNode(t *testing.T, seeds []string, configure func(*config.Config), replicate bool) *clusterNode {
	t.Helper()
	return startClusterNodeFaults(t, seeds, configure, replicate, nil)
}

// startClusterNodeFaults is startClusterNode with a fault injector on the
// node's cluster port (nil: none); nodes that share one can be cut apart.
func startClusterNodeFaults(t *testing.T, seeds []string, configure func(*config.Config), replicate bool, faults *transport.Faults) *clusterNode {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	if configure != nil {
		configure(&cfg)
	}
	st := store.New(cfg.StoreConfig())
	srv := New(cfg, st, testLogger())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ccfg := cluster.Config{
		ClientAddr: ln.Addr().String(),
		BindAddr:   "127.0.0.1:0",
		Join:       seeds,
		Profile:    testGossipProfile,
		Faults:     faults,
	}
	if replicate {
		ccfg.Replicas, ccfg.Store = cfg.Replicas, st
		// Move slots in big steps when a node joins: the tests wait for
		// the final placement, not for the pace of a rebalance.
		ccfg.MigrationBatch = 4096
	}
	node, err := cluster.New(ccfg, srv, testLogger())
	if err != nil {
		_ = ln.Close()
		require.NoError(t, err)
	}
	srv.SetCluster(membership.Of(node))
	ctx, cancel := context.WithCancel(context.Background())
	require.NoError(t, node.Start(ctx))
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	cn := &clusterNode{srv: srv, node: node, addr: ln.Addr().String(), alive: true}
	stopped := false
	cn.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cn.alive = false
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(70 * time.Second):
			t.Error("server did not stop")
		}
		assert.NoError(t, node.Close())
	}
	t.Cleanup(cn.stop)
	return cn
}

// startNodes starts n nodes that join the first one (see startClusterNode)
// and waits until the cluster is settled (testenv.StartInProcess).
func startNodes(t *testing.T, n int, configure func(*config.Config), replicate bool) []*clusterNode {
	t.Helper()
	return testenv.StartInProcess(t, n,
		func(seeds []string) *clusterNode { return startClusterNode(t, seeds, configure, replicate) },
		func(c *clusterNode) testenv.InProcessNode { return c.node })
}

// startCluster starts n nodes that do not replicate and waits until the
// cluster is settled.
func startCluster(t *testing.T, n int, configure func(*config.Config)) []*clusterNode {
	t.Helper()
	return startNodes(t, n, configure, false)
}

// waitConverged waits until the alive nodes are settled: every one reports
// cluster.Node.Settled (its table is the target placement of the alive
// members, nothing moving) and all hold one table naming exactly them, so a
// test's keys do not move under it.
func waitConverged(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	var alive []testenv.Member
	for _, n := range nodes {
		if n.alive {
			alive = append(alive, n.node)
		}
	}
	testenv.WaitMembersSettled(t, testenv.SettleTimeout, alive...)
}

// ownerOf returns the node leading key's slot.
func ownerOf(t *testing.T, nodes []*clusterNode, key string) *clusterNode {
	t.Helper()
	id := nodes[0].node.Table().Primary(ring.KeySlot([]byte(key)))
	for _, n := range nodes {
		if n.node.ID() == id {
			return n
		}
	}
	t.Fatalf("no node leads %q", key)
	return nil
}

// keyOn returns a key with the prefix whose slot node leads.
func keyOn(t *testing.T, nodes []*clusterNode, node *clusterNode, prefix string) string {
	t.Helper()
	for i := 0; i < 100000; i++ {
		k := prefix + strconv.Itoa(i)
		if ownerOf(t, nodes, k) == node {
			return k
		}
	}
	t.Fatalf("no key with prefix %q on node %s", prefix, node.node.ID())
	return ""
}

func dialClient(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, PoolSize: 2,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func clusterCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestClusterForwardingMatchesLocal runs the same command sequences on a
// key the connected node leads and, through the same node, on a key another
// node leads: the forwarded replies must be byte for byte the local ones,
// in RESP2 and RESP3.
func TestClusterForwardingMatchesLocal(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	entry := nodes[0]
	sequences := [][][]string{
		{{"SET", "K", "v"}, {"GET", "K"}, {"APPEND", "K", "xyz"}, {"STRLEN", "K"}, {"GETRANGE", "K", "1", "2"}, {"SETRANGE", "K", "1", "AB"}, {"GET", "K"}},
		{{"INCR", "K"}, {"INCRBY", "K", "10"}, {"DECR", "K"}, {"INCRBYFLOAT", "K", "1.5"}, {"GETDEL", "K"}, {"GET", "K"}},
		{{"SET", "K", "v", "PX", "100000"}, {"TTL", "K"}, {"PERSIST", "K"}, {"TTL", "K"}, {"EXPIRE", "K", "100"}, {"TYPE", "K"}, {"EXISTS", "K"}, {"DEL", "K"}},
		{{"HSET", "K", "a", "1", "b", "2"}, {"HGETALL", "K"}, {"HINCRBY", "K", "a", "5"}, {"HMGET", "K", "a", "zz"}, {"HKEYS", "K"}, {"HLEN", "K"}, {"GET", "K"}},
		{{"SET", "K", "1"}, {"HGET", "K", "f"}, {"INCR", "K"}, {"OBJECT", "ENCODING", "K"}, {"SETNX", "K", "2"}, {"GETSET", "K", "3"}},
	}
	for _, proto := range []int{2, 3} {
		for si, seq := range sequences {
			local := keyOn(t, nodes, entry, fmt.Sprintf("local%d-%d-", proto, si))
			remote := keyOn(t, nodes, nodes[1+si%2], fmt.Sprintf("remote%d-%d-", proto, si))
			rc := testenv.DialRaw(t, entry.addr)
			if proto == 3 {
				rc.Must(t, "HELLO", "3")
			}
			for _, cmd := range seq {
				run := func(key string) string {
					args := make([]string, len(cmd))
					for i, a := range cmd {
						args[i] = a
						if a == "K" {
							args[i] = key
						}
					}
					return string(rc.Must(t, args...))
				}
				l, r := run(local), run(remote)
				assert.Equal(t, l, r, "RESP%d %v: local vs forwarded", proto, cmd)
			}
		}
	}
}

// TestClusterPipelineOrder sends 1000 pipelined INCR and APPEND commands on
// keys led by all three nodes through one connection: every reply must come
// back in order with the exact value.
func TestClusterPipelineOrder(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 60*time.Second)
	c := dialClient(t, nodes[0].addr, 2)
	keys := []string{keyOn(t, nodes, nodes[1], "p1-"), keyOn(t, nodes, nodes[2], "p2-"), keyOn(t, nodes, nodes[0], "p0-")}
	for round := 0; round < 2; round++ {
		pipe := c.Pipeline()
		var incrs []*redis.IntCmd
		var appends []*redis.IntCmd
		for i := 0; i < 1000; i++ {
			// Runs of commands to one node (batched) mixed with switches.
			k := keys[(i/7)%len(keys)]
			if i%3 == 0 {
				appends = append(appends, pipe.Append(ctx, k+":s", strconv.Itoa(i%10)))
			} else {
				incrs = append(incrs, pipe.Incr(ctx, k+":n"))
			}
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
		counts := map[string]int64{}
		lens := map[string]int64{}
		i := 0
		for j := 0; j < 1000; j++ {
			k := keys[(j/7)%len(keys)]
			if j%3 == 0 {
				continue
			}
			counts[k]++
			require.Equal(t, counts[k]+baseCount(round, k, keys), incrs[i].Val(), "INCR #%d on %s", j, k)
			i++
		}
		i = 0
		var want = map[string]string{}
		for j := 0; j < 1000; j += 3 {
			k := keys[(j/7)%len(keys)]
			lens[k]++
			want[k] += strconv.Itoa(j % 10)
			require.Equal(t, lens[k]+baseLen(round, k, keys), appends[i].Val(), "APPEND #%d on %s", j, k)
			i++
		}
		if round == 1 {
			for _, k := range keys {
				v, err := dialClient(t, ownerOf(t, nodes, k).addr, 2).Get(ctx, k+":s").Result()
				require.NoError(t, err)
				require.Equal(t, want[k]+want[k], v, "appended string on %s", k)
			}
		}
	}
}

// baseCount and baseLen: the values one round of TestClusterPipelineOrder
// leaves behind, so the second round checks continuity.
func baseCount(round int, k string, keys []string) int64 {
	if round == 0 {
		return 0
	}
	var n int64
	for j := 0; j < 1000; j++ {
		if j%3 != 0 && keys[(j/7)%len(keys)] == k {
			n++
		}
	}
	return n
}

func baseLen(round int, k string, keys []string) int64 {
	if round == 0 {
		return 0
	}
	var n int64
	for j := 0; j < 1000; j += 3 {
		if keys[(j/7)%len(keys)] == k {
			n++
		}
	}
	return n
}

// TestClusterMultiKey checks the split and merge of multi-key commands,
// CROSSSLOT where Redis Cluster requires one slot, and transactions.
func TestClusterMultiKey(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 60*time.Second)
	for _, proto := range []int{2, 3} {
		c := dialClient(t, nodes[0].addr, proto)
		var keys []string
		for _, n := range nodes {
			for i := 0; i < 3; i++ {
				keys = append(keys, keyOn(t, nodes, n, fmt.Sprintf("mk%d-%d-", proto, i*10)))
			}
		}
		sort.Strings(keys) // interleave the owners
		var pairs []any
		for i, k := range keys {
			pairs = append(pairs, k, "v"+strconv.Itoa(i))
		}
		require.NoError(t, c.MSet(ctx, pairs...).Err())
		for _, k := range keys { // each value is on its owner
			v, err := dialClient(t, ownerOf(t, nodes, k).addr, 2).Get(ctx, k).Result()
			require.NoError(t, err)
			assert.Equal(t, pairs[indexOf(keys, k)*2+1], v)
		}
		query := append([]string{"missing{x}"}, keys...)
		query = append(query, keys[0])
		vals, err := c.MGet(ctx, query...).Result()
		require.NoError(t, err)
		require.Len(t, vals, len(query))
		assert.Nil(t, vals[0])
		for i, k := range keys {
			assert.Equal(t, "v"+strconv.Itoa(i), vals[i+1], "MGET %s", k)
		}
		assert.Equal(t, "v0", vals[len(vals)-1])

		n, err := c.Exists(ctx, append(query, keys[1])...).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(len(keys)+2), n, "EXISTS counts repeats")
		n, err = c.Touch(ctx, keys...).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(len(keys)), n)
		n, err = c.Del(ctx, keys[:4]...).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(4), n)
		n, err = c.Unlink(ctx, append(slices.Clone(keys[:5]), "missing")...).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		n, err = c.Exists(ctx, keys...).Result()
		require.NoError(t, err)
		assert.Equal(t, int64(len(keys)-5), n)

		// One slot required: MSETNX, RENAME, COPY.
		a, b := keys[0], keys[len(keys)-1]
		require.NotEqual(t, ring.KeySlot([]byte(a)), ring.KeySlot([]byte(b)))
		for _, err := range []error{
			c.MSetNX(ctx, a, "1", b, "2").Err(),
			c.Rename(ctx, a, b).Err(),
			c.Copy(ctx, a, b, 0, false).Err(),
		} {
			require.Error(t, err)
			assert.Equal(t, errCrossSlot, err.Error())
		}
		// ... and with one slot they run on its owner, wherever it is.
		remote := keyOn(t, nodes, nodes[2], "rn")
		src, dst := "{"+remote+"}a", "{"+remote+"}b"
		require.NoError(t, c.Set(ctx, src, "x", 0).Err())
		require.NoError(t, c.Rename(ctx, src, dst).Err())
		ok, err := c.MSetNX(ctx, "{"+remote+"}c", "1", "{"+remote+"}d", "2").Result()
		require.NoError(t, err)
		assert.True(t, ok)
		v, err := c.Get(ctx, dst).Result()
		require.NoError(t, err)
		assert.Equal(t, "x", v)
		require.NoError(t, c.Del(ctx, src, dst, "{"+remote+"}c", "{"+remote+"}d").Err())
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// TestClusterTransactions: MULTI/EXEC on one remote slot runs on its owner
// as one block; keys in several slots abort with CROSSSLOT; WATCH of a
// remote key aborts the EXEC when the key changed through any node; WATCH
// of a local key still works.
func TestClusterTransactions(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	entry := nodes[0]
	rc := testenv.DialRaw(t, entry.addr)
	remote := keyOn(t, nodes, nodes[1], "tx")
	k1, k2 := "{"+remote+"}1", "{"+remote+"}2"
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "MULTI")))
	assert.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "INCR", k1)))
	assert.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "INCR", k1)))
	assert.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "SET", k2, "x")))
	assert.Equal(t, "+QUEUED\r\n", string(rc.Must(t, "PING")))
	assert.Equal(t, "*4\r\n:1\r\n:2\r\n+OK\r\n+PONG\r\n", string(rc.Must(t, "EXEC")))

	other := keyOn(t, nodes, nodes[2], "tx")
	rc.Must(t, "MULTI")
	rc.Must(t, "INCR", k1)
	rc.Must(t, "INCR", other)
	assert.Equal(t, "-"+errCrossSlot+"\r\n", string(rc.Must(t, "EXEC")))
	assert.Equal(t, "-ERR EXEC without MULTI\r\n", string(rc.Must(t, "EXEC")), "CROSSSLOT discards the transaction")

	// WATCH of a remote key (issue 17): the EXEC runs on the leader
	// behind the watch's check.
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "WATCH", k1)))
	rc.Must(t, "MULTI")
	rc.Must(t, "INCR", k1)
	assert.Equal(t, "*1\r\n:3\r\n", string(rc.Must(t, "EXEC")), "nobody wrote the watched key")
	// A write to the watched key through another node aborts the EXEC,
	// and so does one made on the leader itself.
	for _, writer := range []*clusterNode{nodes[2], nodes[1]} {
		assert.Equal(t, "+OK\r\n", string(rc.Must(t, "WATCH", k1, k2)))
		assert.Equal(t, "+OK\r\n", string(testenv.DialRaw(t, writer.addr).Must(t, "SET", k2, "changed")))
		rc.Must(t, "MULTI")
		rc.Must(t, "INCR", k1)
		assert.Equal(t, "*-1\r\n", string(rc.Must(t, "EXEC")), "the watched key changed through %s", writer.addr)
	}
	// UNWATCH forgets the token; keys on two nodes, or local and remote
	// keys together, cannot be watched at once.
	rc.Must(t, "WATCH", k1)
	assert.Equal(t, "-"+route.ErrWatchNodes+"\r\n", string(rc.Must(t, "WATCH", other)))
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "UNWATCH")))
	rc.Must(t, "MULTI")
	rc.Must(t, "INCR", k1)
	assert.Equal(t, "*1\r\n:4\r\n", string(rc.Must(t, "EXEC")))
	local := keyOn(t, nodes, entry, "txl")
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "WATCH", local)))
	rc.Must(t, "MULTI")
	rc.Must(t, "SET", local, "1")
	assert.Equal(t, "*1\r\n+OK\r\n", string(rc.Must(t, "EXEC")))
	assert.Equal(t, "$1\r\n4\r\n", string(testenv.DialRaw(t, nodes[2].addr).Must(t, "GET", k1)), "the transactions ran on the owner")
}

// TestClusterRedirect: with --cluster-redirect a node answers -MOVED like
// Redis Cluster, and go-redis's ClusterClient and redis-style clients follow it.
func TestClusterRedirect(t *testing.T) {
	nodes := startCluster(t, 3, func(c *config.Config) { c.ClusterRedirect = true })
	ctx := clusterCtx(t, 60*time.Second)
	remote := keyOn(t, nodes, nodes[1], "mv")
	slot := ring.KeySlot([]byte(remote))
	rc := testenv.DialRaw(t, nodes[0].addr)
	assert.Equal(t, fmt.Sprintf("-MOVED %d %s\r\n", slot, nodes[1].addr), string(rc.Must(t, "GET", remote)))
	assert.Equal(t, "-"+errCrossSlot+"\r\n", string(rc.Must(t, "MGET", remote, remote+"x")))
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "READONLY")))
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "READWRITE")))
	assert.Equal(t, "+OK\r\n", string(rc.Must(t, "ASKING")))

	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, MaxRedirects: 3})
	t.Cleanup(func() { _ = cc.Close() })
	for i := 0; i < 200; i++ {
		k := "cc" + strconv.Itoa(i)
		require.NoError(t, cc.Set(ctx, k, i, 0).Err())
		v, err := cc.Get(ctx, k).Int()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	// Every key is on its owner (the client followed the redirects).
	for i := 0; i < 200; i++ {
		k := "cc" + strconv.Itoa(i)
		owner := ownerOf(t, nodes, k)
		assert.GreaterOrEqual(t, owner.srv.store.CountKeysInSlot(ring.KeySlot([]byte(k))), 1, "key %s", k)
	}
}

// TestClusterCommandsParsedByGoRedis checks CLUSTER SLOTS, SHARDS, NODES,
// INFO and friends through go-redis's parsers, against the routing table.
func TestClusterCommandsParsedByGoRedis(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 30*time.Second)
	tb := nodes[0].node.Table()
	for _, proto := range []int{2, 3} {
		c := dialClient(t, nodes[1].addr, proto)
		//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read; this is its test
		slots, err := c.ClusterSlots(ctx).Result()
		require.NoError(t, err)
		covered := 0
		for _, s := range slots {
			require.Len(t, s.Nodes, 1)
			for sl := s.Start; sl <= s.End; sl++ {
				require.Equal(t, string(tb.Primary(uint16(sl))), s.Nodes[0].ID, "slot %d", sl)
			}
			m, _ := tb.Member(ring.NodeID(s.Nodes[0].ID))
			assert.Equal(t, m.Addr, s.Nodes[0].Addr)
			covered += s.End - s.Start + 1
		}
		assert.Equal(t, ring.SlotCount, covered)

		shards, err := c.ClusterShards(ctx).Result()
		require.NoError(t, err)
		require.Len(t, shards, 3)
		covered = 0
		for _, sh := range shards {
			require.Len(t, sh.Nodes, 1)
			assert.Equal(t, "master", sh.Nodes[0].Role)
			assert.Equal(t, "online", sh.Nodes[0].Health)
			for _, r := range sh.Slots {
				covered += int(r.End - r.Start + 1)
				assert.Equal(t, string(tb.Primary(uint16(r.Start))), sh.Nodes[0].ID)
			}
		}
		assert.Equal(t, ring.SlotCount, covered)

		text, err := c.ClusterNodes(ctx).Result()
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(text, "\n"))
		lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
		require.Len(t, lines, 3)
		myself := 0
		for _, l := range lines {
			f := strings.Fields(l)
			require.GreaterOrEqual(t, len(f), 9, l)
			m, ok := tb.Member(ring.NodeID(f[0]))
			require.True(t, ok, l)
			_, cport, _ := net.SplitHostPort(m.ClusterAddr)
			assert.Equal(t, m.Addr+"@"+cport, f[1])
			if f[2] == "myself,master" {
				myself++
				assert.Equal(t, string(nodes[1].node.ID()), f[0])
			} else {
				assert.Equal(t, "master", f[2])
			}
			assert.Equal(t, "-", f[3])
			assert.Equal(t, strconv.FormatUint(tb.Epoch, 10), f[6])
			assert.Equal(t, "connected", f[7])
			n := 0
			for _, r := range f[8:] {
				lo, hi, _ := strings.Cut(r, "-")
				a, _ := strconv.Atoi(lo)
				b := a
				if hi != "" {
					b, _ = strconv.Atoi(hi)
				}
				n += b - a + 1
			}
			assert.Equal(t, len(tb.PrimarySlots(ring.NodeID(f[0]))), n)
		}
		assert.Equal(t, 1, myself)

		info, err := c.ClusterInfo(ctx).Result()
		require.NoError(t, err)
		for _, want := range []string{"cluster_state:ok\r\n", "cluster_slots_assigned:16384\r\n", "cluster_slots_ok:16384\r\n",
			"cluster_known_nodes:3\r\n", "cluster_size:3\r\n", "cluster_current_epoch:" + strconv.FormatUint(tb.Epoch, 10) + "\r\n"} {
			assert.Contains(t, info, want)
		}
		id, err := c.ClusterMyID(ctx).Result()
		require.NoError(t, err)
		assert.Equal(t, string(nodes[1].node.ID()), id)
		slot, err := c.ClusterKeySlot(ctx, "{user1000}.following").Result()
		require.NoError(t, err)
		assert.Equal(t, int64(ring.KeySlot([]byte("user1000"))), slot)
		rep, err := c.Do(ctx, "CLUSTER", "REPLICAS", string(nodes[0].node.ID())).Slice()
		require.NoError(t, err)
		assert.Empty(t, rep)
		err = c.Do(ctx, "CLUSTER", "ADDSLOTS", "1").Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "placement is automatic")
		err = c.Do(ctx, "CLUSTER", "FORGET", string(nodes[0].node.ID())).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "alive node")
		info2, err := c.Info(ctx, "cluster").Result()
		require.NoError(t, err)
		assert.Contains(t, info2, "cluster_enabled:1")
	}
	// COUNTKEYSINSLOT and GETKEYSINSLOT answer for this node's own data.
	owner := nodes[2]
	key := keyOn(t, nodes, owner, "ck")
	c := dialClient(t, owner.addr, 2)
	require.NoError(t, c.Set(ctx, key, "1", 0).Err())
	slot := int(ring.KeySlot([]byte(key)))
	n, err := c.ClusterCountKeysInSlot(ctx, slot).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	keys, err := c.ClusterGetKeysInSlot(ctx, slot, 10).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{key}, keys)
	n, err = dialClient(t, nodes[0].addr, 2).ClusterCountKeysInSlot(ctx, slot).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(0), n, "other nodes do not hold the key")
}

// TestClusterClientForwardMode: a go-redis ClusterClient against the
// default (forwarding) mode, with pipelines across slots.
func TestClusterClientForwardMode(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 60*time.Second)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[2].addr}, MaxRedirects: 3})
	t.Cleanup(func() { _ = cc.Close() })
	pipe := cc.Pipeline()
	for i := 0; i < 500; i++ {
		pipe.Set(ctx, "gc"+strconv.Itoa(i), i, 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	for i := 0; i < 500; i++ {
		v, err := cc.Get(ctx, "gc"+strconv.Itoa(i)).Int()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	vals, err := cc.MGet(ctx, "{gc}a", "{gc}b").Result()
	require.NoError(t, err)
	assert.Equal(t, []any{nil, nil}, vals)
	// ClusterClient sent each key to its owner: forwarding was not needed.
	for _, n := range nodes {
		var st int64
		for i := 0; i < 500; i++ {
			k := "gc" + strconv.Itoa(i)
			if ownerOf(t, nodes, k) == n {
				st++
			}
		}
		assert.Equal(t, st, n.srv.store.Len(), "keys on %s", n.addr)
	}
}

// TestClusterJoinAndFailure: a 4th node joins and every node then answers
// for every key; a node that stops makes the keys it led fail fast
// (-CLUSTERDOWN or -TRYAGAIN) until its slots are re-placed, never hang.
func TestClusterJoinAndFailure(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 90*time.Second)
	epoch := nodes[0].node.Table().Epoch
	nodes = append(nodes, startClusterNode(t, []string{nodes[1].node.ClusterAddr()}, nil, false))
	waitConverged(t, nodes)
	require.Greater(t, nodes[0].node.Table().Epoch, epoch)
	require.NotEmpty(t, nodes[0].node.Table().PrimarySlots(nodes[3].node.ID()), "the new node leads slots")

	clients := make([]*redis.Client, len(nodes))
	for i, n := range nodes {
		clients[i] = dialClient(t, n.addr, 2)
	}
	for i := 0; i < 200; i++ {
		k := "j" + strconv.Itoa(i)
		require.NoError(t, clients[i%4].Set(ctx, k, i, 0).Err())
		for _, c := range clients {
			v, err := c.Get(ctx, k).Int()
			require.NoError(t, err, "GET %s", k)
			require.Equal(t, i, v)
		}
	}

	// Stop a node without leaving: its keys fail fast until re-placed.
	victim := nodes[3]
	key := keyOn(t, nodes, victim, "dead")
	victim.stop()
	start := time.Now()
	err := clients[0].Get(ctx, key).Err()
	if err != nil && err != redis.Nil {
		msg := err.Error()
		assert.True(t, strings.HasPrefix(msg, "CLUSTERDOWN") || strings.HasPrefix(msg, "TRYAGAIN"), msg)
	}
	assert.Less(t, time.Since(start), route.ForwardTimeout+5*time.Second, "a forward to a dead node must not hang")
	waitConverged(t, nodes)
	for _, c := range clients[:3] {
		require.NoError(t, c.Set(ctx, key, "again", 0).Err())
		v, err := c.Get(ctx, key).Result()
		require.NoError(t, err)
		require.Equal(t, "again", v)
	}
}

// TestClusterDownWithoutTable: a node that has no routing table yet
// refuses keyed commands with -CLUSTERDOWN and still answers the others.
func TestClusterDownWithoutTable(t *testing.T) {
	cfg := config.Default()
	st := store.New(cfg.StoreConfig())
	srv := New(cfg, st, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	node, err := cluster.New(cluster.Config{ClientAddr: ln.Addr().String(), BindAddr: "127.0.0.1:0", Profile: "local"},
		srv, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	srv.SetCluster(membership.Of(node)) // never started: no table
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		assert.NoError(t, node.Close())
	})
	rc := testenv.DialRaw(t, ln.Addr().String())
	assert.Equal(t, "-"+route.ErrClusterDown+"\r\n", string(rc.Must(t, "GET", "k")))
	assert.Equal(t, "+PONG\r\n", string(rc.Must(t, "PING")))
	assert.Contains(t, string(rc.Must(t, "CLUSTER", "INFO")), "cluster_state:fail")
}

// TestClusterCommandsLoneNode: a server without a cluster is a one-node
// cluster leading every slot.
func TestClusterCommandsLoneNode(t *testing.T) {
	ts := startServer(t, nil)
	ctx := clusterCtx(t, 30*time.Second)
	c := ts.client(t, 2)
	//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read; this is its test
	slots, err := c.ClusterSlots(ctx).Result()
	require.NoError(t, err)
	require.Len(t, slots, 1)
	assert.Equal(t, 0, slots[0].Start)
	assert.Equal(t, 16383, slots[0].End)
	assert.Equal(t, ts.addr, slots[0].Nodes[0].Addr)
	assert.Equal(t, ts.srv.runID, slots[0].Nodes[0].ID)
	rc := testenv.DialRaw(t, ts.addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"CLUSTER", "COUNTKEYSINSLOT", "16384"}, "-ERR Invalid slot\r\n"},
		{[]string{"CLUSTER", "COUNTKEYSINSLOT", "x"}, "-ERR value is not an integer or out of range\r\n"},
		{[]string{"CLUSTER", "GETKEYSINSLOT", "1", "-1"}, "-ERR Invalid slot or number of keys\r\n"},
		{[]string{"CLUSTER", "KEYSLOT"}, "-ERR wrong number of arguments for 'cluster|keyslot' command\r\n"},
		{[]string{"CLUSTER", "KEYSLOT", "foo"}, ":12182\r\n"},
		{[]string{"CLUSTER", "MEET", "1.2.3.4", "x"}, "-ERR Invalid TCP base port specified: x\r\n"},
		{[]string{"CLUSTER", "FORGET", ts.srv.runID}, "-ERR I tried hard but I can't forget myself...\r\n"},
		{[]string{"CLUSTER", "REPLICAS", "abc"}, "-ERR Unknown node abc\r\n"},
		{[]string{"CLUSTER", "FOO"}, "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n"},
		{[]string{"CLUSTER", "MYID"}, "$40\r\n" + ts.srv.runID + "\r\n"},
	} {
		assert.Equal(t, tc.want, string(rc.Must(t, tc.args...)), "%v", tc.args)
	}
	for _, sub := range []string{"SETSLOT 1 STABLE", "ADDSLOTSRANGE 0 1", "DELSLOTS 1", "FLUSHSLOTS", "RESET", "REPLICATE x"} {
		out := string(rc.Must(t, append([]string{"CLUSTER"}, strings.Fields(sub)...)...))
		assert.True(t, strings.HasPrefix(out, "-ERR CLUSTER "+strings.Fields(sub)[0]+" is not supported: slot placement is automatic"), out)
	}
	nodes, err := c.ClusterNodes(ctx).Result()
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{40} 127\.0\.0\.1:\d+@\d+ myself,master - 0 0 0 connected 0-16383\n$`, nodes)
}

// TestClusterWatchPlainClient: go-redis's optimistic transaction (Watch)
// through a plain client on a node that does not lead the key, racing
// other plain clients on every node: no increment is lost (issue 17).
func TestClusterWatchPlainClient(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	ctx := clusterCtx(t, 60*time.Second)
	key := keyOn(t, nodes, nodes[1], "wc")
	const workers, each = 6, 20
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: nodes[w%len(nodes)].addr})
			defer c.Close()
			for done := 0; done < each; {
				err := c.Watch(ctx, func(tx *redis.Tx) error {
					n, err := tx.Get(ctx, key).Int()
					if err != nil && !errors.Is(err, redis.Nil) {
						return err
					}
					_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
						p.Set(ctx, key, n+1, 0)
						return nil
					})
					return err
				}, key)
				if errors.Is(err, redis.TxFailedErr) {
					continue // someone else won the race: try again
				}
				if !assert.NoError(t, err) {
					return
				}
				done++
			}
		}()
	}
	wg.Wait()
	got, err := redis.NewClient(&redis.Options{Addr: nodes[2].addr}).Get(ctx, key).Int()
	require.NoError(t, err)
	assert.Equal(t, workers*each, got, "every acknowledged increment counted once")
}
