package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestRebalance runs the three phases of a rebalance pass on tables that
// differ from the target (a, b, c; one replica) in three slots s0, s1, s2
// that the target gives to a (primary) and b (replica). d is a member the
// target places nothing on. The current primary of a slot that moves is
// asked too, whether it holds the slot empty; one that does not answer is
// silent, and its slots count as holding data.
func TestRebalance(t *testing.T) {
	stable := ring.SlotState{}
	tests := []struct {
		name  string
		batch int
		setup func(t *testing.T, tb *ring.Table, s []uint16)
		// states answer the replica-state calls (nil: nobody answers).
		states func(s []uint16) States
		// done: the handoffs the primaries report done (nil: those picked).
		done func(s []uint16) []Move

		wantAsk      func(s []uint16) map[ring.NodeID][]uint16
		wantHandoffs func(s []uint16) map[ring.NodeID][]Move
		wantOwners   []string // s0, s1, s2 in the next table
		wantChanged  int
		wantPaced    int
		wantWait     Wait
	}{{
		name:        "settled: nothing to do",
		batch:       2,
		wantOwners:  []string{"a,b stable", "a,b stable", "a,b stable"},
		wantChanged: 0,
	}, {
		name:  "missing replicas start unbounded by the batch: they move no primary",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, stable, a)
			}
		},
		wantOwners:  []string{"a,b stable", "a,b stable", "a,b stable"},
		wantChanged: 3,
	}, {
		name:  "batch bounds the slots migrating to a new primary",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, stable, d)
			}
		},
		wantOwners:  []string{"d,a,b migrating", "d,a,b migrating", "d stable"},
		wantChanged: 2,
		wantPaced:   2,
		wantWait:    Wait{Migrating: 2, Silent: []ring.NodeID{d}},
	}, {
		name:  "empty slots start beyond the batch (EmptyHandoffsPerBatch batches), unpaced",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, stable, d)
			}
		},
		states: func(s []uint16) States { return empty(nil, d, s...) },
		wantAsk: func(s []uint16) map[ring.NodeID][]uint16 {
			return map[ring.NodeID][]uint16{d: {s[0], s[1], s[2]}}
		},
		wantOwners:  []string{"d,a,b migrating", "d,a,b migrating", "d,a,b migrating"},
		wantChanged: 3,
	}, {
		name:  "an empty slot takes no place in the batch beside one with data",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, stable, d)
			}
		},
		states:      func(s []uint16) States { return empty(nil, d, s[1]) },
		wantOwners:  []string{"d,a,b migrating", "d,a,b migrating", "d stable"},
		wantChanged: 2,
		wantPaced:   1,
		wantWait:    Wait{Migrating: 1},
	}, {
		name:  "empty handoffs are bounded by EmptyHandoffsPerBatch batches, unpaced",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, migratingTo(a), d, a, b)
			}
		},
		states: func(s []uint16) States { return empty(synced(nil, a, d, 0, s...), d, s...) },
		wantHandoffs: func(s []uint16) map[ring.NodeID][]Move {
			return map[ring.NodeID][]Move{d: {{Slot: s[0], Target: a}, {Slot: s[1], Target: a}, {Slot: s[2], Target: a}}}
		},
		wantOwners:  []string{"a,d,b importing", "a,d,b importing", "a,d,b importing"},
		wantChanged: 3,
	}, {
		name:  "an unsynced handoff holds its place in the batch",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], stable, d, a, b)
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
			setSlot(t, tb, s[1], stable, d)
			setSlot(t, tb, s[2], stable, d)
		},
		states: func(s []uint16) States {
			return States{a: {s[0]: {Source: d, Applied: 9}}} // receiving, not synced yet
		},
		wantAsk: func(s []uint16) map[ring.NodeID][]uint16 {
			return map[ring.NodeID][]uint16{a: {s[0]}, d: {s[0], s[1], s[2]}}
		},
		wantOwners:  []string{"d,a,b migrating", "d,a,b migrating", "d stable"},
		wantChanged: 1,
		wantPaced:   1,
		wantWait:    Wait{Handoffs: 1, Migrating: 2, Silent: []ring.NodeID{d}},
	}, {
		name:  "a handoff to a synced target makes it primary, importing from the old one",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
		},
		states: func(s []uint16) States { return synced(nil, a, d, 100, s[0]) },
		wantAsk: func(s []uint16) map[ring.NodeID][]uint16 {
			return map[ring.NodeID][]uint16{a: {s[0]}, d: {s[0]}}
		},
		wantHandoffs: func(s []uint16) map[ring.NodeID][]Move {
			return map[ring.NodeID][]Move{d: {{Slot: s[0], Target: a}}}
		},
		wantOwners:  []string{"a,d,b importing", "a,b stable", "a,b stable"},
		wantChanged: 1,
		wantPaced:   1,
		wantWait:    Wait{Silent: []ring.NodeID{d}},
	}, {
		name:  "a target synced to another source gets no handoff",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
		},
		states:      func(s []uint16) States { return synced(nil, a, b, 100, s[0]) },
		wantOwners:  []string{"d,a,b migrating", "a,b stable", "a,b stable"},
		wantChanged: 0,
		wantWait:    Wait{Handoffs: 1, Migrating: 1, Silent: []ring.NodeID{d}},
	}, {
		name:  "a slot that holds no data hands off once its target is synced at offset 0",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
		},
		states:      func(s []uint16) States { return synced(nil, a, d, 0, s[0]) },
		wantOwners:  []string{"a,d,b importing", "a,b stable", "a,b stable"},
		wantChanged: 1,
		wantPaced:   1,
		wantWait:    Wait{Silent: []ring.NodeID{d}},
	}, {
		name:  "handoffs are bounded by the batch",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			for _, sl := range s {
				setSlot(t, tb, sl, migratingTo(a), d, a, b)
			}
		},
		states: func(s []uint16) States { return synced(nil, a, d, 5, s...) },
		wantHandoffs: func(s []uint16) map[ring.NodeID][]Move {
			return map[ring.NodeID][]Move{d: {{Slot: s[0], Target: a}, {Slot: s[1], Target: a}}}
		},
		wantOwners:  []string{"a,d,b importing", "a,d,b importing", "d,a,b migrating"},
		wantChanged: 2,
		wantPaced:   2,
		wantWait:    Wait{Handoffs: 1, Migrating: 1, Silent: []ring.NodeID{d}},
	}, {
		name:  "a done handoff frees its place for a start",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
			setSlot(t, tb, s[1], stable, d)
		},
		states:      func(s []uint16) States { return synced(nil, a, d, 5, s[0]) },
		wantOwners:  []string{"a,d,b importing", "d,a,b migrating", "a,b stable"},
		wantChanged: 2,
		wantPaced:   2,
		wantWait:    Wait{Migrating: 1, Silent: []ring.NodeID{d}},
	}, {
		name:  "a failed handoff keeps its place",
		batch: 1,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
			setSlot(t, tb, s[1], stable, d)
		},
		states:      func(s []uint16) States { return synced(nil, a, d, 5, s[0]) },
		done:        func([]uint16) []Move { return []Move{} },
		wantOwners:  []string{"d,a,b migrating", "d stable", "a,b stable"},
		wantChanged: 0,
		wantWait:    Wait{Handoffs: 1, Migrating: 1, Silent: []ring.NodeID{d}},
	}, {
		name:  "a stale migration is reset and holds no place in the batch",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(b), d, a, b) // b is no longer the target primary
			setSlot(t, tb, s[1], stable, d)
			setSlot(t, tb, s[2], stable, d)
		},
		wantOwners:  []string{"d,a,b stable", "d,a,b migrating", "d,a,b migrating"},
		wantChanged: 3,
		wantPaced:   2,
		wantWait:    Wait{Migrating: 2, Silent: []ring.NodeID{d}},
	}, {
		name:  "extra replicas are trimmed once the wanted ones are synced",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], stable, a, b, c)
			setSlot(t, tb, s[1], stable, a, d, b)
			setSlot(t, tb, s[2], stable, a, b, d)
		},
		states: func(s []uint16) States {
			st := synced(nil, b, a, 3, s[0], s[1])
			st[b][s[2]] = ReplState{Source: a, Applied: 3} // being rebuilt
			return st
		},
		wantAsk: func(s []uint16) map[ring.NodeID][]uint16 {
			return map[ring.NodeID][]uint16{b: {s[0], s[1], s[2]}}
		},
		wantOwners:  []string{"a,b stable", "a,b stable", "a,b,d stable"},
		wantChanged: 2,
		wantWait:    Wait{Trims: 3},
	}, {
		name:  "an importing state left after a handoff is cleared by a trim",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], ring.SlotState{Kind: ring.SlotImporting, Peer: d}, a, b, d)
		},
		states:      func(s []uint16) States { return synced(nil, b, a, 3, s[0]) },
		wantOwners:  []string{"a,b stable", "a,b stable", "a,b stable"},
		wantChanged: 1,
		wantWait:    Wait{Trims: 1},
	}, {
		name:  "nodes that do not answer are reported",
		batch: 2,
		setup: func(t *testing.T, tb *ring.Table, s []uint16) {
			setSlot(t, tb, s[0], migratingTo(a), d, a, b)
			setSlot(t, tb, s[1], stable, a, b, c)
		},
		wantOwners:  []string{"d,a,b migrating", "a,b,c stable", "a,b stable"},
		wantChanged: 0,
		wantWait:    Wait{Handoffs: 1, Trims: 1, Migrating: 1, Silent: []ring.NodeID{a, b, d}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := target(t)
			s := slotsWhere(p, a, b, 3)
			require.Len(t, s, 3)
			tb := settledTable(t, p, a, b, c, d)
			if tc.setup != nil {
				tc.setup(t, tb, s)
			}
			v := viewOf(a, b, c, d)

			pass := NewRebalance(tb, v, p, tc.batch)
			if tc.wantAsk != nil {
				assert.Equal(t, tc.wantAsk(s), pass.Ask, "ask")
			}
			var states States
			if tc.states != nil {
				states = tc.states(s)
			}
			picked := pass.Handoffs(states)
			if tc.wantHandoffs != nil {
				assert.Equal(t, tc.wantHandoffs(s), picked, "handoffs")
			}
			var done []Move
			if tc.done != nil {
				done = tc.done(s)
			} else {
				for _, ms := range picked {
					done = append(done, ms...)
				}
			}

			next := NextTable(tb, v, a)
			out, err := pass.Apply(next, states, done)
			require.NoError(t, err)
			for i, want := range tc.wantOwners {
				assert.Equal(t, want, owners(next, s[i]), "slot s%d", i)
			}
			assert.Equal(t, tc.wantChanged, out.Changed, "changed")
			assert.Equal(t, tc.wantPaced, out.Paced, "paced")
			assert.Equal(t, tc.wantWait, out.Wait, "wait")
			assert.Empty(t, out.Strays)
			assert.Equal(t, uint64(8), next.Epoch)
			assert.Equal(t, uint64(7), tb.Epoch, "the surveyed table is not changed")
			if out.Changed == 0 {
				assert.Empty(t, tb.Changes(next), "a pass that changed nothing writes nothing")
			}
		})
	}
}

func TestRebalanceStrayHandoff(t *testing.T) {
	p := target(t)
	s := slotsWhere(p, a, b, 1)
	tb := settledTable(t, p, a, b, c, d, e)
	setSlot(t, tb, s[0], migratingTo(a), d, a, b)
	pass := NewRebalance(tb, viewOf(a, b, c, d, e), p, 2)
	// The primary reports the slot handed off to e, which this table
	// does not make an owner (it handed off under an older table).
	next := NextTable(tb, viewOf(a, b, c, d, e), a)
	out, err := pass.Apply(next, nil, []Move{{Slot: s[0], Target: e}})
	require.NoError(t, err)
	assert.Equal(t, []Move{{Slot: s[0], Target: e}}, out.Strays)
	assert.Equal(t, 0, out.Handoffs)
	assert.Equal(t, "d,a,b migrating", owners(next, s[0]))
}

func TestRebalanceNoRoomForAnotherOwner(t *testing.T) {
	ids := []ring.NodeID{a, b, c, d, e}
	for i := range 4 {
		ids = append(ids, ring.NodeID(string(rune('0'+i))+string(a[1:])))
	}
	p := target(t)
	s := slotsWhere(p, a, b, 1)
	tb := settledTable(t, p, ids...)
	full := []ring.NodeID{c, d, e, ids[5], ids[6], ids[7], ids[8], a} // MaxOwners, lacks b
	require.Len(t, full, ring.MaxOwners)
	setSlot(t, tb, s[0], ring.SlotState{}, full...)
	pass := NewRebalance(tb, viewOf(ids...), p, 2)
	out, err := pass.Apply(NextTable(tb, viewOf(ids...), a), nil, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, out.Changed, "a slot with MaxOwners owners gets no more")
}

func TestSettled(t *testing.T) {
	p := target(t)
	tb := settledTable(t, p, a, b, c)
	assert.True(t, Settled(tb, p))
	s := slotsWhere(p, a, b, 1)[0]

	moved := tb.Clone()
	setSlot(t, moved, s, ring.SlotState{}, b, a)
	assert.False(t, Settled(moved, p), "primary and replica swapped")

	importing := tb.Clone()
	setSlot(t, importing, s, ring.SlotState{Kind: ring.SlotImporting, Peer: c}, a, b)
	assert.False(t, Settled(importing, p), "a slot in a handoff state")

	extra := tb.Clone()
	setSlot(t, extra, s, ring.SlotState{}, a, b, c)
	assert.False(t, Settled(extra, p), "an extra replica")
}

// TestRebalanceEmptyHandoffsBounded: a pass hands off at most
// EmptyHandoffsPerBatch batches of empty slots, besides its batch of slots
// with data.
func TestRebalanceEmptyHandoffsBounded(t *testing.T) {
	const batch = 1
	p := target(t)
	n := EmptyHandoffsPerBatch*batch + 3
	s := slotsWhere(p, a, b, n)
	require.Len(t, s, n)
	tb := settledTable(t, p, a, b, c, d)
	for _, sl := range s {
		setSlot(t, tb, sl, migratingTo(a), d, a, b)
	}
	states := synced(nil, a, d, 0, s...)
	empty(states, d, s[:n-1]...) // the last slot holds data
	picked := NewRebalance(tb, viewOf(a, b, c, d), p, batch).Handoffs(states)
	moves := picked[d]
	require.Len(t, moves, EmptyHandoffsPerBatch*batch+batch)
	assert.Equal(t, Move{Slot: s[n-1], Target: a}, moves[len(moves)-1], "the slot with data has its own place")
}

// TestRebalanceEmptyStartsBounded: at most EmptyHandoffsPerBatch batches
// of empty slots migrate to new primaries at once, counting those already
// migrating.
func TestRebalanceEmptyStartsBounded(t *testing.T) {
	const batch = 1
	p := target(t)
	n := EmptyHandoffsPerBatch*batch + 2
	s := slotsWhere(p, a, b, n)
	require.Len(t, s, n)
	tb := settledTable(t, p, a, b, c, d)
	setSlot(t, tb, s[0], migratingTo(a), d, a, b) // already migrating, its target not synced yet
	for _, sl := range s[1:] {
		setSlot(t, tb, sl, ring.SlotState{}, d)
	}
	states := empty(nil, d, s...)
	pass := NewRebalance(tb, viewOf(a, b, c, d), p, batch)
	next := NextTable(tb, viewOf(a, b, c, d), a)
	out, err := pass.Apply(next, states, nil)
	require.NoError(t, err)
	started := 0
	for _, sl := range s[1:] {
		if owners(next, sl) == "d,a,b migrating" {
			started++
		}
	}
	assert.Equal(t, EmptyHandoffsPerBatch*batch-1, started, "the migrating one holds a place")
	assert.Zero(t, out.Paced)
}
