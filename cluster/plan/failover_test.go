package plan

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestFailover fails over slot s of a table whose primary there is d; a, b
// and c are its replicas where the test says so.
func TestFailover(t *testing.T) {
	tests := []struct {
		name      string
		owners    []ring.NodeID // d first
		alive     []ring.NodeID
		answering []ring.NodeID
		states    States
		wantAsk   []ring.NodeID // nodes asked about s
		wantOrph  bool
		// takeover: the slot was held for Holds.EmptyAfter already, so
		// a live node may take it over empty.
		takeover bool
		want     string // owners of s after the step
		wantLost int
		wantHeld int
	}{{
		name:     "the synced replica with the highest applied offset leads",
		owners:   []ring.NodeID{d, a, b, c},
		alive:    []ring.NodeID{a, b, c},
		states:   States{a: {0: {Source: d, Applied: 5, Synced: true}}, b: {0: {Source: d, Applied: 9, Synced: true}}, c: {0: {Source: d, Applied: 7, Synced: true}}},
		wantAsk:  []ring.NodeID{a, b, c},
		wantOrph: true,
		want:     "b,a,c stable",
	}, {
		name:     "on a tie the first owner leads",
		owners:   []ring.NodeID{d, c, a},
		alive:    []ring.NodeID{a, b, c},
		states:   States{a: {0: {Source: d, Applied: 9, Synced: true}}, c: {0: {Source: d, Applied: 9, Synced: true}}},
		wantAsk:  []ring.NodeID{a, c},
		wantOrph: true,
		want:     "c,a stable",
	}, {
		name:   "a replica not synced, or synced to another source, is passed over",
		owners: []ring.NodeID{d, a, b, c},
		alive:  []ring.NodeID{a, b, c},
		states: States{
			a: {0: {Source: d, Applied: 99}},               // being built
			b: {0: {Source: e, Applied: 50, Synced: true}}, // follows someone else
			c: {0: {Source: d, Applied: 1, Synced: true}},
		},
		wantAsk:  []ring.NodeID{a, b, c},
		wantOrph: true,
		want:     "c,a,b stable",
	}, {
		name:     "no synced replica: the slot is held as it is",
		owners:   []ring.NodeID{d, a, b},
		alive:    []ring.NodeID{a, b, c},
		states:   States{a: {0: {Source: d, Applied: 4}}},
		wantAsk:  []ring.NodeID{a, b},
		wantOrph: true,
		want:     "d,a,b stable",
		wantHeld: 1,
	}, {
		name:     "no synced replica, held for EmptyAfter: the first alive owner leads, the slot is lost",
		owners:   []ring.NodeID{d, a, b},
		alive:    []ring.NodeID{a, b, c},
		states:   States{a: {0: {Source: d, Applied: 4}}},
		wantAsk:  []ring.NodeID{a, b},
		wantOrph: true,
		takeover: true,
		want:     "a,b stable",
		wantLost: 1,
	}, {
		name:     "a replica that does not answer is not promoted",
		owners:   []ring.NodeID{d, a, b},
		alive:    []ring.NodeID{a, b, c},
		states:   States{b: {0: {Source: d, Applied: 4, Synced: true}}},
		wantAsk:  []ring.NodeID{a, b},
		wantOrph: true,
		want:     "b,a stable",
	}, {
		name:     "dead replicas are dropped, and the target's alive owner is named the new replica",
		owners:   []ring.NodeID{d, e, a},
		alive:    []ring.NodeID{a, b, c},
		states:   States{a: {0: {Source: d, Applied: 4, Synced: true}}},
		wantAsk:  []ring.NodeID{a},
		wantOrph: true,
		want:     "a,b stable",
	}, {
		name:     "no owner alive: the slot is held, its dead replica kept",
		owners:   []ring.NodeID{d, e},
		alive:    []ring.NodeID{a, b, c},
		wantOrph: true,
		want:     "d,e stable",
		wantHeld: 1,
	}, {
		name:     "no owner alive, held for EmptyAfter: the target primary leads, empty",
		owners:   []ring.NodeID{d, e},
		alive:    []ring.NodeID{a, b, c},
		wantOrph: true,
		takeover: true,
		want:     "target",
		wantLost: 1,
	}, {
		name:     "a slot without owners gets the target primary",
		owners:   nil,
		alive:    []ring.NodeID{a, b, c, d},
		wantOrph: true,
		want:     "target",
		wantLost: 1,
	}, {
		name:      "a primary gossip reports dead that still answers keeps its slot",
		owners:    []ring.NodeID{d, a},
		alive:     []ring.NodeID{a, b, c},
		answering: []ring.NodeID{d},
		want:      "d,a stable",
	}, {
		name:   "an alive primary keeps its slot",
		owners: []ring.NodeID{d, a},
		alive:  []ring.NodeID{a, b, c, d},
		want:   "d,a stable",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := target(t)
			// Every slot but 0 is led by an alive node (a, b, c); the
			// failover concerns slot 0 only.
			tb := settledTable(t, p, a, b, c, d, e)
			setSlot(t, tb, 0, ring.SlotState{}, tc.owners...)
			v := viewOf(tc.alive...)
			answering := map[ring.NodeID]bool{}
			for _, id := range tc.answering {
				answering[id] = true
			}

			orphans, ask := Orphans(tb, v, answering)
			if !tc.wantOrph {
				assert.Empty(t, orphans)
				assert.Empty(t, ask)
			} else {
				assert.Equal(t, []uint16{0}, orphans)
				var asked []ring.NodeID
				for id, slots := range ask {
					assert.Equal(t, []uint16{0}, slots)
					asked = append(asked, id)
				}
				assert.ElementsMatch(t, tc.wantAsk, asked, "ask")
			}

			holds := &Holds{}
			now := time.Unix(1000, 0)
			if tc.takeover {
				holds.EmptyAfter = time.Minute
				out, err := FailoverStep(NextTable(tb, v, a), tb, v, p, orphans, tc.states, holds, now)
				require.NoError(t, err)
				require.Equal(t, 1, out.Held, "held at first")
				now = now.Add(holds.EmptyAfter)
			}
			next := NextTable(tb, v, a)
			out, err := FailoverStep(next, tb, v, p, orphans, tc.states, holds, now)
			require.NoError(t, err)
			assert.Equal(t, tc.wantLost, out.Lost, "lost")
			assert.Equal(t, tc.wantHeld, out.Held, "held")
			assert.Equal(t, tc.wantHeld, holds.Len(), "holds recorded")
			want := tc.want
			if want == "target" {
				want = targetOwners(p, 0)
			}
			assert.Equal(t, want, owners(next, 0))
			if out.Changed > 0 {
				for _, id := range []ring.NodeID{d, e} {
					if _, ok := v.Alive[id]; !ok {
						_, named := next.Member(id)
						assert.False(t, named, "dead member %s without slots is removed", id[:1])
					}
				}
			} else {
				assert.Empty(t, tb.Changes(next), "no orphan, or held: nothing written")
			}
		})
	}
}

func TestData(t *testing.T) {
	now := time.Unix(1000, 0)
	p := target(t)
	all := viewOf(a, b, c)
	members := membersOf(all, a, b, c)
	settled := settledTable(t, p, a, b, c)
	assert.Equal(t, None, Data(settled, all, members, p, &Holds{}, now))

	unassigned := settled.Clone()
	setSlot(t, unassigned, 5, ring.SlotState{})
	assert.Equal(t, Failover, Data(unassigned, all, members, p, &Holds{}, now), "a slot without a primary")

	withD := settledTable(t, p, a, b, c, d)
	setSlot(t, withD, 5, ring.SlotState{}, d, a)
	assert.Equal(t, Failover, Data(withD, all, members, p, &Holds{}, now), "a dead primary")
	setSlot(t, withD, 5, ring.SlotState{}, a, d)
	assert.Equal(t, Members, Data(withD, all, members, p, &Holds{}, now), "a dead replica")

	joined := viewOf(a, b, c, e)
	assert.Equal(t, Members, Data(settled, joined, membersOf(joined, a, b, c, e), p, &Holds{}, now), "a new member")

	moved := viewOf(a, b, c)
	m := moved.Alive[b]
	m.ClusterAddr = "elsewhere"
	moved.Alive[b] = m
	assert.Equal(t, Members, Data(settled, moved, membersOf(moved, a, b, c), p, &Holds{}, now), "a new address")

	draining := settledTable(t, p, a, b, c, d)
	dv := viewOf(a, b, c, d)
	dm := dv.Alive[d]
	dm.Draining = true
	dv.Alive[d] = dm
	assert.Equal(t, Members, Data(draining, dv, membersOf(dv, a, b, c), p, &Holds{}, now), "a drained member without slots")

	swapped := settled.Clone()
	s := slotsWhere(p, a, b, 1)[0]
	setSlot(t, swapped, s, ring.SlotState{}, b, a)
	assert.Equal(t, Rebalance, Data(swapped, all, members, p, &Holds{}, now))
}

func TestDropDead(t *testing.T) {
	p := target(t)
	tb := settledTable(t, p, a, b, c, d, e)
	s := slotsWhere(p, a, b, 3)
	setSlot(t, tb, s[0], ring.SlotState{}, a, d, b)                   // dead replica
	setSlot(t, tb, s[1], migratingTo(c), a, b, c)                     // migrating to a dead peer
	setSlot(t, tb, s[2], ring.SlotState{}, e)                         // dead sole owner: kept for the failover
	require.NoError(t, tb.SetPreferred(slotsWhere(p, b, a, 1)[0], a)) // stays
	require.NoError(t, tb.SetPreferred(slotsWhere(p, a, c, 1)[0], c)) // c is dead: cleared
	v := viewOf(a, b)
	notRemoved, err := DropDead(tb, v, nil)
	require.NoError(t, err)
	assert.Equal(t, "a,b stable", owners(tb, s[0]))
	assert.Equal(t, "a,b stable", owners(tb, s[1]))
	assert.Equal(t, "e stable", owners(tb, s[2]))
	_, named := tb.Member(d)
	assert.False(t, named, "a dead member no slot names is removed")
	_, named = tb.Member(e)
	assert.True(t, named, "a dead member that still owns a slot stays")
	assert.Equal(t, a, tb.Preferred(slotsWhere(p, b, a, 1)[0]))
	assert.Equal(t, ring.NodeID(""), tb.Preferred(slotsWhere(p, a, c, 1)[0]))
	assert.Empty(t, notRemoved)
}

func TestMembersStep(t *testing.T) {
	p := target(t)
	tb := settledTable(t, p, a, b, c, d)
	v := viewOf(a, b, c, e)
	next := NextTable(tb, v, a)
	_, err := MembersStep(next, v, membersOf(v, a, b, c, e), nil)
	require.NoError(t, err)
	var ids []ring.NodeID
	for _, m := range next.Members() {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []ring.NodeID{a, b, c, e}, ids, "e joins, d (dead, no slots) leaves")
}

func TestPreferStep(t *testing.T) {
	p := target(t)
	tb := settledTable(t, p, a, b, c, d)
	v := viewOf(a, b, c, d)
	dv := v.Alive[d]
	dv.Draining = true
	v.Alive[d] = dv
	next := NextTable(tb, v, a)
	slots, err := PreferStep(next, tb, v, p, []ring.NodeID{b, d})
	require.NoError(t, err)
	assert.Equal(t, len(tb.ReplicaSlots(b)), slots[b], "b prefers every slot it replicates")
	assert.Zero(t, slots[d], "a draining node is skipped")
	s := slotsWhere(p, a, b, 1)[0]
	assert.Equal(t, b, next.Preferred(s))
	assert.Equal(t, b, p.WithPreferences(next).Primary(s))

	// Once b leads s, a replicates it; a's own request for s is a
	// preference for the placement's primary: it clears b's.
	led := next.Clone()
	setSlot(t, led, s, ring.SlotState{}, b, a)
	again := NextTable(led, v, a)
	slots, err = PreferStep(again, led, v, p, []ring.NodeID{a})
	require.NoError(t, err)
	want := 0
	for _, sl := range led.ReplicaSlots(a) {
		if slices.Contains(p.Owners(sl), a) {
			want++
		}
	}
	assert.Equal(t, want, slots[a], "every slot a replicates and the target gives it")
	assert.Equal(t, ring.NodeID(""), again.Preferred(s))
}

func TestQuorum(t *testing.T) {
	f := ring.NodeID(strings.Repeat("f", ring.NodeIDLen))
	p := target(t)
	five := settledTable(t, p, a, b, c, d, e)
	for _, tc := range []struct {
		alive []ring.NodeID
		want  bool
	}{
		{[]ring.NodeID{a, b, c}, true},
		{[]ring.NodeID{a, b}, false},
		{[]ring.NodeID{a, b, c, d, e}, true},
		{[]ring.NodeID{a, b, f}, false}, // a node the table does not name does not count
	} {
		seen, total, ok := Quorum(five, viewOf(tc.alive...))
		assert.Equal(t, 5, total)
		assert.Equal(t, tc.want, ok, "sees %d of 5", seen)
	}
	assert.False(t, Majority(2, 4), "half is no majority")
	assert.True(t, Majority(3, 4))
	assert.True(t, Majority(1, 1))
}

func TestStall(t *testing.T) {
	var s Stall
	t0 := time.Unix(1000, 0)
	report, _ := s.Observe(t0, false)
	assert.False(t, report, "the first pass without progress starts the clock")
	report, _ = s.Observe(t0.Add(StallAfter-time.Second), false)
	assert.False(t, report)
	report, stuck := s.Observe(t0.Add(StallAfter), false)
	assert.True(t, report)
	assert.Equal(t, StallAfter, stuck)
	report, _ = s.Observe(t0.Add(StallAfter+time.Second), false)
	assert.False(t, report, "at most once per StallAfter")
	report, _ = s.Observe(t0.Add(2*StallAfter), false)
	assert.True(t, report)
	report, _ = s.Observe(t0.Add(2*StallAfter+time.Second), true)
	assert.False(t, report)
	report, _ = s.Observe(t0.Add(3*StallAfter), false)
	assert.False(t, report, "progress restarts the clock")
}

func TestPlaced(t *testing.T) {
	v := viewOf(c, a, d, b)
	m := v.Alive[d]
	m.Draining = true
	v.Alive[d] = m
	var ids []ring.NodeID
	for _, m := range Placed(v) {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []ring.NodeID{a, b, c}, ids, "sorted by ID, draining members left out")
	assert.Empty(t, Placed(View{}))
}

func TestAssign(t *testing.T) {
	p := target(t)
	v := viewOf(a, b, c)
	tb := settledTable(t, p, a, b, c)
	_, due := Assign(tb, Placed(v), p)
	assert.False(t, due, "at rest")

	moved := tb.Clone()
	setSlot(t, moved, slotsWhere(p, a, b, 1)[0], ring.SlotState{}, b, a)
	slots, due := Assign(moved, Placed(v), p)
	assert.True(t, due)
	assert.Equal(t, 1, slots)

	readdr := viewOf(a, b, c)
	m := readdr.Alive[c]
	m.Addr = "elsewhere"
	readdr.Alive[c] = m
	slots, due = Assign(tb, Placed(readdr), p)
	assert.True(t, due, "a member changed address")
	assert.Zero(t, slots)

	_, due = Assign(tb, Placed(viewOf(a, b)), p)
	assert.True(t, due, "a member left")
}

// targetOwners renders the owners p places on slot as owners does: a slot
// taken over empty gets the target's primary and its replicas.
func targetOwners(p *ring.Placement, slot uint16) string {
	var ids []string
	for _, id := range p.Owners(slot) {
		ids = append(ids, string(id[:1]))
	}
	return strings.Join(ids, ",") + " stable"
}

// TestDropDeadNamesTheTargetReplica: a slot whose dead replica is dropped
// gets the target's alive owner it lacks in the same table, so no table
// names the primary alone (it would acknowledge writes without a copy:
// package ack); with no target it keeps what it has.
func TestDropDeadNamesTheTargetReplica(t *testing.T) {
	p := target(t)
	s := slotsWhere(p, a, b, 1)[0] // the target places a, then b
	for _, tc := range []struct {
		target *ring.Placement
		want   string
	}{{p, "a,b stable"}, {nil, "a stable"}} {
		tb := settledTable(t, p, a, b, c, d)
		setSlot(t, tb, s, ring.SlotState{}, a, d)
		_, err := DropDead(tb, viewOf(a, b, c), tc.target)
		require.NoError(t, err)
		assert.Equal(t, tc.want, owners(tb, s), "target %v", tc.target != nil)
	}
}
