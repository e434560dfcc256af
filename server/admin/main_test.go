package admin

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// The admin port's tests run real servers (and, for the cluster series,
// real cluster nodes) in process, on free loopback ports.

// testServer is a server serving on a loopback port until the test ends.
type testServer struct {
	srv  *server.Server
	addr string
}

// startServer serves a standalone server until the test ends.
func startServer(t *testing.T) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	srv := server.New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	serve(t, srv, ln)
	return &testServer{srv: srv, addr: ln.Addr().String()}
}

// serve runs srv on ln until the test ends.
func serve(t *testing.T, srv *server.Server, ln net.Listener) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }() // joined by the cleanup
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(70 * time.Second):
			t.Error("server did not stop")
		}
	})
}

// client returns a go-redis client of addr speaking RESP proto.
func client(t *testing.T, addr string, proto int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: proto, MaxRetries: -1, PoolSize: 2,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// clusterNode is an in-process node: store, server and cluster.Node.
type clusterNode struct {
	srv  *server.Server
	node *cluster.Node
	addr string // client address
}

// startReplNodes starts n nodes with replicas replicas per slot that join
// the first, and waits until they settled: one table naming all of them
// that is the target placement, every slot stable, no slot degraded and no
// transfer running.
func startReplNodes(t *testing.T, n, replicas int) []*clusterNode {
	t.Helper()
	var nodes []*clusterNode
	for i := range n {
		var seeds []string
		if i > 0 {
			seeds = []string{nodes[0].node.ClusterAddr()}
		}
		nodes = append(nodes, startClusterNode(t, seeds, replicas))
	}
	settled := func() string {
		tb := nodes[0].node.Table()
		if tb == nil {
			return "no table"
		}
		ids := make([]ring.NodeID, 0, n)
		for _, cn := range nodes {
			info := cn.node.ReplicationInfo()
			if info.DegradedSlots != 0 || info.Transfers != 0 {
				return fmt.Sprintf("%s: %d slots degraded, %d transfers running", cn.addr, info.DegradedSlots, info.Transfers)
			}
			if info.ReplicaSyncing != 0 {
				return fmt.Sprintf("%s: %d replica slots syncing", cn.addr, info.ReplicaSyncing)
			}
			if t := cn.node.Table(); t == nil || t.Epoch != tb.Epoch {
				return cn.addr + ": another table"
			}
			ids = append(ids, cn.node.ID())
		}
		slices.Sort(ids)
		target, err := ring.Place(ids, replicas)
		if err != nil {
			return err.Error()
		}
		if d := tb.Diff(target.WithPreferences(tb)); len(d) > 0 {
			return strconv.Itoa(len(d)) + " slots differ from the target placement"
		}
		for s := range uint16(ring.SlotCount) {
			if st := tb.State(s); st.Kind != ring.SlotStable {
				return fmt.Sprintf("slot %d is %s", s, st.Kind)
			}
		}
		return ""
	}
	testenv.WaitWhy(t, 90*time.Second, fmt.Sprintf("%d nodes to settle", n), settled)
	return nodes
}

// startClusterNode starts a node that replicates its store and joins the
// cluster of seeds; it stops when the test ends.
func startClusterNode(t *testing.T, seeds []string, replicas int) *clusterNode {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	cfg.Replicas = replicas
	st := store.New(cfg.StoreConfig())
	srv := server.New(cfg, st, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	node, err := cluster.New(cluster.Config{
		ClientAddr:     ln.Addr().String(),
		BindAddr:       "127.0.0.1:0",
		Join:           seeds,
		Profile:        "lan", // local's 100 ms probes mark busy nodes of a loaded machine dead
		Replicas:       replicas,
		Store:          st,
		MigrationBatch: 4096,
	}, srv, slog.New(slog.DiscardHandler))
	if err != nil {
		_ = ln.Close()
		require.NoError(t, err)
	}
	srv.SetCluster(membership.Of(node))
	t.Cleanup(func() { assert.NoError(t, node.Close()) }) // after the server stopped (cleanups run last first)
	require.NoError(t, node.Start(context.Background()))
	serve(t, srv, ln)
	return &clusterNode{srv: srv, node: node, addr: ln.Addr().String()}
}

// keyOn returns a key with the prefix whose slot node leads.
func keyOn(t *testing.T, node *clusterNode, prefix string) string {
	t.Helper()
	tb := node.node.Table()
	for i := range 100000 {
		k := prefix + strconv.Itoa(i)
		if tb.Primary(ring.KeySlot([]byte(k))) == node.node.ID() {
			return k
		}
	}
	t.Fatalf("no key with prefix %q on node %s", prefix, node.node.ID())
	return ""
}
