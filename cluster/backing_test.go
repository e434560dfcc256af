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

// TestJudgePos is the backing decision for one write position, state in,
// verdict out (docs/DESIGN.md §5), with want = 1 (replica-ack one).
func TestJudgePos(t *testing.T) {
	t.Parallel()
	leading := posState{leads: true, lineage: true, quorum: true}
	with := func(s posState, f func(*posState)) posState { f(&s); return s }
	for _, c := range []struct {
		name string
		s    posState
		want posVerdict
	}{
		{"a synced replica applied it", with(leading, func(s *posState) { s.synced, s.applied = 1, 1 }), posDone},
		{"a synced replica has not applied it yet", with(leading, func(s *posState) { s.synced = 1 }), posWait},
		{"an owed backer (cut off) has not applied it", with(leading, func(s *posState) { s.synced = 1; s.quorum = false }), posWait},
		{"no replica by the table in force, quorum held", leading, posDegraded},
		{"no replica, but no quorum: the minority never acknowledges alone", with(leading, func(s *posState) { s.quorum = false }), posWait},
		// Issue 18, 2 of 53 runs of TestPartitionHoldsUnreachableSlots: a
		// primary cut off by a 2|3 split applied a write and waited for
		// its replica; on the heal it learned that the majority had
		// promoted that replica: no attachment left, no backer owed,
		// quorum back. It acknowledged the write as degraded, and the
		// write was not on the new primary.
		{"the lead moved by a failover while the write waited (the lost key)",
			with(leading, func(s *posState) { s.leads = false }), posLost},
		{"the lead moved, but the replica had applied it",
			with(leading, func(s *posState) { s.leads = false; s.synced, s.applied = 1, 1 }), posDone},
		{"the lead moved by a handoff whose target had applied it",
			with(leading, func(s *posState) { s.leads = false; s.handed = true }), posDone},
		{"the copy it went into was dropped (a transfer from the new primary began)",
			with(leading, func(s *posState) { s.lineage = false; s.leads = false }), posLost},
		{"leading again, on a new copy: the write is not in it",
			with(leading, func(s *posState) { s.lineage = false; s.synced, s.applied = 1, 1 }), posLost},
	} {
		assert.Equal(t, c.want, judgePos(c.s, 1), "%s: %+v", c.name, c.s)
	}
	// replica-ack all: every synced replica must have it.
	assert.Equal(t, posWait, judgePos(posState{leads: true, lineage: true, quorum: true, synced: 2, applied: 1}, wantEvery))
	assert.Equal(t, posDone, judgePos(posState{leads: true, lineage: true, quorum: true, synced: 2, applied: 2}, wantEvery))
}

// wantEvery asks judgePos for every synced replica (the server's wantAll).
const wantEvery = 1 << 20

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
