package server

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/server/route"
)

// TestLoopForwards: a plain client's commands led by another node are
// forwarded by the entry node's event loop without leaving it
// (loopforward.go). A pipeline mixing local and forwarded commands is
// answered in order; the loop serves its other connections while a
// forward waits; a client that sends while its forward waits is handed to
// a goroutine, which answers both in order, and goes back to its loop; a
// forward without a reply within route.ForwardTimeout is answered with
// an error, as a goroutine's is, and the loop serves on.
func TestLoopForwards(t *testing.T) {
	if !netloop.Supported {
		t.Skip("no event loop on this system")
	}
	nodes := startCluster(t, 2, func(c *config.Config) { c.EventLoops = 1 })
	entry, owner := nodes[0], nodes[1]
	here, away := keyOn(t, nodes, entry, "lf-here-"), keyOn(t, nodes, owner, "lf-away-")
	fc, other := rawTo(t, entry), rawTo(t, entry)
	c := clientByID(t, entry.srv, fc)
	hold := func() func() { // the owner cannot run commands of away's slot
		tx := owner.srv.store.Lock(ring.KeySlot([]byte(away)))
		return tx.Close
	}
	replies := func(rc *rawClient, want ...string) {
		t.Helper()
		for _, w := range want {
			require.Equal(t, w, rc.line(t))
		}
	}

	// The first forward dials the owner: a goroutine does that, and the
	// client goes back to its loop.
	fc.send(t, "SET "+away+" v0\r\n")
	replies(fc, "+OK\r\n")
	waitFor(t, "the client to go back to its loop", c.looped.Load)

	sent := entry.srv.cstats.forwardsSent.Load()
	fc.send(t, "SET "+away+" v1\r\nGET "+here+"\r\nGET "+away+"\r\nINCR "+here+"\r\nGET "+away+"\r\nGET "+away+"\r\n")
	replies(fc, "+OK\r\n", "$-1\r\n", "$2\r\n", "v1\r\n", ":1\r\n", "$2\r\n", "v1\r\n", "$2\r\n", "v1\r\n")
	require.True(t, c.looped.Load(), "a forwarded command took its client off the loop")
	require.Equal(t, sent+3, entry.srv.cstats.forwardsSent.Load(), "the last two GETs were not one batch")

	// The loop is free while a forward waits.
	release := hold()
	fc.send(t, "GET "+away+"\r\n")
	for range 3 {
		other.send(t, "PING\r\n")
		replies(other, "+PONG\r\n")
	}
	require.True(t, c.looped.Load())
	release()
	replies(fc, "$2\r\n", "v1\r\n")

	// Sending while a forward waits: a goroutine answers both, in order.
	release = hold()
	sent = entry.srv.cstats.forwardsSent.Load()
	fc.send(t, "GET "+away+"\r\n")
	waitFor(t, "the forward to start", func() bool { return entry.srv.cstats.forwardsSent.Load() > sent })
	fc.send(t, "GET "+here+"\r\n")
	waitFor(t, "the waiting client to be handed over", func() bool { return !c.looped.Load() })
	release()
	replies(fc, "$2\r\n", "v1\r\n", "$1\r\n", "1\r\n")
	waitFor(t, "the client to go back to its loop", c.looped.Load)

	// No reply in time: an error, as a goroutine's forward answers.
	release = hold()
	defer func() { release() }()
	start := time.Now()
	fc.send(t, "GET "+away+"\r\n")
	other.send(t, "PING\r\n")
	replies(other, "+PONG\r\n")
	msg := fc.line(t)
	require.True(t, strings.HasPrefix(msg, "-TRYAGAIN forwarding to node "), msg)
	require.Contains(t, msg, "context deadline exceeded")
	require.GreaterOrEqual(t, time.Since(start), route.ForwardTimeout)
	require.True(t, c.looped.Load(), "a forward that timed out took its client off the loop")
	release()
	release = func() {}
	other.send(t, "PING\r\n")
	replies(other, "+PONG\r\n")
	fc.send(t, "GET "+away+"\r\n")
	replies(fc, "$2\r\n", "v1\r\n")
}
