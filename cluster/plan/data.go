package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Kind names a coordinator step: the data-moving ones, which Data
// chooses, and the two the node chooses before it asks Data.
type Kind uint8

// The data-moving steps, in the order Data chooses them, then the others.
const (
	None      Kind = iota // the table matches the target placement
	Failover              // a slot has no primary, or a dead one
	Members               // members joined, changed address, died or drained
	Rebalance             // slots are not placed as the target places them
	// Assignment assigns slot ownership to the target placement
	// directly, without moving data: the first table, and each change of
	// a cluster without replication (no store), as Assign decides.
	Assignment
	// Prefer records nodes' CLUSTER FAILOVER requests (PreferStep).
	Prefer
)

func (k Kind) String() string {
	switch k {
	case None:
		return "none"
	case Failover:
		return "failover"
	case Members:
		return "members"
	case Rebalance:
		return "rebalance"
	case Assignment:
		return "assign"
	case Prefer:
		return "prefer"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Data chooses the next data-moving step for table t, the live members
// that get slots (members) and their target placement, or None when the
// table matches the target. A slot the failover step holds (hold.go) asks
// for no step until it is due at now: the other steps go on meanwhile.
func Data(t *ring.Table, v View, members []Member, target *ring.Placement, holds *Holds, now time.Time) Kind {
	if t.Assigned() < ring.SlotCount {
		return Failover // a slot without a primary
	}
	for _, m := range t.Members() {
		if v.alive(m.ID) {
			continue
		}
		for _, slot := range t.PrimarySlots(m.ID) {
			if !holds.waiting(t, v, slot, now) {
				return Failover
			}
		}
	}
	if MembersChanged(t, v, members) {
		return Members
	}
	if !settled(t, target, func(slot uint16) bool { return down(t, v, slot) }) {
		return Rebalance
	}
	return None
}

// Settled reports whether every slot of t is stable and has exactly the
// owners target places on it, in order: no rebalance step is left. (Data
// also checks members and dead primaries, which need a view.)
func Settled(t *ring.Table, target *ring.Placement) bool {
	return settled(t, target, func(uint16) bool { return false })
}

// settled is Settled over the slots skip does not name.
func settled(t *ring.Table, target *ring.Placement, skip func(uint16) bool) bool {
	var have, want []ring.NodeID
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		if skip(slot) {
			continue
		}
		have, want = t.AppendOwners(have[:0], slot), target.AppendOwners(want[:0], slot)
		if t.State(slot).Kind != ring.SlotStable || !slices.Equal(have, want) {
			return false
		}
	}
	return true
}

// MembersChanged reports whether the table must gain or lose members, or
// names a dead replica of a slot that is not down. A dead member that only
// down slots name changes nothing: the failover step owns those slots.
func MembersChanged(t *ring.Table, v View, members []Member) bool {
	for _, m := range members {
		tm, ok := t.Member(m.ID)
		if !ok || tm.Addr != m.Addr || tm.ClusterAddr != m.ClusterAddr {
			return true
		}
	}
	for _, m := range t.Members() {
		meta, alive := v.Alive[m.ID]
		if !alive && !onlyDown(t, v, m.ID) {
			return true
		}
		if alive && meta.Draining && len(t.SlotsOf(m.ID)) == 0 {
			return true
		}
	}
	return false
}

// MembersStep writes the members step into next (a NextTable): it adds
// new members, updates addresses and drops dead owners and members. The
// errors in notRemoved are members DropDead could not remove yet.
func MembersStep(next *ring.Table, v View, members []Member, target *ring.Placement) (notRemoved []error, err error) {
	for _, m := range members {
		if err := next.SetMember(ring.Member{ID: m.ID, Addr: m.Addr, ClusterAddr: m.ClusterAddr}); err != nil {
			return nil, fmt.Errorf("members step: %w", err)
		}
	}
	return DropDead(next, v, target)
}

// onlyDown reports whether id is named by slots and all of them are down.
func onlyDown(t *ring.Table, v View, id ring.NodeID) bool {
	slots := t.SlotsOf(id)
	for _, slot := range slots {
		if !down(t, v, slot) {
			return false
		}
	}
	return len(slots) > 0
}

// DropDead removes dead owners from every slot of next (a slot keeps its
// last owner even if dead: the failover step replaces it), resets states
// that name a dead peer or a migration to a node that is no owner, and
// removes dead members and drained members that no slot names any more.
// A down slot (its primary dead) is left as it is: the failover step
// promotes a synced replica or holds it (hold.go).
// A slot that loses a dead owner is given target's alive owners it lacks,
// up to target's count (withTargetReplicas), so that no table names a slot
// without the replica the cluster wants for it: a table that named the
// primary alone would let it acknowledge writes on the local apply (package
// ack). A nil target adds none.
// A member that cannot be removed yet is reported in notRemoved, not as an
// error.
func DropDead(next *ring.Table, v View, target *ring.Placement) (notRemoved []error, err error) {
	var dead []ring.NodeID // members gossip does not see alive
	for _, m := range next.Members() {
		if !v.alive(m.ID) {
			dead = append(dead, m.ID)
		}
	}
	isDead := func(o ring.NodeID) bool { return slices.Contains(dead, o) }
	var owners, kept []ring.NodeID // reused for every slot
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		if down(next, v, slot) {
			continue
		}
		if len(dead) > 0 {
			owners = next.AppendOwners(owners[:0], slot)
			kept = slices.DeleteFunc(append(kept[:0], owners...), isDead)
			if len(kept) != len(owners) && len(kept) > 0 {
				kept = withTargetReplicas(next, v, target, slot, kept)
				if err := next.SetOwners(slot, kept...); err != nil {
					return nil, fmt.Errorf("drop dead owners of slot %d: %w", slot, err)
				}
			}
		}
		if st := next.State(slot); st.Kind != ring.SlotStable {
			if !v.alive(st.Peer) || !next.IsOwner(slot, st.Peer) && st.Kind == ring.SlotMigrating {
				if err := next.SetState(slot, ring.SlotState{}); err != nil {
					return nil, err
				}
			}
		}
	}
	for _, m := range next.Members() {
		meta, alive := v.Alive[m.ID]
		if alive && !meta.Draining {
			continue
		}
		next.ClearPreferred(m.ID) // a failover asked for by a node that is gone
		if len(next.SlotsOf(m.ID)) > 0 {
			continue
		}
		if err := next.RemoveMember(m.ID); err != nil {
			notRemoved = append(notRemoved, fmt.Errorf("member %s not removed yet: %w", m.ID, err))
		}
	}
	return notRemoved, nil
}

// Placed returns the members that get slots: every alive member that is
// not draining, sorted by ID (the order ring.Place takes).
func Placed(v View) []Member {
	var members []Member
	for _, m := range v.Alive {
		if !m.Draining {
			members = append(members, m)
		}
	}
	slices.SortFunc(members, func(a, b Member) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return members
}

// Assign decides the step of a cluster without replication, where slots
// move by reassignment alone: it returns how many slots t places
// differently from target, and whether a new table is due (slots differ,
// or the table does not name exactly members, sorted by ID as Placed
// returns them, at the same addresses).
func Assign(t *ring.Table, members []Member, target *ring.Placement) (slots int, due bool) {
	diff := len(t.Diff(target))
	return diff, diff > 0 || !SameMembers(t.Members(), members)
}

// SameMembers reports whether the table names exactly the given members at
// the same addresses.
func SameMembers(have []ring.Member, want []Member) bool {
	if len(have) != len(want) {
		return false
	}
	for i := range have { // both sorted by ID
		if have[i].ID != want[i].ID || have[i].Addr != want[i].Addr || have[i].ClusterAddr != want[i].ClusterAddr {
			return false
		}
	}
	return true
}
