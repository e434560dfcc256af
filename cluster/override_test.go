package cluster

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/override"
	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/cluster/routing"
	"github.com/meshcache/meshcache/ring"
)

// overrideTable returns a table of epoch with members a, b, c in which slot
// 0 is owned by owners (primary first).
func overrideTable(t *testing.T, epoch uint64, owners ...ring.NodeID) *ring.Table {
	t.Helper()
	var members []ring.Member
	for i, id := range []ring.NodeID{"a", "b", "c"} {
		id = ring.NodeID(strings.Repeat(string(id), ring.NodeIDLen))
		members = append(members, ring.Member{ID: id, Addr: "127.0.0.1:700" + string(rune('1'+i)), ClusterAddr: "127.0.0.1:1700" + string(rune('1'+i))})
	}
	tbl, err := ring.NewTable(epoch, members[0].ID, members)
	require.NoError(t, err)
	require.NoError(t, tbl.SetOwners(0, owners...))
	return tbl
}

// TestOverridesHoldUntilResolved: a handoff's overrides outlive a newer
// table that still names the old primary (the coordinator lost the
// handoff's reply), end with a table that names the new primary or
// overrules both, and never come back once dropped.
func TestOverridesHoldUntilResolved(t *testing.T) {
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }
	a, b, c := id("a"), id("b"), id("c")
	lead := &override.Lead{Epoch: 5, From: a} // on b: took slot 0 over from a under epoch 5
	fwd := &override.Forward{To: b, Epoch: 5} // on a: handed slot 0 to b under epoch 5
	tests := []struct {
		name     string
		table    *ring.Table
		leadHold bool // b still leads by the override
		fwdHold  bool // a still forwards to b
	}{
		{"same epoch", overrideTable(t, 5, a, b), true, true},
		{"newer table unaware of the handoff", overrideTable(t, 6, a, b), true, true},
		{"table names the new primary", overrideTable(t, 6, b, a), false, false},
		{"table names a third primary", overrideTable(t, 6, c, a, b), false, false},
		{"table dropped the new primary", overrideTable(t, 6, a, c), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.leadHold, lead.Holds(tt.table, 0, b), "lead on b")
			assert.Equal(t, tt.fwdHold, fwd.Holds(tt.table, 0, a), "forward on a")
		})
	}

	// Once a table resolves the override, the router drops it when the
	// table is adopted (installTable), so a later table that gives the slot back to a cannot
	// revive b's lead.
	n := &Node{id: b, router: routing.NewRouter(b)}
	n.router.SetLead([]uint16{0}, lead)
	n.router.SetTable(overrideTable(t, 6, a, b), nil)
	assert.NotNil(t, n.router.Lead(0), "kept while the table does not know")
	assert.True(t, n.leadsLocally(0))
	n.router.SetTable(overrideTable(t, 7, b, a), nil)
	assert.Nil(t, n.router.Lead(0), "dropped once resolved")
	n.router.SetTable(overrideTable(t, 9, a, b), nil)
	assert.True(t, lead.Holds(overrideTable(t, 9, a, b), 0, b),
		"the dropped override would hold again under a later table naming a: dropping it is what keeps b from leading")
	assert.False(t, n.leadsLocally(0))
}

// TestTakeoverWinsFailover: a node that took a slot over by a handoff no
// table names yet reports the offset it reached as the slot's leader, so
// if the old primary dies in that window the failover prefers it to a
// replica still at the takeover offset (which lacks its acknowledged
// writes).
func TestTakeoverWinsFailover(t *testing.T) {
	id := func(c string) ring.NodeID { return ring.NodeID(strings.Repeat(c, ring.NodeIDLen)) }
	a, b := id("a"), id("b")
	n := &Node{id: b, router: routing.NewRouter(b)}
	r := &replicator{n: n}
	n.repl = r
	n.table.Store(overrideTable(t, 5, a, b, id("c"))) // still names a primary
	r.recv[0] = recvSlot{source: a, applied: 40, synced: true}
	r.slots[0].offset.Store(47) // b wrote 7 effects since it took over at 40
	// Empty: n has no store, so it holds no key of any slot.
	require.Equal(t, plan.ReplState{Source: a, Applied: 40, Synced: true, Empty: true}, n.localReplState([]uint16{0})[0],
		"no override: the receiving state as it is")

	n.router.SetLead([]uint16{0}, &override.Lead{Epoch: 5, From: a})
	require.Equal(t, plan.ReplState{Source: a, Applied: 47, Synced: true, Empty: true}, n.localReplState([]uint16{0})[0])

	n.table.Store(overrideTable(t, 6, b, a)) // a table names b: no override, nothing to report
	require.Equal(t, uint64(40), n.localReplState([]uint16{0})[0].Applied)
}
