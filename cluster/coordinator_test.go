package cluster

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestQuorumNeedsTheTableInForce: a node counts a quorum only while it
// sees a majority of its table's members and none of them reports a newer
// table; a node back from a partition, on the table it had, counts none
// until it pulls the newer one (issue 18, cause 3).
func TestQuorumNeedsTheTableInForce(t *testing.T) {
	ids := []ring.NodeID{ring.NodeID(strings.Repeat("a", 40)), ring.NodeID(strings.Repeat("b", 40)), ring.NodeID(strings.Repeat("c", 40))}
	tb, err := ring.NewTable(5, ids[0], []ring.Member{{ID: ids[0]}, {ID: ids[1]}, {ID: ids[2]}})
	require.NoError(t, err)
	n := &Node{id: ids[0], logger: testLogger(t)}
	viewOf := func(epochs ...uint64) view {
		v := view{alive: map[ring.NodeID]Meta{}}
		for i, e := range epochs {
			v.alive[ids[i]] = Meta{ID: ids[i], Epoch: e, Issuer: ids[0]}
		}
		return v
	}
	for _, c := range []struct {
		name   string
		epochs []uint64 // of the alive members, this node first
		want   bool
	}{
		{"all alive, same table", []uint64{5, 5, 5}, true},
		{"a majority alive, same table", []uint64{5, 5}, true},
		{"a minority", []uint64{5}, false},
		{"a majority, one member holds a newer table", []uint64{5, 6, 5}, false},
		{"a majority, members hold older tables (a push on its way)", []uint64{5, 4, 4}, true},
	} {
		q := n.updateQuorum(tb, viewOf(c.epochs...))
		assert.Equal(t, c.want, q, c.name)
		assert.Equal(t, c.want, n.quorum.Load(), c.name)
	}
}
