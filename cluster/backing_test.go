package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// TestLeadLostWhileWaiting replays the lost key of issue 18 with real
// nodes: a primary cut off from the other two applies a write and waits
// for its replica; the majority promotes that replica; the cut heals. The
// write is not on the new primary, so the wait must end in ErrLeadLost,
// not in an acknowledgement.
func TestLeadLostWhileWaiting(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1, faults: faults})
	// The primary to cut off: not the coordinator (the oldest), so the
	// majority fails its slots over without electing a new one first.
	p := nodes[2]
	others := nodes[:2]
	var key string
	var slot uint16
	for i := 0; ; i++ {
		key = fmt.Sprintf("lost:%d", i)
		slot = ring.KeySlot([]byte(key))
		if _, local := p.Route(slot); local {
			break
		}
	}
	before := others[0].Table()
	faults.Cut(clusterAddrs(p.Node), clusterAddrs(others[0].Node, others[1].Node))
	tx := p.st.Lock(slot)
	require.NoError(t, tx.Put([]byte(key), []byte("cut"), 0))
	tx.Close()
	pos := p.Offsets(nil, slot)
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := p.WaitReplicated(ctx, pos, 1)
		done <- result{n, err}
	}()
	require.Eventually(t, func() bool {
		tb := others[0].Table()
		return tb.Epoch > before.Epoch && tb.Primary(slot) != p.ID() && tb.Primary(slot) != ""
	}, 30*time.Second, 20*time.Millisecond, "the majority fails the slot over")
	select {
	case r := <-done:
		t.Fatalf("the wait ended while the cut lasted: %d, %v", r.n, r.err)
	default:
	}
	faults.Heal()
	var r result
	select {
	case r = <-done:
	case <-ctx.Done():
		t.Fatal("the wait did not end after the heal")
	}
	require.ErrorIs(t, r.err, ErrLeadLost, "the write is not on the new primary: it must not be acknowledged")
	waitSettled(t, ctx, nodes, 1)
	_, ok, err := readKey(nodes, key)
	require.NoError(t, err)
	assert.False(t, ok, "the unacknowledged write is not on the cluster")
}

// TestWriteWaitsForTheReplicaBeingBuilt: after a failover the promoted
// primary's slots get a new replica, which a transfer builds. A write made
// meanwhile is acknowledged only once that replica has it: before
// 2026-12-06 it was acknowledged on the local apply (degraded) and died
// with the new primary if it failed before the transfer ended (issue 18).
func TestWriteWaitsForTheReplicaBeingBuilt(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1})
	waitSettled(t, ctx, nodes, 1)
	victim := nodes[2] // not the coordinator (the oldest)
	var key string
	var slot uint16
	for i := 0; ; i++ {
		key = fmt.Sprintf("built:%d", i)
		slot = ring.KeySlot([]byte(key))
		if _, local := victim.Route(slot); local {
			break
		}
	}
	// Enough data in the slot that a transfer at 4 KB/s sends its first
	// 80 KB at once and the rest only 20 s later (the limiter reserves the
	// bytes sent).
	key = "{" + key + "}"
	for i := range 5 {
		require.NoError(t, setKey(ctx, nodes, fmt.Sprintf("%s:%d", key, i), strings.Repeat("x", 40<<10), 1))
	}
	for _, n := range nodes {
		n.SetMigrationRate(4 << 10)
	}
	require.NoError(t, victim.Close())
	nodes = nodes[:2]
	var primary, building *dataNode
	require.Eventually(t, func() bool {
		tb := nodes[0].Table()
		owners := tb.Owners(slot)
		if len(owners) != 2 || owners[0] == victim.ID() || slices.Contains(owners, victim.ID()) {
			return false
		}
		for _, n := range nodes {
			if n.ID() == owners[0] {
				primary = n
			} else {
				building = n
			}
		}
		_, local := primary.Route(slot)
		return local && primary.Table().OthersOwning(slot, primary.ID()) == 1 && !building.ReplicaSynced(slot)
	}, 30*time.Second, 10*time.Millisecond, "the slot fails over to its replica and names the other survivor its new replica")

	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	err := setKey(wctx, nodes, key+":during", "v", 1)
	cancel()
	require.ErrorIs(t, err, ErrReplicaTimeout, "a write is not acknowledged before the named replica has it")
	assert.False(t, building.ReplicaSynced(slot), "the transfer is still running")

	for _, n := range nodes {
		n.SetMigrationRate(0)
	}
	require.Eventually(t, func() bool {
		wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return setKey(wctx, nodes, key+":after", "v", 1) == nil
	}, 60*time.Second, 10*time.Millisecond, "writes are acknowledged once the replica is built")
	tx := building.st.Lock(slot)
	defer tx.Close()
	for _, k := range []string{key + ":during", key + ":after"} {
		_, ok, err := tx.Get([]byte(k))
		require.NoError(t, err)
		assert.True(t, ok, "%s is on the new replica", k)
	}
}
