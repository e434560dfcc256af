package tests

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// cli runs redis-cli against the node and returns its trimmed output.
func (n *node) cli(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(n.port)}, args...)
	out, err := exec.CommandContext(ctx, "redis-cli", full...).CombinedOutput()
	require.NoError(t, err, "redis-cli %v: %s", args, out)
	return strings.TrimRight(string(out), "\n")
}

func TestRedisCLI(t *testing.T) {
	if _, err := exec.LookPath("redis-cli"); err != nil {
		t.Skip("redis-cli not installed (apt-get install redis-tools)")
	}
	n := startNode(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"PING"}, "PONG"},
		{[]string{"SET", "name", "meshcache"}, "OK"},
		{[]string{"GET", "name"}, "meshcache"},
		{[]string{"--no-raw", "GET", "nothing"}, "(nil)"},
		{[]string{"INCRBY", "n", "41"}, "41"},
		{[]string{"INCR", "n"}, "42"},
		{[]string{"--no-raw", "HSET", "h", "f1", "v1", "f2", "v2"}, "(integer) 2"},
		{[]string{"HGET", "h", "f2"}, "v2"},
		{[]string{"EXISTS", "name", "h", "nothing"}, "2"},
		{[]string{"TYPE", "h"}, "hash"},
		{[]string{"DBSIZE"}, "3"},
		{[]string{"--no-raw", "GET", "h"}, "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
		{[]string{"--no-raw", "NOSUCHCOMMAND", "x"}, "(error) ERR unknown command 'NOSUCHCOMMAND', with args beginning with: 'x' "},
		{[]string{"--no-raw", "GET"}, "(error) ERR wrong number of arguments for 'get' command"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, n.cli(t, c.args...), "redis-cli %v", c.args)
	}
	info := n.cli(t, "INFO", "keyspace")
	assert.Contains(t, info, "db0:keys=3,expires=0")

	// Interactive-style input on stdin, as people type it.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "redis-cli", "-p", strconv.Itoa(n.port))
	cmd.Stdin = strings.NewReader("SET piped 1\nGET piped\n")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err)
	assert.Equal(t, "OK\n1\n", string(out))
}

func TestRedisBenchmarkRuns(t *testing.T) {
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		t.Skip("redis-benchmark not installed (apt-get install redis-tools)")
	}
	n := startNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "redis-benchmark", "-p", strconv.Itoa(n.port),
		"-t", "set,get,incr,mset", "-n", "2000", "-c", "10", "-P", "4", "--csv").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, test := range []string{`"SET"`, `"GET"`, `"INCR"`, `"MSET (10 keys)"`} {
		assert.Contains(t, string(out), test)
	}
	assert.NotContains(t, string(out), "ERR")
	// INCR ran 2000 times on one key.
	assert.Equal(t, "2000", n.cli(t, "GET", "counter:__rand_int__"))
}
