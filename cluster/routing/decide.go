// Package routing decides which node leads each slot, the question the
// server asks for every keyed command (package cluster's Node.Route).
//
// Decide is the decision for one slot, pure: from the routing table, the
// slot's handoff overrides (package override), the members gossip reports
// dead and this node's ID. Build applies it to every slot at once and
// returns a Snapshot, which answers Route with two indexes. A Router holds
// the current Snapshot and the state it was built from, and builds and
// publishes a new one whenever any of that state changes, so a route is
// one atomic load and two indexes.
package routing

import (
	"github.com/meshcache/meshcache/cluster/override"
	"github.com/meshcache/meshcache/ring"
)

// Decide returns the node that leads slot under table t, given the slot's
// handoff overrides (nil: none) and the set of members gossip reports
// dead, and whether that node is self:
//
//   - no table yet, or slot out of range: nowhere ("", false);
//   - a lead override that holds under t (self took the slot over by a
//     handoff no table resolved yet): self;
//   - a forward override that holds under t (self handed the slot off):
//     the node it went to;
//   - the table's primary, unless that is another node gossip reports
//     dead: then nowhere, and the server answers the slot's keys
//     -CLUSTERDOWN Hash slot not served, as Redis Cluster answers for a
//     slot no live node serves, while the coordinator fails it over or
//     holds it (plan.Holds);
//   - an unassigned slot: nowhere.
func Decide(t *ring.Table, slot uint16, self ring.NodeID, lead *override.Lead, fwd *override.Forward,
	dead map[ring.NodeID]struct{}) (ring.NodeID, bool) {
	if t == nil || int(slot) >= ring.SlotCount {
		return "", false
	}
	if lead != nil && lead.Holds(t, slot, self) {
		return self, true
	}
	if fwd != nil && fwd.Holds(t, slot, self) {
		return fwd.To, false
	}
	p := t.Primary(slot)
	if p != self {
		if _, isDead := dead[p]; isDead {
			return "", false
		}
	}
	return p, p == self && p != ""
}
