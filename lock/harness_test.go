package lock

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/tests/testenv"
)

// startRedis starts n redis-server processes without persistence
// (testenv.StartRedis), stopped when the test ends; it skips the test when
// redis-server is not installed. Pause and Resume (SIGSTOP, SIGCONT) freeze
// one as a long GC pause would; Kill crashes it.
func startRedis(t testing.TB, n int) []*testenv.Proc {
	t.Helper()
	return testenv.StartRedis(t, n, "--loglevel", "warning")
}

// node is a meshcache stand-in: a real RESP server (redcon) whose LOCK.*
// commands run on a real Table, exactly what server/locks.go wraps. It can
// be stopped and started again on the same address with the same Table,
// as a node cut off by a partition and then healed.
type node struct {
	t     testing.TB
	table *Table
	addr  string

	mu   sync.Mutex // guards srv and done
	srv  *redcon.Server
	done chan error
}

func startNodes(t testing.TB, n int) []*node {
	t.Helper()
	nodes := make([]*node, n)
	for i := range nodes {
		nd := &node{t: t, table: NewTable(TableConfig{}), addr: "127.0.0.1:0"}
		nd.start()
		t.Cleanup(nd.stop)
		nodes[i] = nd
	}
	return nodes
}

func (nd *node) handle(conn redcon.Conn, cmd redcon.Command) {
	name := strings.ToUpper(string(cmd.Args[0]))
	switch {
	case strings.HasPrefix(name, "LOCK."):
		r, err := nd.table.Do(cmd.Args)
		if err != nil {
			conn.WriteError(err.Error())
			return
		}
		conn.WriteRaw(r.AppendRESP(nil))
	case name == "PING":
		conn.WriteString("PONG")
	default:
		conn.WriteError(fmt.Sprintf("ERR unknown command '%s'", cmd.Args[0]))
	}
}

// start serves the node's table on its address (a fresh port the first
// time, the same one afterwards).
func (nd *node) start() {
	nd.t.Helper()
	nd.mu.Lock()
	defer nd.mu.Unlock()
	// The old port may linger briefly after a stop: wait until it can be
	// listened on again.
	err := testenv.Until(5*time.Second, func() error {
		srv := redcon.NewServerNetwork("tcp", nd.addr, nd.handle, nil, nil)
		sig := make(chan error, 1)
		done := make(chan error, 1)
		go func() { done <- srv.ListenServeAndSignal(sig) }() // ends when stop closes srv
		if err := <-sig; err != nil {
			<-done
			return err
		}
		nd.srv, nd.done = srv, done
		return nil
	})
	require.NoError(nd.t, err, "listen %s", nd.addr)
	nd.addr = nd.srv.Addr().String()
}

// stop closes the listener and every connection, and waits for the
// serving goroutine.
func (nd *node) stop() {
	nd.mu.Lock()
	defer nd.mu.Unlock()
	if nd.srv == nil {
		return
	}
	if err := nd.srv.Close(); err != nil {
		nd.t.Errorf("close node %s: %v", nd.addr, err)
	}
	if err := <-nd.done; err != nil && !errors.Is(err, net.ErrClosed) {
		nd.t.Errorf("serve node %s: %v", nd.addr, err)
	}
	nd.srv, nd.done = nil, nil
}

// redisLocker returns a Locker over the Redis servers, closed at cleanup.
func redisLocker(t testing.TB, procs []*testenv.Proc, opts ...Option) *Locker {
	t.Helper()
	var backends []Backend
	for _, p := range procs {
		backends = append(backends, NewRedisBackend(redis.NewClient(ClientOptions(p.Addr)), "test:"))
	}
	l, err := New(backends, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// nodeLocker returns a Locker over the nodes' LOCK.* commands.
func nodeLocker(t testing.TB, nodes []*node, opts ...Option) *Locker {
	t.Helper()
	var backends []Backend
	for _, nd := range nodes {
		backends = append(backends, NewMeshcacheBackend(redis.NewClient(ClientOptions(nd.addr))))
	}
	l, err := New(backends, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}
