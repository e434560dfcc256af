package client

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/ports"
)

// The client must not import server internals, so its tests run against
// real processes: meshcache built from ../cmd/meshcache once for the package,
// and redis-server for the Redis mode.

// meshcacheBin is the meshcache binary built by TestMain.
var meshcacheBin string

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "meshcache-client-tests-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "client tests: temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	meshcacheBin = filepath.Join(dir, "meshcache")
	// Without -race: what is under test here is the client, which runs in
	// this (race-checked) process; the server's races are the business of
	// its own packages and of tests/, and a race-built server would triple
	// the CPU these tests take.
	build := exec.Command("go", "build", "-o", meshcacheBin, "../cmd/meshcache")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "client tests: build meshcache:", err)
		return 1
	}
	return m.Run()
}

// proc is one server process started by a test and stopped when it ends.
type proc struct {
	t    testing.TB
	cmd  *exec.Cmd
	port int
	addr string
	out  *syncBuffer
	done chan struct{} // closed when the process exited

	mu      sync.Mutex
	stopped bool // SIGSTOPped and not yet continued
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startProc runs bin with args and waits until it answers on port as
// itself (INFO's process_id is its pid: a port free a moment ago may have
// been taken by another process since).
func startProc(t testing.TB, port int, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, port: port, addr: "127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	go func() {
		_ = p.cmd.Wait() // the exit status is not under test
		close(p.done)
	}()
	t.Cleanup(p.stop)
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := redis.NewClient(&redis.Options{Addr: p.addr, DialTimeout: time.Second, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ours, err := ports.ServedBy(ctx, c, p.cmd.Process.Pid)
		cancel()
		_ = c.Close()
		if err == nil {
			if !ours {
				t.Fatalf("another process answers on %s, not %s", p.addr, bin)
			}
			return p
		}
		select {
		case <-p.done:
			t.Fatalf("%s on %s exited early\n%s", bin, p.addr, p.out)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s not ready: %v\n%s", bin, p.addr, err, p.out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pause stops the process (SIGSTOP) as a long GC pause or a frozen VM
// would; resume continues it. stop resumes a paused process first.
func (p *proc) pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGSTOP))
	p.stopped = true
}

func (p *proc) resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGCONT))
		p.stopped = false
	}
}

// kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *proc) kill() {
	p.resume()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop ends the process: SIGTERM, SIGKILL after 15s.
func (p *proc) stop() {
	p.resume()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Logf("%s still running 15s after SIGTERM; killing", p.addr)
		p.kill()
	}
}

// startMeshcache starts n meshcache nodes: the first alone, the others
// joining it by its cluster port. When the binary serves the cluster
// commands, it waits until every node reports cluster_state:ok and knows n
// nodes; nodes without them are independent single nodes, which is all the
// LOCK.* commands need.
func startMeshcache(t testing.TB, n int) []*proc {
	t.Helper()
	var nodes []*proc
	for i := range n {
		port := ports.Free(t, ports.ClusterOffset)
		args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--gossip", "local", "--log-level", "warn"}
		if i > 0 {
			args = append(args, "--join", "127.0.0.1:"+strconv.Itoa(nodes[0].port+10000))
		}
		nodes = append(nodes, startProc(t, port, meshcacheBin, args...))
	}
	waitCluster(t, nodes)
	return nodes
}

// waitCluster waits for CLUSTER INFO to say state ok with every node known,
// on every node, unless the nodes have no CLUSTER command.
func waitCluster(t testing.TB, nodes []*proc) {
	t.Helper()
	want := "cluster_known_nodes:" + strconv.Itoa(len(nodes))
	for _, p := range nodes {
		c := redis.NewClient(&redis.Options{Addr: p.addr, MaxRetries: -1})
		deadline := time.Now().Add(60 * time.Second)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			info, err := c.ClusterInfo(ctx).Result()
			cancel()
			if err != nil && strings.HasPrefix(err.Error(), "ERR unknown command") {
				break // no cluster commands in this build
			}
			if err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, want) {
				break
			}
			if time.Now().After(deadline) {
				_ = c.Close()
				t.Fatalf("cluster on %s not ready: %v %q\n%s", p.addr, err, info, p.out)
			}
			time.Sleep(100 * time.Millisecond)
		}
		require.NoError(t, c.Close())
	}
}

// startRedis starts n redis-server processes without persistence, or skips
// the test when redis-server is not installed.
func startRedis(t testing.TB, n int) []*proc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH")
	}
	var out []*proc
	for range n {
		port := ports.Free(t, 0) // redis-server: no cluster port
		out = append(out, startProc(t, port, bin, "--bind", "127.0.0.1", "--port", strconv.Itoa(port),
			"--save", "", "--appendonly", "no", "--dir", t.TempDir()))
	}
	return out
}

func addrsOf(ps []*proc) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.addr
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
