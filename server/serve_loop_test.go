package server

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/tests/testenv"
)

// oneLoop starts a server whose client connections share one event loop,
// so that a connection the loop stalled on would stall the others.
func oneLoop(t *testing.T, configure func(*config.Config)) *testServer {
	t.Helper()
	if !netloop.Supported {
		t.Skip("no event loop on this system")
	}
	return startServer(t, func(cfg *config.Config) {
		cfg.EventLoops = 1
		if configure != nil {
			configure(cfg)
		}
	})
}

// clientOf returns the server's client whose ID the connection rc has.
func (ts *testServer) clientOf(t *testing.T, rc *rawClient) *Client {
	t.Helper()
	return clientByID(t, ts.srv, rc)
}

// clientByID returns srv's client whose ID the connection rc has.
func clientByID(t *testing.T, srv *Server, rc *rawClient) *Client {
	t.Helper()
	rc.send(t, "CLIENT ID\r\n")
	var id uint64
	_, err := fmt.Sscanf(rc.line(t), ":%d\r\n", &id)
	require.NoError(t, err)
	srv.clientsMu.Lock()
	defer srv.clientsMu.Unlock()
	c := srv.clients[id]
	require.NotNil(t, c)
	return c
}

// waitFor waits until cond holds, failing the test after 10 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Wait(t, 10*time.Second, what, func() error {
		if !cond() {
			return errors.New("not yet")
		}
		return nil
	})
}

// TestLoopServesInline: plain commands, the handshake of client libraries
// (HELLO, CLIENT SETINFO) and a MULTI queue are answered by the loop,
// which keeps the connection.
func TestLoopServesInline(t *testing.T) {
	ts := oneLoop(t, nil)
	rc := ts.raw(t)
	c := ts.clientOf(t, rc)
	rc.send(t, "CLIENT SETINFO LIB-NAME x\r\nSET k v\r\nGET k\r\nINCR n\r\nHSET h f v\r\nMULTI\r\nGET k\r\n")
	for _, want := range []string{"+OK\r\n", "+OK\r\n", "$1\r\n", "v\r\n", ":1\r\n", ":1\r\n", "+OK\r\n", "+QUEUED\r\n"} {
		require.Equal(t, want, rc.line(t))
	}
	require.True(t, c.looped.Load(), "the loop handed over a connection that never waits")
	rc.send(t, "DISCARD\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
}

// TestLoopHandsOverBlocking: a BLPOP on a looped connection is served by
// a goroutine while the loop keeps answering the other clients; the
// commands pipelined before and after it keep their order.
func TestLoopHandsOverBlocking(t *testing.T) {
	ts := oneLoop(t, nil)
	blocked, other := ts.raw(t), ts.raw(t)
	bc, oc := ts.clientOf(t, blocked), ts.clientOf(t, other)
	blocked.send(t, "SET k v\r\nGET k\r\nBLPOP list 0\r\nGET k\r\n")
	for _, want := range []string{"+OK\r\n", "$1\r\n", "v\r\n"} {
		require.Equal(t, want, blocked.line(t), "the replies before BLPOP arrive while it waits")
	}
	waitFor(t, "the client to park", bc.blockedNow.Load)
	require.False(t, bc.looped.Load())
	for i := range 3 {
		other.send(t, fmt.Sprintf("SET o%d x\r\n", i))
		require.Equal(t, "+OK\r\n", other.line(t), "the loop is free while BLPOP waits")
	}
	require.True(t, oc.looped.Load())
	other.send(t, "RPUSH list a\r\n")
	require.Equal(t, ":1\r\n", other.line(t))
	for _, want := range []string{"*2\r\n", "$4\r\n", "list\r\n", "$1\r\n", "a\r\n", "$1\r\n", "v\r\n"} {
		require.Equal(t, want, blocked.line(t))
	}
	// With nothing blocked any more, the goroutine gives the connection
	// back to the loop (backToLoop), which serves it on.
	waitFor(t, "the connection to go back to its loop", bc.looped.Load)
	blocked.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", blocked.line(t))
	require.True(t, bc.looped.Load())
}

// TestLoopQuit: QUIT answers, then closes, dropping what follows it.
func TestLoopQuit(t *testing.T) {
	ts := oneLoop(t, nil)
	rc := ts.raw(t)
	rc.send(t, "PING\r\nQUIT\r\nPING\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.True(t, rc.closed(t))
	waitFor(t, "the client to be gone", func() bool { return ts.srv.nclients.Load() == 0 })
}

// TestLoopClientKill: CLIENT KILL of a looped client closes its
// connection and unregisters it.
func TestLoopClientKill(t *testing.T) {
	ts := oneLoop(t, nil)
	victim, killer := ts.raw(t), ts.raw(t)
	vc := ts.clientOf(t, victim)
	require.True(t, vc.looped.Load())
	killer.send(t, fmt.Sprintf("CLIENT KILL ID %d\r\n", vc.ID))
	require.Equal(t, ":1\r\n", killer.line(t))
	require.True(t, victim.closed(t))
	waitFor(t, "the killed client to be gone", func() bool { return ts.srv.nclients.Load() == 1 })
	killer.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", killer.line(t))
}

// TestLoopLargeReplyNotRead: replies a client does not read fill its
// socket; the loop hands that connection over instead of waiting, keeps
// answering the others, and the client gets every byte once it reads.
func TestLoopLargeReplyNotRead(t *testing.T) {
	ts := oneLoop(t, nil)
	slow, other := ts.raw(t), ts.raw(t)
	sc := ts.clientOf(t, slow)
	ts.clientOf(t, other)
	big := strings.Repeat("z", 1<<20)
	slow.send(t, fmt.Sprintf("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n%s\r\n", len(big), big))
	require.Equal(t, "+OK\r\n", slow.line(t))
	const gets = 8
	slow.send(t, strings.Repeat("GET big\r\n", gets))
	waitFor(t, "the loop to hand the unread connection over", func() bool { return !sc.looped.Load() })
	other.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", other.line(t))
	want := fmt.Sprintf("$%d\r\n%s\r\n", len(big), big)
	buf := make([]byte, len(want))
	for range gets {
		_, err := io.ReadFull(slow.r, buf)
		require.NoError(t, err)
		require.Equal(t, want, string(buf))
	}
}

// TestLoopProtocolError: a protocol violation is answered and closes the
// connection, after the replies of the commands before it.
func TestLoopProtocolError(t *testing.T) {
	ts := oneLoop(t, nil)
	rc := ts.raw(t)
	rc.send(t, "PING\r\n*1\r\n$x\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	require.Equal(t, "-ERR Protocol error: invalid bulk length\r\n", rc.line(t))
	require.True(t, rc.closed(t))
}

// TestLoopSplitCommand: a command whose bytes arrive in several reads is
// run once it is whole.
func TestLoopSplitCommand(t *testing.T) {
	ts := oneLoop(t, nil)
	rc := ts.raw(t)
	c := ts.clientOf(t, rc)
	sent := 0
	for _, part := range []string{"*3\r\n$3\r\nSE", "T\r\n$1\r\nk\r\n$5\r"} {
		rc.send(t, part)
		sent += len(part)
		waitFor(t, "the part to be read", func() bool { return c.pc.Pending() == int64(sent) })
	}
	rc.send(t, "\nhello\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	rc.send(t, "GET k\r\n")
	require.Equal(t, "$5\r\n", rc.line(t))
	require.Equal(t, "hello\r\n", rc.line(t))
	require.True(t, c.looped.Load())
}

// TestLoopIdleTimeout: timeout closes an idle looped client.
func TestLoopIdleTimeout(t *testing.T) {
	ts := oneLoop(t, func(cfg *config.Config) { cfg.Timeout = 1 })
	rc := ts.raw(t)
	rc.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	require.True(t, rc.closed(t), "an idle client is closed")
}

// TestLoopSubscribeHandsOver: SUBSCRIBE gives the connection an outbox:
// it is served by a goroutine from then on, pushes included.
func TestLoopSubscribeHandsOver(t *testing.T) {
	ts := oneLoop(t, nil)
	sub, pub := ts.raw(t), ts.raw(t)
	sc := ts.clientOf(t, sub)
	sub.send(t, "SUBSCRIBE ch\r\n")
	for _, want := range []string{"*3\r\n", "$9\r\n", "subscribe\r\n", "$2\r\n", "ch\r\n", ":1\r\n"} {
		require.Equal(t, want, sub.line(t))
	}
	require.False(t, sc.looped.Load())
	pub.send(t, "PUBLISH ch hi\r\n")
	require.Equal(t, ":1\r\n", pub.line(t))
	for _, want := range []string{"*3\r\n", "$7\r\n", "message\r\n", "$2\r\n", "ch\r\n", "$2\r\n", "hi\r\n"} {
		require.Equal(t, want, sub.line(t))
	}
}

// TestLoopAuthPipeline: before AUTH commands are parsed one at a time; the
// loop runs the ones buffered behind the AUTH without the socket becoming
// readable again.
func TestLoopAuthPipeline(t *testing.T) {
	ts := oneLoop(t, func(cfg *config.Config) { cfg.RequirePass = "secret" })
	rc := ts.raw(t)
	rc.send(t, "AUTH secret\r\nCLIENT ID\r\nSET k v\r\nGET k\r\n")
	require.Equal(t, "+OK\r\n", rc.line(t))
	var id uint64
	_, err := fmt.Sscanf(rc.line(t), ":%d\r\n", &id)
	require.NoError(t, err)
	for _, want := range []string{"+OK\r\n", "$1\r\n", "v\r\n"} {
		require.Equal(t, want, rc.line(t))
	}
	ts.srv.clientsMu.Lock()
	c := ts.srv.clients[id]
	ts.srv.clientsMu.Unlock()
	require.NotNil(t, c)
	require.True(t, c.looped.Load())
}

// TestLoopDeclinesHeldSlot: a command whose slot's lock another goroutine
// holds (a handoff's fence, a script, EXEC) is not waited for on the
// loop: it declines, having run nothing, and its connection goes to a
// goroutine, which runs it once the slot is free; the loop keeps
// answering the other clients meanwhile.
func TestLoopDeclinesHeldSlot(t *testing.T) {
	ts := oneLoop(t, nil)
	held, other := ts.raw(t), ts.raw(t)
	hc, oc := ts.clientOf(t, held), ts.clientOf(t, other)
	held.send(t, "SET k v\r\n")
	require.Equal(t, "+OK\r\n", held.line(t))
	processed := ts.srv.stats.commandsProcessed.Load()
	tx := ts.srv.store.Lock(ring.KeySlotString("k"))
	held.send(t, "GET k\r\nINCR n\r\n")
	waitFor(t, "the loop to hand the connection over", func() bool { return !hc.looped.Load() })
	for i := range 3 {
		other.send(t, fmt.Sprintf("SET o%d x\r\n", i))
		require.Equal(t, "+OK\r\n", other.line(t), "the loop is free while the slot is held")
	}
	require.True(t, oc.looped.Load())
	tx.Close()
	for _, want := range []string{"$1\r\n", "v\r\n", ":1\r\n"} {
		require.Equal(t, want, held.line(t))
	}
	other.send(t, "PING\r\n") // its replies are out: the counters are published
	require.Equal(t, "+PONG\r\n", other.line(t))
	require.Equal(t, processed+6, ts.srv.stats.commandsProcessed.Load(), "the declined GET counts once, when it ran")
	waitFor(t, "the connection to go back to its loop", hc.looped.Load)
	held.send(t, "GET k\r\n")
	for _, want := range []string{"$1\r\n", "v\r\n"} {
		require.Equal(t, want, held.line(t))
	}
}

// TestLoopBackAtMostOncePerSecond: a connection handed over again soon
// after it went back to its loop stays with its goroutine until
// backToLoopEvery passed, so that a client whose every command waits (a
// script per request) does not pay a registration per command.
func TestLoopBackAtMostOncePerSecond(t *testing.T) {
	ts := oneLoop(t, nil)
	rc := ts.raw(t)
	c := ts.clientOf(t, rc)
	rc.send(t, "EVAL \"return 1\" 0\r\n")
	require.Equal(t, ":1\r\n", rc.line(t))
	waitFor(t, "the connection to go back to its loop", c.looped.Load)
	start := time.Now()
	rc.send(t, "EVAL \"return 2\" 0\r\n")
	require.Equal(t, ":2\r\n", rc.line(t))
	rc.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	if time.Since(start) < backToLoopEvery {
		require.False(t, c.looped.Load(), "went back to the loop twice within backToLoopEvery")
	}
}
