package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server/netloop"
)

// A batch's wait for its replicas on an event loop (docs/DESIGN.md §6).
// A connection's goroutine waits for the replicas of its batch's writes
// before it writes the replies (awaitReplicas); an event loop must not
// wait, so it runs the writes, queues their replies and leaves the
// connection registered, neither read nor written, until the replicas
// have them:
//
//   - handle, at the batch's last command run with Client.noWait, resolves
//     the batch's positions (replack.Policy.Batch) into Client.ack instead
//     of waiting;
//   - loopAwait looks at the acks (cluster's AcksOrNotify): acknowledged,
//     the replies leave with one write (at the end of the loop's round,
//     loopReply) and the loop goes on with the connection's buffered
//     commands; not yet, the look registers the connection's Post with
//     the slot's next ack (or the node's 50 ms round), which hands it
//     back to the loop (Resume) to look again;
//     failed (node-timeout since the batch ended, a lost lead), the
//     replies are dropped and the connection closed, as awaitReplicas's
//     caller does;
//   - the connection becoming readable meanwhile (a client that sends
//     before it has its replies, or hangs up) hands it over to a goroutine
//     (handOver), which ends the wait blocking (finishLoopAck) before it
//     serves the connection on.
//
// Each look and each post runs on the loop's goroutine, or on the
// goroutine that took the connection over; a post for a connection no
// longer waiting (an earlier look's registration, or one handed over) does
// nothing.

// loopAck is a connection's batch waiting for its replicas on the event
// loop. Owned by whoever serves the connection.
type loopAck struct {
	// want is how many replicas the batch waits for (0: none waits);
	// pos are its positions (Client.repl's, unchanged while it waits:
	// the connection runs nothing meanwhile).
	want int
	pos  []cluster.SlotOffset
	// since is when the batch began to wait: it fails node-timeout later.
	since time.Time
	// post hands the connection back to its loop (netloop.Conn.Post),
	// made once per connection.
	post func()
	lc   *netloop.Conn
}

// errAckTimeout is a loop's batch not acknowledged within node-timeout.
var errAckTimeout = errors.New("replicas did not acknowledge in time")

// beginLoopAck takes the place of awaitReplicas for a batch run on an event
// loop: the batch's replies are queued, and waited for by loopAwait.
func (s *Server) beginLoopAck(c *Client) {
	if c.ack.pos, c.ack.want = s.repl.ack.Batch(&c.repl, &s.cluster); c.ack.want > 0 {
		c.ack.since = time.Now()
	}
}

// loopAwait ends, or goes on with, c's wait for its batch's replicas on
// its loop (see the file comment). It reports whether the replies were
// sent (loopReply) and the loop may serve c's buffered commands; false: c
// waits on (its post is registered) or was handed over.
func (s *Server) loopAwait(c *Client, lc *netloop.Conn) bool {
	if c.ack.lc != lc {
		c.ack.lc, c.ack.post = lc, lc.Post
	}
	n, over, err := s.lookAcks(c.ack.pos, c.ack.want, c.ack.since, c.ack.post)
	if !over {
		return false
	}
	c.ack.want, c.ack.pos = 0, nil
	if !s.ackDone(c, n, err) {
		c.pc.Drop()
		c.closeConn()
		s.handOver(c, lc, nil, nil, true)
		return false
	}
	return s.loopReply(c, lc, true)
}

// lookAcks is one look of a wait for replicas that must not block (an
// event loop's, a forwarded write's: fwdack.go) at the positions pos,
// waited for since since: over, the wait ended (n replicas have the
// writes, or err: a lost lead, or node-timeout passed); otherwise fn is
// registered with the next ack or round (cluster's AcksOrNotify).
func (s *Server) lookAcks(pos []cluster.SlotOffset, want int, since time.Time, fn func()) (n int, over bool, err error) {
	n, done, err := s.cluster.AcksOrNotify(pos, want, fn)
	if !done {
		timeout := s.repl.ack.Timeout()
		if time.Since(since) < timeout {
			return n, false, nil
		}
		err = fmt.Errorf("%w: %v", errAckTimeout, timeout)
	}
	return n, true, err
}

// finishLoopAck ends c's wait on the goroutine that took it over from its
// loop: it waits what is left of node-timeout and drops the replies and
// closes the connection when the replicas did not acknowledge.
func (s *Server) finishLoopAck(c *Client) {
	// At least a moment: a wait past its time still takes a last look.
	left := max(s.repl.ack.Timeout()-time.Since(c.ack.since), time.Millisecond)
	n, err := s.cluster.AwaitAcks(s.baseContext(), left, c.ack.pos, c.ack.want)
	c.ack.want, c.ack.pos = 0, nil
	if !s.ackDone(c, n, err) {
		c.pc.Drop()
		c.closeConn()
	}
}

// Resume goes on with a connection its loop was handed back (Post): its
// batch's replicas may have acknowledged (loopAwait), or its forward's
// reply came (loopforward.go).
func (ls *loopServer) Resume(lc *netloop.Conn) {
	if linkReady(lc) {
		return
	}
	s, c := (*Server)(ls), lc.Ctx.(*Client)
	switch {
	case c.fwd.call != nil:
		s.resumeForward(c, lc)
	case c.ack.want == 0:
		return // an earlier wait's post
	case s.loopAwait(c, lc) && c.pc.HasMore():
		s.loopRest(c, lc)
	}
}
