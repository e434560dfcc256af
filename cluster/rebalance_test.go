package cluster

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestRebalanceBoundsMigrations joins a node to a loaded cluster with a
// small batch and checks, on every routing table the coordinator issues,
// that no more than a batch of slots holding keys migrate to the new node
// at once (each is a full transfer; slots whose new primary already
// replicates them only wait for a handoff and are not counted, nor are
// empty slots, which move unbatched: plan.RebalancePass).
func TestRebalanceBoundsMigrations(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 90*time.Second)
	const batch = 256
	const nkeys = 3000 // about 2700 slots with keys, 900 of them for the joiner
	o := nodeOpts{replicas: 1, batch: batch}
	nodes := startDataCluster(t, ctx, 2, o)
	loaded := make(map[uint16]bool)
	for i := range nkeys {
		k := fmt.Sprintf("k%d", i)
		require.NoError(t, setKey(ctx, nodes, k, "v", 1))
		loaded[ring.KeySlot([]byte(k))] = true
	}

	var worst atomic.Int64  // most slots migrating to the joining node in one table
	var joiner atomic.Value // its ring.NodeID, once started
	coordinator := nodes[0]
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // polls the coordinator's table until stop
		defer close(watched)
		var last uint64
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			tb := coordinator.Table()
			if tb == nil || tb.Epoch == last {
				continue
			}
			last = tb.Epoch
			id, _ := joiner.Load().(ring.NodeID)
			migrating := int64(0)
			for s := range loaded {
				if st := tb.State(s); st.Kind == ring.SlotMigrating && st.Peer == id {
					migrating++
				}
			}
			if migrating > worst.Load() {
				worst.Store(migrating)
			}
		}
	}()
	o.join = []string{nodes[0].ClusterAddr()}
	joined := startDataNode(t, ctx, testLogger(t), o)
	joiner.Store(joined.ID())
	nodes = append(nodes, joined)
	waitSettled(t, ctx, nodes, 1)
	close(stop)
	<-watched

	assert.Greater(t, worst.Load(), int64(0), "the watcher saw slots move")
	assert.LessOrEqual(t, worst.Load(), int64(batch), "slots with keys migrating at once")
	for i := range nkeys {
		v, ok, err := readKey(nodes, fmt.Sprintf("k%d", i))
		require.NoError(t, err)
		assert.True(t, ok && v == "v", "key %d after the join", i)
	}
}
