package server

import (
	"context"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/netloop"
	"github.com/meshcache/meshcache/server/route"
)

// Forwarding from an event loop (docs/DESIGN.md, "Front end"). A command
// led by another node is forwarded by a call that does not wait
// (ForwardStarter): the loop sends the batch (the command and the
// pipelined commands behind it for the same node, gatherBatch) and goes on
// with its other connections, leaving this one registered, neither read
// nor written, until the reply comes:
//
//   - routeAway, under Client.noWait on a loop (loopFwd.lc set), starts the
//     call (startForward) and the command's handle stops there: its reply
//     and the rest of handle's work (handled) come with the call's outcome.
//     runBatch keeps the batch's commands from the forwarded one on
//     (loopFwd.rest), and the replies queued before it stay queued.
//   - The call's done, on the transport's reply reader, stores the outcome
//     in the call (fwdCall), closes its done channel and posts the
//     connection to its loop (netloop.Conn.Post). Resume then ends the
//     command (endForward) and runs the rest of the batch on the loop
//     (loopRun): its replies leave with one write, as a turn's do.
//   - No reply within route.ForwardTimeout: the loop's Tick abandons the
//     call (transport.Pending.Abandon) and the command is answered with
//     the timeout's error, as a goroutine's forward is.
//   - -MOVED (the slot moved meanwhile): nothing ran; the command and the
//     rest of the batch are handed to a goroutine, which routes it again
//     and may wait.
//   - The connection becoming readable meanwhile (a client that sends
//     before it has its replies, or hangs up) hands it over to a goroutine
//     (handOver), which waits for the call blocking (finishLoopForward)
//     before it serves the connection on.
//
// A connection never has two calls in flight, so a client's commands keep
// their order. Each call is its own fwdCall: a late done or post of a call
// the connection no longer waits for (abandoned, or handed over) touches
// nothing else.

// loopFwd is a connection's command forwarded by its event loop. Owned by
// whoever serves the connection.
type loopFwd struct {
	// call is the forward in flight (nil: none).
	call *fwdCall
	// rest are the batch's commands from the forwarded one on, free
	// whether those run before it let go of their arguments.
	rest [][][]byte
	free bool
	// lc is the connection's loop while the loop runs its commands
	// (loopRun): set, a command led elsewhere is forwarded without
	// waiting.
	lc *netloop.Conn
}

// fwdCall is one forward started by a loop. Its done function writes
// replies and err and then closes done; whoever serves the connection
// reads them after done is closed.
type fwdCall struct {
	done    chan struct{}
	replies [][]byte
	err     error
	pending transport.Pending
	owner   ring.NodeID
	e       *entry // the forwarded command's, for MONITOR
}

// startForward forwards args, with the batch behind it, to owner without
// waiting (see the file comment) and reports whether the call was made;
// false: nothing was sent (no live connection to owner yet, its queue
// full, a client whose forwards carry a tracking marker) and the command
// must be declined.
func (s *Server) startForward(c *Client, e *entry, owner ring.NodeID, args [][]byte) bool {
	lc := c.fwd.lc
	if s.events.Marker(&c.ev) != nil {
		return false
	}
	rs := c.routeState()
	rs.cmds = rs.cmds[:0]
	s.gatherBatch(c, owner, args, false)
	call := &fwdCall{done: make(chan struct{}), owner: owner, e: e}
	p, ok := s.cluster.StartForward(owner, c.RESP3(), rs.cmds, route.ForwardTimeout, func(replies [][]byte, err error) {
		call.replies, call.err = replies, err
		close(call.done)
		lc.Post()
	})
	if !ok {
		rs.cmds = rs.cmds[:0]
		return false
	}
	call.pending = p
	c.fwd.call = call
	s.cstats.forwardsSent.Add(1)
	return true
}

// endForward ends c's forward, whose outcome is in, and returns the
// batch's commands still to run and whether those run before them let go
// of their arguments. The command's reply is queued (handled) and rest
// are the commands after it; or, moved, nothing ran, and rest begins with
// the command, to be routed again.
func (s *Server) endForward(c *Client) (rest [][][]byte, free, moved bool) {
	call := c.fwd.call
	rest, free = c.fwd.rest, c.fwd.free
	c.fwd.call, c.fwd.rest = nil, nil
	if _, moved = s.forwarded(c, call.owner, call.replies, call.err); moved {
		c.pendProcessed-- // it is dispatched again
		return rest, free, true
	}
	s.feedRan(c, call.e, rest[0])
	c.pipeline = rest[1:] // handled looks at what follows (replicas' acks)
	s.handled(c)
	c.pipeline = nil
	return rest[1:], free, false
}

// abandonForward gives up c's forward if its time is up (at now) and
// reports whether it did; the outcome is then the timeout's error.
func (c *Client) abandonForward(now time.Time) bool {
	if now.Sub(c.fwd.call.pending.Sent()) < route.ForwardTimeout {
		return false
	}
	return c.fwd.call.abandon()
}

// abandon gives the call up and reports whether it did (false: its
// outcome came first, and done is closed or about to be).
func (call *fwdCall) abandon() bool {
	if !call.pending.Abandon() {
		return false
	}
	// As a goroutine's forward words it (its call's context).
	call.err = fmt.Errorf("forward to %s: %w", call.owner, context.DeadlineExceeded)
	close(call.done)
	return true
}

// resumeForward goes on with c on its loop once its forward's outcome is
// in (a post, or Tick's abandoning it): the command's reply is queued and
// the rest of the batch run (loopRun), or the command handed to a
// goroutine when it moved.
func (s *Server) resumeForward(c *Client, lc *netloop.Conn) {
	select {
	case <-c.fwd.call.done:
	default:
		return // an earlier call's post
	}
	if s.lim.timeout.Load() > 0 {
		c.loopActive = time.Now() // it waited for its reply, not idle
	}
	c.noWait = true // handled must not wait for the batch's replicas here (ackloop.go)
	rest, free, moved := s.endForward(c)
	c.noWait = false
	if moved {
		s.handOver(c, lc, rest, nil, free)
		return
	}
	if s.loopRun(c, lc, rest, free) {
		s.loopRest(c, lc)
	}
}

// finishLoopForward waits, on the goroutine that took c over from its
// loop, for the forward the loop started, and returns the batch's
// commands still to run (the forwarded one among them when it moved) and
// whether those run so far let go of their arguments.
func (s *Server) finishLoopForward(c *Client) (rest [][][]byte, free bool) {
	call := c.fwd.call
	left := route.ForwardTimeout - time.Since(call.pending.Sent())
	t := time.NewTimer(max(left, time.Millisecond))
	select {
	case <-call.done:
	case <-t.C:
		if !call.abandon() {
			<-call.done // its outcome came first
		}
	}
	t.Stop()
	rest, free, _ = s.endForward(c)
	return rest, free
}
