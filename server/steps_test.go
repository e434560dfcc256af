package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store"
)

// Helpers of the table tests that run commands through a whole server
// (the command families test themselves in package commands).

// startDataServer starts an in-process server with an empty store on a
// free loopback port and returns its address. The server stops when the
// test ends.
func startDataServer(t *testing.T) string {
	t.Helper()
	st := store.New(store.Config{})
	srv := New(DefaultConfig(), st, slog.New(slog.DiscardHandler))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return ln.Addr().String()
}

// step is one command of a table test and what it must answer: want is the
// go-redis value (string, int64, nil for a null, []any, map[any]any ...),
// or err the exact error text.
type step struct {
	args []any
	want any
	err  string
}

// byProto is a want that differs between RESP2 and RESP3 (maps, doubles).
type byProto struct{ resp2, resp3 any }

// runSteps runs steps in order on c, on a fresh keyspace.
func runSteps(t *testing.T, ctx context.Context, c *redis.Client, proto string, steps []step) {
	t.Helper()
	for _, s := range steps {
		if bp, ok := s.want.(byProto); ok {
			s.want = bp.resp2
			if proto == "resp3" {
				s.want = bp.resp3
			}
		}
		v, err := c.Do(ctx, s.args...).Result()
		if s.err != "" {
			require.Error(t, err, "%v", s.args)
			require.Equal(t, s.err, err.Error(), "%v", s.args)
			continue
		}
		if errors.Is(err, redis.Nil) {
			require.Nil(t, s.want, "%v answered null", s.args)
			continue
		}
		require.NoError(t, err, "%v", s.args)
		require.Equal(t, s.want, v, "%v", s.args)
	}
}
