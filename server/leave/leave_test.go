package leave

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/replinfo"
)

// node is a membership whose Leave waits for release and then returns err.
type node struct {
	calls   atomic.Int32
	started chan struct{}
	release chan struct{}
	err     error
}

func newNode(err error) *node {
	return &node{started: make(chan struct{}), release: make(chan struct{}), err: err}
}

func (n *node) ReplicationInfo() replinfo.Info { return replinfo.Info{LedSlots: 3} }

func (n *node) Leave(ctx context.Context) error {
	if n.calls.Add(1) == 1 {
		close(n.started)
	}
	<-n.release
	return n.err
}

var log = slog.New(slog.DiscardHandler)

// TestLeaveOnce: the first caller leaves; a caller meanwhile waits and
// gets the first call's result, or its own context's error if that ends
// first; a later caller gets the result at once. The node leaves once.
func TestLeaveOnce(t *testing.T) {
	for _, want := range []error{nil, errors.New("drain cut short")} {
		var l Once
		n := newNode(want)
		assert.False(t, l.Draining())
		first := make(chan error, 1)
		go func() { first <- l.Leave(context.Background(), n, log) }()
		<-n.started
		assert.True(t, l.Draining())

		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		assert.ErrorIs(t, l.Leave(ctx, n, log), context.DeadlineExceeded, "a waiter whose context ends")
		cancel()

		second := make(chan error, 1)
		go func() { second <- l.Leave(context.Background(), n, log) }()
		close(n.release)
		require.Equal(t, want, <-first)
		require.Equal(t, want, <-second, "a waiter gets the first call's result")
		assert.Equal(t, want, l.Leave(context.Background(), n, log), "a later caller too")
		assert.EqualValues(t, 1, n.calls.Load())
		assert.True(t, l.Draining())
	}
}
