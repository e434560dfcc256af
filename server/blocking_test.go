package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// blockedClients reads INFO's blocked_clients.
func blockedClients(t *testing.T, c *redis.Client) int {
	t.Helper()
	info, err := c.Info(context.Background(), "clients").Result()
	require.NoError(t, err)
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "blocked_clients:"); ok {
			n, err := strconv.Atoi(v)
			require.NoError(t, err)
			return n
		}
	}
	t.Fatal("no blocked_clients in INFO")
	return 0
}

// waitBlocked waits until n clients are parked on the server c talks to.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	testenv.Wait(t, 10*time.Second, "blocked clients", func() error {
		if got := blockedClients(t, c); got != n {
			return fmt.Errorf("%d blocked, want %d", got, n)
		}
		return nil
	})
}

// blpop runs BLPOP in the background and delivers its result.
func blpop(c *redis.Client, timeout time.Duration, keys ...string) <-chan []string {
	out := make(chan []string, 1)
	go func() {
		v, err := c.BLPop(context.Background(), timeout, keys...).Result()
		if err != nil {
			v = []string{"error", err.Error()}
		}
		out <- v
	}()
	return out
}

func TestBlockingPopServedByPush(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []int{2, 3} {
		t.Run("resp"+strconv.Itoa(proto), func(t *testing.T) {
			waiter, pusher := ts.client(t, proto), ts.client(t, proto)
			got := blpop(waiter, 0, "q1", "q2")
			waitBlocked(t, pusher, 1)
			require.NoError(t, pusher.RPush(context.Background(), "q2", "job").Err())
			assert.Equal(t, []string{"q2", "job"}, <-got)
			assert.Equal(t, 0, blockedClients(t, pusher))
			n, err := pusher.Exists(context.Background(), "q2").Result()
			require.NoError(t, err)
			assert.Zero(t, n, "the pushed element was popped, not copied")
		})
	}
}

// TestBlockingWaitsThroughWrongType: a transaction that pushes to the key a
// client waits on, deletes it and SETs it to a string wakes the client, which
// finds the wrong type and waits on, as Redis's blocked client stays blocked;
// the next push serves it (Redis's "LPUSH + DEL + SET should not awake
// blocked client").
func TestBlockingWaitsThroughWrongType(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	waiter, other := ts.client(t, 2), ts.client(t, 2)
	got := blpop(waiter, 0, "list")
	waitBlocked(t, other, 1)
	_, err := other.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.LPush(ctx, "list", "a")
		p.Del(ctx, "list")
		p.Set(ctx, "list", "foo", 0)
		return nil
	})
	require.NoError(t, err)
	require.NoError(t, other.Del(ctx, "list").Err())
	require.NoError(t, other.LPush(ctx, "list", "b").Err())
	assert.Equal(t, []string{"list", "b"}, <-got)
	// A key that is already of another type when BLPOP arrives is refused at once.
	require.NoError(t, other.Set(ctx, "str", "x", 0).Err())
	assert.Equal(t, []string{"error", "WRONGTYPE Operation against a key holding the wrong kind of value"}, <-blpop(waiter, 0, "str"))

	// BLMOVE woken by a push to its source, its destination a string:
	// the move is tried and answers WRONGTYPE, the element stays (Redis's
	// "BRPOPLPUSH with wrong destination type").
	require.NoError(t, other.Set(ctx, "{b}dst", "x", 0).Err())
	moved := make(chan error, 1)
	go func() { moved <- waiter.BLMove(ctx, "{b}src", "{b}dst", "RIGHT", "LEFT", 0).Err() }()
	waitBlocked(t, other, 1)
	require.NoError(t, other.RPush(ctx, "{b}src", "foo").Err())
	assert.EqualError(t, <-moved, "WRONGTYPE Operation against a key holding the wrong kind of value")
	assert.Equal(t, []string{"foo"}, other.LRange(ctx, "{b}src", 0, -1).Val())

	// Two BLMOVEs on one source, the first one's destination a string: the
	// first blocked is served first (and fails), then the second moves the
	// element (Redis's "BRPOPLPUSH with multiple blocked clients"). Neither
	// is first in line by its destination.
	require.NoError(t, other.Del(ctx, "{b}src").Err())
	second := ts.client(t, 2)
	first := make(chan error, 1)
	go func() { first <- waiter.BLMove(ctx, "{b}src", "{b}dst", "RIGHT", "LEFT", 0).Err() }()
	waitBlocked(t, other, 1)
	then := make(chan string, 1)
	go func() { then <- second.BLMove(ctx, "{b}src", "{b}dst2", "RIGHT", "LEFT", 0).Val() }()
	waitBlocked(t, other, 2)
	require.NoError(t, other.LPush(ctx, "{b}src", "foo").Err())
	assert.EqualError(t, <-first, "WRONGTYPE Operation against a key holding the wrong kind of value")
	assert.Equal(t, "foo", <-then)
	assert.Equal(t, []string{"foo"}, other.LRange(ctx, "{b}dst2", 0, -1).Val())
}

// TestBlockingFirstBlockedFirstServed: clients parked on one key are served
// in the order they blocked, one element each.
func TestBlockingFirstBlockedFirstServed(t *testing.T) {
	ts := startServer(t, nil)
	pusher := ts.client(t, 2)
	var results []<-chan []string
	for i := 0; i < 3; i++ {
		results = append(results, blpop(ts.client(t, 2), 0, "fifo"))
		waitBlocked(t, pusher, i+1)
	}
	require.NoError(t, pusher.RPush(context.Background(), "fifo", "a", "b", "c").Err())
	for i, want := range []string{"a", "b", "c"} {
		assert.Equal(t, []string{"fifo", want}, <-results[i], "client %d", i)
	}
}

func TestBlockingTimeout(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.client(t, 2)
	// go-redis rounds BLPop's timeout up to a second: send the text.
	err := c.Do(context.Background(), "BLPOP", "none", "0.15").Err()
	assert.Equal(t, redis.Nil, err, "a sub-second timeout ends the wait")

	rc := ts.raw(t)
	rc.send(t, "*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$4\r\n0.01\r\n")
	assert.Equal(t, "*-1\r\n", rc.line(t))
	rc.send(t, "*3\r\n$5\r\nBLPOP\r\n$4\r\nnone\r\n$2\r\n-1\r\n")
	assert.Equal(t, "-ERR timeout is negative\r\n", rc.line(t))
}

func TestBlockingInsideMultiAnswersAtOnce(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.raw(t)
	rc.send(t, "*1\r\n$5\r\nMULTI\r\n*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*1\r\n$4\r\nEXEC\r\n")
	assert.Equal(t, "+OK\r\n", rc.line(t))
	assert.Equal(t, "+QUEUED\r\n", rc.line(t))
	assert.Equal(t, "*1\r\n", rc.line(t))
	assert.Equal(t, "*-1\r\n", rc.line(t))
}

func TestClientUnblock(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.client(t, 2)
	ctx := context.Background()
	for _, tc := range []struct {
		reason, want string
	}{{"", "redis: nil"}, {"TIMEOUT", "redis: nil"}, {"ERROR", "UNBLOCKED client unblocked via CLIENT UNBLOCK"}} {
		waiter := ts.client(t, 2, func(o *redis.Options) { o.PoolSize = 1 })
		id, err := waiter.ClientID(ctx).Result()
		require.NoError(t, err)
		got := blpop(waiter, 0, "never")
		waitBlocked(t, admin, 1)
		args := []any{"CLIENT", "UNBLOCK", id}
		if tc.reason != "" {
			args = append(args, tc.reason)
		}
		n, err := admin.Do(ctx, args...).Int()
		require.NoError(t, err)
		assert.Equal(t, 1, n)
		assert.Equal(t, []string{"error", tc.want}, <-got, tc.reason)
		n, err = admin.Do(ctx, "CLIENT", "UNBLOCK", id).Int()
		require.NoError(t, err)
		assert.Zero(t, n, "a client that is not blocked")
	}
	err := admin.Do(ctx, "CLIENT", "UNBLOCK", 1, "BOGUS").Err()
	assert.EqualError(t, err, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
}

// TestBlockedClientThatLeavesTakesNothing: a client that disconnects while
// parked is forgotten; what is pushed afterwards stays in the list.
func TestBlockedClientThatLeavesTakesNothing(t *testing.T) {
	ts := startServer(t, nil)
	pusher := ts.client(t, 2)
	rc := ts.raw(t)
	rc.send(t, "*3\r\n$5\r\nBLPOP\r\n$4\r\ngone\r\n$1\r\n0\r\n")
	waitBlocked(t, pusher, 1)
	require.NoError(t, rc.conn.Close())
	waitBlocked(t, pusher, 0)
	require.NoError(t, pusher.RPush(context.Background(), "gone", "kept").Err())
	v, err := pusher.LRange(context.Background(), "gone", 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"kept"}, v)
}

// TestBlockingThroughAnyNode: a client parked on a node that does not lead
// the key is served when another client pushes through a third node.
func TestBlockingThroughAnyNode(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	owner := ownerOf(t, nodes, "jobs")
	var via, from *clusterNode
	for _, n := range nodes {
		switch {
		case n == owner:
		case via == nil:
			via = n
		default:
			from = n
		}
	}
	waiter := dialClient(t, via.addr, 2)
	got := blpop(waiter, 0, "jobs")
	pusher := dialClient(t, from.addr, 2)
	ownerClient := dialClient(t, owner.addr, 2)
	// The waiter is parked on the owner, in chunks (blocking.go).
	waitBlocked(t, ownerClient, 1)
	require.NoError(t, pusher.LPush(clusterCtx(t, 10*time.Second), "jobs", "j1").Err())
	select {
	case v := <-got:
		assert.Equal(t, []string{"jobs", "j1"}, v)
	case <-time.After(10 * time.Second):
		t.Fatal("the blocked client was not served")
	}
	// Timeouts hold through forwarding.
	err := waiter.Do(context.Background(), "BLPOP", "jobs", "0.3").Err()
	assert.Equal(t, redis.Nil, err)
}

// TestBlockingPipelinedPushServesTheParkedFirst is Redis's "Unblock
// fairness is kept while pipelining": a client pipelines LPUSH and BLPOP
// on a key another client is parked on. The parked client gets the
// element (Redis serves parked clients before the next command) and the
// pipelining client parks behind it until the next push; it hung before,
// its BLPOP taking the element. RESP2 and RESP3.
func TestBlockingPipelinedPushServesTheParkedFirst(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.client(t, 2)
	for _, proto := range []string{"2", "3"} {
		key := "fair" + proto
		first, second := testenv.DialRaw(t, ts.addr), ts.raw(t)
		first.Must(t, "HELLO", proto)
		require.NoError(t, first.Send("BLPOP", key, "0"))
		waitBlocked(t, admin, 1)
		second.send(t, fmt.Sprintf("*3\r\n$5\r\nLPUSH\r\n$%d\r\n%s\r\n$1\r\n1\r\n*3\r\n$5\r\nBLPOP\r\n$%d\r\n%s\r\n$1\r\n0\r\n",
			len(key), key, len(key), key))
		var got []byte
		require.NoError(t, testenv.ReadReply(first.Reader(), &got))
		assert.Equal(t, fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$1\r\n1\r\n", len(key), key), string(got), "the parked client first")
		assert.Equal(t, ":1\r\n", second.line(t))
		waitBlocked(t, admin, 1)
		require.NoError(t, admin.LPush(context.Background(), key, "2").Err())
		for _, want := range []string{"*2", fmt.Sprintf("$%d", len(key)), key, "$1", "2"} {
			assert.Equal(t, want+"\r\n", second.line(t))
		}
		waitBlocked(t, admin, 0)
	}
}

// TestBlockingCountsOnce: a blocking command counts one call in INFO
// commandstats however often it ran while parked: served, timed out, or
// unblocked by CLIENT UNBLOCK (an error, which counts as failed), as
// Redis's "Blocking command accounted only once in commandstats" tests.
func TestBlockingCountsOnce(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		admin := ts.client(t, proto)
		blpopStat := func() string { return infoFields(t, admin, ctx, "commandstats")["cmdstat_blpop"] }
		require.NoError(t, admin.ConfigResetStat(ctx).Err())
		got := blpop(ts.client(t, proto), 0, "once")
		waitBlocked(t, admin, 1)
		require.NoError(t, admin.LPush(ctx, "once", "a", "b").Err()) // two writes wake it...
		assert.Equal(t, []string{"once", "b"}, <-got)
		assert.Contains(t, blpopStat(), "calls=1,", "served")

		require.NoError(t, admin.ConfigResetStat(ctx).Err())
		assert.Equal(t, redis.Nil, admin.Do(ctx, "BLPOP", "none", "0.05").Err())
		assert.Contains(t, blpopStat(), "calls=1,", "timed out")

		require.NoError(t, admin.ConfigResetStat(ctx).Err())
		waiter := ts.client(t, proto, func(o *redis.Options) { o.PoolSize = 1 })
		id, err := waiter.ClientID(ctx).Result()
		require.NoError(t, err)
		got = blpop(waiter, 0, "never")
		waitBlocked(t, admin, 1)
		require.NoError(t, admin.Do(ctx, "CLIENT", "UNBLOCK", id, "ERROR").Err())
		assert.Equal(t, "error", (<-got)[0])
		assert.Regexp(t, `^calls=1,.*failed_calls=1$`, blpopStat(), "unblocked with an error")
		require.NoError(t, admin.Del(ctx, "once").Err())
	}
}

// TestBlockingNestedUnblockFairness is Redis's "Unblock fairness is kept
// during nested unblock": a client first in line on l3 but second on l2
// does not take what a transaction pushed to l2 for the client ahead of it
// there; it gets what the first client's BRPOPLPUSH moves to l3.
func TestBlockingNestedUnblockFairness(t *testing.T) {
	ts := startServer(t, nil)
	ctx := context.Background()
	admin := ts.client(t, 2)
	for _, proto := range []int{2, 3} {
		move := make(chan string, 1)
		go func() {
			v, err := ts.client(t, proto).Do(ctx, "BRPOPLPUSH", "{n}l1", "{n}l3", 0).Text()
			if err != nil {
				v = err.Error()
			}
			move <- v
		}()
		waitBlocked(t, admin, 1)
		second := blpop(ts.client(t, proto), 0, "{n}l2")
		waitBlocked(t, admin, 2)
		third := make(chan []string, 1)
		go func() {
			_, v, err := ts.client(t, proto).BLMPop(ctx, 0, "left", 1, "{n}l2", "{n}l3").Result()
			if err != nil {
				v = []string{err.Error()}
			}
			third <- v
		}()
		waitBlocked(t, admin, 3)
		_, err := admin.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.LPush(ctx, "{n}l1", "1")
			p.LPush(ctx, "{n}l2", "2")
			return nil
		})
		require.NoError(t, err)
		select {
		case v := <-move:
			assert.Equal(t, "1", v)
		case <-time.After(10 * time.Second):
			t.Fatal("BRPOPLPUSH was not served")
		}
		for _, c := range []struct {
			got  <-chan []string
			want []string
		}{{second, []string{"{n}l2", "2"}}, {third, []string{"1"}}} {
			select {
			case v := <-c.got:
				assert.Equal(t, c.want, v)
			case <-time.After(10 * time.Second):
				t.Fatalf("no reply, want %q: a client took another's element", c.want)
			}
		}
		waitBlocked(t, admin, 0)
	}
}
