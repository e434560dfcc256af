package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

func TestLocalAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{":9379", "127.0.0.1:9379"},
		{"0.0.0.0:9379", "127.0.0.1:9379"},
		{"[::]:9379", "127.0.0.1:9379"},
		{"10.1.2.3:9379", "10.1.2.3:9379"},
		{"node1:9379", "node1:9379"},
		{"garbage", "garbage"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, localAddr(tt.in), tt.in)
	}
}

// TestHealthcheckSubcommand runs a real server with its admin port and
// checks the subcommand's exit codes: 0 for a healthy endpoint, 1 for a
// not-ready one or a closed port, 2 for bad flags.
func TestHealthcheckSubcommand(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	cfg := config.Default()
	srv := server.New(cfg, store.New(cfg.StoreConfig()), logger)
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	adminAddr := free.Addr().String()
	require.NoError(t, free.Close())
	stop, err := startAdmin(adminAddr, srv, srv.Solo(), logger)
	require.NoError(t, err)
	defer stop()

	noEnv := func(string) (string, bool) { return "", false }
	var stderr bytes.Buffer
	// The RESP port is not serving yet: alive, not ready.
	assert.Equal(t, 0, healthcheck([]string{"--addr", adminAddr}, noEnv, &stderr))
	assert.Equal(t, 1, healthcheck([]string{"--addr", adminAddr, "--path", "/readyz"}, noEnv, &stderr))
	assert.Contains(t, stderr.String(), "503")

	ctx, cancel := context.WithCancel(context.Background())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	}()
	env := func(k string) (string, bool) {
		if k == "MESHCACHE_ADMIN_ADDR" {
			_, port, _ := net.SplitHostPort(adminAddr)
			return "0.0.0.0:" + port, true
		}
		return "", false
	}
	require.Eventually(t, func() bool {
		return healthcheck([]string{"--path", "readyz"}, env, &stderr) == 0
	}, 10*time.Second, 10*time.Millisecond, "ready once serving; address from the environment")

	assert.Equal(t, 2, healthcheck([]string{"--bogus"}, noEnv, &stderr))
	stop()
	assert.Equal(t, 1, healthcheck([]string{"--addr", adminAddr, "--timeout", "2s"}, noEnv, &stderr), "admin port closed")
}

func TestStartAdminOffAndBusyPort(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	cfg := config.Default()
	srv := server.New(cfg, store.New(cfg.StoreConfig()), logger)
	stop, err := startAdmin("", srv, srv.Solo(), logger)
	require.NoError(t, err)
	stop() // off: nothing to stop

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer busy.Close()
	_, err = startAdmin(busy.Addr().String(), srv, srv.Solo(), logger)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "admin port")
}
