package transport

import (
	"context"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStalledConnectionRedials: a call that waits connStallAfter on a
// connection that reads nothing closes it, so the next call dials afresh
// instead of queueing behind TCP's retransmission backoff (a healed
// partition); a shorter call leaves the connection alone.
func TestStalledConnectionRedials(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	addr, accepted := silentPeer(t)
	cl := tcpClient(t)
	call := func(wait time.Duration) *clientConn {
		cctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		_, err := cl.Call(cctx, addr, KindPing, []byte("x"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		cl.mu.RLock()
		p := cl.peers[peerKey{addr: addr}]
		cl.mu.RUnlock()
		return p.conn.Load()
	}

	first := call(connStallAfter / 4)
	assert.False(t, first.isDead(), "a call shorter than connStallAfter judged the connection")
	assert.Same(t, first, call(connStallAfter+100*time.Millisecond))
	assert.Eventually(t, first.isDead, 5*time.Second, 10*time.Millisecond)

	second := call(connStallAfter / 4)
	assert.NotSame(t, first, second, "the call after a stall did not dial again")
	assert.EqualValues(t, 2, accepted.Load())
}

// TestCallsGetTheirOwnReplies: calls that time out while their reply is on
// its way, mixed with calls that wait for theirs, on one connection: every
// reply received is the one to its own request (a reply channel is reused
// only once its reply was taken, never after a timeout).
func TestCallsGetTheirOwnReplies(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	client, addr := startPing(t, func(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
		if req[0] == 's' { // slow: answered after its caller gave up
			time.Sleep(2 * time.Millisecond)
		}
		return append(reply, req...), nil
	})
	var wg sync.WaitGroup
	var answered, timedOut atomic.Int32
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				req := fmt.Appendf(nil, "f%d.%d", g, i)
				cctx, cancel := ctx, context.CancelFunc(func() {})
				if i%2 == 0 {
					req[0] = 's'
					cctx, cancel = context.WithTimeout(ctx, time.Millisecond)
				}
				r, err := client.Call(cctx, addr, KindPing, req)
				cancel()
				if err != nil {
					assert.ErrorIs(t, err, context.DeadlineExceeded)
					timedOut.Add(1)
					continue
				}
				answered.Add(1)
				assert.Equal(t, string(req), string(r))
			}
		}()
	}
	wg.Wait()
	assert.Positive(t, timedOut.Load(), "no call timed out: the test tests nothing")
	assert.GreaterOrEqual(t, answered.Load(), int32(800))
}

// silentPeer listens for connections that it reads every request from and
// never answers, until the test ends; it returns its address and how many
// connections it accepted.
func silentPeer(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String(), &accepted
}

// tcpClient is a Client dialing plain TCP, closed when the test ends.
func tcpClient(t *testing.T) *Client {
	t.Helper()
	var d net.Dialer
	cl := NewClient("self", nil, nil, MinFrameSize, func(ctx context.Context, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	})
	t.Cleanup(cl.Close)
	return cl
}
