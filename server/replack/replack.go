// Package replack keeps a connection's account of its writes for replica
// acknowledgement (docs/DESIGN.md §5): which slots a batch wrote, the
// positions of those writes in each slot's replication stream, and which
// of them every synced replica has applied. The server waits on them once
// per batch (replica-ack one or all) and for WAIT; this package decides
// what to wait for, the node does the waiting.
package replack

import (
	"context"
	"slices"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
)

// Node is what the account asks of the cluster node (membership.Router and
// membership.Replicas give it).
type Node interface {
	// Route returns the node leading slot and whether that is this node.
	Route(slot uint16) (ring.NodeID, bool)
	// Offsets appends each slot's current replication offset to dst.
	Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset
	// ReplicaAcks counts a led slot's synced replicas and those of them
	// that applied its stream up to off.
	ReplicaAcks(slot uint16, off uint64) (synced, acked int)
	// LiveReplicas counts a led slot's synced replicas, without a lock.
	LiveReplicas(slot uint16) int
	// WaitReplicated waits until want synced replicas (or all a slot has)
	// applied every position; it returns the fewest that did.
	WaitReplicated(ctx context.Context, pos []cluster.SlotOffset, want int) (int, error)
}

// Writes is one connection's account, owned by its goroutine (or by the
// call running an internal client). The zero value is not ready: Reset it.
type Writes struct {
	// slots are the slots written since the batch was last resolved; all
	// is set by a keyspace-wide write (FLUSHALL, FLUSHDB).
	slots []uint16
	all   bool
	// wrote are the positions of the connection's writes that were not yet
	// known to be on every synced replica: what WAIT waits for.
	wrote []cluster.SlotOffset
	// settled is the fewest replicas that had applied a position when it
	// was dropped from wrote since the last WAIT (-1: none dropped), so
	// WAIT still counts those writes.
	settled int
	// batch is scratch for the positions of one batch, sorted by slot.
	batch []cluster.SlotOffset
}

// Pending reports whether writes were noted since the last Resolve.
func (w *Writes) Pending() bool { return len(w.slots) > 0 || w.all }

// Reset forgets everything (pooled internal clients).
func (w *Writes) Reset() {
	w.slots, w.all = w.slots[:0], false
	w.wrote = w.wrote[:0]
	w.settled = -1
}

// Noted returns the slots noted since the last Resolve, in the order
// noted (valid until the next change).
func (w *Writes) Noted() []uint16 { return w.slots }

// NoteAll notes a keyspace-wide write: every slot led here.
func (w *Writes) NoteAll() { w.all = true }

// NoteSlot adds sl to the slots written, unless it was the last one added.
func (w *Writes) NoteSlot(sl uint16) {
	if n := len(w.slots); n > 0 && w.slots[n-1] == sl {
		return
	}
	w.slots = append(w.slots, sl)
}

// Unsettled returns how many positions WAIT would still wait for.
func (w *Writes) Unsettled() int { return len(w.wrote) }

// Resolve turns the noted slots into positions, merges them into the
// positions WAIT waits for and returns them (valid until the next call).
// Only slots this node leads have positions; a write to another slot ran
// elsewhere.
func (w *Writes) Resolve(n Node) []cluster.SlotOffset {
	slots := w.slots
	if w.all {
		slots = slots[:0]
		for sl := range ring.SlotCount {
			slots = append(slots, uint16(sl))
		}
	} else if len(slots) > 1 {
		slices.Sort(slots)
		slots = slices.Compact(slots)
	}
	led := slots[:0]
	for _, sl := range slots {
		if _, local := n.Route(sl); local {
			led = append(led, sl)
		}
	}
	w.batch = n.Offsets(w.batch[:0], led...)
	w.slots, w.all = slots[:0], false
	for _, p := range w.batch {
		w.merge(p)
	}
	return w.batch
}

// Prune drops the positions every synced replica of their slot has
// applied, noting how many that was: waiting for them again could not
// change WAIT's answer. With want > 0 it also reports whether each position
// of the last resolved batch already has want (or all, when fewer) synced
// replicas' acknowledgements, so that the batch need not wait: one
// ReplicaAcks per position serves both.
//
// It runs once per batch of writes: plain loops, no closure to allocate.
func (w *Writes) Prune(n Node, want int) (acked bool) {
	acked = true
	kept := w.wrote[:0]
	for _, p := range w.wrote {
		synced, got := n.ReplicaAcks(p.Slot, p.Offset)
		if want > 0 && got < min(want, synced) && w.inBatch(p.Slot) {
			acked = false
		}
		if got >= synced {
			w.settle(got)
			continue
		}
		kept = append(kept, p)
	}
	clear(w.wrote[len(kept):])
	w.wrote = kept
	return acked
}

// merge adds position p to wrote, or moves the position of its slot there
// forward to it.
func (w *Writes) merge(p cluster.SlotOffset) {
	for i := range w.wrote {
		if w.wrote[i].Slot == p.Slot {
			w.wrote[i].Offset = max(w.wrote[i].Offset, p.Offset)
			return
		}
	}
	w.wrote = append(w.wrote, p)
}

// inBatch reports whether the last resolved batch (sorted by slot) has a
// position of slot.
func (w *Writes) inBatch(slot uint16) bool {
	lo, hi := 0, len(w.batch)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if w.batch[m].Slot < slot {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(w.batch) && w.batch[lo].Slot == slot
}

// settle notes that a position was dropped with acked replicas.
func (w *Writes) settle(acked int) {
	if w.settled < 0 || acked < w.settled {
		w.settled = acked
	}
}

// WaitPoll is how often Wait looks again while a slot has fewer synced
// replicas than asked for (no acknowledgement would wake it then).
const WaitPoll = 20 * time.Millisecond

// Wait is WAIT numreplicas: it returns how many replicas applied the
// connection's writes (the fewest over the slots written), waiting until
// want did or ctx ends; an ended ctx counts what applied so far without
// waiting. A connection with no write since its last Wait gets the fewest
// synced replicas any slot led here has (Redis counts its connected
// replicas).
func (w *Writes) Wait(ctx context.Context, n Node, want int) int {
	w.Resolve(n)
	w.Prune(n, 0)
	settled := w.settled
	w.settled = -1
	if len(w.wrote) == 0 {
		if settled < 0 {
			return baseline(n) // no write since the last WAIT
		}
		return settled
	}
	got := waitFor(ctx, n, slices.Clone(w.wrote), max(want, 1))
	if settled >= 0 {
		got = min(got, settled)
	}
	w.Prune(n, 0)
	w.settled = -1
	return got
}

// waitFor waits until want replicas applied every position or ctx ends,
// and returns the fewest replicas that applied a position. WaitReplicated
// waits only for the replicas a slot has; when a slot has fewer than want,
// this looks again every WaitPoll (a replica being built may join).
func waitFor(ctx context.Context, n Node, pos []cluster.SlotOffset, want int) int {
	for {
		got, err := n.WaitReplicated(ctx, pos, want)
		if got >= want || err != nil {
			return got
		}
		select {
		case <-ctx.Done():
			return got
		case <-time.After(WaitPoll):
		}
	}
}

// baseline is the fewest synced replicas any slot led here has.
func baseline(n Node) int {
	best := -1
	for sl := range ring.SlotCount {
		if _, local := n.Route(uint16(sl)); !local {
			continue
		}
		synced := n.LiveReplicas(uint16(sl))
		if best < 0 || synced < best {
			best = synced
		}
	}
	return max(best, 0)
}
