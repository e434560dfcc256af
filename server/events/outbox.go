package events

import (
	"runtime"
	"sync"
	"time"
)

// An Outbox carries everything written to a connection once it has
// subscribed to something: its own replies and the messages other
// goroutines publish to it. The front end writes a connection's replies only from
// the connection's goroutine, at the end of each pipeline batch, and a
// publisher must neither wait for a slow subscriber nor write into the
// middle of a reply. So from its first subscription on, a client's
// replies go to the outbox (handle appends each whole reply) and so does
// every message (the publisher appends the whole message); the outbox's
// writer goroutine writes them to the socket in the order they were
// appended. Each append is one whole reply or message, under mu, so none is
// ever split by another; a publisher appends its messages in the order it
// publishes them, so each subscriber sees every publisher's messages in
// order.
//
// The outbox is Redis's client output buffer: its size (appended and not
// yet written) is held to client-output-buffer-limit of the client's class
// (pubsub while subscribed, normal otherwise). Past the hard limit, or
// past the soft limit for longer than its seconds, the client is closed
// and what it had not read is dropped, as Redis does.
//
// The writer goroutine is owned by the client: it starts with the outbox
// (the client's first subscription) and stops when the connection ends
// (close, from the connection goroutine's end), when a write fails, or after
// closing the connection for QUIT once everything before it was written.
type Outbox struct {
	c    *Client
	wake chan struct{} // one pending wake-up for the writer; capacity 1
	done chan struct{} // closed by close: the connection ended

	mu        sync.Mutex // guards the fields below
	buf       []byte     // appended, not yet taken by the writer
	later     []byte     // delivered while held: goes after the connection's next append
	held      bool       // see hold
	writing   int        // bytes the writer took and is writing
	softSince time.Time  // when the size first exceeded the soft limit; zero if it is below
	dead      bool       // closed: appends are dropped
	quit      bool       // close the connection once buf is written (QUIT)
	closeOnce sync.Once
}

// outbox returns the client's outbox, creating it (and its writer) on
// first use. The replies the connection holds for this pipeline batch so
// far are moved into it first, so that they keep their place before
// everything appended later. Only for the connection's goroutine.
func (c *Client) outbox() *Outbox {
	if c.out != nil {
		return c.out
	}
	o := &Outbox{c: c, wake: make(chan struct{}, 1), done: make(chan struct{})}
	o.buf = c.conn.Unflushed()
	c.out = o
	c.outPub.Store(o)
	go o.run()
	return o
}

// Append adds the connection's own output (the replies of one command,
// whole) and then what was delivered while the outbox was held, and
// releases the hold. Only for the connection's goroutine.
func (o *Outbox) Append(b []byte) {
	o.add(b, true)
}

// hold makes messages delivered from now on wait behind the connection's
// next append: a command that subscribes holds the outbox before it enters
// the registry, so no message reaches the client before the reply that
// confirms the subscription (nor, inside EXEC, before the EXEC reply), as
// on Redis, where nothing runs between a command and its reply. Only for
// the connection's goroutine, which always appends after its command.
func (o *Outbox) hold() {
	o.mu.Lock()
	o.held = true
	o.mu.Unlock()
}

// deliver adds one whole message from a publisher (any goroutine).
func (o *Outbox) deliver(msg []byte) {
	o.add(msg, false)
}

// add appends b (own: the connection's output, which releases a hold)
// and applies the output buffer limits; a client over them is closed and
// what it had not read is dropped.
func (o *Outbox) add(b []byte, own bool) {
	o.mu.Lock()
	if o.dead {
		o.mu.Unlock()
		return
	}
	switch {
	case own:
		o.buf = append(o.buf, b...)
		if o.held {
			o.buf = append(o.buf, o.later...)
			o.later, o.held = nil, false
		}
	case o.held:
		o.later = append(o.later, b...)
	default:
		o.buf = append(o.buf, b...)
	}
	over := o.overLimit()
	if over {
		o.dead = true
		o.buf, o.later = nil, nil
	}
	o.mu.Unlock()
	if over {
		o.c.hub.log.Warn("client closed for overcoming of output buffer limits", "id", o.c.ID, "addr", o.c.addr,
			"class", o.c.bufferClass().Name())
		o.c.conn.Kill()
		return
	}
	if len(b) > 0 {
		select {
		case o.wake <- struct{}{}:
		default:
		}
	}
}

// overLimit applies the client's output buffer limits to the current size;
// o.mu is held. The clock is read only above the soft limit.
func (o *Outbox) overLimit() bool {
	lim := o.c.hub.OutputLimit(o.c.bufferClass())
	size := int64(len(o.buf) + len(o.later) + o.writing)
	if lim.Hard > 0 && size >= lim.Hard {
		return true
	}
	if lim.Soft > 0 && size >= lim.Soft {
		now := time.Now()
		if o.softSince.IsZero() {
			o.softSince = now
			return false
		}
		return now.Sub(o.softSince) > time.Duration(lim.SoftSeconds)*time.Second
	}
	o.softSince = time.Time{}
	return false
}

// CloseAfterWrite closes the connection once everything appended so far is
// written (QUIT).
func (o *Outbox) CloseAfterWrite() {
	o.mu.Lock()
	o.quit = true
	o.mu.Unlock()
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// close stops the writer: the connection ended. Safe to call more than once.
func (o *Outbox) close() {
	o.closeOnce.Do(func() {
		o.mu.Lock()
		o.dead = true
		o.buf, o.later = nil, nil
		o.mu.Unlock()
		close(o.done)
	})
}

// Size returns the bytes appended and not yet written (CLIENT LIST omem).
func (o *Outbox) Size() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.buf) + len(o.later) + o.writing
}

// run is the writer goroutine (see outbox).
func (o *Outbox) run() {
	var spare []byte
	for {
		select {
		case <-o.done:
			return
		case <-o.wake:
		}
		// Let the publishers that are running append more before the
		// write: one write then carries several messages, as Redis writes
		// a client's buffer once per event loop turn.
		runtime.Gosched()
		for {
			o.mu.Lock()
			if o.dead {
				o.mu.Unlock()
				return
			}
			if len(o.buf) == 0 {
				quit := o.quit
				o.mu.Unlock()
				if quit {
					o.c.conn.Kill()
					return
				}
				break
			}
			// Swap in the spare buffer: appends go there while out is
			// written; out becomes the spare once written.
			out := o.buf
			o.buf, spare = spare[:0], nil
			o.writing = len(out)
			o.mu.Unlock()
			if _, err := o.c.conn.Write(out); err != nil {
				o.c.hub.log.Debug("write to subscriber", "id", o.c.ID, "err", err)
				o.c.conn.Kill()
				return
			}
			o.mu.Lock()
			o.writing = 0
			if o.size0() {
				o.softSince = time.Time{}
			}
			o.mu.Unlock()
			if cap(out) <= maxSpare {
				spare = out
			} else {
				spare = nil
			}
		}
	}
}

// size0 reports whether nothing is waiting; o.mu is held.
func (o *Outbox) size0() bool { return len(o.buf)+len(o.later) == 0 && o.writing == 0 }

// maxSpare bounds the buffer the writer keeps for reuse between writes.
const maxSpare = 64 << 10
