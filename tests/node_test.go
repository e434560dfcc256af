package tests

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
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

// node is one meshcache process started by a test.
type node struct {
	t    *testing.T
	cmd  *exec.Cmd
	port int
	addr string
	out  *syncBuffer
	done chan struct{} // closed when the process has exited
	err  error         // exit status, valid after done
}

// syncBuffer collects a process's output for failure messages.
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

// startNode starts meshcache on a free port with extra flags and waits until
// it answers PING. The process is stopped when the test ends.
func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	port := ports.Free(t, ports.ClusterOffset)
	return startNodeOn(t, port, args...)
}

func startNodeOn(t *testing.T, port int, args ...string) *node {
	t.Helper()
	n := &node{t: t, port: port, addr: "127.0.0.1:" + strconv.Itoa(port), out: &syncBuffer{}, done: make(chan struct{})}
	full := append([]string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port)}, args...)
	n.cmd = exec.Command(binary, full...)
	n.cmd.Stdout, n.cmd.Stderr = n.out, n.out
	require.NoError(t, n.cmd.Start())
	go func() {
		n.err = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(n.stop)
	n.waitReady(10 * time.Second)
	return n
}

// waitReady polls PING until it answers or the deadline passes.
func (n *node) waitReady(d time.Duration) {
	n.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-n.done:
			n.t.Fatalf("meshcache on %s exited early: %v\n%s", n.addr, n.err, n.out)
		default:
		}
		c := redis.NewClient(&redis.Options{Addr: n.addr, DialTimeout: time.Second, MaxRetries: -1})
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ours, err := ports.ServedBy(ctx, c, n.cmd.Process.Pid)
		cancel()
		c.Close()
		if err == nil && !ours {
			// A port free a moment ago may have been taken since.
			n.t.Fatalf("another process answers on %s, not this meshcache", n.addr)
		}
		if err == nil || strings.HasPrefix(err.Error(), "NOAUTH") {
			return // it answers (a node with requirepass answers NOAUTH)
		}
		time.Sleep(50 * time.Millisecond)
	}
	n.t.Fatalf("meshcache on %s not ready after %v\n%s", n.addr, d, n.out)
}

// client returns a go-redis client for the node, closed when the test ends.
func (n *node) client(protocol int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: protocol, MaxRetries: -1})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// signal sends sig and waits up to d for the process to exit.
func (n *node) signal(sig syscall.Signal, d time.Duration) error {
	select {
	case <-n.done:
		return n.err
	default:
	}
	if err := n.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v: %w", sig, err)
	}
	select {
	case <-n.done:
		return n.err
	case <-time.After(d):
		return fmt.Errorf("meshcache on %s still running %v after %v", n.addr, d, sig)
	}
}

// kill stops the node with SIGKILL, as a crash would.
func (n *node) kill() {
	_ = n.signal(syscall.SIGKILL, 10*time.Second)
}

// stop ends the node: SIGTERM, then SIGKILL if it does not exit in time.
func (n *node) stop() {
	if err := n.signal(syscall.SIGTERM, 15*time.Second); err != nil {
		select {
		case <-n.done:
		default:
			n.t.Logf("meshcache on %s: %v; killing", n.addr, err)
			n.kill()
		}
	}
}
