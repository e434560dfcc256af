package plan

import (
	"time"

	"github.com/meshcache/meshcache/ring"
)

// A slot is down when its primary is neither alive nor answering: only the
// failover step changes such a slot. It promotes the alive owner synced to
// the dead primary; with none, no reachable node holds the slot's data (its
// every copy is on the other side of a partition, or crashed, or its only
// alive replica was still being built), and the slot is held: its entry
// stays as it is, naming the dead primary, so nodes refuse its keys
// (-CLUSTERDOWN) and, when a copy returns, the slot serves again with its
// data. Giving it to a live node empty would serve it at once but lose
// every acknowledged write in it when the partition heals (issue 18).
//
// Invariants that keep a hold from stalling the cluster or leaking data:
//   - DropDead leaves a down slot's owners and state alone (a dead replica
//     of a held slot may be the copy that returns);
//   - MembersChanged does not count a dead member that only down slots
//     name (the members step could change nothing: it would issue a table
//     every tick);
//   - a rebalance pass and Data's settled check skip down slots, so a held
//     slot takes no place in the migration batch and joins, leaves and the
//     other slots' moves go on;
//   - Data plans a failover step only for a down slot not held, or held
//     and due (HoldRecheck, or Holds.EmptyAfter).

// HoldRecheck is how often the failover step asks again about a held slot's
// alive owners: one that did not answer the replica-state call (overloaded,
// a lost packet) may hold a synced copy after all.
const HoldRecheck = 5 * time.Second

// Holds records the slots the failover step holds. The zero value holds
// slots forever; the control loop owns it (not safe for concurrent use).
type Holds struct {
	// EmptyAfter, when positive, gives a slot held this long to a live
	// node empty: its data is lost, the slot serves again. Zero (the
	// default) holds until a copy returns.
	EmptyAfter time.Duration
	slots      map[uint16]hold
}

// hold is one held slot: the dead primary it waits for, how many of its
// owners were alive (none synced), when the hold began and when its owners
// were last asked.
type hold struct {
	primary        ring.NodeID
	alive          int
	since, checked time.Time
}

// Len returns how many slots are held.
func (h *Holds) Len() int { return len(h.slots) }

// waiting reports whether slot of t, whose primary is dead, is held and
// not due for another failover step at now: no owner came back to life
// in v since, and neither a recheck nor an empty takeover is due.
func (h *Holds) waiting(t *ring.Table, v View, slot uint16, now time.Time) bool {
	hd, ok := h.slots[slot]
	switch {
	case !ok || hd.primary != t.Primary(slot) || hd.alive != aliveOwners(t, v, slot):
		return false
	case h.EmptyAfter > 0 && now.Sub(hd.since) >= h.EmptyAfter:
		return false
	default:
		return now.Sub(hd.checked) < HoldRecheck
	}
}

// emptyDue reports whether a slot held for primary in prev (what begin
// returned) may go to a live node empty at now.
func (h *Holds) emptyDue(prev map[uint16]hold, slot uint16, primary ring.NodeID, now time.Time) bool {
	hd, ok := prev[slot]
	return ok && hd.primary == primary && h.EmptyAfter > 0 && now.Sub(hd.since) >= h.EmptyAfter
}

// begin starts a new record of held slots at now, keeping since for slots
// still held for the same primary: the failover step calls it, then keep
// for each slot it holds; slots not kept are dropped (they were promoted,
// taken over, or their primary came back).
func (h *Holds) begin() (prev map[uint16]hold) {
	prev, h.slots = h.slots, make(map[uint16]hold)
	return prev
}

// keep records slot of t held at now, with v the alive members.
func (h *Holds) keep(prev map[uint16]hold, t *ring.Table, v View, slot uint16, now time.Time) {
	primary, since := t.Primary(slot), now
	if p, ok := prev[slot]; ok && p.primary == primary {
		since = p.since
	}
	h.slots[slot] = hold{primary: primary, alive: aliveOwners(t, v, slot), since: since, checked: now}
}

// aliveOwners counts the owners of slot in t that v sees alive.
func aliveOwners(t *ring.Table, v View, slot uint16) int {
	n := 0
	for _, o := range t.Owners(slot) {
		if v.alive(o) {
			n++
		}
	}
	return n
}

// Prune drops the holds of slots of t that are not down in v any more, or
// whose primary changed: a copy came back, or a table gave the slot to
// another node. The control loop calls it every pass, so Len counts the
// slots held now.
func (h *Holds) Prune(t *ring.Table, v View) {
	for slot, hd := range h.slots {
		if t.Primary(slot) != hd.primary || !down(t, v, slot) {
			delete(h.slots, slot)
		}
	}
}

// Forget drops every hold, as when this node stops coordinating: a later
// coordinator term starts its delays afresh.
func (h *Holds) Forget() { h.slots = nil }

// down reports whether slot's primary in t is not alive in v (a primary
// gossip reports dead that still answers is down too: only the failover
// step, which pings it, decides). A slot without owners is not down: it
// has no data to wait for.
func down(t *ring.Table, v View, slot uint16) bool {
	p := t.Primary(slot)
	return p != "" && !v.alive(p)
}
