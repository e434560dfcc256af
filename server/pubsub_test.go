package server

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/tests/testenv"
)

// Publishers on several connections publish concurrently to subscribers
// in both protocols: every subscriber receives every message whole (the
// client parses each one), once, and each publisher's in the order it
// published them. Run with -race, this also checks that the outbox and
// the connection's goroutine never write the connection at once.
func TestPubSubOrderWithConcurrentPublishers(t *testing.T) {
	ts := startServer(t, nil)
	const publishers, perPublisher = 6, 300
	var subs []*redis.PubSub
	for i, proto := range []int{2, 3, 2, 3} {
		c := ts.client(t, proto)
		var ps *redis.PubSub
		if i%2 == 0 {
			ps = c.Subscribe(testCtx(t), "orders")
		} else {
			ps = c.PSubscribe(testCtx(t), "ord*")
		}
		_, err := ps.Receive(testCtx(t)) // the subscription's confirmation
		require.NoError(t, err)
		t.Cleanup(func() { _ = ps.Close() })
		subs = append(subs, ps)
	}
	info, err := ts.client(t, 2).Info(testCtx(t), "stats").Result()
	require.NoError(t, err)
	assert.Contains(t, info, "pubsub_channels:1\r\npubsub_patterns:1\r\npubsubshard_channels:0\r\n")
	list, err := ts.client(t, 2).ClientList(testCtx(t)).Result()
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(list, "flags=P db=0 sub=1 psub=0 ssub=0"), list)
	assert.Equal(t, 2, strings.Count(list, "flags=P db=0 sub=0 psub=1 ssub=0"), list)
	var wg sync.WaitGroup
	for p := 0; p < publishers; p++ {
		c := ts.client(t, 2+p%2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perPublisher; i++ {
				n, err := c.Publish(testCtx(t), "orders", fmt.Sprintf("%d:%d:%s", p, i, strings.Repeat("x", i%200))).Result()
				if !assert.NoError(t, err) || !assert.Equal(t, int64(len(subs)), n) {
					return
				}
			}
		}()
	}
	for _, ps := range subs {
		next := make([]int, publishers)
		for got := 0; got < publishers*perPublisher; got++ {
			m, err := ps.ReceiveMessage(testCtx(t))
			require.NoError(t, err)
			parts := strings.SplitN(m.Payload, ":", 3)
			require.Len(t, parts, 3)
			p, _ := strconv.Atoi(parts[0])
			i, _ := strconv.Atoi(parts[1])
			require.Equal(t, next[p], i, "publisher %d out of order", p)
			require.Equal(t, strings.Repeat("x", i%200), parts[2])
			next[p]++
		}
	}
	wg.Wait()
}

// A subscriber that stops reading under a fast publisher is closed once
// its pending output reaches the hard limit of client-output-buffer-limit
// pubsub, instead of growing: its output buffer never holds more than the
// limit plus one message, while the publisher sends many times the limit.
func TestSlowSubscriberClosedAtHardLimit(t *testing.T) {
	const hard = 256 << 10
	ts := startServer(t, func(c *config.Config) {
		require.NoError(t, c.OutputLimits.Set(fmt.Sprintf("pubsub %d 0 0", hard)))
	})
	stalled := testenv.DialRaw(t, ts.addr) // subscribes, then never reads again
	stalled.Must(t, "SUBSCRIBE", "firehose")
	pub := ts.client(t, 2)
	payload := strings.Repeat("m", 4096)
	published, fullest := 0, 0
	for {
		n, err := pub.Publish(testCtx(t), "firehose", payload).Result()
		require.NoError(t, err)
		published += len(payload)
		for _, cl := range ts.srv.clientList() {
			if o := cl.ev.Outbox(); o != nil {
				require.LessOrEqual(t, o.Size(), hard+len(payload)+64, "pending output past the hard limit")
				fullest = max(fullest, o.Size())
			}
		}
		if n == 0 {
			break // the subscriber was closed
		}
		require.Less(t, published, 1<<30, "the stalled subscriber was never closed")
	}
	// How much the sockets absorb first depends on the machine's buffer
	// sizes; what matters is that the output waited in the outbox.
	assert.Greater(t, fullest, hard/2, "the outbox never filled (the socket buffers took everything): nothing was tested")
	testenv.Wait(t, 10*time.Second, "the subscriber is gone", func() error {
		list, err := pub.ClientList(testCtx(t)).Result()
		if err == nil && strings.Contains(list, "sub=1") {
			err = fmt.Errorf("still listed: %s", list)
		}
		return err
	})
}

// The soft limit closes a subscriber whose output stays above it for longer
// than its seconds (here 0: at the second message past it).
func TestSlowSubscriberClosedAtSoftLimit(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		require.NoError(t, c.OutputLimits.Set("pubsub 0 64kb 0"))
	})
	stalled := testenv.DialRaw(t, ts.addr)
	stalled.Must(t, "SUBSCRIBE", "firehose")
	pub := ts.client(t, 3)
	payload := strings.Repeat("s", 4096)
	for i := 0; ; i++ {
		n, err := pub.Publish(testCtx(t), "firehose", payload).Result()
		require.NoError(t, err)
		if n == 0 {
			return
		}
		require.Less(t, i, 1<<18, "the stalled subscriber was never closed")
	}
}

func TestClientOutputBufferLimitConfig(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.client(t, 2)
	got, err := c.ConfigGet(testCtx(t), "client-output-buffer-limit").Result()
	require.NoError(t, err)
	assert.Equal(t, "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", got["client-output-buffer-limit"])
	require.NoError(t, c.ConfigSet(testCtx(t), "client-output-buffer-limit", "PUBSUB 2kb 1K 5 replica 1 2 3").Err())
	got, err = c.ConfigGet(testCtx(t), "client-output-buffer-limit").Result()
	require.NoError(t, err)
	assert.Equal(t, "normal 0 0 0 slave 1 2 3 pubsub 2048 1000 5", got["client-output-buffer-limit"])
	assert.Equal(t, int64(2048), ts.srv.events.OutputLimit(config.ClassPubSub).Hard)
	for arg, reason := range map[string]string{
		"pubsub 1mb":             "Wrong number of arguments in buffer limit configuration.",
		"master 1 1 1":           "Invalid client class specified in buffer limit configuration.",
		"pubsub x 1 1":           "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"pubsub 1mb 1 -1":        "Error in hard, soft or soft_seconds setting in buffer limit configuration.",
		"normal 1 1 1 foo 1 1 1": "Invalid client class specified in buffer limit configuration.",
	} {
		err := c.ConfigSet(testCtx(t), "client-output-buffer-limit", arg).Err()
		require.Error(t, err, arg)
		assert.Equal(t, "ERR CONFIG SET failed (possibly related to argument 'client-output-buffer-limit') - "+reason, err.Error(), arg)
	}
	got, err = c.ConfigGet(testCtx(t), "client-output-buffer-limit").Result()
	require.NoError(t, err)
	assert.Equal(t, "normal 0 0 0 slave 1 2 3 pubsub 2048 1000 5", got["client-output-buffer-limit"], "a failed SET changes nothing")
}

// A fan-out batch sent again (its first copy was delivered but not
// acknowledged) is skipped by its number, so a subscriber gets each
// message once; a later batch of the same sender is delivered.
func TestFanoutBatchSentAgainIsSkipped(t *testing.T) {
	ts := startServer(t, nil)
	sub := testenv.DialRaw(t, ts.addr)
	sub.Must(t, "SUBSCRIBE", "ch")
	marker := []byte(events.FanoutMarker)
	batch := func(seq string, msg string) [][][]byte {
		return [][][]byte{{marker, []byte("peer-a"), []byte(seq)}, {[]byte("message"), []byte("ch"), []byte(msg)}}
	}
	assert.Equal(t, [][]byte{[]byte(":1\r\n")}, ts.srv.ExecuteBatch(false, batch("1", "one")))
	assert.Equal(t, [][]byte{[]byte(":0\r\n")}, ts.srv.ExecuteBatch(false, batch("1", "one")), "sent again")
	assert.Equal(t, [][]byte{[]byte(":1\r\n")}, ts.srv.ExecuteBatch(false, batch("2", "two")))
	assert.Equal(t, [][]byte{[]byte(":1\r\n")}, ts.srv.ExecuteBatch(false, [][][]byte{
		{marker, []byte("peer-b"), []byte("1")}, {[]byte("message"), []byte("ch"), []byte("three")}}), "another sender's numbers are its own")
	for _, want := range []string{"one", "two", "three"} {
		var got []byte
		require.NoError(t, testenv.ReadReply(sub.Reader(), &got))
		assert.Equal(t, "*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$"+strconv.Itoa(len(want))+"\r\n"+want+"\r\n", string(got))
	}
	// A client cannot send a fan-out batch: the marker is no command.
	rc := testenv.DialRaw(t, ts.addr)
	assert.True(t, strings.HasPrefix(string(rc.Must(t, events.FanoutMarker, "peer-a", "3")), "-ERR unknown command"))
}
