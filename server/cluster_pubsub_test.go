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

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/events/pubsub"
	"github.com/meshcache/meshcache/tests/testenv"
)

// waitFanout waits until every node's fan-out has a sender for each other
// node, so that what is published next reaches every node.
func waitFanout(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	testenv.Wait(t, 10*time.Second, "fan-out to every peer", func() error {
		for _, n := range nodes {
			if n.srv.events.FanoutPeers() != len(nodes)-1 {
				return fmt.Errorf("%s has no sender for every peer yet", n.addr)
			}
		}
		return nil
	})
}

// Messages published through every node reach the subscribers on every
// node exactly once, each publisher's in order; PUBLISH counts the
// receivers on the node that took it; SPUBLISH through any node reaches the
// shard channel's subscribers on every node; shard channels in several
// slots are refused, as Redis Cluster does.
func TestPubSubAcrossNodes(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	waitFanout(t, nodes)
	ctx := testCtx(t)

	type sub struct {
		ps   *redis.PubSub
		node int
	}
	var subs []sub
	for i, n := range nodes {
		c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2 + i%2})
		t.Cleanup(func() { _ = c.Close() })
		for _, mk := range []func() *redis.PubSub{
			func() *redis.PubSub { return c.Subscribe(ctx, "news") },
			func() *redis.PubSub { return c.PSubscribe(ctx, "ne*") },
			func() *redis.PubSub { return c.SSubscribe(ctx, "{s}news") },
		} {
			ps := mk()
			_, err := ps.Receive(ctx)
			require.NoError(t, err)
			t.Cleanup(func() { _ = ps.Close() })
			subs = append(subs, sub{ps, i})
		}
	}
	c := redis.NewClient(&redis.Options{Addr: nodes[0].addr})
	t.Cleanup(func() { _ = c.Close() })
	err := c.Do(ctx, "SSUBSCRIBE", "a", "b").Err()
	require.Error(t, err)
	assert.Equal(t, errCrossSlot, err.Error())

	const perPublisher = 200
	var wg sync.WaitGroup
	for p, n := range nodes {
		pc := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: 2 + p%2})
		t.Cleanup(func() { _ = pc.Close() })
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perPublisher; i++ {
				msg := strconv.Itoa(p) + ":" + strconv.Itoa(i)
				got, err := pc.Publish(ctx, "news", msg).Result()
				if !assert.NoError(t, err) || !assert.Equal(t, int64(2), got, "receivers on the publishing node") {
					return
				}
				got, err = pc.SPublish(ctx, "{s}news", msg).Result()
				if !assert.NoError(t, err) || !assert.Equal(t, int64(1), got, "shard receivers on the publishing node") {
					return
				}
			}
		}()
	}
	for _, s := range subs {
		next := make([]int, len(nodes))
		for got := 0; got < len(nodes)*perPublisher; got++ {
			m, err := s.ps.ReceiveMessage(ctx)
			require.NoError(t, err, "subscriber on node %d after %d messages", s.node, got)
			p, i, ok := strings.Cut(m.Payload, ":")
			require.True(t, ok, m.Payload)
			pi, _ := strconv.Atoi(p)
			ii, _ := strconv.Atoi(i)
			require.Equal(t, next[pi], ii, "node %d's subscriber: publisher %d out of order or repeated", s.node, pi)
			next[pi]++
		}
	}
	wg.Wait()
	// Each node's last message comes next, and nothing before it: no
	// message came twice (a repeat would precede its node's last one).
	for p, n := range nodes {
		pc := redis.NewClient(&redis.Options{Addr: n.addr})
		t.Cleanup(func() { _ = pc.Close() })
		require.NoError(t, pc.Publish(ctx, "news", "end:"+strconv.Itoa(p)).Err())
		require.NoError(t, pc.SPublish(ctx, "{s}news", "end:"+strconv.Itoa(p)).Err())
	}
	for _, s := range subs {
		ends := map[string]bool{}
		for len(ends) < len(nodes) {
			m, err := s.ps.ReceiveMessage(ctx)
			require.NoError(t, err)
			require.True(t, strings.HasPrefix(m.Payload, "end:"), "node %d's subscriber got %q twice", s.node, m.Payload)
			ends[m.Payload] = true
		}
	}
}

// When the slot of a shard channel changes leader (here: its node stops),
// the shard subscribers on the other nodes are told as Redis 7 tells them,
// `sunsubscribe <channel> <count>`, and are no longer subscribed to it;
// their other shard channels stay.
func TestShardSubscribersToldWhenSlotMoves(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	moving := keyOn(t, nodes, nodes[2], "sc")
	staying := keyOn(t, nodes, nodes[1], "sc")
	for _, proto := range []string{"2", "3"} {
		rc := testenv.DialRaw(t, nodes[0].addr)
		rc.Must(t, "HELLO", proto)
		rc.Must(t, "SSUBSCRIBE", moving)
		rc.Must(t, "SSUBSCRIBE", staying)
		defer func(rc *testenv.RawConn, proto string) {
			want := "*3\r\n$12\r\nsunsubscribe\r\n$" + strconv.Itoa(len(moving)) + "\r\n" + moving + "\r\n:1\r\n"
			if proto == "3" {
				want = ">" + want[1:]
			}
			var got []byte
			require.NoError(t, testenv.ReadReply(rc.Reader(), &got))
			assert.Equal(t, want, string(got), "RESP%s", proto)
		}(rc, proto)
	}
	nodes[2].stop()
	testenv.Wait(t, testenv.SettleTimeout, "the moved channel's subscribers dropped", func() error {
		if n := nodes[0].srv.events.Count(pubsub.Shard, []byte(moving)); n != 0 {
			return fmt.Errorf("%d subscribers of %s left", n, moving)
		}
		return nil
	})
	if nodes[0].node.Table().Primary(ring.KeySlot([]byte(staying))) == nodes[1].node.ID() {
		// (The new placement may move a few of the other nodes' slots too.)
		assert.Equal(t, 2, nodes[0].srv.events.Count(pubsub.Shard, []byte(staying)), "a channel whose slot stayed")
	}
}
