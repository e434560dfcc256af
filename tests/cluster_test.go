package tests

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestKeySlotReference pins the suite's own CRC16 to the values the Redis
// Cluster specification gives, so the other tests' slot math is trusted.
func TestKeySlotReference(t *testing.T) {
	assert.Equal(t, uint16(0x31C3), crc16([]byte("123456789")))
	// Slots as redis-server 7.0's CLUSTER KEYSLOT gives them.
	for key, slot := range map[string]int{
		"":                     0,
		"foo":                  12182,
		"bar":                  5061,
		"user1000":             3443,
		"{user1000}.following": 3443,
		"foo{}{bar}":           8363, // empty first tag: the whole key
		"foo{{bar}}zap":        4015, // the tag is "{bar"
		"foo{bar}{zap}":        5061, // only the first tag counts
		"somekey:12345":        10549,
	} {
		assert.Equal(t, slot, keySlot(key), key)
	}
}

// TestCluster runs the read-mostly checks against one shared 3-node cluster:
// each subtest uses its own key prefix.
func TestCluster(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3, formInOneStep...)
	view := tc.waitConverged(t, 3, 180*time.Second)
	for _, n := range tc.nodes {
		assert.Positive(t, view.slotCount(n.addr), "node %s owns no slot", n.addr)
	}

	t.Run("ClusterInfoNodesSlotsShards", func(t *testing.T) { testClusterSurface(t, tc, view) })
	t.Run("EveryNodeServesEveryKey", func(t *testing.T) { testEveryNodeServesEveryKey(t, tc, view) })
	t.Run("ForwardedReplies", func(t *testing.T) { testForwardedReplies(t, tc, view) })
	for _, proto := range []int{2, 3} {
		t.Run("ClusterClientRESP"+strconv.Itoa(proto), func(t *testing.T) { testClusterClient(t, tc, proto) })
	}
	t.Run("ClusterClientCrossSlot", func(t *testing.T) { testClusterClientCrossSlot(t, tc, view) })
	t.Run("ForwardingUnderLoad", func(t *testing.T) { testForwardingUnderLoad(t, tc, view) })
	t.Run("RedisCLIClusterCheck", func(t *testing.T) { testRedisCLIClusterCheck(t, tc) })
	t.Run("RedisPyCluster", func(t *testing.T) { testRedisPyCluster(t, tc) })
	t.Run("RedisPyCollections", func(t *testing.T) { testRedisPyCollections(t, tc) })
	t.Run("RedisBenchmarkDefaultTests", func(t *testing.T) { testRedisBenchmarkDefault(t, tc) })
	tc.assertStable(t, view)
}

// testClusterSurface checks CLUSTER INFO, NODES, SLOTS, SHARDS, MYID and
// KEYSLOT on every node against each other and against Redis's formats.
func testClusterSurface(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, 30*time.Second)
	clients := tc.clients(t, 2)
	nodeLine := regexp.MustCompile(`^([0-9a-f]{40}) (127\.0\.0\.1:(\d+)@(\d+)) (\S+) (\S+) (\d+) (\d+) (\d+) (connected|disconnected)((?: \d+(?:-\d+)?)*)$`)
	var ids []string
	for _, n := range tc.nodes {
		c := clients[n.addr]
		info := parseInfo(c.ClusterInfo(ctx).Val())
		assert.Equal(t, "ok", info["cluster_state"], n.addr)
		assert.Equal(t, "3", info["cluster_known_nodes"], n.addr)
		assert.Equal(t, "16384", info["cluster_slots_assigned"], n.addr)
		assert.Equal(t, "16384", info["cluster_slots_ok"], n.addr)
		assert.Equal(t, "3", info["cluster_size"], n.addr)
		assert.Equal(t, view.epoch, info["cluster_current_epoch"], n.addr)
		assert.Equal(t, "1", parseInfo(c.Info(ctx, "cluster").Val())["cluster_enabled"], n.addr)

		myID, err := c.ClusterMyID(ctx).Result()
		require.NoError(t, err)
		require.Regexp(t, `^[0-9a-f]{40}$`, myID)
		ids = append(ids, myID)

		// CLUSTER NODES: one line per node, each ending in "\n", exactly
		// one "myself" (this node), and slot ranges that agree with
		// CLUSTER SLOTS.
		raw, err := c.ClusterNodes(ctx).Result()
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(raw, "\n"), "CLUSTER NODES must end in a newline: %q", raw)
		lines := strings.Split(strings.TrimSuffix(raw, "\n"), "\n")
		require.Len(t, lines, 3, raw)
		owners := make([]string, numSlots)
		myself := 0
		for _, line := range lines {
			m := nodeLine.FindStringSubmatch(line)
			require.NotNil(t, m, "CLUSTER NODES line %q", line)
			port, _ := strconv.Atoi(m[3])
			cport, _ := strconv.Atoi(m[4])
			assert.Equal(t, port+10000, cport, line)
			assert.NotNil(t, tc.byAddr(m[2][:strings.IndexByte(m[2], '@')]), "unknown node in %q", line)
			flags := strings.Split(m[5], ",")
			assert.Contains(t, flags, "master", line)
			assert.Equal(t, "-", m[6], "a master has no master: %q", line)
			assert.Equal(t, "connected", m[10], line)
			if slices.Contains(flags, "myself") {
				myself++
				assert.Equal(t, myID, m[1], "myself line is not CLUSTER MYID")
				assert.Equal(t, n.addr, m[2][:strings.IndexByte(m[2], '@')])
			}
			for _, r := range strings.Fields(m[11]) {
				lo, hi, _ := strings.Cut(r, "-")
				a, _ := strconv.Atoi(lo)
				b := a
				if hi != "" {
					b, _ = strconv.Atoi(hi)
				}
				for s := a; s <= b; s++ {
					require.Empty(t, owners[s], "slot %d listed twice in CLUSTER NODES", s)
					owners[s] = m[2][:strings.IndexByte(m[2], '@')]
				}
			}
		}
		assert.Equal(t, 1, myself, "exactly one myself line:\n%s", raw)
		assert.Equal(t, view.owners, owners, "CLUSTER NODES and CLUSTER SLOTS disagree on %s", n.addr)

		// CLUSTER SHARDS: a shard per set of owners (meshcache spreads a
		// node's replicas over all the others, so one primary heads
		// several shards), each with one master online; together they
		// cover every slot once, as CLUSTER SLOTS does.
		shards, err := c.ClusterShards(ctx).Result()
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(shards), 3)
		masters := map[string]bool{}
		covered := 0
		for _, sh := range shards {
			var master *redis.Node
			for i := range sh.Nodes {
				if sh.Nodes[i].Role == "master" {
					master = &sh.Nodes[i]
				}
			}
			require.NotNil(t, master, "shard without a master: %+v", sh)
			addr := master.IP + ":" + strconv.FormatInt(master.Port, 10)
			assert.NotNil(t, tc.byAddr(addr), "shard master %s", addr)
			masters[addr] = true
			assert.Equal(t, "online", master.Health)
			for _, r := range sh.Slots {
				for s := r.Start; s <= r.End; s++ {
					assert.Equal(t, view.owners[s], addr, "CLUSTER SHARDS slot %d", s)
					covered++
				}
			}
		}
		assert.Equal(t, numSlots, covered)
		assert.Len(t, masters, 3, "every node leads a shard")

		for _, key := range []string{"foo", "{user1000}.following", "", "somekey:12345"} {
			assert.Equal(t, int64(keySlot(key)), c.ClusterKeySlot(ctx, key).Val(), "CLUSTER KEYSLOT %q", key)
		}
	}
	slices.Sort(ids)
	assert.Len(t, slices.Compact(ids), 3, "node IDs must differ")
}

// testEveryNodeServesEveryKey writes one key in every slot, spread over
// the nodes, and reads each through every node; then the owner counts and
// lists the key of a sample of its slots.
func testEveryNodeServesEveryKey(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, 90*time.Second)
	clients := tc.clients(t, 2)
	keys := keysForAllSlots("every:")
	writeAndReadEverywhere(ctx, t, clients, keys, func(k string) string { return "v-" + k })

	for s := 0; s < numSlots; s += 997 {
		owner := clients[view.owners[s]]
		assert.Equal(t, int64(1), owner.ClusterCountKeysInSlot(ctx, s).Val(), "COUNTKEYSINSLOT %d on its owner", s)
		assert.Equal(t, []string{keys[s]}, owner.ClusterGetKeysInSlot(ctx, s, 10).Val(), "GETKEYSINSLOT %d on its owner", s)
	}

	// DEL through a non-owner removes the key everywhere.
	for s := 0; s < numSlots; s += 1999 {
		via := otherThan(tc.addrs(), view.owners[s])[0]
		require.Equal(t, int64(1), clients[via].Del(ctx, keys[s]).Val())
		for _, c := range clients {
			assert.Equal(t, int64(0), c.Exists(ctx, keys[s]).Val())
		}
	}
}

// testForwardedReplies checks that replies of every shape come back intact
// through a node that does not own the key, in both protocols.
func testForwardedReplies(t *testing.T, tc *testCluster, view *clusterView) {
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			ctx := testContext(t, 30*time.Second)
			clients := tc.clients(t, proto)
			for i := range 12 {
				key := fmt.Sprintf("shape:%d:%d", proto, i)
				others := otherThan(tc.addrs(), view.ownerOf(key))
				w, r := clients[others[0]], clients[others[1]]

				require.NoError(t, w.Set(ctx, key, "x", 100*time.Second).Err())
				ttl := r.TTL(ctx, key).Val()
				assert.True(t, ttl > 90*time.Second && ttl <= 100*time.Second, "TTL %v", ttl)
				assert.Equal(t, int64(2), w.Append(ctx, key, "y").Val())

				h := key + ":h"
				require.NoError(t, w.HSet(ctx, h, "a", "1", "b", "2").Err())
				assert.Equal(t, map[string]string{"a": "1", "b": "2"}, r.HGetAll(ctx, h).Val())
				assert.Equal(t, []any{"1", nil}, r.HMGet(ctx, h, "a", "zz").Val())
				assert.InDelta(t, 3.5, r.HIncrByFloat(ctx, h, "a", 2.5).Val(), 1e-9)

				_, err := r.Get(ctx, key+":missing").Result()
				assert.ErrorIs(t, err, redis.Nil)
				err = r.HGet(ctx, key, "f").Err()
				assert.True(t, isRedisError(err, "WRONGTYPE"), "HGET on a string through a non-owner: %v", err)
				err = r.Do(ctx, "INCR", key, "extra").Err()
				assert.True(t, isRedisError(err, "ERR wrong number of arguments"), "%v", err)
			}

			// A pipeline through one node that mixes its own keys with
			// other nodes' keys gets its replies in order.
			var keys []string
			for i := 0; len(keys) < 9; i++ {
				keys = append(keys, fmt.Sprintf("order:%d:%d", proto, i))
			}
			via := tc.nodes[0].addr
			pipe := clients[via].Pipeline()
			for _, k := range keys {
				pipe.Set(ctx, k, 0, 0)
			}
			var incrs []*redis.IntCmd
			for range 20 {
				for _, k := range keys {
					incrs = append(incrs, pipe.Incr(ctx, k))
				}
			}
			_, err := pipe.Exec(ctx)
			require.NoError(t, err)
			for i, cmd := range incrs {
				assert.Equal(t, int64(i/len(keys)+1), cmd.Val(), "INCR %s in round %d", keys[i%len(keys)], i/len(keys))
			}

			// MULTI/EXEC on one slot through a node that does not own it.
			tag := fmt.Sprintf("{tx%d}", proto)
			w := clients[otherThan(tc.addrs(), view.ownerOf(tag))[0]]
			tx := w.TxPipeline()
			tx.Set(ctx, tag+"a", 1, 0)
			incr := tx.IncrBy(ctx, tag+"a", 5)
			tx.HSet(ctx, tag+"h", "f", "v")
			get := tx.Get(ctx, tag+"a")
			_, err = tx.Exec(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(6), incr.Val())
			assert.Equal(t, "6", get.Val())
			assert.Equal(t, "v", clients[view.ownerOf(tag)].HGet(ctx, tag+"h", "f").Val())
		})
	}
}

// testClusterClient drives go-redis's ClusterClient with mixed traffic.
func testClusterClient(t *testing.T, tc *testCluster, proto int) {
	ctx := testContext(t, 60*time.Second)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs(), Protocol: proto, MaxRedirects: 3})
	t.Cleanup(func() { cc.Close() })
	p := "cc" + strconv.Itoa(proto) + ":"

	// Single keys all over the slot space.
	for i := range 300 {
		k := p + strconv.Itoa(i)
		require.NoError(t, cc.Set(ctx, k, i, 0).Err())
	}
	for i := range 300 {
		assert.Equal(t, strconv.Itoa(i), cc.Get(ctx, p+strconv.Itoa(i)).Val())
	}

	// MSET/MGET/DEL/EXISTS in one slot (hash tag).
	tagged := []string{p + "{t}a", p + "{t}b", p + "{t}c"}
	require.NoError(t, cc.MSet(ctx, tagged[0], "1", tagged[1], "2", tagged[2], "3").Err())
	assert.Equal(t, []any{"1", "2", "3", nil}, cc.MGet(ctx, append(tagged, p+"{t}none")...).Val())
	assert.Equal(t, int64(2), cc.Del(ctx, tagged[0], tagged[1], p+"{t}none").Val())
	assert.Equal(t, int64(1), cc.Exists(ctx, tagged...).Val())

	// Lists, sets and sorted sets on keys all over the slot space, and a
	// consumer blocked in BRPOP served by a push.
	for i := range 30 {
		k := p + "coll:" + strconv.Itoa(i)
		require.NoError(t, cc.RPush(ctx, k+":l", "a", "b").Err())
		assert.Equal(t, "a", cc.LPop(ctx, k+":l").Val())
		require.NoError(t, cc.SAdd(ctx, k+":s", "x", "y").Err())
		assert.Equal(t, int64(2), cc.SCard(ctx, k+":s").Val())
		require.NoError(t, cc.ZAdd(ctx, k+":z", redis.Z{Score: 2, Member: "two"}, redis.Z{Score: 1, Member: "one"}).Err())
		assert.Equal(t, []string{"one", "two"}, cc.ZRange(ctx, k+":z", 0, -1).Val())
	}
	got := make(chan []string, 1)
	go func() { got <- cc.BRPop(ctx, 10*time.Second, p+"jobs").Val() }()
	require.NoError(t, cc.LPush(ctx, p+"jobs", "j").Err())
	assert.Equal(t, []string{p + "jobs", "j"}, <-got)

	// A pipeline over many slots, then one reading it back.
	pipe := cc.Pipeline()
	for i := range 500 {
		pipe.Set(ctx, p+"pipe:"+strconv.Itoa(i), "p"+strconv.Itoa(i), 0)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	pipe = cc.Pipeline()
	gets := make([]*redis.StringCmd, 500)
	for i := range 500 {
		gets[i] = pipe.Get(ctx, p+"pipe:"+strconv.Itoa(i))
	}
	_, err = pipe.Exec(ctx)
	require.NoError(t, err)
	for i, g := range gets {
		assert.Equal(t, "p"+strconv.Itoa(i), g.Val())
	}

	// MULTI/EXEC on one slot.
	acct := p + "{acct}"
	tx := cc.TxPipeline()
	tx.Set(ctx, acct+"balance", 100, 0)
	dec := tx.DecrBy(ctx, acct+"balance", 30)
	tx.IncrBy(ctx, acct+"savings", 30)
	_, err = tx.Exec(ctx)
	require.NoError(t, err)
	assert.Equal(t, int64(70), dec.Val())
	assert.Equal(t, []any{"70", "30"}, cc.MGet(ctx, acct+"balance", acct+"savings").Val())

	// Every node answered something: the client spread the load.
	var mu sync.Mutex
	seen := map[string]bool{}
	require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
		mu.Lock()
		seen[c.Options().Addr] = true
		mu.Unlock()
		return c.Ping(ctx).Err()
	}))
	assert.Len(t, seen, 3)
}

// testClusterClientCrossSlot sends multi-key commands whose keys live on
// several nodes: go-redis sends each to the first key's node, which splits
// it by owner and merges the replies where Redis would answer CROSSSLOT.
func testClusterClientCrossSlot(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, 30*time.Second)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs(), MaxRedirects: 3})
	t.Cleanup(func() { cc.Close() })
	// 12 keys, 4 on each node, in hash order (so interleaved).
	var spread []string
	perOwner := map[string]int{}
	for i := 0; len(spread) < 12; i++ {
		k := "xs:" + strconv.Itoa(i)
		if o := view.ownerOf(k); perOwner[o] < 4 {
			perOwner[o]++
			spread = append(spread, k)
		}
	}
	pairs := []any{}
	for i, k := range spread {
		pairs = append(pairs, k, "s"+strconv.Itoa(i))
	}
	require.NoError(t, cc.MSet(ctx, pairs...).Err())
	got, err := cc.MGet(ctx, append(spread, "xs:none")...).Result()
	require.NoError(t, err)
	want := []any{}
	for i := range spread {
		want = append(want, "s"+strconv.Itoa(i))
	}
	assert.Equal(t, append(want, nil), got)
	assert.Equal(t, int64(12), cc.Exists(ctx, spread...).Val())
	assert.Equal(t, int64(12), cc.Touch(ctx, spread...).Val())
	assert.Equal(t, int64(4), cc.Del(ctx, spread[0], spread[1], spread[2], "xs:none", spread[3]).Val())
	assert.Equal(t, int64(2), cc.Unlink(ctx, spread[4], spread[5]).Val())
	assert.Equal(t, int64(6), cc.Exists(ctx, spread...).Val())
	got, err = cc.MGet(ctx, spread...).Result()
	require.NoError(t, err)
	assert.Equal(t, append([]any{nil, nil, nil, nil, nil, nil}, want[6:]...), got)
}

// testForwardingUnderLoad sends 20 goroutines x 500 operations, each through
// a node that does not own the key, and checks that every acknowledged write
// is readable afterwards with the right value from every node.
func testForwardingUnderLoad(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, 90*time.Second)
	clients := tc.clients(t, 2)
	// 37 keys per worker: prime to 10, so every key gets SETs between
	// the counter's INCRs (every 10th operation).
	const workers, ops, keysPerWorker = 20, 500, 37

	type result struct {
		last  map[string]string // key -> last acknowledged value
		incrs int64             // acknowledged INCRs of the worker's counter
	}
	results := make([]result, workers)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := result{last: map[string]string{}}
			counter := fmt.Sprintf("load:ctr:%d", w)
			for i := range ops {
				key := fmt.Sprintf("load:%d:%d", w, i%keysPerWorker)
				if i%10 == 9 {
					key = counter
				}
				others := otherThan(tc.addrs(), view.ownerOf(key))
				c := clients[others[i%len(others)]]
				switch {
				case key == counter:
					n, err := c.Incr(ctx, key).Result()
					if err != nil {
						errs <- fmt.Errorf("INCR %s: %w", key, err)
						return
					}
					res.incrs++
					if n != res.incrs {
						errs <- fmt.Errorf("INCR %s = %d, want %d", key, n, res.incrs)
						return
					}
				case i%4 == 3 && res.last[key] != "":
					// Read-your-writes through the other non-owner.
					c = clients[others[(i+1)%len(others)]]
					v, err := c.Get(ctx, key).Result()
					if err != nil {
						errs <- fmt.Errorf("GET %s: %w", key, err)
						return
					}
					if v != res.last[key] {
						errs <- fmt.Errorf("GET %s = %q, want %q", key, v, res.last[key])
						return
					}
				default:
					v := fmt.Sprintf("%d-%d-%s", w, i, strings.Repeat("x", i%64))
					if err := c.Set(ctx, key, v, 0).Err(); err != nil {
						errs <- fmt.Errorf("SET %s: %w", key, err)
						return
					}
					res.last[key] = v
				}
			}
			results[w] = res
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("%d operations through non-owners in %v (%.0f ops/s, race-enabled binary)",
		workers*ops, elapsed.Round(time.Millisecond), float64(workers*ops)/elapsed.Seconds())
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	require.False(t, t.Failed())

	for _, addr := range tc.addrs() {
		c := clients[addr]
		for w, res := range results {
			require.Len(t, res.last, keysPerWorker)
			for key, want := range res.last {
				assert.Equal(t, want, c.Get(ctx, key).Val(), "key %s via %s", key, addr)
			}
			assert.Equal(t, strconv.FormatInt(res.incrs, 10), c.Get(ctx, fmt.Sprintf("load:ctr:%d", w)).Val())
		}
	}
}

// testRedisCLIClusterCheck runs redis-cli's cluster manager against the
// cluster, as an operator would.
func testRedisCLIClusterCheck(t *testing.T, tc *testCluster) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed (apt-get install redis-tools)")
	}
	for _, n := range tc.nodes {
		out := clusterCLI(t, "check", n.addr)
		assert.Contains(t, out, "[OK] All nodes agree about slots configuration.", out)
		assert.Contains(t, out, "[OK] All 16384 slots covered.", out)
		assert.NotContains(t, out, "[ERR]", out)
		assert.NotContains(t, out, "[WARNING]", out)
	}
	out := clusterCLI(t, "info", tc.nodes[0].addr)
	masters := regexp.MustCompile(`(?m)^127\.0\.0\.1:(\d+) \([0-9a-f]{8}\.\.\.\) -> \d+ keys \| (\d+) slots \| \d+ slaves\.$`).FindAllStringSubmatch(out, -1)
	require.Len(t, masters, 3, out)
	total := 0
	for _, m := range masters {
		assert.NotNil(t, tc.byAddr("127.0.0.1:"+m[1]), "unknown master in %q", m[0])
		slots, _ := strconv.Atoi(m[2])
		total += slots
	}
	assert.Equal(t, numSlots, total)
	assert.Regexp(t, `\[OK\] \d+ keys in 3 masters\.`, out)

	// redis-cli -c follows nothing here (forwarding answers in place), but
	// must still work for keys of every node.
	for i, n := range tc.nodes {
		key := "cli:" + strconv.Itoa(i)
		assert.Equal(t, "OK", n.cli(t, "-c", "SET", key, "v"+strconv.Itoa(i)))
		for _, m := range tc.nodes {
			assert.Equal(t, "v"+strconv.Itoa(i), m.cli(t, "-c", "GET", key))
		}
	}
}

// testRedisPyCluster runs tests/py/cluster.py: redis-py's RedisCluster.
func testRedisPyCluster(t *testing.T, tc *testCluster) {
	if err := exec.Command(pythonWithRedis, "-c", "import redis.cluster").Run(); err != nil {
		t.Skip("redis-py with redis.cluster not installed (apt-get install python3-redis)")
	}
	ctx := testContext(t, time.Minute)
	out, err := exec.CommandContext(ctx, pythonWithRedis, "py/cluster.py", strconv.Itoa(tc.nodes[1].port)).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "redis-py cluster: all checks passed")
}

// testRedisPyCollections runs tests/py/types_cluster.py: lists, sets, sorted
// sets, geo and blocking pops through plain redis-py connected to one node
// and through RedisCluster.
func testRedisPyCollections(t *testing.T, tc *testCluster) {
	if err := exec.Command(pythonWithRedis, "-c", "import redis.cluster").Run(); err != nil {
		t.Skip("redis-py with redis.cluster not installed (apt-get install python3-redis)")
	}
	ctx := testContext(t, 2*time.Minute)
	out, err := exec.CommandContext(ctx, pythonWithRedis, "py/types_cluster.py", strconv.Itoa(tc.nodes[2].port)).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Contains(t, string(out), "redis-py collections: all checks passed")
}

// testRedisBenchmarkDefault runs redis-benchmark's default test list
// through one node of the cluster: every test must run without an error.
func testRedisBenchmarkDefault(t *testing.T, tc *testCluster) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		t.Skip("redis-benchmark not installed (apt-get install redis-tools)")
	}
	ctx := testContext(t, 3*time.Minute)
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-p", strconv.Itoa(tc.nodes[1].port),
		"-n", "1000", "-c", "10", "-r", "1000", "--csv").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, test := range []string{"PING_INLINE", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD",
		"HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_100 (first 100 elements)", "LRANGE_600 (first 600 elements)",
		"MSET (10 keys)"} {
		assert.Contains(t, string(out), `"`+test+`"`)
	}
	assert.NotContains(t, string(out), "ERR")
}

// TestClusterRedirectMode checks --cluster-redirect: -MOVED to the owner,
// exactly as Redis Cluster answers, and redis-cli -c following it.
func TestClusterRedirectMode(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3, append([]string{"--cluster-redirect"}, formInOneStep...)...)
	view := tc.waitConverged(t, 3, 180*time.Second)
	testRedirect(t, tc, view)
	tc.assertStable(t, view)
}

// testRedirect checks a cluster that redirects instead of forwarding, as
// Redis Cluster does.
func testRedirect(t *testing.T, tc *testCluster, view *clusterView) {
	ctx := testContext(t, 60*time.Second)
	clients := tc.clients(t, 2)

	moved := 0
	for i := range 60 {
		key := "redir:" + strconv.Itoa(i)
		owner := view.ownerOf(key)
		for _, n := range tc.nodes {
			c := clients[n.addr]
			err := c.Set(ctx, key, "v", 0).Err()
			if n.addr == owner {
				require.NoError(t, err, "SET on the owner")
				continue
			}
			moved++
			want := fmt.Sprintf("MOVED %d %s", keySlot(key), owner)
			require.Error(t, err)
			assert.Equal(t, want, err.Error(), "SET %s on %s", key, n.addr)
			err = c.Get(ctx, key).Err()
			require.Error(t, err)
			assert.Equal(t, want, err.Error(), "GET %s on %s", key, n.addr)
		}
		assert.Equal(t, "v", clients[owner].Get(ctx, key).Val())
	}
	assert.Equal(t, 120, moved)

	// Keyless commands still answer everywhere.
	for _, c := range clients {
		assert.Equal(t, "PONG", c.Ping(ctx).Val())
	}

	// go-redis's ClusterClient follows the topology (and any MOVED).
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()[:1]})
	t.Cleanup(func() { cc.Close() })
	for i := range 100 {
		require.NoError(t, cc.Set(ctx, "redir:cc:"+strconv.Itoa(i), i, 0).Err())
	}
	for i := range 100 {
		assert.Equal(t, strconv.Itoa(i), cc.Get(ctx, "redir:cc:"+strconv.Itoa(i)).Val())
	}

	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed (apt-get install redis-tools)")
	}
	// redis-cli -c follows -MOVED; without -c it shows the redirect.
	n := tc.nodes[0]
	for i := range 6 {
		key := "redir:cli:" + strconv.Itoa(i)
		assert.Equal(t, "OK", n.cli(t, "-c", "SET", key, "c"+strconv.Itoa(i)))
		assert.Equal(t, "c"+strconv.Itoa(i), n.cli(t, "-c", "GET", key))
		if owner := view.ownerOf(key); owner != n.addr {
			assert.Equal(t, fmt.Sprintf("(error) MOVED %d %s", keySlot(key), owner), n.cli(t, "--no-raw", "GET", key))
		}
	}
	out := clusterCLI(t, "check", n.addr)
	assert.Contains(t, out, "[OK] All 16384 slots covered.", out)
}

// TestClusterJoinFourthNode starts a 4th node with --join against a running
// cluster and checks that everyone agrees on the new ownership and that
// keys work through every node afterwards.
func TestClusterJoinFourthNode(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3)
	before := tc.waitConverged(t, 3, 180*time.Second)
	ctx := testContext(t, 400*time.Second)
	keys := make([]string, 600)
	for i := range keys {
		keys[i] = "before:" + strconv.Itoa(i)
	}
	writeAndReadEverywhere(ctx, t, tc.clients(t, 2), keys, func(k string) string { return k })

	joinStart := time.Now()
	n4 := tc.addNode(t)
	after := tc.waitConverged(t, 4, 180*time.Second)
	t.Logf("4th node serving and owning %d slots %v after its start", after.slotCount(n4.addr), time.Since(joinStart).Round(time.Millisecond))
	assert.Positive(t, after.slotCount(n4.addr), "the new node owns no slot")
	assert.NotEqual(t, before.epoch, after.epoch, "a join issues a new table")
	for _, n := range tc.nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr})
		raw := c.ClusterNodes(ctx).Val()
		c.Close()
		assert.Equal(t, 4, strings.Count(raw, "\n"), "CLUSTER NODES on %s:\n%s", n.addr, raw)
		assert.Equal(t, 1, strings.Count(raw, "myself"), raw)
	}

	clients := tc.clients(t, 2)
	// A join moves slots by handoff (docs/DESIGN.md §5): every key written
	// before it is still there, read through every node, whichever node
	// leads its slot now.
	moved := 0
	for _, k := range keys {
		if before.ownerOf(k) != after.ownerOf(k) {
			moved++
		}
		for addr, c := range clients {
			assert.Equal(t, k, c.Get(ctx, k).Val(), "key %s via %s", k, addr)
		}
	}
	assert.Positive(t, moved, "the join moved none of the keys' slots")

	// New writes and reads work through every node, the new one included,
	// for keys of every owner.
	newKeys := make([]string, 800)
	for i := range newKeys {
		newKeys[i] = "after:" + strconv.Itoa(i)
	}
	writeAndReadEverywhere(ctx, t, clients, newKeys, func(k string) string { return "n-" + k })
	owners := map[string]bool{}
	for _, k := range newKeys {
		owners[after.ownerOf(k)] = true
	}
	assert.Len(t, owners, 4)
	tc.assertStable(t, after)
}

// TestClusterMeet joins a separately started one-node cluster into a
// 3-node cluster with CLUSTER MEET, as redis-cli users do.
func TestClusterMeet(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3)
	tc.waitConverged(t, 3, 180*time.Second)
	ctx := testContext(t, 400*time.Second)

	single := &testCluster{nodes: []*node{startNode(t, clusterFlags...)}}
	single.waitConverged(t, 1, 180*time.Second) // a node alone owns every slot
	sc := single.nodes[0].client(2)
	require.NoError(t, sc.Set(ctx, "alone", "1", 0).Err())

	c := tc.nodes[1].client(2)
	require.NoError(t, c.ClusterMeet(ctx, "127.0.0.1", strconv.Itoa(single.nodes[0].port)).Err())
	tc.nodes = append(tc.nodes, single.nodes[0])
	view := tc.waitConverged(t, 4, 180*time.Second)
	assert.Positive(t, view.slotCount(single.nodes[0].addr))

	keys := make([]string, 400)
	for i := range keys {
		keys[i] = "met:" + strconv.Itoa(i)
	}
	writeAndReadEverywhere(ctx, t, tc.clients(t, 2), keys, func(k string) string { return k + "!" })
	tc.assertStable(t, view)

	// Bad MEET arguments get Redis 7's errors, word for word.
	err := c.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", "notaport").Err()
	assert.EqualError(t, err, "ERR Invalid TCP base port specified: notaport")
	err = c.Do(ctx, "CLUSTER", "MEET", "127.0.0.1").Err()
	assert.EqualError(t, err, "ERR wrong number of arguments for 'cluster|meet' command")
}

// TestLocalClusterFlag starts the local dev cluster (--local-cluster 3): one
// process, three nodes on consecutive ports that form a cluster, stopped
// cleanly by SIGTERM. As the README says, redis-cli --cluster check is
// clean once it has settled: the empty slots move without batching or
// pacing (cluster/plan), so that is a matter of steps, not of 16384/512
// paced batches; the test logs how long it took.
func TestLocalClusterFlag(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	base := testenv.FreeRange(t, 3, testenv.ClusterOffset)
	proc := startNodeOn(t, base, "--local-cluster", "3", "--gossip", "local")
	start := time.Now() // startNodeOn waited for the first node to serve
	tc := &testCluster{}
	for i := range 3 {
		n := &node{Proc: proc.Proc, t: t, port: base + i, addr: "127.0.0.1:" + strconv.Itoa(base+i)}
		require.NoError(t, proc.WaitServing(n.addr, testenv.ReadyTimeout))
		tc.nodes = append(tc.nodes, n)
	}
	view := tc.waitConverged(t, 3, 180*time.Second)
	t.Logf("settled %v after the start", time.Since(start).Round(time.Millisecond))
	for _, n := range tc.nodes {
		assert.Positive(t, view.slotCount(n.addr))
		assert.Contains(t, proc.Out(), n.addr, "the log says where each node listens")
	}
	if _, err := exec.LookPath("redis-cli"); err == nil {
		out := clusterCLI(t, "check", tc.nodes[0].addr)
		assert.Contains(t, out, "in 3 masters.", out)
		assert.Contains(t, out, "[OK] All 16384 slots covered.", out)
		assert.NotContains(t, out, "[WARNING]", out)
		assert.NotContains(t, out, "[ERR]", out)
	}
	ctx := testContext(t, 400*time.Second)
	writeAndReadEverywhere(ctx, t, tc.clients(t, 2), keysForAllSlots("local:")[:1000], func(k string) string { return k })
	tc.assertStable(t, view)

	require.NoError(t, proc.Signal(syscall.SIGTERM, 20*time.Second), proc.Out())
	for _, n := range tc.nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1, DialTimeout: time.Second})
		assert.Error(t, c.Ping(ctx).Err(), "%s still answers after SIGTERM", n.addr)
		c.Close()
	}
}
