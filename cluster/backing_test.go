package cluster

import (
	"fmt"
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
