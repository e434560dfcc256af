package resp

import (
	"bytes"
	"errors"
	"log/slog"
	"math"
	"net"
	"sync/atomic"
	"syscall"
	"time"
)

// Redis's protocol limits (networking.c), applied before redcon parses:
// redcon's reader has none and would buffer a command of any size.
const (
	protoInlineMaxSize  = 64 * 1024 // inline line or count line without a newline
	unauthMaxMultibulk  = 10        // array length before AUTH, when a password is set
	unauthMaxBulk       = 16384     // bulk length before AUTH, when a password is set
	protoIOBufLen       = 16 * 1024 // read size, as Redis's PROTO_IOBUF_LEN
	maxHeaderLineStored = 32        // longer count lines cannot hold a valid number
)

// Conn wraps an accepted connection and validates the RESP framing of
// everything the client sends, incrementally, before redcon's reader sees it.
// It passes valid bytes through unchanged, drops empty arrays (*0, *-1:
// Redis ignores them, redcon would reject them), and on a violation stops
// passing bytes: the commands before it run, then the client gets
// "-ERR Protocol error: ..." and is closed, as Redis does. A command that
// grows past client-query-buffer-limit closes the client without a reply.
// It also applies the idle timeout (read deadline) and counts input and
// output bytes. The limits are asked of ConnLimits at each read, so that a
// change (CONFIG SET) applies to open connections.
//
// Read is called only by the connection's goroutine (through redcon's
// reader), and so is Reads; Pending may be called from any goroutine
// (CLIENT LIST). Write may be called by whoever writes replies.
type Conn struct {
	net.Conn
	lim      ConnLimits
	inBytes  *atomic.Int64 // incremented by the bytes read
	outBytes *atomic.Int64 // incremented by the bytes written
	log      *slog.Logger

	in     []byte // bytes read from the network, in[r:w] not yet validated
	r, w   int
	rerr   error // error of the last network read, reported once in[r:w] is drained
	st     protoState
	hdr    [maxHeaderLineStored + 2]byte // the count line being read, up to \r\n
	hdrLen int                           // its length so far (may exceed len(hdr))
	out    []byte                        // validated header line not yet handed to the reader
	args   int64                         // bulk strings left in the current array
	bulk   int64                         // bytes left of the current bulk, CRLF included
	inline int                           // bytes of the current inline line
	frame  int64                         // bytes of the current command so far

	failMsg   string // protocol error to report, "" if none
	failQuiet bool   // close without a reply (query buffer limit)
	deadline  bool   // a read deadline is set
	reads     uint64 // calls of Read: each starts a new batch of commands (clock.go)

	pending atomic.Int64 // bytes of the command being received (CLIENT LIST qbuf)

	// back holds bytes AwaitClose read while the connection's goroutine
	// was parked, and backErr the read error that ended the watch; fill
	// hands them on first. Written by AwaitClose's goroutine only while the
	// connection's goroutine waits in it; its stop function orders them.
	back    []byte
	backErr error
}

// ConnLimits are the limits a Conn applies, asked at each read: the
// server's configuration may change them while the connection is open.
type ConnLimits interface {
	IdleTimeout() time.Duration // close a client idle this long; 0 = never
	QueryBufLimit() int64       // client-query-buffer-limit: the largest command, in bytes
	MaxBulkLen() int64          // proto-max-bulk-len: the largest bulk string
	// Unauthenticated reports whether the unauthenticated limits apply: a
	// password is required and the client has not given it yet.
	Unauthenticated() bool
}

// ErrClientClosed is what Read returns after a protocol violation (once its
// error reply, if any, was written): the server closed the client.
var ErrClientClosed = errors.New("client closed by server")

type protoState uint8

const (
	stStart     protoState = iota // at a command boundary
	stInline                      // inside an inline command line
	stArrayLine                   // reading "*<count>\r\n"
	stBulkLine                    // reading "$<len>\r\n"
	stBulkData                    // inside a bulk string and its CRLF
)

// NewConn wraps c. Bytes read and written are added to inBytes and
// outBytes; idle timeouts and protocol errors are logged to log (Debug),
// closing on the query buffer limit too (Warn).
func NewConn(c net.Conn, lim ConnLimits, inBytes, outBytes *atomic.Int64, log *slog.Logger) *Conn {
	return &Conn{Conn: c, lim: lim, inBytes: inBytes, outBytes: outBytes, log: log}
}

// Pending returns the bytes of the command being received so far (CLIENT
// LIST qbuf), 0 at a command boundary. Safe from any goroutine.
func (pc *Conn) Pending() int64 { return pc.pending.Load() }

// Reads returns how many times Read was called: each call starts a new
// batch of commands. Only for the connection's goroutine.
func (pc *Conn) Reads() uint64 { return pc.reads }

// Read hands validated bytes to redcon's reader.
func (pc *Conn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	pc.reads++
	for {
		if len(pc.out) > 0 {
			n := copy(p, pc.out)
			pc.out = pc.out[n:]
			return n, nil
		}
		if pc.failMsg != "" {
			return 0, pc.fail()
		}
		if pc.r == pc.w {
			if pc.rerr != nil {
				return 0, pc.rerr
			}
			if err := pc.fill(); err != nil && pc.r == pc.w {
				return 0, err
			}
		}
		if n := pc.scan(p); n > 0 {
			return n, nil
		}
	}
}

// fill reads from the network into pc.in.
func (pc *Conn) fill() error {
	if pc.in == nil {
		pc.in = make([]byte, protoIOBufLen)
	}
	if len(pc.back) > 0 || pc.backErr != nil {
		return pc.fillBack()
	}
	if t := pc.lim.IdleTimeout(); t > 0 {
		if err := pc.Conn.SetReadDeadline(time.Now().Add(t)); err != nil {
			return err
		}
		pc.deadline = true
	} else if pc.deadline {
		if err := pc.Conn.SetReadDeadline(time.Time{}); err != nil {
			return err
		}
		pc.deadline = false
	}
	n, err := pc.Conn.Read(pc.in)
	pc.r, pc.w = 0, n
	pc.inBytes.Add(int64(n))
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			pc.log.Debug("closing idle client", "addr", pc.RemoteAddr().String())
		}
		pc.rerr = err
	}
	return err
}

// Write counts output bytes.
func (pc *Conn) Write(b []byte) (int, error) {
	n, err := pc.Conn.Write(b)
	pc.outBytes.Add(int64(n))
	return n, err
}

// fail writes the pending protocol error and returns the error that ends
// the connection.
func (pc *Conn) fail() error {
	if !pc.failQuiet {
		if _, err := pc.Conn.Write([]byte("-ERR Protocol error: " + pc.failMsg + "\r\n")); err != nil {
			return err
		}
		pc.log.Debug("protocol error", "addr", pc.RemoteAddr().String(), "err", pc.failMsg)
	} else {
		pc.log.Warn("closing client that reached max query buffer length", "addr", pc.RemoteAddr().String(), "qbuf", pc.frame)
	}
	return ErrClientClosed
}

func (pc *Conn) setFail(msg string) { pc.failMsg = msg }

// authPending reports whether the unauthenticated limits apply.
func (pc *Conn) authPending() bool {
	return pc.lim.Unauthenticated()
}

// scan validates in[r:w] and copies what passes into p; it returns the
// number of bytes copied. It stops early when p is full, when a header line
// was completed (its bytes are in pc.out) or at a violation.
func (pc *Conn) scan(p []byte) int {
	n := 0
	limit := pc.lim.QueryBufLimit()
	for pc.r < pc.w && n < len(p) && pc.failMsg == "" && len(pc.out) == 0 {
		switch pc.st {
		case stStart:
			pc.frame = 0
			if pc.in[pc.r] == '*' {
				pc.st, pc.hdrLen = stArrayLine, 0
			} else {
				pc.st, pc.inline = stInline, 0
			}
		case stInline:
			chunk := pc.in[pc.r:pc.w]
			if room := len(p) - n; len(chunk) > room {
				chunk = chunk[:room]
			}
			end := len(chunk)
			done := false
			for i, c := range chunk {
				if c == '\n' {
					end, done = i+1, true
					break
				}
			}
			if !done && pc.inline+end > protoInlineMaxSize {
				pc.setFail("too big inline request")
				break
			}
			n += copy(p[n:], chunk[:end])
			pc.r += end
			pc.inline += end
			pc.frame += int64(end)
			if done {
				pc.st = stStart
			}
		case stArrayLine, stBulkLine:
			if pc.hdrLen == 0 && pc.st == stBulkLine && pc.in[pc.r] != '$' {
				pc.setFail("expected '$', got '" + string(pc.in[pc.r]) + "'")
				break
			}
			// Take the line up to its newline (or all there is) at once.
			seg := pc.in[pc.r:pc.w]
			nl := bytes.IndexByte(seg, '\n')
			if nl >= 0 {
				seg = seg[:nl+1]
			}
			if pc.hdrLen < len(pc.hdr) {
				copy(pc.hdr[pc.hdrLen:], seg)
			}
			// Redis gives up on a count line that reaches 64 KB without
			// its newline.
			body := pc.hdrLen + len(seg)
			if nl >= 0 {
				body-- // the newline itself
			}
			pc.hdrLen += len(seg)
			pc.r += len(seg)
			pc.frame += int64(len(seg))
			if body > protoInlineMaxSize {
				if pc.st == stArrayLine {
					pc.setFail("too big mbulk count string")
				} else {
					pc.setFail("too big bulk count string")
				}
				break
			}
			if nl < 0 {
				continue
			}
			pc.headerLine()
			if len(pc.out) > 0 { // hand the line on at once if it fits
				k := copy(p[n:], pc.out)
				n += k
				pc.out = pc.out[k:]
			}
		case stBulkData:
			k := int64(pc.w - pc.r)
			if k > pc.bulk {
				k = pc.bulk
			}
			if room := int64(len(p) - n); k > room {
				k = room
			}
			chunk := pc.in[pc.r : pc.r+int(k)]
			// The last two bytes of a bulk are its CRLF: check them when
			// this chunk reaches them; the data before is not looked at.
			if cr := pc.bulk - 2; cr >= 0 && cr < k && chunk[cr] != '\r' {
				pc.setFail("invalid bulk length")
				chunk = chunk[:cr]
			} else if lf := pc.bulk - 1; lf < k && chunk[lf] != '\n' {
				pc.setFail("invalid bulk length")
				chunk = chunk[:lf]
			}
			n += copy(p[n:], chunk)
			pc.r += len(chunk)
			pc.bulk -= int64(len(chunk))
			pc.frame += int64(len(chunk))
			if pc.bulk == 0 {
				pc.args--
				if pc.args == 0 {
					pc.st = stStart
				} else {
					pc.st, pc.hdrLen = stBulkLine, 0
				}
			}
		}
		if pc.frame > limit && pc.failMsg == "" {
			pc.failMsg, pc.failQuiet = "query buffer limit", true
		}
		if pc.st == stStart && n > 0 && pc.authPending() {
			// Let this command run before the next is validated: it may be
			// the AUTH that lifts the unauthenticated limits.
			break
		}
	}
	if pc.st == stStart {
		pc.pending.Store(0)
	} else {
		pc.pending.Store(pc.frame)
	}
	return n
}

// headerLine handles a complete "*<count>\r\n" or "$<len>\r\n" line in pc.hdr.
func (pc *Conn) headerLine() {
	array := pc.st == stArrayLine
	lineLen := pc.hdrLen
	v, ok := int64(0), false
	if pc.hdrLen <= len(pc.hdr) && pc.hdrLen >= 3 && pc.hdr[pc.hdrLen-2] == '\r' {
		v, ok = ParseInt64(pc.hdr[1 : pc.hdrLen-2])
	}
	if array {
		switch {
		case !ok || v > math.MaxInt32:
			pc.setFail("invalid multibulk length")
		case v <= 0:
			pc.st = stStart // empty array: ignored, as Redis does
		case v > unauthMaxMultibulk && pc.authPending():
			pc.setFail("unauthenticated multibulk length")
		default:
			pc.args = v
			pc.out = pc.hdr[:lineLen]
			pc.st, pc.hdrLen = stBulkLine, 0
		}
		return
	}
	switch {
	case !ok || v < 0 || v > pc.lim.MaxBulkLen():
		pc.setFail("invalid bulk length")
	case v > unauthMaxBulk && pc.authPending():
		pc.setFail("unauthenticated bulk length")
	default:
		pc.out = pc.hdr[:lineLen]
		pc.bulk = v + 2
		pc.st = stBulkData
	}
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
			n, err := pc.Conn.Read(buf)
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

// fillBack hands the bytes and error AwaitClose kept to fill.
func (pc *Conn) fillBack() error {
	if len(pc.back) > 0 {
		if len(pc.back) > len(pc.in) {
			pc.in = make([]byte, len(pc.back))
		}
		n := copy(pc.in, pc.back)
		pc.back = pc.back[:copy(pc.back, pc.back[n:])]
		pc.r, pc.w = 0, n
		return nil
	}
	pc.r, pc.w = 0, 0
	pc.rerr = pc.backErr
	return pc.backErr
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
