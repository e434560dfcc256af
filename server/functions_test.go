package server

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

const testLib = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)\n" +
	"redis.register_function{function_name='loop', callback=function() while true do end end, flags={'no-writes'}}"

// TestFunctionDumpRestore: FUNCTION DUMP and RESTORE round-trip here, and
// a payload redis-server wrote (RDB version 10, its strings
// LZF-compressed) restores here: the format is Redis's.
func TestFunctionDumpRestore(t *testing.T) {
	ours := testenv.DialRaw(t, startDataServer(t))
	theirs := testenv.DialRaw(t, startRedis(t))
	for _, c := range []*testenv.RawConn{ours, theirs} {
		c.Must(t, "FUNCTION", "FLUSH")
		assert.Equal(t, "$5\r\nmylib\r\n", string(c.Must(t, "FUNCTION", "LOAD", testLib)))
	}
	dump := ours.Must(t, "FUNCTION", "DUMP")
	payload := bulkBody(t, dump)
	ours.Must(t, "FUNCTION", "FLUSH")
	assert.Equal(t, "+OK\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload)))
	assert.Equal(t, ":5\r\n", string(ours.Must(t, "FCALL", "myfunc", "1", "k", "5")))
	// RESTORE words a collision without LOAD's quotes, as Redis's libraryJoin.
	assert.Equal(t, "-ERR Library mylib already exists\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload)))
	assert.Equal(t, "-ERR Library mylib already exists\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload, "APPEND")))
	assert.Equal(t, "-ERR Library mylib already exists\r\n",
		string(theirs.Must(t, "FUNCTION", "RESTORE", bulkBody(t, theirs.Must(t, "FUNCTION", "DUMP")), "APPEND")), "redis-server")
	assert.Equal(t, "+OK\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload, "REPLACE")))
	assert.Equal(t, "+OK\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload, "FLUSH")))
	assert.Equal(t, "-ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", payload, "x")))
	bad := payload[:len(payload)-1] + string(payload[len(payload)-1]^1)
	assert.Equal(t, "-ERR DUMP payload version or checksum are wrong\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", bad)))

	redisPayload := bulkBody(t, theirs.Must(t, "FUNCTION", "DUMP"))
	ours.Must(t, "FUNCTION", "FLUSH")
	assert.Equal(t, "+OK\r\n", string(ours.Must(t, "FUNCTION", "RESTORE", redisPayload)))
	assert.Equal(t, ":7\r\n", string(ours.Must(t, "FCALL", "myfunc", "1", "k", "2")))
	list := string(ours.Must(t, "FUNCTION", "LIST", "WITHCODE"))
	assert.Contains(t, list, testLib)
}

// bulkBody returns the content of a raw bulk string reply.
func bulkBody(t *testing.T, raw []byte) string {
	t.Helper()
	i := strings.Index(string(raw), "\r\n")
	require.True(t, i > 0 && raw[0] == '$', "%q", raw)
	return string(raw[i+2 : len(raw)-2])
}

// TestFunctionBusyAndKill: a function past the threshold makes the node
// answer -BUSY naming FUNCTION KILL; FUNCTION STATS shows it; SCRIPT KILL
// names FUNCTION KILL, which stops it.
func TestFunctionBusyAndKill(t *testing.T) {
	addr := startDataServer(t)
	admin := testenv.DialRaw(t, addr)
	admin.Must(t, "CONFIG", "SET", "busy-reply-threshold", "50")
	admin.Must(t, "FUNCTION", "LOAD", testLib)
	runner := testenv.DialRaw(t, addr)
	done := make(chan []byte, 1)
	go func() { // ends when the function is killed
		out, _ := runner.Do("FCALL_RO", "loop", "0")
		done <- out
	}()
	require.NoError(t, testenv.Until(10*time.Second, func() error {
		if got := string(admin.Must(t, "GET", "k")); got != "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n" {
			return fmt.Errorf("GET answered %q", got)
		}
		return nil
	}))
	stats := string(admin.Must(t, "FUNCTION", "STATS"))
	assert.Contains(t, stats, "$4\r\nname\r\n$4\r\nloop\r\n$7\r\ncommand\r\n*3\r\n$8\r\nFCALL_RO\r\n$4\r\nloop\r\n$1\r\n0\r\n$11\r\nduration_ms\r\n:")
	assert.Contains(t, stats, "$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:2\r\n")
	assert.Equal(t, "-BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.\r\n", string(admin.Must(t, "SCRIPT", "KILL")))
	assert.Equal(t, "+OK\r\n", string(admin.Must(t, "FUNCTION", "KILL")))
	select {
	case out := <-done:
		assert.True(t, strings.HasPrefix(string(out), "-ERR Script killed by user with SCRIPT KILL... script: loop, on @user_function:3."), "%q", out)
	case <-time.After(10 * time.Second):
		t.Fatal("the killed function did not answer")
	}
	assert.Equal(t, "-NOTBUSY No scripts in execution right now.\r\n", string(admin.Must(t, "FUNCTION", "KILL")))
}
