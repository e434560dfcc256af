//go:build linux

package rawsock

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(acc)
			return
		}
		acc <- c
	}()
	a, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := <-acc
	if !ok {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

func TestRawSockIsRawForTCPOnly(t *testing.T) {
	a, _ := tcpPair(t)
	if _, ok := Of(a).(*rawSock); !ok {
		t.Fatalf("Of(TCP) = %T, want *rawSock", Of(a))
	}
	p, q := net.Pipe()
	defer p.Close()
	defer q.Close()
	if Of(p) != io.ReadWriter(p) {
		t.Fatalf("Of(pipe) = %T, want the pipe itself", Of(p))
	}
}

// A write larger than the socket buffers parks until the reader makes
// room, and every byte arrives in order; the peer's close reads as EOF.
func TestRawSockWriteWaitsForRoomAndReadSeesEOF(t *testing.T) {
	a, b := tcpPair(t)
	w, r := Of(a), Of(b)
	want := make([]byte, 16<<20)
	for i := range want {
		want[i] = byte(i * 7)
	}
	errc := make(chan error, 1)
	go func() {
		n, err := w.Write(want)
		if err == nil && n != len(want) {
			err = io.ErrShortWrite
		}
		a.Close()
		errc <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(want))
	}
}

// Deadlines set on the connection bound the raw calls' waits.
func TestRawSockHonoursDeadlines(t *testing.T) {
	a, b := tcpPair(t)
	_ = b.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := Of(b).Read(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read with nothing sent: %v, want the deadline", err)
	}
	// Nobody reads b: the write fills both buffers, then meets its deadline.
	_ = a.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	n, err := Of(a).Write(make([]byte, 64<<20))
	if !errors.Is(err, os.ErrDeadlineExceeded) || n == 0 || n >= 64<<20 {
		t.Fatalf("write to a peer that does not read: %d bytes, %v; want part of it and the deadline", n, err)
	}
	a.Close()
	_ = b.SetReadDeadline(time.Time{})
	if _, err := io.Copy(io.Discard, Of(b)); err != nil {
		t.Fatalf("draining after close: %v", err)
	}
	if _, err := Of(a).Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v, want net.ErrClosed", err)
	}
}
