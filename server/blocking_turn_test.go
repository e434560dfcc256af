package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// servedBeforeNext runs, on the server at addr, the scenario of Redis
// serving its parked clients before the next command: parked clients
// block in BLPOP on key, then one client pipelines pipeline in one write.
// It returns the parked clients' replies and the pipeline's, raw.
func servedBeforeNext(t *testing.T, addr, proto, key string, parked int, pipeline ...string) (got []string) {
	admin := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2})
	t.Cleanup(func() { _ = admin.Close() })
	var waiters []*testenv.RawConn
	for i := range parked {
		w := testenv.DialRaw(t, addr)
		w.Must(t, "HELLO", proto)
		require.NoError(t, w.Send("BLPOP", key, "0"))
		waitBlocked(t, admin, i+1)
		waiters = append(waiters, w)
	}
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	pusher := bufio.NewReader(conn)
	var b strings.Builder
	fmt.Fprintf(&b, "*2\r\n$5\r\nHELLO\r\n$1\r\n%s\r\n", proto)
	for _, cmd := range pipeline {
		f := strings.Fields(cmd)
		fmt.Fprintf(&b, "*%d\r\n", len(f))
		for _, a := range f {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	_, err = conn.Write([]byte(b.String()))
	require.NoError(t, err)
	read := func(r *bufio.Reader) string {
		var out []byte
		require.NoError(t, testenv.ReadReply(r, &out))
		return string(out)
	}
	for _, w := range waiters {
		got = append(got, read(w.Reader()))
	}
	read(pusher) // HELLO
	for range pipeline {
		got = append(got, read(pusher))
	}
	return got
}

// TestBlockingServedBeforeTheNextCommand: a client parked in BLPOP is
// served by a push before the next command, as Redis's
// handleClientsBlockedOnKeys does: a client that pipelines RPUSH and LPOP
// gets nil from its LPOP, the parked clients the elements, in the order
// they blocked. Before, the pipelined LPOP raced the woken client for
// the slot and took the element. Compared with redis-server when it is
// installed; RESP2 and RESP3.
func TestBlockingServedBeforeTheNextCommand(t *testing.T) {
	ts := startServer(t, nil)
	redisAddr := ""
	if _, err := exec.LookPath("redis-server"); err == nil {
		redisAddr = startRedis(t)
	}
	for _, proto := range []string{"2", "3"} {
		null := "$-1\r\n"
		if proto == "3" {
			null = "_\r\n"
		}
		cases := []struct {
			parked   int
			pipeline []string
			want     []string
		}{
			{1, []string{"RPUSH k x", "LPOP k"}, []string{"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", ":1\r\n", null}},
			{2, []string{"RPUSH k x y", "LPOP k", "LLEN k"}, []string{"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", "*2\r\n$1\r\nk\r\n$1\r\ny\r\n", ":2\r\n", null, ":0\r\n"}},
			{2, []string{"RPUSH k x y z", "LPOP k"}, []string{"*2\r\n$1\r\nk\r\n$1\r\nx\r\n", "*2\r\n$1\r\nk\r\n$1\r\ny\r\n", ":3\r\n", "$1\r\nz\r\n"}},
		}
		for i, tc := range cases {
			key := fmt.Sprintf("k%s%d", proto, i)
			for j := range tc.pipeline {
				tc.pipeline[j] = strings.ReplaceAll(tc.pipeline[j], " k", " "+key)
			}
			for j := range tc.want {
				tc.want[j] = strings.ReplaceAll(tc.want[j], "$1\r\nk\r\n", fmt.Sprintf("$%d\r\n%s\r\n", len(key), key))
			}
			got := servedBeforeNext(t, ts.addr, proto, key, tc.parked, tc.pipeline...)
			assert.Equal(t, tc.want, got, "RESP%s %v", proto, tc.pipeline)
			if redisAddr != "" {
				assert.Equal(t, servedBeforeNext(t, redisAddr, proto, key, tc.parked, tc.pipeline...), got, "redis-server, RESP%s %v", proto, tc.pipeline)
			}
			require.NoError(t, ts.client(t, 2).Del(context.Background(), key).Err())
		}
	}
}
