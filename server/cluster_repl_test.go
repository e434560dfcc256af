package server

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/tests/testenv"
)

// startReplCluster starts n replicating nodes joining the first, waits for
// one routing table and for every slot's replicas to be in sync.
func startReplCluster(t *testing.T, n int, configure func(*config.Config)) []*clusterNode {
	t.Helper()
	nodes := startNodes(t, n, configure, true)
	waitReplicasSynced(t, nodes)
	return nodes
}

// waitReplicasSynced waits until the alive nodes are settled
// (waitConverged): the routing table is the target placement with every
// slot stable, no led slot lacks a synced replica (none degraded), no
// replica slot is still syncing and no transfer runs. Tests then pick keys
// whose replica also reports the slot in sync (syncedKeyOn): see the
// report about replicas left on an old primary's stream after a handoff.
func waitReplicasSynced(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	waitConverged(t, nodes)
}

// storeGet reads key straight from a node's store, as the node holds it.
func storeGet(t *testing.T, n *clusterNode, key string) (string, bool) {
	t.Helper()
	tx := n.srv.store.Lock(ring.KeySlot([]byte(key)))
	defer tx.Close()
	v, ok, err := tx.Get([]byte(key))
	require.NoError(t, err)
	return string(v), ok
}

// synced reports whether key's slot has its (first) replica in sync.
func synced(t *testing.T, nodes []*clusterNode, key string) bool {
	return replicaOf(t, nodes, key).node.ReplicaSynced(ring.KeySlot([]byte(key)))
}

// syncedKeyOn returns a key with the prefix that node leads and whose
// replica holds the slot in sync.
func syncedKeyOn(t *testing.T, nodes []*clusterNode, node *clusterNode, prefix string) string {
	t.Helper()
	for i := 0; i < 1000; i++ {
		k := keyOn(t, nodes, node, prefix+strconv.Itoa(i)+"-")
		if synced(t, nodes, k) {
			return k
		}
	}
	t.Fatalf("no key with prefix %q on %s has a replica in sync", prefix, node.addr)
	return ""
}

// replicaOf returns the alive node (other than the primary) that the
// routing table names as a replica of key's slot.
func replicaOf(t *testing.T, nodes []*clusterNode, key string) *clusterNode {
	t.Helper()
	owners := nodes[0].node.Table().Owners(ring.KeySlot([]byte(key)))
	require.GreaterOrEqual(t, len(owners), 2, "slot of %q has no replica", key)
	for _, n := range nodes {
		if n.node.ID() == owners[1] {
			return n
		}
	}
	t.Fatalf("replica of %q is not among the nodes", key)
	return nil
}

func infoFields(t *testing.T, c *redis.Client, ctx context.Context, section string) map[string]string {
	t.Helper()
	s, err := c.Info(ctx, section).Result()
	require.NoError(t, err)
	out := map[string]string{}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// TestReplAckOneWriteOnReplicaBeforeReply: with replica-ack one, a write's
// reply leaves only after the replica applied it, so the replica's store
// holds every key the moment the client has its reply: single commands,
// a pipeline (one wait per batch), a transaction, and a write sent to the
// other node (forwarded to the primary, which waits before answering).
func TestReplAckOneWriteOnReplicaBeforeReply(t *testing.T) {
	nodes := startReplCluster(t, 2, func(c *config.Config) { c.Replicas = 1; c.ReplicaAck = "one" })
	ctx := clusterCtx(t, 60*time.Second)
	p, other := nodes[0], nodes[1]
	c := dialClient(t, p.addr, 2)

	k := syncedKeyOn(t, nodes, p, "ack-")
	require.NoError(t, c.Set(ctx, k, "v1", 0).Err())
	v, ok := storeGet(t, replicaOf(t, nodes, k), k)
	assert.True(t, ok)
	assert.Equal(t, "v1", v)

	// A pipeline of writes over many slots: every key is on its replica.
	var keys []string
	pipe := c.Pipeline()
	for i := range 300 {
		key := "pipe-" + strconv.Itoa(i)
		if !synced(t, nodes, key) {
			continue
		}
		keys = append(keys, key)
		pipe.Set(ctx, key, "p"+key, 0)
	}
	require.Greater(t, len(keys), 250)
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	for _, key := range keys {
		v, ok := storeGet(t, replicaOf(t, nodes, key), key)
		require.True(t, ok, "key %q missing on its replica right after the reply", key)
		require.Equal(t, "p"+key, v)
	}

	// MULTI/EXEC on a slot led by p.
	tk := syncedKeyOn(t, nodes, p, "tx-")
	_, err = c.TxPipelined(ctx, func(pp redis.Pipeliner) error {
		pp.Set(ctx, tk, "t", 0)
		pp.Append(ctx, tk, "x")
		return nil
	})
	require.NoError(t, err)
	v, ok = storeGet(t, replicaOf(t, nodes, tk), tk)
	assert.True(t, ok)
	assert.Equal(t, "tx", v)

	// Through the other node: forwarded to p, acknowledged by the replica
	// (the other node itself) before p answers.
	fk := syncedKeyOn(t, nodes, p, "fwd-")
	oc := dialClient(t, other.addr, 2)
	require.NoError(t, oc.Set(ctx, fk, "f", 0).Err())
	v, ok = storeGet(t, other, fk)
	assert.True(t, ok)
	assert.Equal(t, "f", v)

	// WAIT after acknowledged writes: they count, without waiting again.
	require.NoError(t, c.Set(ctx, k, "v2", 0).Err())
	n, err := c.Do(ctx, "WAIT", "1", "0").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)

	info := infoFields(t, c, ctx, "replication")
	assert.Equal(t, "one", info["replica_ack"])
	assert.Equal(t, "0", info["replica_ack_timeouts"])
}

// TestReplWait: WAIT counts the replicas that applied the connection's
// writes (1 with one replica), gives up after its timeout when asked for
// more replicas than exist, answers at once inside MULTI; WAITAOF is an
// error (no AOF).
func TestReplWait(t *testing.T) {
	nodes := startReplCluster(t, 2, func(c *config.Config) { c.Replicas = 1; c.ReplicaAck = "none" })
	ctx := clusterCtx(t, 60*time.Second)
	c := dialClient(t, nodes[0].addr, 2)
	k := syncedKeyOn(t, nodes, nodes[0], "wait-")

	require.NoError(t, c.Set(ctx, k, "1", 0).Err())
	n, err := c.Do(ctx, "WAIT", "1", "0").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)
	v, ok := storeGet(t, nodes[1], k)
	assert.True(t, ok, "WAIT answered before the replica had the write")
	assert.Equal(t, "1", v)

	// Two replicas asked, one exists: the timeout decides, the answer is 1.
	require.NoError(t, c.Incr(ctx, k).Err())
	n, err = c.Do(ctx, "WAIT", "2", "50").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n)

	// Inside MULTI: no blocking (WAIT 5 0 would block forever otherwise).
	var wait *redis.Cmd
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, k)
		wait = p.Do(ctx, "WAIT", "5", "0")
		return nil
	})
	require.NoError(t, err)
	_, err = wait.Int64()
	require.NoError(t, err)

	// INFO counts the internode connections: at least the replication
	// stream's to the other node (Redis: its cluster bus's sockets).
	links, err := strconv.Atoi(infoFields(t, c, ctx, "clients")["cluster_connections"])
	require.NoError(t, err)
	assert.GreaterOrEqual(t, links, 1)

	// In a script: no blocking either, as Redis 7.2 (WAIT has no noscript
	// flag there); the one replica has the script's write.
	n, err = c.Do(ctx, "EVAL", "redis.call('incr', KEYS[1]) return redis.pcall('wait', '5', '0')", "1", k).Int64()
	require.NoError(t, err)
	assert.LessOrEqual(t, n, int64(1))

	for _, tc := range []struct {
		args []any
		err  string
	}{
		{[]any{"WAIT", "x", "0"}, "ERR value is not an integer or out of range"},
		{[]any{"WAIT", "1", "-1"}, "ERR timeout is negative"},
		{[]any{"WAIT", "1", "y"}, "ERR timeout is not an integer or out of range"},
		{[]any{"WAITAOF", "1", "0", "0"}, "ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled."},
		{[]any{"WAITAOF", "-1", "0", "0"}, "ERR value is out of range, must be positive"},
		{[]any{"WAITAOF", "0", "1", "0"}, "ERR WAITAOF is not supported"},
	} {
		err := c.Do(ctx, tc.args...).Err()
		require.Error(t, err, "%v", tc.args)
		assert.True(t, strings.HasPrefix(err.Error(), tc.err), "%v: %v", tc.args, err)
	}
}

// TestReplMinReplicasOneNode: a one-node cluster has no replica: writes
// go on, degraded (shown in INFO), until min-replicas-to-write asks for
// one; then they get -NOREPLICAS, reads still work.
func TestReplMinReplicasOneNode(t *testing.T) {
	one := startReplCluster1(t)
	ctx := clusterCtx(t, 30*time.Second)
	c := dialClient(t, one.addr, 2)
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	// Degraded: every slot is led here with no replica.
	info := infoFields(t, c, ctx, "replication")
	assert.Equal(t, strconv.Itoa(ring.SlotCount), info["slots_degraded"])
	assert.Equal(t, strconv.Itoa(ring.SlotCount), info["slots_led"])

	require.NoError(t, c.ConfigSet(ctx, "min-replicas-to-write", "1").Err())
	err := c.Set(ctx, "k", "w", 0).Err()
	require.Error(t, err)
	assert.Equal(t, "NOREPLICAS Not enough good replicas to write.", err.Error())
	v, err := c.Get(ctx, "k").Result()
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "k", "x", 0); return nil })
	require.Error(t, err)
	assert.Equal(t, "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas to write.", err.Error())
	assert.Equal(t, "2", infoFields(t, c, ctx, "replication")["noreplicas_rejected"])

	require.NoError(t, c.ConfigSet(ctx, "min-replicas-to-write", "0").Err())
	require.NoError(t, c.Set(ctx, "k", "w", 0).Err())
	// WAIT on a node with no replica: 0 after the timeout.
	n, err := c.Do(ctx, "WAIT", "1", "20").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(0), n)
}

// startReplCluster1 starts a one-node replicating cluster (replicas 1 is
// configured, but there is no other node to hold them).
func startReplCluster1(t *testing.T) *clusterNode {
	t.Helper()
	n := startClusterNode(t, nil, func(c *config.Config) { c.Replicas = 1 }, true)
	waitConverged(t, []*clusterNode{n})
	return n
}

// TestReplInfo: INFO replication lists the peers holding replicas of this
// node's slots as slaves, with their client address, and the slot counts.
func TestReplInfo(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	ctx := clusterCtx(t, 30*time.Second)
	c := dialClient(t, nodes[0].addr, 2)
	require.NoError(t, c.Set(ctx, keyOn(t, nodes, nodes[0], "info-"), "v", 0).Err())
	info := infoFields(t, c, ctx, "replication")
	assert.Equal(t, "master", info["role"])
	assert.Equal(t, "0", info["connected_slaves"], "one role per node: no node replicas (server/topology)")
	assert.Equal(t, "2", info["replica_peers"])
	want := map[string]bool{nodes[1].addr: true, nodes[2].addr: true}
	for i := range 2 {
		line := info["replica_peer"+strconv.Itoa(i)]
		fields := map[string]string{}
		for _, kv := range strings.Split(line, ",") {
			k, v, _ := strings.Cut(kv, "=")
			fields[k] = v
		}
		addr := net.JoinHostPort(fields["ip"], fields["port"])
		assert.True(t, want[addr], "replica_peer%d %q is not a peer", i, line)
		delete(want, addr)
		assert.Equal(t, "online", fields["state"])
		_, err := strconv.ParseUint(fields["offset"], 10, 64)
		assert.NoError(t, err)
	}
	led, _ := strconv.Atoi(info["slots_led"])
	repl, _ := strconv.Atoi(info["slots_replicated"])
	syncing, _ := strconv.Atoi(info["slots_replica_syncing"])
	assert.Equal(t, len(nodes[0].node.Table().PrimarySlots(nodes[0].node.ID())), led)
	assert.Equal(t, len(nodes[0].node.Table().ReplicaSlots(nodes[0].node.ID())), repl+syncing)
	assert.Greater(t, repl, 0)
	assert.Equal(t, "0", info["slots_degraded"])
	assert.Equal(t, "one", info["replica_ack"])
	assert.Contains(t, info, "replica_ack_timeouts")
	cl := infoFields(t, c, ctx, "cluster")
	assert.Equal(t, "1", cl["cluster_enabled"])
	assert.Equal(t, strconv.Itoa(cluster.DefaultMigrationRate), cl["cluster_migration_rate_bytes"])
	// The rate is tunable at run time, and 0 goes back to the default.
	require.NoError(t, c.ConfigSet(ctx, "migration-rate", "32mb").Err())
	assert.Equal(t, strconv.Itoa(32<<20), infoFields(t, c, ctx, "cluster")["cluster_migration_rate_bytes"])
	assert.Equal(t, map[string]string{"migration-rate": strconv.Itoa(32 << 20)}, c.ConfigGet(ctx, "migration-rate").Val())
	require.NoError(t, c.ConfigSet(ctx, "migration-rate", "0").Err())
	assert.Equal(t, strconv.Itoa(cluster.DefaultMigrationRate), infoFields(t, c, ctx, "cluster")["cluster_migration_rate_bytes"])
	assert.Error(t, c.ConfigSet(ctx, "migration-rate", "-1").Err())
	// The replicas were built by transfers: bytes and slots moved show,
	// and the measured rate is a number.
	for _, f := range []string{"cluster_slot_transfer_bytes", "cluster_slot_transfers_done", "cluster_slot_transfer_bytes_per_sec"} {
		n, err := strconv.ParseInt(cl[f], 10, 64)
		assert.NoError(t, err, f)
		assert.GreaterOrEqual(t, n, int64(0), f)
	}
	moved, _ := strconv.Atoi(cl["cluster_slot_transfers_done"])
	assert.Positive(t, moved, "transfers built the replicas")
}

// TestReplClusterTopology: CLUSTER SLOTS, SHARDS and NODES as go-redis
// parses them, one role per node (server/topology): every slot range has
// its primary only, with the address the routing table names; one shard
// per node, its master; NODES has one master line per node; CLUSTER
// REPLICAS is empty. Keyspace-wide commands count the slots a node leads,
// so DBSIZE summed over the nodes counts every key once although each is
// held twice (--replicas 1).
func TestReplClusterTopology(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	ctx := clusterCtx(t, 30*time.Second)
	c := dialClient(t, nodes[1].addr, 3)
	tb := nodes[0].node.Table()
	addrOf := map[string]string{}
	for _, n := range nodes {
		addrOf[string(n.node.ID())] = n.addr
	}

	//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read; this is its test
	slots, err := c.ClusterSlots(ctx).Result()
	require.NoError(t, err)
	covered := 0
	for _, sr := range slots {
		require.Len(t, sr.Nodes, 1, "range %d-%d", sr.Start, sr.End)
		for s := sr.Start; s <= sr.End; s++ {
			require.Equal(t, string(tb.Primary(uint16(s))), sr.Nodes[0].ID)
		}
		assert.Equal(t, addrOf[sr.Nodes[0].ID], sr.Nodes[0].Addr)
		covered += sr.End - sr.Start + 1
	}
	assert.Equal(t, ring.SlotCount, covered)

	shards, err := c.ClusterShards(ctx).Result()
	require.NoError(t, err)
	require.Len(t, shards, 3)
	covered = 0
	for _, sh := range shards {
		require.Len(t, sh.Nodes, 1)
		n := sh.Nodes[0]
		assert.Equal(t, "master", n.Role)
		assert.Equal(t, "online", n.Health)
		assert.Equal(t, addrOf[n.ID], net.JoinHostPort(n.IP, strconv.FormatInt(n.Port, 10)))
		for _, r := range sh.Slots {
			for s := r.Start; s <= r.End; s++ {
				assert.Equal(t, string(tb.Primary(uint16(s))), n.ID)
			}
			covered += int(r.End-r.Start) + 1
		}
	}
	assert.Equal(t, ring.SlotCount, covered)

	text, err := c.ClusterNodes(ctx).Result()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	require.Len(t, lines, 3)
	for _, l := range lines {
		f := strings.Fields(l)
		require.GreaterOrEqual(t, len(f), 9, l)
		assert.Contains(t, f[2], "master")
		assert.Equal(t, "-", f[3])
	}

	id := string(nodes[0].node.ID())
	reps, err := c.Do(ctx, "CLUSTER", "REPLICAS", id).StringSlice()
	require.NoError(t, err)
	assert.Empty(t, reps)

	// Every key held twice, counted once: DBSIZE, KEYS and SCAN on each
	// node see the slots it leads.
	w := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}})
	t.Cleanup(func() { _ = w.Close() })
	const nkeys = 300
	for i := range nkeys {
		require.NoError(t, w.Set(ctx, fmt.Sprintf("topo:%d", i), i, 0).Err())
	}
	waitReplicasSynced(t, nodes)
	var dbsize, keys int64
	for _, n := range nodes {
		nc := dialClient(t, n.addr, 2)
		dbsize += nc.DBSize(ctx).Val()
		keys += int64(len(nc.Keys(ctx, "topo:*").Val()))
		held := n.srv.store.Len()
		assert.Greater(t, held, nc.DBSize(ctx).Val(), "%s holds replicas beyond the slots it leads", n.addr)
	}
	assert.Equal(t, int64(nkeys), dbsize)
	assert.Equal(t, int64(nkeys), keys)
}

// TestReplClusterFailover: CLUSTER FAILOVER on a node makes it the primary
// of every slot it replicated, as CLUSTER SLOTS then shows, with every key
// still readable; a node with nothing to take over says so.
func TestReplClusterFailover(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	ctx := clusterCtx(t, 60*time.Second)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}, MaxRedirects: 3})
	t.Cleanup(func() { _ = cc.Close() })
	for i := range 300 {
		require.NoError(t, cc.Set(ctx, fmt.Sprintf("fo:%d", i), i, 0).Err())
	}

	x := nodes[2]
	before := x.node.Table()
	replicated := before.ReplicaSlots(x.node.ID())
	require.NotEmpty(t, replicated)
	c := dialClient(t, x.addr, 2)
	err := c.Do(ctx, "CLUSTER", "FAILOVER", "BOGUS").Err()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "syntax error")
	require.NoError(t, c.Do(ctx, "CLUSTER", "FAILOVER").Err())

	// CLUSTER SLOTS, asked of another node, names x primary of every slot
	// it replicated (the replicas are not shown).
	other := dialClient(t, nodes[0].addr, 2)
	require.Eventually(t, func() bool {
		//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read; this is its test
		ranges, err := other.ClusterSlots(ctx).Result()
		if err != nil {
			return false
		}
		for _, s := range replicated {
			i := slices.IndexFunc(ranges, func(r redis.ClusterSlot) bool { return r.Start <= int(s) && int(s) <= r.End })
			if i < 0 || len(ranges[i].Nodes) != 1 || ranges[i].Nodes[0].ID != string(x.node.ID()) {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "x leads the slots it replicated")
	cc.ReloadState(ctx)
	for i := range 300 {
		v, err := cc.Get(ctx, fmt.Sprintf("fo:%d", i)).Int()
		require.NoError(t, err)
		require.Equal(t, i, v)
	}
	waitReplicasSynced(t, nodes)

	one := startReplCluster1(t)
	err = dialClient(t, one.addr, 2).Do(ctx, "CLUSTER", "FAILOVER", "FORCE").Err()
	require.Error(t, err)
	assert.Equal(t, "ERR You should send CLUSTER FAILOVER to a replica", err.Error())
}

// TestReplReadOnlyClusterClient: a go-redis ClusterClient with ReadOnly
// (and one with RouteByLatency) sees no replicas (server/topology: the
// cost of one role per node), so its reads run on the primaries and return
// every value written; a plain connection that sends READONLY to a node
// still reads the slots it replicates there.
func TestReplReadOnlyClusterClient(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	ctx := clusterCtx(t, 60*time.Second)
	w := redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{nodes[0].addr}})
	t.Cleanup(func() { _ = w.Close() })
	keys := make([]string, 200)
	for i := range keys {
		keys[i] = "ro-" + strconv.Itoa(i)
		require.NoError(t, w.Set(ctx, keys[i], "v"+strconv.Itoa(i), 0).Err())
	}
	getCalls := func() map[*clusterNode]int {
		out := map[*clusterNode]int{}
		for _, n := range nodes {
			c := dialClient(t, n.addr, 2)
			s, err := c.Info(ctx, "commandstats").Result()
			require.NoError(t, err)
			for _, l := range strings.Split(s, "\r\n") {
				if rest, ok := strings.CutPrefix(l, "cmdstat_get:calls="); ok {
					v, _ := strconv.Atoi(rest[:strings.IndexByte(rest, ',')])
					out[n] = v
				}
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		opts *redis.ClusterOptions
	}{
		{"ReadOnly", &redis.ClusterOptions{Addrs: []string{nodes[0].addr}, ReadOnly: true}},
		{"RouteByLatency", &redis.ClusterOptions{Addrs: []string{nodes[0].addr}, RouteByLatency: true}},
	} {
		before := getCalls()
		rc := redis.NewClusterClient(tc.opts)
		for i, k := range keys {
			v, err := rc.Get(ctx, k).Result()
			require.NoError(t, err, tc.name)
			require.Equal(t, "v"+strconv.Itoa(i), v, tc.name)
		}
		require.NoError(t, rc.Close())
		after := getCalls()
		// A GET counts on the node where it ran, once.
		total := 0
		for _, n := range nodes {
			total += after[n] - before[n]
		}
		assert.Equal(t, len(keys), total, "%s: every GET ran exactly once", tc.name)
		// CLUSTER SLOTS shows the primaries only (one role per node,
		// server/topology), so a cluster client's reads run on each key's
		// primary: each node ran exactly the reads of the keys it leads.
		for _, n := range nodes {
			want := 0
			for _, k := range keys {
				if ownerOf(t, nodes, k) == n {
					want++
				}
			}
			assert.Equal(t, want, after[n]-before[n], "%s: reads run on primary %s", tc.name, n.addr)
		}
		// READONLY on a raw connection to a replica: the read runs there,
		// not forwarded.
		k := syncedKeyOn(t, nodes, nodes[1], "raw-ro-")
		require.NoError(t, w.Set(ctx, k, "v0", 0).Err())
		rep := replicaOf(t, nodes, k)
		fwd := rep.srv.cstats.forwardsSent.Load()
		raw := testenv.DialRaw(t, rep.addr)
		assert.Equal(t, "+OK\r\n", string(raw.Must(t, "READONLY")))
		assert.Equal(t, "$2\r\nv0\r\n", string(raw.Must(t, "GET", k)))
		assert.Equal(t, fwd, rep.srv.cstats.forwardsSent.Load(), "READONLY read was forwarded")
		assert.Equal(t, "+OK\r\n", string(raw.Must(t, "READWRITE")))
		assert.Equal(t, "$2\r\nv0\r\n", string(raw.Must(t, "GET", k)))
		assert.Equal(t, fwd+1, rep.srv.cstats.forwardsSent.Load(), "READWRITE read ran locally")
	}
}

// TestReplClusterLeave: CLUSTER LEAVE answers +OK, the node hands its
// slots to the others and shuts down; no key written before is lost, and
// the remaining nodes serve every one of them.
func TestReplClusterLeave(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) { c.Replicas = 1 })
	ctx := clusterCtx(t, 120*time.Second)
	c := dialClient(t, nodes[0].addr, 2)
	keys := make([]string, 500)
	pipe := c.Pipeline()
	for i := range keys {
		keys[i] = "leave-" + strconv.Itoa(i)
		pipe.Set(ctx, keys[i], "v"+keys[i], 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	leaving := nodes[2]
	require.Greater(t, len(leaving.node.Table().PrimarySlots(leaving.node.ID())), 0)

	lc := dialClient(t, leaving.addr, 2)
	require.NoError(t, lc.Do(ctx, "CLUSTER", "LEAVE").Err())
	require.Eventually(t, func() bool {
		conn, err := net.DialTimeout("tcp", leaving.addr, time.Second)
		if err != nil {
			return true
		}
		_ = conn.Close()
		return false
	}, 90*time.Second, 50*time.Millisecond, "the node did not shut down after CLUSTER LEAVE")
	leaving.stop()
	waitConverged(t, nodes)

	for _, k := range keys {
		v, err := c.Get(ctx, k).Result()
		require.NoError(t, err, k)
		require.Equal(t, "v"+k, v)
	}
	assert.Equal(t, ring.SlotCount, len(nodes[0].node.Table().PrimarySlots(nodes[0].node.ID()))+
		len(nodes[0].node.Table().PrimarySlots(nodes[1].node.ID())))
}
