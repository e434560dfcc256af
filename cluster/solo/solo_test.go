package solo

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/ring"
)

func TestTableLeadsEverySlot(t *testing.T) {
	id := ring.NewNodeID()
	n := New(id, nil)
	tb := n.Table()
	require.NotNil(t, tb)
	assert.Equal(t, n.Table(), tb, "one fixed table")
	assert.Zero(t, tb.Epoch)
	assert.Equal(t, ring.SlotCount, tb.Assigned())
	assert.Equal(t, []ring.Member{{ID: id}}, tb.Members())
	assert.Len(t, tb.PrimarySlots(id), ring.SlotCount)
	assert.Empty(t, tb.ReplicaSlots(id))
	for sl := range uint16(ring.SlotCount) {
		assert.Equal(t, []ring.NodeID{id}, tb.Owners(sl))
		assert.Equal(t, ring.SlotStable, tb.State(sl).Kind)
		p, local := n.Route(sl)
		if p != id || !local {
			t.Fatalf("Route(%d) = %s, %v", sl, p, local)
		}
	}
	p, local := n.Route(ring.SlotCount)
	assert.Equal(t, ring.NodeID(""), p, "no such slot")
	assert.False(t, local)
	assert.Equal(t, id, n.ID())
	assert.True(t, n.Standalone())
}

func TestNewRefusesAnInvalidID(t *testing.T) {
	assert.Panics(t, func() { New("not-an-id", nil) })
}

// TestReplication: every slot is one without a synced replica, as
// cluster.Node reports slots of a node with replicas 0: positions need no
// replica and counting them finds none.
func TestReplication(t *testing.T) {
	n := New(ring.NewNodeID(), nil)
	pos := n.Offsets([]cluster.SlotOffset{{Slot: 9, Offset: 4}}, 1, ring.SlotCount, 16383)
	assert.Equal(t, []cluster.SlotOffset{{Slot: 9, Offset: 4}, {Slot: 1}, {Slot: 16383}}, pos, "appended; invalid slots skipped")
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // it must not need the context: nothing to wait for
	got, err := n.WaitReplicated(ctx, pos, ring.MaxReplicas)
	assert.NoError(t, err)
	assert.Zero(t, got)
	synced, acked := n.ReplicaAcks(1, 0)
	assert.Zero(t, synced)
	assert.Zero(t, acked)
	assert.Zero(t, n.LiveReplicas(1))
	assert.False(t, n.ReplicaSynced(1))
	assert.Equal(t, replinfo.Info{}, n.ReplicationInfo())
	settled, _ := n.SettledGiven(replinfo.Info{DegradedSlots: 1})
	assert.True(t, settled, "one node leads every slot")
	n.SetMigrationRate(1 << 20)
	assert.Zero(t, n.MigrationRate(), "no transfers: no rate")
}

func TestMembershipAndRefusals(t *testing.T) {
	id := ring.NewNodeID()
	addr := "127.0.0.1:7000"
	n := New(id, func() string { return addr })
	self := n.Self()
	assert.Equal(t, cluster.NodeInfo{ID: id, ClientAddr: addr, State: cluster.StateServing, Alive: true, Self: true}, self)
	addr = "127.0.0.1:7001"
	assert.Equal(t, addr, n.Self().ClientAddr, "asked each time")
	assert.Equal(t, []cluster.NodeInfo{n.Self()}, n.Members())
	assert.True(t, n.Healthy())
	assert.True(t, n.Quorum())
	assert.Empty(t, New(id, nil).Self().ClientAddr)

	ctx := context.Background()
	assert.ErrorIs(t, n.Meet(ctx, "127.0.0.1:7002", 0), ErrNoClusterPort)
	assert.ErrorIs(t, n.Forget(ring.NewNodeID()), cluster.ErrUnknownNode)
	_, err := n.Forward(ctx, ring.NewNodeID(), false, [][]byte{[]byte("GET"), []byte("k")})
	assert.ErrorIs(t, err, cluster.ErrUnknownNode)
	assert.ErrorIs(t, err, ErrNoClusterPort)
	_, err = n.ForwardBatch(ctx, id, true, nil)
	assert.ErrorIs(t, err, ErrNoClusterPort)
	moved, err := n.Failover(ctx)
	assert.Zero(t, moved)
	assert.True(t, errors.Is(err, cluster.ErrNotReplica) && errors.Is(err, ErrNoClusterPort), "%v", err)

	require.NoError(t, n.Leave(ctx))
	require.NoError(t, n.Leave(ctx), "idempotent")
	self = n.Self()
	assert.False(t, self.Alive)
	assert.Equal(t, cluster.StateDraining, self.State)
}
