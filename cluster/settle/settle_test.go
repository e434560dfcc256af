package settle

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// TestWhy judges one node's view, table by table, without sockets.
func TestWhy(t *testing.T) {
	ids := make([]ring.NodeID, 4)
	for i := range ids {
		ids[i] = ring.NewNodeID()
	}
	slices.Sort(ids)
	meta := func(i int) wire.Meta {
		return wire.Meta{ID: ids[i], ClientAddr: fmt.Sprintf("127.0.0.1:%d", 7000+i),
			ClusterAddr: fmt.Sprintf("127.0.0.1:%d", 17000+i), State: wire.StateServing, Epoch: 5, Issuer: ids[0]}
	}
	alive := func(n int, change func(map[ring.NodeID]wire.Meta)) map[ring.NodeID]wire.Meta {
		out := map[ring.NodeID]wire.Meta{}
		for i := range n {
			out[ids[i]] = meta(i)
		}
		if change != nil {
			change(out)
		}
		return out
	}
	// table returns the table of epoch 5 naming the first n members, with
	// the target placement of the first placed of them and replicas.
	table := func(n, placed, replicas int, change func(*ring.Table)) *ring.Table {
		var members []ring.Member
		for i := range n {
			m := meta(i)
			members = append(members, ring.Member{ID: m.ID, Addr: m.ClientAddr, ClusterAddr: m.ClusterAddr})
		}
		tb, err := ring.NewTable(5, ids[0], members)
		require.NoError(t, err)
		p, err := ring.Place(ids[:placed], replicas)
		require.NoError(t, err)
		require.NoError(t, tb.Assign(p))
		if change != nil {
			change(tb)
		}
		return tb
	}
	// replicaOf returns slot's first replica in a table.
	replicaOf := func(tb *ring.Table, slot uint16) ring.NodeID { return tb.Owners(slot)[1] }

	for _, tc := range []struct {
		name string
		in   Input
		want string // "" settled, else a substring of the reason
	}{
		{"no table", Input{Alive: alive(3, nil)}, "no routing table"},
		{"at rest, no replicas", Input{Table: table(3, 3, 0, nil), Alive: alive(3, nil)}, ""},
		{"at rest, one replica", Input{Table: table(3, 3, 1, nil), Alive: alive(3, nil), Replicas: 1, Replicated: true}, ""},
		{"lone node", Input{Table: table(1, 1, 0, nil), Alive: alive(1, nil)}, ""},
		{"lone node asked for a replica", Input{Table: table(1, 1, 0, nil), Alive: alive(1, nil), Replicas: 1, Replicated: true}, ""},
		{"a member holds a newer table", Input{Table: table(3, 3, 0, nil), Alive: alive(3, func(m map[ring.NodeID]wire.Meta) {
			x := m[ids[2]]
			x.Epoch = 6
			m[ids[2]] = x
		})}, "newer table"},
		{"a joiner the table does not name", Input{Table: table(3, 3, 0, nil), Alive: alive(4, nil)}, "not the 4 alive members"},
		{"a dead member the table names", Input{Table: table(3, 3, 0, nil), Alive: alive(2, nil)}, "not the 2 alive members"},
		{"a draining member", Input{Table: table(3, 3, 0, nil), Alive: alive(3, func(m map[ring.NodeID]wire.Meta) {
			x := m[ids[1]]
			x.State = wire.StateDraining
			m[ids[1]] = x
		})}, "not the 2 alive members"},
		{"a member at a new address", Input{Table: table(3, 3, 0, nil), Alive: alive(3, func(m map[ring.NodeID]wire.Meta) {
			x := m[ids[1]]
			x.ClientAddr = "127.0.0.1:1"
			m[ids[1]] = x
		})}, "not the 3 alive members"},
		{"slots not yet on the new member", Input{Table: table(4, 3, 0, nil), Alive: alive(4, nil)}, "not placed as the target"},
		{"fewer replicas than the setting", Input{Table: table(3, 3, 0, nil), Alive: alive(3, nil), Replicas: 1, Replicated: true}, "not placed as the target"},
		{"a slot migrating", Input{Table: table(3, 3, 1, func(tb *ring.Table) {
			require.NoError(t, tb.SetState(7, ring.SlotState{Kind: ring.SlotMigrating, Peer: replicaOf(tb, 7)}))
		}), Alive: alive(3, nil), Replicas: 1, Replicated: true}, "slot 7, migrating"},
		{"a slot importing", Input{Table: table(3, 3, 1, func(tb *ring.Table) {
			require.NoError(t, tb.SetState(9, ring.SlotState{Kind: ring.SlotImporting, Peer: replicaOf(tb, 9)}))
		}), Alive: alive(3, nil), Replicas: 1, Replicated: true}, "slot 9, importing"},
		{"a preferred primary not yet leading", Input{Table: table(3, 3, 1, func(tb *ring.Table) {
			require.NoError(t, tb.SetPreferred(11, replicaOf(tb, 11)))
		}), Alive: alive(3, nil), Replicas: 1, Replicated: true}, "slot 11"},
		{"a preferred primary leading", Input{Table: table(3, 3, 1, func(tb *ring.Table) {
			r := replicaOf(tb, 11)
			require.NoError(t, tb.SetOwners(11, r, tb.Primary(11)))
			require.NoError(t, tb.SetPreferred(11, r))
		}), Alive: alive(3, nil), Replicas: 1, Replicated: true}, ""},
		{"a transfer running", Input{Table: table(3, 3, 1, nil), Alive: alive(3, nil), Replicas: 1, Replicated: true, Transfers: 2}, "2 slot transfers"},
		{"a led slot without a synced replica", Input{Table: table(3, 3, 1, nil), Alive: alive(3, nil), Replicas: 1, Replicated: true, Degraded: 1}, "without a synced replica"},
		{"lone node degraded", Input{Table: table(1, 1, 0, nil), Alive: alive(1, nil), Replicas: 1, Replicated: true, Degraded: ring.SlotCount}, ""},
		{"a replica slot syncing", Input{Table: table(3, 3, 1, nil), Alive: alive(3, nil), Replicas: 1, Replicated: true, Syncing: 3}, "3 replica slots"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.in.Why(&Targets{})
			if tc.want == "" {
				require.Empty(t, got)
				return
			}
			require.True(t, strings.Contains(got, tc.want), "Why() = %q, want it to say %q", got, tc.want)
		})
	}
}
