package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// TestPartitionHoldsUnreachableSlots splits a 5-node cluster with one
// replica 3|2 under writes. The slots whose primary and replica are both
// on the minority side have no reachable copy: the majority must hold them
// (no empty takeover, their keys routed nowhere: -CLUSTERDOWN) while it
// fails over the others, and after the cut heals they serve again with
// their data: no acknowledged write is lost, in any slot, and the replicas
// match (issue 18).
func TestPartitionHoldsUnreachableSlots(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	// Five nodes to settle, a cut and a heal: more than the 100 s the
	// three-node tests get.
	ctx := testCtx(t, 180*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 5, nodeOpts{replicas: 1, faults: faults})
	majority, minority := nodes[:3], nodes[3:]
	_, l, stop := writeUnder(t, nodes)

	before := majority[0].Table()
	onMinority := func(id ring.NodeID) bool {
		return slices.ContainsFunc(minority, func(n *dataNode) bool { return n.ID() == id })
	}
	var held []uint16 // slots whose every copy is on the minority side
	for s := range ring.SlotCount {
		if owners := before.Owners(uint16(s)); !slices.ContainsFunc(owners, func(o ring.NodeID) bool { return !onMinority(o) }) {
			held = append(held, uint16(s))
		}
	}
	require.NotEmpty(t, held, "the placement puts some slots' both copies on the minority side")

	faults.Cut(clusterAddrs(minority[0].Node, minority[1].Node),
		clusterAddrs(majority[0].Node, majority[1].Node, majority[2].Node))
	failedOver := func() bool {
		tb := majority[0].Table()
		if tb.Epoch <= before.Epoch {
			return false
		}
		for s := range ring.SlotCount {
			slot := uint16(s)
			if onMinority(tb.Primary(slot)) && !slices.Contains(held, slot) {
				return false
			}
		}
		return true
	}
	require.Eventually(t, failedOver, 30*time.Second, 20*time.Millisecond,
		"the majority fails over every slot with a reachable copy")
	var holding int64
	require.Eventually(t, func() bool {
		holding = 0
		for _, n := range majority {
			holding += n.ReplicationInfo().HeldSlots
		}
		return holding == int64(len(held))
	}, 30*time.Second, 20*time.Millisecond, "the coordinator holds the %d slots without a reachable copy", len(held))
	tb := majority[0].Table()
	for _, slot := range held {
		// Gossip on the majority may declare one minority node dead
		// before the other: a replica may be dropped first, while its
		// primary still counts as alive, but the primary stays.
		require.Equal(t, before.Primary(slot), tb.Primary(slot), "held slot %d keeps its primary", slot)
	}
	// Each majority node routes the held slots nowhere (-CLUSTERDOWN) once
	// its own gossip reports their primaries dead.
	require.Eventually(t, func() bool {
		for _, slot := range held {
			for _, n := range majority {
				if owner, _ := n.Route(slot); owner != "" {
					return false
				}
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "a held slot routes nowhere on the majority")
	t.Logf("%d slots held, the rest failed over at epoch %d", len(held), tb.Epoch)

	faults.Heal()
	waitSettled(t, ctx, nodes, 1)
	stop()
	// Every acknowledged write is there after the heal, in every slot,
	// and every replica matches its primary. The slots whose primary and
	// replica the cut split lost an acknowledged key in 2 of 53 runs
	// before 2026-12-04: a write the cut-off primary acknowledged as
	// degraded once the heal showed it the majority's table (backing.go).
	l.verify(t, nodes)
	checkReplicas(t, nodes)
	if t.Failed() {
		describeLost(t, l, nodes, before, held)
	}
	for _, n := range nodes {
		info := n.ReplicationInfo()
		assert.Zero(t, info.LostSlots, "no slot was given away empty")
		assert.Zero(t, info.HeldSlots, "no slot is held once the cut heals")
	}
}

// describeLost logs, for each acknowledged key that is not on the cluster,
// its slot's owners before the cut and now and whether it was held.
func describeLost(t *testing.T, l *ledger, nodes []*dataNode, before *ring.Table, held []uint16) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := nodes[0].Table()
	for k, v := range l.want {
		if got, ok, err := readKey(nodes, k); err == nil && ok && got == v {
			continue
		}
		slot := ring.KeySlot([]byte(k))
		t.Logf("lost %s=%s: slot %d owners before the cut %v, now %v (epoch %d), held %t",
			k, v, slot, before.Owners(slot), now.Owners(slot), now.Epoch, slices.Contains(held, slot))
	}
}
