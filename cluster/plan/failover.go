package plan

import (
	"fmt"
	"slices"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Orphans returns the slots of t that need a new primary: those without an
// owner and those whose primary is neither alive nor answering (answering:
// members gossip reports dead that still answer a ping; a member wrongly
// suspected keeps its slots). ask names, per alive replica of those slots,
// the slots whose receiving state FailoverStep needs.
func Orphans(t *ring.Table, v View, answering map[ring.NodeID]bool) (orphans []uint16, ask map[ring.NodeID][]uint16) {
	ask = make(map[ring.NodeID][]uint16)
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		owners := t.Owners(slot)
		if len(owners) == 0 {
			orphans = append(orphans, slot)
			continue
		}
		if v.alive(owners[0]) || answering[owners[0]] {
			continue
		}
		orphans = append(orphans, slot)
		for _, o := range owners[1:] {
			if v.alive(o) {
				ask[o] = append(ask[o], slot)
			}
		}
	}
	return orphans, ask
}

// Promote picks the new primary of an orphan slot of t: the owner synced
// to the dead primary with the highest applied offset (the first such
// owner on a tie). rest are the other alive owners, in table order. With
// no synced owner, lost is true and the first alive owner would lead (empty,
// as far as the slot's data goes), or, with none alive, the target primary:
// FailoverStep holds such a slot instead, unless an empty takeover is due.
func Promote(t *ring.Table, v View, target *ring.Placement, slot uint16, states States) (best ring.NodeID, rest []ring.NodeID, lost bool) {
	owners := t.Owners(slot)
	var dead ring.NodeID
	if len(owners) > 0 {
		dead = owners[0]
	}
	var bestOff uint64
	for _, o := range owners {
		ri, ok := states[o][slot]
		if !ok || !ri.Synced || ri.Source != dead {
			continue
		}
		if best == "" || ri.Applied > bestOff {
			best, bestOff = o, ri.Applied
		}
	}
	for _, o := range owners {
		if v.alive(o) && o != best {
			rest = append(rest, o)
		}
	}
	if best == "" {
		lost = true
		if len(rest) > 0 {
			best, rest = rest[0], rest[1:]
		} else {
			best = target.Primary(slot)
		}
	}
	return best, rest, lost
}

// FailoverOutcome is what FailoverStep wrote.
type FailoverOutcome struct {
	Changed int // slots given a new primary
	// Lost counts the changed slots given a primary with no synced copy
	// of their data (an empty takeover: Holds.EmptyAfter passed, or a
	// slot without owners).
	Lost int
	Held int // down slots left as they are: no reachable synced copy
	// NotRemoved are the members DropDead could not remove yet.
	NotRemoved []error
}

// FailoverStep writes the failover of orphans (see Orphans) into next, a
// NextTable of t: each gets the primary Promote picks, its alive owners
// and a stable state; then DropDead. An orphan with owners but no synced
// one is held instead (hold.go): its entry is not changed and holds
// records it at now, until holds.EmptyAfter lets it go to a live node
// empty. With nothing changed it writes nothing: every orphan is held, or
// every "dead" primary still answers, and gossip is wrong for now.
func FailoverStep(next, t *ring.Table, v View, target *ring.Placement, orphans []uint16, states States, holds *Holds, now time.Time) (FailoverOutcome, error) {
	var out FailoverOutcome
	prev := holds.begin()
	for _, slot := range orphans {
		best, rest, lost := Promote(t, v, target, slot, states)
		if p := t.Primary(slot); lost && p != "" && !holds.emptyDue(prev, slot, p, now) {
			holds.keep(prev, t, v, slot, now)
			out.Held++
			continue
		}
		if lost {
			out.Lost++
		}
		owners := withTargetReplicas(next, v, target, slot, append([]ring.NodeID{best}, rest...))
		if err := next.SetOwners(slot, owners...); err != nil {
			return out, fmt.Errorf("failover slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return out, err
		}
		out.Changed++
	}
	if out.Changed == 0 {
		return out, nil
	}
	var err error
	out.NotRemoved, err = DropDead(next, v, target)
	return out, err
}

// withTargetReplicas names, after owners, the alive owners target places
// on slot that owners lacks, until the slot has as many owners as target
// places on it. A failover table thus names the new replica at once: the
// promoted primary starts building it, and its writes wait for it (package
// ack acknowledges on the local apply only a slot the table in force names
// no other owner for). Before 2026-12-06 the failover table named the
// promoted replica alone until the next rebalance step, and writes in
// between were acknowledged without a copy (issue 18).
func withTargetReplicas(next *ring.Table, v View, target *ring.Placement, slot uint16, owners []ring.NodeID) []ring.NodeID {
	if target == nil {
		return owners
	}
	want := target.Owners(slot)
	for _, id := range want {
		if len(owners) >= len(want) {
			break
		}
		if _, member := next.Member(id); member && v.alive(id) && !slices.Contains(owners, id) {
			owners = append(owners, id)
		}
	}
	return owners
}
