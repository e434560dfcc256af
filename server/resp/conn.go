package resp

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/meshcache/meshcache/cluster/transport/rawsock"
)

// Redis's protocol limits (networking.c), applied while the commands are
// parsed (parse.go).
const (
	protoInlineMaxSize = 64 * 1024 // inline line or count line without a newline
	unauthMaxMultibulk = 10        // array length before AUTH, when a password is set
	unauthMaxBulk      = 16384     // bulk length before AUTH, when a password is set
)

// Input buffering. Arguments are slices of the input buffer, handed to the
// server without a copy; so that they stay valid for as long as anything
// holds them (a MULTI queue, a forwarded batch, a parked command), bytes
// once handed out are never written again: reads go to the free tail of
// the buffer, and when the tail is too short a new buffer (a slab) takes
// its place, with the unfinished part of the command copied over; the old
// slab is left to the garbage collector. Argument headers ([][]byte) come
// from a slab of their own under the same rule. The exception: when the
// server promises that nothing holds the arguments of the batches read
// from a slab (Recycle, unless Keep was called while it served), the next
// batch is read over them.
const (
	slabSize   = 16 * 1024 // an input slab, as Redis's PROTO_IOBUF_LEN
	minRead    = 2 * 1024  // a read needs at least this much free tail
	hdrSlab    = 512       // argument headers per header slab
	maxSlabArg = 1024      // a command with more arguments grows its own slice
	bigBulk    = 1 << 20   // a bulk up to this size gets its whole slab at once
)

// Conn is an accepted client connection: it reads what the client sends,
// parses it into commands once, applying Redis's protocol limits while it
// does (a violation ends the connection after the commands before it ran,
// with the error reply ProtocolError carries), applies the idle timeout
// (read deadline) and counts input and output bytes. The limits are asked
// of ConnLimits as the input is parsed, so that a change (CONFIG SET)
// applies to open connections.
//
// ReadBatch, Reads and AwaitClose are for the connection's goroutine only;
// Pending may be called from any goroutine (CLIENT LIST); Write by whoever
// writes replies (the connection's goroutine or its outbox's writer).
type Conn struct {
	net.Conn
	// sock is Conn read and written: its socket through raw system calls
	// when it is a TCP connection (rawsock.Of).
	sock     io.ReadWriter
	lim      ConnLimits
	inBytes  *atomic.Int64 // incremented by the bytes read
	outBytes *atomic.Int64 // incremented by the bytes written
	log      *slog.Logger

	buf     []byte // the input slab; buf[r:w] is read and not yet parsed
	r, w    int
	scanned int   // buf[r:scanned] holds no newline (parse.go line)
	rerr    error // error of the last network read, reported once buf[r:w] is parsed

	// The command being parsed (parse.go).
	st    protoState
	argc  int      // arguments its array announced
	args  [][]byte // its arguments so far
	bulk  int      // length of the bulk being read
	frame int64    // its bytes parsed so far
	limit int64    // client-query-buffer-limit, asked at each parse
	hdrs  [][]byte // the free part of the header slab
	// hdrSlab0 is the whole header slab hdrs is the free part of.
	hdrSlab0 [][]byte
	// kept: some argument handed out from the current input slab or
	// header slab may still be referenced (Keep); Recycle leaves that slab
	// alone. Cleared for each slab when a new one replaces it.
	bufKept, hdrKept bool
	batch            [][][]byte
	failed           *ProtocolError // the violation that ends the connection, nil if none

	deadline bool   // a read deadline is set
	reads    uint64 // calls of ReadBatch: each starts a new batch of commands (clock.go)

	pending atomic.Int64 // bytes of the command being received (CLIENT LIST qbuf)
	free    atomic.Int64 // free bytes of the input slab after the last parse (CLIENT LIST qbuf-free)

	// back holds bytes AwaitClose read while the connection's goroutine
	// was parked, and backErr the read error that ended the watch; fill
	// hands them on first. Written by AwaitClose's goroutine only while the
	// connection's goroutine waits in it; its stop function orders them.
	back    []byte
	backErr error

	out []byte // replies queued for the next Flush (serve.go)
}

// ConnLimits are the limits a Conn applies, asked as it parses: the
// server's configuration may change them while the connection is open.
type ConnLimits interface {
	IdleTimeout() time.Duration // close a client idle this long; 0 = never
	QueryBufLimit() int64       // client-query-buffer-limit: the largest command, in bytes
	MaxBulkLen() int64          // proto-max-bulk-len: the largest bulk string
	// Unauthenticated reports whether the unauthenticated limits apply: a
	// password is required and the client has not given it yet.
	Unauthenticated() bool
}

// ErrClientClosed ends a connection the server chose to close.
var ErrClientClosed = errors.New("client closed by server")

// ProtocolError is the violation that ends a connection: Reply is the
// error the client gets ("-ERR Protocol error: ..."), nil when it is
// closed without one (client-query-buffer-limit, as Redis).
type ProtocolError struct {
	Msg   string
	Quiet bool
}

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Reply is the error reply to send before closing, nil for none.
func (e *ProtocolError) Reply() []byte {
	if e.Quiet {
		return nil
	}
	return []byte("-ERR Protocol error: " + e.Msg + "\r\n")
}

// Is makes a protocol error an ErrClientClosed: the server closed the client.
func (e *ProtocolError) Is(target error) bool { return target == ErrClientClosed }

// NewConn wraps c. Bytes read and written are added to inBytes and
// outBytes; idle timeouts are logged to log (Debug).
func NewConn(c net.Conn, lim ConnLimits, inBytes, outBytes *atomic.Int64, log *slog.Logger) *Conn {
	return &Conn{Conn: c, sock: rawsock.Of(c), lim: lim, inBytes: inBytes, outBytes: outBytes, log: log}
}

// Pending returns the bytes of the command being received so far (CLIENT
// LIST qbuf), 0 at a command boundary. Safe from any goroutine.
func (pc *Conn) Pending() int64 { return pc.pending.Load() }

// Free returns the free bytes of the input buffer after the last parse
// (CLIENT LIST qbuf-free). Safe from any goroutine.
func (pc *Conn) Free() int64 { return pc.free.Load() }

// Reads returns how many times ReadBatch was called: each call starts a
// new batch of commands. Only for the connection's goroutine.
func (pc *Conn) Reads() uint64 { return pc.reads }

// ReadBatch returns the next commands the client sent: every complete
// command buffered, reading from the network when there is none. The
// returned slice is reused by the next call; the arguments are not (their
// bytes are not written again, unless Recycle says nothing holds them).
// After the last command before a protocol violation, it returns a
// *ProtocolError; when the connection fails or the client closes it, the
// read error.
func (pc *Conn) ReadBatch() ([][][]byte, error) {
	pc.reads++
	clear(pc.batch)
	pc.batch = pc.batch[:0]
	for {
		if cmds, done, err := pc.parsed(); done {
			return cmds, err
		}
		pc.room()
		pc.fill()
	}
}

// parsed parses what is buffered and reports done when ReadBatch has its
// answer: commands, the protocol violation or the read error.
func (pc *Conn) parsed() (cmds [][][]byte, done bool, err error) {
	pc.parse()
	if len(pc.batch) > 0 {
		return pc.batch, true, nil
	}
	if pc.failed != nil {
		if pc.failed.Quiet {
			pc.log.Warn("closing client that reached max query buffer length", "addr", pc.RemoteAddr().String(), "qbuf", pc.frame)
		} else {
			pc.log.Debug("protocol error", "addr", pc.RemoteAddr().String(), "err", pc.failed.Msg)
		}
		return nil, true, pc.failed
	}
	if pc.rerr != nil {
		return nil, true, pc.rerr
	}
	return nil, false, nil
}

// TakeBatch is ReadBatch for an event loop, which must not wait: it
// returns every complete command buffered or, when there is none, reads
// once through read and returns what that completed; nil and no error
// when nothing is complete yet. read is a non-blocking read of the
// connection: (n, nil) with n > 0, (0, nil) when nothing is there, else
// the error (io.EOF when the peer closed). The protocol limits, the
// single parse and the reuse rules are ReadBatch's; the idle timeout is
// the caller's (no read deadline is set). Only for the connection's
// owner, as ReadBatch.
func (pc *Conn) TakeBatch(read func([]byte) (int, error)) ([][][]byte, error) {
	pc.reads++
	clear(pc.batch)
	pc.batch = pc.batch[:0]
	if cmds, done, err := pc.parsed(); done {
		return cmds, err
	}
	pc.room()
	if len(pc.back) > 0 || pc.backErr != nil {
		pc.fillBack()
	} else {
		n, err := read(pc.buf[pc.w:])
		pc.w += n
		pc.inBytes.Add(int64(n))
		if err != nil {
			pc.rerr = err
		} else if n == 0 {
			return nil, nil
		}
	}
	cmds, _, err := pc.parsed()
	return cmds, err
}

// HasMore reports whether TakeBatch may have something to return without
// the connection becoming readable again: bytes read and not parsed (the
// rest of a command, or commands TakeBatch did not return: before AUTH,
// one command is parsed at a time), or the protocol violation or read
// error that ends the connection, found behind the commands it returned.
// Only for the connection's owner.
func (pc *Conn) HasMore() bool {
	return pc.r < pc.w || len(pc.back) > 0 || pc.failed != nil || pc.rerr != nil
}

// room makes sure buf has a free tail worth reading into, and that an
// unfinished bulk of up to bigBulk bytes fits behind its start; otherwise
// it moves the unparsed bytes to a new slab. A bigger bulk gets a slab that
// doubles as the bulk arrives, up to its whole size.
func (pc *Conn) room() {
	have := pc.w - pc.r
	size := max(slabSize, have+minRead) // of a new slab
	fits := pc.buf != nil && len(pc.buf)-pc.w >= minRead
	if pc.st == stBulkData {
		switch whole := pc.bulk + 2; {
		case whole <= bigBulk:
			fits = pc.buf != nil && len(pc.buf)-pc.r >= whole
			size = max(slabSize, whole+minRead)
		default:
			size = max(slabSize, min(whole, 2*have+minRead))
		}
	}
	if fits {
		return
	}
	nb := make([]byte, size)
	pc.w = copy(nb, pc.buf[pc.r:pc.w])
	pc.scanned -= pc.r
	pc.buf, pc.r = nb, 0
	pc.bufKept = false
}

// fill reads from the network into the free tail of buf.
func (pc *Conn) fill() {
	if len(pc.back) > 0 || pc.backErr != nil {
		pc.fillBack()
		return
	}
	if t := pc.lim.IdleTimeout(); t > 0 {
		if err := pc.Conn.SetReadDeadline(time.Now().Add(t)); err != nil {
			pc.rerr = err
			return
		}
		pc.deadline = true
	} else if pc.deadline {
		if err := pc.Conn.SetReadDeadline(time.Time{}); err != nil {
			pc.rerr = err
			return
		}
		pc.deadline = false
	}
	n, err := pc.sock.Read(pc.buf[pc.w:])
	pc.w += n
	pc.inBytes.Add(int64(n))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			pc.log.Debug("closing idle client", "addr", pc.RemoteAddr().String())
		}
		pc.rerr = err
	}
}

// fillBack hands on the bytes and error AwaitClose kept.
func (pc *Conn) fillBack() {
	if len(pc.back) > 0 {
		n := copy(pc.buf[pc.w:], pc.back)
		pc.w += n
		pc.back = pc.back[:copy(pc.back, pc.back[n:])]
		return
	}
	pc.rerr = pc.backErr
}

// Keep tells the Conn that some command of the last batch (or the
// unfinished one) may still reference its arguments, so the slabs they
// live in must not be recycled.
func (pc *Conn) Keep() { pc.bufKept, pc.hdrKept = true, true }

// Recycle tells the Conn that nothing references the arguments of the
// commands ReadBatch returned last, nor of any before them that Keep was
// not called for: the next reads may go over their bytes and headers.
// It starts the input slab and the header slab afresh, each unless Keep
// was called while it served; and only at a command boundary with every
// byte read parsed. The caller's promise is the whole of the safety: an
// argument still referenced would change under its holder.
func (pc *Conn) Recycle() {
	if pc.r != pc.w || pc.st != stStart || len(pc.back) > 0 || pc.rerr != nil {
		return
	}
	if !pc.bufKept {
		pc.r, pc.w, pc.scanned = 0, 0, 0
	}
	if !pc.hdrKept {
		pc.hdrs = pc.hdrSlab0
	}
}

// Write writes b and counts the output bytes.
func (pc *Conn) Write(b []byte) (int, error) {
	n, err := pc.sock.Write(b)
	pc.outBytes.Add(int64(n))
	return n, err
}

// AwaitClose watches the connection while its goroutine is parked (a
// client blocked in BLPOP): gone is closed when the peer closes the
// connection or it fails. stop ends the watch and must be called, by the
// connection's goroutine, before it reads again. Bytes the client sends
// meanwhile (pipelined commands) are kept and read next, as Redis keeps a
// blocked client's query buffer.
func (pc *Conn) AwaitClose() (gone <-chan struct{}, stop func()) {
	g, done := make(chan struct{}), make(chan struct{})
	var stopping atomic.Bool
	// The goroutine is owned by the parked connection goroutine and ends
	// when stop interrupts its read or the connection fails.
	go func() {
		defer close(done)
		buf := make([]byte, 512)
		for {
			n, err := pc.sock.Read(buf)
			if n > 0 {
				pc.back = append(pc.back, buf[:n]...)
				pc.inBytes.Add(int64(n))
			}
			if err != nil {
				var ne net.Error
				if stopping.Load() && errors.As(err, &ne) && ne.Timeout() {
					return
				}
				pc.backErr = err
				close(g)
				return
			}
		}
	}()
	return g, func() {
		stopping.Store(true)
		_ = pc.Conn.SetReadDeadline(time.Unix(1, 0)) // interrupts the read
		<-done
		_ = pc.Conn.SetReadDeadline(time.Time{})
		pc.deadline = false
	}
}

// FD returns the descriptor of the connection's socket, -1 when it has
// none (CLIENT LIST fd=).
func (pc *Conn) FD() int {
	fd := -1
	if sc, ok := pc.Conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			_ = rc.Control(func(d uintptr) { fd = int(d) })
		}
	}
	return fd
}
