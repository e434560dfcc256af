package cluster

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// liveSet is the set of nodes a test's writer routes over; it changes as
// nodes join, crash and leave.
type liveSet struct {
	mu    sync.Mutex // guards nodes
	nodes []*dataNode
}

func (l *liveSet) get() []*dataNode {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]*dataNode(nil), l.nodes...)
}

func (l *liveSet) set(nodes []*dataNode) {
	l.mu.Lock()
	l.nodes = append([]*dataNode(nil), nodes...)
	l.mu.Unlock()
}

// startWriter runs runWriter in a goroutine; the returned stop ends it and
// waits for it.
func startWriter(t *testing.T, ls *liveSet, l *ledger, acks int) (stop func()) {
	ctx := testCtx(t, 2*time.Minute)
	done := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(done)
		runWriter(ctx, ls.get, l, 400, acks, quit)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(quit)
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// checkReplicas checks that every replica of every slot holding keys has
// exactly its primary's content.
func checkReplicas(t *testing.T, nodes []*dataNode) { t.Helper(); checkReplicasIn(t, nodes, nil) }

// checkReplicasIn is checkReplicas for the slots keep accepts (all when
// keep is nil).
func checkReplicasIn(t *testing.T, nodes []*dataNode, keep func(slot uint16) bool) {
	t.Helper()
	tb := nodes[0].Table()
	byID := map[ring.NodeID]*dataNode{}
	for _, n := range nodes {
		byID[n.ID()] = n
	}
	checked := 0
	for s := range ring.SlotCount {
		slot := uint16(s)
		if keep != nil && !keep(slot) {
			continue
		}
		owners := tb.Owners(slot)
		p := byID[owners[0]]
		if p.st.CountKeysInSlot(slot) == 0 {
			continue
		}
		want := dumpSlot(t, p.st, slot)
		for _, r := range owners[1:] {
			require.Equal(t, want, dumpSlot(t, byID[r].st, slot), "slot %d: replica %s differs from primary %s", slot, r[:8], owners[0][:8])
		}
		checked++
	}
	t.Logf("replicas match their primary in %d slots with keys", checked)
}

// TestJoinUnderWrites grows a cluster 1 -> 2 -> 3 while a writer sets and
// deletes keys with one replica acknowledgement: slots move by transfer and
// handoff, and no acknowledged write is lost or resurrected.
func TestJoinUnderWrites(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	logger := testLogger(t)
	o := nodeOpts{replicas: 1}
	first := startDataNode(t, ctx, logger, o)
	nodes := []*dataNode{first}
	waitSettled(t, ctx, nodes, 1)
	ls, l, stop := writeUnder(t, nodes)

	o.join = []string{first.ClusterAddr()}
	for range 2 {
		n := startDataNode(t, ctx, logger, o)
		nodes = append(nodes, n)
		ls.set(nodes)
		waitSettled(t, ctx, nodes, 1)
	}
	stop()
	l.verify(t, nodes)
	checkReplicas(t, nodes)
	var handoffs int64
	for _, n := range nodes {
		handoffs += n.ReplicationInfo().Handoffs
	}
	assert.Positive(t, handoffs, "slots moved by handoff")
}

// writeUnder starts a writer (replica-ack one) over nodes and waits until
// it has had writes acknowledged, so that the fault a test injects next
// meets writes in flight.
func writeUnder(t *testing.T, nodes []*dataNode) (*liveSet, *ledger, func()) {
	t.Helper()
	ls := &liveSet{}
	ls.set(nodes)
	l := newLedger()
	stop := startWriter(t, ls, l, 1)
	require.Eventually(t, func() bool { return l.ackedCount() >= writesInFlight }, 20*time.Second, 5*time.Millisecond,
		"the writer got no writes acknowledged")
	return ls, l, stop
}

// writesInFlight is how many acknowledged writes writeUnder waits for.
const writesInFlight = 50

// TestFailoverNoLoss crashes a node (closed without leaving, as SIGKILL
// does), lets the cluster promote replicas and rebuild the lost copies,
// then crashes a second node: no acknowledged write is lost.
func TestFailoverNoLoss(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	nodes := startDataCluster(t, ctx, 4, nodeOpts{replicas: 1})
	ls, l, stop := writeUnder(t, nodes)

	for round := range 2 {
		victim := nodes[len(nodes)-1]
		for _, n := range nodes { // never the coordinator, to keep the test short
			if n.ID() != nodes[0].ID() && len(n.Table().PrimarySlots(n.ID())) > 0 {
				victim = n
			}
		}
		require.NoError(t, victim.Close())
		var rest []*dataNode
		for _, n := range nodes {
			if n != victim {
				rest = append(rest, n)
			}
		}
		nodes = rest
		ls.set(nodes)
		waitSettled(t, ctx, nodes, 1)
		t.Logf("round %d: %s crashed, %d nodes settled", round, victim.ID()[:8], len(nodes))
	}
	stop()
	l.verify(t, nodes)
	checkReplicas(t, nodes)
	var lost int64
	for _, n := range nodes {
		lost += n.ReplicationInfo().LostSlots
	}
	assert.Zero(t, lost, "every slot had a synced replica")
}

// TestPartitionMinority cuts one node off: it refuses writes once it has
// not seen a majority for node-timeout, the majority promotes its slots'
// replicas, and after the cut heals the node rejoins as a replica and the
// cluster converges without losing an acknowledged write.
func TestPartitionMinority(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1, faults: faults})
	_, l, stop := writeUnder(t, nodes)

	minority := nodes[2]
	majority := nodes[:2]
	before := nodes[0].Table().Epoch
	faults.Cut(clusterAddrs(minority.Node), clusterAddrs(majority[0].Node, majority[1].Node))
	require.Eventually(t, func() bool { return !minority.Healthy() }, 20*time.Second, 20*time.Millisecond,
		"the minority notices it lost the majority")
	require.Eventually(t, func() bool {
		tb := majority[0].Table()
		return tb.Epoch > before && len(tb.PrimarySlots(minority.ID())) == 0
	}, 30*time.Second, 20*time.Millisecond, "the majority fails the minority's slots over")
	// The minority's stale table still names it; it must not take writes.
	if led := minority.Table().PrimarySlots(minority.ID()); len(led) > 0 {
		_, local := minority.Route(led[0])
		assert.True(t, local, "the minority's stale table still names it")
		assert.False(t, minority.Healthy(), "so Healthy must fence its writes")
	}

	faults.Heal()
	waitSettled(t, ctx, nodes, 1)
	stop()
	l.verify(t, nodes)
	checkReplicas(t, nodes)
}

// TestLeaveDrains makes a node leave under writes: it hands off every slot
// and replica role before it leaves, and nothing acknowledged is lost.
func TestLeaveDrains(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1})
	ls, l, stop := writeUnder(t, nodes)

	leaving := nodes[1]
	require.NoError(t, leaving.Leave(ctx))
	nodes = []*dataNode{nodes[0], nodes[2]}
	ls.set(nodes)
	waitSettled(t, ctx, nodes, 1)
	stop()
	l.verify(t, nodes)
	checkReplicas(t, nodes)
	for _, n := range nodes {
		assert.Zero(t, n.ReplicationInfo().LostSlots)
	}
}

// TestPartitionPrimaryAcksOnlyBacked cuts a primary off from the four
// other nodes of a 5-node cluster while clients keep writing through it,
// ignoring its health (as clients of that node would), with replica-ack
// one, to one slot per replica it streams to. Its gossip declares the
// others dead one by one; after the first one or two it still sees a
// majority, and it must not take a replica declared dead by itself as a
// reason to acknowledge alone (issue 18, cause 2). After the cut heals,
// every write it acknowledged is on the slots' primaries.
func TestPartitionPrimaryAcksOnlyBacked(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 100*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 5, nodeOpts{replicas: 1, faults: faults})
	cut, others := nodes[4], nodes[:4]
	tb := cut.Table()
	slots := map[ring.NodeID]uint16{} // replica -> a slot cut leads with that replica
	for _, sl := range tb.PrimarySlots(cut.ID()) {
		if o := tb.Owners(sl); len(o) == 2 {
			if _, ok := slots[o[1]]; !ok {
				slots[o[1]] = sl
			}
		}
	}
	require.NotEmpty(t, slots)

	var mu sync.Mutex
	var acked []string // keys whose write the cut-off primary acknowledged
	write := func(slot uint16, i int) {
		key := fmt.Sprintf("s%d-%d", slot, i)
		for j := 0; ring.KeySlot([]byte(key)) != slot; j++ {
			key = fmt.Sprintf("s%d-%d-%d", slot, i, j)
		}
		tx := cut.st.Lock(slot)
		err := tx.Put([]byte(key), []byte("v"), 0)
		tx.Close()
		require.NoError(t, err)
		wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if got, err := cut.WaitReplicated(wctx, cut.Offsets(nil, slot), 1); err == nil {
			if live, _ := cut.repl.ackedCount(slot, 0); live == 0 || got >= 1 {
				mu.Lock()
				acked = append(acked, key) // degraded or replicated: the server would answer +OK
				mu.Unlock()
			}
		}
	}
	for _, sl := range slots {
		write(sl, -1)
	}
	require.Len(t, acked, len(slots), "before the cut every write is acknowledged")

	faults.Cut(clusterAddrs(cut.Node), clusterAddrs(others[0].Node, others[1].Node, others[2].Node, others[3].Node))
	// Write until the cut-off primary lost the majority and streams to no
	// live replica of these slots, then ten more times each.
	var wg sync.WaitGroup
	var writes atomic.Int64
	for _, sl := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			after := -1
			for i := 0; after != 0 && ctx.Err() == nil; i++ {
				if after < 0 && !cut.Healthy() && cut.LiveReplicas(sl) == 0 {
					after = 10
				}
				write(sl, i)
				writes.Add(1)
				if after > 0 {
					after--
				}
			}
		}()
	}
	wg.Wait()
	require.NoError(t, ctx.Err(), "the cut-off primary kept a live replica or its health")
	t.Logf("%d writes through the cut-off primary to %d slots, %d acknowledged (%d before the cut)",
		writes.Load(), len(slots), len(acked), len(slots))

	// Healed, the cut-off node sees a majority again at once, but it holds
	// a stale table until it pulls the majority's: meanwhile it must not
	// hold its quorum lease, which every write needs (issue 18, cause 3).
	// (Its gossip quorum flag, the coordinator role's, could read true for
	// a moment here while gossip had not yet brought the members' new
	// epochs: 2 of 3 runs on main on 2026-12-05. A coordinator's table
	// needs a fresh lease round too, which a stale node does not get.)
	// The check is against the tables issued during the cut (the majority
	// issues more while the healed node catches up).
	faults.Heal()
	newest := others[0].Table().Epoch
	for {
		// The lease first, then the table: a lease counts only once its
		// table is stored, so a lease read before a table that is still
		// stale was held on the stale one (the other order races with the
		// adoption).
		healthy := cut.Healthy()
		epoch := cut.Table().Epoch
		if epoch >= newest {
			break
		}
		require.False(t, healthy, "a lease held on a stale table (epoch %d, the majority's %d at the heal)", epoch, newest)
		require.NoError(t, ctx.Err(), "the healed node never pulled the majority's table")
		runtime.Gosched()
	}
	waitSettled(t, ctx, nodes, 1)
	for _, key := range acked {
		_, ok, err := readKey(nodes, key)
		require.NoError(t, err)
		assert.True(t, ok, "%s was acknowledged by the cut-off primary and is lost", key)
	}
	checkReplicas(t, nodes)
}
