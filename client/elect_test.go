package client

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// terms records leadership terms across candidates and checks that they
// never overlap and that tokens grow from term to term.
type terms struct {
	leaders  atomic.Int32
	overlaps atomic.Int32
	mu       sync.Mutex // guards tokens and by
	tokens   []uint64
	by       []int
}

func (tr *terms) begin(candidate int, token uint64) {
	if tr.leaders.Add(1) != 1 {
		tr.overlaps.Add(1)
	}
	tr.mu.Lock()
	tr.tokens = append(tr.tokens, token)
	tr.by = append(tr.by, candidate)
	tr.mu.Unlock()
}

func (tr *terms) end() { tr.leaders.Add(-1) }

func (tr *terms) count() int {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return len(tr.tokens)
}

func (tr *terms) check(t *testing.T) {
	t.Helper()
	assert.Zero(t, tr.overlaps.Load(), "two leaders at once")
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for i := 1; i < len(tr.tokens); i++ {
		assert.Greater(t, tr.tokens[i], tr.tokens[i-1], "term %d (candidate %d)", i, tr.by[i])
	}
}

// TestElectTakesTurns: three candidates, each leading for a moment and
// stepping down; exactly one leader at a time, tokens growing, and Elect
// returns ctx's error when its context ends.
func TestElectTakesTurns(t *testing.T) {
	nodes := startMeshcache(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		tr   terms
		wg   sync.WaitGroup
		errs = make([]error, 3)
	)
	for i := range 3 {
		c := newClient(t, Options{Addrs: addrsOf(nodes)})
		wg.Go(func() {
			errs[i] = c.Elect(ctx, "leader", ElectOptions{TTL: 2 * time.Second, RetryMin: 5 * time.Millisecond, RetryMax: 50 * time.Millisecond},
				func(lctx context.Context, token uint64) error {
					tr.begin(i, token)
					defer tr.end()
					select {
					case <-time.After(20 * time.Millisecond):
					case <-lctx.Done():
					}
					if tr.count() >= 12 {
						cancel()
					}
					return nil
				})
		})
	}
	wg.Wait()
	for _, err := range errs {
		assert.ErrorIs(t, err, context.Canceled)
	}
	assert.GreaterOrEqual(t, tr.count(), 12)
	tr.check(t)
}

// TestElectLeadershipLost freezes a majority of the nodes under a leader
// that never steps down on its own: its context is cancelled with
// ErrLeadershipLost, and once the nodes continue another term starts with a
// larger token.
func TestElectLeadershipLost(t *testing.T) {
	nodes := startMeshcache(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var (
		tr     terms
		wg     sync.WaitGroup
		causes = make(chan error, 16)
		first  = make(chan struct{})
		once   sync.Once
	)
	for i := range 3 {
		c := newClient(t, Options{Addrs: addrsOf(nodes)})
		wg.Go(func() {
			err := c.Elect(ctx, "sticky", ElectOptions{TTL: time.Second, EndpointTimeout: 100 * time.Millisecond},
				func(lctx context.Context, token uint64) error {
					tr.begin(i, token)
					defer tr.end()
					once.Do(func() { close(first) })
					if tr.count() >= 2 {
						cancel() // the second term is what the test waits for
						return nil
					}
					<-lctx.Done()
					causes <- context.Cause(lctx)
					return lctx.Err()
				})
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
	select {
	case <-first:
	case <-ctx.Done():
		t.Fatal("no leader elected")
	}
	nodes[0].Pause()
	nodes[1].Pause()
	select {
	case cause := <-causes:
		assert.True(t, errors.Is(cause, ErrLeadershipLost), "cause %v", cause)
	case <-time.After(20 * time.Second):
		t.Fatal("the leader did not learn it lost leadership")
	}
	nodes[0].Resume()
	nodes[1].Resume()
	wg.Wait()
	require.GreaterOrEqual(t, tr.count(), 2)
	tr.check(t)
}

// TestElectReturnsLeaderError: a leader function's error while it leads
// ends Elect with that error, after stepping down (another candidate can
// take over at once).
func TestElectReturnsLeaderError(t *testing.T) {
	nodes := startMeshcache(t, 3)
	c := newClient(t, Options{Addrs: addrsOf(nodes)})
	ctx := testCtx(t, time.Minute)
	boom := errors.New("boom")
	err := c.Elect(ctx, "failing", ElectOptions{}, func(context.Context, uint64) error { return boom })
	require.ErrorIs(t, err, boom)
	m := c.Mutex("failing", MutexOptions{})
	ok, err := m.TryLock(ctx)
	require.NoError(t, err)
	assert.True(t, ok, "the failed leader stepped down")
	require.NoError(t, m.Unlock(ctx))
	assert.Error(t, c.Elect(ctx, "x", ElectOptions{}, nil))
}
