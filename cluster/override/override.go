// Package override holds the handoff overrides of package cluster (its
// handoff.go), pure decisions on a routing table. Handoff overrides bridge
// the moment a slot changes primary and the routing table that says so.
// They hold until a table resolves
// them, not merely until any newer table arrives: if the coordinator lost
// the handoff's reply (a timeout, or it stopped being coordinator) and
// issues a table that still names the old primary, the old primary must go
// on forwarding and the new one go on leading. Letting that table undo the
// handoff would make the old primary lead again without the writes the new
// one acknowledged meanwhile. The coordinator settles such a slot on its
// next rebalance pass: the old primary reports it handed off already.
package override

import "github.com/meshcache/meshcache/ring"

// Lead: this node took the slot over from From under a table of epoch
// Epoch.
type Lead struct {
	Epoch uint64
	From  ring.NodeID
}

// Holds reports whether the override still decides the slot under t: the
// table does not name self primary (then it needs none) and either it is
// no newer than the takeover, or it still names the old primary and
// keeps self as an owner (it does not know of the handoff yet).
func (o *Lead) Holds(t *ring.Table, slot uint16, self ring.NodeID) bool {
	p := t.Primary(slot)
	if p == self {
		return false
	}
	return t.Epoch <= o.Epoch || (p == o.From && t.IsOwner(slot, self))
}

// Forward: this node handed the slot off to To under a table of epoch
// Epoch; it forwards the slot's requests there.
type Forward struct {
	To    ring.NodeID
	Epoch uint64
}

// Holds reports whether the override still decides the slot under t: the
// table still names self primary and either it is no newer than the
// handoff or it keeps the new primary as an owner (a table that dropped
// it, because it died, lets self lead again).
func (o *Forward) Holds(t *ring.Table, slot uint16, self ring.NodeID) bool {
	if t.Primary(slot) != self {
		return false
	}
	return t.Epoch <= o.Epoch || t.IsOwner(slot, o.To)
}
