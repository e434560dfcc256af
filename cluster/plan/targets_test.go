package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
)

// TestTargets: a placement is computed once per member set and replica
// count, its preferred-primaries adjustment once per table.
func TestTargets(t *testing.T) {
	var ts Targets
	p1, err := ts.Get([]ring.NodeID{a, b, c}, 1)
	require.NoError(t, err)
	again, err := ts.Get([]ring.NodeID{a, b, c}, 1)
	require.NoError(t, err)
	assert.Same(t, p1, again, "same members and replicas: cached")
	p2, err := ts.Get([]ring.NodeID{a, b, c}, 2)
	require.NoError(t, err)
	assert.NotSame(t, p1, p2, "another replica count")
	assert.Equal(t, 2, p2.Replicas())
	p3, err := ts.Get([]ring.NodeID{a, b}, 2)
	require.NoError(t, err)
	assert.NotSame(t, p2, p3, "another member set")

	tb := settledTable(t, p3, a, b)
	s := slotsWhere(p3, a, b, 1)[0]
	require.NoError(t, tb.SetPreferred(s, b))
	pref := ts.WithPreferences(p3, tb)
	assert.Equal(t, b, pref.Primary(s))
	assert.Same(t, pref, ts.WithPreferences(p3, tb), "same table and placement: cached")
	assert.NotSame(t, pref, ts.WithPreferences(p3, tb.Clone()), "another table")
}
