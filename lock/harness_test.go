package lock

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/tests/ports"
)

// redisProc is a real redis-server process on a loopback port.
type redisProc struct {
	addr string
	cmd  *exec.Cmd
	done chan struct{} // closed once the process has exited and been reaped
	mu   sync.Mutex
	dead bool
}

// startRedis starts n redis-server processes without persistence, waits
// until each answers as itself, and kills them when the test ends. It skips
// the test when redis-server is not installed.
func startRedis(t testing.TB, n int) []*redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found in PATH: skipping the tests against real Redis servers")
	}
	procs := make([]*redisProc, n)
	for i := range procs {
		procs[i] = startOneRedis(t, bin)
	}
	return procs
}

// startOneRedis starts one server on a fresh port. A port is free only "a
// moment ago": when the server cannot bind it, or another process answers
// on it, the server is started again on another port.
func startOneRedis(t testing.TB, bin string) *redisProc {
	t.Helper()
	var last error
	for range 5 {
		port := ports.Free(t, 0)
		cmd := exec.Command(bin, "--port", fmt.Sprint(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning",
			"--dir", t.TempDir())
		require.NoError(t, cmd.Start())
		p := &redisProc{addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, done: make(chan struct{})}
		go func() {
			_ = cmd.Wait() // "signal: killed" is the expected outcome
			close(p.done)
		}()
		if last = p.waitServing(); last == nil {
			t.Cleanup(p.kill)
			return p
		}
		p.kill()
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}

// waitServing waits until the server answers on its port as itself (INFO's
// process_id is its pid), for up to 10 seconds.
func (p *redisProc) waitServing() error {
	c := redis.NewClient(&redis.Options{Addr: p.addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.done:
			return fmt.Errorf("redis-server for %s exited (port taken?)", p.addr)
		default:
		}
		// Wait for the port first: go-redis logs every refused dial.
		conn, err := net.DialTimeout("tcp", p.addr, 200*time.Millisecond)
		if err != nil {
			continue
		}
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		ours, err := ports.ServedBy(ctx, c, p.cmd.Process.Pid)
		cancel()
		switch {
		case err != nil:
			continue
		case !ours:
			return fmt.Errorf("another process answers on %s", p.addr)
		}
		return nil
	}
	return fmt.Errorf("redis-server on %s did not answer within 10s", p.addr)
}

// kill SIGKILLs the server (resuming it first if stopped) and reaps it.
func (p *redisProc) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.dead {
		return
	}
	p.dead = true
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// signal sends sig (SIGSTOP/SIGCONT) to the server.
func (p *redisProc) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	require.NoError(t, p.cmd.Process.Signal(sig))
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
	var (
		srv *redcon.Server
		err error
	)
	// The old port may linger briefly after a stop; retry for a while.
	deadline := time.Now().Add(5 * time.Second)
	for {
		srv = redcon.NewServerNetwork("tcp", nd.addr, nd.handle, nil, nil)
		sig := make(chan error, 1)
		done := make(chan error, 1)
		go func() { done <- srv.ListenServeAndSignal(sig) }()
		if err = <-sig; err == nil {
			nd.srv, nd.done = srv, done
			break
		}
		<-done
		require.True(nd.t, time.Now().Before(deadline), "listen %s: %v", nd.addr, err)
		time.Sleep(20 * time.Millisecond)
	}
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
func redisLocker(t testing.TB, procs []*redisProc, opts ...Option) *Locker {
	t.Helper()
	var backends []Backend
	for _, p := range procs {
		backends = append(backends, NewRedisBackend(redis.NewClient(ClientOptions(p.addr)), "test:"))
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
