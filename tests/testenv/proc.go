package testenv

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Proc is a server process a test started: meshcache or redis-server,
// answering RESP on Addr. It is stopped when the test ends.
type Proc struct {
	Addr string // 127.0.0.1:Port
	Port int

	t    testing.TB
	cmd  *exec.Cmd
	out  syncBuffer
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // exit status, valid once done is closed

	mu     sync.Mutex // guards paused
	paused bool       // SIGSTOPped and not continued yet
}

// syncBuffer collects a process's output for failure messages.
type syncBuffer struct {
	mu sync.Mutex // guards b
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

// ReadyTimeout bounds how long StartProc waits for a process to answer.
const ReadyTimeout = 20 * time.Second

// StartProc runs bin with args, expecting it to serve RESP on port, and
// waits until it answers there as itself (INFO's process_id is its pid; a
// NOAUTH reply counts as an answer, for servers with a password). It fails
// the test when the process exits first, another process answers, or it
// does not answer within ReadyTimeout. The process is stopped (SIGTERM,
// then SIGKILL) when the test ends.
func StartProc(t testing.TB, port int, bin string, args ...string) *Proc {
	t.Helper()
	p, err := startProc(t, port, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// startProc is StartProc returning the failure: callers may retry on
// another port.
func startProc(t testing.TB, port int, bin string, args ...string) (*Proc, error) {
	t.Helper()
	p := &Proc{t: t, Port: port, Addr: "127.0.0.1:" + strconv.Itoa(port), done: make(chan struct{})}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	go func() { // owned by p; ends when the process exits
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	if err := p.waitReady(ReadyTimeout); err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s on %s: %w\n%s", bin, p.Addr, err, p.Out())
	}
	t.Cleanup(p.Stop)
	return p, nil
}

// errNotOurs: another process answers on the port.
var errNotOurs = fmt.Errorf("another process answers on the port")

// waitReady waits until the process answers on its port as itself.
func (p *Proc) waitReady(d time.Duration) error { return p.WaitServing(p.Addr, d) }

// WaitServing waits up to d until the process answers on addr as itself
// (a process may serve several addresses: meshcache --local-cluster). It
// returns an error when the process exits first, another process answers
// there, or d passes.
func (p *Proc) WaitServing(addr string, d time.Duration) error {
	c := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: time.Second, MaxRetries: -1, PoolSize: 1})
	defer c.Close()
	return Until(d, func() error {
		select {
		case <-p.done:
			return Permanent(fmt.Errorf("exited early: %v", p.err))
		default:
		}
		// Wait for the port first: go-redis logs every refused dial.
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return err
		}
		_ = conn.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ours, err := ServedBy(ctx, c, p.cmd.Process.Pid)
		switch {
		case err != nil && strings.HasPrefix(err.Error(), "NOAUTH"):
			return nil // it answers (a server with requirepass answers NOAUTH)
		case err != nil:
			return err
		case !ours:
			return Permanent(errNotOurs)
		}
		return nil
	})
}

// Pid is the process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Out returns what the process wrote to stdout and stderr so far.
func (p *Proc) Out() string { return p.out.String() }

// Done is closed when the process has exited; Err then is its exit status.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the exit status, valid once Done is closed.
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Signal sends sig and waits up to d for the process to exit; it returns
// the exit status, or an error when the process is still running.
func (p *Proc) Signal(sig syscall.Signal, d time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal %v: %w", sig, err)
	}
	select {
	case <-p.done:
		return p.err
	case <-time.After(d):
		return fmt.Errorf("%s still running %v after %v", p.Addr, d, sig)
	}
}

// Pause stops the process (SIGSTOP), as a long GC pause or a frozen VM
// would; Resume continues it.
func (p *Proc) Pause() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		p.t.Errorf("pause %s: %v", p.Addr, err)
		return
	}
	p.paused = true
}

// Resume continues a paused process.
func (p *Proc) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.paused {
		_ = p.cmd.Process.Signal(syscall.SIGCONT)
		p.paused = false
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Proc) Kill() {
	p.Resume()
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// Stop ends the process: SIGTERM, then SIGKILL if it has not exited after
// 15 seconds. Stopping a stopped process does nothing.
func (p *Proc) Stop() {
	p.Resume()
	if err := p.Signal(syscall.SIGTERM, 15*time.Second); err != nil {
		select {
		case <-p.done:
		default:
			p.t.Logf("%v; killing", err)
			p.Kill()
		}
	}
}

// StopAll stops the processes at once (see Stop): the nodes of a cluster
// drain in parallel, in about the time one takes, where one after the
// other each would hand its slots to the next.
func StopAll(procs ...*Proc) {
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Go(p.Stop)
	}
	wg.Wait()
}

// Client returns a go-redis client for the process, closed when the test
// ends.
func (p *Proc) Client(protocol int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: p.Addr, Protocol: protocol, MaxRetries: -1})
	p.t.Cleanup(func() { _ = c.Close() })
	return c
}
