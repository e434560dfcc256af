package tests

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/client"
	"github.com/meshcache/meshcache/tests/testenv"
)

// The lock suite: meshlock processes and client.Mutex goroutines contend for
// one lock through a 3-node meshcache cluster, while one node is killed.
// Exclusion is checked by the critical section itself (an atomic mkdir of a
// marker directory that must not exist), and fencing by the order of the
// tokens appended to a file inside the critical section.

// buildMeshlock builds cmd/meshlock (with the race detector) once for the
// package (testenv.Binary).
func buildMeshlock(t *testing.T) string {
	t.Helper()
	return testenv.Binary(t, "cmd/meshlock", true)
}

// critical is the shared critical section of the test, on disk so that
// processes and goroutines share it.
type critical struct {
	dir string // holds cs (the marker), tokens, overlaps
}

// enter claims the marker; false means another holder was inside.
func (c critical) enter() bool { return os.Mkdir(filepath.Join(c.dir, "cs"), 0o755) == nil }

func (c critical) leave() error { return os.Remove(filepath.Join(c.dir, "cs")) }

func (c critical) record(token uint64) error {
	f, err := os.OpenFile(filepath.Join(c.dir, "tokens"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintln(f, token); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// script is the same critical section for meshlock's command, in sh.
func (c critical) script() string {
	return `D=` + c.dir + `
mkdir "$D/cs" 2>/dev/null || { echo overlap >> "$D/overlaps"; exit 99; }
echo "$MESHCACHE_FENCE" >> "$D/tokens"
sleep 0.02
rmdir "$D/cs"`
}

// tokens reads the recorded tokens in the order they were written.
func (c critical) tokens(t *testing.T) []uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "tokens"))
	require.NoError(t, err)
	var out []uint64
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		v, err := strconv.ParseUint(sc.Text(), 10, 64)
		require.NoError(t, err, "token line %q", sc.Text())
		out = append(out, v)
	}
	return out
}

func TestLockContentionWithNodeLoss(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3)
	meshlock := buildMeshlock(t)
	cs := critical{dir: t.TempDir()}
	addrs := tc.addrs()
	ctx := testContext(t, 4*time.Minute)
	const name = "tests:shared"

	c, err := client.New(ctx, client.Options{Addrs: addrs})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })

	var (
		entries  atomic.Int32
		overlaps atomic.Int32
		wg       sync.WaitGroup
		errMu    sync.Mutex
		errs     []error
	)
	fail := func(err error) {
		errMu.Lock()
		errs = append(errs, err)
		errMu.Unlock()
	}
	const procs, goroutines, rounds = 3, 3, 6
	for i := range procs {
		wg.Go(func() {
			for r := range rounds {
				cmd := exec.CommandContext(ctx, meshlock, "--addrs", strings.Join(addrs, ","), "--name", name,
					"--ttl", "3s", "--wait", "60s", "--endpoint-timeout", "300ms", "--", "sh", "-c", cs.script())
				out, err := cmd.CombinedOutput()
				if err != nil {
					fail(fmt.Errorf("meshlock %d round %d: %w\n%s", i, r, err, out))
					return
				}
				entries.Add(1)
			}
		})
	}
	for i := range goroutines {
		wg.Go(func() {
			for r := range rounds {
				m := c.Mutex(name, client.MutexOptions{TTL: 3 * time.Second, EndpointTimeout: 300 * time.Millisecond})
				if err := m.Lock(ctx); err != nil {
					fail(fmt.Errorf("goroutine %d round %d: %w", i, r, err))
					return
				}
				if !cs.enter() {
					overlaps.Add(1)
				} else {
					if err := cs.record(m.Token()); err != nil {
						fail(err)
					}
					// Stay inside for a while: a scenario step that
					// gives another holder the time to overlap.
					time.Sleep(20 * time.Millisecond)
					if err := cs.leave(); err != nil {
						fail(err)
					}
				}
				entries.Add(1)
				if err := m.Unlock(ctx); err != nil {
					fail(fmt.Errorf("goroutine %d round %d unlock: %w", i, r, err))
				}
			}
		})
	}

	// Mid-test, crash one of the three nodes the lock lives on (a minority).
	total := int32((procs + goroutines) * rounds)
	_ = testenv.Until(time.Hour, func() error { // the context bounds the wait
		if entries.Load() < total/3 && ctx.Err() == nil {
			return fmt.Errorf("%d of %d critical sections", entries.Load(), total)
		}
		return nil
	})
	tc.nodes[1].Kill()
	wg.Wait()

	require.Empty(t, errs)
	assert.Zero(t, overlaps.Load(), "goroutines found the critical section occupied")
	_, err = os.Stat(filepath.Join(cs.dir, "overlaps"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "meshlock commands found the critical section occupied")
	tokens := cs.tokens(t)
	assert.Len(t, tokens, int(total))
	for i := 1; i < len(tokens); i++ {
		assert.Greater(t, tokens[i], tokens[i-1], "token %d", i)
	}
}

// TestMeshlockTempFailWhenHeld: meshlock exits 75 when the lock is held
// elsewhere for longer than --wait, and runs the command with a larger
// token once it is free.
func TestMeshlockTempFailWhenHeld(t *testing.T) {
	t.Parallel() // its own processes and ports: runs beside the others
	tc := startCluster(t, 3)
	meshlock := buildMeshlock(t)
	addrs := strings.Join(tc.addrs(), ",")
	ctx := testContext(t, 2*time.Minute)

	c, err := client.New(ctx, client.Options{Addrs: tc.addrs()})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	m := c.Mutex("tests:busy", client.MutexOptions{TTL: 10 * time.Second})
	require.NoError(t, m.Lock(ctx))
	held := m.Token()

	cmd := exec.CommandContext(ctx, meshlock, "--addrs", addrs, "--name", "tests:busy", "--wait", "500ms", "--", "true")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "%s", out)
	assert.Equal(t, 75, ee.ExitCode(), "%s", out)
	assert.Contains(t, string(out), "not acquired")

	require.NoError(t, m.Unlock(ctx))
	cmd = exec.CommandContext(ctx, meshlock, "--addrs", addrs, "--name", "tests:busy", "--wait", "5s", "--", "sh", "-c", `echo "$MESHCACHE_FENCE"`)
	out, err = cmd.Output()
	require.NoError(t, err)
	tok, err := strconv.ParseUint(strings.TrimSpace(string(out)), 10, 64)
	require.NoError(t, err)
	assert.Greater(t, tok, held)
}
