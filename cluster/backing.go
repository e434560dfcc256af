package cluster

import (
	"slices"
	"time"

	"github.com/meshcache/meshcache/cluster/ack"
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
// re-synced: writes wait for it to be built again, as for a slot whose new
// replica is still being built. Only a slot the table in force names no
// other owner for acknowledges on the local apply (package ack).

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
	var now time.Time // read only for a backer not live: every write's ack looks here
	for _, id := range ids {
		if slices.ContainsFunc(atts, func(a *attachment) bool { return a.p.id == id && a.live.Load() && !a.failed.Load() }) {
			continue
		}
		if now.IsZero() {
			now = time.Now()
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
	if !r.n.members.IsAlive(id) {
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

// othersListed returns how many owners of slot besides this node the
// routing table in force names: the copies the cluster decided the slot has.
func (n *Node) othersListed(slot uint16) int {
	if t := n.table.Load(); t != nil {
		return t.OthersOwning(slot, n.id)
	}
	return 0
}

// handoffMark: a handoff found lineage gen applied by its target up to off.
type handoffMark struct {
	gen, off uint64
}

// flushCopy drops this node's copy of slot and starts a new lineage
// (package ack).
func (r *replicator) flushCopy(slot uint16) error {
	r.slots[slot].gen.Add(1)
	return r.st.Apply([]store.Effect{{Kind: store.EffectFlushSlot, Slot: slot}})
}

// ackState gathers the state of write position p now, for ack.Judge.
func (n *Node) ackState(p SlotOffset) ack.State {
	r := n.repl
	sr := &r.slots[p.Slot]
	gen := sr.gen.Load()
	s := ack.State{Leads: n.leadsLocally(p.Slot), Lineage: gen == p.gen, Lease: n.lease.Held()}
	if m := sr.handed.Load(); m != nil && m.gen == gen && m.off >= p.Offset {
		s.Handed = true
	}
	s.Synced, s.Applied = r.ackedCount(p.Slot, p.Offset)
	s.Listed = n.othersListed(p.Slot)
	return s
}
