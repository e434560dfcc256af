package routing

import (
	"slices"

	"github.com/meshcache/meshcache/cluster/override"
	"github.com/meshcache/meshcache/ring"
)

// An entry is one slot's route in a Snapshot: the index of the node in
// Snapshot.nodes in the low bits, and localBit when that node is self.
type entry uint16

const (
	localBit  entry = 1 << 15
	indexMask entry = localBit - 1
)

// Snapshot is every slot's route decided at once (Decide) from one table,
// one set of overrides and one dead set. It is immutable once built, so
// any number of goroutines read it without locks.
type Snapshot struct {
	// Table is the routing table the snapshot was built from (nil: none).
	Table *ring.Table
	// nodes are the distinct routes; nodes[0] is "" (nowhere). Far fewer
	// than indexMask: the table's members and the overrides' targets.
	nodes  []ring.NodeID
	routes [ring.SlotCount]entry
}

// Overrides are a slot's handoff overrides (nil: none).
type Overrides struct {
	Lead    *override.Lead
	Forward *override.Forward
}

// Build decides every slot's route (Decide) under table t (nil: no table
// yet, every slot routes nowhere) with the overrides of the slots in ov
// (the others have none) and the dead set, for node self. Its cost is one
// pass over the table's primaries plus one Decide per slot in ov.
func Build(t *ring.Table, self ring.NodeID, ov map[uint16]Overrides, dead map[ring.NodeID]struct{}) *Snapshot {
	s := &Snapshot{Table: t, nodes: []ring.NodeID{""}}
	if t == nil {
		return s
	}
	// Without overrides a slot's route depends on its primary alone, and
	// runs of slots share a primary: decide once per run.
	lastP, lastE, haveLast := ring.NodeID(""), entry(0), false
	for i := range s.routes {
		slot := uint16(i)
		if p := t.Primary(slot); haveLast && p == lastP {
			s.routes[i] = lastE
		} else {
			id, local := Decide(t, slot, self, nil, nil, dead)
			lastP, lastE, haveLast = p, s.set(slot, id, local), true
		}
	}
	for slot, o := range ov {
		if int(slot) < ring.SlotCount {
			id, local := Decide(t, slot, self, o.Lead, o.Forward, dead)
			s.set(slot, id, local)
		}
	}
	return s
}

// set records the route of slot (in range) and returns its entry. Only
// while s is being built: a published snapshot is immutable.
func (s *Snapshot) set(slot uint16, id ring.NodeID, local bool) entry {
	e := s.index(id)
	if local {
		e |= localBit
	}
	s.routes[slot] = e
	return e
}

// clone returns a copy of s to change before it is published.
func (s *Snapshot) clone() *Snapshot {
	c := *s // copies the routes
	c.nodes = slices.Clone(s.nodes)
	return &c
}

// index returns the index of id in s.nodes, appending it if new.
func (s *Snapshot) index(id ring.NodeID) entry {
	for i, n := range s.nodes {
		if n == id {
			return entry(i)
		}
	}
	s.nodes = append(s.nodes, id)
	return entry(len(s.nodes) - 1)
}

// Route returns the node that leads slot and whether it is self, as
// Decide decided when the snapshot was built. Out of range: nowhere.
func (s *Snapshot) Route(slot uint16) (ring.NodeID, bool) {
	if int(slot) >= ring.SlotCount {
		return "", false
	}
	e := s.routes[slot]
	return s.nodes[e&indexMask], e&localBit != 0
}
