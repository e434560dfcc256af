package cluster

import "github.com/meshcache/meshcache/ring"

// Handoff overrides (handoff.go) bridge the moment a slot changes primary
// and the routing table that says so. They hold until a table resolves
// them, not merely until any newer table arrives: if the coordinator lost
// the handoff's reply (a timeout, or it stopped being coordinator) and
// issues a table that still names the old primary, the old primary must go
// on forwarding and the new one go on leading. Letting that table undo the
// handoff would make the old primary lead again without the writes the new
// one acknowledged meanwhile. The coordinator settles such a slot on its
// next rebalance pass: the old primary reports it handed off already.

// leadOverride: this node took the slot over from `from` under a table of
// epoch `epoch`.
type leadOverride struct {
	epoch uint64
	from  ring.NodeID
}

// holds reports whether the override still decides the slot under t: the
// table does not name self primary (then it needs none) and either it is
// no newer than the takeover, or it still names the old primary and
// keeps self as an owner (it does not know of the handoff yet).
func (o *leadOverride) holds(t *ring.Table, slot uint16, self ring.NodeID) bool {
	p := t.Primary(slot)
	if p == self {
		return false
	}
	return t.Epoch <= o.epoch || (p == o.from && t.IsOwner(slot, self))
}

// fwdOverride: this node handed the slot off to `to` under a table of
// epoch `epoch`; it forwards the slot's requests there.
type fwdOverride struct {
	to    ring.NodeID
	epoch uint64
}

// holds reports whether the override still decides the slot under t: the
// table still names self primary and either it is no newer than the
// handoff or it keeps the new primary as an owner (a table that dropped
// it, because it died, lets self lead again).
func (o *fwdOverride) holds(t *ring.Table, slot uint16, self ring.NodeID) bool {
	if t.Primary(slot) != self {
		return false
	}
	return t.Epoch <= o.epoch || t.IsOwner(slot, o.to)
}

// settleOverrides drops the overrides that t resolved or overruled, so
// that a later table naming the same nodes again cannot revive them. Run
// on every table adopted, in order.
func (r *replicator) settleOverrides(t *ring.Table) {
	self := r.n.id
	for s := range r.slots {
		sr := &r.slots[s]
		slot := uint16(s)
		if o := sr.lead.Load(); o != nil && !o.holds(t, slot, self) {
			sr.lead.CompareAndSwap(o, nil)
		}
		if o := sr.fwd.Load(); o != nil && !o.holds(t, slot, self) {
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
		if o := sr.lead.Load(); o != nil && o.holds(t, slot, n.id) {
			return n.id, true
		}
		if o := sr.fwd.Load(); o != nil && o.holds(t, slot, n.id) {
			return o.to, false
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
