package server

import (
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/cluster"
)

// A forwarded write answered once its replicas have it (docs/DESIGN.md
// §6). A cluster connection's reader runs a forwarded write itself
// (TryExecute with a deferrable cluster.Answer): the write is applied at
// once, and its reply, which with replica-ack one or all must wait for the
// replicas, is sent later by whichever goroutine sees the wait end. No
// goroutine waits for it: before 2026-12-08 every forwarded write went to
// a worker goroutine that blocked in AwaitAcks, and cost a hand-off to
// the worker, a park, a wake and a hand-off to the writer, per write.
//
// The wait is the event loop's (ackloop.go) without a loop: a look at the
// acks (lookAcks, as the loop's) registers notify with the slot's next ack
// and the node's 50 ms round; notify looks again. Looks never overlap:
// calls counts the notifications not yet looked at, and only the
// goroutine that raises it from zero looks, again as long as more came in
// meanwhile. The look that ends the wait (acknowledged, failed, or
// node-timeout passed) sends the reply, or -TRYAGAIN errNotReplicated in
// its place, and leaves calls above zero, so that notifications still
// registered do nothing.

// fwdAck is one forwarded write's reply waiting for its replicas.
type fwdAck struct {
	s *Server
	// c is the internal client that ran the write: the wait is its
	// account's (pos aliases c.repl). Returned to the pool when the wait
	// ends.
	c      *Client
	pos    []cluster.SlotOffset
	want   int
	since  time.Time // when the write ran: it fails node-timeout later
	out    []byte    // the reply, from base on (before it: the caller's bytes)
	base   int
	answer cluster.Answer
	notify func() // w.notified, registered with the acks (made once: a method value allocates)
	calls  atomic.Int32
}

// answerLater begins the wait of a forwarded write's reply, which c (an
// internal client) queued after base bytes of its reply buffer; its
// replicas are wanted at pos. It looks once at once: when the wait is
// over already, it returns the reply (later false); otherwise answer sends
// it when the wait ends.
func (s *Server) answerLater(c *Client, pos []cluster.SlotOffset, want, base int, answer cluster.Answer) (out []byte, later bool) {
	w := &fwdAck{s: s, c: c, pos: pos, want: want, since: time.Now(), base: base, answer: answer}
	w.out = append([]byte(nil), c.reply.Bytes()...) // the reader reuses the buffer c wrote in
	c.reply.SetBytes(nil)
	w.notify = w.notified
	w.calls.Store(1) // this goroutine looks first
	if out, over := w.look(); over {
		return out, false
	}
	if w.calls.Add(-1) != 0 {
		w.lookOn() // notified during the look: the next looks are ours
	}
	return nil, true
}

// notified is the function the slot's next ack, or the round, calls.
func (w *fwdAck) notified() {
	if w.calls.Add(1) == 1 {
		w.lookOn()
	}
}

// lookOn looks until the wait is over (and answers) or no notification
// came in during a look. Its caller holds the look: it raised calls from
// zero, or it looked first (answerLater) and was notified meanwhile.
func (w *fwdAck) lookOn() {
	for {
		n := w.calls.Load()
		if out, over := w.look(); over {
			w.answer.Send(out)
			return
		}
		if w.calls.Add(-n) == 0 {
			return
		}
	}
}

// look looks at the acks once (registering notify when they are not
// there yet) and, when the wait is over, returns the reply to send and
// gives c back to the pool.
func (w *fwdAck) look() ([]byte, bool) {
	s := w.s
	n, over, err := s.lookAcks(w.pos, w.want, w.since, w.notify)
	if !over {
		return nil, false
	}
	out := w.out
	if !s.ackDone(w.c, n, err) {
		out = redcon.AppendError(out[:w.base], errNotReplicated)
	}
	s.putInternal(w.c)
	w.c, w.pos, w.out = nil, nil, nil
	return out, true
}
