package members

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

func TestSet(t *testing.T) {
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }
	self, a, b := id("1"), id("a"), id("b")
	meta := func(i ring.NodeID, addr string) wire.Meta { return wire.Meta{ID: i, ClusterAddr: addr, Epoch: 3} }
	var dead map[ring.NodeID]struct{} // the last set published
	s := New(self, func(d map[ring.NodeID]struct{}) { dead = d })
	isDead := func(id ring.NodeID) bool { _, ok := dead[id]; return ok }
	t0 := time.Unix(1000, 0)

	known, was := s.Update(meta(a, "10.0.0.1:1"), true, t0)
	assert.False(t, known)
	assert.False(t, was)
	s.Update(meta(b, "10.0.0.2:1"), true, t0)
	s.Update(meta(self, "10.0.0.9:1"), true, t0)
	known, was = s.Update(meta(b, "10.0.0.2:1"), false, t0.Add(time.Second))
	assert.True(t, known)
	assert.True(t, was)

	assert.Equal(t, map[ring.NodeID]bool{self: true, a: true}, s.AliveIDs())
	assert.True(t, isDead(b), "the dead set routes b's slots nowhere")
	assert.False(t, isDead(a))
	assert.False(t, isDead(id("c")), "a member gossip never told of is not known dead")
	addr, err := s.AddrOf(a)
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1:1", addr)
	_, err = s.AddrOf(b)
	assert.ErrorIs(t, err, ErrNodeDown)
	_, err = s.AddrOf(id("c"))
	assert.ErrorIs(t, err, ErrUnknownNode)
	assert.Len(t, s.Infos(), 2, "every member but self")

	alive := map[ring.NodeID]wire.Meta{}
	assert.Equal(t, uint64(3), s.AddAlive(alive))
	assert.Len(t, alive, 1, "only alive peers")

	// b is dead: its address is re-joined, with the seeds no alive member uses.
	s.Remember("10.0.0.3:1", t0)
	got := s.RejoinTargets("10.0.0.9:1", []string{"10.0.0.1:1", "10.0.0.4:1"}, t0.Add(time.Minute))
	assert.Equal(t, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"}, got)
	got = s.RejoinTargets("10.0.0.9:1", nil, t0.Add(knownHorizon+2*time.Second))
	assert.Empty(t, got, "addresses not seen alive for knownHorizon are dropped")

	// A dead member the table still names is kept; one it does not name is
	// reaped after reapAfter.
	tb, err := ring.NewTable(1, a, []ring.Member{{ID: a}, {ID: b}})
	require.NoError(t, err)
	s.Reap(tb, t0.Add(2*reapAfter))
	assert.Len(t, s.Infos(), 2)
	s.Reap(nil, t0.Add(time.Second))
	assert.Len(t, s.Infos(), 2, "not dead for reapAfter yet")
	s.Reap(nil, t0.Add(2*reapAfter))
	assert.Len(t, s.Infos(), 1)
	assert.False(t, isDead(b), "reaped: no longer in the dead set")

	assert.ErrorIs(t, s.Forget(a), ErrForgetAlive)
	assert.ErrorIs(t, s.Forget(b), ErrUnknownNode, "reaped")
	s.Update(meta(b, "10.0.0.2:1"), false, t0)
	assert.True(t, isDead(b))
	require.NoError(t, s.Forget(b))
	assert.Len(t, s.Infos(), 1)
	assert.False(t, isDead(b), "forgotten")
	s.Update(meta(a, "10.0.0.1:1"), false, t0)
	assert.True(t, isDead(a))
	s.Update(meta(a, "10.0.0.1:1"), true, t0)
	assert.False(t, isDead(a), "back to life")
}

// TestInfoOf: a member's gossiped metadata as Info; Self only for the
// node's own ID, the start time from its Unix nanoseconds.
func TestInfoOf(t *testing.T) {
	self, other := ring.NodeID(strings.Repeat("1", ring.NodeIDLen)), ring.NodeID(strings.Repeat("2", ring.NodeIDLen))
	meta := wire.Meta{ID: other, ClientAddr: "10.0.0.2:6379", ClusterAddr: "10.0.0.2:16379", StartTime: 1_500_000_000, State: wire.StateDraining, Epoch: 7}
	assert.Equal(t, Info{ID: other, ClientAddr: "10.0.0.2:6379", ClusterAddr: "10.0.0.2:16379",
		StartTime: time.Unix(1, 500_000_000), State: wire.StateDraining, Epoch: 7, Alive: true}, InfoOf(meta, true, self))
	meta.ID = self
	assert.True(t, InfoOf(meta, false, self).Self)
	assert.False(t, InfoOf(meta, false, self).Alive)
}
