package plan

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// Node IDs a < b < c < d < e: a, b and c are placed; d is a member the
// target does not place (it is leaving the slots, or the member set
// changed); e is spare.
var (
	a = ring.NodeID(strings.Repeat("a", ring.NodeIDLen))
	b = ring.NodeID(strings.Repeat("b", ring.NodeIDLen))
	c = ring.NodeID(strings.Repeat("c", ring.NodeIDLen))
	d = ring.NodeID(strings.Repeat("d", ring.NodeIDLen))
	e = ring.NodeID(strings.Repeat("e", ring.NodeIDLen))
)

func member(id ring.NodeID) ring.Member {
	return ring.Member{ID: id, Addr: "client-" + string(id[:4]), ClusterAddr: "cluster-" + string(id[:4])}
}

// target places a, b and c, one replica per slot.
func target(t *testing.T) *ring.Placement {
	t.Helper()
	p, err := ring.Place([]ring.NodeID{a, b, c}, 1)
	require.NoError(t, err)
	return p
}

// settledTable returns a table at epoch 7 naming ids, at rest on p.
func settledTable(t *testing.T, p *ring.Placement, ids ...ring.NodeID) *ring.Table {
	t.Helper()
	ms := make([]ring.Member, len(ids))
	for i, id := range ids {
		ms[i] = member(id)
	}
	tb, err := ring.NewTable(7, a, ms)
	require.NoError(t, err)
	require.NoError(t, tb.Assign(p))
	return tb
}

// viewOf sees ids alive, none draining.
func viewOf(ids ...ring.NodeID) View {
	v := View{Alive: map[ring.NodeID]Member{}}
	for _, id := range ids {
		m := member(id)
		v.Alive[id] = Member{ID: id, Addr: m.Addr, ClusterAddr: m.ClusterAddr}
	}
	return v
}

func membersOf(v View, ids ...ring.NodeID) []Member {
	out := make([]Member, len(ids))
	for i, id := range ids {
		out[i] = v.Alive[id]
	}
	return out
}

// setSlot gives slot the owners and the state (a zero state: stable).
func setSlot(t *testing.T, tb *ring.Table, slot uint16, st ring.SlotState, owners ...ring.NodeID) {
	t.Helper()
	require.NoError(t, tb.SetOwners(slot, owners...))
	require.NoError(t, tb.SetState(slot, st))
}

func migratingTo(id ring.NodeID) ring.SlotState {
	return ring.SlotState{Kind: ring.SlotMigrating, Peer: id}
}

// slotsWhere returns the first n slots of p whose owners are (p0, r0).
func slotsWhere(p *ring.Placement, p0, r0 ring.NodeID, n int) []uint16 {
	var out []uint16
	for s := range uint16(ring.SlotCount) {
		if o := p.Owners(s); o[0] == p0 && o[1] == r0 {
			out = append(out, s)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// synced reports each (node, slot) synced to primary at applied.
func synced(states States, node, primary ring.NodeID, applied uint64, slots ...uint16) States {
	if states == nil {
		states = States{}
	}
	if states[node] == nil {
		states[node] = map[uint16]ReplState{}
	}
	for _, s := range slots {
		states[node][s] = ReplState{Source: primary, Applied: applied, Synced: true}
	}
	return states
}

func owners(tb *ring.Table, slot uint16) string {
	var parts []string
	for _, o := range tb.Owners(slot) {
		parts = append(parts, string(o[:1]))
	}
	return fmt.Sprintf("%s %s", strings.Join(parts, ","), tb.State(slot).Kind)
}

// empty adds to states that node holds slots empty (as their primary).
func empty(states States, node ring.NodeID, slots ...uint16) States {
	if states == nil {
		states = States{}
	}
	if states[node] == nil {
		states[node] = map[uint16]ReplState{}
	}
	for _, s := range slots {
		st := states[node][s]
		st.Empty = true
		states[node][s] = st
	}
	return states
}
