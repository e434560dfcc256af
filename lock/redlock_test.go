package lock

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuorum(t *testing.T) {
	for _, tt := range []struct{ n, want int }{{1, 1}, {2, 2}, {3, 2}, {4, 3}, {5, 3}, {6, 4}, {7, 4}} {
		assert.Equal(t, tt.want, Quorum(tt.n), "n=%d", tt.n)
		// Any two quorums intersect: the fact the fencing proof rests on.
		assert.Greater(t, 2*Quorum(tt.n), tt.n)
	}
}

func TestValidity(t *testing.T) {
	tests := []struct {
		ttl, elapsed, drift, validity time.Duration
	}{
		{10 * time.Second, 0, 102 * time.Millisecond, 9898 * time.Millisecond},
		{10 * time.Second, time.Second, 102 * time.Millisecond, 8898 * time.Millisecond},
		{time.Second, 50 * time.Millisecond, 12 * time.Millisecond, 938 * time.Millisecond},
		{100 * time.Millisecond, 97 * time.Millisecond, 3 * time.Millisecond, 0},
		{100 * time.Millisecond, 200 * time.Millisecond, 3 * time.Millisecond, -103 * time.Millisecond},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.drift, Drift(tt.ttl), "drift of %v", tt.ttl)
		assert.Equal(t, tt.validity, Validity(tt.ttl, tt.elapsed), "validity of %v after %v", tt.ttl, tt.elapsed)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	_, err := New(nil)
	require.Error(t, err)
	nodes := startNodes(t, 1)
	b := NewMeshcacheBackend(redis.NewClient(ClientOptions(nodes[0].addr)))
	t.Cleanup(func() { _ = b.Close() })
	_, err = New([]Backend{b}, WithRetryDelay(time.Second, time.Millisecond))
	require.Error(t, err)
}

// contend runs workers goroutines that each take the lock rounds times and
// checks, inside the critical section, that nobody else is in it and that
// the fencing token is above every token used before. midway, if not nil,
// runs once after half of the critical sections.
func contend(t *testing.T, lockers []*Locker, workers, rounds int, ttl time.Duration, midway func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var (
		inside    atomic.Int32
		lastToken uint64 // guarded by the distributed lock itself; checked with atomics
		sections  atomic.Int64
		midOnce   sync.Once
		wg        sync.WaitGroup
	)
	total := int64(workers * rounds)
	for w := range workers {
		l := lockers[w%len(lockers)]
		wg.Go(func() {
			for range rounds {
				lk, err := l.Acquire(ctx, "counter", ttl)
				if !assert.NoError(t, err) {
					return
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("mutual exclusion broken: %d holders inside", n)
				}
				prev := atomic.LoadUint64(&lastToken)
				if lk.Token() <= prev {
					t.Errorf("token %d not above the previous holder's %d", lk.Token(), prev)
				}
				atomic.StoreUint64(&lastToken, lk.Token())
				// Hold it for a moment: a scenario step (give a second
				// holder the chance to overlap), not a wait on a condition.
				time.Sleep(time.Millisecond)
				inside.Add(-1)
				assert.NoError(t, lk.Release(ctx))
				if sections.Add(1) == total/2 && midway != nil {
					midOnce.Do(midway)
				}
			}
		})
	}
	wg.Wait()
	require.Equal(t, total, sections.Load())
}

func TestRedisMutualExclusionSurvivesMinorityKill(t *testing.T) {
	procs := startRedis(t, 5)
	var lockers []*Locker
	for range 3 {
		lockers = append(lockers, redisLocker(t, procs, WithRetryDelay(time.Millisecond, 10*time.Millisecond)))
	}
	contend(t, lockers, 6, 25, 5*time.Second, func() {
		procs[1].Kill()
		procs[3].Kill()
	})
}

func TestRedisReleaseAndExtendOnlyByHolder(t *testing.T) {
	procs := startRedis(t, 3)
	la := redisLocker(t, procs)
	lb := redisLocker(t, procs)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	a, err := la.Acquire(ctx, "job", 10*time.Second)
	require.NoError(t, err)
	assert.Greater(t, a.Validity(), time.Duration(0))
	assert.LessOrEqual(t, a.Validity(), 10*time.Second-Drift(10*time.Second))

	// The keys are what the backend documents.
	raw := redis.NewClient(ClientOptions(procs[0].Addr))
	defer raw.Close()
	assert.Equal(t, a.Holder(), raw.Get(ctx, "test:{job}").Val())
	assert.Equal(t, fmt.Sprint(a.Token()), raw.Get(ctx, "test:{job}:fence").Val())

	_, err = lb.TryAcquire(ctx, "job", 10*time.Second)
	require.ErrorIs(t, err, ErrTaken)

	// Another holder's release and extend do nothing.
	for _, b := range lb.backends {
		require.ErrorIs(t, b.Release(ctx, "job", "someone-else"), ErrNotHeld)
		require.ErrorIs(t, b.Extend(ctx, "job", "someone-else", time.Hour), ErrNotHeld)
		require.ErrorIs(t, b.Confirm(ctx, "job", "someone-else", a.Token()+100), ErrNotHeld)
	}
	assert.Equal(t, a.Holder(), raw.Get(ctx, "test:{job}").Val())
	pttl := raw.PTTL(ctx, "test:{job}").Val()
	assert.LessOrEqual(t, pttl, 10*time.Second)

	require.NoError(t, a.Extend(ctx))
	require.NoError(t, a.Release(ctx))
	require.ErrorIs(t, a.Release(ctx), ErrNotHeld)
	require.ErrorIs(t, a.Extend(ctx), ErrNotHeld)
	assert.Equal(t, int64(0), raw.Exists(ctx, "test:{job}").Val())

	b, err := lb.Acquire(ctx, "job", 10*time.Second)
	require.NoError(t, err)
	assert.Greater(t, b.Token(), a.Token())
	// A stale token cannot be confirmed by the new holder either.
	err = lb.backends[0].Confirm(ctx, "job", b.Holder(), a.Token())
	require.ErrorIs(t, err, ErrStaleToken)
	require.NoError(t, b.Release(ctx))
}

func TestRedisAcquireWaitsAndHonoursContext(t *testing.T) {
	procs := startRedis(t, 3)
	l := redisLocker(t, procs, WithRetryDelay(5*time.Millisecond, 20*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := l.Acquire(ctx, "w", 10*time.Second)
	require.NoError(t, err)

	// Long enough for at least one round of refusals on a loaded machine:
	// a deadline that ends before any endpoint answered is a different
	// error (quorum unavailable), which is not what this checks.
	short, cancelShort := context.WithTimeout(ctx, time.Second)
	_, err = l.Acquire(short, "w", 10*time.Second)
	cancelShort()
	require.ErrorIs(t, err, ErrTaken)
	require.ErrorIs(t, err, context.DeadlineExceeded)

	// A waiter gets the lock once the holder releases it.
	got := make(chan *Lock, 1)
	go func() {
		lk, err := l.Acquire(ctx, "w", 10*time.Second)
		assert.NoError(t, err)
		got <- lk
	}()
	require.NoError(t, a.Release(ctx))
	select {
	case lk := <-got:
		require.NotNil(t, lk)
		assert.Greater(t, lk.Token(), a.Token())
		require.NoError(t, lk.Release(ctx))
	case <-ctx.Done():
		t.Fatal("waiter never got the lock")
	}
}

// TestRedisLostWhenRenewalPaused stops a majority of the servers (SIGSTOP)
// so that renewals cannot reach a quorum: the holder must see Lost once its
// validity runs out, and the next holder gets a larger token.
func TestRedisLostWhenRenewalPaused(t *testing.T) {
	procs := startRedis(t, 3)
	l := redisLocker(t, procs, WithEndpointTimeout(50*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lk, err := l.Acquire(ctx, "paused", 600*time.Millisecond)
	require.NoError(t, err)

	procs[0].Pause()
	procs[1].Pause()
	select {
	case <-lk.Lost():
	case <-ctx.Done():
		t.Fatal("Lost was never closed")
	}
	select { // the lock's context ends right after Lost closes
	case <-lk.Context().Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the lock's context did not end with it")
	}
	procs[0].Resume()
	procs[1].Resume()

	require.ErrorIs(t, lk.Extend(ctx), ErrNotHeld)
	next, err := l.Acquire(ctx, "paused", 10*time.Second)
	require.NoError(t, err)
	assert.Greater(t, next.Token(), lk.Token())
	require.ErrorIs(t, lk.Release(ctx), ErrNotHeld)
	require.NoError(t, next.Release(ctx))
}

// TestRedisLostWhenRenewalSplits: one server has lost the lease (it
// refuses the renewal) and another is stopped (no answer): no renewal can
// reach a quorum, so the watchdog keeps trying and declares the lock lost
// when its validity runs out, not before and not never.
func TestRedisLostWhenRenewalSplits(t *testing.T) {
	procs := startRedis(t, 3)
	l := redisLocker(t, procs, WithEndpointTimeout(50*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const ttl = 900 * time.Millisecond
	before := time.Now()
	lk, err := l.Acquire(ctx, "split", ttl)
	require.NoError(t, err)
	took := time.Since(before)

	// The lease goes from one server (if it was granted there at all) and
	// another stops answering: one renewal succeeds at most.
	rc := redis.NewClient(ClientOptions(procs[0].Addr))
	t.Cleanup(func() { _ = rc.Close() })
	require.NoError(t, rc.Del(ctx, "test:{split}").Err())
	procs[1].Pause()
	t.Cleanup(procs[1].Resume)
	select {
	case <-lk.Lost():
		assert.GreaterOrEqual(t, time.Since(before), Validity(ttl, took), "declared lost before its validity ran out")
	case <-ctx.Done():
		t.Fatal("Lost was never closed: the watchdog gave up on a lock it still held on one endpoint")
	}
	require.ErrorIs(t, lk.Release(ctx), ErrNotHeld)
}

// TestRedisMinorityStoppedDoesNotBlock: a stopped server (it accepts
// connections but never answers) costs one endpoint timeout, not the lock.
// The timeout leaves the answering servers room on a loaded machine (CI's
// run at load 11 saw 100 ms run out on all three).
func TestRedisMinorityStoppedDoesNotBlock(t *testing.T) {
	procs := startRedis(t, 3)
	l := redisLocker(t, procs, WithEndpointTimeout(time.Second))
	procs[2].Pause()
	t.Cleanup(procs[2].Resume)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lk, err := l.Acquire(ctx, "m", 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, lk.Extend(ctx))
	require.NoError(t, lk.Release(ctx))
}

func TestMeshcacheFencingAcrossHolders(t *testing.T) {
	nodes := startNodes(t, 5)
	lockers := []*Locker{nodeLocker(t, nodes), nodeLocker(t, nodes)}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last uint64
	for i := range 20 {
		lk, err := lockers[i%2].Acquire(ctx, "f", 5*time.Second)
		require.NoError(t, err)
		require.Greater(t, lk.Token(), last)
		// Every node confirmed it: its mark is the token.
		for _, nd := range nodes {
			require.Equal(t, lk.Token(), nd.table.Mark("f"))
		}
		last = lk.Token()
		require.NoError(t, lk.Release(ctx))
	}
}

// TestMeshcacheFencingThroughQuorumIntersection makes successive holders
// use different majorities: the token must still grow, because the one node
// both majorities share carries the mark.
func TestMeshcacheFencingThroughQuorumIntersection(t *testing.T) {
	nodes := startNodes(t, 5)
	l := nodeLocker(t, nodes, WithEndpointTimeout(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Give nodes 3 and 4 a head start of high marks, then cut them off.
	for range 3 {
		lk, err := l.Acquire(ctx, "x", 5*time.Second)
		require.NoError(t, err)
		require.NoError(t, lk.Release(ctx))
	}
	nodes[3].stop()
	nodes[4].stop()
	a, err := l.Acquire(ctx, "x", 5*time.Second) // on {0,1,2}
	require.NoError(t, err)
	require.NoError(t, a.Release(ctx))
	assert.Less(t, nodes[3].table.Mark("x"), a.Token())

	// Heal 3 and 4, cut 0 and 1: the next majority is {2,3,4}, and only
	// node 2 knows a's token.
	nodes[3].start()
	nodes[4].start()
	nodes[0].stop()
	nodes[1].stop()
	b, err := l.Acquire(ctx, "x", 5*time.Second)
	require.NoError(t, err)
	assert.Greater(t, b.Token(), a.Token())
	require.NoError(t, b.Release(ctx))
}

func TestMeshcacheMutualExclusionSurvivesMinorityLoss(t *testing.T) {
	nodes := startNodes(t, 5)
	var lockers []*Locker
	for range 3 {
		lockers = append(lockers, nodeLocker(t, nodes, WithRetryDelay(time.Millisecond, 10*time.Millisecond)))
	}
	contend(t, lockers, 6, 25, 5*time.Second, func() {
		nodes[0].stop()
		nodes[4].stop()
	})
}

func TestMeshcacheTakenUnavailableAndCleanup(t *testing.T) {
	nodes := startNodes(t, 5)
	l := nodeLocker(t, nodes, WithEndpointTimeout(200*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// a holds the lock on {0,1,2} only.
	nodes[3].stop()
	nodes[4].stop()
	a, err := l.Acquire(ctx, "t", 10*time.Second)
	require.NoError(t, err)
	nodes[3].start()
	nodes[4].start()

	// b is granted on {3,4} but refused on {0,1,2}: it must fail with
	// ErrTaken and give back what it got.
	_, err = l.TryAcquire(ctx, "t", 10*time.Second)
	require.ErrorIs(t, err, ErrTaken)
	for _, i := range []int{3, 4} {
		ok, _, _ := nodes[i].table.Acquire("t", "probe", time.Millisecond)
		assert.True(t, ok, "node %d still has the failed attempt's lease", i)
		// The probe's own lease must not refuse the acquire below, which
		// can come within its millisecond on a fast machine.
		assert.True(t, nodes[i].table.Release("t", "probe"), "node %d: release the probe", i)
	}
	require.NoError(t, a.Release(ctx))

	// With a majority down nothing can be acquired.
	for _, i := range []int{0, 1, 2} {
		nodes[i].stop()
	}
	_, err = l.TryAcquire(ctx, "t", 10*time.Second)
	require.ErrorIs(t, err, ErrUnavailable)
	require.False(t, errors.Is(err, ErrTaken))
}

// TestMeshcacheLostWhenQuorumForgetsHolder: when a majority of nodes no
// longer has the holder (as after restarts), the next renewal declares the
// lock lost at once, without waiting for the validity to run out.
func TestMeshcacheLostWhenQuorumForgetsHolder(t *testing.T) {
	nodes := startNodes(t, 3)
	l := nodeLocker(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lk, err := l.Acquire(ctx, "gone", time.Minute)
	require.NoError(t, err)
	require.True(t, nodes[0].table.Release("gone", lk.Holder()))
	require.True(t, nodes[1].table.Release("gone", lk.Holder()))
	require.ErrorIs(t, lk.Extend(ctx), ErrNotHeld)
	select {
	case <-lk.Lost():
	default:
		t.Fatal("Lost not closed after a quorum forgot the holder")
	}
	require.ErrorIs(t, lk.Release(ctx), ErrNotHeld)
}

// TestMeshcacheWatchdogRenews holds a lock for several TTLs: only the
// watchdog's renewals keep it, and another client cannot take it meanwhile.
func TestMeshcacheWatchdogRenews(t *testing.T) {
	nodes := startNodes(t, 3)
	l := nodeLocker(t, nodes)
	other := nodeLocker(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const ttl = time.Second
	lk, err := l.Acquire(ctx, "renewed", ttl)
	require.NoError(t, err)
	deadline := time.Now().Add(3 * ttl)
	for time.Now().Before(deadline) {
		got, err := other.TryAcquire(ctx, "renewed", ttl)
		require.Error(t, err, "a second client took a renewed lock")
		require.Nil(t, got)
		// Probe again a fifth of a TTL later: the scenario spans several
		// TTLs so that only renewals can keep the lock; there is no
		// condition to wait for.
		time.Sleep(ttl / 5)
	}
	select {
	case <-lk.Lost():
		t.Fatal("lock lost although renewals could succeed")
	default:
	}
	require.NoError(t, lk.Release(ctx))
}

// TestWithoutAutoRenewLostAfterValidity: without renewals the watchdog only
// declares the lock lost when its validity ends.
func TestWithoutAutoRenewLostAfterValidity(t *testing.T) {
	nodes := startNodes(t, 3)
	l := nodeLocker(t, nodes, WithoutAutoRenew())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lk, err := l.Acquire(ctx, "once", 200*time.Millisecond)
	require.NoError(t, err)
	select {
	case <-lk.Lost():
	case <-ctx.Done():
		t.Fatal("Lost was never closed")
	}
	require.ErrorIs(t, lk.Extend(ctx), ErrNotHeld)
	require.ErrorIs(t, lk.Release(ctx), ErrNotHeld)
}
