package events

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/store"
)

// tableCluster is a node with a routing table and no transport.
type tableCluster struct {
	Alone
	t *ring.Table
}

func (c tableCluster) Table() *ring.Table { return c.t }

// queued returns the messages queued for q as "channel payload" lines and
// empties the queue.
func queued(q *peerQueue) []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []string
	for _, m := range q.items {
		out = append(out, string(m[1])+" "+string(m[2]))
	}
	q.items, q.bytes = nil, 0
	return out
}

// The store's events are published by the slot's leader only, when the
// setting selects their class and K or E; with nobody subscribed on the
// node, a peer to fan out to is reason enough to build them.
func TestKeyEventsOnTheLeaderOnly(t *testing.T) {
	self, other := ring.NodeID(strings.Repeat("a", ring.NodeIDLen)), ring.NodeID(strings.Repeat("b", ring.NodeIDLen))
	tb, err := ring.NewTable(1, self, []ring.Member{{ID: self}, {ID: other}})
	require.NoError(t, err)
	mine, theirs := []byte("mine"), []byte("theirs")
	require.NoError(t, tb.SetOwners(ring.KeySlot(mine), self))
	require.NoError(t, tb.SetOwners(ring.KeySlot(theirs), other))
	h := New(slog.Default(), noClients{}, self)
	h.SetCluster(tableCluster{Alone: Alone(self), t: tb})

	h.KeyEvent(ring.KeySlot(mine), mine, store.KeyExpired)
	require.Zero(t, h.FanoutPeers(), "no peer yet")
	q := &peerQueue{id: other, wake: make(chan struct{}, 1), stop: make(chan struct{})}
	h.fanout.peers.Store(&[]*peerQueue{q})

	for _, tc := range []struct {
		setting string
		slotKey []byte
		ev      store.KeyEvent
		want    []string
	}{
		{"", mine, store.KeyExpired, nil},
		{"KEA", mine, store.KeyExpired, []string{"__keyspace@0__:mine expired", "__keyevent@0__:expired mine"}},
		{"KEA", theirs, store.KeyExpired, nil}, // a replica's lazy expiry: the leader tells
		{"Kg", mine, store.KeyExpired, nil},    // x not selected
		{"Ee", mine, store.KeyEvicted, []string{"__keyevent@0__:evicted mine"}},
		{"Kn", mine, store.KeyCreated, []string{"__keyspace@0__:mine new"}},
		{"KA", mine, store.KeyCreated, nil}, // A leaves n out
		{"Em", mine, store.KeyMissed, []string{"__keyevent@0__:keymiss mine"}},
		{"m", mine, store.KeyMissed, nil}, // neither K nor E
	} {
		c, ok := notify.Parse(tc.setting)
		require.True(t, ok)
		h.SetNotify(c)
		h.KeyEvent(ring.KeySlot(tc.slotKey), tc.slotKey, tc.ev)
		require.Equal(t, tc.want, queued(q), "%q %s event %d", tc.setting, tc.slotKey, tc.ev)
	}
	h.SetNotify(notify.Keyspace | notify.Generic)
	require.True(t, h.Wants(notify.Generic))
	require.False(t, h.Wants(notify.List))
}
