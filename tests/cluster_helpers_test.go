package tests

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// numSlots is Redis Cluster's fixed slot count.
const numSlots = 16384

// crc16 is CRC16-XMODEM (polynomial 0x1021, initial value 0), the checksum
// Redis Cluster hashes keys with. It is written here independently of ring/
// so that the suite checks the server's slot math instead of reusing it.
func crc16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is the Redis Cluster slot of key: the CRC16 of its hash tag (the
// text between the first '{' and the next '}', when non-empty) or of the
// whole key, modulo 16384.
func keySlot(key string) int {
	if i := strings.IndexByte(key, '{'); i >= 0 {
		if j := strings.IndexByte(key[i+1:], '}'); j > 0 {
			key = key[i+1 : i+1+j]
		}
	}
	return int(crc16([]byte(key)) % numSlots)
}

// keysForAllSlots returns one key per slot, indexed by slot: prefix followed
// by the smallest number that lands in that slot.
func keysForAllSlots(prefix string) []string {
	keys := make([]string, numSlots)
	left := numSlots
	for i := 0; left > 0; i++ {
		k := prefix + strconv.Itoa(i)
		if s := keySlot(k); keys[s] == "" {
			keys[s] = k
			left--
		}
	}
	return keys
}

// testCluster is a set of meshcache processes that form one cluster.
type testCluster struct {
	nodes []*node
}

// clusterFlags are the flags every node of a test cluster gets: the local
// gossip profile detects joins and failures in well under a second.
var clusterFlags = []string{"--gossip", "local"}

// formInOneStep is for clusters whose test never adds or removes a node:
// the slots go to the second and third node in one rebalance step instead
// of 512-slot steps (3 s instead of 7 s to form three race-built nodes).
// Tests of joins, leaves and faults keep the default batch they exercise.
var formInOneStep = []string{"--migration-batch", "16384"}

// startCluster starts n nodes, the first as the seed and the others joining
// it by its cluster port, and waits until they agree on one routing table
// that covers every slot. Every process is stopped when t ends.
func startCluster(t *testing.T, n int, args ...string) *testCluster {
	t.Helper()
	tc := &testCluster{}
	tc.nodes = append(tc.nodes, startNode(t, append(slices.Clone(clusterFlags), args...)...))
	for range n - 1 {
		tc.addNode(t, args...)
	}
	// Stop the nodes still in the cluster together when the test ends: they
	// drain in parallel. This runs before the nodes' own cleanups, and after
	// those of nodes added later, which stop on their own.
	t.Cleanup(func() {
		procs := make([]*testenv.Proc, len(tc.nodes))
		for i, n := range tc.nodes {
			procs[i] = n.Proc
		}
		testenv.StopAll(procs...)
	})
	tc.waitConverged(t, n, 180*time.Second)
	return tc
}

// seed returns the cluster address (host:cport) of the first node.
func (tc *testCluster) seed() string {
	return "127.0.0.1:" + strconv.Itoa(tc.nodes[0].port+10000)
}

// addNode starts one more node that joins the cluster through the first
// node's cluster port. It does not wait for the cluster to converge.
func (tc *testCluster) addNode(t *testing.T, args ...string) *node {
	t.Helper()
	return tc.addNodeJoining(t, tc.seed(), args...)
}

// addNodeJoining starts one more node that joins through seeds (cluster
// addresses, comma separated, as --join takes them). It does not wait for
// the cluster to converge.
func (tc *testCluster) addNodeJoining(t *testing.T, seeds string, args ...string) *node {
	t.Helper()
	full := append(slices.Clone(clusterFlags), "--join", seeds)
	n := startNode(t, append(full, args...)...)
	tc.nodes = append(tc.nodes, n)
	return n
}

// seeds returns every node's cluster address, comma separated for --join.
func (tc *testCluster) seeds() string {
	out := make([]string, len(tc.nodes))
	for i, n := range tc.nodes {
		out[i] = "127.0.0.1:" + strconv.Itoa(n.port+10000)
	}
	return strings.Join(out, ",")
}

// remove forgets a node that was killed or stopped, so that waitConverged,
// view, seed and seeds consider only the nodes still running.
func (tc *testCluster) remove(gone *node) {
	tc.nodes = slices.DeleteFunc(tc.nodes, func(n *node) bool { return n == gone })
}

// addrs returns every node's client address.
func (tc *testCluster) addrs() []string {
	out := make([]string, len(tc.nodes))
	for i, n := range tc.nodes {
		out[i] = n.addr
	}
	return out
}

// byAddr returns the node listening on addr, or nil.
func (tc *testCluster) byAddr(addr string) *node {
	for _, n := range tc.nodes {
		if n.addr == addr {
			return n
		}
	}
	return nil
}

// clusterView is what every node of a converged cluster reports alike.
type clusterView struct {
	epoch  string   // cluster_current_epoch
	owners []string // slot -> client address of the primary
}

// ownerOf returns the client address of key's primary.
func (v *clusterView) ownerOf(key string) string { return v.owners[keySlot(key)] }

// slotCount returns how many slots addr leads.
func (v *clusterView) slotCount(addr string) int {
	n := 0
	for _, o := range v.owners {
		if o == addr {
			n++
		}
	}
	return n
}

// waitConverged polls every node until all report cluster_state:ok, want
// known nodes, all 16384 slots assigned, the same current epoch and the same
// slot -> primary map, with every slot covered exactly once by a node of tc
// and every node of tc owning some slots.
// It returns that agreed view, or fails the test after d.
func (tc *testCluster) waitConverged(t *testing.T, want int, d time.Duration) *clusterView {
	t.Helper()
	var v *clusterView
	err := testenv.Until(d, func() (err error) {
		v, err = tc.view(want)
		return err
	})
	if err != nil {
		var logs strings.Builder
		for _, n := range tc.nodes {
			fmt.Fprintf(&logs, "--- %s ---\n%s\n", n.addr, n.Out())
		}
		t.Fatalf("cluster of %d did not converge: %v\n%s", want, err, logs.String())
	}
	return v
}

// assertStable checks that the cluster still has the table it had at
// the start of a test: in a healthy, settled cluster load alone must not
// make the coordinator issue new tables (a node falsely suspected dead
// would: its slots would fail over in the middle of the test).
func (tc *testCluster) assertStable(t *testing.T, want *clusterView) {
	t.Helper()
	v, err := tc.view(len(tc.nodes))
	if !assert.NoError(t, err, "cluster no longer converged") {
		return
	}
	assert.Equal(t, want.epoch, v.epoch, "the routing table changed during the test")
	assert.Equal(t, want.owners, v.owners, "slot owners changed during the test")
}

// view asks every node for its CLUSTER INFO and CLUSTER SLOTS and returns
// the common view, or an error saying how the nodes disagree.
func (tc *testCluster) view(want int) (*clusterView, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var common *clusterView
	for _, n := range tc.nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr, MaxRetries: -1})
		v, err := nodeView(ctx, c, want, tc.addrs())
		c.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", n.addr, err)
		}
		if common == nil {
			common = v
			continue
		}
		if v.epoch != common.epoch {
			return nil, fmt.Errorf("%s: epoch %s, %s: epoch %s", tc.nodes[0].addr, common.epoch, n.addr, v.epoch)
		}
		if !slices.Equal(v.owners, common.owners) {
			return nil, fmt.Errorf("%s and %s disagree about slot owners", tc.nodes[0].addr, n.addr)
		}
	}
	// Membership runs ahead of the routing table: a node is known (and
	// counted in cluster_known_nodes) before the coordinator issues the
	// table that places slots on it. The target placement gives every
	// member slots, so a table is final only when every node owns some.
	for _, n := range tc.nodes {
		if common.slotCount(n.addr) == 0 {
			return nil, fmt.Errorf("epoch %s: %s owns no slot yet", common.epoch, n.addr)
		}
	}
	return common, nil
}

// nodeView reads one node's CLUSTER INFO and CLUSTER SLOTS and checks them
// against a healthy cluster of want nodes whose client addresses are addrs.
func nodeView(ctx context.Context, c *redis.Client, want int, addrs []string) (*clusterView, error) {
	raw, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER INFO: %w", err)
	}
	info := parseInfo(raw)
	for field, value := range map[string]string{
		"cluster_state":          "ok",
		"cluster_known_nodes":    strconv.Itoa(want),
		"cluster_slots_assigned": strconv.Itoa(numSlots),
	} {
		if info[field] != value {
			return nil, fmt.Errorf("CLUSTER INFO %s = %q, want %q", field, info[field], value)
		}
	}
	// Settled (cluster.Node.Settled): the table is the target placement,
	// no slot moving, every replica synced.
	raw, err = c.Info(ctx, "cluster").Result()
	if err != nil {
		return nil, fmt.Errorf("INFO: %w", err)
	}
	if v := parseInfo(raw)["cluster_settled"]; v != "1" {
		return nil, fmt.Errorf("INFO cluster_settled = %q, want 1: still settling", v)
	}
	//lint:ignore SA1019 CLUSTER SLOTS is what Redis Cluster clients still read; this is its test
	slots, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, fmt.Errorf("CLUSTER SLOTS: %w", err)
	}
	owners, err := slotOwners(slots)
	if err != nil {
		return nil, err
	}
	for s, o := range owners {
		if !slices.Contains(addrs, o) {
			return nil, fmt.Errorf("slot %d owned by %s, not a node of this cluster %v", s, o, addrs)
		}
	}
	return &clusterView{epoch: info["cluster_current_epoch"], owners: owners}, nil
}

// slotOwners turns a CLUSTER SLOTS reply into slot -> primary address and
// fails if a slot is missing or covered twice.
func slotOwners(slots []redis.ClusterSlot) ([]string, error) {
	owners := make([]string, numSlots)
	for _, r := range slots {
		if r.Start < 0 || r.End >= numSlots || r.Start > r.End {
			return nil, fmt.Errorf("CLUSTER SLOTS: bad range %d-%d", r.Start, r.End)
		}
		if len(r.Nodes) == 0 {
			return nil, fmt.Errorf("CLUSTER SLOTS: range %d-%d has no nodes", r.Start, r.End)
		}
		for s := r.Start; s <= r.End; s++ {
			if owners[s] != "" {
				return nil, fmt.Errorf("CLUSTER SLOTS: slot %d covered by %s and %s", s, owners[s], r.Nodes[0].Addr)
			}
			owners[s] = r.Nodes[0].Addr
		}
	}
	if i := slices.Index(owners, ""); i >= 0 {
		return nil, fmt.Errorf("CLUSTER SLOTS: slot %d not covered", i)
	}
	return owners, nil
}

// parseInfo reads "name:value" lines (CLUSTER INFO, INFO) into a map.
func parseInfo(s string) map[string]string { return testenv.ParseInfo(s) }

// otherThan returns the addresses in addrs other than not.
func otherThan(addrs []string, not string) []string {
	var out []string
	for _, a := range addrs {
		if a != not {
			out = append(out, a)
		}
	}
	return out
}

// clients opens one plain go-redis client per node, closed when t ends.
func (tc *testCluster) clients(t *testing.T, protocol int) map[string]*redis.Client {
	t.Helper()
	out := make(map[string]*redis.Client, len(tc.nodes))
	for _, n := range tc.nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: protocol, MaxRetries: -1, PoolSize: 32})
		t.Cleanup(func() { c.Close() })
		out[n.addr] = c
	}
	return out
}

// writeAndReadEverywhere writes one value per key, each key through a node
// picked round-robin, then reads every key through every node in
// pipelines and checks the value.
func writeAndReadEverywhere(ctx context.Context, t *testing.T, clients map[string]*redis.Client, keys []string, value func(string) string) {
	t.Helper()
	addrs := make([]string, 0, len(clients))
	for a := range clients {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	const batch = 512
	for start := 0; start < len(keys); start += batch {
		chunk := keys[start:min(start+batch, len(keys))]
		for i, a := range addrs {
			p := clients[a].Pipeline()
			for j, k := range chunk {
				if j%len(addrs) == i {
					p.Set(ctx, k, value(k), 0)
				}
			}
			_, err := p.Exec(ctx)
			require.NoError(t, err, "SET through %s", a)
		}
	}
	for _, a := range addrs {
		for start := 0; start < len(keys); start += batch {
			chunk := keys[start:min(start+batch, len(keys))]
			p := clients[a].Pipeline()
			gets := make([]*redis.StringCmd, len(chunk))
			for j, k := range chunk {
				gets[j] = p.Get(ctx, k)
			}
			_, err := p.Exec(ctx)
			require.NoError(t, err, "GET through %s", a)
			for j, k := range chunk {
				require.Equal(t, value(k), gets[j].Val(), "GET %s (slot %d) through %s", k, keySlot(k), a)
			}
		}
	}
}

// clusterCLI runs redis-cli --cluster <args> (check, info) and returns its
// output; it fails the test unless redis-cli exits 0. TERM=dumb keeps
// redis-cli from colouring its [OK] lines.
func clusterCLI(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", append([]string{"--cluster"}, args...)...)
	cmd.Env = append(os.Environ(), "TERM=dumb")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "redis-cli --cluster %v: %s", args, out)
	return string(out)
}

// isRedisError reports whether err is a server error reply starting with prefix.
func isRedisError(err error, prefix string) bool {
	var re redis.Error
	return errors.As(err, &re) && strings.HasPrefix(re.Error(), prefix)
}
