package plan

import (
	"fmt"
	"slices"

	"github.com/meshcache/meshcache/ring"
)

// RebalancePass is one rebalance pass from table t toward target, moving
// at most Batch slots to a new primary at once: each such slot is a
// transfer to run and a handoff to make. New replicas are not counted:
// they move no primary, and their transfers are paced by the migration
// rate. Nor are slots whose primary reports them empty: they move with
// the same protocol (transfer, handoff, trim) but cost no data, so a new
// or empty cluster settles in a few steps (EmptyHandoffsPerBatch batches
// of them may migrate at once); Outcome.Paced says whether a step moved
// data and so must wait for the pacing.
//
// A slot migrating to a node the target no longer makes its primary (the
// member set changed meanwhile) is a stale migration: it is moving
// nowhere, so its state is reset and it holds no place in the batch, or a
// join during a rebalance could leave a whole batch of such slots blocking
// every other move; its extra owner is trimmed once the wanted ones sync.
//
// A down slot (its primary dead: the failover step promotes a replica or
// holds it, hold.go) is left out of the pass: a held slot must not take a
// place in the batch while it waits, nor get owners that would sync from
// a dead node.
//
// Phases: NewRebalance (survey; the node then asks Ask for their replica
// states), Handoffs (the node then calls each primary), Apply.
type RebalancePass struct {
	t      *ring.Table
	target *ring.Placement
	batch  int

	stale    []uint16 // migrating to a node that is no longer the target primary
	starts   []uint16 // lack owners the target wants
	handoffs []uint16 // have every wanted owner; the primary must change
	trims    []uint16 // right primary; extra owners or a migration state left

	// Ask names, per node, the slots whose receiving state the pass needs:
	// the target primary of each handoff, the wanted replicas of each trim,
	// and the primary of each start and handoff (whether it is empty).
	Ask map[ring.NodeID][]uint16
}

// NewRebalance surveys t against target (phase 1), with v the alive
// members.
func NewRebalance(t *ring.Table, v View, target *ring.Placement, batch int) *RebalancePass {
	r := &RebalancePass{t: t, target: target, batch: batch, Ask: make(map[ring.NodeID][]uint16)}
	var owners, want []ring.NodeID // reused for every slot
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		if down(t, v, slot) {
			continue
		}
		owners = t.AppendOwners(owners[:0], slot)
		want = target.AppendOwners(want[:0], slot)
		if st := t.State(slot); st.Kind == ring.SlotMigrating && st.Peer != target.Primary(slot) {
			r.stale = append(r.stale, slot)
			continue
		}
		if missingOwners(owners, want) {
			r.starts = append(r.starts, slot)
			if want[0] != owners[0] {
				r.Ask[owners[0]] = append(r.Ask[owners[0]], slot)
			}
			continue
		}
		switch {
		case want[0] != owners[0]:
			r.handoffs = append(r.handoffs, slot)
			r.Ask[want[0]] = append(r.Ask[want[0]], slot)
			r.Ask[owners[0]] = append(r.Ask[owners[0]], slot)
		case !slices.Equal(owners, want) || t.State(slot).Kind != ring.SlotStable:
			r.trims = append(r.trims, slot)
			for _, w := range want[1:] {
				r.Ask[w] = append(r.Ask[w], slot)
			}
		}
	}
	return r
}

// migrating counts the handoff slots with a new primary being built: those
// whose primary does not report them empty (they hold a place in the
// batch), and the empty ones (a place in the empty batch).
func (r *RebalancePass) migrating(states States) (full, empty int) {
	for _, slot := range r.handoffs {
		if r.t.State(slot).Kind != ring.SlotMigrating {
			continue
		}
		if states.empty(r.t.Primary(slot), slot) {
			empty++
		} else {
			full++
		}
	}
	return full, empty
}

// missingOwners reports whether some owner the target wants for a slot is
// not an owner yet.
func missingOwners(owners, want []ring.NodeID) bool {
	for _, w := range want {
		if !slices.Contains(owners, w) {
			return true
		}
	}
	return false
}

// EmptyHandoffsPerBatch is how many empty slots may migrate at once, and
// be handed off in one pass, per slot of the batch, beside the batch of
// slots with data: an empty slot moves no data, but each is still a
// transfer to set up, fenced and taken over, so the bursts stay bounded.
const EmptyHandoffsPerBatch = 8

// Handoffs picks the handoffs to run (phase 2): slots whose target primary
// reports them synced to the current primary, at most a batch of slots
// with data and EmptyHandoffsPerBatch batches of empty ones, grouped by
// the current primary (who is asked to hand them off).
func (r *RebalancePass) Handoffs(states States) map[ring.NodeID][]Move {
	byPrimary := make(map[ring.NodeID][]Move)
	moves, empties := 0, 0
	for _, slot := range r.handoffs {
		p, to := r.t.Primary(slot), r.target.Primary(slot)
		empty := states.empty(p, slot)
		switch {
		case !states.syncedTo(to, slot, p):
			continue
		case empty && empties >= EmptyHandoffsPerBatch*r.batch:
			continue
		case !empty && moves >= r.batch:
			continue
		}
		byPrimary[p] = append(byPrimary[p], Move{Slot: slot, Target: to})
		if empty {
			empties++
		} else {
			moves++
		}
	}
	return byPrimary
}

// Wait is what a pass waits for: what a pass that changed nothing is
// stuck on.
type Wait struct {
	Handoffs  int           // slots whose handoff waits for a synced target
	Trims     int           // slots whose wanted replicas are not all synced
	Migrating int           // slots with a new primary being built
	Silent    []ring.NodeID // nodes asked for their replica state that did not answer
}

// Outcome is what Apply wrote.
type Outcome struct {
	Changed int // slots whose entry changed in the next table
	// Paced counts the changed slots that move data: handoffs and new
	// primaries of slots not reported empty. A step with none is not
	// spaced from the next by the migration interval.
	Paced    int
	Handoffs int    // handoffs written (done and to an owner)
	Strays   []Move // handoffs reported to a node that is no owner: not written
	Wait     Wait
}

// Apply writes the pass into next, a NextTable of the surveyed table
// (phase 3): stale migrations reset; the handoffs done (the new primary
// first, the slot importing from the old one); trims of slots whose wanted
// replicas are all synced; and starts for slots lacking owners, every
// wanted owner joining as an extra one (the target primary as a migrating
// replica), as many new primaries as the batch has places, counting those
// the handoffs freed. The owners the placement does not want are trimmed
// only once the wanted ones are synced, so a slot never has fewer synced
// replicas meanwhile. Apply does not drop dead owners: call DropDead when
// Changed > 0.
func (r *RebalancePass) Apply(next *ring.Table, states States, done []Move) (Outcome, error) {
	var out Outcome
	t, target := r.t, r.target
	for _, slot := range r.stale {
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return out, fmt.Errorf("rebalance slot %d: %w", slot, err)
		}
		out.Changed++
	}
	migrating, migratingEmpty := r.migrating(states)
	emptyBatch := EmptyHandoffsPerBatch * r.batch
	for _, m := range done {
		slot, to := m.Slot, m.Target
		owners := t.Owners(slot)
		if !slices.Contains(owners, to) {
			// The primary forwards the slot to a node this table dropped:
			// once it adopts the table it leads again (override.go).
			out.Strays = append(out.Strays, m)
			continue
		}
		old := owners[0]
		order := append([]ring.NodeID{to}, slices.DeleteFunc(slices.Clone(owners), func(o ring.NodeID) bool { return o == to })...)
		if err := next.SetOwners(slot, order...); err != nil {
			return out, fmt.Errorf("handoff slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{Kind: ring.SlotImporting, Peer: old}); err != nil {
			return out, err
		}
		empty := states.empty(old, slot)
		if t.State(slot).Kind == ring.SlotMigrating {
			// Its place in the batch is free for a start below.
			if empty {
				migratingEmpty--
			} else {
				migrating--
			}
		}
		if !empty {
			out.Paced++
		}
		out.Changed++
	}

	// Trims: the wanted replicas are synced; drop the rest.
	for _, slot := range r.trims {
		p := t.Primary(slot)
		want := target.Owners(slot)
		ready := true
		for _, w := range want[1:] {
			if !states.syncedTo(w, slot, p) {
				ready = false
				break
			}
		}
		if !ready {
			continue
		}
		if err := next.SetOwners(slot, want...); err != nil {
			return out, fmt.Errorf("trim slot %d: %w", slot, err)
		}
		if err := next.SetState(slot, ring.SlotState{}); err != nil {
			return out, err
		}
		out.Changed++
	}

	// Starts.
	var owners, want, add []ring.NodeID
	for _, slot := range r.starts {
		owners = t.AppendOwners(owners[:0], slot)
		want = target.AppendOwners(want[:0], slot)
		newPrimary := !slices.Contains(owners, want[0])
		empty := states.empty(owners[0], slot)
		if newPrimary && ((!empty && migrating >= r.batch) || (empty && migratingEmpty >= emptyBatch)) {
			continue // waits for a place in the batch
		}
		add = append(add[:0], owners...)
		for _, w := range want {
			if len(add) < ring.MaxOwners && !slices.Contains(add, w) {
				add = append(add, w)
			}
		}
		if len(add) == len(owners) {
			continue // no room for another owner (ring.MaxOwners)
		}
		if err := next.SetOwners(slot, add...); err != nil {
			return out, fmt.Errorf("rebalance slot %d: %w", slot, err)
		}
		if want[0] != owners[0] && slices.Contains(add, want[0]) {
			if err := next.SetState(slot, ring.SlotState{Kind: ring.SlotMigrating, Peer: want[0]}); err != nil {
				return out, err
			}
		}
		switch {
		case newPrimary && empty:
			migratingEmpty++
		case newPrimary:
			migrating++
			out.Paced++
		}
		out.Changed++
	}

	out.Handoffs = len(done) - len(out.Strays)
	out.Wait = Wait{Handoffs: len(r.handoffs) - len(done), Trims: len(r.trims), Migrating: migrating}
	for id := range r.Ask {
		if _, ok := states[id]; !ok {
			out.Wait.Silent = append(out.Wait.Silent, id)
		}
	}
	slices.Sort(out.Wait.Silent)
	return out, nil
}
