package topology

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestOpenSlotMarkers: a slot in the middle of a handoff shows as
// "[slot->-target]" on the primary's myself line and "[slot-<-source]" on
// the target's, as Redis's CLUSTER NODES shows migrating and importing
// slots; other nodes show nothing.
func TestOpenSlotMarkers(t *testing.T) {
	a, b, c := ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40)), ring.NodeID(strings.Repeat("c", 40))
	members := []ring.Member{
		{ID: a, Addr: "127.0.0.1:7001", ClusterAddr: "127.0.0.1:17001"},
		{ID: b, Addr: "127.0.0.1:7002", ClusterAddr: "127.0.0.1:17002"},
		{ID: c, Addr: "127.0.0.1:7003", ClusterAddr: "127.0.0.1:17003"},
	}
	tbl, err := ring.NewTable(7, a, members)
	require.NoError(t, err)
	p, err := ring.Place([]ring.NodeID{a, b, c}, 1)
	require.NoError(t, err)
	require.NoError(t, tbl.Assign(p))

	slot := uint16(0)
	for ; tbl.Primary(slot) != a; slot++ {
	}
	require.NoError(t, tbl.SetOwners(slot, a, b))
	require.NoError(t, tbl.SetState(slot, ring.SlotState{Kind: ring.SlotMigrating, Peer: b}))
	other := slot + 1
	for ; tbl.Primary(other) == a; other++ {
	}
	require.NoError(t, tbl.SetState(other, ring.SlotState{Kind: ring.SlotImporting, Peer: a}))

	n := strconv.Itoa(int(slot))
	tests := []struct {
		self ring.NodeID
		want []string
	}{
		{a, []string{"[" + n + "->-" + string(b) + "]"}},
		{b, []string{"[" + n + "-<-" + string(a) + "]"}},
		{c, nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, openSlots(tbl, tt.self), "self %s", tt.self[:1])
	}
}
