package cluster

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// TestPromotedReplicaForgetsItsOldPrimary: a replica that a table makes a
// slot's primary stops taking the old primary's stream for good, not only
// while it leads. Two nodes, a and b; a leads a slot b replicates. With
// them cut apart (a partition's minority keeps queueing writes it never
// gets acknowledged), b is given a table naming it the primary, then one
// naming a primary again (b hands the slot back); an entry of a's stream
// arriving only then, as a late retry would, must not be applied: b would
// hold a write its primary does not (TestMinorityStopsAtOnce saw it).
func TestPromotedReplicaForgetsItsOldPrimary(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 2, nodeOpts{replicas: 1, faults: faults})
	a, b := nodes[0], nodes[1]
	slot := a.Table().PrimarySlots(a.ID())[0]
	recv := func() recvSlot {
		b.repl.recvMu.Lock()
		defer b.repl.recvMu.Unlock()
		return b.repl.recv[slot]
	}
	require.Equal(t, a.ID(), recv().source, "b replicates the slot from a")
	rank := recv().epoch

	faults.Cut(clusterAddrs(a.Node), clusterAddrs(b.Node))
	promoted := b.Table().Clone()
	promoted.Epoch++
	require.NoError(t, promoted.SetOwners(slot, b.ID(), a.ID()))
	require.True(t, b.installTable(promoted, "test"))
	require.Eventually(t, func() bool { return recv().source == "" }, 20*time.Second, 10*time.Millisecond,
		"b, primary by the table, still takes the slot's stream from a")
	require.Equal(t, rank, recv().epoch, "the rank of the transfer that built the copy stays")

	back := promoted.Clone()
	back.Epoch++
	require.NoError(t, back.SetOwners(slot, a.ID(), b.ID()))
	require.True(t, b.installTable(back, "test"))
	require.Eventually(t, func() bool { _, local := b.Route(slot); return !local }, 20*time.Second, 10*time.Millisecond)

	var key []byte
	for i := 0; key == nil || ring.KeySlot(key) != slot; i++ {
		key = fmt.Appendf(nil, "late%d", i)
	}
	late := wire.EncodeEffectEntry(slot, 1<<32-1, store.Effect{Kind: store.EffectSet, Slot: slot, Key: key, Value: []byte("v")})
	_, err := b.repl.handleReplicate(ctx, "", wire.EncodeReplicate(a.ID(), back.Epoch, 1<<62, [][]byte{late}), nil)
	require.NoError(t, err)
	require.Zero(t, b.st.CountKeysInSlot(slot), "b applied a's late entry after handing the slot back")
	require.Empty(t, recv().source, "a's late entry made a its source again")
}
