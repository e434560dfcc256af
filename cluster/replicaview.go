package cluster

import "github.com/meshcache/meshcache/ring"

// Read-only views of the replication state for the server: how many
// synced replicas a led slot has (min-replicas-to-write, pruning the
// positions WAIT waits for) and whether this node holds a complete copy of
// a slot it replicates (READONLY reads). Each is a few atomic loads, or one
// short critical section on the receiving state.

// ReplicaAcks returns how many synced replicas slot has on this node (as
// its primary) and how many of them applied the slot's stream up to off;
// off 0 counts every synced replica. Both are 0 for a slot this node does
// not lead or when the node has no store.
func (n *Node) ReplicaAcks(slot uint16, off uint64) (synced, acked int) {
	if n.repl == nil || int(slot) >= ring.SlotCount {
		return 0, 0
	}
	return n.repl.ackedCount(slot, off)
}

// ReplicaSynced reports whether this node holds a complete, in-order copy
// of slot as a replica of the node that leads it now: its transfer from
// that primary completed and it applies that primary's stream. Reads of
// such a slot may run here (READONLY connections); they may lag the
// primary by the stream's queue, as reads from a Redis replica do.
func (n *Node) ReplicaSynced(slot uint16) bool {
	r := n.repl
	if r == nil || int(slot) >= ring.SlotCount {
		return false
	}
	primary, local := n.Route(slot)
	if local || primary == "" {
		return false
	}
	r.recvMu.Lock()
	rs := r.recv[slot]
	r.recvMu.Unlock()
	return rs.synced && rs.source == primary
}
