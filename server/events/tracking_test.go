package events

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
)

// heldSender is a cluster whose invalidation batches wait for release:
// it reports each batch on started, and marks it delivered once let go.
type heldSender struct {
	Alone
	started   chan [][][]byte
	release   chan struct{}
	delivered atomic.Int32
}

func (s *heldSender) ForwardBatch(_ context.Context, _ ring.NodeID, _ bool, cmds [][][]byte) ([][]byte, error) {
	s.started <- cmds
	<-s.release
	s.delivered.Add(1)
	return make([][]byte, len(cmds)), nil
}

// firstKey is a command whose key is its first argument.
type firstKey struct{}

func (firstKey) Keys(args [][]byte, dst []int) []int { return append(dst[:0], 1) }

// A write's invalidation for a client on another node can be taken by the
// fan-out's goroutine (sendOrphans, which sends those of expired and
// evicted keys) between the change and the writer's AfterCall. The writer
// is then answered only once that delivery is done: otherwise the reader
// could be told of the write after the writer's acknowledgement and serve
// the old value from its cache (the race that failed
// TestRueidisClientSideCaching once under load).
func TestWriterWaitsForOrphanDelivery(t *testing.T) {
	h := New(slog.Default(), noClients{}, "self")
	s := &heldSender{Alone: "self", started: make(chan [][][]byte, 1), release: make(chan struct{})}
	h.SetCluster(s)
	reader, writer := &Client{hub: h}, &Client{hub: h}
	require.True(t, h.Adopt(reader, [][]byte{trackMarker, []byte("peer"), []byte("7"), []byte("1"), []byte("0")}))
	get := [][]byte{[]byte("GET"), []byte("k")}
	h.BeforeCall(reader, firstKey{}, commands.FlagReadOnly, get)

	set := [][]byte{[]byte("SET"), []byte("k"), []byte("v2")}
	slot := ring.KeySlot(set[1])
	h.KeyChanged(slot, set[1]) // the write, its slot held
	orphans := make(chan struct{})
	go func() { // ends once the batch is released below
		h.tracking.sendOrphans()
		close(orphans)
	}()
	batch := <-s.started
	assert.Equal(t, [][][]byte{{trackInvMarker}, {[]byte("7"), []byte("k")}}, batch)

	h.AfterCall(writer, firstKey{}, set)
	require.Len(t, writer.trackWait, 1, "the writer waits for the delivery the fan-out took")
	answered := make(chan struct{})
	go func() { // ends once the delivery is done
		h.AfterCommand(writer, false)
		close(answered)
	}()
	select {
	case <-answered:
		t.Fatal("the writer was answered before its invalidation was delivered")
	default:
	}
	close(s.release)
	<-answered
	assert.Equal(t, int32(1), s.delivered.Load(), "delivered before the writer's answer")
	<-orphans
	assert.Empty(t, h.tracking.sending, "no delivery left marked in flight")
}

// A flush's flush-style invalidations for other nodes are sent by
// whichever command's AfterCommand comes first; the flushing command, if
// it comes second, waits for that delivery before its reply.
func TestFlushWaitsForAnotherCommandsDelivery(t *testing.T) {
	h := New(slog.Default(), noClients{}, "self")
	s := &heldSender{Alone: "self", started: make(chan [][][]byte, 1), release: make(chan struct{})}
	h.SetCluster(s)
	reader, flusher, other := &Client{hub: h}, &Client{hub: h}, &Client{hub: h}
	require.True(t, h.Adopt(reader, [][]byte{trackMarker, []byte("peer"), []byte("7"), []byte("1"), []byte("0")}))
	h.BeforeCall(reader, firstKey{}, commands.FlagReadOnly, [][]byte{[]byte("GET"), []byte("k")})

	h.SlotFlushed(ring.KeySlot([]byte("k"))) // FLUSHALL, its slots held
	otherDone := make(chan struct{})
	go func() { // ends once the batch is released below
		h.AfterCommand(other, false)
		close(otherDone)
	}()
	batch := <-s.started
	assert.Equal(t, [][][]byte{{trackInvMarker}, {[]byte("*")}}, batch)
	answered := make(chan struct{})
	go func() { // ends once the flush is delivered
		h.AfterCommand(flusher, false)
		close(answered)
	}()
	close(s.release)
	<-answered
	assert.Equal(t, int32(1), s.delivered.Load(), "the flush delivered before FLUSHALL's reply")
	<-otherDone
}

// When some slots change leader, the leader forgets the reads remembered
// of keys in those slots only: a client on another node that read a key
// of a slot that stayed is still told of its next change. (It forgot them
// all, and a caching reader served a stale value after a late look at
// the routing table during the cluster's formation.)
func TestSlotsMovedForgetsOnlyMovedSlots(t *testing.T) {
	a, b := ring.NewNodeID(), ring.NewNodeID()
	routes := &movingRoutes{Alone: Alone(a)}
	before := tableWith(t, 1, a)
	routes.table.Store(before)
	h := New(slog.Default(), noClients{}, a)
	h.SetCluster(routes)
	h.tracking.slotsMoved() // the fan-out's first look: the baseline
	reader := &Client{hub: h}
	require.True(t, h.Adopt(reader, [][]byte{trackMarker, []byte(b), []byte("7"), []byte("1"), []byte("0")}))
	stay, move := []byte("stay"), []byte("move")
	require.NotEqual(t, ring.KeySlot(stay), ring.KeySlot(move))
	for _, k := range [][]byte{stay, move} {
		h.BeforeCall(reader, firstKey{}, commands.FlagReadOnly, [][]byte{[]byte("GET"), k})
	}
	after := tableWith(t, 2, a)
	require.NoError(t, after.SetMember(ring.Member{ID: b, Addr: "b:1", ClusterAddr: "b:2"}))
	require.NoError(t, after.SetOwners(ring.KeySlot(move), b))
	fresh := []byte("fresh")
	require.NotEqual(t, ring.KeySlot(stay), ring.KeySlot(fresh))
	require.NotEqual(t, ring.KeySlot(move), ring.KeySlot(fresh))
	require.NoError(t, after.SetOwners(ring.KeySlot(fresh), b))
	routes.table.Store(after)
	h.tracking.slotsMoved()

	for _, k := range [][]byte{stay, move} {
		h.KeyChanged(ring.KeySlot(k), k)
	}
	assert.Equal(t, []remoteInv{{node: b, id: 7, key: "stay"}}, h.tracking.pending[ring.KeySlot(stay)])
	assert.Empty(t, h.tracking.pending[ring.KeySlot(move)], "the moved slot's reads are the new leader's to tell")

	// A read remembered under the new table before the fan-out's late
	// look at it is judged from that table: the look forgets nothing.
	// (fresh's slot comes back to a.)
	third := tableWith(t, 3, a)
	require.NoError(t, third.SetMember(ring.Member{ID: b, Addr: "b:1", ClusterAddr: "b:2"}))
	require.NoError(t, third.SetOwners(ring.KeySlot(move), b))
	routes.table.Store(third)
	h.BeforeCall(reader, firstKey{}, commands.FlagReadOnly, [][]byte{[]byte("GET"), fresh})
	h.tracking.slotsMoved() // late: the read above was made under third
	h.KeyChanged(ring.KeySlot(fresh), fresh)
	assert.Equal(t, []remoteInv{{node: b, id: 7, key: "fresh"}}, h.tracking.pending[ring.KeySlot(fresh)])
}

// A new leader's first write of a slot sets the tracker active for the
// flush it owes the cluster (NewLeader). While the flush is on its way a
// command still waits for it; once it is delivered, a node where nothing
// tracks stops running AfterCall and AfterCommand for every command (it
// stayed active for good, and every command took the tracker's lock).
func TestActiveEndsAfterNewLeaderFlush(t *testing.T) {
	h := New(slog.Default(), noClients{}, "self")
	s := &heldSender{Alone: "self", started: make(chan [][][]byte, 1), release: make(chan struct{})}
	h.SetCluster(s)
	require.False(t, h.TrackingActive())
	writer, other := &Client{hub: h}, &Client{hub: h}
	tr := h.tracking
	tr.mu.Lock() // what NewLeader does for a fresh slot of a cluster with a peer
	writer.trackOut = append(writer.trackOut, remoteInv{node: "peer", flush: true})
	tr.flushPending = true
	tr.active.Store(true)
	tr.mu.Unlock()

	answered := make(chan struct{})
	go func() { // ends once the flush is released below
		h.AfterCommand(writer, false)
		close(answered)
	}()
	<-s.started
	assert.True(t, h.TrackingActive(), "active while the flush is on its way")
	otherDone := make(chan struct{})
	go func() { // waits for the flush in flight
		h.AfterCommand(other, false)
		close(otherDone)
	}()
	close(s.release)
	<-answered
	<-otherDone
	assert.False(t, h.TrackingActive(), "nothing tracks here: inactive once the flush is delivered")
}
