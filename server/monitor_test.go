package server

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// readMonitorLine reads monitor lines from r until one contains want.
func readMonitorLine(t *testing.T, r *bufio.Reader, want string) string {
	t.Helper()
	for {
		var line []byte
		require.NoError(t, testenv.ReadReply(r, &line), "waiting for %q", want)
		if strings.Contains(string(line), want) {
			return string(line)
		}
	}
}

// go-redis's Monitor and redis-cli's monitor mode read meshcache's feed.
func TestMonitorClients(t *testing.T) {
	addr := startDataServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// RESP2: with RESP3, go-redis 9.23's Monitor races with itself (its
	// reader goroutine and the command's release, which peeks the same
	// socket for push notifications; the race detector caught it in CI).
	mc := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	// go-redis's Monitor needs a dedicated connection (Conn): on a pooled
	// one its pool drops the connection after +OK, against redis-server
	// too. Its Stop and Close wait for a line while holding a lock, so the
	// test ends the monitor with CLIENT KILL, and leaves mc unclosed.
	mconn := mc.Conn()
	lines := make(chan string, 1000)
	mon := mconn.Monitor(ctx, lines)
	mon.Start()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	seen := false
	for !seen {
		require.NoError(t, c.Set(ctx, "gomon", "v", 0).Err()) // again until the monitor is in place
		for len(lines) > 0 && !seen {
			seen = strings.Contains(<-lines, `"set" "gomon" "v"`)
		}
		require.NoError(t, ctx.Err(), "go-redis's monitor saw no SET")
	}
	for _, line := range strings.Split(c.ClientList(ctx).Val(), "\n") {
		if strings.Contains(line, "flags=O") {
			id := strings.TrimPrefix(strings.Fields(line)[0], "id=")
			require.NoError(t, c.Do(ctx, "CLIENT", "KILL", "ID", id).Err())
		}
	}

	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Skip("redis-cli not installed")
	}
	host, port, _ := strings.Cut(addr, ":")
	// redis-cli 7.0 has no --monitor; its stdout to a pipe is line
	// buffered through stdbuf, else a line waits for a full buffer.
	args := []string{cli, "-h", host, "-p", port, "monitor"}
	if sb, err := exec.LookPath("stdbuf"); err == nil {
		args = append([]string{sb, "-oL"}, args...)
	} else {
		t.Skip("stdbuf not installed")
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(out)
	require.True(t, sc.Scan(), "redis-cli monitor printed nothing")
	assert.Equal(t, "OK", sc.Text())
	require.NoError(t, c.Set(ctx, "climon", "a b\"c", 0).Err())
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"set" "climon"`) {
			assert.Regexp(t, `^[0-9]+\.[0-9]{6} \[0 127\.0\.0\.1:[0-9]+\] "set" "climon" "a b\\"c"$`, sc.Text())
			return
		}
	}
	t.Fatalf("redis-cli monitor ended without the SET: %v", sc.Err())
}

// A monitor that does not read is closed at client-output-buffer-limit
// normal (a monitor is a normal client, as on Redis); the commands it
// watched are not held up.
func TestMonitorOutputLimit(t *testing.T) {
	ts := startServer(t, nil)
	c := testenv.DialRaw(t, ts.addr)
	c.Must(t, "CONFIG", "SET", "client-output-buffer-limit", "normal 65536 0 0")
	m := testenv.DialRaw(t, ts.addr)
	require.Equal(t, "+OK\r\n", string(m.Must(t, "MONITOR")))
	big := strings.Repeat("x", 8192)
	testenv.Wait(t, 30*time.Second, "the monitor closed", func() error {
		for range 100 { // past what the kernel's socket buffers take
			c.Must(t, "SET", "k", big)
		}
		if n := ts.srv.events.Monitors(); n != 0 {
			return fmt.Errorf("%d monitors", n)
		}
		return nil
	})
	assert.NotContains(t, string(c.Must(t, "CLIENT", "LIST")), "flags=O")
}

// Redis 7.2's HELLO redacts every AUTH pair it parses (7.0 stopped at the
// first failing one, so the differential test has one pair only).
func TestMonitorRedactsEveryHelloAuth(t *testing.T) {
	addr := startDataServer(t)
	m := testenv.DialRaw(t, addr)
	m.Must(t, "MONITOR")
	c := testenv.DialRaw(t, addr)
	c.Must(t, "HELLO", "3", "AUTH", "u", "x", "SETNAME", "n", "AUTH", "v", "y")
	line := readMonitorLine(t, m.Reader(), `"HELLO"`)
	assert.Contains(t, line, `"HELLO" "3" "AUTH" "(redacted)" "(redacted)" "SETNAME" "n" "AUTH" "(redacted)" "(redacted)"`+"\r\n")
	// A monitor with CLIENT REPLY OFF gets no lines, as on Redis (a second
	// monitor tells when the first one's REPLY OFF has run).
	m2 := testenv.DialRaw(t, addr)
	m2.Must(t, "MONITOR")
	require.NoError(t, m.Send("CLIENT", "REPLY", "OFF"))
	readMonitorLine(t, m2.Reader(), `"REPLY" "OFF"`)
	c.Must(t, "SET", "silenced", "1")
	require.Equal(t, "+OK\r\n", string(m.Must(t, "CLIENT", "REPLY", "ON")))
	c.Must(t, "SET", "heard", "1")
	assert.Contains(t, readMonitorLine(t, m.Reader(), `"SET"`), `"SET" "heard" "1"`)
}

// In a cluster a node's monitors see what its own clients run, wherever it
// runs: forwarded to the slot's leader, in a forwarded pipeline batch, a
// forwarded transaction, a command split across nodes. The leader's
// monitors do not see what other nodes forwarded to it.
func TestMonitorCluster(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	waitConverged(t, nodes)
	far := keyOn(t, nodes, nodes[1], "far")
	far2 := keyOn(t, nodes, nodes[1], "{"+far+"}x")
	near := keyOn(t, nodes, nodes[0], "near")
	mine := testenv.DialRaw(t, nodes[0].addr)
	mine.Must(t, "MONITOR")
	theirs := testenv.DialRaw(t, nodes[1].addr)
	theirs.Must(t, "MONITOR")
	c := testenv.DialRaw(t, nodes[0].addr)
	c.Must(t, "SET", far, "1")
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"SET"`), `"SET" "`+far+`" "1"`)
	// A pipeline forwarded as one batch: both lines, in order.
	require.NoError(t, c.Send("INCR", far))
	require.NoError(t, c.Send("GET", far))
	var out []byte
	require.NoError(t, testenv.ReadReply(c.Reader(), &out))
	require.NoError(t, testenv.ReadReply(c.Reader(), &out))
	assert.Equal(t, ":2\r\n$1\r\n2\r\n", string(out))
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"INCR"`), `"INCR" "`+far+`"`)
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"`+far+`"`), `"GET" "`+far+`"`)
	// A transaction forwarded to the leader: MULTI, its commands, EXEC.
	c.Must(t, "MULTI")
	c.Must(t, "SET", far2, "v")
	c.Must(t, "EXEC")
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"MULTI"`), `"MULTI"`)
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"`+far2+`"`), `"SET" "`+far2+`" "v"`)
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"EXEC"`), `"EXEC"`)
	// Split across nodes: one line.
	c.Must(t, "MGET", near, far)
	assert.Contains(t, readMonitorLine(t, mine.Reader(), `"MGET"`), `"MGET" "`+near+`" "`+far+`"`)
	// The leader's monitor saw none of it: its first line is its own client's.
	d := testenv.DialRaw(t, nodes[1].addr)
	d.Must(t, "ECHO", "leader's own")
	var first []byte
	require.NoError(t, testenv.ReadReply(theirs.Reader(), &first))
	assert.Contains(t, string(first), `"ECHO" "leader's own"`)
}
