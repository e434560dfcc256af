package tests

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	redigo "github.com/gomodule/redigo/redis"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Pub/Sub through real clients on a 3-node cluster (issue 16): a message
// published through any node reaches the subscribers on every node, once,
// each publisher's in order. Subscribers first wait until probes from
// every node reach them (each node learns its peers within a fraction of
// a second of joining), then check numbered messages.

// receiver is a subscription as the checks see it: the next payload.
type receiver func(ctx context.Context) (string, error)

// goRedisReceiver reads the subscription's messages through go-redis's
// Channel, whose goroutine reads all the time: a read with a deadline
// would make go-redis drop the connection and subscribe again, losing what
// was published meanwhile.
func goRedisReceiver(ps *redis.PubSub) receiver {
	ch := ps.Channel(redis.WithChannelSize(10000))
	return func(ctx context.Context) (string, error) {
		select {
		case m, ok := <-ch:
			if !ok {
				return "", fmt.Errorf("subscription closed")
			}
			return m.Payload, nil
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// warmUp publishes probes through every publisher until the receiver got
// one from each.
func warmUp(ctx context.Context, t *testing.T, pubs []func(msg string) error, rcv receiver) {
	t.Helper()
	seen := map[string]bool{}
	for round := 0; len(seen) < len(pubs); round++ {
		require.Less(t, round, 200, "probes never arrived from every node")
		for i, pub := range pubs {
			if !seen[strconv.Itoa(i)] {
				require.NoError(t, pub("probe:"+strconv.Itoa(i)))
			}
		}
		wait, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		for {
			p, err := rcv(wait)
			if err != nil {
				break
			}
			if i, ok := strings.CutPrefix(p, "probe:"); ok {
				seen[i] = true
			}
		}
		cancel()
	}
}

// checkOrdered publishes n numbered messages through every publisher and
// checks that every receiver gets each once, each publisher's in order
// (late probes are skipped).
func checkOrdered(ctx context.Context, t *testing.T, pubs []func(msg string) error, n int, rcvs ...receiver) {
	t.Helper()
	for i := 0; i < n; i++ {
		for p, pub := range pubs {
			require.NoError(t, pub(fmt.Sprintf("%d:%d", p, i)))
		}
	}
	for r, rcv := range rcvs {
		next := make([]int, len(pubs))
		for got := 0; got < n*len(pubs); {
			payload, err := rcv(ctx)
			require.NoError(t, err, "receiver %d after %d messages", r, got)
			if strings.HasPrefix(payload, "probe:") {
				continue
			}
			ps, is, ok := strings.Cut(payload, ":")
			require.True(t, ok, payload)
			p, _ := strconv.Atoi(ps)
			i, _ := strconv.Atoi(is)
			require.Equal(t, next[p], i, "receiver %d: publisher %d out of order or repeated", r, p)
			next[p]++
			got++
		}
	}
}

func TestPubSubClients(t *testing.T) {
	t.Parallel() // its own processes and ports
	tc := startCluster(t, 3, formInOneStep...)
	ctx := testContext(t, 3*time.Minute)
	var plain []*redis.Client
	for i, n := range tc.nodes {
		plain = append(plain, n.client(2+i%2))
	}
	publishers := func(channel string, shard bool) []func(string) error {
		var out []func(string) error
		for _, c := range plain {
			out = append(out, func(msg string) error {
				if shard {
					return c.SPublish(ctx, channel, msg).Err()
				}
				return c.Publish(ctx, channel, msg).Err()
			})
		}
		return out
	}

	t.Run("GoRedis", func(t *testing.T) {
		pubs := publishers("gr", false)
		var rcvs []receiver
		for i, c := range plain {
			ps := c.Subscribe(ctx, "gr")
			if i == 1 {
				ps = c.PSubscribe(ctx, "g?")
			}
			t.Cleanup(func() { _ = ps.Close() })
			rcv := goRedisReceiver(ps)
			warmUp(ctx, t, pubs, rcv)
			rcvs = append(rcvs, rcv)
		}
		checkOrdered(ctx, t, pubs, 100, rcvs...)
		n, err := plain[0].PubSubNumSub(ctx, "gr").Result()
		require.NoError(t, err)
		assert.Equal(t, map[string]int64{"gr": 1}, n, "NUMSUB counts the node's own subscribers")
	})

	t.Run("GoRedisClusterClient", func(t *testing.T) {
		cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()})
		t.Cleanup(func() { _ = cc.Close() })
		ps := cc.Subscribe(ctx, "cc")
		ss := cc.SSubscribe(ctx, "{cs}x")
		t.Cleanup(func() { _ = ps.Close(); _ = ss.Close() })
		rcv := goRedisReceiver(ps)
		pubs := publishers("cc", false)
		warmUp(ctx, t, pubs, rcv)
		checkOrdered(ctx, t, pubs, 50, rcv)
		// The ClusterClient sends each keyless PUBLISH to any node, so its
		// messages take different paths: all arrive, in no promised order
		// (as on Redis Cluster).
		want := map[string]bool{}
		for i := 0; i < 20; i++ {
			want["cc:"+strconv.Itoa(i)] = true
			require.NoError(t, cc.Publish(ctx, "cc", "cc:"+strconv.Itoa(i)).Err())
		}
		for len(want) > 0 {
			p, err := rcv(ctx)
			require.NoError(t, err, "missing %v", want)
			delete(want, p)
		}
		spubs := append(publishers("{cs}x", true), func(msg string) error { return cc.SPublish(ctx, "{cs}x", msg).Err() })
		warmUp(ctx, t, spubs, goRedisReceiver(ss))
		checkOrdered(ctx, t, spubs, 50, goRedisReceiver(ss))
	})

	t.Run("Redigo", func(t *testing.T) {
		pubs := publishers("rg", false)
		var rcvs []receiver
		for _, n := range tc.nodes {
			conn, err := redigo.Dial("tcp", n.addr)
			require.NoError(t, err)
			t.Cleanup(func() { _ = conn.Close() })
			psc := redigo.PubSubConn{Conn: conn}
			require.NoError(t, psc.Subscribe("rg"))
			require.NoError(t, psc.Ping("still-there"))
			// One goroutine reads all the time (a redigo read that times
			// out breaks the connection); it ends when the connection is
			// closed at the test's end.
			msgs, errs := make(chan string, 10000), make(chan error, 1)
			go func() {
				for {
					switch v := psc.Receive().(type) {
					case redigo.Message:
						msgs <- string(v.Data)
					case redigo.Pong:
						if v.Data != "still-there" {
							errs <- fmt.Errorf("pong %q", v.Data)
							return
						}
					case error:
						errs <- v
						return
					}
				}
			}()
			rcv := func(ctx context.Context) (string, error) {
				select {
				case m := <-msgs:
					return m, nil
				case err := <-errs:
					return "", err
				case <-ctx.Done():
					return "", ctx.Err()
				}
			}
			warmUp(ctx, t, pubs, rcv)
			rcvs = append(rcvs, rcv)
		}
		checkOrdered(ctx, t, pubs, 100, rcvs...)
	})

	t.Run("RedisPy", func(t *testing.T) {
		if err := exec.Command(pythonWithRedis, "-c", "import redis.cluster").Run(); err != nil {
			t.Skip("redis-py with redis.cluster not installed (apt-get install python3-redis)")
		}
		args := []string{"py/pubsub_cluster.py"}
		for _, n := range tc.nodes {
			args = append(args, strconv.Itoa(n.port))
		}
		out, err := exec.CommandContext(testContext(t, time.Minute), pythonWithRedis, args...).CombinedOutput()
		require.NoError(t, err, string(out))
		require.Contains(t, string(out), "redis-py pubsub: all checks passed")
	})
}

// A node killed with SIGKILL stops no other node's subscribers: those on
// the surviving nodes keep receiving what is published through the
// surviving nodes, in order, once.
func TestFaultPubSubKill(t *testing.T) {
	t.Parallel()
	tc := startCluster(t, 3, formInOneStep...)
	ctx := testContext(t, 3*time.Minute)
	var plain []*redis.Client
	for _, n := range tc.nodes {
		plain = append(plain, n.client(2))
	}
	publishers := func(clients []*redis.Client) []func(string) error {
		var out []func(string) error
		for _, c := range clients {
			out = append(out, func(msg string) error { return c.Publish(ctx, "live", msg).Err() })
		}
		return out
	}
	var rcvs []receiver
	for _, c := range plain[:2] {
		ps := c.Subscribe(ctx, "live")
		t.Cleanup(func() { _ = ps.Close() })
		rcv := goRedisReceiver(ps)
		warmUp(ctx, t, publishers(plain), rcv)
		rcvs = append(rcvs, rcv)
	}
	checkOrdered(ctx, t, publishers(plain), 20, rcvs...)

	tc.nodes[2].Kill()
	tc.remove(tc.nodes[2])
	survivors := publishers(plain[:2])
	// Straight after the kill, and again once the cluster has failed over.
	checkOrdered(ctx, t, survivors, 50, rcvs...)
	tc.waitConverged(t, 2, 180*time.Second)
	checkOrdered(ctx, t, survivors, 50, rcvs...)
}
