package cluster

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/tests/testenv"
)

// TestPlannedFailover: CLUSTER FAILOVER on a replica makes it the primary
// of every slot it replicates, under writes, with no acknowledged write
// lost; the old primaries keep their copies as its replicas (no transfer),
// and the preference holds in later tables.
func TestPlannedFailover(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 90*time.Second)
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1})
	_, l, stop := writeUnder(t, nodes)

	x := nodes[1]
	before := x.Table()
	replicated := before.ReplicaSlots(x.ID())
	require.NotEmpty(t, replicated)
	sent := func() (b int64) {
		for _, n := range nodes {
			b += n.ReplicationInfo().TransferBytes
		}
		return b
	}
	sentBefore := sent()

	got, err := x.Failover(ctx)
	require.NoError(t, err)
	require.Equal(t, len(replicated), got, "every replicated slot is in the target placement at rest")

	switched := func() (bool, string) {
		for _, n := range nodes {
			tb := n.Table()
			for _, s := range replicated {
				want := before.Owners(s)
				k := slices.Index(want, x.ID())
				want[0], want[k] = want[k], want[0]
				if !slices.Equal(tb.Owners(s), want) || tb.State(s).Kind != ring.SlotStable || tb.Preferred(s) != x.ID() {
					return false, describeSlot(nodes, ring.SlotDiff{Slot: s, From: tb.Owners(s), To: want, FromState: tb.State(s)})
				}
			}
		}
		return true, ""
	}
	testenv.WaitWhy(t, 30*time.Second, "the failover to complete", func() string {
		_, why := switched()
		return why
	})
	// A few passes of the coordinator's loop later, the preference holds.
	coordinator := nodes[0] // the oldest
	passes := coordinator.passes.Load()
	require.Eventually(t, func() bool { return coordinator.passes.Load() >= passes+5 }, 20*time.Second, 10*time.Millisecond)
	ok, why := switched()
	require.True(t, ok, why)
	for _, s := range replicated {
		_, local := x.Route(s)
		require.True(t, local, "slot %d", s)
	}
	stop()
	l.verify(t, nodes)
	checkReplicas(t, nodes)
	require.Equal(t, sentBefore, sent(), "the old primaries kept their copies: no snapshot was sent")

	// The old primaries are synced replicas: a second failover, of a slot
	// the new primary now leads, finds the data there.
	_, err = nodes[0].Failover(ctx)
	require.NoError(t, err, "the first node replicates slots now too")
}

// TestFailoverNeedsReplica: a node that replicates nothing (alone in its
// cluster) has nothing to take over.
func TestFailoverNeedsReplica(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	nodes := startDataCluster(t, ctx, 1, nodeOpts{replicas: 1})
	_, err := nodes[0].Failover(ctx)
	require.ErrorIs(t, err, ErrNotReplica)
}

// TestJoinDuringRebalance: a node joins while slots are still migrating
// toward the placement of the smaller cluster; the slots migrating to a
// node the new placement does not make their primary must not hold the
// batch, and the cluster settles.
func TestJoinDuringRebalance(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 90*time.Second)
	o := nodeOpts{replicas: 1, batch: 256}
	logger := testLogger(t)
	first := startDataNode(t, ctx, logger, o)
	o.join = []string{first.ClusterAddr()}
	nodes := []*dataNode{first, startDataNode(t, ctx, logger, o)}
	require.Eventually(t, func() bool {
		tb := first.Table()
		if tb == nil {
			return false
		}
		for s := range ring.SlotCount {
			if tb.State(uint16(s)).Kind == ring.SlotMigrating {
				return true
			}
		}
		return false
	}, 60*time.Second, 5*time.Millisecond, "slots migrate to the second node") // CI's parallel -race run once took over 20 s to start
	nodes = append(nodes, startDataNode(t, ctx, logger, o))
	waitSettled(t, ctx, nodes, 1)
}
