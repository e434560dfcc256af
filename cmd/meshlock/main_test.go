package main

import (
	"bytes"
	"context"
	"errors"
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

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/tests/testenv"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/redcon"
)

// meshlockBin is the binary under test, built once by TestMain.
var meshlockBin string

func TestMain(m *testing.M) {
	bin, err := testenv.Build("cmd/meshlock", true)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	meshlockBin = bin
	os.Exit(testenv.Main(m))
}

// startRedis starts n redis-server processes on free loopback ports,
// stopped at cleanup (testenv.StartRedis); it skips the test when
// redis-server is missing.
func startRedis(t *testing.T, n int) []*testenv.Proc {
	t.Helper()
	return testenv.StartRedis(t, n, "--loglevel", "warning")
}

func addrsOf(procs []*testenv.Proc) string {
	var a []string
	for _, p := range procs {
		a = append(a, p.Addr)
	}
	return strings.Join(a, ",")
}

// meshlock starts the binary with a deadline, its output captured.
func meshlock(t *testing.T, ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.CommandContext(ctx, meshlockBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	return cmd, &out
}

func exitOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "meshlock did not exit normally: %v", err)
	return ee.ExitCode()
}

// TestMeshlockRunsDoNotInterleave runs several meshlock processes at once,
// each appending several lines to one file with pauses in between: under
// the lock, each run's lines must be contiguous, and fencing tokens must
// grow from run to run.
func TestMeshlockRunsDoNotInterleave(t *testing.T) {
	procs := startRedis(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	file := filepath.Join(t.TempDir(), "log")
	script := `for i in 1 2 3 4 5; do echo "$MESHCACHE_FENCE $RUN $i" >> "$FILE"; sleep 0.02; done`
	const runs = 4
	var wg sync.WaitGroup
	for r := range runs {
		wg.Go(func() {
			cmd := exec.CommandContext(ctx, meshlockBin, "--addrs", addrsOf(procs), "--backend", "redis",
				"--name", "append", "--ttl", "2s", "--wait", "30s", "--", "sh", "-c", script)
			cmd.Env = append(os.Environ(), "FILE="+file, fmt.Sprintf("RUN=%d", r))
			out, err := cmd.CombinedOutput()
			assert.NoError(t, err, "run %d: %s", r, out)
		})
	}
	wg.Wait()

	data, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Len(t, lines, runs*5)
	var lastToken uint64
	for i := 0; i < len(lines); i += 5 {
		first := strings.Fields(lines[i])
		require.Len(t, first, 3)
		token, err := strconv.ParseUint(first[0], 10, 64)
		require.NoError(t, err)
		require.Greater(t, token, lastToken, "tokens must grow from run to run")
		lastToken = token
		for j := range 5 {
			want := fmt.Sprintf("%s %s %d", first[0], first[1], j+1)
			require.Equal(t, want, lines[i+j], "runs interleaved:\n%s", data)
		}
	}
}

func TestMeshlockExitCodes(t *testing.T) {
	procs := startRedis(t, 3)
	addrs := addrsOf(procs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	t.Run("passes the command's code through", func(t *testing.T) {
		cmd, out := meshlock(t, ctx, "--addrs", addrs, "--backend", "redis", "--name", "codes", "--", "sh", "-c", "exit 7")
		assert.Equal(t, 7, exitOf(t, cmd.Wait()), "%s", out)
		cmd, out = meshlock(t, ctx, "--addrs", addrs, "--backend", "redis", "--name", "codes", "--", "true")
		assert.Equal(t, 0, exitOf(t, cmd.Wait()), "%s", out)
	})
	t.Run("command not found", func(t *testing.T) {
		cmd, out := meshlock(t, ctx, "--addrs", addrs, "--backend", "redis", "--name", "codes", "--", "/nonexistent/cmd")
		assert.Equal(t, 127, exitOf(t, cmd.Wait()), "%s", out)
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"--name", "x", "--", "true"},
			{"--addrs", addrs, "--", "true"},
			{"--addrs", addrs, "--name", "x"},
			{"--addrs", addrs, "--name", "x", "--backend", "etcd", "--", "true"},
			{"--addrs", addrs, "--name", "x", "--ttl", "0s", "--", "true"},
		} {
			cmd, out := meshlock(t, ctx, args...)
			assert.Equal(t, 64, exitOf(t, cmd.Wait()), "%v: %s", args, out)
		}
	})
	t.Run("75 when the lock is held elsewhere", func(t *testing.T) {
		holder := testLocker(t, procs)
		lk, err := holder.TryAcquire(ctx, "held", 30*time.Second)
		require.NoError(t, err)
		defer func() { assert.NoError(t, lk.Release(ctx)) }()
		cmd, out := meshlock(t, ctx, "--addrs", addrs, "--backend", "redis", "--name", "held", "--", "true")
		assert.Equal(t, 75, exitOf(t, cmd.Wait()), "%s", out)
		assert.Contains(t, out.String(), "lock taken")
		cmd, out = meshlock(t, ctx, "--addrs", addrs, "--backend", "redis", "--name", "held", "--wait", "300ms", "--", "true")
		assert.Equal(t, 75, exitOf(t, cmd.Wait()), "%s", out)
	})
}

func testLocker(t *testing.T, procs []*testenv.Proc) *lock.Locker {
	t.Helper()
	var bs []lock.Backend
	for _, p := range procs {
		bs = append(bs, lock.NewRedisBackend(redis.NewClient(lock.ClientOptions(p.Addr)), ""))
	}
	l, err := lock.New(bs)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// waitForFile waits until path exists (the command under the lock started).
func waitForFile(t *testing.T, ctx context.Context, path string) {
	t.Helper()
	d := time.Minute
	if dl, ok := ctx.Deadline(); ok {
		d = time.Until(dl)
	}
	testenv.Wait(t, d, path+" to appear", func() error {
		_, err := os.Stat(path)
		return err
	})
}

// TestMeshlockLostLockStopsCommand pauses a majority of the servers while
// the command runs: the lock is lost, the command gets SIGTERM (and, if it
// ignores it, SIGKILL after the grace period), and meshlock exits 75.
func TestMeshlockLostLockStopsCommand(t *testing.T) {
	for _, tt := range []struct {
		name, script, marker string
	}{
		{"SIGTERM", `trap 'echo term > "$DIR/stopped"; exit 0' TERM; touch "$DIR/started"; while :; do sleep 0.05; done`, "stopped"},
		{"SIGKILL after grace", `trap '' TERM; touch "$DIR/started"; while :; do sleep 0.05; done`, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			procs := startRedis(t, 3)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dir := t.TempDir()
			cmd := exec.CommandContext(ctx, meshlockBin, "--addrs", addrsOf(procs), "--backend", "redis",
				"--name", "lost", "--ttl", "600ms", "--wait", "10s", "--endpoint-timeout", "50ms", "--grace", "300ms", "--", "sh", "-c", tt.script)
			cmd.Env = append(os.Environ(), "DIR="+dir)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			cmd.WaitDelay = 5 * time.Second
			require.NoError(t, cmd.Start())
			waitForFile(t, ctx, filepath.Join(dir, "started"))

			procs[0].Pause()
			procs[1].Pause()
			assert.Equal(t, 75, exitOf(t, cmd.Wait()), "%s", out.String())
			assert.Contains(t, out.String(), "was lost")
			if tt.marker != "" {
				_, err := os.Stat(filepath.Join(dir, tt.marker))
				assert.NoError(t, err, "the command did not see SIGTERM")
			}
		})
	}
}

// TestMeshlockForwardsSignals sends SIGTERM to meshlock: the command gets
// it, its exit code comes back, and the lock is released.
func TestMeshlockForwardsSignals(t *testing.T) {
	procs := startRedis(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, meshlockBin, "--addrs", addrsOf(procs), "--backend", "redis",
		"--name", "fwd", "--ttl", "30s", "--", "sh", "-c",
		`trap 'echo got > "$DIR/got"; exit 3' TERM INT; touch "$DIR/started"; while :; do sleep 0.05; done`)
	cmd.Env = append(os.Environ(), "DIR="+dir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	waitForFile(t, ctx, filepath.Join(dir, "started"))

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 3, exitOf(t, cmd.Wait()), "%s", out.String())
	_, err := os.Stat(filepath.Join(dir, "got"))
	assert.NoError(t, err, "the command did not get the signal")

	// Released: another client takes it at once, although the TTL is 30s.
	lk, err := testLocker(t, procs).TryAcquire(ctx, "fwd", time.Second)
	require.NoError(t, err)
	require.NoError(t, lk.Release(ctx))
}

// startTableNodes serves real lock.Tables over RESP (redcon), the way
// meshcache nodes serve LOCK.*, on loopback ports closed at cleanup.
func startTableNodes(t *testing.T, n int) ([]*lock.Table, string) {
	t.Helper()
	var (
		tables []*lock.Table
		addrs  []string
	)
	for range n {
		tb := lock.NewTable(lock.TableConfig{})
		srv := redcon.NewServerNetwork("tcp", "127.0.0.1:0", func(conn redcon.Conn, cmd redcon.Command) {
			r, err := tb.Do(cmd.Args)
			if err != nil {
				conn.WriteError(err.Error())
				return
			}
			conn.WriteRaw(r.AppendRESP(nil))
		}, nil, nil)
		sig := make(chan error, 1)
		done := make(chan error, 1)
		go func() { done <- srv.ListenServeAndSignal(sig) }()
		require.NoError(t, <-sig)
		t.Cleanup(func() {
			assert.NoError(t, srv.Close())
			<-done
		})
		tables = append(tables, tb)
		addrs = append(addrs, srv.Addr().String())
	}
	return tables, strings.Join(addrs, ",")
}

// TestMeshlockMeshcacheBackend runs meshlock over LOCK.* endpoints: the
// command sees the confirmed fencing token, which every node's mark holds.
func TestMeshlockMeshcacheBackend(t *testing.T) {
	tables, addrs := startTableNodes(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var last uint64
	for range 2 {
		cmd := exec.CommandContext(ctx, meshlockBin, "--addrs", addrs, "--name", "mc", "--wait", "10s",
			"--", "sh", "-c", `echo "$MESHCACHE_FENCE"`)
		out, err := cmd.Output()
		require.NoError(t, err)
		token, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
		require.NoError(t, err, "output %q", out)
		require.Greater(t, token, last)
		last = token
		for _, tb := range tables {
			assert.Equal(t, token, tb.Mark("mc"))
		}
	}
}
