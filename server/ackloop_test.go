package server

import (
	"bufio"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/netloop"
)

// rawTo dials a cluster node for raw bytes.
func rawTo(t *testing.T, n *clusterNode) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", n.addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	t.Cleanup(func() { _ = conn.Close() })
	return &rawClient{conn: conn, r: bufio.NewReader(conn)}
}

// TestLoopWriteWaitsForItsReplica: with replica-ack one, a write run on
// an event loop answers only once the replica applied it, without holding
// up the loop's other connections meanwhile (ackloop.go); a client that
// sends again while its write waits is handed to a goroutine, which ends
// the wait and answers both in order; a write the replica does not apply
// within node-timeout is not acknowledged: its connection is closed
// without the reply.
func TestLoopWriteWaitsForItsReplica(t *testing.T) {
	if !netloop.Supported {
		t.Skip("no event loop on this system")
	}
	nodes := startReplCluster(t, 2, func(c *config.Config) {
		c.Replicas, c.ReplicaAck, c.EventLoops = 1, "one", 1
		c.NodeTimeout = 3 * time.Second
	})
	p := nodes[0]
	k := syncedKeyOn(t, nodes, p, "loopack-")
	r := replicaOf(t, nodes, k)
	hold := func() func() { // the replica cannot apply k's slot's stream
		tx := r.srv.store.Lock(ring.KeySlot([]byte(k)))
		return tx.Close
	}
	writer, other := rawTo(t, p), rawTo(t, p)
	wc := clientByID(t, p.srv, writer)

	// Acknowledged once the replica has it; the loop answers others meanwhile.
	release := hold()
	writer.send(t, "SET "+k+" v1\r\n")
	for i := range 3 {
		other.send(t, fmt.Sprintf("PING %d\r\n", i))
		require.Equal(t, fmt.Sprintf("$1\r\n%d\r\n", i), other.line(t)+other.line(t), "the loop is free while a write waits for its replica")
	}
	require.True(t, wc.looped.Load(), "a write waiting for its replica left the loop")
	release()
	require.Equal(t, "+OK\r\n", writer.line(t))
	v, ok := storeGet(t, r, k)
	require.True(t, ok)
	require.Equal(t, "v1", v, "the reply left before the replica had the write")
	require.True(t, wc.looped.Load())

	// Sending while the write waits: a goroutine ends the wait, both answer in order.
	release = hold()
	waits := p.srv.repl.ack.Counts().Waits
	writer.send(t, "SET "+k+" v2\r\n")
	waitFor(t, "the write to wait for its replica", func() bool { return p.srv.repl.ack.Counts().Waits > waits })
	writer.send(t, "GET "+k+"\r\n")
	waitFor(t, "the waiting connection to be handed over", func() bool { return !wc.looped.Load() })
	release()
	require.Equal(t, "+OK\r\n", writer.line(t))
	require.Equal(t, "$2\r\n", writer.line(t))
	require.Equal(t, "v2\r\n", writer.line(t))
	v, _ = storeGet(t, r, k)
	require.Equal(t, "v2", v)

	// Not applied within node-timeout: no reply, the connection closed.
	late := rawTo(t, p)
	clientByID(t, p.srv, late)
	release = hold()
	defer func() { release() }()
	start := time.Now()
	late.send(t, "SET "+k+" v3\r\n")
	require.True(t, late.closed(t), "a write its replica never applied was acknowledged")
	require.GreaterOrEqual(t, time.Since(start), 2*time.Second, "closed before node-timeout")
	require.Equal(t, int64(1), p.srv.repl.ack.Counts().Timeouts)
	other.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", other.line(t), "the loop serves on")
}
