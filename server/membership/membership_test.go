package membership

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
)

// clusterOfOne is a solo.Node that does not say it is standalone.
type clusterOfOne struct{ *solo.Node }

func (clusterOfOne) Standalone() bool { return false }

// plainRouter is a Router that says nothing about being standalone.
type plainRouter struct{ Router }

// TestFill: the parts given stay, every part left nil is the one's.
func TestFill(t *testing.T) {
	one := solo.New(ring.NewNodeID(), func() string { return "127.0.0.1:6379" })
	r := clusterOfOne{one}
	c := Cluster{Router: r, Forwarder: r}
	c.Fill(Of(one))
	assert.Equal(t, r, c.Router)
	assert.Equal(t, r, c.Forwarder)
	assert.Equal(t, Of(one), Cluster{Router: one, Forwarder: one, ForwardStarter: c.ForwardStarter, WritePrefetcher: c.WritePrefetcher,
		Membership: c.Membership, LinkPoller: c.LinkPoller, Health: c.Health, Replicas: c.Replicas, ReplicationStats: c.ReplicationStats,
		Promoter: c.Promoter, Leaver: c.Leaver, Migrations: c.Migrations}, "every other part is the one's")
	var none Cluster
	none.Fill(Of(one))
	assert.Equal(t, Of(one), none)
}

// TestIsStandalone: only a membership that says so is standalone.
func TestIsStandalone(t *testing.T) {
	one := solo.New(ring.NewNodeID(), func() string { return "" })
	for _, tc := range []struct {
		r    Router
		want bool
	}{
		{one, true},
		{clusterOfOne{one}, false},
		{plainRouter{one}, false},
	} {
		assert.Equal(t, tc.want, IsStandalone(tc.r), "%T", tc.r)
	}
}
