package ring

import (
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
)

// LockNodes picks the n members that serve the lock name as Redlock
// endpoints (docs/DESIGN.md §8), by rendezvous (highest-random-weight) hashing:
// each member scores xxhash(name, 0, member ID) and the n highest win, ties
// (equal 64-bit scores) broken by the smaller ID. The result is ordered by
// score, best first, and has min(n, len(distinct members)) entries.
//
// It is a pure function of the name and the member set (not of the order
// of members, and duplicates count once), so every client that knows the
// same members picks the same nodes without talking to each other. When a
// member joins or leaves, a name's choice changes only if that member is or
// becomes one of its n: rendezvous hashing moves no more than it must,
// which keeps most locks on the nodes that hold their leases and marks.
// Lock names are spread evenly over the members.
func LockNodes(name string, members []NodeID, n int) []NodeID {
	if n <= 0 || len(members) == 0 {
		return nil
	}
	type scored struct {
		id    NodeID
		score uint64
	}
	all := make([]scored, 0, len(members))
	for _, id := range members {
		all = append(all, scored{id: id, score: lockScore(name, id)})
	}
	slices.SortFunc(all, func(a, b scored) int {
		switch {
		case a.score > b.score:
			return -1
		case a.score < b.score:
			return 1
		}
		return strings.Compare(string(a.id), string(b.id))
	})
	all = slices.CompactFunc(all, func(a, b scored) bool { return a.id == b.id })
	out := make([]NodeID, 0, min(n, len(all)))
	for _, s := range all[:min(n, len(all))] {
		out = append(out, s.id)
	}
	return out
}

// lockScore is a member's rendezvous weight for a lock name. The 0 byte
// separates the two so that ("ab", "c") and ("a", "bc") differ.
func lockScore(name string, id NodeID) uint64 {
	d := xxhash.New()
	_, _ = d.WriteString(name) // xxhash's writes never fail
	_, _ = d.Write([]byte{0})
	_, _ = d.WriteString(string(id))
	return d.Sum64()
}
