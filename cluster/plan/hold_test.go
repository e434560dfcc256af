package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// holdFixture is a table of a, b, c, d and e at rest on target (a, b, c),
// but for slot s, whose only copies are on d and e, both cut off: the
// view sees a, b and c.
type holdFixture struct {
	p     *ring.Placement
	tb    *ring.Table
	s     uint16
	v     View
	holds *Holds
	t0    time.Time
}

func newHoldFixture(t *testing.T) *holdFixture {
	t.Helper()
	p := target(t)
	tb := settledTable(t, p, a, b, c, d, e)
	s := slotsWhere(p, a, b, 1)[0]
	setSlot(t, tb, s, ring.SlotState{}, d, e)
	return &holdFixture{p: p, tb: tb, s: s, v: viewOf(a, b, c), holds: &Holds{}, t0: time.Unix(1000, 0)}
}

func (f *holdFixture) data(v View, now time.Time) Kind {
	return Data(f.tb, v, Placed(v), f.p, f.holds, now)
}

// failover runs one failover step at now and returns the next table.
func (f *holdFixture) failover(t *testing.T, states States, now time.Time) (*ring.Table, FailoverOutcome) {
	t.Helper()
	orphans, _ := Orphans(f.tb, f.v, nil)
	next := NextTable(f.tb, f.v, a)
	out, err := FailoverStep(next, f.tb, f.v, f.p, orphans, states, f.holds, now)
	require.NoError(t, err)
	return next, out
}

// TestHoldStopsAsking: a held slot is written nothing, and asks for no
// step until HoldRecheck has passed; it is then asked about again.
func TestHoldStopsAsking(t *testing.T) {
	f := newHoldFixture(t)
	require.Equal(t, Failover, f.data(f.v, f.t0), "a dead primary, not held yet")
	next, out := f.failover(t, nil, f.t0)
	assert.Equal(t, FailoverOutcome{Held: 1}, out)
	assert.Empty(t, f.tb.Changes(next), "a held slot is written nothing")
	assert.Equal(t, "d,e stable", owners(next, f.s))

	assert.Equal(t, None, f.data(f.v, f.t0.Add(time.Second)),
		"held: no failover, no members step (d and e name only the held slot), no rebalance")
	assert.Equal(t, Failover, f.data(f.v, f.t0.Add(HoldRecheck)), "asked about again")
	_, out = f.failover(t, nil, f.t0.Add(HoldRecheck))
	assert.Equal(t, 1, out.Held, "still no copy")
}

// TestHoldReturn: when a copy comes back, its slot serves again as it was:
// the failover step promotes the synced replica that returned, or the
// primary is alive again and no step touches the slot but to drop its
// dead replica.
func TestHoldReturn(t *testing.T) {
	t.Run("the replica returns", func(t *testing.T) {
		f := newHoldFixture(t)
		f.failover(t, nil, f.t0)
		f.v = viewOf(a, b, c, e)
		assert.Equal(t, Failover, f.data(f.v, f.t0.Add(time.Second)), "a copy may be back: ask")
		next, out := f.failover(t, synced(nil, e, d, 40, f.s), f.t0.Add(time.Second))
		assert.Equal(t, FailoverOutcome{Changed: 1}, out)
		assert.Equal(t, "e,a stable", owners(next, f.s), "e leads, and the target's alive owner a is named its new replica")
		assert.Zero(t, f.holds.Len())
	})
	t.Run("the primary returns", func(t *testing.T) {
		f := newHoldFixture(t)
		f.failover(t, nil, f.t0)
		f.v = viewOf(a, b, c, d)
		assert.Equal(t, Members, f.data(f.v, f.t0.Add(time.Second)), "e is a dead replica of a slot served again")
		f.holds.Prune(f.tb, viewOf(a, b, c))
		assert.Equal(t, 1, f.holds.Len(), "still down: still held")
		f.holds.Prune(f.tb, f.v)
		assert.Zero(t, f.holds.Len(), "its primary is back: no longer held")
		next := NextTable(f.tb, f.v, a)
		_, err := MembersStep(next, f.v, Placed(f.v), nil)
		require.NoError(t, err)
		assert.Equal(t, "d stable", owners(next, f.s))
	})
}

// TestHoldEmptyAfter: with Holds.EmptyAfter, a slot held that long goes
// to a live node empty, counted as lost; a second fault meanwhile does not
// restart the delay.
func TestHoldEmptyAfter(t *testing.T) {
	f := newHoldFixture(t)
	f.holds.EmptyAfter = 30 * time.Second
	f.failover(t, nil, f.t0)
	assert.Equal(t, None, f.data(f.v, f.t0.Add(time.Second)))

	// A second fault: c dies; its slots have synced replicas.
	f.v = viewOf(a, b)
	require.Equal(t, Failover, f.data(f.v, f.t0.Add(2*time.Second)))
	states := States{}
	for _, sl := range f.tb.PrimarySlots(c) {
		synced(states, f.tb.Owners(sl)[1], c, 7, sl)
	}
	next, out := f.failover(t, states, f.t0.Add(2*time.Second))
	assert.Equal(t, len(f.tb.PrimarySlots(c)), out.Changed, "c's slots fail over")
	assert.Equal(t, 1, out.Held, "the held slot stays held")
	assert.Zero(t, out.Lost)
	assert.Equal(t, "d,e stable", owners(next, f.s))
	f.tb = next

	next, out = f.failover(t, nil, f.t0.Add(f.holds.EmptyAfter-time.Second))
	assert.Equal(t, FailoverOutcome{Held: 1}, out, "a recheck before the delay: not due yet")
	assert.Empty(t, f.tb.Changes(next))
	due := f.t0.Add(f.holds.EmptyAfter)
	require.Equal(t, Failover, f.data(f.v, due), "due from the first hold, not the second fault")
	next, out = f.failover(t, nil, due)
	assert.Equal(t, FailoverOutcome{Changed: 1, Lost: 1}, out)
	assert.Equal(t, targetOwners(f.p, f.s), owners(next, f.s), "the target primary takes it over, empty, with the target's replica")
}

// TestHoldJoin: a member joins during a hold; the members step and the
// rebalance go on around the held slot, which takes no place in the batch.
func TestHoldJoin(t *testing.T) {
	f := newHoldFixture(t)
	f.failover(t, nil, f.t0)
	g := ring.NodeID("f" + string(a[1:]))
	joined := viewOf(a, b, c, g)
	now := f.t0.Add(time.Second)
	require.Equal(t, Members, f.data(joined, now))
	next := NextTable(f.tb, joined, a)
	_, err := MembersStep(next, joined, Placed(joined), nil)
	require.NoError(t, err)
	assert.Equal(t, "d,e stable", owners(next, f.s), "the members step leaves a held slot alone")
	_, named := next.Member(g)
	require.True(t, named)

	f.tb, f.v = next, joined
	p4, err := ring.Place([]ring.NodeID{a, b, c, g}, 1)
	require.NoError(t, err)
	require.Equal(t, Rebalance, Data(f.tb, joined, Placed(joined), p4, f.holds, now))
	pass := NewRebalance(f.tb, joined, p4, 1)
	for id, slots := range pass.Ask {
		assert.NotContains(t, slots, f.s, "%s asked about the held slot", id[:1])
	}
	reb := NextTable(f.tb, joined, a)
	out, err := pass.Apply(reb, nil, nil)
	require.NoError(t, err)
	assert.Positive(t, out.Changed, "the join's moves start")
	assert.Equal(t, "d,e stable", owners(reb, f.s))
}

// TestDropDeadLeavesDownSlots: DropDead does not drop a down slot's dead
// owners, though a live one remains (the live one is no synced copy, or
// the failover step would have promoted it).
func TestDropDeadLeavesDownSlots(t *testing.T) {
	p := target(t)
	tb := settledTable(t, p, a, b, c, d, e)
	s := slotsWhere(p, a, b, 2)
	setSlot(t, tb, s[0], ring.SlotState{}, d, a)
	setSlot(t, tb, s[1], migratingTo(a), d, e, a)
	v := viewOf(a, b, c)
	assert.False(t, MembersChanged(tb, v, Placed(v)), "d and e name only down slots")
	_, err := DropDead(tb, v, nil)
	require.NoError(t, err)
	assert.Equal(t, "d,a stable", owners(tb, s[0]))
	assert.Equal(t, "d,e,a migrating", owners(tb, s[1]))
}
