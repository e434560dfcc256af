package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// TestMinorityStopsAtOnce cuts the primary of some slots off from the two
// other nodes of a 3-node cluster (lan timings) and writes to one of its
// slots through it, as the server does (WaitHealthy, apply, wait for the
// replica), while watching the majority's table. The minority must refuse
// writes (its lease lapsed: -CLUSTERDOWN) before the majority promotes the
// slot's replica, acknowledge no write after that promotion, and, once it
// refused, refuse every write until the cut heals (issue 18: the minority
// stops at once, not after failure detection plus node-timeout). The order
// of events is asserted, not their times.
func TestMinorityStopsAtOnce(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 120*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1, faults: faults, profile: "lan"})
	minority, majority := nodes[2], nodes[:2]
	before := minority.Table()
	led := before.PrimarySlots(minority.ID())
	require.NotEmpty(t, led)
	slot := led[0]
	t.Logf("minority %s, majority %s and %s, slot %d", minority.ID()[:8], majority[0].ID()[:8], majority[1].ID()[:8], slot)

	// writeVia writes one key of slot through the minority as the server
	// does and reports whether it was refused up front (no lease) and
	// whether it was acknowledged within wait; it notes the key last
	// written.
	i := 0
	var key string
	writeVia := func(wait time.Duration) (refused, acked bool) {
		i++
		if !minority.WaitHealthy() {
			return true, false
		}
		key = fmt.Sprintf("k%d", i)
		for j := 0; ring.KeySlot([]byte(key)) != slot; j++ {
			key = fmt.Sprintf("k%d-%d", i, j)
		}
		tx := minority.st.Lock(slot)
		err := tx.Put([]byte(key), []byte("v"), 0)
		tx.Close()
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, wait)
		defer cancel()
		got, err := minority.WaitReplicated(wctx, minority.Offsets(nil, slot), 1)
		return false, err == nil && got >= 1
	}
	// Before the cut the replica's acknowledgement may take a while on a
	// loaded machine (race detector); after it, each write waits 200 ms.
	refused, acked := writeVia(5 * time.Second)
	require.False(t, refused, "before the cut the minority holds its lease")
	require.True(t, acked, "before the cut a write is acknowledged")
	ackedKey := key

	faults.Cut(clusterAddrs(minority.Node), clusterAddrs(majority[0].Node, majority[1].Node))
	promoted := func() bool {
		tb := majority[0].Table()
		return tb.Epoch > before.Epoch && tb.Primary(slot) != minority.ID()
	}
	// Write until the first refusal, looking at the majority's table
	// before each write: a promotion seen there happened before the write
	// was answered.
	promotedFirst := false
	for {
		require.NoError(t, ctx.Err(), "the minority never refused a write")
		if promoted() {
			promotedFirst = true
		}
		refused, acked := writeVia(200 * time.Millisecond)
		if refused {
			break
		}
		assert.False(t, promotedFirst && acked, "a write acknowledged by the minority after the majority promoted its replica")
	}
	require.False(t, promotedFirst, "the majority promoted the slot's replica before the minority refused writes")
	// From the refusal until the promotion and after it, the minority
	// takes no write: its lease does not come back while it is cut off.
	tookWrite := false
	require.Eventually(t, func() bool {
		tookWrite = tookWrite || minority.WaitHealthy()
		return promoted()
	}, 60*time.Second, 20*time.Millisecond, "the majority promotes the slot's replica")
	require.False(t, tookWrite, "the minority held its lease again while cut off")
	for range 5 {
		refused, acked := writeVia(200 * time.Millisecond)
		assert.True(t, refused && !acked, "a write through the minority after the promotion is refused")
	}
	assert.False(t, minority.Healthy())
	for _, n := range majority {
		assert.True(t, n.WaitHealthy(), "the majority keeps its lease")
	}

	faults.Heal()
	waitSettled(t, ctx, nodes, 1)
	require.Eventually(t, minority.Healthy, 20*time.Second, 20*time.Millisecond, "the healed node holds its lease again")
	_, ok, err := readKey(nodes, ackedKey)
	require.NoError(t, err)
	assert.True(t, ok, "the write acknowledged before the cut is on the cluster")
	checkReplicas(t, nodes)
}
