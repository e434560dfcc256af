package transport

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Replies read by an event loop. Each connection the Client dials has a
// goroutine that reads its replies (readReplies). A node whose clients are
// served by event loops gives the Client a Poller too (SetPoller): the
// calls that do not wait for their reply (Start: a loop's forwards; Send:
// the replication stream) then go on a second connection to the peer,
// which a loop reads with its clients' sockets, and a reply is handed to
// its call inside the loop's round. A forward's reply or a replica's
// acknowledgement then resumes its client in the round that read it,
// without the reader goroutine's wake-up, its read that finds the socket
// empty, and the loop's own wake-up by the goroutine's post (an eventfd
// write, and the runtime poller's look at it).
//
// Call never uses that connection: a loop that made a Call (a client
// tracking invalidation sent before the write's reply, events) would wait
// for a reply only it can read. Every call on a polled connection has a
// done function instead, and none of those waits.

// Poller reads connections for a Client in place of a goroutine each.
type Poller interface {
	// Poll registers sc (a TCP connection): from then on the poller calls
	// r.Readable on its own goroutine whenever sc may have data, until
	// Readable returns false. It returns a function, safe from any
	// goroutine, that has the poller call r.Readable soon even though sc
	// has nothing to read (the Client closed the connection itself); an
	// error: the Client reads sc with a goroutine.
	Poll(sc syscall.Conn, r Readable) (wake func(), err error)
}

// Readable is a connection a Poller reads.
type Readable interface {
	// Readable reads once with read, which does not wait ((0, nil):
	// nothing there now; an error: the connection failed, or the poller
	// is stopping), and hands each whole reply read to its call. It
	// returns false once the connection is over (failed or closed): the
	// poller then drops it and never calls Readable again.
	Readable(read func([]byte) (int, error)) bool
}

// pollerBox holds a Client's Poller for atomic.Pointer.
type pollerBox struct{ p Poller }

// SetPoller has p read the connections of the calls that do not wait
// (Start, Send), dialed from now on (nil: those calls go on the Call
// connection again).
func (c *Client) SetPoller(p Poller) {
	if p == nil {
		c.poller.Store(nil)
		return
	}
	c.poller.Store(&pollerBox{p})
}

// startedKey names the connection of the calls to addr that do not wait:
// the polled one when the Client has a Poller, else Call's.
func (c *Client) startedKey(addr string) peerKey {
	return peerKey{addr: addr, started: c.poller.Load() != nil}
}

// dialTimeout bounds a dial made in the background (dialLater).
const dialTimeout = 5 * time.Second

// dialLater dials k's connection on a goroutine of its own, unless a dial
// of it runs already: a Start found none, and the next one will.
func (c *Client) dialLater(k peerKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	p := c.peers[k]
	if p == nil {
		p = &peerConn{addr: k.addr}
		c.peers[k] = p
	}
	p.mu.Lock()
	busy := p.dialing != nil
	p.mu.Unlock()
	if busy {
		return
	}
	c.wg.Add(1) // under c.mu, with closed false: Close waits for it
	go func() { // ends with the dial
		defer c.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		_, _ = c.connOf(ctx, k)
	}()
}

// poll hands cc's replies to the Client's Poller, if it has one and nc is
// a TCP connection, and reports whether it did; else the caller reads cc
// (readReplies). c.wg counts cc either way.
func (c *Client) poll(nc net.Conn, cc *clientConn) bool {
	b := c.poller.Load()
	tc, ok := nc.(*net.TCPConn)
	if b == nil || !ok {
		return false
	}
	r := &polledConn{c: c, cc: cc, buf: make([]byte, pollReadSize)}
	wake, err := b.p.Poll(tc, r)
	if err != nil {
		return false
	}
	// The poller's descriptor keeps the socket open after cc's own is
	// closed: a close from this side (Drop, a stall, a failed write) must
	// have the poller look, so that it drops the connection (Readable
	// sees cc closed). A close before the function was stored is seen
	// here.
	cc.onClose.Store(&wake)
	if cc.isDead() {
		wake()
	}
	return true
}

// pollReadSize is the read buffer of a polled connection, as readReplies'.
const pollReadSize = 64 << 10

// polledConn is a client connection read by a Poller: the bytes read and
// not yet parsed into whole frames are buf[start:end]. Only the poller's
// goroutine touches it.
type polledConn struct {
	c          *Client
	cc         *clientConn
	buf        []byte
	start, end int
	over       bool // the connection ended (Readable returned false)
}

// Readable implements Readable (see readReplies for a goroutine's).
func (r *polledConn) Readable(read func([]byte) (int, error)) bool {
	if r.over {
		return false
	}
	if r.cc.isDead() { // closed by its Client (a stall, Drop, a failed write)
		r.finish(r.cc.closeErr())
		return false
	}
	if r.end == len(r.buf) {
		r.makeRoom()
	}
	n, err := read(r.buf[r.end:])
	if err == nil {
		r.end += n
		err = r.deliver()
	}
	if err != nil {
		r.finish(fmt.Errorf("connection to %s: %w", r.cc.peer, err))
		return false
	}
	return true
}

// makeRoom frees the bytes already parsed, or, when an unfinished frame
// fills the buffer, doubles it: a frame's buffer grows with the bytes
// that arrive, never to its header's length at once.
func (r *polledConn) makeRoom() {
	if r.start > 0 {
		r.end = copy(r.buf, r.buf[r.start:r.end])
		r.start = 0
		return
	}
	r.buf = append(r.buf, make([]byte, len(r.buf))...)
}

// deliver hands every whole frame in the buffer to its call, as
// readReplies does: frames from a cut peer are skipped.
func (r *polledConn) deliver() error {
	cc := r.cc
	for r.end-r.start >= frameHeaderLen {
		hdr := r.buf[r.start : r.start+frameHeaderLen]
		n := binary.BigEndian.Uint32(hdr[0:])
		if int64(n) > int64(cc.maxFrame) {
			return fmt.Errorf("%w: %d bytes from %s, limit %d", ErrFrameTooLarge, n, cc.peer, cc.maxFrame)
		}
		if r.end-r.start < frameHeaderLen+int(n) {
			break
		}
		f := frame{
			id:      binary.BigEndian.Uint64(hdr[4:]),
			kind:    Kind(hdr[12]),
			flags:   hdr[13],
			timeout: binary.BigEndian.Uint32(hdr[14:]),
		}
		body := r.buf[r.start+frameHeaderLen : r.start+frameHeaderLen+int(n)]
		r.start += frameHeaderLen + int(n)
		if !cc.faults.Allow(cc.peer, cc.self) {
			continue
		}
		if f.flags&flagReply == 0 {
			return fmt.Errorf("unexpected request frame from %s", cc.peer)
		}
		f.payload = append([]byte(nil), body...) // the buffer is read into again
		cc.handReply(f)
	}
	if r.start == r.end {
		r.start, r.end = 0, 0
	}
	return nil
}

// finish ends the connection as readReplies' end does; the writer is
// waited for on a goroutine of its own, as the poller's must not wait.
func (r *polledConn) finish(err error) {
	r.over = true
	r.cc.end(err)
	go func() {
		r.cc.writerWG.Wait()
		r.c.wg.Done()
	}()
}
