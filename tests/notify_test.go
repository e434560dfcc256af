package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Keyspace notifications across a 3-node cluster (issue 16): CONFIG SET
// notify-keyspace-events through one node sets it on all of them, and a
// go-redis subscriber on node 0 receives the events of keys that nodes 1
// and 2 lead, written through any node, in the order of each key's
// changes, expiry included.
func TestKeyspaceNotificationsCluster(t *testing.T) {
	t.Parallel() // its own processes and ports
	tc := startCluster(t, 3, formInOneStep...)
	view := tc.waitConverged(t, 3, 180*time.Second)
	ctx := testContext(t, 3*time.Minute)
	var clients []*redis.Client
	for i, n := range tc.nodes {
		clients = append(clients, n.client(2+i%2))
	}

	// One node's CONFIG SET reaches every node.
	require.NoError(t, clients[1].ConfigSet(ctx, "notify-keyspace-events", "KEA").Err())
	for i, c := range clients {
		got, err := c.ConfigGet(ctx, "notify-keyspace-events").Result()
		require.NoError(t, err)
		require.Equal(t, "AKE", got["notify-keyspace-events"], "node %d", i)
	}

	// keyLedBy returns a key whose slot the node at addr leads.
	keyLedBy := func(addr, prefix string) string {
		for i := 0; ; i++ {
			if k := fmt.Sprintf("%s:%d", prefix, i); view.ownerOf(k) == addr {
				return k
			}
		}
	}
	k1 := keyLedBy(tc.nodes[1].addr, "n1")
	k2 := keyLedBy(tc.nodes[2].addr, "n2")

	sub := clients[0].PSubscribe(ctx, "__keyspace@0__:*")
	t.Cleanup(func() { _ = sub.Close() })
	_, err := sub.Receive(ctx) // the subscription's confirmation
	require.NoError(t, err)
	ch := sub.Channel(redis.WithChannelSize(10000))
	next := func(key string) string { // the next event of key (others skipped)
		for {
			select {
			case m := <-ch:
				if strings.TrimPrefix(m.Channel, "__keyspace@0__:") == key {
					return m.Payload
				}
			case <-ctx.Done():
				t.Fatalf("no event for %s: %v", key, ctx.Err())
			}
		}
	}

	// The leaders' fan-out learns its peers within a fraction of a second
	// of forming: touch each key until its event arrives at node 0.
	for _, k := range []string{k1, k2} {
		got := false
		for round := 0; !got; round++ {
			require.Less(t, round, 200, "no event of %s reached node 0", k)
			require.NoError(t, clients[0].Set(ctx, k, "probe", 0).Err())
			wait, cancel := context.WithTimeout(ctx, 250*time.Millisecond)
		drain:
			for {
				select {
				case m := <-ch:
					got = got || m.Channel == "__keyspace@0__:"+k
				case <-wait.Done():
					break drain
				}
			}
			cancel()
		}
	}

	// Writes through every node, each key's events in order.
	for round := 0; round < 20; round++ {
		for i, c := range clients {
			k := k1
			if (round+i)%2 == 1 {
				k = k2
			}
			require.NoError(t, c.Set(ctx, k, "v", 0).Err())
			require.NoError(t, c.HSet(ctx, k+":h", "f", round).Err()) // another slot: skipped by next
			require.NoError(t, c.Expire(ctx, k, time.Hour).Err())
			require.NoError(t, c.Append(ctx, k, "x").Err())
			require.NoError(t, c.Del(ctx, k).Err())
			for _, want := range []string{"set", "expire", "append", "del"} {
				require.Equal(t, want, next(k), "round %d through node %d", round, i)
			}
		}
	}

	// Expiry on the leader (its active cycle; nobody reads the key).
	require.NoError(t, clients[1].Set(ctx, k2, "v", 50*time.Millisecond).Err())
	require.Equal(t, "set", next(k2))
	require.Equal(t, "expire", next(k2))
	require.Equal(t, "expired", next(k2))

	// Turned off through node 2: nothing more is published anywhere.
	require.NoError(t, clients[2].ConfigSet(ctx, "notify-keyspace-events", "").Err())
	for i, c := range clients {
		got, err := c.ConfigGet(ctx, "notify-keyspace-events").Result()
		require.NoError(t, err)
		require.Equal(t, "", got["notify-keyspace-events"], "node %d", i)
	}
	require.NoError(t, clients[0].Set(ctx, k1, "quiet", 0).Err())
	// The marker goes through k1's leader, behind any event of that SET in its fan-out queue.
	require.NoError(t, clients[1].Publish(ctx, "__keyspace@0__:"+k1, "marker").Err())
	require.Equal(t, "marker", next(k1), "an event published after the setting was turned off")
}
