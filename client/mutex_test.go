package client

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// backendCase is one kind of lock endpoints the lock tests run against.
type backendCase struct {
	name  string
	start func(t *testing.T) Options
}

var backendCases = []backendCase{
	{"meshcache", func(t *testing.T) Options { return Options{Addrs: addrsOf(startMeshcache(t, 3))} }},
	{"redis", func(t *testing.T) Options { return Options{Addrs: addrsOf(startRedis(t, 3)), Redis: true} }},
}

// contend runs workers goroutines that each take the Mutex name rounds
// times and, inside the critical section, check that nobody else is in it
// and that the token is above every earlier holder's.
func contend(t *testing.T, c *Client, name string, workers, rounds int) {
	t.Helper()
	ctx := testCtx(t, 2*time.Minute)
	var (
		inside    atomic.Int32
		overlaps  atomic.Int32
		lastToken atomic.Uint64
		disorder  atomic.Int32
		done      atomic.Int32
		wg        sync.WaitGroup
		errMu     sync.Mutex
		errs      []error
	)
	for range workers {
		wg.Go(func() {
			for range rounds {
				m := c.Mutex(name, MutexOptions{TTL: 5 * time.Second, RetryMin: 2 * time.Millisecond, RetryMax: 20 * time.Millisecond})
				if err := m.Lock(ctx); err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
					return
				}
				if inside.Add(1) != 1 {
					overlaps.Add(1)
				}
				tok := m.Token()
				if prev := lastToken.Swap(tok); tok <= prev {
					disorder.Add(1)
				}
				// Hold the lock for a moment: a scenario step (give
				// another holder the chance to overlap), not a wait.
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				done.Add(1)
				if err := m.Unlock(ctx); err != nil {
					errMu.Lock()
					errs = append(errs, err)
					errMu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Empty(t, errs)
	assert.Zero(t, overlaps.Load(), "critical sections overlapped")
	assert.Zero(t, disorder.Load(), "a token was not above the previous holder's")
	assert.Equal(t, int32(workers*rounds), done.Load())
}

func TestMutexExclusionAndTokens(t *testing.T) {
	for _, bc := range backendCases {
		t.Run(bc.name, func(t *testing.T) {
			c := newClient(t, bc.start(t))
			contend(t, c, "counter", 6, 8)
		})
	}
}

func TestMutexTryLockUnlockExtend(t *testing.T) {
	for _, bc := range backendCases {
		t.Run(bc.name, func(t *testing.T) {
			c := newClient(t, bc.start(t))
			ctx := testCtx(t, time.Minute)
			a := c.Mutex("job", MutexOptions{TTL: 10 * time.Second})
			b := c.Mutex("job", MutexOptions{TTL: 10 * time.Second})

			assert.ErrorIs(t, a.Unlock(ctx), ErrNotHeld, "never locked")
			assert.ErrorIs(t, a.Extend(ctx), ErrNotHeld)
			assert.Zero(t, a.Token())
			assert.True(t, isClosed(a.Lost()), "not held reads as lost")

			ok, err := a.TryLock(ctx)
			require.NoError(t, err)
			require.True(t, ok)
			first := a.Token()
			assert.NotZero(t, first)
			assert.False(t, isClosed(a.Lost()))
			assert.Positive(t, a.Validity())
			assert.ErrorIs(t, a.Lock(ctx), ErrLocked, "a Mutex is one holder")

			ok, err = b.TryLock(ctx)
			require.NoError(t, err)
			assert.False(t, ok, "taken")
			short, cancel := context.WithTimeout(ctx, time.Second) // room for a round of refusals under load
			err = b.Lock(short)
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded)
			assert.ErrorIs(t, err, ErrTaken)

			require.NoError(t, a.Extend(ctx))
			require.NoError(t, a.Unlock(ctx))
			assert.ErrorIs(t, a.Unlock(ctx), ErrNotHeld, "unlocked twice")

			require.NoError(t, b.Lock(ctx))
			assert.Greater(t, b.Token(), first)
			require.NoError(t, b.Unlock(ctx))

			// A different name is independent.
			other := c.Mutex("other", MutexOptions{})
			ok, err = other.TryLock(ctx)
			require.NoError(t, err)
			assert.True(t, ok)
			require.NoError(t, other.Unlock(ctx))
		})
	}
}

// TestMutexLostWhenNodesPause freezes a majority of the lock's nodes
// (SIGSTOP) past the TTL: renewals fail, the holder learns it lost the lock
// through Lost, and after the nodes continue the next holder gets a larger
// token.
func TestMutexLostWhenNodesPause(t *testing.T) {
	nodes := startMeshcache(t, 3)
	c := newClient(t, Options{Addrs: addrsOf(nodes)})
	ctx := testCtx(t, time.Minute)
	m := c.Mutex("paused", MutexOptions{TTL: time.Second, EndpointTimeout: 100 * time.Millisecond})
	require.NoError(t, m.Lock(ctx))
	tok := m.Token()
	lost := m.Lost()

	// N = min(5, 3): the lock lives on all three nodes; two are a majority.
	nodes[0].Pause()
	nodes[1].Pause()
	select {
	case <-lost:
	case <-time.After(20 * time.Second):
		t.Fatal("Lost not closed while a majority of the lock's nodes was frozen")
	}
	nodes[0].Resume()
	nodes[1].Resume()
	assert.True(t, isClosed(m.Lost()))
	assert.ErrorIs(t, m.Extend(ctx), ErrNotHeld)
	assert.ErrorIs(t, m.Unlock(ctx), ErrNotHeld)

	next := c.Mutex("paused", MutexOptions{TTL: time.Second})
	require.NoError(t, next.Lock(ctx))
	assert.Greater(t, next.Token(), tok)
	require.NoError(t, next.Unlock(ctx))
}

// TestMutexSurvivesMinorityLoss kills one of the three nodes: locks keep
// working on the other two, with exclusion and increasing tokens.
func TestMutexSurvivesMinorityLoss(t *testing.T) {
	nodes := startMeshcache(t, 3)
	c := newClient(t, Options{Addrs: addrsOf(nodes)})
	ctx := testCtx(t, time.Minute)
	m := c.Mutex("survivor", MutexOptions{TTL: 2 * time.Second, EndpointTimeout: 200 * time.Millisecond})
	require.NoError(t, m.Lock(ctx))
	before := m.Token()
	require.NoError(t, m.Unlock(ctx))

	nodes[2].Kill()
	contend(t, c, "survivor", 3, 4)
	require.NoError(t, m.Lock(ctx))
	assert.Greater(t, m.Token(), before)
	require.NoError(t, m.Unlock(ctx))
}

// TestDetectsRedis: without Options.Redis, plain Redis servers are found
// out (they do not know LOCK.ACQUIRE) and locked on with scripts.
func TestDetectsRedis(t *testing.T) {
	servers := startRedis(t, 1)
	c := newClient(t, Options{Addrs: addrsOf(servers)})
	assert.Equal(t, modeRedis, c.mode)
	ctx := testCtx(t, 30*time.Second)
	m := c.Mutex("detected", MutexOptions{})
	require.NoError(t, m.Lock(ctx))
	n, err := c.Redis().Exists(ctx, "meshlock:{detected}").Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), n, "the lease is a key on the Redis server")
	require.NoError(t, m.Unlock(ctx))
}

// TestDataClient runs data commands through Redis() on meshcache.
func TestDataClient(t *testing.T) {
	nodes := startMeshcache(t, 3)
	c := newClient(t, Options{Addrs: addrsOf(nodes)})
	ctx := testCtx(t, 30*time.Second)
	for _, k := range []string{"a", "b", "{user:1}:x", "zz"} {
		require.NoError(t, c.Redis().Set(ctx, k, "v-"+k, 0).Err())
		v, err := c.Redis().Get(ctx, k).Result()
		require.NoError(t, err)
		assert.Equal(t, "v-"+k, v)
	}
}

func TestNewErrors(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	_, err := New(ctx, Options{})
	require.Error(t, err)
	_, err = New(ctx, Options{Addrs: []string{"127.0.0.1:1"}, DialTimeout: 500 * time.Millisecond})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no server answered")
	_, err = New(ctx, Options{Addrs: []string{"127.0.0.1:1"}, LockNodes: -1})
	require.Error(t, err)
}
