package client

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// The client must not import server internals, so its tests run against
// real processes: meshcache built from ../cmd/meshcache once for the package,
// and redis-server for the Redis mode.

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// meshcache returns the meshcache binary, built once for the package.
// Without -race: what is under test here is the client, which runs in
// this (race-checked) process; the server's races are the business of
// its own packages and of tests/, and a race-built server would triple
// the CPU these tests take.
func meshcache(t testing.TB) string {
	t.Helper()
	return testenv.Meshcache(t, false)
}

// startMeshcache starts n meshcache nodes, the first alone and the others
// joining it by its cluster port, and waits until the cluster is settled.
// Pause and Resume (SIGSTOP, SIGCONT) freeze a node as a long GC pause or a
// frozen VM would; Kill crashes it.
func startMeshcache(t testing.TB, n int) []*testenv.Proc {
	t.Helper()
	return testenv.StartCluster(t, meshcache(t), n, "--gossip", "local", "--log-level", "warn")
}

// startRedis starts n redis-server processes without persistence, or skips
// the test when redis-server is not installed.
func startRedis(t testing.TB, n int) []*testenv.Proc {
	t.Helper()
	return testenv.StartRedis(t, n)
}

func addrsOf(ps []*testenv.Proc) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Addr
	}
	return out
}

// newClient connects a Client to addrs, closed when the test ends.
func newClient(t testing.TB, opts Options) *Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := New(ctx, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
