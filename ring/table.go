package ring

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// MaxOwners is the most owners one slot can list in a routing table: a
// primary and up to MaxReplicas+1 replicas, one more than a placement asks
// for, so that a new replica can be added before an old one is dropped.
const MaxOwners = 8

// maxAddrLen bounds a member's address strings (host:port).
const maxAddrLen = 255

// ErrNotMember is wrapped by errors about a node the table does not list.
var ErrNotMember = errors.New("not a member of the routing table")

// Member is one node named in a routing table, with the addresses clients
// and peers reach it at, so that a node can answer CLUSTER SLOTS or redirect
// to an owner it has not heard of by gossip yet.
type Member struct {
	ID          NodeID
	Addr        string // client address "host:port", as CLUSTER SLOTS shows it
	ClusterAddr string // cluster-port address "host:port"
}

// SlotStateKind says whether a slot is at rest or changing primary.
type SlotStateKind uint8

// The states of a slot. A planned primary change (handoff, docs/DESIGN.md §5) is
// Migrating while the primary still serves and copies the slot to the next
// one, then Importing, for one table, after the new primary took over while
// the old one may still forward requests it had queued.
const (
	SlotStable    SlotStateKind = iota // owned by its primary, nothing moving
	SlotMigrating                      // primary is handing the slot off to Peer
	SlotImporting                      // primary took the slot over from Peer
	numSlotStates
)

// String names the state as logs and CLUSTER NODES-like output show it.
func (k SlotStateKind) String() string {
	switch k {
	case SlotStable:
		return "stable"
	case SlotMigrating:
		return "migrating"
	case SlotImporting:
		return "importing"
	}
	return fmt.Sprintf("SlotStateKind(%d)", uint8(k))
}

// SlotState is a slot's state and, unless stable, the other node of the
// move: the target of a migration or the source of an import.
type SlotState struct {
	Kind SlotStateKind
	Peer NodeID
}

// slotEntry is one slot of a Table: owner indexes into Table.members,
// primary first. A fixed array keeps a Table one flat allocation, so Clone
// is a copy and lookups never chase pointers.
type slotEntry struct {
	n      uint8 // owners in use; 0 means the slot is unassigned
	kind   SlotStateKind
	peer   uint16 // index of SlotState.Peer when kind != SlotStable
	pref   uint16 // 1 + index of the preferred primary (CLUSTER FAILOVER); 0 none
	owners [MaxOwners]uint16
}

// Table is a routing table: where every slot lives now, which may differ
// from the target Placement during failover and migration. Tables are
// issued by the coordinator with increasing epochs (see Newer) and travel
// between nodes (MarshalBinary).
//
// A Table is not safe for concurrent mutation. Once published to other
// goroutines it must be treated as immutable: make the next one with Clone
// and the setters, then publish that. The zero Table has no members and no
// assigned slots.
type Table struct {
	// Epoch orders tables: a node adopts a table only if it is Newer.
	Epoch uint64
	// Issuer is the coordinator that issued the table; it breaks epoch ties.
	Issuer NodeID

	members []Member          // sorted by ID; slot entries index into it
	index   map[NodeID]uint16 // ID -> position in members
	slots   [SlotCount]slotEntry
}

// NewTable returns a table with the given members and no slot assigned.
func NewTable(epoch uint64, issuer NodeID, members []Member) (*Table, error) {
	t := &Table{Epoch: epoch, Issuer: issuer}
	for _, m := range members {
		if _, ok := t.index[m.ID]; ok {
			return nil, fmt.Errorf("new table: member %s listed twice", m.ID)
		}
		if err := t.SetMember(m); err != nil {
			return nil, fmt.Errorf("new table: %w", err)
		}
	}
	return t, nil
}

// Clone returns a deep copy of t, to be changed into the next table.
func (t *Table) Clone() *Table {
	c := *t // copies the slot array
	c.members = slices.Clone(t.members)
	c.index = make(map[NodeID]uint16, len(t.index))
	for id, i := range t.index {
		c.index[id] = i
	}
	return &c
}

// Members returns a copy of the members, sorted by ID (nil if none).
func (t *Table) Members() []Member {
	if len(t.members) == 0 {
		return nil
	}
	return slices.Clone(t.members)
}

// Member returns the member with the given ID.
func (t *Table) Member(id NodeID) (Member, bool) {
	i, ok := t.index[id]
	if !ok {
		return Member{}, false
	}
	return t.members[i], true
}

// SetMember adds m to the table, or updates its addresses if its ID is
// already there.
func (t *Table) SetMember(m Member) error {
	if err := m.ID.Validate(); err != nil {
		return fmt.Errorf("set member: %w", err)
	}
	if len(m.Addr) > maxAddrLen || len(m.ClusterAddr) > maxAddrLen {
		return fmt.Errorf("set member %s: address longer than %d bytes", m.ID, maxAddrLen)
	}
	if i, ok := t.index[m.ID]; ok {
		t.members[i] = m
		return nil
	}
	if len(t.members) >= MaxMembers {
		return fmt.Errorf("set member %s: table already has %d members", m.ID, MaxMembers)
	}
	pos, _ := slices.BinarySearchFunc(t.members, m.ID, func(a Member, id NodeID) int {
		return strings.Compare(string(a.ID), string(id))
	})
	t.members = slices.Insert(t.members, pos, m)
	t.remap(func(i uint16) uint16 {
		if int(i) >= pos {
			return i + 1
		}
		return i
	})
	return nil
}

// RemoveMember drops a member that no slot refers to any more.
func (t *Table) RemoveMember(id NodeID) error {
	pos, ok := t.index[id]
	if !ok {
		return fmt.Errorf("remove member %s: %w", id, ErrNotMember)
	}
	for s := range t.slots {
		e := &t.slots[s]
		if slices.Contains(e.owners[:e.n], pos) || (e.kind != SlotStable && e.peer == pos) {
			return fmt.Errorf("remove member %s: slot %d still refers to it", id, s)
		}
	}
	for s := range t.slots {
		if t.slots[s].pref == pos+1 {
			t.slots[s].pref = 0
		}
	}
	t.members = slices.Delete(t.members, int(pos), int(pos)+1)
	t.remap(func(i uint16) uint16 {
		if i > pos {
			return i - 1
		}
		return i
	})
	return nil
}

// remap rebuilds the index after members changed and renumbers every slot
// entry's references with f.
func (t *Table) remap(f func(uint16) uint16) {
	t.index = make(map[NodeID]uint16, len(t.members))
	for i, m := range t.members {
		t.index[m.ID] = uint16(i)
	}
	for s := range t.slots {
		e := &t.slots[s]
		for k := range e.owners[:e.n] {
			e.owners[k] = f(e.owners[k])
		}
		if e.kind != SlotStable {
			e.peer = f(e.peer)
		}
		if e.pref != 0 {
			e.pref = f(e.pref-1) + 1
		}
	}
}

// SetOwners sets the owners of slot, primary first; no owners leaves the
// slot unassigned. Owners must be distinct members, at most MaxOwners. The
// slot's state is kept if it still makes sense (its peer is not the new
// primary), else reset to stable.
func (t *Table) SetOwners(slot uint16, owners ...NodeID) error {
	if err := checkSlot(slot); err != nil {
		return err
	}
	if len(owners) > MaxOwners {
		return fmt.Errorf("set owners of slot %d: %d owners, at most %d", slot, len(owners), MaxOwners)
	}
	var idx [MaxOwners]uint16
	for k, id := range owners {
		i, ok := t.index[id]
		if !ok {
			return fmt.Errorf("set owners of slot %d: %s: %w", slot, id, ErrNotMember)
		}
		if slices.Contains(idx[:k], i) {
			return fmt.Errorf("set owners of slot %d: %s listed twice", slot, id)
		}
		idx[k] = i
	}
	e := &t.slots[slot]
	e.owners, e.n = idx, uint8(len(owners))
	if e.kind != SlotStable && (e.n == 0 || e.peer == e.owners[0]) {
		e.kind, e.peer = SlotStable, 0
	}
	return nil
}

// SetState sets the state of slot. A migrating or importing slot needs a
// primary, and a peer that is a member other than that primary.
func (t *Table) SetState(slot uint16, st SlotState) error {
	if err := checkSlot(slot); err != nil {
		return err
	}
	e := &t.slots[slot]
	switch st.Kind {
	case SlotStable:
		if st.Peer != "" {
			return fmt.Errorf("set state of slot %d: a stable slot has no peer", slot)
		}
		e.kind, e.peer = SlotStable, 0
		return nil
	case SlotMigrating, SlotImporting:
	default:
		return fmt.Errorf("set state of slot %d: unknown state %d", slot, st.Kind)
	}
	if e.n == 0 {
		return fmt.Errorf("set state of slot %d to %s: the slot has no primary", slot, st.Kind)
	}
	peer, ok := t.index[st.Peer]
	if !ok {
		return fmt.Errorf("set state of slot %d to %s: peer %q: %w", slot, st.Kind, st.Peer, ErrNotMember)
	}
	if peer == e.owners[0] {
		return fmt.Errorf("set state of slot %d to %s: peer %s is the primary", slot, st.Kind, st.Peer)
	}
	e.kind, e.peer = st.Kind, peer
	return nil
}

// Assign makes every slot's owners those of the target placement, all
// stable: the table of a cluster at rest, and the first table of a new one.
// Every member of p must already be a member of t.
func (t *Table) Assign(p *Placement) error {
	remap := make([]uint16, len(p.members))
	for i, id := range p.members {
		j, ok := t.index[id]
		if !ok {
			return fmt.Errorf("assign placement: %s: %w", id, ErrNotMember)
		}
		remap[i] = j
	}
	stride := 1 + p.replicas
	for s := range t.slots {
		e := slotEntry{n: uint8(stride)}
		for k, i := range p.owners[s*stride : (s+1)*stride] {
			e.owners[k] = remap[i]
		}
		t.slots[s] = e
	}
	return nil
}

// SetPreferred records that id should lead slot rather than the primary
// the placement gives it (CLUSTER FAILOVER on a replica); "" clears the
// preference. The coordinator honours it while id is one of the slot's
// target owners (Placement.WithPreferences) and drops it when id leaves.
func (t *Table) SetPreferred(slot uint16, id NodeID) error {
	if err := checkSlot(slot); err != nil {
		return err
	}
	if id == "" {
		t.slots[slot].pref = 0
		return nil
	}
	i, ok := t.index[id]
	if !ok {
		return fmt.Errorf("set preferred primary of slot %d: %s: %w", slot, id, ErrNotMember)
	}
	t.slots[slot].pref = i + 1
	return nil
}

// Preferred returns the preferred primary of slot, or "" if none.
func (t *Table) Preferred(slot uint16) NodeID {
	if slot >= SlotCount || t.slots[slot].pref == 0 {
		return ""
	}
	return t.members[t.slots[slot].pref-1].ID
}

// ClearPreferred drops every preference naming id, and reports how many
// there were.
func (t *Table) ClearPreferred(id NodeID) int {
	i, ok := t.index[id]
	if !ok {
		return 0
	}
	n := 0
	for s := range t.slots {
		if t.slots[s].pref == i+1 {
			t.slots[s].pref = 0
			n++
		}
	}
	return n
}

func checkSlot(slot uint16) error {
	if slot >= SlotCount {
		return fmt.Errorf("slot %d out of range 0-%d", slot, SlotCount-1)
	}
	return nil
}

// Primary returns the primary of slot, or "" if the slot is unassigned or
// out of range.
func (t *Table) Primary(slot uint16) NodeID {
	if slot >= SlotCount || t.slots[slot].n == 0 {
		return ""
	}
	return t.members[t.slots[slot].owners[0]].ID
}

// Owners returns the owners of slot, primary first, then the replicas.
func (t *Table) Owners(slot uint16) []NodeID {
	if slot >= SlotCount {
		return nil
	}
	return t.AppendOwners(make([]NodeID, 0, t.slots[slot].n), slot)
}

// AppendOwners appends the owners of slot, primary first, to dst: Owners
// without an allocation, for loops over every slot.
func (t *Table) AppendOwners(dst []NodeID, slot uint16) []NodeID {
	if slot >= SlotCount {
		return dst
	}
	e := &t.slots[slot]
	for _, i := range e.owners[:e.n] {
		dst = append(dst, t.members[i].ID)
	}
	return dst
}

// OthersOwning returns how many owners of slot, primary and replicas, are
// not id: the copies the table asks for besides id's own. Allocation-free,
// for the write path.
func (t *Table) OthersOwning(slot uint16, id NodeID) int {
	if slot >= SlotCount {
		return 0
	}
	if len(t.members) == 1 && t.members[0].ID == id {
		return 0 // a cluster of one: no slot entry to load (every write asks)
	}
	e := &t.slots[slot]
	n := int(e.n)
	for _, i := range e.owners[:e.n] { // a few owners: cheaper than hashing id
		if t.members[i].ID == id {
			return n - 1
		}
	}
	return n
}

// IsOwner reports whether id is the primary or a replica of slot.
func (t *Table) IsOwner(slot uint16, id NodeID) bool {
	i, ok := t.index[id]
	if !ok || slot >= SlotCount {
		return false
	}
	e := &t.slots[slot]
	return slices.Contains(e.owners[:e.n], i)
}

// State returns the state of slot.
func (t *Table) State(slot uint16) SlotState {
	if slot >= SlotCount {
		return SlotState{}
	}
	e := &t.slots[slot]
	if e.kind == SlotStable {
		return SlotState{}
	}
	return SlotState{Kind: e.kind, Peer: t.members[e.peer].ID}
}

// Assigned counts the slots that have a primary (cluster_slots_assigned).
func (t *Table) Assigned() int {
	n := 0
	for s := range t.slots {
		if t.slots[s].n > 0 {
			n++
		}
	}
	return n
}

// PrimarySlots returns the slots id leads, ascending.
func (t *Table) PrimarySlots(id NodeID) []uint16 {
	return t.slotsWhere(id, func(e *slotEntry, i uint16) bool { return e.n > 0 && e.owners[0] == i })
}

// ReplicaSlots returns the slots id replicates, ascending.
func (t *Table) ReplicaSlots(id NodeID) []uint16 {
	return t.slotsWhere(id, func(e *slotEntry, i uint16) bool { return e.n > 1 && slices.Contains(e.owners[1:e.n], i) })
}

// SlotsOf returns the slots id owns in any role, ascending.
func (t *Table) SlotsOf(id NodeID) []uint16 {
	return t.slotsWhere(id, func(e *slotEntry, i uint16) bool { return slices.Contains(e.owners[:e.n], i) })
}

func (t *Table) slotsWhere(id NodeID, match func(*slotEntry, uint16) bool) []uint16 {
	i, ok := t.index[id]
	if !ok {
		return nil
	}
	var out []uint16
	for s := range t.slots {
		if match(&t.slots[s], i) {
			out = append(out, uint16(s))
		}
	}
	return out
}

// SlotRange is the inclusive range of slots Start..End, as Redis writes
// them in CLUSTER NODES and CLUSTER SLOTS.
type SlotRange struct {
	Start, End uint16
}

// String writes the range as CLUSTER NODES does: "5" or "0-5460".
func (r SlotRange) String() string {
	if r.Start == r.End {
		return fmt.Sprint(r.Start)
	}
	return fmt.Sprintf("%d-%d", r.Start, r.End)
}

// Ranges returns the maximal ranges of consecutive slots that id leads,
// ascending: the slot list of its CLUSTER NODES line.
func (t *Table) Ranges(id NodeID) []SlotRange {
	return rangesOf(t.PrimarySlots(id))
}

// rangesOf merges ascending slots into maximal ranges.
func rangesOf(slots []uint16) []SlotRange {
	var out []SlotRange
	for _, s := range slots {
		if n := len(out); n > 0 && out[n-1].End+1 == s {
			out[n-1].End = s
			continue
		}
		out = append(out, SlotRange{Start: s, End: s})
	}
	return out
}

// OwnedRange is a maximal range of consecutive slots with the same owners.
type OwnedRange struct {
	SlotRange
	Owners []NodeID // primary first
}

// OwnedRanges returns every assigned slot grouped into maximal ranges with
// identical owner lists, ascending: the entries of CLUSTER SLOTS.
func (t *Table) OwnedRanges() []OwnedRange {
	var out []OwnedRange
	var prev *slotEntry
	for s := range t.slots {
		e := &t.slots[s]
		if e.n == 0 {
			prev = nil
			continue
		}
		if prev != nil && prev.n == e.n && prev.owners == e.owners {
			out[len(out)-1].End = uint16(s)
		} else {
			out = append(out, OwnedRange{SlotRange: SlotRange{uint16(s), uint16(s)}, Owners: t.Owners(uint16(s))})
		}
		prev = e
	}
	return out
}

// Newer reports whether table a supersedes table b: a higher epoch, or the
// same epoch issued by a greater node ID (two coordinators that raced to the
// same epoch during a membership change agree on one winner). Any table is
// newer than nil; nil is newer than nothing.
func Newer(a, b *Table) bool {
	switch {
	case a == nil:
		return false
	case b == nil:
		return true
	case a.Epoch != b.Epoch:
		return a.Epoch > b.Epoch
	}
	return a.Issuer > b.Issuer
}
