package cluster

import "github.com/meshcache/meshcache/ring"

// Handoff overrides (package override) bridge the moment a slot changes
// primary and the routing table that says so.

// settleOverrides drops the overrides that t resolved or overruled, so
// that a later table naming the same nodes again cannot revive them. Run
// on every table adopted, in order.
func (r *replicator) settleOverrides(t *ring.Table) {
	self := r.n.id
	for s := range r.slots {
		sr := &r.slots[s]
		slot := uint16(s)
		if o := sr.lead.Load(); o != nil && !o.Holds(t, slot, self) {
			sr.lead.CompareAndSwap(o, nil)
		}
		if o := sr.fwd.Load(); o != nil && !o.Holds(t, slot, self) {
			sr.fwd.CompareAndSwap(o, nil)
		}
	}
}

// Route returns the node that leads slot now, taking the handoff overrides
// into account, and whether that is this node. It is what the server
// routes by: a few atomic loads. A slot led by a node gossip reports dead
// routes nowhere (""): the server answers its keys -CLUSTERDOWN Hash slot
// not served, as Redis Cluster answers for a slot no live node serves,
// while the coordinator fails it over or, with no reachable copy, holds
// it (plan.Holds).
func (n *Node) Route(slot uint16) (ring.NodeID, bool) {
	t := n.table.Load()
	if t == nil || int(slot) >= ring.SlotCount {
		return "", false
	}
	if r := n.repl; r != nil {
		sr := &r.slots[slot]
		if o := sr.lead.Load(); o != nil && o.Holds(t, slot, n.id) {
			return n.id, true
		}
		if o := sr.fwd.Load(); o != nil && o.Holds(t, slot, n.id) {
			return o.To, false
		}
	}
	p := t.Primary(slot)
	if p != n.id && n.members.isDead(p) {
		return "", false
	}
	return p, p == n.id && p != ""
}

// leadsLocally reports whether this node leads slot now.
func (n *Node) leadsLocally(slot uint16) bool {
	_, local := n.Route(slot)
	return local
}
