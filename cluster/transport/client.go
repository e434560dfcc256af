package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Client keeps one multiplexed connection per peer, dialed on first use
// and redialed after a failure.
//
// Goroutines: per live connection, the frameConn writer and a reply reader
// that hands each reply to its waiter; both stop when the connection closes
// (on an I/O error, a protocol error, or close). close closes every
// connection and waits for them.
type Client struct {
	self     string
	key      []byte // cluster key; nil: no handshake (auth.go)
	faults   *Faults
	maxFrame int
	dial     func(ctx context.Context, addr string) (net.Conn, error)

	mu     sync.RWMutex // guards peers, closed
	peers  map[peerKey]*peerConn
	closed bool
	wg     sync.WaitGroup // reply readers, and polled connections until they end (poll.go)
	// poller, if set, reads the connections of the calls that do not wait
	// (SetPoller).
	poller atomic.Pointer[pollerBox]
}

func NewClient(self string, key []byte, faults *Faults, maxFrame int, dial func(ctx context.Context, addr string) (net.Conn, error)) *Client {
	return &Client{self: self, key: key, faults: faults, maxFrame: maxFrame, dial: dial, peers: make(map[peerKey]*peerConn)}
}

// peerKey names one of a peer's connections: the one for Call, or, with
// a Poller, the one for the calls that do not wait (Start, Send; poll.go).
type peerKey struct {
	addr    string
	started bool
}

// peerConn is the client side of one peer's connection: the current one
// (or none), and the dial in progress, if any.
type peerConn struct {
	addr    string
	mu      sync.Mutex                 // guards dialing and writes to conn
	conn    atomic.Pointer[clientConn] // nil or closed: dial on next call; read without mu
	dialing chan struct{}              // closed when the dial in progress ends
}

// clientConn is one connection with its table of calls awaiting replies.
type clientConn struct {
	*frameConn
	client  *Client       // the Client that dialed it
	key     peerKey       // which of its peer's connections it is
	replies atomic.Uint64 // frames read so far (stall detection in call)
	// lastRead is when the connection last read a reply (or opened), in
	// Unix nanoseconds: a sibling's stall asks whether it is as silent.
	lastRead atomic.Int64
	mu       sync.Mutex // guards nextID, pending; dead is written with it held
	nextID   uint64
	pending  map[uint64]waiter
	dead     atomic.Bool // the reader stopped: pending calls were failed
}

// connStallAfter is how long a call may wait on a connection that reads
// nothing before the connection is taken for dead. A connection across a
// healed partition can hold its data in TCP's retransmission backoff for
// tens of seconds while the network works again; a fresh dial does not.
const connStallAfter = time.Second

// errStalled closes a connection that answered nothing for a call's whole
// wait.
var errStalled = errors.New("no reply within the call's deadline: connection taken for dead")

// Call sends one request to addr and waits for its reply or for ctx.
func (c *Client) Call(ctx context.Context, addr string, kind Kind, payload []byte) ([]byte, error) {
	if len(payload) > c.maxFrame {
		return nil, fmt.Errorf("%s to %s: %w: %d bytes, limit %d", kind, addr, ErrFrameTooLarge, len(payload), c.maxFrame)
	}
	if _, ok := ctx.Deadline(); !ok {
		return nil, fmt.Errorf("%s to %s: call without a deadline", kind, addr)
	}
	cc, err := c.conn(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, err)
	}
	ch := replyChans.Get().(chan frame)
	id, ok := cc.register(waiter{ch: ch})
	if !ok {
		replyChans.Put(ch)
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, cc.closeErr())
	}
	f := frame{id: id, kind: kind, payload: payload}
	if dl, ok := ctx.Deadline(); ok {
		f.timeout = frameTimeout(time.Until(dl))
	}
	seen, sent := cc.replies.Load(), time.Now()
	dl, _ := ctx.Deadline()
	if err = cc.sendCall(ctx, dl, f); err != nil {
		cc.forget(id)
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s to %s: %w", kind, addr, cc.closeErr())
		}
		// The reply was the one send on ch and ch is out of pending: it
		// is empty and nobody else holds it.
		replyChans.Put(ch)
		if r.flags&flagError != 0 {
			return nil, &RemoteError{Kind: kind, Msg: string(r.payload)}
		}
		return r.payload, nil
	case <-ctx.Done():
		// ch is not reused: the reader may have taken it out of pending
		// already and be about to send on it.
		cc.forget(id)
		if time.Since(sent) >= connStallAfter && cc.replies.Load() == seen {
			cc.stalled()
		}
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, ctx.Err())
	}
}

// stalled closes cc, which read nothing for a whole call's wait, and the
// peer's other connection (poll.go) if it read nothing for as long: a path
// that holds one in TCP's retransmission backoff after a partition holds
// the other too, and each would cost its next call a wait of its own (a
// pipeline of reads through one node waited out two in a row).
func (cc *clientConn) stalled() {
	cc.close(fmt.Errorf("connection to %s: %w", cc.peer, errStalled))
	other := cc.client.live(peerKey{addr: cc.key.addr, started: !cc.key.started})
	if other != nil && time.Since(time.Unix(0, other.lastRead.Load())) >= connStallAfter {
		other.close(fmt.Errorf("connection to %s: %w (with its sibling)", other.peer, errStalled))
	}
}

// sendCall sends a call's request: written by the caller when its kind's
// frames are (Kind.writtenInline), else queued for the writer.
func (cc *clientConn) sendCall(ctx context.Context, dl time.Time, f frame) error {
	if f.kind.writtenInline() {
		return cc.sendNow(ctx, dl, f)
	}
	return cc.send(ctx, f)
}

// register adds a call waiting for its reply to the connection's table
// and returns its ID; false: the connection failed already.
func (cc *clientConn) register(w waiter) (uint64, bool) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.dead.Load() {
		return 0, false
	}
	cc.nextID++
	cc.pending[cc.nextID] = w
	return cc.nextID, true
}

// frameTimeout is a request's deadline for the peer, d from now, in whole
// milliseconds (at least 1).
func frameTimeout(d time.Duration) uint32 {
	return uint32(min(max(d.Milliseconds(), 1), int64(^uint32(0))))
}

// replyChans holds the reply channels (buffered, one frame) of calls that
// got their reply, for the next calls: a channel goes back only once its
// one reply was received, never after a timeout or a closed connection.
var replyChans = sync.Pool{New: func() any { return make(chan frame, 1) }}

// forget drops a call that will not wait for its reply.
func (cc *clientConn) forget(id uint64) {
	cc.mu.Lock()
	delete(cc.pending, id)
	cc.mu.Unlock()
}

// conn returns the live connection to addr for Call, dialing if there is
// none (connOf).
func (c *Client) conn(ctx context.Context, addr string) (*clientConn, error) {
	return c.connOf(ctx, peerKey{addr: addr})
}

// connOf returns the live connection k names, dialing if there is none.
// Only one dial per connection runs at a time; other callers wait for it
// or their ctx.
func (c *Client) connOf(ctx context.Context, k peerKey) (*clientConn, error) {
	if cc := c.live(k); cc != nil {
		return cc, nil // the common case: a live connection, under a read lock only
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrConnClosed
	}
	p := c.peers[k]
	if p == nil {
		p = &peerConn{addr: k.addr}
		c.peers[k] = p
	}
	c.mu.Unlock()
	for {
		p.mu.Lock()
		if cc := p.conn.Load(); cc != nil && !cc.isDead() {
			p.mu.Unlock()
			return cc, nil
		}
		if wait := p.dialing; wait != nil {
			p.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		wait := make(chan struct{})
		p.dialing = wait
		p.mu.Unlock()

		cc, err := c.open(ctx, k)
		p.mu.Lock()
		p.dialing = nil
		if err == nil {
			p.conn.Store(cc)
		}
		p.mu.Unlock()
		close(wait)
		return cc, err
	}
}

// isDead reports whether the connection is closed or closing.
func (cc *clientConn) isDead() bool {
	select {
	case <-cc.done:
		return true
	default:
	}
	return cc.dead.Load()
}

// open dials k's peer and starts the connection's reply reader: a
// goroutine, or the Poller for a connection of calls that do not wait.
func (c *Client) open(ctx context.Context, k peerKey) (*clientConn, error) {
	addr := k.addr
	nc, err := c.dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	if c.key != nil {
		dl, _ := ctx.Deadline()
		if err := authClient(nc, c.key, dl); err != nil {
			_ = nc.Close()
			return nil, err
		}
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		_ = nc.Close()
		return nil, ErrConnClosed
	}
	cc := &clientConn{
		frameConn: newFrameConn(nc, c.self, addr, c.faults, c.maxFrame),
		client:    c,
		key:       k,
		pending:   make(map[uint64]waiter),
	}
	cc.lastRead.Store(time.Now().UnixNano())
	c.wg.Add(1)
	c.mu.Unlock()
	if !k.started || !c.poll(nc, cc) {
		go c.readReplies(cc)
	}
	return cc, nil
}

// readReplies hands each reply to its waiter until the connection fails,
// then fails every pending call (end). A Poller does the same with
// polledConn.
func (c *Client) readReplies(cc *clientConn) {
	defer c.wg.Done()
	r := bufio.NewReaderSize(cc.sock, 64<<10)
	var err error
	for {
		var f frame
		if f, err = cc.readFrame(r, nil); err != nil {
			break
		}
		if f.flags&flagReply == 0 {
			err = fmt.Errorf("unexpected request frame from %s", cc.peer)
			break
		}
		cc.handReply(f)
	}
	cc.end(fmt.Errorf("connection to %s: %w", cc.peer, err))
	cc.writerWG.Wait()
}

// handReply hands the reply f to the call waiting for it, if any.
func (cc *clientConn) handReply(f frame) {
	cc.replies.Add(1)
	cc.lastRead.Store(time.Now().UnixNano())
	cc.mu.Lock()
	w := cc.pending[f.id]
	delete(cc.pending, f.id)
	cc.mu.Unlock()
	w.reply(f)
}

// end closes the connection, with err as why, and fails every pending
// call: Call's by closing its channel, Start's by calling its done.
func (cc *clientConn) end(err error) {
	cc.close(err)
	cc.mu.Lock()
	cc.dead.Store(true)
	var started []waiter // failed after the lock: their done may take locks of its own
	for id, w := range cc.pending {
		if w.ch != nil {
			close(w.ch)
		} else {
			started = append(started, w)
		}
		delete(cc.pending, id)
	}
	cc.mu.Unlock()
	for _, w := range started {
		w.fail(cc.closeErr())
	}
}

// Drop closes the connection to addr, if any, so the next call redials;
// calls waiting on it fail with why.
func (c *Client) Drop(addr string, why error) {
	for _, started := range []bool{false, true} {
		c.mu.Lock()
		p := c.peers[peerKey{addr: addr, started: started}]
		c.mu.Unlock()
		if p == nil {
			continue
		}
		p.mu.Lock()
		cc := p.conn.Swap(nil)
		p.mu.Unlock()
		if cc != nil {
			cc.close(why)
		}
	}
}

// Close closes every connection and waits for their goroutines.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	peers := c.peers
	c.peers = map[peerKey]*peerConn{}
	c.mu.Unlock()
	for _, p := range peers {
		if cc := p.conn.Load(); cc != nil {
			cc.close(ErrConnClosed)
		}
	}
	c.wg.Wait()
}

// Peers returns how many connections the client has dialed (or is
// dialing) and not dropped since: one multiplexed connection per peer, and
// with a Poller one more per peer for the calls that do not wait.
func (c *Client) Peers() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.peers)
}
