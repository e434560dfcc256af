package transport

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Server serves inbound RPC connections handed over by the Transport.
//
// Goroutines: per connection, the frameConn writer, a reader loop and the
// workers that run its requests (at most maxInflightPerConn, reused from
// one request to the next: see readLoop). Requests of one connection run
// concurrently, so callers that need order wait for a reply before sending
// the next call. close cancels
// the handlers' context, closes every connection and waits for all of them.
type Server struct {
	self     string
	key      []byte // cluster key; nil: no handshake (auth.go)
	faults   *Faults
	maxFrame int
	logger   *slog.Logger
	handlers map[Kind]Handler    // filled before the transport starts; read-only after
	inline   map[Kind]TryHandler // likewise: see HandleInline

	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex // guards conns, raw, closed
	conns  map[*frameConn]struct{}
	raw    map[net.Conn]struct{} // connections still in the handshake
	closed bool
	wg     sync.WaitGroup // one per connection: handshake, then readLoop
}

func NewServer(self string, key []byte, faults *Faults, maxFrame int, logger *slog.Logger) *Server {
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{
		self:     self,
		key:      key,
		faults:   faults,
		maxFrame: maxFrame,
		logger:   logger,
		handlers: make(map[Kind]Handler),
		inline:   make(map[Kind]TryHandler),
		ctx:      ctx,
		cancel:   cancel,
		conns:    make(map[*frameConn]struct{}),
		raw:      make(map[net.Conn]struct{}),
	}
}

// Handle registers the handler for a kind. Call before serving.
func (s *Server) Handle(k Kind, h Handler) { s.handlers[k] = h }

// HandleInline registers the handler for a kind, like Handle, with try,
// which runs first, in the connection's reader goroutine, each request it
// can serve without waiting (for a lock held long, a replica, a key to be
// pushed): the reader puts the reply in the connection's write buffer
// itself and writes it out when no further request is buffered (one write
// answers every request that came in one read). A request try declines goes
// to h on a worker, its reply to the writer goroutine. try may also run a
// request whose reply must wait (a forwarded write's, for its replicas)
// and answer it later through Later, so that no goroutine waits for it.
// While try runs, the
// connection reads nothing else. Call before serving.
func (s *Server) HandleInline(k Kind, h Handler, try TryHandler) {
	s.handlers[k] = h
	s.inline[k] = try
}

// ServeConn implements Acceptor: it runs the handshake (if there is a
// key) and then the connection's read loop, in a goroutine of its own.
func (s *Server) ServeConn(c net.Conn, from string) {
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

func (s *Server) serve(c net.Conn, from string) {
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

// readLoop reads the connection's requests and hands each to a worker: a
// parked one when there is one (it keeps the stack it grew on earlier
// requests, so a request costs neither a goroutine start nor stack
// copying), else a new one, up to maxInflightPerConn workers; at the limit
// the reader waits for a worker to come free. Workers park for the next
// request while fewer than maxParkedWorkers are parked, else they return.
// All of them return once the connection closes; readLoop waits for them.
func (s *Server) readLoop(fc *frameConn) {
	var workers sync.WaitGroup
	sem := make(chan struct{}, maxInflightPerConn) // one token per worker
	next := make(chan frame)                       // to a parked worker
	var parked atomic.Int32
	defer func() {
		workers.Wait()
		fc.writerWG.Wait()
		s.mu.Lock()
		delete(s.conns, fc)
		s.mu.Unlock()
	}()
	r := bufio.NewReaderSize(fc.sock, 64<<10)
	var direct []byte  // the reply buffer of inline requests, reused
	unflushed := false // inline replies wait in fc.w
	flush := func() error {
		if !unflushed {
			return nil
		}
		unflushed = false
		return fc.flushDirect()
	}
	for {
		f, err := fc.readFrame(r, flush)
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
		if try := s.inline[f.kind]; try != nil && fc.faults.DelayOf(fc.self, fc.peer) == 0 {
			if reply, ran := s.serve1(fc, f, try, direct[:0]); ran {
				if reply.flags&flagLater != 0 {
					continue // its handler answers it (Later)
				}
				if err := fc.writeDirect(reply); err != nil {
					fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
					return
				}
				unflushed = true
				if reply.flags&flagError == 0 && cap(reply.payload) <= maxDirectReuse {
					direct = reply.payload[:0]
				}
				continue
			}
		}
		select {
		case next <- f:
			continue
		default:
		}
		if err := flush(); err != nil { // the reader may wait below
			fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
			return
		}
		select {
		case next <- f:
		case sem <- struct{}{}:
			workers.Add(1)
			go s.work(fc, f, next, sem, &parked, &workers)
		case <-fc.done:
			return
		}
	}
}

// maxDirectReuse bounds the reply buffer a connection's reader keeps for
// its next inline request.
const maxDirectReuse = 64 << 10

// maxParkedWorkers bounds the idle workers one inbound connection keeps
// parked for its next requests: with 500 clients forwarding through one
// node, 32 left a tenth of the receivers' CPU to stack growth of new
// workers. Each parked worker keeps its stack (a few KiB; the GC shrinks
// idle ones), so a connection holds at most a few MiB for them.
const maxParkedWorkers = 128

// work runs f, then the requests handed to it while parked, until the
// connection closes or enough other workers are parked; then it gives back
// its token in sem.
func (s *Server) work(fc *frameConn, f frame, next <-chan frame, sem <-chan struct{}, parked *atomic.Int32, wg *sync.WaitGroup) {
	defer wg.Done()
	defer func() { <-sem }()
	for {
		s.run(fc, f)
		if parked.Add(1) > maxParkedWorkers {
			parked.Add(-1)
			return
		}
		select {
		case f = <-next:
			parked.Add(-1)
		case <-fc.done:
			parked.Add(-1)
			return
		}
	}
}

// run executes one request and queues its reply for the writer, or
// writes it itself when its kind's frames are written by whoever has them
// (Kind.writtenInline) and the connection is idle.
func (s *Server) run(fc *frameConn, f frame) {
	// The reply is sent even if the caller's timeout passed: it is cheap,
	// and the caller drops replies nobody waits for.
	reply, _ := s.serve1(fc, f, nil, nil)
	if f.kind.writtenInline() {
		// Its write may take as long as the call could wait (none without
		// a timeout), from now.
		var dl time.Time
		if f.timeout > 0 {
			dl = time.Now().Add(time.Duration(f.timeout) * time.Millisecond)
		}
		_ = fc.sendNow(s.ctx, dl, reply)
		return
	}
	_ = fc.send(s.ctx, reply)
}

// serve1 executes one request with its kind's Handler, or with try when
// that is set, and returns its reply frame, whose payload the handler
// appended to buf. ran is false when try declined the request: it did
// nothing, and the frame means nothing. A reply flagged flagLater is not
// to be written: try answers the request itself (Later).
func (s *Server) serve1(fc *frameConn, f frame, try TryHandler, buf []byte) (reply frame, ran bool) {
	ctx := &callCtx{parent: s.ctx}
	if f.timeout > 0 {
		ctx.deadline = time.Now().Add(time.Duration(f.timeout) * time.Millisecond)
	}
	defer ctx.release()
	reply = frame{id: f.id, kind: f.kind, flags: flagReply}
	var err error
	switch h := s.handlers[f.kind]; {
	case try != nil:
		later := Later{fc: fc, id: f.id, kind: f.kind, maxFrame: s.maxFrame}
		if reply.payload, ran, err = try(ctx, fc.peer, f.payload, buf, later); !ran {
			return reply, false
		}
		if err == ErrAnswerLater {
			reply.flags |= flagLater
			return reply, true
		}
	case h == nil:
		err = fmt.Errorf("unknown rpc kind %d", uint8(f.kind))
	default:
		reply.payload, err = h(ctx, fc.peer, f.payload, buf)
	}
	if err == nil && len(reply.payload) > s.maxFrame {
		err = fmt.Errorf("%w: reply of %d bytes, limit %d", ErrFrameTooLarge, len(reply.payload), s.maxFrame)
	}
	if err != nil {
		reply.flags |= flagError
		reply.payload = []byte(err.Error())
	}
	return reply, true
}

// Conns returns how many inbound RPC connections the server serves now.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Close stops serving: it closes every connection and waits for readers,
// writers and handlers to return.
func (s *Server) Close() {
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
		fc.close(ErrConnClosed)
	}
	s.wg.Wait()
}
