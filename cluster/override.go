package cluster

import "github.com/meshcache/meshcache/ring"

// Handoff overrides (package override) bridge the moment a slot changes
// primary and the routing table that says so. The router (package
// routing) holds them with the table and the dead set and routes by all
// three; handoff.go sets and clears them, installTable hands it each
// table adopted and the member set each change of the dead set.

// Route returns the node that leads slot now, taking the handoff overrides
// into account, and whether that is this node (routing.Decide). It is what
// the server routes by, for every keyed command: one atomic load and two
// indexes. A slot led by a node gossip reports dead routes nowhere (""):
// the server answers its keys -CLUSTERDOWN Hash slot not served, as Redis
// Cluster answers for a slot no live node serves, while the coordinator
// fails it over or, with no reachable copy, holds it (plan.Holds).
func (n *Node) Route(slot uint16) (ring.NodeID, bool) {
	return n.router.Route(slot)
}

// leadsLocally reports whether this node leads slot now.
func (n *Node) leadsLocally(slot uint16) bool {
	_, local := n.router.Route(slot)
	return local
}
