//go:build linux

package transport

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// testPoller is a Poller as an event loop is one, a goroutine per
// connection aside: it reads a non-blocking duplicate of the socket's
// descriptor (so the socket stays open until the poller drops it, as a
// loop's does), at most chunk bytes a read when chunk > 0, and calls
// Readable only when the descriptor is readable (poll(2)) or at a wake-up,
// until Readable returns false.
type testPoller struct {
	chunk  int
	polled atomic.Int32 // connections registered
	active atomic.Int32 // connections not dropped yet
}

func (p *testPoller) Poll(sc syscall.Conn, r Readable) (func(), error) {
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, err
	}
	fd, derr := -1, error(nil)
	if err := rc.Control(func(s uintptr) { fd, derr = syscall.Dup(int(s)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	if err := syscall.SetNonblock(fd, true); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	p.polled.Add(1)
	p.active.Add(1)
	wake := make(chan struct{}, 1)
	read := func(b []byte) (int, error) {
		if p.chunk > 0 && len(b) > p.chunk {
			b = b[:p.chunk]
		}
		n, err := syscall.Read(fd, b)
		switch {
		case errors.Is(err, syscall.EAGAIN):
			return 0, nil
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
	go func() {
		defer p.active.Add(-1)
		defer syscall.Close(fd)
		for {
			select {
			case <-wake:
			default:
				fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
				if n, _ := unix.Poll(fds, 1); n == 0 {
					continue // not readable: look for a wake-up again
				}
			}
			if !r.Readable(read) {
				return
			}
		}
	}()
	return func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}, nil
}

// tcpPing starts a TCP endpoint answering pings (serveEndpoint) and returns
// a client of a second endpoint, read by p, and the first one's address.
func tcpPing(t *testing.T, p Poller) (*Client, string) {
	t.Helper()
	srvEnd, err := NewTCP("127.0.0.1:0", "", nil, testLogger(t))
	require.NoError(t, err)
	serveEndpoint(t, srvEnd, nil, nil)
	cliEnd, err := NewTCP("127.0.0.1:0", "", nil, testLogger(t))
	require.NoError(t, err)
	client := serveEndpoint(t, cliEnd, nil, nil)
	client.SetPoller(p)
	return client, srvEnd.Addr()
}

// send makes a Send call of a ping with payload and returns its reply.
func send(ctx context.Context, t *testing.T, client *Client, addr string, payload []byte) []byte {
	t.Helper()
	got := make(chan []byte, 1)
	call, err := client.Send(ctx, addr, KindPing, payload, func(reply []byte, err error) {
		assert.NoError(t, err)
		got <- reply
	})
	require.NoError(t, err)
	select {
	case r := <-got:
		return r
	case <-ctx.Done():
		call.Abandon()
		t.Fatal("no reply to a sent call")
		return nil
	}
}

// TestPolledReplies: the calls that do not wait (Send, Start) go on a
// connection of their own, read by the Poller, a few bytes at a time or a
// frame larger than its first buffer; Call keeps its connection, read by
// a goroutine.
func TestPolledReplies(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := &testPoller{chunk: 7}
	client, addr := tcpPing(t, p)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			payload := bytes.Repeat([]byte{byte('a' + i)}, 1+i*997)
			if i == 19 {
				payload = bytes.Repeat([]byte("big"), 100<<10) // 300 KiB: the buffer grows
			}
			reply := send(ctx, t, client, addr, payload)
			assert.Equal(t, len(client.self)+len(payload), len(reply))
			assert.True(t, bytes.HasSuffix(reply, payload))
		})
	}
	wg.Wait()
	got := make(chan []byte, 1)
	_, ok := client.Start(addr, KindPing, []byte("started"), time.Second, func(reply []byte, err error) {
		assert.NoError(t, err)
		got <- reply
	})
	require.True(t, ok)
	select {
	case r := <-got:
		require.True(t, bytes.HasSuffix(r, []byte("started")))
	case <-ctx.Done():
		t.Fatal("no reply to a started call")
	}
	require.Equal(t, int32(1), p.polled.Load(), "one connection, read by the poller")
	reply, err := client.Call(ctx, addr, KindPing, []byte("called"))
	require.NoError(t, err)
	require.True(t, bytes.HasSuffix(reply, []byte("called")))
	require.Equal(t, int32(1), p.polled.Load(), "Call's connection is not polled")
	require.Equal(t, 2, client.Peers())
}

// TestCallFromPoller: a done function, which runs on the poller, may make
// a Call and have its reply: Call's connection is not the poller's to
// read. (A loop that sent a write's tracking invalidations waited for a
// reply only it could read, for the call's whole deadline.)
func TestCallFromPoller(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	client, addr := tcpPing(t, &testPoller{})
	called := make(chan error, 1)
	_, err := client.Send(ctx, addr, KindPing, []byte("x"), func([]byte, error) {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err := client.Call(cctx, addr, KindPing, []byte("from the poller"))
		called <- err
	})
	require.NoError(t, err)
	select {
	case err := <-called:
		require.NoError(t, err)
	case <-ctx.Done():
		t.Fatal("the done function never ran")
	}
}

// TestStartDialsInTheBackground: a Start with no polled connection yet
// sends nothing and has one dialed, so that a later Start goes.
func TestStartDialsInTheBackground(t *testing.T) {
	p := &testPoller{}
	client, addr := tcpPing(t, p)
	_, ok := client.Start(addr, KindPing, []byte("x"), time.Second, func([]byte, error) {})
	require.False(t, ok, "a Start sent with no connection")
	require.Eventually(t, func() bool {
		_, ok := client.Start(addr, KindPing, []byte("y"), time.Second, func([]byte, error) {})
		return ok
	}, 10*time.Second, time.Millisecond)
	require.Equal(t, int32(1), p.polled.Load())
}

// TestPolledDrop: a connection closed by its client (Drop) is dropped by
// the poller too, so the peer sees it close, and the next call redials.
func TestPolledDrop(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	p := &testPoller{}
	client, addr := tcpPing(t, p)
	send(ctx, t, client, addr, []byte("x"))
	require.Equal(t, int32(1), p.active.Load())
	client.Drop(addr, errors.New("dropped by the test"))
	require.Eventually(t, func() bool { return p.active.Load() == 0 }, 10*time.Second, time.Millisecond,
		"the poller still reads a connection its client closed")
	send(ctx, t, client, addr, []byte("y"))
	require.Equal(t, int32(2), p.polled.Load())
}

// TestStallTakesTheSibling: a Call that waits out connStallAfter on a
// connection that reads nothing closes it and the peer's polled
// connection, silent as long, whose call then fails at once instead of
// waiting out its own deadline (after a partition both sit in TCP's
// retransmission backoff).
func TestStallTakesTheSibling(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	addr, _ := silentPeer(t)
	cl := tcpClient(t)
	p := &testPoller{}
	cl.SetPoller(p)
	failed := make(chan error, 1)
	_, err := cl.Send(ctx, addr, KindPing, []byte("never answered"), func(_ []byte, err error) { failed <- err })
	require.NoError(t, err)
	require.Equal(t, int32(1), p.polled.Load())
	cctx, cancel := context.WithTimeout(ctx, connStallAfter+100*time.Millisecond)
	defer cancel()
	_, err = cl.Call(cctx, addr, KindPing, []byte("x"))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	select {
	case err := <-failed:
		require.ErrorIs(t, err, errStalled, "the sent call failed for another reason")
	case <-time.After(5 * time.Second):
		t.Fatal("the polled connection outlived its sibling's stall")
	}
	require.Eventually(t, func() bool { return p.active.Load() == 0 }, 5*time.Second, time.Millisecond)
}
