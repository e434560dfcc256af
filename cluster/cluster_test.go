package cluster

import (
	"github.com/meshcache/meshcache/cluster/transport"
	"net"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/meshcache/meshcache/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestClusterFormsAndGrows(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	nodes := startCluster(t, ctx, 3, nodeOpts{replicas: 1})
	before := nodes[0].Table()
	for _, n := range nodes {
		assert.True(t, n.Quorum(), "node %s quorum", n.ID())
		assert.True(t, n.Healthy(), "node %s healthy", n.ID())
		assert.Equal(t, StateServing, n.Self().State)
		assert.Len(t, n.Members(), 3)
		require.Len(t, n.Table().Owners(0), 2, "one replica per slot")
	}

	fourth, _ := startNode(t, ctx, testLogger(t), nodeOpts{join: clusterAddrs(nodes[1]), replicas: 1})
	nodes = append(nodes, fourth)
	waitConverged(t, nodes, nodes)
	after := nodes[0].Table()
	assert.Greater(t, after.Epoch, before.Epoch)
	assert.NotEmpty(t, after.PrimarySlots(fourth.ID()), "the new node leads some slots")
	// Every node gossips the epoch it holds.
	require.Eventually(t, func() bool {
		for _, m := range nodes[2].Members() {
			if m.Epoch != after.Epoch {
				return false
			}
		}
		return true
	}, 10*time.Second, 20*time.Millisecond)
}

func TestClusterNodeCrash(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	nodes := startCluster(t, ctx, 3, nodeOpts{})
	before := nodes[0].Table().Epoch
	dead := nodes[2]
	require.NoError(t, dead.Close()) // no leave: a crash as far as the others can tell
	live := nodes[:2]
	waitConverged(t, live, live)
	assert.Greater(t, live[0].Table().Epoch, before)
	for _, n := range live {
		assert.True(t, n.Quorum(), "2 of 3 is a majority")
	}
	var sawDead bool
	for _, m := range live[0].Members() {
		if m.ID == dead.ID() {
			sawDead = true
			assert.False(t, m.Alive)
		}
	}
	assert.True(t, sawDead, "a dead member stays listed for a while")
}

func TestClusterGracefulLeave(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	nodes := startCluster(t, ctx, 3, nodeOpts{})
	require.NoError(t, nodes[1].Leave(ctx))
	live := []*Node{nodes[0], nodes[2]}
	waitConverged(t, live, live)
}

func TestClusterKeyMismatch(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	logger := testLogger(t)
	keyA := []byte("0123456789abcdef")
	keyB := []byte("fedcba9876543210")
	// On real cluster ports: gossip encryption and the RPC handshake over TCP.
	a, _ := startNode(t, ctx, logger, nodeOpts{key: keyA, tcp: true})
	b, _ := startNode(t, ctx, logger, nodeOpts{key: keyB, join: clusterAddrs(a), tcp: true})
	c, _ := startNode(t, ctx, logger, nodeOpts{key: keyA, join: clusterAddrs(a), tcp: true})
	// c has the right key and joins; wait for that as the proof that
	// gossip works, then check b never got in.
	waitConverged(t, []*Node{a, c}, []*Node{a, c})
	_, port, err := net.SplitHostPort(a.ClusterAddr())
	require.NoError(t, err)
	clusterPort, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.Error(t, b.Meet(ctx, a.Self().ClientAddr, clusterPort))
	for _, n := range []*Node{a, c} {
		for _, m := range n.Members() {
			assert.NotEqual(t, b.ID(), m.ID, "node with the wrong key must not be a member")
		}
	}
	assert.Len(t, b.Members(), 1)
	assert.Nil(t, b.Table(), "b has seeds it cannot reach, so it must not bootstrap a table")
}

func TestClusterPartitionAndHeal(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	cases := []struct {
		name           string
		size, minority int
	}{
		{"1 of 3", 3, 1},
		{"2 of 5", 5, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t, 90*time.Second)
			faults := transport.NewFaults()
			nodes := startCluster(t, ctx, c.size, nodeOpts{faults: faults})
			// nodes[0] is the oldest, hence the coordinator: it goes
			// to the minority, so the majority must elect another.
			minority, majority := nodes[:c.minority], nodes[c.minority:]
			before := nodes[0].Table().Epoch
			faults.Cut(clusterAddrs(minority...), clusterAddrs(majority...))

			waitConverged(t, majority, majority)
			for _, n := range minority {
				require.Eventually(t, func() bool { return !n.Quorum() && !n.Healthy() },
					20*time.Second, 20*time.Millisecond, "the minority must lose quorum, then health")
			}
			for _, n := range minority {
				assert.Equal(t, before, n.Table().Epoch, "the minority issues no table")
			}
			for _, n := range majority {
				// Converged, the majority holds quorum and its lease; on a
				// loaded machine a renewal may be a round late.
				require.Eventually(t, func() bool { return n.Quorum() && n.Healthy() },
					10*time.Second, 20*time.Millisecond, "the majority keeps quorum and health")
			}
			assert.NotZero(t, faults.Dropped(), "the cut dropped real traffic")
			cutEpoch := majority[0].Table().Epoch

			faults.Heal()
			waitConverged(t, nodes, nodes)
			assert.Greater(t, nodes[0].Table().Epoch, cutEpoch)
			for _, n := range minority {
				require.Eventually(t, func() bool { return n.Quorum() && n.Healthy() },
					10*time.Second, 20*time.Millisecond)
			}
		})
	}
}

func TestClusterMeetMergesTwoClusters(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	logger := testLogger(t)
	a, _ := startNode(t, ctx, logger, nodeOpts{})
	b, _ := startNode(t, ctx, logger, nodeOpts{}) // no seeds: a separate cluster
	waitConverged(t, []*Node{a}, []*Node{a})
	waitConverged(t, []*Node{b}, []*Node{b})

	_, port, err := net.SplitHostPort(b.ClusterAddr())
	require.NoError(t, err)
	clusterPort, err := strconv.Atoi(port)
	require.NoError(t, err)
	require.NoError(t, a.Meet(ctx, b.Self().ClientAddr, clusterPort))
	waitConverged(t, []*Node{a, b}, []*Node{a, b})
}

func TestClusterSelfSeed(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	logger := testLogger(t)
	tr, err := transport.NewTCP("127.0.0.1:0", "", nil, logger)
	require.NoError(t, err)
	addr := tr.Addr()
	require.NoError(t, tr.Shutdown()) // free the port for the node
	n, err := New(Config{ClientAddr: "127.0.0.1:20998", BindAddr: addr, Profile: "local", Join: []string{addr}}, &echoExecutor{}, logger)
	require.NoError(t, err)
	t.Cleanup(func() { _ = n.Close() })
	require.NoError(t, n.Start(ctx))
	waitConverged(t, []*Node{n}, []*Node{n})
}

func TestClusterForget(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	nodes := startCluster(t, ctx, 3, nodeOpts{})
	a, b, dead := nodes[0], nodes[1], nodes[2]
	assert.ErrorIs(t, a.Forget(a.ID()), ErrForgetSelf)
	assert.ErrorIs(t, a.Forget(b.ID()), ErrForgetAlive)
	assert.ErrorIs(t, a.Forget("0000000000000000000000000000000000000000"), ErrUnknownNode)

	require.NoError(t, dead.Close())
	waitConverged(t, []*Node{a, b}, []*Node{a, b})
	require.NoError(t, a.Forget(dead.ID()))
	for _, m := range a.Members() {
		assert.NotEqual(t, dead.ID(), m.ID)
	}
	assert.NotContains(t, a.rejoinTargets(), dead.ClusterAddr(), "a forgotten node's address is not re-joined")
}

// TestFirstTableHasQuorum: a node started alone issues its first table, and
// from the moment the table can be read the node reports quorum, so the
// first command of a client that waited for the table (as main does before
// serving) is not refused with CLUSTERDOWN.
func TestFirstTableHasQuorum(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	logger := testLogger(t)
	for range 10 {
		n, err := New(Config{ClientAddr: "127.0.0.1:1", Network: transport.NewMemNetwork(nil), Profile: "local",
			Store: store.New(store.Config{})}, &echoExecutor{}, logger)
		require.NoError(t, err)
		healthy := make(chan bool, 1)
		go func() { // polls like main's awaitFirstTable, without its 5 ms sleep
			for n.Table() == nil && ctx.Err() == nil {
				runtime.Gosched()
			}
			healthy <- n.Healthy()
		}()
		require.NoError(t, n.Start(ctx))
		assert.True(t, <-healthy, "the first table was readable before the node reported quorum")
		require.NoError(t, n.Close())
	}
}
