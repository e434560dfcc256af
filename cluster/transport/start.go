package transport

import (
	"context"
	"fmt"
	"time"
)

// Calls that do not wait: an event loop, which serves many connections on
// one goroutine, sends a request with Start and goes on; the connection's
// reply reader hands the reply to the call's done function. Start never
// waits: where Call would (a dial, a full write queue) it sends nothing,
// and the caller makes the call another way. Nothing times a started call
// out by itself: its owner abandons it (Pending.Abandon) once its deadline
// passed.

// waiter is a call waiting for its reply: Call's reply channel, or
// Start's done function (exactly one of them is set).
type waiter struct {
	ch   chan frame
	done func(frame, error)
}

// reply hands f to the waiter (none: the call was given up).
func (w waiter) reply(f frame) {
	switch {
	case w.ch != nil:
		w.ch <- f // buffered, one reply per call
	case w.done != nil:
		w.done(f, nil)
	}
}

// fail tells a started call its connection failed (Call's channels are
// closed instead).
func (w waiter) fail(err error) {
	if w.done != nil {
		w.done(frame{}, err)
	}
}

// Pending is a call Start sent, for its owner to abandon when its deadline
// passes. The zero Pending is no call.
type Pending struct {
	cc   *clientConn
	id   uint64
	seen uint64    // replies the connection had read when the call was sent
	sent time.Time // when it was sent
}

// Start sends one request to addr without waiting, as Call does but for
// its reply: done is called once with the reply's payload, or with the
// error (a *RemoteError from the peer's handler, or the connection's
// failure), on the connection's reply reader, which it must not hold up.
// The request carries timeout as its deadline for the peer. ok false:
// nothing was sent and done will not be called, because sending would
// have waited (no live connection to addr yet: Call dials; the write
// queue is full) or the payload is too large; the caller uses Call. A
// started call that is abandoned (Pending.Abandon) before its reply is
// not told.
func (c *Client) Start(addr string, kind Kind, payload []byte, timeout time.Duration, done func([]byte, error)) (p Pending, ok bool) {
	if len(payload) > c.maxFrame {
		return Pending{}, false
	}
	k := c.startedKey(addr)
	cc := c.live(k)
	if cc == nil {
		if k.started {
			c.dialLater(k)
		}
		return Pending{}, false
	}
	w := doneWaiter(kind, addr, done)
	id, ok := cc.register(w)
	if !ok {
		return Pending{}, false
	}
	f := frame{id: id, kind: kind, payload: payload, timeout: frameTimeout(timeout)}
	p = Pending{cc: cc, id: id, seen: cc.replies.Load(), sent: time.Now()}
	select {
	case cc.out <- f:
		return p, true
	default:
		if p.takeBack() {
			return Pending{}, false
		}
		// The connection failed meanwhile and told done: the call was
		// made, and failed.
		return p, true
	}
}

// Send is Call without the wait for the reply: it sends the request as
// Call does (dialing when there is no connection, waiting for room in the
// write queue, writing inline for Kind.writtenInline) and returns; done is
// called once, as Start's, with the reply or the error, on the
// connection's reader, which it must not hold up. The caller abandons the
// call (Pending.Abandon) when ctx ends, which is Call's rule for a stalled
// connection too. An error: nothing was sent and done will not be called.
func (c *Client) Send(ctx context.Context, addr string, kind Kind, payload []byte, done func([]byte, error)) (Pending, error) {
	if len(payload) > c.maxFrame {
		return Pending{}, fmt.Errorf("%s to %s: %w: %d bytes, limit %d", kind, addr, ErrFrameTooLarge, len(payload), c.maxFrame)
	}
	dl, ok := ctx.Deadline()
	if !ok {
		return Pending{}, fmt.Errorf("%s to %s: call without a deadline", kind, addr)
	}
	cc, err := c.connOf(ctx, c.startedKey(addr))
	if err != nil {
		return Pending{}, fmt.Errorf("%s to %s: %w", kind, addr, err)
	}
	id, ok := cc.register(doneWaiter(kind, addr, done))
	if !ok {
		return Pending{}, fmt.Errorf("%s to %s: %w", kind, addr, cc.closeErr())
	}
	f := frame{id: id, kind: kind, payload: payload, timeout: frameTimeout(time.Until(dl))}
	p := Pending{cc: cc, id: id, seen: cc.replies.Load(), sent: time.Now()}
	if err = cc.sendCall(ctx, dl, f); err != nil && p.takeBack() {
		return Pending{}, fmt.Errorf("%s to %s: %w", kind, addr, err)
	}
	// Sent, or the connection failed meanwhile and told done: the call
	// was made, and failed.
	return p, nil
}

// doneWaiter is the waiter of a call whose reply goes to done (Start,
// Send): the reply's payload, a *RemoteError from the peer's handler, or
// the connection's failure.
func doneWaiter(kind Kind, addr string, done func([]byte, error)) waiter {
	return waiter{done: func(f frame, err error) {
		switch {
		case err != nil:
			done(nil, fmt.Errorf("%s to %s: %w", kind, addr, err))
		case f.flags&flagError != 0:
			done(nil, &RemoteError{Kind: kind, Msg: string(f.payload)})
		default:
			done(f.payload, nil)
		}
	}}
}

// live returns the live connection k names, or nil when there is none
// (never dialed, failed, or the client closed): connOf's common case,
// which does not wait.
func (c *Client) live(k peerKey) *clientConn {
	c.mu.RLock()
	p, closed := c.peers[k], c.closed
	c.mu.RUnlock()
	if p == nil || closed {
		return nil
	}
	if cc := p.conn.Load(); cc != nil && !cc.isDead() {
		return cc
	}
	return nil
}

// takeBack removes the call from its connection's table; false: its reply
// or its connection's failure took it first, and done was or is being
// called.
func (p Pending) takeBack() bool {
	p.cc.mu.Lock()
	defer p.cc.mu.Unlock()
	if _, ok := p.cc.pending[p.id]; !ok {
		return false
	}
	delete(p.cc.pending, p.id)
	return true
}

// Abandon gives the call up, its deadline past, and reports whether done
// will not be called (true), or was or is being called (its reply or its
// connection's failure came first). As Call does at its deadline, a
// connection that read nothing at all since the call was sent, for at
// least connStallAfter, is taken for dead and closed, so the next call
// redials. Only the call's owner calls it, once.
func (p Pending) Abandon() bool {
	if p.cc == nil {
		return false
	}
	if !p.takeBack() {
		return false
	}
	if time.Since(p.sent) >= connStallAfter && p.cc.replies.Load() == p.seen {
		p.cc.stalled()
	}
	return true
}

// Sent returns when the call was sent (zero for no call).
func (p Pending) Sent() time.Time { return p.sent }
