package ring

import "slices"

// SlotDiff is one slot whose owners or state differ between a routing table
// and a target (a placement or the next table).
type SlotDiff struct {
	Slot      uint16
	From, To  []NodeID  // owners, primary first
	FromState SlotState // state in the table
	ToState   SlotState // state in the target (always stable for a placement)
}

// PrimaryChanged reports whether the slot changes primary (including
// gaining or losing its only owner).
func (d SlotDiff) PrimaryChanged() bool {
	return first(d.From) != first(d.To)
}

// ReplicasChanged reports whether the set of replicas differs; their order
// does not matter.
func (d SlotDiff) ReplicasChanged() bool {
	a, b := rest(d.From), rest(d.To)
	if len(a) != len(b) {
		return true
	}
	for _, id := range a {
		if !slices.Contains(b, id) {
			return true
		}
	}
	return false
}

// Added returns the owners the slot gains: nodes that need a copy of it.
func (d SlotDiff) Added() []NodeID { return minus(d.To, d.From) }

// Removed returns the owners the slot loses: nodes that may drop it.
func (d SlotDiff) Removed() []NodeID { return minus(d.From, d.To) }

func first(ids []NodeID) NodeID {
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

func rest(ids []NodeID) []NodeID {
	if len(ids) == 0 {
		return nil
	}
	return ids[1:]
}

func minus(a, b []NodeID) []NodeID {
	var out []NodeID
	for _, id := range a {
		if !slices.Contains(b, id) {
			out = append(out, id)
		}
	}
	return out
}

// Diff lists, in slot order, the slots whose primary or replica set in t
// differs from the target placement p, or that are not stable: the work the
// coordinator has left to converge t on p. Replica order is ignored. It
// compares member positions, not IDs, and allocates only for the slots it
// lists: Settled asks it on every INFO, and a settled cluster lists none.
func (t *Table) Diff(p *Placement) []SlotDiff {
	// at[i] is the table's position of the placement's member i, or -1.
	at := make([]int, len(p.members))
	for i, id := range p.members {
		at[i] = -1
		if j, ok := t.index[id]; ok {
			at[i] = int(j)
		}
	}
	var out []SlotDiff
	stride := 1 + p.replicas
	for s := range uint16(SlotCount) {
		e := &t.slots[s]
		if e.kind == SlotStable && sameOwners(e.owners[:e.n], p.owners[int(s)*stride:(int(s)+1)*stride], at) {
			continue
		}
		out = append(out, SlotDiff{Slot: s, From: t.Owners(s), To: p.AppendOwners(nil, s), FromState: t.State(s)})
	}
	return out
}

// sameOwners reports whether a table slot's owners (positions in the
// table) name the same primary and the same set of replicas as a
// placement's (positions in the placement, mapped to the table's by at).
func sameOwners(have, want []uint16, at []int) bool {
	if len(have) != len(want) {
		return false
	}
	if len(have) == 0 {
		return true
	}
	if at[want[0]] != int(have[0]) {
		return false
	}
	for _, w := range want[1:] {
		if at[w] < 0 || !slices.Contains(have[1:], uint16(at[w])) {
			return false
		}
	}
	return true
}

// Changes lists, in slot order, the slots whose primary, replica set or
// state differ from t to next: what a node must act on when it adopts next
// (start or stop replication streams, take or release a primary role).
func (t *Table) Changes(next *Table) []SlotDiff {
	var out []SlotDiff
	for s := range uint16(SlotCount) {
		d := SlotDiff{
			Slot: s, From: t.Owners(s), To: next.Owners(s),
			FromState: t.State(s), ToState: next.State(s),
		}
		if d.PrimaryChanged() || d.ReplicasChanged() || d.FromState != d.ToState {
			out = append(out, d)
		}
	}
	return out
}
