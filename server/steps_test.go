package server

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
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
	srv := New(config.Default(), st, slog.New(slog.DiscardHandler))
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
