package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/admin"
	"github.com/meshcache/meshcache/server/config"
)

// TestClusterEnabledSetting: cluster-enabled comes from the flag, the
// environment or the config file (yes by default); no with join is a
// configuration error, as is a local cluster without the cluster layer.
func TestClusterEnabledSetting(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	var out bytes.Buffer
	cfg, err := config.Parse(nil, noEnv, &out)
	require.NoError(t, err)
	assert.True(t, cfg.ClusterEnabled, "default: the cluster layer runs (a one-node cluster without --join)")

	cfg, err = config.Parse([]string{"--cluster-enabled", "no"}, noEnv, &out)
	require.NoError(t, err)
	assert.False(t, cfg.ClusterEnabled)
	cfg, err = config.Parse([]string{"--cluster-enabled=yes"}, noEnv, &out)
	require.NoError(t, err)
	assert.True(t, cfg.ClusterEnabled)

	env := func(k string) (string, bool) {
		if k == "MESHCACHE_CLUSTER_ENABLED" {
			return "no", true
		}
		return "", false
	}
	cfg, err = config.Parse(nil, env, &out)
	require.NoError(t, err)
	assert.False(t, cfg.ClusterEnabled, "MESHCACHE_CLUSTER_ENABLED")
	cfg, err = config.Parse([]string{"--cluster-enabled", "yes"}, env, &out)
	require.NoError(t, err)
	assert.True(t, cfg.ClusterEnabled, "the flag wins over the environment")

	file := filepath.Join(t.TempDir(), "meshcache.conf")
	require.NoError(t, os.WriteFile(file, []byte("cluster-enabled no\nport 60000\n"), 0o600))
	cfg, err = config.Parse([]string{"--config", file}, noEnv, &out)
	require.NoError(t, err, "a standalone node needs no cluster port, so port+10000 past 65535 is fine")
	assert.False(t, cfg.ClusterEnabled, "config file")

	_, err = config.Parse([]string{"--cluster-enabled", "maybe"}, noEnv, &out)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "argument must be 'yes' or 'no'")

	_, err = config.Parse([]string{"--cluster-enabled", "no", "--join", "10.0.0.1:16379"}, noEnv, &out)
	require.Error(t, err)
	assert.Equal(t, "join: a node with cluster-enabled no is standalone and joins no cluster; drop join or set cluster-enabled yes", err.Error())

	base := config.Default()
	base.ClusterEnabled = false
	_, err = localClusterConfigs(base, 3)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--local-cluster runs a cluster: it needs cluster-enabled yes")
}

// buildBinary builds the meshcache binary into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "meshcache")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// TestStandaloneBinary starts the binary with --cluster-enabled no and
// talks to it with go-redis: no cluster port is open, and multi-key
// commands and transactions whose keys live in different slots run, as on
// a Redis server with cluster mode off; its admin port reports it healthy
// and ready. SIGTERM stops it with exit code 0.
func TestStandaloneBinary(t *testing.T) {
	bin := buildBinary(t)
	port, adminPort := freePort(t), freePort(t)
	adminAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(adminPort))
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--cluster-enabled", "no", "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
		"--admin-addr", adminAddr, "--log-level", "warn")
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // joined below or in the cleanup
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-exited
		}
	})

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	t.Cleanup(func() { _ = c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.Eventually(t, func() bool { return c.Ping(ctx).Err() == nil }, 20*time.Second, 20*time.Millisecond,
		"the node answers PING (stderr: %s)", &stderr)

	_, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)), time.Second)
	assert.Error(t, err, "no cluster port")
	require.NoError(t, admin.CheckHealth(ctx, adminAddr, "/healthz"))
	require.NoError(t, admin.CheckHealth(ctx, adminAddr, "/readyz"), "a standalone node is ready: it serves every slot")

	require.NotEqual(t, ring.KeySlot([]byte("a")), ring.KeySlot([]byte("b")))
	require.NoError(t, c.MSet(ctx, "a", "1", "b", "2").Err(), "keys of two slots in one MSET")
	assert.Equal(t, []any{"1", "2"}, c.MGet(ctx, "a", "b").Val())
	require.NoError(t, c.Rename(ctx, "a", "c").Err(), "RENAME across slots")
	assert.Equal(t, "1", c.Get(ctx, "c").Val())
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "x")
		p.Incr(ctx, "y")
		p.Incr(ctx, "c")
		return nil
	})
	require.NoError(t, err, "MULTI/EXEC across slots")
	require.Len(t, cmds, 3)
	assert.EqualValues(t, 2, cmds[2].(*redis.IntCmd).Val())

	assert.Equal(t, map[string]string{"cluster-enabled": "no"}, c.ConfigGet(ctx, "cluster-enabled").Val())
	err = c.ConfigSet(ctx, "cluster-enabled", "yes").Err()
	require.Error(t, err)
	assert.Equal(t, "ERR CONFIG SET failed (possibly related to argument 'cluster-enabled') - can't set immutable config", err.Error())
	err = c.Do(ctx, "CLUSTER", "MEET", "127.0.0.1", "7000").Err()
	require.Error(t, err)
	assert.Equal(t, "ERR This node runs without a cluster port", err.Error())

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, "exit status (stderr: %s)", &stderr)
	case <-time.After(20 * time.Second):
		t.Fatal("the node did not stop on SIGTERM")
	}
}

// TestStandaloneBinaryRefusesJoin: --cluster-enabled no with --join is a
// configuration error: exit code 2 and the reason on stderr.
func TestStandaloneBinaryRefusesJoin(t *testing.T) {
	bin := buildBinary(t)
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--cluster-enabled", "no", "--join", "127.0.0.1:17000", "--port", strconv.Itoa(freePort(t)))
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "%v", err)
	assert.Equal(t, 2, exit.ExitCode())
	assert.Contains(t, stderr.String(), "cluster-enabled no is standalone and joins no cluster")
}
