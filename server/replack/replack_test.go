package replack

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
)

// node is an in-memory cluster node: the slots led here, each slot's
// stream offset, its synced replicas and how far each replica applied.
type node struct {
	led     map[uint16]bool
	offset  map[uint16]uint64
	applied map[uint16][]uint64 // per synced replica
}

func newNode(led ...uint16) *node {
	n := &node{led: map[uint16]bool{}, offset: map[uint16]uint64{}, applied: map[uint16][]uint64{}}
	for _, sl := range led {
		n.led[sl] = true
	}
	return n
}

func (n *node) Route(slot uint16) (ring.NodeID, bool) {
	if n.led[slot] {
		return "self", true
	}
	return "other", false
}

func (n *node) Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset {
	for _, sl := range slots {
		dst = append(dst, cluster.SlotOffset{Slot: sl, Offset: n.offset[sl]})
	}
	return dst
}

func (n *node) ReplicaAcks(slot uint16, off uint64) (synced, acked int) {
	for _, a := range n.applied[slot] {
		if a >= off {
			acked++
		}
	}
	return len(n.applied[slot]), acked
}

func (n *node) LiveReplicas(slot uint16) int { return len(n.applied[slot]) }

func (n *node) WaitReplicated(_ context.Context, pos []cluster.SlotOffset, want int) (int, error) {
	fewest := -1
	for _, p := range pos {
		_, acked := n.ReplicaAcks(p.Slot, p.Offset)
		if fewest < 0 || acked < fewest {
			fewest = acked
		}
	}
	return max(fewest, 0), nil
}

func fresh() *Writes {
	var w Writes
	w.Reset()
	return &w
}

// TestResolve: the noted slots become positions of the led ones only,
// once each, and merge into what WAIT waits for, keeping the newest.
func TestResolve(t *testing.T) {
	n := newNode(1, 2, 3)
	n.offset[1], n.offset[2] = 10, 20
	w := fresh()
	for _, sl := range []uint16{2, 2, 9, 1, 2} {
		w.NoteSlot(sl)
	}
	assert.Equal(t, []uint16{2, 9, 1, 2}, w.Noted(), "a repeat of the last slot is not noted")
	require.True(t, w.Pending())
	assert.Equal(t, []cluster.SlotOffset{{Slot: 1, Offset: 10}, {Slot: 2, Offset: 20}}, w.Resolve(n))
	assert.False(t, w.Pending())
	assert.Equal(t, 2, w.Unsettled())
	n.offset[1] = 15
	w.NoteSlot(1)
	w.Resolve(n)
	assert.Equal(t, []cluster.SlotOffset{{Slot: 1, Offset: 15}, {Slot: 2, Offset: 20}}, w.wrote)

	w.NoteAll()
	require.True(t, w.Pending())
	assert.Len(t, w.Resolve(n), 3, "a keyspace-wide write: every led slot")
}

// TestPrune: a batch needs no wait once want replicas (or all a slot has,
// when fewer) applied it; positions every synced replica applied are
// dropped, and WAIT still counts them.
func TestPrune(t *testing.T) {
	n := newNode(1, 2)
	n.offset[1], n.offset[2] = 5, 7
	n.applied[1] = []uint64{5, 4}
	n.applied[2] = []uint64{6}
	w := fresh()
	w.NoteSlot(1)
	w.NoteSlot(2)
	w.Resolve(n)
	assert.False(t, w.Prune(n, 1), "slot 2's replica has not applied offset 7")
	assert.Equal(t, 2, w.Unsettled())
	n.applied[2] = []uint64{7}
	assert.True(t, w.Prune(n, 1))
	assert.Equal(t, 1, w.Unsettled(), "slot 2 is on every replica; slot 1 on one of two")
	assert.False(t, w.Prune(n, 2), "want 2: slot 1 has one of its two")
	n.applied[1] = []uint64{5, 5}
	assert.True(t, w.Prune(n, 2))
	assert.Equal(t, 0, w.Unsettled())
	assert.Equal(t, 1, w.settled, "the fewest replicas a dropped position had")
}

// TestWait: WAIT answers the fewest replicas that applied the writes
// since the last WAIT; with none it answers the led slots' fewest synced
// replicas.
func TestWait(t *testing.T) {
	n := newNode(1, 2)
	n.applied[1] = []uint64{0, 0}
	n.applied[2] = []uint64{0}
	w := fresh()
	assert.Equal(t, 1, w.Wait(context.Background(), n, 1), "no writes: the baseline")

	n.offset[1] = 3
	w.NoteSlot(1)
	w.Resolve(n)
	n.applied[1] = []uint64{3, 2}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, 1, w.Wait(ctx, n, 2), "one of two applied; an ended context does not wait")
	n.applied[1] = []uint64{3, 3}
	assert.Equal(t, 2, w.Wait(context.Background(), n, 2))
	assert.Equal(t, 0, w.Unsettled())
	assert.Equal(t, 1, w.Wait(context.Background(), n, 2), "nothing since: the baseline again")
}

// TestBatchAllocatesNothing: a batch's account (note, resolve, prune)
// allocates nothing once its slices have grown: it runs for every batch
// of writes.
func TestBatchAllocatesNothing(t *testing.T) {
	n := newNode(1, 2, 3)
	n.applied[1], n.applied[2] = []uint64{0}, []uint64{0}
	w := fresh()
	round := func() {
		n.offset[1]++
		n.offset[2]++
		w.NoteSlot(2)
		w.NoteSlot(1)
		w.Resolve(n)
		w.Prune(n, 1)
		n.applied[1][0], n.applied[2][0] = n.offset[1], n.offset[2]
		w.Prune(n, 0)
	}
	round()
	if a := testing.AllocsPerRun(100, round); a != 0 {
		t.Fatalf("%v allocations per batch", a)
	}
	assert.Equal(t, 0, w.Unsettled())
}
