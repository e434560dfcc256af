package server

import (
	"errors"
	"io"
	"net"
	"os"
	"time"

	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/server/prefetch"
	"github.com/meshcache/meshcache/server/resp"
)

// The front end's I/O (docs/DESIGN.md, "Front end"). A connection is
// served in one of two modes:
//
//   - By an event loop (package netloop; event-loops of them, started by
//     Serve and stopped by it once every connection ended): the loop reads
//     what the client sent when the socket is readable (loopRead); at the
//     end of the round, after reading every connection ready with this
//     one, it runs the complete commands itself and then writes each
//     connection's replies with one non-blocking write (Later), as a
//     Redis server's beforeSleep writes. The commands' memory is fetched
//     while the round reads (prefetchRound, package prefetch), and a peer that serves many
//     connections (redis-benchmark, a proxy, an application's pool) is
//     woken once for the round's replies, not once per connection: each
//     of those wake-ups of a sleeping peer costs its writer an
//     inter-processor interrupt, which under a hypervisor was a fifth of
//     the node's CPU at -P 16. The loop runs a command only when it cannot
//     wait (inlineSafe, inline.go); at the first one that might, or a
//     reply the socket cannot take at once, a protocol error, the client's
//     close or an outbox (Pub/Sub, MONITOR, tracking), the connection is
//     handed, with the rest of its batch and its queued replies, to a
//     goroutine of its own (handOver). A batch whose writes wait for
//     their replicas stays on the loop (ackloop.go).
//   - By a goroutine of its own (serveClient, serveFrom), started by
//     acceptLoop (when no loop takes the connection: event-loops 0, not a
//     TCP connection, not Linux) or by handOver, and ending when the
//     connection does or when it gives the connection back to a loop
//     (backToLoop: nothing left that a loop cannot serve). Each turn it takes every complete command the
//     client has sent, runs them in order, and writes all their replies
//     with one system call. A command that waits (a blocking command, a
//     forwarded batch, a script) holds only its own connection's
//     goroutine.
//
// Either way the commands are parsed once by resp.Conn (protocol limits
// included, with no copy of the arguments) and run by handle; whoever
// serves the connection owns its Client's goroutine-owned fields, and the
// goroutine that ends it closes it and calls onClose.

// acceptLoop accepts clients on ln until it is closed, each served by an
// event loop or by a goroutine of its own (serveClient). It returns nil
// once ln is closed.
func (s *Server) acceptLoop(ln net.Listener) error {
	return resp.AcceptLoop(ln, s.closed, s.log, func(nc net.Conn) {
		if c := s.accept(nc); c != nil && !s.loopAdd(c, nc) {
			go s.serveClient(c)
		}
	})
}

// serveClient is the connection's goroutine from its start: it reads
// batches of commands, runs them and writes their replies, until the
// client closes, fails, breaks the protocol or is closed by the server.
func (s *Server) serveClient(c *Client) { s.serveFrom(c, nil, nil, true, false) }

// serveFrom is the connection's goroutine. With resumed set it first ends
// the batch an event loop began (handOver): cmds are the commands of it
// still to run, rerr the read error that ended the loop's turn, free
// whether the commands run so far let go of their arguments.
func (s *Server) serveFrom(c *Client, cmds [][][]byte, rerr error, free, resumed bool) {
	err := rerr
	back := false // given back to an event loop: it serves the connection now
	defer func() {
		if !back {
			_ = c.pc.Conn.Conn.Close()
			s.onClose(c, err)
		}
	}()
	if c.ack.want > 0 {
		s.finishLoopAck(c) // its loop's batch waits for its replicas (ackloop.go)
	}
	if c.fwd.call != nil {
		cmds, free = s.finishLoopForward(c) // its loop's forward (loopforward.go)
	}
	for {
		if !resumed {
			cmds, err = c.pc.ReadBatch()
			free = true
		}
		resumed = false
		_, free = s.runBatch(c, cmds, free, false)
		c.flushStats() // before the replies leave (clock.go)
		if err != nil && c.protocolError(err) {
			// The outbox's writer closes the connection once the error
			// is out; the client's reads end then.
			_, _ = io.Copy(io.Discard, c.pc.Conn.Conn)
			return
		}
		if werr := c.pc.Flush(); werr != nil && err == nil {
			err = werr
		}
		if err != nil {
			return
		}
		if c.closeNow {
			err = errClientClosed
			return
		}
		c.endBatch(free)
		if back = s.backToLoop(c); back {
			return
		}
	}
}

// backToLoopEvery bounds how often a connection goes back to an event loop
// (backToLoop), so that one whose commands keep being handed over (a
// script per request, a worker that blocks in turn) does not pay a
// registration each time.
const backToLoopEvery = time.Second

// backToLoop gives c back to an event loop after a batch its goroutine
// ran, when nothing the loop cannot do is left: a connection is handed
// over at a command that had to wait (a slot a script held, a hot key
// another loop was writing, a blocking command), not for good. It stays
// here while it has an outbox (Pub/Sub, MONITOR, tracking), routing state
// a loop does not serve (routeState.pinned) or forwarded replies still to
// take, a transaction, a blocked command, buffered input or a closing, and
// goes back at once when it was handed over because a command declined (a
// taken slot, a lapsed lease: passing conditions), else at most once per
// backToLoopEvery. It reports whether a loop took c, which the caller must
// not touch afterwards.
func (s *Server) backToLoop(c *Client) bool {
	if len(s.loops) == 0 || c.pc.HasMore() || c.ev.Outbox() != nil || c.route.pinned() ||
		(c.route != nil && len(c.route.ahead) > 0) ||
		c.multi || c.block.Waiter != nil || c.closing || c.ack.want > 0 {
		return false
	}
	if !c.declined {
		now := time.Now()
		if !c.backAt.IsZero() && now.Sub(c.backAt) < backToLoopEvery {
			return false
		}
		c.backAt = now
	}
	c.declined = false
	c.loopActive = time.Time{}
	return s.loopAdd(c, c.pc.Conn.Conn)
}

// runBatch runs cmds in order as (the rest of) one batch and reports
// whether free held and every command run let go of its arguments. With
// inline set (an event loop) it stops before the first command that might
// wait (inlineSafe), at one that turned out to (its slot's lock was taken,
// it would be forwarded, the lease lapsed: it ran nothing, Client.noWait),
// or after one that gave the client an outbox, and returns the commands
// not run as rest; otherwise rest is nil. It stops after a command its
// loop forwarded too (loopforward.go), keeping the rest in Client.fwd. A
// closing client's remaining commands are dropped, as Redis does.
func (s *Server) runBatch(c *Client, cmds [][][]byte, free, inline bool) (rest [][][]byte, stillFree bool) {
	for i, args := range cmds {
		if c.closing {
			free = false
			break
		}
		if inline && !s.inlineSafe(c, args) {
			c.pipeline = nil
			return cmds[i:], free
		}
		c.pipeline = cmds[i+1:]
		c.ahead.Ahead(s.store, s.cluster.WritePrefetcher, c.lastTop, cmds, i) // package prefetch
		c.argsFree = false
		c.noWait = inline
		s.handle(c, args)
		c.noWait = false
		if c.wouldWait { // it would have waited: nothing ran
			c.wouldWait, c.declined = false, true
			c.pipeline = nil
			return cmds[i:], free
		}
		free = free && c.argsFree
		if c.fwd.call != nil { // its loop forwarded it: the rest waits for its reply
			c.fwd.rest, c.fwd.free = cmds[i:], free
			c.pipeline = nil
			return nil, free
		}
		if inline && c.ev.Outbox() != nil && i+1 < len(cmds) && !c.closing {
			c.pipeline = nil
			return cmds[i+1:], free
		}
	}
	c.pipeline = nil
	return nil, free
}

// endBatch lets the input buffer be read over when every command of the
// batch let go of its arguments (free), as resp.Conn.Recycle says.
func (c *Client) endBatch(free bool) {
	if free {
		c.slotArgs = nil
		c.pc.Recycle() // the next batch is read over this one (resp.Conn)
	} else {
		c.pc.Keep()
	}
}

// loopAdd gives c's connection nc to one of the server's event loops,
// spread by client ID, and reports whether one took it. A connection
// that is not a plain TCP one (TLS, a test's pipe) is served by a
// goroutine.
func (s *Server) loopAdd(c *Client, nc net.Conn) bool {
	loops := s.loops
	tc, ok := nc.(*net.TCPConn)
	if len(loops) == 0 || !ok {
		return false
	}
	c.looped.Store(true)
	if _, err := loops[c.ID%uint64(len(loops))].Add(tc, c); err != nil {
		c.looped.Store(false)
		if !errors.Is(err, netloop.ErrStopped) {
			s.log.Warn("event loop refused a client; serving it with a goroutine", "client", c.ID, "err", err)
		}
		return false
	}
	return true
}

// loopServer is the server as the handler of its event loops: its methods
// run on a loop's goroutine.
type loopServer Server

// Ready reads what lc's client sent (loopRead); its commands run at the
// end of the round (Later).
func (ls *loopServer) Ready(lc *netloop.Conn) {
	if linkReady(lc) {
		return
	}
	(*Server)(ls).loopRead(lc.Ctx.(*Client), lc)
}

// Later ends a round of the loop: it runs the commands the round read
// (loopRead), connection after connection in the order they were read,
// then writes the replies of every connection of cs that has some and
// does not wait for its replicas or a forward (loopFlush). Each
// connection's first command was fetched ahead: its slot's lines as it
// was read, its index word two connections earlier and its entry one
// earlier (prefetchRound), so that unpipelined clients' cache misses
// overlap, as a pipeline's do within its batch (prefetch.Window.Ahead).
func (ls *loopServer) Later(cs []*netloop.Conn) {
	s := (*Server)(ls)
	for i, lc := range cs {
		s.prefetchRound(cs, i)
		c := lc.Ctx.(*Client)
		cmds := c.loopCmds
		if cmds == nil {
			continue // it asked to have its replies written (loopReply)
		}
		c.loopCmds = nil
		if s.loopRun(c, lc, cmds, true) {
			s.loopRest(c, lc)
		}
	}
	for _, lc := range cs {
		c := lc.Ctx.(*Client)
		if lc.Detached() || c.ack.want > 0 || c.fwd.call != nil {
			continue // handed over, or its replies wait (ackloop.go, loopforward.go)
		}
		s.loopFlush(c, lc, true)
	}
}

// prefetchRound fetches ahead for the first commands of the connections
// of a round (Later) before cs[i]'s run: the index words of cs[i+2]'s
// (and at the start, of cs[0]'s and cs[1]'s), and the entry of cs[i+1]'s.
func (s *Server) prefetchRound(cs []*netloop.Conn, i int) {
	if i == 0 {
		for j := 0; j < 2 && j < len(cs); j++ {
			s.prefetchFirstKey(cs[j].Ctx.(*Client))
		}
	}
	if i+2 < len(cs) {
		s.prefetchFirstKey(cs[i+2].Ctx.(*Client))
	}
	if i+1 < len(cs) {
		if c := cs[i+1].Ctx.(*Client); c.loopCmds != nil {
			c.ahead[0].FetchEntry(s.store)
		}
	}
}

// prefetchFirstKey fetches the index word of the first command c read this
// round, whose slot loopRead fetched (prefetch.Cmd.FetchKey).
func (s *Server) prefetchFirstKey(c *Client) {
	if c.loopCmds != nil {
		c.ahead[0].FetchKey(s.store, prefetch.OneKey(c.lastTop, c.loopCmds[0]))
	}
}

// Tick closes the loop's clients idle longer than timeout, as the read
// deadline does for a connection's goroutine (resp.Conn fill), and gives
// up the loop's forwards that had no reply in time (loopforward.go).
func (ls *loopServer) Tick(l *netloop.Loop) {
	s := (*Server)(ls)
	t := time.Duration(s.lim.timeout.Load())
	now := time.Now()
	l.Each(func(lc *netloop.Conn) {
		c, ok := lc.Ctx.(*Client)
		if !ok {
			return // an internode connection (linkpoll.go)
		}
		if c.fwd.call != nil {
			if c.abandonForward(now) { // no reply in time (loopforward.go)
				s.resumeForward(c, lc)
			}
			return
		}
		if t <= 0 {
			return
		}
		if c.loopActive.IsZero() {
			c.loopActive = now // timeout was just set: its count starts now
			return
		}
		if now.Sub(c.loopActive) >= t {
			s.log.Debug("closing idle client", "addr", c.addr)
			s.handOver(c, lc, nil, os.ErrDeadlineExceeded, true)
		}
	})
}

// loopRead reads connection c on its event loop's goroutine when its
// socket is readable, once, and keeps its complete commands for the end of
// the round (Client.loopCmds, run by Later), fetching the first one's slot
// meanwhile (prefetch.Slot). At a read error, or while c waits for its
// replicas or a forward, it hands c over.
func (s *Server) loopRead(c *Client, lc *netloop.Conn) {
	if c.ack.want > 0 || c.fwd.call != nil {
		// Readable while its batch waits for its replicas or its forward:
		// a goroutine ends the wait and serves it on (ackloop.go,
		// loopforward.go).
		s.handOver(c, lc, nil, nil, true)
		return
	}
	cmds, err := c.pc.TakeBatch(lc.Read)
	if err != nil {
		s.handOver(c, lc, nil, err, true)
		return
	}
	if len(cmds) == 0 {
		return // the rest of a command is still to come
	}
	if s.lim.timeout.Load() > 0 {
		c.loopActive = time.Now()
	}
	c.loopCmds = cmds
	c.ahead[0] = prefetch.Slot(s.store, s.cluster.WritePrefetcher, c.lastTop, cmds[0])
	lc.Later()
}

// loopRest runs, on c's event loop, the commands c has still buffered
// after a batch the loop ran (loopRun): the parse of one read may return
// its commands in several batches (before AUTH they come one at a time),
// and a batch that waited for its replicas or a forward leaves those
// read behind it. It reads nothing: the loop reads a connection once a
// round (loopRead), so that a client sending without pause cannot keep
// the loop from the others; what it sends meanwhile keeps its socket
// readable for the next round (the epoll set is level-triggered). At
// anything it must not do on the loop it hands c over (handOver). A
// command that runs long (KEYS on a large keyspace) or waits for a slot
// another goroutine holds (a script's, EXEC's, a woken blocked client's
// turn) holds up the loop's other connections meanwhile, as a Redis
// server's one thread is held up.
func (s *Server) loopRest(c *Client, lc *netloop.Conn) {
	for {
		cmds, err := c.pc.TakeBatch(readNothing)
		if err != nil {
			s.handOver(c, lc, nil, err, true)
			return
		}
		if len(cmds) == 0 {
			return // none, or the rest of a command is still to come
		}
		if !s.loopRun(c, lc, cmds, true) {
			return
		}
	}
}

// loopRun runs cmds, commands of c's batch (free: those before them let
// go of their arguments), on its event loop and sends their replies
// without waiting (loopReply). It reports whether the loop may go on with
// the connection's buffered commands; false: it has none, waits (for its
// replicas or a forward) or was handed over.
func (s *Server) loopRun(c *Client, lc *netloop.Conn, cmds [][][]byte, free bool) bool {
	c.fwd.lc = lc
	rest, free := s.runBatch(c, cmds, free, true)
	c.fwd.lc = nil
	if c.fwd.call != nil {
		return false // forwarded: the rest runs when its reply comes (loopforward.go)
	}
	if rest != nil {
		s.handOver(c, lc, rest, nil, free)
		return false
	}
	if c.closeNow || c.ev.Outbox() != nil {
		s.handOver(c, lc, nil, nil, free)
		return false
	}
	if c.ack.want > 0 {
		// The replies wait for the batch's replicas (ackloop.go).
		c.endBatch(free)
		return s.loopAwait(c, lc) && c.pc.HasMore()
	}
	if !s.loopReply(c, lc, free) {
		return false
	}
	c.endBatch(free)
	return c.pc.HasMore()
}

// loopFlushNow is how many bytes of replies a connection's turn queues
// before it writes them at once rather than at the end of its loop's
// round: a bound on what a round holds back.
const loopFlushNow = 64 << 10

// loopReply sends c's queued replies: at the end of the loop's round,
// with those of the other connections it serves (loopServer.Later), or
// now when they are many (loopFlushNow). It reports whether c is still
// the loop's; false: it was handed over (free: as loopRun's).
func (s *Server) loopReply(c *Client, lc *netloop.Conn, free bool) bool {
	if c.pc.Queued() < loopFlushNow {
		lc.Later()
		return true
	}
	return s.loopFlush(c, lc, free)
}

// loopFlush writes c's queued replies without waiting and reports whether
// they all left; when not, c was handed over (free: as loopRun's).
func (s *Server) loopFlush(c *Client, lc *netloop.Conn, free bool) bool {
	c.flushStats() // before the replies leave (clock.go)
	if done, werr := c.pc.FlushTo(lc.Write); !done || werr != nil {
		// The socket's buffer is full (a large reply, a client that
		// does not read) or it failed: the goroutine's Flush waits
		// or fails.
		s.handOver(c, lc, nil, nil, free)
		return false
	}
	return true
}

// readNothing is a read that finds nothing (resp.Conn.TakeBatch).
func readNothing([]byte) (int, error) { return 0, nil }

// handOver takes c off its event loop and starts the goroutine that serves
// it from there on (serveFrom, until it gives c back: backToLoop), which first ends the batch the
// loop began: rest are its commands not run yet, err the read error that
// ended the turn, free whether the commands run let go of their
// arguments; replies queued and not written stay queued for its Flush.
func (s *Server) handOver(c *Client, lc *netloop.Conn, rest [][][]byte, err error, free bool) {
	if rest == nil {
		// Read this round and not run yet (the loop stopped before the
		// round's end): they are the batch the goroutine runs first.
		rest = c.loopCmds
	}
	c.loopCmds = nil
	if derr := lc.Detach(); derr != nil {
		s.log.Warn("taking a client off its event loop", "client", c.ID, "err", derr)
	}
	c.looped.Store(false)
	// The goroutine serves the connection until it ends; it is the
	// connection's goroutine of serveFrom, counted in connWG since accept.
	go s.serveFrom(c, rest, err, free, true)
}

// protocolError queues the error reply of a protocol violation that ends
// the connection, behind the replies before it. It reports whether the
// client's outbox took it (the outbox then closes the connection).
func (c *Client) protocolError(err error) bool {
	var pe *resp.ProtocolError
	if !errors.As(err, &pe) {
		return false
	}
	msg := pe.Reply()
	if o := c.ev.Outbox(); o != nil {
		o.Append(msg)
		o.CloseAfterWrite()
		return true
	}
	c.pc.Queue(msg)
	return false
}

// closeConn makes the connection's goroutine close the connection once the
// batch's replies before this point are written, and drop the commands
// after it.
func (c *Client) closeConn() {
	c.closing = true
	c.closeNow = true
}
