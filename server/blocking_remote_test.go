package server

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// shortChunks sets the chunk of forwarded blocking commands to d for the
// test.
func shortChunks(t *testing.T, d time.Duration) {
	old := blockChunkNS.Swap(int64(d))
	t.Cleanup(func() { blockChunkNS.Store(old) })
}

// othersThan returns the nodes other than owner.
func othersThan(nodes []*clusterNode, owner *clusterNode) []*clusterNode {
	var out []*clusterNode
	for _, n := range nodes {
		if n != owner {
			out = append(out, n)
		}
	}
	return out
}

// waitChunks waits until node has received n more forwarded calls than
// from: the forwarded waiters were sent that many chunks.
func waitChunks(t *testing.T, node *clusterNode, from, n int64) {
	t.Helper()
	testenv.Wait(t, 20*time.Second, "forwarded chunks", func() error {
		if got := node.srv.cstats.forwardsReceived.Load() - from; got < n {
			return fmt.Errorf("%d chunks, want %d", got, n)
		}
		return nil
	})
}

// TestBlockingFirstBlockedFirstServedAcrossChunks: four clients block on
// one key, through the two other nodes and directly on its primary, and
// wait for several chunks; pushes through any node serve them in the
// order they blocked. Before, a forwarded waiter queued again at the tail
// at each chunk, behind the client on the primary that blocked after it.
func TestBlockingFirstBlockedFirstServedAcrossChunks(t *testing.T) {
	shortChunks(t, 150*time.Millisecond)
	nodes := startCluster(t, 3, nil)
	owner := ownerOf(t, nodes, "fifo")
	others := othersThan(nodes, owner)
	admin := dialClient(t, owner.addr, 2)
	via := []*clusterNode{others[0], owner, others[1], others[0]}
	var got []<-chan []string
	for i, n := range via {
		got = append(got, blpop(dialClient(t, n.addr, 2), 0, "fifo"))
		waitBlocked(t, admin, i+1)
	}
	waitChunks(t, owner, owner.srv.cstats.forwardsReceived.Load(), 12) // about 4 chunks of each forwarded waiter
	for i := range via {
		pusher := dialClient(t, nodes[(i+1)%len(nodes)].addr, 2)
		e := fmt.Sprintf("e%d", i)
		require.NoError(t, pusher.RPush(clusterCtx(t, 10*time.Second), "fifo", e).Err())
		select {
		case v := <-got[i]:
			assert.Equal(t, []string{"fifo", e}, v, "client %d (through %s)", i, via[i].addr)
		case <-time.After(10 * time.Second):
			t.Fatalf("client %d was not served %s", i, e)
		}
	}
	waitBlocked(t, admin, 0)
	n, err := admin.LLen(context.Background(), "fifo").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "every element went to a client")
}

// TestBlockedClientThatLeavesWhileForwardedTakesNothing: a client blocked
// through another node leaves while its chunk waits on the primary (a
// long chunk here); the primary drops it at once, so what is pushed next
// goes to the client behind it, or stays in the list. Before, the chunk
// waited on and popped the element for nobody.
func TestBlockedClientThatLeavesWhileForwardedTakesNothing(t *testing.T) {
	shortChunks(t, time.Minute)
	nodes := startCluster(t, 3, nil)
	owner := ownerOf(t, nodes, "left")
	via := othersThan(nodes, owner)[0]
	admin := dialClient(t, owner.addr, 2)
	ctx := clusterCtx(t, 30*time.Second)
	for _, behind := range []bool{true, false} {
		conn, err := net.Dial("tcp", via.addr)
		require.NoError(t, err)
		_, err = conn.Write([]byte("*3\r\n$5\r\nBLPOP\r\n$4\r\nleft\r\n$1\r\n0\r\n"))
		require.NoError(t, err)
		waitBlocked(t, admin, 1)
		var next <-chan []string
		if behind {
			next = blpop(dialClient(t, owner.addr, 2), 0, "left")
			waitBlocked(t, admin, 2)
		}
		require.NoError(t, conn.Close())
		if behind {
			waitBlocked(t, admin, 1)
		} else {
			waitBlocked(t, admin, 0)
		}
		require.NoError(t, dialClient(t, via.addr, 2).RPush(ctx, "left", "x").Err())
		if behind {
			select {
			case v := <-next:
				assert.Equal(t, []string{"left", "x"}, v)
			case <-time.After(10 * time.Second):
				t.Fatal("the client behind the one that left was not served")
			}
			continue
		}
		v, err := admin.LRange(ctx, "left", 0, -1).Result()
		require.NoError(t, err)
		assert.Equal(t, []string{"x"}, v, "the element stays in the list")
	}
}

// TestClientUnblockThroughAnotherNode: CLIENT UNBLOCK on the node a client
// is connected to reaches its blocking command forwarded to the key's
// primary, while a chunk waits there (a long chunk) or between chunks
// (short ones): the client gets the timeout reply, or -UNBLOCKED with
// ERROR, and takes nothing. Before, CLIENT UNBLOCK answered 0: the client
// was in no queue of its node.
func TestClientUnblockThroughAnotherNode(t *testing.T) {
	nodes := startCluster(t, 3, nil)
	owner := ownerOf(t, nodes, "ub")
	via := othersThan(nodes, owner)[0]
	admin, ownerAdmin := dialClient(t, via.addr, 2), dialClient(t, owner.addr, 2)
	ctx := clusterCtx(t, 60*time.Second)
	for _, chunk := range []time.Duration{time.Minute, 50 * time.Millisecond} {
		shortChunks(t, chunk)
		for _, withError := range []bool{false, true} {
			waiter := redis.NewClient(&redis.Options{Addr: via.addr, Protocol: 2, PoolSize: 1, MaxRetries: -1})
			t.Cleanup(func() { _ = waiter.Close() })
			id, err := waiter.ClientID(ctx).Result()
			require.NoError(t, err)
			got := blpop(waiter, 0, "ub")
			waitBlocked(t, ownerAdmin, 1)
			if chunk < time.Second {
				waitChunks(t, owner, owner.srv.cstats.forwardsReceived.Load(), 3)
			}
			args := []any{"CLIENT", "UNBLOCK", id}
			if withError {
				args = append(args, "ERROR")
			}
			n, err := admin.Do(ctx, args...).Int()
			require.NoError(t, err)
			assert.Equal(t, 1, n, "the forwarded client is found")
			select {
			case v := <-got:
				if withError {
					assert.Equal(t, "error", v[0])
					assert.Contains(t, v[1], "UNBLOCKED")
				} else {
					assert.Equal(t, "error", v[0])
					assert.Equal(t, redis.Nil.Error(), v[1], "the timeout reply")
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("chunk %v: the unblocked client got no reply", chunk)
			}
			waitBlocked(t, ownerAdmin, 0)
		}
	}
	require.NoError(t, admin.RPush(ctx, "ub", "kept").Err())
	v, err := admin.LRange(ctx, "ub", 0, -1).Result()
	require.NoError(t, err)
	assert.Equal(t, []string{"kept"}, v)
}
