package ring

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testMembers names ids with loopback addresses, as a local cluster would.
func testMembers(ids []NodeID) []Member {
	ms := make([]Member, len(ids))
	for i, id := range ids {
		ms[i] = Member{ID: id, Addr: fmt.Sprintf("127.0.0.1:%d", 7000+i), ClusterAddr: fmt.Sprintf("127.0.0.1:%d", 17000+i)}
	}
	return ms
}

// placedTable returns the table of a cluster at rest on p.
func placedTable(t testing.TB, epoch uint64, p *Placement) *Table {
	t.Helper()
	tbl, err := NewTable(epoch, p.Members()[0], testMembers(p.Members()))
	require.NoError(t, err)
	require.NoError(t, tbl.Assign(p))
	return tbl
}

func TestTableAssignMatchesPlacement(t *testing.T) {
	ids := testIDs(5, 5)
	p := mustPlace(t, ids, 1)
	tbl := placedTable(t, 1, p)
	require.Equal(t, SlotCount, tbl.Assigned())
	for s := range uint16(SlotCount) {
		if tbl.Primary(s) != p.Primary(s) {
			t.Fatalf("slot %d: table primary %s, placement %s", s, tbl.Primary(s), p.Primary(s))
		}
	}
	assert.Equal(t, p.Owners(100), tbl.Owners(100))
	assert.Empty(t, tbl.Diff(p), "a table assigned from a placement has nothing left to do")

	total := 0
	for _, id := range ids {
		prim, repl, all := tbl.PrimarySlots(id), tbl.ReplicaSlots(id), tbl.SlotsOf(id)
		assert.Equal(t, p.Loads()[id], Load{Primaries: len(prim), Replicas: len(repl)})
		assert.Len(t, all, len(prim)+len(repl))
		total += len(prim)
		for _, s := range prim {
			require.Equal(t, id, tbl.Primary(s))
			require.True(t, tbl.IsOwner(s, id))
		}
		// Ranges cover exactly the primary slots, merged and ascending.
		var fromRanges []uint16
		for i, r := range tbl.Ranges(id) {
			require.LessOrEqual(t, r.Start, r.End)
			if i > 0 {
				require.Greater(t, r.Start, tbl.Ranges(id)[i-1].End+1, "ranges not maximal")
			}
			for s := int(r.Start); s <= int(r.End); s++ {
				fromRanges = append(fromRanges, uint16(s))
			}
		}
		require.Equal(t, prim, fromRanges)
	}
	require.Equal(t, SlotCount, total)
}

func TestTableOwnedRanges(t *testing.T) {
	ids := testIDs(4, 9)
	tbl, err := NewTable(3, ids[0], testMembers(ids))
	require.NoError(t, err)
	for s := range uint16(100) {
		require.NoError(t, tbl.SetOwners(s, ids[0], ids[1]))
	}
	for s := uint16(100); s < 200; s++ {
		require.NoError(t, tbl.SetOwners(s, ids[0], ids[2]))
	}
	require.NoError(t, tbl.SetOwners(200, ids[3]))
	// 201..16383 stay unassigned.
	want := []OwnedRange{
		{SlotRange{0, 99}, []NodeID{ids[0], ids[1]}},
		{SlotRange{100, 199}, []NodeID{ids[0], ids[2]}},
		{SlotRange{200, 200}, []NodeID{ids[3]}},
	}
	assert.Equal(t, want, tbl.OwnedRanges())
	assert.Equal(t, 201, tbl.Assigned())
	assert.Equal(t, []SlotRange{{0, 199}}, tbl.Ranges(ids[0]))
	assert.Equal(t, "0-199", tbl.Ranges(ids[0])[0].String())
	assert.Equal(t, "200", tbl.Ranges(ids[3])[0].String())
	assert.Equal(t, NodeID(""), tbl.Primary(5000))
	assert.Empty(t, tbl.Owners(5000))

	// A placed table's ranges tile the whole slot space.
	p := mustPlace(t, ids, 1)
	next := uint16(0)
	for _, r := range placedTable(t, 1, p).OwnedRanges() {
		require.Equal(t, next, r.Start)
		require.Equal(t, p.Owners(r.Start), r.Owners)
		next = r.End + 1
	}
	require.Equal(t, uint16(SlotCount), next)
}

func TestTableSetters(t *testing.T) {
	ids := testIDs(4, 11)
	stranger := testIDs(5, 11)[4]
	tbl, err := NewTable(1, ids[0], testMembers(ids[:3]))
	require.NoError(t, err)

	cases := []struct {
		name string
		err  error // nil: any error
		do   func() error
	}{
		{"owner not a member", ErrNotMember, func() error { return tbl.SetOwners(1, ids[0], stranger) }},
		{"owner twice", nil, func() error { return tbl.SetOwners(1, ids[0], ids[0]) }},
		{"too many owners", nil, func() error { return tbl.SetOwners(1, testIDs(MaxOwners+1, 3)...) }},
		{"slot out of range", nil, func() error { return tbl.SetOwners(SlotCount, ids[0]) }},
		{"state without primary", nil, func() error { return tbl.SetState(2, SlotState{SlotMigrating, ids[1]}) }},
		{"state peer is primary", nil, func() error { return tbl.SetState(1, SlotState{SlotMigrating, ids[0]}) }},
		{"state peer not a member", ErrNotMember, func() error { return tbl.SetState(1, SlotState{SlotImporting, stranger}) }},
		{"stable with peer", nil, func() error { return tbl.SetState(1, SlotState{SlotStable, ids[1]}) }},
		{"unknown state", nil, func() error { return tbl.SetState(1, SlotState{numSlotStates, ids[1]}) }},
		{"invalid member", ErrInvalidNodeID, func() error { return tbl.SetMember(Member{ID: "nope"}) }},
		{"long address", nil, func() error { return tbl.SetMember(Member{ID: stranger, Addr: string(make([]byte, 256))}) }},
		{"remove unknown", ErrNotMember, func() error { return tbl.RemoveMember(stranger) }},
		{"remove owner", nil, func() error { return tbl.RemoveMember(ids[0]) }},
	}
	require.NoError(t, tbl.SetOwners(1, ids[0], ids[1]))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.do()
			require.Error(t, err)
			if c.err != nil {
				require.ErrorIs(t, err, c.err)
			}
			// A failed setter changes nothing.
			assert.Equal(t, []NodeID{ids[0], ids[1]}, tbl.Owners(1))
			assert.Equal(t, SlotState{}, tbl.State(1))
			assert.Len(t, tbl.Members(), 3)
		})
	}

	require.NoError(t, tbl.SetState(1, SlotState{SlotMigrating, ids[2]}))
	assert.Equal(t, SlotState{SlotMigrating, ids[2]}, tbl.State(1))
	// Making the peer primary ends the move.
	require.NoError(t, tbl.SetOwners(1, ids[2], ids[0]))
	assert.Equal(t, SlotState{}, tbl.State(1))
	require.NoError(t, tbl.SetState(1, SlotState{SlotImporting, ids[0]}))
	assert.Equal(t, SlotState{SlotImporting, ids[0]}, tbl.State(1))
	require.NoError(t, tbl.SetState(1, SlotState{}))
	assert.Equal(t, SlotState{}, tbl.State(1))
	// A member referenced by no slot can go.
	require.NoError(t, tbl.RemoveMember(ids[1]))
	_, ok := tbl.Member(ids[1])
	assert.False(t, ok)
}

// TestTableOthersOwning counts the copies a table asks for besides one
// node's own (the replica acknowledgement's "named replicas").
func TestTableOthersOwning(t *testing.T) {
	ids := testIDs(4, 11)
	tbl, err := NewTable(1, ids[0], testMembers(ids[:3]))
	require.NoError(t, err)
	require.NoError(t, tbl.SetOwners(1, ids[0], ids[1]))
	require.NoError(t, tbl.SetOwners(2, ids[0]))
	for _, c := range []struct {
		slot uint16
		id   NodeID
		want int
	}{
		{1, ids[0], 1},         // the primary, one replica named
		{1, ids[1], 1},         // the replica: the primary
		{1, ids[2], 2},         // not an owner: both
		{1, ids[3], 2},         // not a member: both
		{2, ids[0], 0},         // no replica named
		{3, ids[0], 0},         // unassigned
		{SlotCount, ids[0], 0}, // out of range
	} {
		assert.Equal(t, c.want, tbl.OthersOwning(c.slot, c.id), "slot %d, %s", c.slot, c.id)
	}
	// A table of one member: no other owner for it, the member for anyone else.
	one, err := NewTable(1, ids[0], testMembers(ids[:1]))
	require.NoError(t, err)
	require.NoError(t, one.SetOwners(5, ids[0]))
	assert.Equal(t, 0, one.OthersOwning(5, ids[0]))
	assert.Equal(t, 1, one.OthersOwning(5, ids[1]))
	assert.Equal(t, 0, one.OthersOwning(6, ids[1]), "unassigned")
}

// TestTableMembersRenumber adds and removes members that sort before and
// after the owners, which renumbers the internal indexes.
func TestTableMembersRenumber(t *testing.T) {
	ids := testIDs(40, 13)
	p := mustPlace(t, ids[10:20], 2)
	tbl := placedTable(t, 1, p)
	for _, id := range slices.Concat(ids[:10], ids[20:]) {
		require.NoError(t, tbl.SetMember(Member{ID: id, Addr: "10.0.0.1:6379"}))
	}
	require.NoError(t, tbl.SetState(7, SlotState{SlotMigrating, ids[0]}))
	for _, id := range ids[20:] {
		require.NoError(t, tbl.RemoveMember(id))
	}
	require.Len(t, tbl.Members(), 20)
	for s := range uint16(SlotCount) {
		if want := p.Owners(s); !equalIDs(want, tbl.Owners(s)) {
			t.Fatalf("slot %d: owners %v after renumbering, want %v", s, tbl.Owners(s), want)
		}
	}
	assert.Equal(t, SlotState{SlotMigrating, ids[0]}, tbl.State(7))
	// Updating a member keeps its place and changes its address.
	require.NoError(t, tbl.SetMember(Member{ID: ids[12], Addr: "10.9.9.9:6380"}))
	m, ok := tbl.Member(ids[12])
	require.True(t, ok)
	assert.Equal(t, "10.9.9.9:6380", m.Addr)
	assert.Len(t, tbl.Members(), 20)
	for i, m := range tbl.Members()[1:] {
		require.Less(t, tbl.Members()[i].ID, m.ID, "members not sorted")
	}
}

func equalIDs(a, b []NodeID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTableClone(t *testing.T) {
	ids := testIDs(3, 17)
	orig := placedTable(t, 4, mustPlace(t, ids, 1))
	c := orig.Clone()
	extra := testIDs(4, 18)[3]
	require.NoError(t, c.SetMember(Member{ID: extra}))
	require.NoError(t, c.SetOwners(0, extra))
	c.Epoch++
	assert.NotEqual(t, extra, orig.Primary(0))
	_, ok := orig.Member(extra)
	assert.False(t, ok, "Clone shares members")
	assert.Len(t, orig.Members(), 3)
	assert.Equal(t, uint64(4), orig.Epoch)
	assert.Equal(t, extra, c.Primary(0))
}

func TestNewTableErrors(t *testing.T) {
	ids := testIDs(2, 19)
	_, err := NewTable(1, ids[0], []Member{{ID: ids[0]}, {ID: ids[0]}})
	require.Error(t, err)
	_, err = NewTable(1, ids[0], []Member{{ID: "bad"}})
	require.ErrorIs(t, err, ErrInvalidNodeID)

	p := mustPlace(t, ids, 1)
	tbl, err := NewTable(1, ids[0], testMembers(ids[:1]))
	require.NoError(t, err)
	require.ErrorIs(t, tbl.Assign(p), ErrNotMember)
	assert.Zero(t, tbl.Assigned())

	var zero Table
	assert.Zero(t, zero.Assigned())
	assert.Equal(t, NodeID(""), zero.Primary(0))
	assert.Nil(t, zero.PrimarySlots(ids[0]))
	assert.False(t, zero.IsOwner(0, ids[0]))
}

func TestNewer(t *testing.T) {
	low, high := NodeID("1111111111111111111111111111111111111111"), NodeID("f111111111111111111111111111111111111111")
	tab := func(epoch uint64, issuer NodeID) *Table { return &Table{Epoch: epoch, Issuer: issuer} }
	cases := []struct {
		name string
		a, b *Table
		want bool
	}{
		{"higher epoch", tab(5, low), tab(4, high), true},
		{"lower epoch", tab(4, high), tab(5, low), false},
		{"tie, greater issuer", tab(5, high), tab(5, low), true},
		{"tie, smaller issuer", tab(5, low), tab(5, high), false},
		{"same table", tab(5, low), tab(5, low), false},
		{"anything beats nil", tab(0, low), nil, true},
		{"nil beats nothing", nil, tab(0, low), false},
		{"nil vs nil", nil, nil, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, Newer(c.a, c.b))
		})
	}
}

func TestTableDiff(t *testing.T) {
	ids := testIDs(4, 23)
	old := mustPlace(t, ids[:3], 1)
	tbl := placedTable(t, 1, old)
	require.NoError(t, tbl.SetMember(Member{ID: ids[3]}))
	target := mustPlace(t, ids, 1)

	diffs := tbl.Diff(target)
	require.NotEmpty(t, diffs)
	moved, replicas := 0, 0
	for i, d := range diffs {
		if i > 0 {
			require.Less(t, diffs[i-1].Slot, d.Slot)
		}
		require.Equal(t, tbl.Owners(d.Slot), d.From)
		require.Equal(t, target.Owners(d.Slot), d.To)
		require.True(t, d.PrimaryChanged() || d.ReplicasChanged())
		if d.PrimaryChanged() {
			moved++
		}
		if d.ReplicasChanged() {
			replicas++
		}
	}
	assert.Equal(t, movedPrimaries(old, target), moved)
	t.Logf("3 -> 4 members: %d slots differ, %d change primary, %d change replicas", len(diffs), moved, replicas)

	// Converging slot by slot empties the diff; a moving slot stays listed
	// until it is stable again.
	next := tbl.Clone()
	next.Epoch++
	for _, d := range diffs {
		require.NoError(t, next.SetOwners(d.Slot, d.To...))
	}
	i := slices.IndexFunc(diffs, SlotDiff.PrimaryChanged)
	require.GreaterOrEqual(t, i, 0)
	handoff := diffs[i]
	importing := SlotState{SlotImporting, handoff.From[0]}
	require.NoError(t, next.SetState(handoff.Slot, importing))
	if d := next.Diff(target); assert.Len(t, d, 1) {
		assert.Equal(t, handoff.Slot, d[0].Slot)
		assert.False(t, d[0].PrimaryChanged())
		assert.Equal(t, importing, d[0].FromState)
	}
	require.NoError(t, next.SetState(handoff.Slot, SlotState{}))
	assert.Empty(t, next.Diff(target))

	// Changes between two tables: the same slots, plus state changes.
	require.NoError(t, next.SetState(handoff.Slot, importing))
	changes := tbl.Changes(next)
	require.Len(t, changes, len(diffs))
	assert.Equal(t, importing, changes[i].ToState)
	assert.Equal(t, SlotState{}, changes[i].FromState)
	require.NoError(t, next.SetState(handoff.Slot, SlotState{}))
	assert.Empty(t, next.Changes(next.Clone()))
	stateOnly := next.Clone()
	require.NoError(t, stateOnly.SetState(handoff.Slot, importing))
	if c := next.Changes(stateOnly); assert.Len(t, c, 1) {
		assert.False(t, c[0].PrimaryChanged() || c[0].ReplicasChanged())
	}
}

func TestSlotDiffSets(t *testing.T) {
	a, b, c, d := NodeID("a"), NodeID("b"), NodeID("c"), NodeID("d")
	cases := []struct {
		name              string
		from, to          []NodeID
		primary, replicas bool
		added, removed    []NodeID
	}{
		{"same", []NodeID{a, b, c}, []NodeID{a, b, c}, false, false, nil, nil},
		{"replica order", []NodeID{a, b, c}, []NodeID{a, c, b}, false, false, nil, nil},
		{"promote", []NodeID{a, b}, []NodeID{b, a}, true, true, nil, nil},
		{"new replica", []NodeID{a, b}, []NodeID{a, c}, false, true, []NodeID{c}, []NodeID{b}},
		{"extra replica", []NodeID{a, b}, []NodeID{a, b, d}, false, true, []NodeID{d}, nil},
		{"assign", nil, []NodeID{a}, true, false, []NodeID{a}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sd := SlotDiff{From: tc.from, To: tc.to}
			assert.Equal(t, tc.primary, sd.PrimaryChanged())
			assert.Equal(t, tc.replicas, sd.ReplicasChanged())
			assert.Equal(t, tc.added, sd.Added())
			assert.Equal(t, tc.removed, sd.Removed())
		})
	}
}

// Slots are placed on the circle in order, so each node's primaries form a
// few contiguous ranges (about one per virtual node) and CLUSTER SLOTS stays
// short, instead of thousands of scattered single slots.
func TestTablePrimaryRangesAreFew(t *testing.T) {
	for _, n := range []int{1, 3, 8, 32} {
		tbl := placedTable(t, 1, mustPlace(t, testIDs(n, 7), 1))
		total := 0
		for _, id := range tbl.Members() {
			ranges := tbl.Ranges(id.ID)
			assert.LessOrEqual(t, len(ranges), 3*virtualNodes, "%d nodes: ranges of %s", n, id.ID)
			total += len(ranges)
		}
		t.Logf("%d nodes: %d ranges in all (%d in CLUSTER SLOTS)", n, total, len(tbl.OwnedRanges()))
	}
}

func TestTablePreferred(t *testing.T) {
	ids := testIDs(4, 37)
	tbl, err := NewTable(1, ids[0], testMembers(ids[1:]))
	require.NoError(t, err)
	require.NoError(t, tbl.SetOwners(5, ids[1], ids[2]))
	require.NoError(t, tbl.SetOwners(6, ids[1], ids[3]))

	require.Equal(t, NodeID(""), tbl.Preferred(5))
	require.NoError(t, tbl.SetPreferred(5, ids[2]))
	require.NoError(t, tbl.SetPreferred(6, ids[3]))
	require.ErrorIs(t, tbl.SetPreferred(7, ids[0]), ErrNotMember)
	require.Error(t, tbl.SetPreferred(SlotCount, ids[2]))
	require.Equal(t, NodeID(""), tbl.Preferred(SlotCount))

	// A member inserted before the others renumbers them; the preferences
	// still name the same nodes.
	require.NoError(t, tbl.SetMember(Member{ID: ids[0]}))
	require.Equal(t, ids[2], tbl.Preferred(5))
	require.Equal(t, ids[3], tbl.Preferred(6))
	c := tbl.Clone()
	require.NoError(t, c.SetPreferred(5, ""))
	require.Equal(t, ids[2], tbl.Preferred(5), "clone shares no state")

	// A removed member takes its preferences with it.
	require.NoError(t, tbl.SetOwners(6, ids[1]))
	require.NoError(t, tbl.RemoveMember(ids[3]))
	require.Equal(t, NodeID(""), tbl.Preferred(6))
	require.Equal(t, ids[2], tbl.Preferred(5))

	require.Equal(t, 1, tbl.ClearPreferred(ids[2]))
	require.Equal(t, NodeID(""), tbl.Preferred(5))
	require.Equal(t, 0, tbl.ClearPreferred(ids[3]))
}
