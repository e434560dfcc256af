package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

func TestMemberSet(t *testing.T) {
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }
	self, a, b := id("1"), id("a"), id("b")
	meta := func(i ring.NodeID, addr string) Meta { return Meta{ID: i, ClusterAddr: addr, Epoch: 3} }
	var dead map[ring.NodeID]struct{} // the last set published
	s := newMemberSet(self, func(d map[ring.NodeID]struct{}) { dead = d })
	isDead := func(id ring.NodeID) bool { _, ok := dead[id]; return ok }
	t0 := time.Unix(1000, 0)

	known, was := s.update(meta(a, "10.0.0.1:1"), true, t0)
	assert.False(t, known)
	assert.False(t, was)
	s.update(meta(b, "10.0.0.2:1"), true, t0)
	s.update(meta(self, "10.0.0.9:1"), true, t0)
	known, was = s.update(meta(b, "10.0.0.2:1"), false, t0.Add(time.Second))
	assert.True(t, known)
	assert.True(t, was)

	assert.Equal(t, map[ring.NodeID]bool{self: true, a: true}, s.aliveIDs())
	assert.True(t, isDead(b), "the dead set routes b's slots nowhere")
	assert.False(t, isDead(a))
	assert.False(t, isDead(id("c")), "a member gossip never told of is not known dead")
	addr, err := s.addrOf(a)
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1:1", addr)
	_, err = s.addrOf(b)
	assert.ErrorIs(t, err, ErrNodeDown)
	_, err = s.addrOf(id("c"))
	assert.ErrorIs(t, err, ErrUnknownNode)
	assert.Len(t, s.infos(), 2, "every member but self")

	v := view{alive: map[ring.NodeID]Meta{}}
	s.see(&v)
	assert.Len(t, v.alive, 1, "only alive peers")
	assert.Equal(t, uint64(3), v.maxEpoch)

	// b is dead: its address is re-joined, with the seeds no alive member uses.
	s.remember("10.0.0.3:1", t0)
	got := s.rejoinTargets("10.0.0.9:1", []string{"10.0.0.1:1", "10.0.0.4:1"}, t0.Add(time.Minute))
	assert.Equal(t, []string{"10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1"}, got)
	got = s.rejoinTargets("10.0.0.9:1", nil, t0.Add(knownHorizon+2*time.Second))
	assert.Empty(t, got, "addresses not seen alive for knownHorizon are dropped")

	// A dead member the table still names is kept; one it does not name is
	// reaped after reapAfter.
	tb, err := ring.NewTable(1, a, []ring.Member{{ID: a}, {ID: b}})
	require.NoError(t, err)
	s.reap(tb, t0.Add(2*reapAfter))
	assert.Len(t, s.infos(), 2)
	s.reap(nil, t0.Add(time.Second))
	assert.Len(t, s.infos(), 2, "not dead for reapAfter yet")
	s.reap(nil, t0.Add(2*reapAfter))
	assert.Len(t, s.infos(), 1)
	assert.False(t, isDead(b), "reaped: no longer in the dead set")

	assert.ErrorIs(t, s.forget(a), ErrForgetAlive)
	assert.ErrorIs(t, s.forget(b), ErrUnknownNode, "reaped")
	s.update(meta(b, "10.0.0.2:1"), false, t0)
	assert.True(t, isDead(b))
	require.NoError(t, s.forget(b))
	assert.Len(t, s.infos(), 1)
	assert.False(t, isDead(b), "forgotten")
	s.update(meta(a, "10.0.0.1:1"), false, t0)
	assert.True(t, isDead(a))
	s.update(meta(a, "10.0.0.1:1"), true, t0)
	assert.False(t, isDead(a), "back to life")
}

// TestQuorumNeedsTheTableInForce: a node counts a quorum only while it
// sees a majority of its table's members and none of them reports a newer
// table; a node back from a partition, on the table it had, counts none
// until it pulls the newer one (issue 18, cause 3).
func TestQuorumNeedsTheTableInForce(t *testing.T) {
	ids := []ring.NodeID{ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40)), ring.NodeID(strings.Repeat("c", 40))}
	tb, err := ring.NewTable(5, ids[0], []ring.Member{{ID: ids[0]}, {ID: ids[1]}, {ID: ids[2]}})
	require.NoError(t, err)
	n := &Node{id: ids[0], logger: testLogger(t)}
	viewOf := func(epochs ...uint64) view {
		v := view{alive: map[ring.NodeID]Meta{}}
		for i, e := range epochs {
			v.alive[ids[i]] = Meta{ID: ids[i], Epoch: e, Issuer: ids[0]}
		}
		return v
	}
	for _, c := range []struct {
		name   string
		epochs []uint64 // of the alive members, this node first
		want   bool
	}{
		{"all alive, same table", []uint64{5, 5, 5}, true},
		{"a majority alive, same table", []uint64{5, 5}, true},
		{"a minority", []uint64{5}, false},
		{"a majority, one member holds a newer table", []uint64{5, 6, 5}, false},
		{"a majority, members hold older tables (a push on its way)", []uint64{5, 4, 4}, true},
	} {
		q := n.updateQuorum(tb, viewOf(c.epochs...))
		assert.Equal(t, c.want, q, c.name)
		assert.Equal(t, c.want, n.quorum.Load(), c.name)
	}
}
