package plan

import "github.com/meshcache/meshcache/ring"

// Member is a live member as the coordinator sees it.
type Member struct {
	ID          ring.NodeID
	Addr        string // client address
	ClusterAddr string
	Draining    bool // leaving: gets no slots, removed once it holds none
}

// View is what the coordinator sees at one tick.
type View struct {
	Alive    map[ring.NodeID]Member // every alive member, the coordinator included
	MaxEpoch uint64                 // highest table epoch any alive member reports
}

func (v View) alive(id ring.NodeID) bool {
	_, ok := v.Alive[id]
	return ok
}

// ReplState is one node's receiving state of one slot, as the node reports
// it (the replica-state call).
type ReplState struct {
	Source  ring.NodeID // the primary it receives the slot from
	Applied uint64      // the highest stream offset it applied
	Synced  bool        // it holds the primary's state and follows its stream
	// Empty: the node holds no key of the slot. A rebalance asks each
	// moving slot's primary: an empty slot's move costs no transfer, so it
	// takes no place in the batch and does not wait for the pacing.
	Empty bool
}

// States are the answers to a replica-state call: per node, per slot. A
// node that did not answer is absent.
type States map[ring.NodeID]map[uint16]ReplState

// syncedTo reports whether node reported slot synced to primary.
func (s States) syncedTo(node ring.NodeID, slot uint16, primary ring.NodeID) bool {
	ri, ok := s[node][slot]
	return ok && ri.Synced && ri.Source == primary
}

// empty reports whether node reported holding no key of slot.
func (s States) empty(node ring.NodeID, slot uint16) bool {
	ri, ok := s[node][slot]
	return ok && ri.Empty
}

// Move is one slot and its next primary (a handoff).
type Move struct {
	Slot   uint16
	Target ring.NodeID
}

// NextTable clones t for the next step's table: epoch one above the highest
// seen, issued by issuer.
func NextTable(t *ring.Table, v View, issuer ring.NodeID) *ring.Table {
	next := t.Clone()
	next.Epoch = max(t.Epoch, v.MaxEpoch) + 1
	next.Issuer = issuer
	return next
}

// Majority reports whether seen members are a strict majority of total.
// A node that does not see a majority of the table's members never acts as
// coordinator and reports itself unhealthy (the minority side of a
// partition refuses writes).
func Majority(seen, total int) bool { return 2*seen > total }

// Quorum counts the members of t that v sees alive and reports whether
// they are a majority of t's members.
func Quorum(t *ring.Table, v View) (seen, total int, ok bool) {
	members := t.Members()
	for _, m := range members {
		if v.alive(m.ID) {
			seen++
		}
	}
	return seen, len(members), Majority(seen, len(members))
}
