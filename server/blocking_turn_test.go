package server

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

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

// TestBlockingServesUnderLoad: waiters on one and two keys of a slot
// (BLPOP, BRPOP, BLMOVE) and on a key of another slot, pushers (plain,
// pipelined with a pop, in MULTI) and plain pops run at once; every
// element pushed is received once, popped once or still listed, and
// nothing hangs: the serving gate (store/gate.go) hands every turn on.
func TestBlockingServesUnderLoad(t *testing.T) {
	ts := startServer(t, nil)
	ctx := clusterCtx(t, 60*time.Second)
	const pushers, perPusher, waiters = 4, 150, 6
	keys := []string{"{u}a", "{u}b", "v"}
	var (
		mu   sync.Mutex
		seen = map[string]int{}
	)
	note := func(v string) {
		mu.Lock()
		seen[v]++
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range waiters {
		c := ts.client(t, 2+i%2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				var (
					v   []string
					err error
				)
				switch i % 3 {
				case 0:
					v, err = c.BLPop(ctx, 100*time.Millisecond, keys[0], keys[1]).Result()
				case 1:
					v, err = c.BRPop(ctx, 100*time.Millisecond, keys[1+i%2]).Result()
				default:
					if err = c.BLMove(ctx, keys[0], "{u}dst", "LEFT", "RIGHT", 100*time.Millisecond).Err(); err == nil {
						var s string
						if s, err = c.RPop(ctx, "{u}dst").Result(); err == nil {
							v = []string{"", s}
						}
					}
				}
				if err == redis.Nil {
					continue
				}
				if err != nil {
					t.Errorf("waiter %d: %v", i, err)
					return
				}
				note(v[1])
			}
		}()
	}
	var pw sync.WaitGroup
	for p := range pushers {
		c := ts.client(t, 2)
		pw.Add(1)
		go func() {
			defer pw.Done()
			for j := range perPusher {
				v := fmt.Sprintf("p%d-%d", p, j)
				k := keys[(p+j)%len(keys)]
				switch j % 3 {
				case 0:
					if err := c.RPush(ctx, k, v).Err(); err != nil {
						t.Errorf("push: %v", err)
						return
					}
				case 1:
					cmds, err := c.Pipelined(ctx, func(pl redis.Pipeliner) error {
						pl.LPush(ctx, k, v)
						pl.LPop(ctx, k)
						return nil
					})
					if err != nil && err != redis.Nil {
						t.Errorf("pipeline: %v", err)
						return
					}
					if s, err := cmds[1].(*redis.StringCmd).Result(); err == nil {
						note(s)
					}
				default:
					if _, err := c.TxPipelined(ctx, func(pl redis.Pipeliner) error {
						pl.RPush(ctx, k, v)
						return nil
					}); err != nil {
						t.Errorf("multi: %v", err)
						return
					}
				}
			}
		}()
	}
	pw.Wait()
	admin := ts.client(t, 2)
	testenv.Wait(t, 30*time.Second, "the lists drained", func() error {
		for _, k := range keys {
			if n, err := admin.LLen(ctx, k).Result(); err != nil || n > 0 {
				return fmt.Errorf("%s: %d left (%v)", k, n, err)
			}
		}
		return nil
	})
	close(stop)
	wg.Wait()
	for _, k := range append(keys, "{u}dst") {
		rest, err := admin.LRange(ctx, k, 0, -1).Result()
		require.NoError(t, err)
		for _, v := range rest {
			note(v)
		}
	}
	assert.Len(t, seen, pushers*perPusher, "every element pushed was seen")
	for v, n := range seen {
		assert.Equal(t, 1, n, "%s seen %d times", v, n)
	}
}
