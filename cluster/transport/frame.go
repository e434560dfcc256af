package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/transport/rawsock"
)

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
	// flagLater marks, inside the server only, a reply its TryHandler
	// sends later (Later); it never goes on the wire.
	flagLater = 1 << 7

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
	// yieldBelow: the writer yields once before writing a batch of fewer
	// frames than this, for more to join it.
	yieldBelow = 8
)

// ErrFrameTooLarge is returned for a payload over the frame size limit.
var ErrFrameTooLarge = errors.New("rpc frame too large")

// ErrConnClosed fails the calls pending on a connection that went away.
var ErrConnClosed = errors.New("rpc connection closed")

// RemoteError is an error returned by the handler on the peer.
type RemoteError struct {
	Kind Kind
	Msg  string
}

func (e *RemoteError) Error() string { return fmt.Sprintf("remote %s: %s", e.Kind, e.Msg) }

// Handler serves one call kind. from is the caller's cluster address; req
// is only valid during the call. It appends its reply payload to reply.
type Handler func(ctx context.Context, from string, req []byte, reply []byte) ([]byte, error)

// TryHandler serves a call in the connection's reader if it can without
// waiting (see Server.HandleInline): it returns ran=true with the reply (or
// the error) as a Handler would, or ran=false having done nothing, and the
// call goes to the kind's Handler on a worker. A call it ran whose reply
// must wait (a forwarded write's, for its replicas) it may answer later:
// it keeps later and returns ran=true with ErrAnswerLater, and calls
// later.Answer once, from any goroutine. out must not alias reply then
// (the reader reuses that buffer).
type TryHandler func(ctx context.Context, from string, req []byte, reply []byte, later Later) (out []byte, ran bool, err error)

// ErrAnswerLater is a TryHandler's error for a call it ran and will
// answer through its Later.
var ErrAnswerLater = errors.New("answered later")

// Later answers a call after its TryHandler returned (ErrAnswerLater).
// The zero Later answers nothing.
type Later struct {
	fc       *frameConn
	id       uint64
	kind     Kind
	maxFrame int
}

// Answer sends the call's reply (err: its error) without waiting: it
// puts the frame in the connection's write queue for the writer, which
// joins the answers made meanwhile into one write; only when the queue is
// full does a goroutine of its own wait for room. An answer on a closed
// connection is dropped: the caller's call has failed already.
func (l Later) Answer(payload []byte, err error) {
	if l.fc == nil {
		return
	}
	f := frame{id: l.id, kind: l.kind, flags: flagReply, payload: payload}
	if err == nil && len(payload) > l.maxFrame {
		err = fmt.Errorf("%w: reply of %d bytes, limit %d", ErrFrameTooLarge, len(payload), l.maxFrame)
	}
	if err != nil {
		f.flags |= flagError
		f.payload = []byte(err.Error())
	}
	select {
	case l.fc.out <- f:
	case <-l.fc.done:
	default:
		go func() { _ = l.fc.send(context.Background(), f) }() // ends with a place in the queue or the connection
	}
}

// Below is a TryHandler that runs requests of at most max bytes with h.
func Below(max int, h Handler) TryHandler {
	return func(ctx context.Context, from string, req, reply []byte, _ Later) ([]byte, bool, error) {
		if len(req) > max {
			return nil, false, nil
		}
		out, err := h(ctx, from, req, reply)
		return out, true, err
	}
}

type frame struct {
	id      uint64
	kind    Kind
	flags   uint8
	timeout uint32
	payload []byte
}

// frameConn is one RPC connection, either end: a writer goroutine that
// batches queued frames into as few writes as it can (flushing when the
// queue runs empty, after yielding the processor once so that goroutines
// ready to run can queue theirs first: with many callers, one write system
// call carries the frames of many), and a reader loop run by the owner
// (client or server). The server's reader may also write replies itself
// (writeDirect, flushDirect: requests it runs inline), and a caller may
// write its frame itself when the connection is idle (sendNow), into the
// same buffered writer under wmu, so that frames never interleave.
// close is idempotent; it closes the socket, which ends the reader, and the
// done channel, which ends the writer.
type frameConn struct {
	c        net.Conn
	sock     io.ReadWriter // c read and written through rawsock.Of
	self     string        // our cluster address, for Faults
	peer     string        // the peer's cluster address, for Faults
	faults   *Faults
	maxFrame int

	out       chan frame
	done      chan struct{}
	closeOnce sync.Once
	errMu     sync.Mutex // guards err
	err       error      // why the connection closed
	writerWG  sync.WaitGroup

	wmu sync.Mutex    // guards w: held while frames are put in it and while it is flushed
	w   *bufio.Writer // the socket's write buffer; its error is sticky

	// onClose, if set, is called after the connection closed: a Poller's
	// wake-up (poll.go).
	onClose atomic.Pointer[func()]
}

func newFrameConn(c net.Conn, self, peer string, faults *Faults, maxFrame int) *frameConn {
	sock := rawsock.Of(c)
	fc := &frameConn{
		c:        c,
		sock:     sock,
		self:     self,
		peer:     peer,
		faults:   faults,
		maxFrame: maxFrame,
		out:      make(chan frame, writeQueueLen),
		done:     make(chan struct{}),
		w:        bufio.NewWriterSize(sock, 64<<10),
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
	if f := fc.onClose.Load(); f != nil {
		(*f)()
	}
}

func (fc *frameConn) closeErr() error {
	fc.errMu.Lock()
	defer fc.errMu.Unlock()
	if fc.err == nil {
		return ErrConnClosed
	}
	return fc.err
}

// send queues a frame for the writer, waiting for room until ctx ends or
// the connection closes.
func (fc *frameConn) send(ctx context.Context, f frame) error {
	select { // the common case, a queue with room, locks only the queue
	case fc.out <- f:
		return nil
	default:
	}
	select {
	case fc.out <- f:
		return nil
	case <-fc.done:
		return fc.closeErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendNow writes f from the calling goroutine when the connection is idle
// (no frame queued, no batch being written, no delay fault), saving the
// handoff to the writer goroutine and back (a wake of a parked goroutine,
// often a futex wake of an idle thread); otherwise it queues f as send
// does. The write is bounded by dl (none when zero): a peer that reads
// nothing (SIGSTOP) fails it and closes the connection, as a call's stall
// does, instead of holding the caller. For one-call-at-a-time callers (the
// replication stream and its replies, Kind.writtenInline), where no other
// frame could join a batch; frames of one goroutine may then leave in
// another order than they were sent, which no caller relies on (the server
// runs a connection's requests concurrently).
func (fc *frameConn) sendNow(ctx context.Context, dl time.Time, f frame) error {
	if len(fc.out) > 0 || !fc.wmu.TryLock() {
		return fc.send(ctx, f)
	}
	if fc.faults.DelayOf(fc.self, fc.peer) > 0 {
		fc.wmu.Unlock()
		return fc.send(ctx, f)
	}
	if !dl.IsZero() {
		_ = fc.c.SetWriteDeadline(dl)
	}
	err := fc.putFrame(f)
	if err == nil {
		err = fc.w.Flush()
	}
	if !dl.IsZero() && err == nil {
		_ = fc.c.SetWriteDeadline(time.Time{})
	}
	fc.wmu.Unlock()
	if err != nil {
		fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
		return fc.closeErr()
	}
	return nil
}

func (fc *frameConn) writeLoop() {
	defer fc.writerWG.Done()
	batch := make([]frame, 0, writeQueueLen)
	for {
		var f frame
		select {
		case f = <-fc.out:
		case <-fc.done:
			return
		}
		batch = append(batch[:0], f)
		yielded := false
		for len(batch) < writeQueueLen {
			select {
			case f = <-fc.out:
				batch = append(batch, f)
				continue
			default:
			}
			if !yielded && len(batch) < yieldBelow {
				// Before a write system call, let the goroutines that are
				// ready to run queue their frames: they go in the same write.
				// A batch that is large already goes at once: with many
				// goroutines ready, the writer would wait behind all of them.
				yielded = true
				runtime.Gosched()
				continue
			}
			break
		}
		err := fc.writeFrames(batch)
		clear(batch) // the payloads are garbage now
		if err != nil {
			fc.close(fmt.Errorf("write to %s: %w", fc.peer, err))
			return
		}
	}
}

// errWriterDone: the connection closed while the writer waited out a slow
// link's delay.
var errWriterDone = errors.New("connection closed")

// writeFrames writes batch to the socket, in one write when it fits the
// buffer. A slow link (Faults) holds each frame, and those behind it, for
// its delay.
func (fc *frameConn) writeFrames(batch []frame) error {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	for _, f := range batch {
		if d := fc.faults.DelayOf(fc.self, fc.peer); d > 0 {
			if err := fc.w.Flush(); err != nil {
				return err
			}
			fc.wmu.Unlock()
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-fc.done:
				t.Stop()
				fc.wmu.Lock()
				return errWriterDone
			}
			fc.wmu.Lock()
		}
		if err := fc.putFrame(f); err != nil {
			return err
		}
	}
	return fc.w.Flush()
}

// putFrame puts f in the write buffer (wmu held). A cut drops the frame on
// the floor, as the network would.
func (fc *frameConn) putFrame(f frame) error {
	if !fc.faults.Allow(fc.self, fc.peer) {
		return nil
	}
	var hdr [frameHeaderLen]byte
	binary.BigEndian.PutUint32(hdr[0:], uint32(len(f.payload)))
	binary.BigEndian.PutUint64(hdr[4:], f.id)
	hdr[12] = byte(f.kind)
	hdr[13] = f.flags
	binary.BigEndian.PutUint32(hdr[14:], f.timeout)
	if _, err := fc.w.Write(hdr[:]); err != nil {
		return err
	}
	_, err := fc.w.Write(f.payload)
	return err
}

// writeDirect puts f in the write buffer from the calling goroutine,
// without the writer: it goes out with the next flush (flushDirect, or the
// writer's next batch). Only for a link without a delay (Faults.DelayOf):
// the writer alone waits out delays.
func (fc *frameConn) writeDirect(f frame) error {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	return fc.putFrame(f)
}

// flushDirect writes out what the write buffer holds.
func (fc *frameConn) flushDirect() error {
	fc.wmu.Lock()
	defer fc.wmu.Unlock()
	return fc.w.Flush()
}

// frameBuffered reports whether r holds the whole next frame, so that
// reading it takes no system call.
func frameBuffered(r *bufio.Reader) bool {
	if r.Buffered() < frameHeaderLen {
		return false
	}
	hdr, err := r.Peek(frameHeaderLen)
	if err != nil {
		return false
	}
	return uint64(r.Buffered()) >= frameHeaderLen+uint64(binary.BigEndian.Uint32(hdr))
}

// readFrame reads the next frame; frames from a cut peer are skipped.
// idle, if not nil, runs first whenever the next frame is not wholly in r,
// that is before reading may wait for the peer.
func (fc *frameConn) readFrame(r *bufio.Reader, idle func() error) (frame, error) {
	var hdr [frameHeaderLen]byte
	for {
		if idle != nil && !frameBuffered(r) {
			if err := idle(); err != nil {
				return frame{}, err
			}
		}
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
