package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/admin/clusterview"
	"github.com/meshcache/meshcache/tests/testenv"
)

// consoleNode is a node process of a test cluster with its admin port.
type consoleNode struct {
	proc  *testenv.Proc
	admin string // host:port of its admin port
	id    string // node ID
}

// startConsoleCluster starts n node processes of the binary, each with an
// admin port, the later ones joining the first, waits until the cluster
// settled and returns them; they stop when the test ends.
func startConsoleCluster(t *testing.T, n int, args ...string) []consoleNode {
	t.Helper()
	if testing.Short() {
		t.Skip("runs a cluster of processes")
	}
	bin := testenv.Meshcache(t, false)
	var nodes []consoleNode
	var procs []*testenv.Proc
	for i := range n {
		adminAddr := net.JoinHostPort("127.0.0.1", strconv.Itoa(testenv.Free(t, 0)))
		full := append([]string{"--admin-addr", adminAddr, "--log-level", "warn"}, args...)
		if i > 0 {
			full = append(full, "--join", testenv.ClusterAddr(procs[0]))
		}
		p := testenv.StartNode(t, bin, full...)
		procs = append(procs, p)
		nodes = append(nodes, consoleNode{proc: p, admin: adminAddr})
	}
	t.Cleanup(func() { testenv.StopAll(procs...) })
	testenv.WaitSettled(t, testenv.SettleTimeout, procs...)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := range nodes {
		c := nodes[i].proc.Client(2)
		id, err := c.ClusterMyID(ctx).Result()
		require.NoError(t, err)
		nodes[i].id = id
	}
	return nodes
}

// syncWriter is a buffer the watch loop writes while the test reads.
type syncWriter struct {
	mu sync.Mutex // guards b
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// TestStatusSubcommand runs `meshcache status` against a real 3-node
// cluster: once as text and as JSON from different nodes, with --watch
// until cancelled, and after a node is killed, which it shows failed.
func TestStatusSubcommand(t *testing.T) {
	nodes := startConsoleCluster(t, 3)
	noEnv := func(string) (string, bool) { return "", false }
	ctx := context.Background()

	var out, errOut bytes.Buffer
	require.Equal(t, 0, status(ctx, []string{"--addr", nodes[1].admin, "--events", "50"}, noEnv, &out, &errOut), errOut.String())
	text := out.String()
	assert.Contains(t, text, "16384 of 16384 slots assigned")
	assert.Contains(t, text, "members 3 alive, 0 dead, 0 unreachable")
	for _, n := range nodes {
		assert.Contains(t, text, n.id[:8], "every node in the table")
		assert.Contains(t, text, n.proc.Addr)
	}
	assert.Contains(t, text, nodes[1].id[:8]+"*", "the node asked is marked")
	assert.Contains(t, text, "join", "the joins are in the events")

	out.Reset()
	require.Equal(t, 0, status(ctx, []string{"--addr", nodes[2].admin, "--json"}, noEnv, &out, &errOut), errOut.String())
	var v clusterview.View
	require.NoError(t, json.Unmarshal(out.Bytes(), &v))
	assert.Equal(t, nodes[2].id, v.Node)
	assert.Len(t, v.Members, 3)

	wctx, cancel := context.WithCancel(ctx)
	var wout syncWriter
	done := make(chan int, 1)
	go func() { // joined below
		done <- status(wctx, []string{"--addr", nodes[0].admin, "--watch", "--interval", "100ms"}, noEnv, &wout, &errOut)
	}()
	testenv.Wait(t, 30*time.Second, "two refreshes", func() error {
		if n := strings.Count(wout.String(), "\033[2J"); n < 2 {
			return fmt.Errorf("%d refreshes", n)
		}
		return nil
	})
	cancel()
	assert.Equal(t, 0, <-done)

	nodes[2].proc.Kill()
	testenv.Wait(t, 60*time.Second, "the killed node shown failed", func() error {
		out.Reset()
		if status(ctx, []string{"--addr", nodes[0].admin}, noEnv, &out, &errOut) != 0 {
			return fmt.Errorf("status failed: %s", errOut.String())
		}
		line := lineWith(out.String(), nodes[2].id[:8]+" ")
		if !strings.Contains(line, "FAILED") || !strings.Contains(line, "unreachable") {
			return fmt.Errorf("its line: %q", line)
		}
		return nil
	})

	assert.Equal(t, 1, status(ctx, []string{"--addr", nodes[2].admin}, noEnv, &out, &errOut), "a dead admin port fails")
	assert.Equal(t, 2, status(ctx, []string{"--bogus"}, noEnv, &out, &errOut))
}

// lineWith returns the first line of s that contains sub.
func lineWith(s, sub string) string {
	for line := range strings.Lines(s) {
		if strings.Contains(line, sub) {
			return line
		}
	}
	return ""
}
