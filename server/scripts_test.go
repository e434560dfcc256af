package server

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// TestScriptBusyAndKill: past busy-reply-threshold other clients get
// -BUSY (allow_busy commands still run); SCRIPT KILL stops a script that
// has not written, refuses one that has (UNKILLABLE), answers NOTBUSY
// when none runs; SHUTDOWN NOSAVE stops the server with an unkillable
// script running.
func TestScriptBusyAndKill(t *testing.T) {
	addr := startDataServer(t)
	admin := testenv.DialRaw(t, addr)
	assert.Equal(t, "+OK\r\n", string(admin.Must(t, "CONFIG", "SET", "lua-time-limit", "50")))
	assert.Equal(t, "*2\r\n$20\r\nbusy-reply-threshold\r\n$2\r\n50\r\n", string(admin.Must(t, "CONFIG", "GET", "busy-reply-threshold")))
	assert.Equal(t, "-NOTBUSY No scripts in execution right now.\r\n", string(admin.Must(t, "SCRIPT", "KILL")))

	runner := testenv.DialRaw(t, addr)
	done := make(chan []byte, 1)
	go func() { // ends when the script is killed: its reply arrives
		out, _ := runner.Do("EVAL", "local i = 0 while true do i = i + 1 end", "0")
		done <- out
	}()
	require.NoError(t, testenv.Until(10*time.Second, func() error {
		if got := string(admin.Must(t, "GET", "k")); !strings.HasPrefix(got, "-BUSY") {
			return fmt.Errorf("GET answered %q, want -BUSY", got)
		}
		return nil
	}))
	assert.Equal(t, "-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n", string(admin.Must(t, "PING")))
	assert.Equal(t, "+OK\r\n", string(admin.Must(t, "SCRIPT", "KILL")))
	select {
	case out := <-done:
		assert.True(t, strings.HasPrefix(string(out), "-ERR Script killed by user with SCRIPT KILL... script: "), "%q", out)
	case <-time.After(10 * time.Second):
		t.Fatal("the killed script did not answer")
	}
	assert.Equal(t, "+PONG\r\n", string(admin.Must(t, "PING")))

	// A script that wrote cannot be killed; the server's stop ends it.
	writer := testenv.DialRaw(t, addr)
	wrote := make(chan []byte, 1)
	go func() { // ends when the server stops (the test's cleanup)
		out, _ := writer.Do("EVAL", "redis.call('SET', KEYS[1], 'v') while true do end", "1", "w")
		wrote <- out
	}()
	require.NoError(t, testenv.Until(10*time.Second, func() error {
		select {
		case out := <-wrote:
			t.Fatalf("the writing script ended: %q", out)
		default:
		}
		if got := string(admin.Must(t, "SCRIPT", "KILL")); !strings.HasPrefix(got, "-UNKILLABLE Sorry the script already executed write commands") {
			return fmt.Errorf("SCRIPT KILL answered %q", got)
		}
		return nil
	}))
	// SHUTDOWN NOSAVE still works: the server stops, the script with it.
	_, _ = admin.Do("SHUTDOWN", "NOSAVE") // the server closes the connection: no reply
	select {
	case <-wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE did not stop a server running an unkillable script")
	}
}

// TestScriptKeysCluster: on a cluster node a script may touch only its
// one slot unless it runs in compatibility mode (no shebang) or declares
// allow-cross-slot-keys, as Redis Cluster; a keyless script takes the slot
// of its first key; no-cluster scripts are refused.
func TestScriptKeysCluster(t *testing.T) {
	cfg := config.Default()
	srv := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
	srv.SetCluster(membership.Of(oneNodeCluster{srv.solo}))
	c := testenv.DialRaw(t, serveTest(t, srv).addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"EVAL", "redis.call('SET', 'a', 1) return redis.call('SET', 'b', 2)", "0"}, "+OK\r\n"},
		{[]string{"EVAL", "#!lua\nredis.call('SET', 'a', 1) return redis.call('SET', 'b', 2)", "0"}, "-ERR Script attempted to access keys that do not hash to the same slot script: "},
		{[]string{"EVAL", "#!lua\nreturn redis.call('GET', 'b')", "1", "a"}, "-ERR Script attempted to access keys that do not hash to the same slot script: "},
		{[]string{"EVAL", "#!lua\nreturn redis.call('GET', '{a}x')", "1", "a"}, "$-1\r\n"},
		{[]string{"EVAL", "#!lua flags=allow-cross-slot-keys\nreturn redis.call('MGET', 'a', 'b')", "0"}, "-ERR Script attempted to access a non local key in a cluster node script: "},
		{[]string{"EVAL", "#!lua flags=allow-cross-slot-keys\nredis.call('GET', 'a') return redis.call('GET', 'b')", "1", "a"}, "$1\r\n2\r\n"},
		{[]string{"EVAL", "#!lua flags=no-cluster\nreturn 1", "0"}, "-ERR Can not run script on cluster, 'no-cluster' flag is set.\r\n"},
		{[]string{"EVAL", "return 1", "2", "a", "b"}, "-CROSSSLOT Keys in request don't hash to the same slot\r\n"},
	} {
		got := string(c.Must(t, tc.args...))
		assert.True(t, strings.HasPrefix(got, tc.want), "%q: %q", tc.args, got)
	}
}

// TestScriptCommands: what the differential test cannot compare with
// redis-server 7.0 (where 7.2 differs), and the node's side of a
// script's commands: a blocking command answers at once, a keyspace-wide
// command runs while the script holds keys, the command stats count the
// script's commands.
func TestScriptCommands(t *testing.T) {
	c := testenv.DialRaw(t, startDataServer(t))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"EVAL", "return redis.call('BLPOP', KEYS[1], 1)", "1", "l"}, "$-1\r\n"},
		{[]string{"EVAL", "return redis.call('BLMOVE', KEYS[1], KEYS[2], 'LEFT', 'LEFT', 0)", "2", "{l}a", "{l}b"}, "$-1\r\n"},
		{[]string{"EVAL", "redis.call('SET', KEYS[1], 1) return redis.call('DBSIZE')", "1", "k"}, ":1\r\n"},
		{[]string{"EVAL", "redis.call('SET', KEYS[1], 2) return redis.call('KEYS', '*')", "1", "k"}, "*1\r\n$1\r\nk\r\n"},
		{[]string{"EVAL", "return redis.call('SET', KEYS[1], 0.1)", "1", "f"}, "+OK\r\n"},
		{[]string{"GET", "f"}, "$3\r\n0.1\r\n"},
		{[]string{"EVAL", "return redis.call('SET', KEYS[1], 3.0000000000000004)", "1", "f"}, "+OK\r\n"},
		{[]string{"GET", "f"}, "$18\r\n3.0000000000000004\r\n"},
		{[]string{"EVAL", "return redis.acl_check_cmd('GET', 'x')", "0"}, ":1\r\n"},
		{[]string{"EVAL", "return redis.acl_check_cmd('NOSUCH')", "0"}, "-ERR Invalid command passed to redis.acl_check_cmd() script: "},
		{[]string{"SCRIPT", "DEBUG", "NO"}, "+OK\r\n"},
		{[]string{"SCRIPT", "DEBUG", "YES"}, "-ERR SCRIPT DEBUG YES and SYNC are not supported"},
		{[]string{"SCRIPT", "DEBUG", "x"}, "-ERR Use SCRIPT DEBUG YES/SYNC/NO\r\n"},
	} {
		got := string(c.Must(t, tc.args...))
		assert.True(t, strings.HasPrefix(got, tc.want), "%q: %q", tc.args, got)
	}
	help := string(c.Must(t, "SCRIPT", "HELP"))
	assert.Contains(t, help, "+DEBUG (YES|SYNC|NO)\r\n")
	assert.True(t, strings.HasSuffix(help, "+HELP\r\n+    Print this help.\r\n"), help)
	stats := string(c.Must(t, "INFO", "commandstats"))
	assert.Contains(t, stats, "cmdstat_blpop:calls=1,")
	assert.Contains(t, stats, "cmdstat_dbsize:calls=1,")
}

// TestTxGrow: a Tx takes a slot above its own by waiting, one below only
// if free (store.Tx.Grow), so a script never waits against the lock order.
func TestTxGrow(t *testing.T) {
	st := store.New(store.Config{})
	held := st.Lock(5)
	tx := st.Lock(10)
	assert.False(t, tx.Grow(5), "slot 5 is held by another Tx")
	assert.True(t, tx.Grow(3))
	assert.True(t, tx.Grow(20))
	assert.Equal(t, []uint16{3, 10, 20}, tx.Slots())
	held.Close()
	assert.True(t, tx.Grow(5))
	tx.Pause()
	other := st.Lock(10) // free while paused
	other.Close()
	tx.Resume()
	tx.Close()
	again := st.LockSlots([]uint16{3, 5, 10, 20})
	again.Close()
}

// TestScriptMemoryLimit: the run's watcher stops a script that keeps
// growing the heap, with its own error; the node keeps serving.
func TestScriptMemoryLimit(t *testing.T) {
	ts := startServer(t, nil)
	ts.srv.scripts.Engine().SetMemoryLimit(16 << 20)
	c := testenv.DialRaw(t, ts.addr)
	got := string(c.Must(t, "EVAL", "local t = {} local i = 0 while true do i = i + 1 t[i] = 'value number ' .. i end", "0"))
	assert.True(t, strings.HasPrefix(got, "-ERR Script used more memory than the scripting memory limit allows script: "), got)
	assert.Equal(t, "+PONG\r\n", string(c.Must(t, "PING")))
}
