package events

import (
	"bytes"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events/pubsub"
	"github.com/meshcache/meshcache/server/resp"
)

// movingRoutes is a node alone whose routing table the test replaces.
type movingRoutes struct {
	Alone
	table atomic.Pointer[ring.Table]
}

func (m *movingRoutes) Table() *ring.Table { return m.table.Load() }

// socket is a connection that keeps what is written to it.
type socket struct {
	mu  sync.Mutex
	out bytes.Buffer
}

func (s *socket) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}
func (*socket) Kill()             {}
func (*socket) RESP3() bool       { return false }
func (*socket) Unflushed() []byte { return nil }

// session is a Session of one client that is not in EXEC.
type session struct{ c *Client }

func (s session) Events() *Client { return s.c }
func (session) Execing() bool     { return false }

// tableWith returns a table of epoch whose only member leads every slot.
func tableWith(t *testing.T, epoch uint64, leader ring.NodeID) *ring.Table {
	tb, err := ring.NewTable(epoch, leader, []ring.Member{{ID: leader, Addr: "a:1", ClusterAddr: "a:2"}})
	require.NoError(t, err)
	for sl := range ring.SlotCount {
		require.NoError(t, tb.SetOwners(uint16(sl), leader))
	}
	return tb
}

// A shard subscription made after the slot changed leader, before the
// fan-out's goroutine looked at the new table, is not dropped for that
// change (it was made under the new table); one made before it is. Under
// load the fan-out's turn comes late, and go-redis's subscribers of
// TestPubSubAcrossNodes lost their fresh subscriptions so.
func TestShardSubscriptionJudgedByItsOwnTable(t *testing.T) {
	a, b := ring.NewNodeID(), ring.NewNodeID()
	routes := &movingRoutes{Alone: Alone(a)}
	routes.table.Store(tableWith(t, 1, a))
	h := New(slog.Default(), noClients{}, a)
	h.SetCluster(routes)
	h.shardMu.Lock()
	h.checkShardChannels() // the fan-out's first turn: the baseline
	h.shardMu.Unlock()

	ssubscribe := subscribeCmd(pubsub.Shard)
	subscribe := func(name string) (*Client, *socket) {
		s := &socket{}
		c := &Client{}
		c.Init(h, 1, "peer:1", s)
		var r resp.Reply
		ssubscribe(&commands.Call{Args: [][]byte{[]byte("SSUBSCRIBE"), []byte(name)}, Reply: &r, Conn: session{c}})
		c.outbox().Append(r.Bytes())
		t.Cleanup(c.outbox().close)
		return c, s
	}
	before, _ := subscribe("old")
	routes.table.Store(tableWith(t, 2, b)) // every slot moves to b
	after, _ := subscribe("new")
	h.shardMu.Lock()
	h.checkShardChannels() // the fan-out's next turn
	h.shardMu.Unlock()
	assert.Equal(t, 0, before.subCount(pubsub.Shard), "subscribed before the move: told and dropped")
	assert.Equal(t, 1, after.subCount(pubsub.Shard), "subscribed after the move: kept")
	assert.Equal(t, 1, h.Count(pubsub.Shard, []byte("new")))
}
