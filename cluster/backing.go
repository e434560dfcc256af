package cluster

import (
	"slices"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// Backed acknowledgement (docs/DESIGN.md §5, issue 18). A primary may
// acknowledge a write without a replica's ack only when the cluster decided
// the slot has no replica to wait for, never because of its own view of a
// fault. A replica that has been synced for a slot under this node's lead
// is the slot's backer until the routing table in force stops naming it
// (the coordinator, which sees a majority, dropped it) or the slot leaves
// this node. While a backer is not live (its attachment failed or was
// detached: gossip here calls it dead, its queue overflowed while it did
// not answer) and does not answer either, it is owed: writes wait for it
// as for a live replica that has not acknowledged, so a primary cut off
// from its replicas never acknowledges a write the majority will not have
// when it fails the slot over. A backer that answers (gossip sees it alive
// and its stream acknowledged within backerFresh) while not live is being
// re-synced: the slot is degraded for that time, as a slot whose new
// replica is still being built.

// backerFresh: a backer whose stream acknowledged within this long is
// reachable. Idle streams make a keepalive call every streamKeepalive.
const backerFresh = 2 * streamKeepalive

// backerIDs returns the slot's backers (see above); read lock-free.
func (sr *slotRepl) backerIDs() []ring.NodeID {
	if p := sr.backers.Load(); p != nil {
		return *p
	}
	return nil
}

// addBacker records that id became a synced replica of the slot.
func (sr *slotRepl) addBacker(id ring.NodeID) {
	for {
		old := sr.backers.Load()
		var cur []ring.NodeID
		if old != nil {
			cur = *old
		}
		if slices.Contains(cur, id) {
			return
		}
		next := append(slices.Clone(cur), id)
		if sr.backers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// keepBackers drops the backers for which keep is false (all of them when
// keep is nil). reconcile calls it for every slot; it allocates only when
// something is dropped.
func (sr *slotRepl) keepBackers(keep func(ring.NodeID) bool) {
	for {
		old := sr.backers.Load()
		if old == nil || len(*old) == 0 {
			return
		}
		var next []ring.NodeID
		if keep != nil {
			if !slices.ContainsFunc(*old, func(id ring.NodeID) bool { return !keep(id) }) {
				return
			}
			next = slices.DeleteFunc(slices.Clone(*old), func(id ring.NodeID) bool { return !keep(id) })
		}
		if sr.backers.CompareAndSwap(old, &next) {
			return
		}
	}
}

// owed counts the backers of slot that are neither live among atts (its
// attachments) nor reachable: writes must wait for them.
func (r *replicator) owed(slot uint16, atts []*attachment) int {
	ids := r.slots[slot].backerIDs()
	if len(ids) == 0 {
		return 0
	}
	owed := 0
	now := time.Now()
	for _, id := range ids {
		if slices.ContainsFunc(atts, func(a *attachment) bool { return a.p.id == id && a.live.Load() && !a.failed.Load() }) {
			continue
		}
		if !r.reachable(id, now) {
			owed++
		}
	}
	return owed
}

// reachable reports whether gossip sees id alive and its stream
// acknowledged a call within backerFresh.
func (r *replicator) reachable(id ring.NodeID, now time.Time) bool {
	if !r.n.members.isAlive(id) {
		return false
	}
	r.mu.Lock()
	p := r.peers[id]
	r.mu.Unlock()
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return !p.lastAck.IsZero() && now.Sub(p.lastAck) < backerFresh
}

// Lineage. A write position (SlotOffset) names the lineage of this node's
// copy it went into (slotRepl.gen). The copy is dropped when a transfer
// begins, when the slot is no longer owned here or when a partial copy of
// a led slot is found, and offsets then start again from another primary's
// stream, so an offset alone cannot say whether a write is still here. A
// node that lost the lead of a slot while a write waited for its replica
// (a primary cut off by a partition that learns, on the heal, that the
// majority promoted the replica) no longer has a replica to wait for: the
// write is backed only if a replica applied it before, or a handoff found
// it applied by its target; otherwise it is not on the primary in force and
// must not be acknowledged. Before 2026-12-04 such a write passed for
// degraded (no attachment left, quorum back) and was acknowledged, then
// lost (issue 18: 2 of 53 runs of TestPartitionHoldsUnreachableSlots).

// handoffMark: a handoff found lineage gen applied by its target up to off.
type handoffMark struct {
	gen, off uint64
}

// flushCopy drops this node's copy of slot and starts a new lineage.
func (r *replicator) flushCopy(slot uint16) error {
	r.slots[slot].gen.Add(1)
	return r.st.Apply([]store.Effect{{Kind: store.EffectFlushSlot, Slot: slot}})
}

// posState is what WaitReplicated knows of one write position at one
// moment: the inputs of judgePos.
type posState struct {
	leads   bool // this node leads the slot now
	lineage bool // the copy the write went into is still this node's copy
	handed  bool // a handoff found that copy applied by its target past the write
	synced  int  // synced replicas of the slot here, owed backers included
	applied int  // of them, those that applied the write
	quorum  bool // this node sees a majority now
}

// posVerdict is judgePos's decision about one write position.
type posVerdict uint8

const (
	posWait     posVerdict = iota // not backed yet: wait for a replica
	posDone                       // enough synced replicas applied it
	posDegraded                   // the cluster left the slot no synced replica: backed by the local apply
	posLost                       // not backed and never will be: refuse the acknowledgement
)

func (v posVerdict) String() string {
	return [...]string{"wait", "done", "degraded", "lost"}[v]
}

// judgePos decides whether a write position is backed (docs/DESIGN.md
// §5), wanting want replicas (or all the slot has, when fewer). Pure.
func judgePos(s posState, want int) posVerdict {
	switch {
	case !s.lineage:
		return posLost // the copy it went into was dropped
	case s.synced > 0 && s.applied >= min(want, s.synced):
		return posDone
	case s.handed:
		return posDone
	case !s.leads:
		// The lead moved on without a handoff (a failover): the new
		// primary has what a replica applied, and this write is not
		// among it.
		return posLost
	case s.synced > 0 || !s.quorum:
		return posWait
	default:
		return posDegraded
	}
}

// posState gathers the state of position p now.
func (n *Node) posState(p SlotOffset) posState {
	r := n.repl
	sr := &r.slots[p.Slot]
	gen := sr.gen.Load()
	s := posState{
		leads:   n.leadsLocally(p.Slot),
		lineage: gen == p.gen,
		quorum:  n.quorum.Load(),
	}
	if m := sr.handed.Load(); m != nil && m.gen == gen && m.off >= p.Offset {
		s.handed = true
	}
	s.synced, s.applied = r.ackedCount(p.Slot, p.Offset)
	return s
}
