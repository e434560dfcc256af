package plan

import (
	"fmt"

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
// no synced owner, lost is true and the first alive owner leads (empty, as
// far as the slot's data goes), or, with none alive, the target primary.
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

// FailoverStep writes the failover of orphans (see Orphans) into next, a
// NextTable of t: each gets the primary Promote picks, its alive owners
// and a stable state; then DropDead. It returns how many slots lost their
// data (no synced replica). With no orphans it writes nothing: every
// "dead" primary still answers, and gossip is wrong for now.
func FailoverStep(next, t *ring.Table, v View, target *ring.Placement, orphans []uint16, states States) (lost int, notRemoved []error, err error) {
	for _, slot := range orphans {
		best, rest, l := Promote(t, v, target, slot, states)
		if l {
			lost++
		}
		if err := next.SetOwners(slot, append([]ring.NodeID{best}, rest...)...); err != nil {
			return 0, nil, fmt.Errorf("failover slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return 0, nil, err
		}
	}
	if len(orphans) == 0 {
		return 0, nil, nil
	}
	notRemoved, err = DropDead(next, v)
	return lost, notRemoved, err
}
