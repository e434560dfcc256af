package server

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// TestForwardedWriteAnsweredLater: a write forwarded to its primary is
// answered only once its replica applied it (fwdack.go), while the
// primary's cluster connection goes on answering the forwards behind it;
// a write the replica does not apply within node-timeout is answered
// -TRYAGAIN (its outcome unknown), and the acknowledgement counts it as a
// timeout. Three nodes, so that the node the client talks to is neither
// the key's primary nor its replica.
func TestForwardedWriteAnsweredLater(t *testing.T) {
	nodes := startReplCluster(t, 3, func(c *config.Config) {
		c.Replicas, c.ReplicaAck = 1, "one"
		c.NodeTimeout = 2 * time.Second
	})
	p := nodes[0]
	var k string
	var r, e *clusterNode
	for i := 0; e == nil; i++ {
		k = syncedKeyOn(t, nodes, p, fmt.Sprintf("fwdack-%d-", i))
		r = replicaOf(t, nodes, k)
		for _, n := range nodes {
			if n != p && n != r {
				e = n
			}
		}
	}
	// Another key p leads, written and read meanwhile: its replica is e,
	// since r's stream from p stops at k's batch while k's slot is held.
	var other string
	for i := 0; other == ""; i++ {
		if o := syncedKeyOn(t, nodes, p, fmt.Sprintf("fwdack-other-%d-", i)); replicaOf(t, nodes, o) == e {
			other = o
		}
	}
	var held *store.Tx
	hold := func() { // the replica cannot apply k's slot's stream
		held = r.srv.store.Lock(ring.KeySlot([]byte(k)))
	}
	release := func() {
		if held != nil {
			held.Close()
			held = nil
		}
	}
	defer release() // before the nodes close, which waits for the replica's apply
	writer, reader := rawTo(t, e), rawTo(t, e)

	hold()
	waits := p.srv.repl.ack.Counts().Waits
	writer.send(t, "SET "+k+" v1\r\n")
	waitFor(t, "the forwarded write to wait for its replica", func() bool { return p.srv.repl.ack.Counts().Waits > waits })
	for i := range 3 {
		reader.send(t, fmt.Sprintf("SET %s %d\r\nGET %s\r\n", other, i, other))
		require.Equal(t, "+OK\r\n", reader.line(t), "a write whose replica applies it is answered meanwhile")
		require.Equal(t, fmt.Sprintf("$1\r\n%d\r\n", i), reader.line(t)+reader.line(t))
	}
	release()
	require.Equal(t, "+OK\r\n", writer.line(t))
	v, ok := storeGet(t, r, k)
	require.True(t, ok)
	require.Equal(t, "v1", v, "the reply left before the replica had the write")

	hold()
	start := time.Now()
	writer.send(t, "SET "+k+" v2\r\n")
	require.Equal(t, "-"+errNotReplicated+"\r\n", writer.line(t))
	require.GreaterOrEqual(t, time.Since(start), time.Second, "answered before node-timeout")
	require.Equal(t, int64(1), p.srv.repl.ack.Counts().Timeouts)
	v, _ = storeGet(t, p, k)
	require.Equal(t, "v2", v, "applied on the primary")
	reader.send(t, "GET "+other+"\r\n")
	require.Equal(t, "$1\r\n2\r\n", reader.line(t)+reader.line(t), "forwards are served on")
}
