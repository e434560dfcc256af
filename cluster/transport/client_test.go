package transport

import (
	"context"
	"io"
	"net"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	var accepted atomic.Int32
	go func() { // a peer that reads every request and never answers
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
	var d net.Dialer
	cl := NewClient("self", nil, nil, MinFrameSize, func(ctx context.Context, addr string) (net.Conn, error) {
		return d.DialContext(ctx, "tcp", addr)
	})
	t.Cleanup(cl.Close)
	addr := ln.Addr().String()
	call := func(wait time.Duration) *clientConn {
		cctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		_, err := cl.Call(cctx, addr, KindPing, []byte("x"))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		p := cl.peers[addr]
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.conn
	}

	first := call(connStallAfter / 4)
	assert.False(t, first.isDead(), "a call shorter than connStallAfter judged the connection")
	assert.Same(t, first, call(connStallAfter+100*time.Millisecond))
	assert.Eventually(t, first.isDead, 5*time.Second, 10*time.Millisecond)

	second := call(connStallAfter / 4)
	assert.NotSame(t, first, second, "the call after a stall did not dial again")
	assert.EqualValues(t, 2, accepted.Load())
}
