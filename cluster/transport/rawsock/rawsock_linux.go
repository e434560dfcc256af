//go:build linux

package rawsock

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Of returns what a connection is to be read from and written to: for a
// TCP connection, its socket through raw system calls; for anything else
// (the in-memory network, TLS, a wrapped connection), the connection.
//
// Why raw: net.Conn's Read and Write enter the runtime's system-call state
// around every read and write, and on a busy node the runtime's monitor
// thread notices processors sitting in those calls, takes them away and
// starts threads to run what waits (a futex wake and a context switch
// each), and itself wakes every 20 us while that goes on. A socket
// read or write that does not block is short, so the raw call keeps its
// processor; when the socket has nothing to read or no room to write, the
// goroutine parks in the network poller as net.Conn's would, deadlines
// included (syscall.RawConn). The client connections' event loop does the
// same (server/netloop).
func Of(c net.Conn) io.ReadWriter {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c
	}
	return &rawSock{rc: rc}
}

// rawSock is a TCP socket read and written with raw system calls.
type rawSock struct{ rc syscall.RawConn }

// Read reads what the socket holds, waiting in the poller while it holds
// nothing; io.EOF once the peer has closed. It always tries the read
// first, even after a short read said the socket was empty: RawConn.Read
// clears the poller's readiness before it calls its function, so waiting
// first would miss data that arrived since (tried: the stream hung).
func (s *rawSock) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n int
	var err error
	if perr := s.rc.Read(func(fd uintptr) bool {
		for {
			n, err = Read(int(fd), p)
			switch err {
			case unix.EINTR:
				continue
			case unix.EAGAIN:
				return false
			}
			return true
		}
	}); perr != nil {
		return 0, perr
	}
	if err != nil {
		return 0, os.NewSyscallError("read", err)
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Write writes all of p, waiting in the poller while the socket has no
// room.
func (s *rawSock) Write(p []byte) (int, error) {
	var n int
	var err error
	if perr := s.rc.Write(func(fd uintptr) bool {
		for n < len(p) {
			m, e := Write(int(fd), p[n:])
			switch e {
			case nil:
				n += m
			case unix.EINTR:
			case unix.EAGAIN:
				return false
			default:
				err = e
				return true
			}
		}
		return true
	}); perr != nil {
		return n, perr
	}
	if err != nil {
		return n, os.NewSyscallError("write", err)
	}
	return n, nil
}

// Read and Write are read(2) and write(2) of a non-blocking descriptor,
// which return at once: made without telling the scheduler (no
// entersyscall/exitsyscall, about 90 instructions each), as a call that
// cannot block needs no other thread to take over its processor. EAGAIN
// and EINTR come back as errors. The event loops make theirs with these
// (server/netloop).
//
// Under the race detector they are syscall.Read and syscall.Write, which
// tell the detector that what one goroutine wrote to a socket another has
// read (Go's own reads and writes do): a test that looks at a server's
// state after its reply came would otherwise be reported as racing with
// the server, though the reply ordered them.
func Read(fd int, p []byte) (int, error) {
	if raceEnabled {
		n, err := syscall.Read(fd, p)
		return max(n, 0), err
	}
	return rawIO(unix.SYS_READ, fd, p)
}

func Write(fd int, p []byte) (int, error) {
	if raceEnabled {
		n, err := syscall.Write(fd, p)
		return max(n, 0), err
	}
	return rawIO(unix.SYS_WRITE, fd, p)
}

// rawIO is the system call trap (read or write) on fd with p's bytes.
func rawIO(trap uintptr, fd int, p []byte) (int, error) {
	var ptr unsafe.Pointer
	if len(p) > 0 {
		ptr = unsafe.Pointer(&p[0])
	}
	n, _, errno := unix.RawSyscall(trap, uintptr(fd), uintptr(ptr), uintptr(len(p)))
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}
