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
	"github.com/meshcache/meshcache/store"
)

// TestReplicationEveryEffectKind writes every kind of effect on primaries
// and checks that each replica's copy of the slot equals the primary's.
func TestReplicationEveryEffectKind(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 60*time.Second)
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 2})
	far := time.Now().Add(time.Hour).UnixMilli()
	type op struct {
		name string
		fn   func(tx *store.Tx, k []byte) error
	}
	ops := []op{
		{"set", func(tx *store.Tx, k []byte) error { return tx.Put(k, []byte("v1"), 0) }},
		{"set pxat", func(tx *store.Tx, k []byte) error { return tx.Put(k, []byte("v2"), far) }},
		{"persist", func(tx *store.Tx, k []byte) error { _, err := tx.SetExpireAt(k, 0); return err }},
		{"pexpireat", func(tx *store.Tx, k []byte) error { _, err := tx.SetExpireAt(k, far+1); return err }},
		{"del", func(tx *store.Tx, k []byte) error { _, err := tx.Delete(k); return err }},
		{"hset", func(tx *store.Tx, k []byte) error {
			_, err := tx.HSet(append(k, ":h"...), []byte("f1"), []byte("a"))
			if err == nil {
				_, err = tx.HSet(append(k, ":h"...), []byte("f2"), []byte("b"))
			}
			return err
		}},
		{"hdel", func(tx *store.Tx, k []byte) error { _, err := tx.HDel(append(k, ":h"...), []byte("f1")); return err }},
		{"set again", func(tx *store.Tx, k []byte) error { return tx.Put(append(k, ":2"...), []byte("x"), far) }},
	}
	var slots []uint16
	for i := range 24 {
		tag := fmt.Sprintf("{t%d}", i)
		slots = append(slots, ring.KeySlot([]byte(tag)))
		for _, o := range ops {
			err := write(ctx, nodes, tag+"k", 2, func(tx *store.Tx) error { return o.fn(tx, []byte(tag+"k")) })
			require.NoError(t, err, o.name)
		}
	}
	// A flushed slot is flushed on its replicas too.
	flushed := ring.KeySlot([]byte("{t0}"))
	n := leader(nodes, flushed)
	require.NotNil(t, n)
	n.st.FlushSlot(flushed)
	_, err := n.WaitReplicated(ctx, n.Offsets(nil, flushed), 2)
	require.NoError(t, err)

	tb := nodes[0].Table()
	byID := map[ring.NodeID]*dataNode{}
	for _, n := range nodes {
		byID[n.ID()] = n
	}
	for _, s := range slots {
		owners := tb.Owners(s)
		require.Len(t, owners, 3)
		want := dumpSlot(t, byID[owners[0]].st, s)
		if s == flushed {
			assert.Empty(t, want)
		} else {
			assert.Len(t, want, 2, "slot %d: k:h and k:2 (k was deleted)", s)
		}
		for _, r := range owners[1:] {
			assert.Equal(t, want, dumpSlot(t, byID[r].st, s), "slot %d on replica %s", s, r[:8])
		}
	}
	info := nodes[0].ReplicationInfo()
	require.Len(t, info.Peers, 2)
	for _, p := range info.Peers {
		assert.Positive(t, p.Calls)
		assert.Positive(t, p.LiveSlots)
	}
}

// TestWaitReplicated checks the acknowledgement wait: it returns the
// replicas that acknowledged, returns at once for a slot with no replica
// (degraded), and times out when a replica cannot acknowledge.
func TestWaitReplicated(t *testing.T) {
	t.Parallel() // waits on the cluster's timers, not the CPU
	ctx := testCtx(t, 60*time.Second)
	faults := transport.NewFaults()
	nodes := startDataCluster(t, ctx, 3, nodeOpts{replicas: 1, faults: faults})
	slot := ring.KeySlot([]byte("w"))
	require.NoError(t, setKey(ctx, nodes, "w", "1", 1))

	p := leader(nodes, slot)
	require.NotNil(t, p)
	got, err := p.WaitReplicated(ctx, p.Offsets(nil, slot), 1)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	// Asking for more replicas than the slot has waits for all it has.
	got, err = p.WaitReplicated(ctx, p.Offsets(nil, slot), 5)
	require.NoError(t, err)
	assert.Equal(t, 1, got)

	// Cut the replica off: the wait times out with what it has.
	replica := nodes[0].Table().Owners(slot)[1]
	var raddr string
	for _, n := range nodes {
		if n.ID() == replica {
			raddr = n.ClusterAddr()
		}
	}
	faults.Cut([]string{p.ClusterAddr()}, []string{raddr})
	tx := p.st.Lock(slot)
	require.NoError(t, tx.Put([]byte("w"), []byte("2"), 0))
	tx.Close()
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	got, err = p.WaitReplicated(wctx, p.Offsets(nil, slot), 1)
	cancel()
	require.ErrorIs(t, err, ErrReplicaTimeout)
	assert.Equal(t, 0, got)
	// Healed, the queued effect is resent and acknowledged.
	faults.Heal()
	got, err = p.WaitReplicated(ctx, p.Offsets(nil, slot), 1)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
}

func TestWaitReplicatedNoReplicas(t *testing.T) {
	ctx := testCtx(t, 30*time.Second)
	nodes := startDataCluster(t, ctx, 1, nodeOpts{replicas: 0})
	slot := ring.KeySlot([]byte("x"))
	require.NoError(t, setKey(ctx, nodes, "x", "1", 0))
	got, err := nodes[0].WaitReplicated(ctx, nodes[0].Offsets(nil, slot), 1)
	require.NoError(t, err, "a slot without replicas does not wait")
	assert.Equal(t, 0, got)
	assert.Positive(t, nodes[0].ReplicationInfo().DegradedWaits)
}
