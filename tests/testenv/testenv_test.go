package testenv

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFreeNeverRepeats(t *testing.T) {
	seen := map[int]bool{}
	for range 200 {
		p := Free(t, 0)
		require.False(t, seen[p], "port %d handed out twice", p)
		seen[p] = true
	}
}

func TestFreeChecksCompanion(t *testing.T) {
	p := Free(t, ClusterOffset)
	for _, q := range []int{p, p + ClusterOffset} {
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
		require.NoError(t, err, "port %d is not free", q)
		assert.NoError(t, ln.Close())
	}
}

func TestFreeRange(t *testing.T) {
	base := FreeRange(t, 3, ClusterOffset)
	for p := base; p < base+3; p++ {
		for _, q := range []int{p, p + ClusterOffset} {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(q))
			require.NoError(t, err, "port %d is not free", q)
			assert.NoError(t, ln.Close())
		}
	}
}

func TestUntil(t *testing.T) {
	calls := 0
	require.NoError(t, Until(time.Minute, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	}))
	assert.Equal(t, 3, calls)

	err := Until(10*time.Millisecond, func() error { return errors.New("never") })
	assert.ErrorContains(t, err, "never")

	calls = 0
	err = Until(time.Minute, func() error {
		calls++
		return Permanent(errors.New("gone"))
	})
	assert.EqualError(t, err, "gone")
	assert.Equal(t, 1, calls, "a permanent error ends the wait at once")
}

func TestStartRedis(t *testing.T) {
	for _, p := range StartRedis(t, 2, "--cluster-enabled", "yes") {
		c := redis.NewClient(&redis.Options{Addr: p.Addr})
		info, err := c.Info(context.Background(), "cluster").Result()
		require.NoError(t, err)
		assert.Contains(t, info, "cluster_enabled:1")
		require.NoError(t, c.Close())
	}
}

// leakyMarker says it runs, then blocks until stop is closed: a goroutine
// the leak check must see.
//
//go:noinline
func leakyMarker(running chan<- struct{}, stop <-chan struct{}) {
	close(running)
	<-stop
}

// TestWaitNoLeaksSeesAGoroutine: a goroutine running code under a watched
// prefix is reported while it runs, and not after it ended.
func TestWaitNoLeaksSeesAGoroutine(t *testing.T) {
	running, stop, done := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() { defer close(done); leakyMarker(running, stop) }()
	<-running // before this, the goroutine may not have reached leakyMarker
	leaked := waitNoLeaks(50*time.Millisecond, []string{"testenv.leakyMarker("})
	if !strings.Contains(leaked, "leakyMarker") {
		t.Fatalf("a running goroutine was not reported: %q", leaked)
	}
	close(stop)
	<-done
	if leaked := waitNoLeaks(5*time.Second, []string{"testenv.leakyMarker("}); leaked != "" {
		t.Fatalf("an ended goroutine was reported: %q", leaked)
	}
}
