package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestForwardPipelined(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	logger := testLogger(t)
	// On real cluster ports: many calls multiplexed over one TCP connection.
	a, _ := startNode(t, ctx, logger, nodeOpts{tcp: true})
	b, bExec := startNode(t, ctx, logger, nodeOpts{join: clusterAddrs(a), tcp: true})
	waitConverged(t, []*Node{a, b}, []*Node{a, b})

	const workers, calls = 32, 100
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				args := [][]byte{[]byte("SET"), fmt.Appendf(nil, "key:%d:%d", w, i), bytes.Repeat([]byte{byte(i)}, i*37)}
				if i%10 == 0 {
					args = append(args, []byte{}) // an empty argument travels too
				}
				resp3 := i%2 == 0
				cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				reply, err := a.Forward(cctx, b.ID(), resp3, args)
				cancel()
				if err != nil {
					errs <- fmt.Errorf("worker %d call %d: %w", w, i, err)
					return
				}
				if want := appendEcho(nil, resp3, args); !bytes.Equal(reply, want) {
					errs <- fmt.Errorf("worker %d call %d: reply %q, want %q", w, i, reply, want)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	bExec.mu.Lock()
	assert.Equal(t, workers*calls, bExec.calls)
	bExec.mu.Unlock()

	// All of it went over one connection.
	assert.Equal(t, 1, a.client.Peers())

	// Forwarding to ourselves runs locally; to a stranger fails cleanly.
	reply, err := a.Forward(ctx, a.ID(), false, [][]byte{[]byte("PING")})
	require.NoError(t, err)
	assert.Equal(t, "*1\r\n$4\r\nPING\r\n", string(reply))
	_, err = a.Forward(ctx, "0123456789012345678901234567890123456789", false, [][]byte{[]byte("PING")})
	assert.ErrorIs(t, err, ErrUnknownNode)
}

func TestForwardCutPeer(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	logger := testLogger(t)
	faults := transport.NewFaults()
	a, _ := startNode(t, ctx, logger, nodeOpts{faults: faults})
	b, _ := startNode(t, ctx, logger, nodeOpts{faults: faults, join: clusterAddrs(a)})
	waitConverged(t, []*Node{a, b}, []*Node{a, b})
	args := [][]byte{[]byte("GET"), []byte("k")}
	require.NoError(t, a.Ping(ctx, b.ID()))

	// Cut the established connection: frames vanish, the deadline ends it.
	faults.Cut(clusterAddrs(a), clusterAddrs(b))
	cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err := a.client.Call(cctx, b.ClusterAddr(), transport.KindForward, wire.EncodeForward(false, args))
	cancel()
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A new connection is refused while cut.
	a.client.Drop(b.ClusterAddr(), transport.ErrConnClosed)
	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	_, err = a.client.Call(cctx, b.ClusterAddr(), transport.KindForward, wire.EncodeForward(false, args))
	cancel()
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded)
	assert.Contains(t, err.Error(), "refused by fault injection")

	// Healed, the next call dials again and succeeds.
	faults.Heal()
	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	reply, err := a.client.Call(cctx, b.ClusterAddr(), transport.KindForward, wire.EncodeForward(false, args))
	cancel()
	require.NoError(t, err)
	assert.Equal(t, appendEcho(nil, false, args), reply)
}

func TestRPCFrameLimit(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	logger := testLogger(t)
	const limit = transport.MinFrameSize
	a, _ := startNode(t, ctx, logger, nodeOpts{})
	b, _ := startNode(t, ctx, logger, nodeOpts{join: clusterAddrs(a), maxFrame: limit})
	waitConverged(t, []*Node{a, b}, []*Node{a, b})
	big := [][]byte{[]byte("SET"), []byte("k"), bytes.Repeat([]byte("v"), 2*limit)}

	// The sender refuses a frame over its own limit before sending it.
	_, err := b.Forward(ctx, a.ID(), false, big)
	require.ErrorIs(t, err, transport.ErrFrameTooLarge)

	// A receiver with a smaller limit than the sender closes the
	// connection instead of reading the frame.
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = a.Forward(cctx, b.ID(), false, big)
	cancel()
	require.Error(t, err)
	assert.NotErrorIs(t, err, context.DeadlineExceeded, "the receiver must close, not stall")

	// b's own calls are unaffected.
	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	_, err = b.client.Call(cctx, a.ClusterAddr(), transport.KindPing, nil)
	cancel()
	require.NoError(t, err)

	// Normal traffic goes on over a fresh connection.
	cctx, cancel = context.WithTimeout(ctx, 5*time.Second)
	small := [][]byte{[]byte("SET"), []byte("k"), []byte("v")}
	reply, err := a.Forward(cctx, b.ID(), true, small)
	cancel()
	require.NoError(t, err)
	assert.Equal(t, appendEcho(nil, true, small), reply)
}

func TestRPCErrors(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	logger := testLogger(t)
	a, _ := startNode(t, ctx, logger, nodeOpts{})
	b, _ := startNode(t, ctx, logger, nodeOpts{join: clusterAddrs(a)})
	waitConverged(t, []*Node{a, b}, []*Node{a, b})

	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := a.client.Call(cctx, b.ClusterAddr(), transport.Kind(200), nil)
	var remote *transport.RemoteError
	require.ErrorAs(t, err, &remote)
	assert.Contains(t, remote.Msg, "unknown rpc kind 200")

	_, err = a.client.Call(cctx, b.ClusterAddr(), transport.KindForward, []byte{0})
	require.ErrorAs(t, err, &remote, "a malformed forward is refused by the peer")

	_, err = a.client.Call(context.Background(), b.ClusterAddr(), transport.KindPing, nil)
	require.Error(t, err, "calls without a deadline are refused")

	require.NoError(t, a.Close())
	_, err = a.client.Call(cctx, b.ClusterAddr(), transport.KindPing, nil)
	require.Error(t, err, "calls after Close fail")
	assert.True(t, errors.Is(err, transport.ErrConnClosed) || errors.Is(err, transport.ErrClosed), "got %v", err)
}
