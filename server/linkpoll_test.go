package server

import (
	"bytes"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/netloop"
)

// TestLinksReadByLoops: with event loops, the nodes' connections for the
// calls that do not wait (the replication streams, the loops' forwards)
// are read by the loops, not by a goroutine each (linkpoll.go), and serve:
// writes acknowledged by their replicas and commands forwarded, through
// either node; each node's Call connection keeps its goroutine.
func TestLinksReadByLoops(t *testing.T) {
	if !netloop.Supported {
		t.Skip("no event loops on this system")
	}
	nodes := startReplCluster(t, 2, func(c *config.Config) { c.Replicas = 1; c.ReplicaAck = "one"; c.EventLoops = 1 })
	ctx := clusterCtx(t, 60*time.Second)
	readers := func() int {
		buf := make([]byte, 1<<20)
		for {
			n := runtime.Stack(buf, true)
			if n < len(buf) {
				return bytes.Count(buf[:n], []byte("transport.(*Client).readReplies("))
			}
			buf = make([]byte, 2*len(buf))
		}
	}
	for i, n := range nodes {
		c := dialClient(t, n.addr, 2)
		for j := range 200 {
			k := "link-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
			require.NoError(t, c.Set(ctx, k, "v", 0).Err())
			require.Equal(t, "v", c.Get(ctx, k).Val())
		}
	}
	// Two nodes: a Call connection each way, read by a goroutine; the
	// streams' connections (and the forwards') are the loops' to read.
	require.LessOrEqual(t, readers(), 2, "polled connections read by goroutines")
	for _, n := range nodes {
		// Dialed: its Call connection (if it made a call) and its polled
		// one; accepted: the other node's two.
		require.GreaterOrEqual(t, n.node.Links(), 3, "no polled connection of its own")
	}
	k := syncedKeyOn(t, nodes, nodes[0], "after-")
	require.NoError(t, dialClient(t, nodes[1].addr, 2).Set(ctx, k, "f", 0).Err()) // forwarded, acknowledged
	v, ok := storeGet(t, nodes[1], k)
	require.True(t, ok)
	require.Equal(t, "f", v)
}
