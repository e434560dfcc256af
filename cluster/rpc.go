package cluster

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Kind names an internode call. Adding a call is a new constant, a Handler
// registered on the rpcServer, and a small client method that encodes the
// request and decodes the reply.
type Kind uint8

// Call kinds. Never renumber: the value is on the wire.
const (
	KindPing      Kind = 1 // payload echoed back
	KindForward   Kind = 2 // a client command run on its slot's owner
	KindPushTable Kind = 3 // a routing table offered to the receiver
	KindPullTable Kind = 4 // ask for the receiver's routing table
	// KindForwardBatch: client commands run in order on one session (forward.go).
	KindForwardBatch Kind = 5
	// KindReplicate: a batch of replication stream entries (stream.go).
	KindReplicate Kind = 6
	// KindReplState: a replica's per-slot receiving state (failover.go).
	KindReplState Kind = 7
	// KindHandoff: the coordinator asks a primary to hand slots off (handoff.go).
	KindHandoff Kind = 8
	// KindTakeover: a primary tells a synced replica it leads a slot now.
	KindTakeover Kind = 9
	// KindPrefer: a node asks the coordinator to make it the primary of
	// the slots it replicates (CLUSTER FAILOVER, prefer.go).
	KindPrefer Kind = 10
)

func (k Kind) String() string {
	switch k {
	case KindPing:
		return "ping"
	case KindForward:
		return "forward"
	case KindPushTable:
		return "push-table"
	case KindPullTable:
		return "pull-table"
	case KindForwardBatch:
		return "forward-batch"
	case KindReplicate:
		return "replicate"
	case KindReplState:
		return "repl-state"
	case KindHandoff:
		return "handoff"
	case KindTakeover:
		return "takeover"
	case KindPrefer:
		return "prefer"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Frame layout (after the connection preface), all big endian:
//
//	length  uint32  payload length (limited by the connection's max frame size)
//	id      uint64  request id, chosen by the caller, echoed in the reply
//	kind    uint8
//	flags   uint8   flagReply, flagError
//	timeout uint32  milliseconds the caller will wait (requests; 0 = none)
//	payload [length]byte
const (
	frameHeaderLen = 4 + 8 + 1 + 1 + 4

	flagReply = 1 << 0
	flagError = 1 << 1 // reply payload is an error message

	// DefaultMaxFrameSize bounds one frame's payload: a forwarded command
	// may carry a value as large as Redis's proto-max-bulk-len (512 MiB).
	DefaultMaxFrameSize = 512<<20 + 64<<10
	// MinFrameSize is the smallest frame limit a node accepts: a routing
	// table (about 3 bytes per slot and owner) must always fit.
	MinFrameSize = 1 << 20

	// maxInflightPerConn bounds the handler goroutines one inbound
	// connection may have running; further requests wait in the reader.
	maxInflightPerConn = 1024
	// eagerAllocLimit: payloads up to this size are allocated in one go
	// when their header arrives; larger ones grow as they are read.
	eagerAllocLimit = 1 << 20
	// writeQueueLen is the per-connection queue of frames to write.
	writeQueueLen = 256
)

// ErrFrameTooLarge is returned for a payload over the frame size limit.
var ErrFrameTooLarge = errors.New("rpc frame too large")

// errConnClosed fails the calls pending on a connection that went away.
var errConnClosed = errors.New("rpc connection closed")

// RemoteError is an error returned by the handler on the peer.
type RemoteError struct {
	Kind Kind
	Msg  string
}

func (e *RemoteError) Error() string { return fmt.Sprintf("remote %s: %s", e.Kind, e.Msg) }

// Handler serves one call kind. from is the caller's cluster address; req
// is only valid during the call. It appends its reply payload to reply.
type Handler func(ctx context.Context, from string, req []byte, reply []byte) ([]byte, error)

type frame struct {
	id      uint64
	kind    Kind
	flags   uint8
	timeout uint32
	payload []byte
}

// frameConn is one RPC connection, either end: a writer goroutine that
// batches queued frames into as few writes as it can (flushing when the
// queue runs empty), and a reader loop run by the owner (client or server).
// close is idempotent; it closes the socket, which ends the reader, and the
// done channel, which ends the writer.
type frameConn struct {
	c        net.Conn
	self     string // our cluster address, for Faults
	peer     string // the peer's cluster address, for Faults
	faults   *Faults
	maxFrame int

	out       chan frame
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex // guards err
	err       error      // why the connection closed
	writerWG  sync.WaitGroup
}

func newFrameConn(c net.Conn, self, peer string, faults *Faults, maxFrame int) *frameConn {
	fc := &frameConn{
		c:        c,
		self:     self,
		peer:     peer,
		faults:   faults,
		maxFrame: maxFrame,
		out:      make(chan frame, writeQueueLen),
		done:     make(chan struct{}),
	}
	fc.writerWG.Add(1)
	go fc.writeLoop()
	return fc
}

func (fc *frameConn) close(err error) {
	fc.closeOnce.Do(func() {
		fc.errMu.Lock()
		fc.err = err
		fc.errMu.Unlock()
		close(fc.done)
		_ = fc.c.Close()
	})
}

func (fc *frameConn) closeErr() error {
	fc.errMu.Lock()
	defer fc.errMu.Unlock()
	if fc.err == nil {
		return errConnClosed
	}
	return fc.err
}

// send queues a frame for the writer, waiting for room until ctx ends or
// the connection closes.
func (fc *frameConn) send(ctx context.Context, f frame) error {
	select {
	case fc.out <- f:
		return nil
	case <-fc.done:
		return fc.closeErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (fc *frameConn) writeLoop() {
	defer fc.writerWG.Done()
	w := bufio.NewWriterSize(fc.c, 64<<10)
	var hdr [frameHeaderLen]byte
	for {
		var f frame
		select {
		case f = <-fc.out:
		case <-fc.done:
			return
		}
		for {
			// A cut drops the frame on the floor, as the network would.
			if fc.faults.Allow(fc.self, fc.peer) {
				binary.BigEndian.PutUint32(hdr[0:], uint32(len(f.payload)))
				binary.BigEndian.PutUint64(hdr[4:], f.id)
				hdr[12] = byte(f.kind)
				hdr[13] = f.flags
				binary.BigEndian.PutUint32(hdr[14:], f.timeout)
				_, err := w.Write(hdr[:])
				if err == nil {
					_, err = w.Write(f.payload)
				}
				if err != nil {
					fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
					return
				}
			}
			select {
			case f = <-fc.out:
				continue
			default:
			}
			break
		}
		if err := w.Flush(); err != nil {
			fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
			return
		}
	}
}

// readFrame reads the next frame; frames from a cut peer are skipped.
func (fc *frameConn) readFrame(r *bufio.Reader) (frame, error) {
	var hdr [frameHeaderLen]byte
	for {
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return frame{}, err
		}
		n := binary.BigEndian.Uint32(hdr[0:])
		if int64(n) > int64(fc.maxFrame) {
			return frame{}, fmt.Errorf("%w: %d bytes from %s, limit %d", ErrFrameTooLarge, n, fc.peer, fc.maxFrame)
		}
		f := frame{
			id:      binary.BigEndian.Uint64(hdr[4:]),
			kind:    Kind(hdr[12]),
			flags:   hdr[13],
			timeout: binary.BigEndian.Uint32(hdr[14:]),
		}
		if n <= eagerAllocLimit {
			f.payload = make([]byte, n)
			if _, err := io.ReadFull(r, f.payload); err != nil {
				return frame{}, err
			}
		} else {
			// Grow with the data that actually arrives, so a header
			// alone cannot make us allocate the whole limit.
			var buf bytes.Buffer
			if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return frame{}, err
			}
			f.payload = buf.Bytes()
		}
		if fc.faults.Allow(fc.peer, fc.self) {
			return f, nil
		}
	}
}

// rpcServer serves inbound RPC connections handed over by the Transport.
//
// Goroutines: per connection, the frameConn writer and a reader loop; per
// request, one handler goroutine (at most maxInflightPerConn per
// connection). Requests of one connection run concurrently, so callers that
// need order wait for a reply before sending the next call. close cancels
// the handlers' context, closes every connection and waits for all of them.
type rpcServer struct {
	self     string
	key      []byte // cluster key; nil: no handshake (auth.go)
	faults   *Faults
	maxFrame int
	logger   *slog.Logger
	handlers map[Kind]Handler // filled before the transport starts; read-only after

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards conns, raw, closed
	conns  map[*frameConn]struct{}
	raw    map[net.Conn]struct{} // connections still in the handshake
	closed bool
	wg     sync.WaitGroup // one per connection: handshake, then readLoop
}

func newRPCServer(self string, key []byte, faults *Faults, maxFrame int, logger *slog.Logger) *rpcServer {
	ctx, cancel := context.WithCancel(context.Background())
	return &rpcServer{
		self:     self,
		key:      key,
		faults:   faults,
		maxFrame: maxFrame,
		logger:   logger,
		handlers: make(map[Kind]Handler),
		ctx:      ctx,
		cancel:   cancel,
		conns:    make(map[*frameConn]struct{}),
		raw:      make(map[net.Conn]struct{}),
	}
}

// handle registers the handler for a kind. Call before serving.
func (s *rpcServer) handle(k Kind, h Handler) { s.handlers[k] = h }

// serveConn implements rpcAcceptor: it runs the handshake (if there is a
// key) and then the connection's read loop, in a goroutine of its own.
func (s *rpcServer) serveConn(c net.Conn, from string) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	s.raw[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go s.serve(c, from)
}

func (s *rpcServer) serve(c net.Conn, from string) {
	defer s.wg.Done()
	var err error
	if s.key != nil {
		err = authServer(c, s.key)
	}
	s.mu.Lock()
	delete(s.raw, c)
	if err != nil || s.closed {
		s.mu.Unlock()
		if err != nil {
			s.logger.Warn("refusing rpc connection", "peer", from, "remote", c.RemoteAddr(), "err", err)
		}
		_ = c.Close()
		return
	}
	fc := newFrameConn(c, s.self, from, s.faults, s.maxFrame)
	s.conns[fc] = struct{}{}
	s.mu.Unlock()
	s.readLoop(fc)
}

func (s *rpcServer) readLoop(fc *frameConn) {
	var handlers sync.WaitGroup
	sem := make(chan struct{}, maxInflightPerConn)
	defer func() {
		handlers.Wait()
		fc.writerWG.Wait()
		s.mu.Lock()
		delete(s.conns, fc)
		s.mu.Unlock()
	}()
	r := bufio.NewReaderSize(fc.c, 64<<10)
	for {
		f, err := fc.readFrame(r)
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				s.logger.Warn("closing rpc connection", "peer", fc.peer, "err", err)
			}
			fc.close(err)
			return
		}
		if f.flags&flagReply != 0 {
			fc.close(fmt.Errorf("unexpected reply frame from %s", fc.peer))
			return
		}
		select {
		case sem <- struct{}{}:
		case <-fc.done:
			return
		}
		handlers.Add(1)
		go func() {
			defer handlers.Done()
			defer func() { <-sem }()
			s.run(fc, f)
		}()
	}
}

// run executes one request and queues its reply.
func (s *rpcServer) run(fc *frameConn, f frame) {
	ctx := s.ctx
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(f.timeout)*time.Millisecond)
		defer cancel()
	}
	reply := frame{id: f.id, kind: f.kind, flags: flagReply}
	h := s.handlers[f.kind]
	var err error
	if h == nil {
		err = fmt.Errorf("unknown rpc kind %d", uint8(f.kind))
	} else {
		reply.payload, err = h(ctx, fc.peer, f.payload, nil)
		if err == nil && len(reply.payload) > s.maxFrame {
			err = fmt.Errorf("%w: reply of %d bytes, limit %d", ErrFrameTooLarge, len(reply.payload), s.maxFrame)
		}
	}
	if err != nil {
		reply.flags |= flagError
		reply.payload = []byte(err.Error())
	}
	// The reply is sent even if the caller's timeout passed: it is cheap,
	// and the caller drops replies nobody waits for.
	_ = fc.send(s.ctx, reply)
}

// close stops serving: it closes every connection and waits for readers,
// writers and handlers to return.
func (s *rpcServer) close() {
	s.mu.Lock()
	s.closed = true
	conns := make([]*frameConn, 0, len(s.conns))
	for fc := range s.conns {
		conns = append(conns, fc)
	}
	for c := range s.raw {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	for _, fc := range conns {
		fc.close(errConnClosed)
	}
	s.wg.Wait()
}

// rpcClient keeps one multiplexed connection per peer, dialed on first use
// and redialed after a failure.
//
// Goroutines: per live connection, the frameConn writer and a reply reader
// that hands each reply to its waiter; both stop when the connection closes
// (on an I/O error, a protocol error, or close). close closes every
// connection and waits for them.
type rpcClient struct {
	self     string
	key      []byte // cluster key; nil: no handshake (auth.go)
	faults   *Faults
	maxFrame int
	dial     func(ctx context.Context, addr string) (net.Conn, error)

	mu     sync.Mutex // guards peers, closed
	peers  map[string]*peerConn
	closed bool
	wg     sync.WaitGroup // reply readers
}

func newRPCClient(self string, key []byte, faults *Faults, maxFrame int, dial func(ctx context.Context, addr string) (net.Conn, error)) *rpcClient {
	return &rpcClient{self: self, key: key, faults: faults, maxFrame: maxFrame, dial: dial, peers: make(map[string]*peerConn)}
}

// peerConn is the client side of one peer: the current connection (or
// none), and the dial in progress, if any.
type peerConn struct {
	addr    string
	mu      sync.Mutex    // guards conn, dialing
	conn    *clientConn   // nil or closed: dial on next call
	dialing chan struct{} // closed when the dial in progress ends
}

// clientConn is one connection with its table of calls awaiting replies.
type clientConn struct {
	*frameConn
	replies atomic.Uint64 // frames read so far (stall detection in call)
	mu      sync.Mutex    // guards nextID, pending, dead
	nextID  uint64
	pending map[uint64]chan frame
	dead    bool
}

// connStallAfter is how long a call may wait on a connection that reads
// nothing before the connection is taken for dead. A connection across a
// healed partition can hold its data in TCP's retransmission backoff for
// tens of seconds while the network works again; a fresh dial does not.
const connStallAfter = time.Second

// errStalled closes a connection that answered nothing for a call's whole
// wait.
var errStalled = errors.New("no reply within the call's deadline: connection taken for dead")

// call sends one request to addr and waits for its reply or for ctx.
func (c *rpcClient) call(ctx context.Context, addr string, kind Kind, payload []byte) ([]byte, error) {
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
	ch := make(chan frame, 1)
	cc.mu.Lock()
	if cc.dead {
		cc.mu.Unlock()
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, cc.closeErr())
	}
	cc.nextID++
	id := cc.nextID
	cc.pending[id] = ch
	cc.mu.Unlock()
	forget := func() {
		cc.mu.Lock()
		delete(cc.pending, id)
		cc.mu.Unlock()
	}
	f := frame{id: id, kind: kind, payload: payload}
	if dl, ok := ctx.Deadline(); ok {
		ms := time.Until(dl).Milliseconds()
		f.timeout = uint32(min(max(ms, 1), int64(^uint32(0))))
	}
	seen, sent := cc.replies.Load(), time.Now()
	if err := cc.send(ctx, f); err != nil {
		forget()
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("%s to %s: %w", kind, addr, cc.closeErr())
		}
		if r.flags&flagError != 0 {
			return nil, &RemoteError{Kind: kind, Msg: string(r.payload)}
		}
		return r.payload, nil
	case <-ctx.Done():
		forget()
		if time.Since(sent) >= connStallAfter && cc.replies.Load() == seen {
			cc.close(fmt.Errorf("connection to %s: %w", addr, errStalled))
		}
		return nil, fmt.Errorf("%s to %s: %w", kind, addr, ctx.Err())
	}
}

// conn returns the live connection to addr, dialing if there is none. Only
// one dial per peer runs at a time; other callers wait for it or their ctx.
func (c *rpcClient) conn(ctx context.Context, addr string) (*clientConn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errConnClosed
	}
	p := c.peers[addr]
	if p == nil {
		p = &peerConn{addr: addr}
		c.peers[addr] = p
	}
	c.mu.Unlock()
	for {
		p.mu.Lock()
		if p.conn != nil && !p.conn.isDead() {
			cc := p.conn
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

		cc, err := c.open(ctx, addr)
		p.mu.Lock()
		p.dialing = nil
		if err == nil {
			p.conn = cc
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
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.dead
}

// open dials addr and starts the connection's reply reader.
func (c *rpcClient) open(ctx context.Context, addr string) (*clientConn, error) {
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
		return nil, errConnClosed
	}
	cc := &clientConn{
		frameConn: newFrameConn(nc, c.self, addr, c.faults, c.maxFrame),
		pending:   make(map[uint64]chan frame),
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go c.readReplies(cc)
	return cc, nil
}

// readReplies hands each reply to its waiter until the connection fails,
// then fails every pending call by closing its channel.
func (c *rpcClient) readReplies(cc *clientConn) {
	defer c.wg.Done()
	r := bufio.NewReaderSize(cc.c, 64<<10)
	var err error
	for {
		var f frame
		if f, err = cc.readFrame(r); err != nil {
			break
		}
		if f.flags&flagReply == 0 {
			err = fmt.Errorf("unexpected request frame from %s", cc.peer)
			break
		}
		cc.replies.Add(1)
		cc.mu.Lock()
		ch := cc.pending[f.id]
		delete(cc.pending, f.id)
		cc.mu.Unlock()
		if ch != nil {
			ch <- f // buffered, one reply per call
		}
	}
	cc.close(fmt.Errorf("connection to %s: %w", cc.peer, err))
	cc.mu.Lock()
	cc.dead = true
	for id, ch := range cc.pending {
		close(ch)
		delete(cc.pending, id)
	}
	cc.mu.Unlock()
	cc.writerWG.Wait()
}

// drop closes the connection to addr, if any, so the next call redials;
// calls waiting on it fail with why.
func (c *rpcClient) drop(addr string, why error) {
	c.mu.Lock()
	p := c.peers[addr]
	c.mu.Unlock()
	if p == nil {
		return
	}
	p.mu.Lock()
	cc := p.conn
	p.conn = nil
	p.mu.Unlock()
	if cc != nil {
		cc.close(why)
	}
}

// close closes every connection and waits for their goroutines.
func (c *rpcClient) close() {
	c.mu.Lock()
	c.closed = true
	peers := c.peers
	c.peers = map[string]*peerConn{}
	c.mu.Unlock()
	for _, p := range peers {
		p.mu.Lock()
		cc := p.conn
		p.mu.Unlock()
		if cc != nil {
			cc.close(errConnClosed)
		}
	}
	c.wg.Wait()
}
