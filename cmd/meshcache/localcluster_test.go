package main

import (
	"testing"

	"github.com/meshcache/meshcache/server/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplitLocalCluster(t *testing.T) {
	cases := []struct {
		args    []string
		n       int
		rest    []string
		wantErr string
	}{
		{args: []string{"--port", "7100"}, n: 0, rest: []string{"--port", "7100"}},
		{args: []string{"--local-cluster", "3"}, n: 3, rest: []string{}},
		{args: []string{"-local-cluster=5", "--gossip", "local"}, n: 5, rest: []string{"--gossip", "local"}},
		{args: []string{"--gossip", "local", "--local-cluster", "2", "--port", "7100"}, n: 2, rest: []string{"--gossip", "local", "--port", "7100"}},
		{args: []string{"--local-cluster"}, wantErr: "needs a number of nodes"},
		{args: []string{"--local-cluster", "zero"}, wantErr: `"zero": want a number of nodes from 1 to 16`},
		{args: []string{"--local-cluster", "0"}, wantErr: "from 1 to 16"},
		{args: []string{"--local-cluster=17"}, wantErr: "from 1 to 16"},
		{args: []string{"--", "--local-cluster", "3"}, n: 0, rest: []string{"--", "--local-cluster", "3"}},
	}
	for _, c := range cases {
		n, rest, err := splitLocalCluster(c.args)
		if c.wantErr != "" {
			require.Error(t, err, "%v", c.args)
			assert.Contains(t, err.Error(), c.wantErr)
			continue
		}
		require.NoError(t, err, "%v", c.args)
		assert.Equal(t, c.n, n, "%v", c.args)
		assert.Equal(t, c.rest, rest, "%v", c.args)
	}
}

func TestLocalClusterConfigs(t *testing.T) {
	t.Run("defaults", func(t *testing.T) {
		cfgs, err := localClusterConfigs(config.Default(), 3)
		require.NoError(t, err)
		require.Len(t, cfgs, 3)
		for i, c := range cfgs {
			assert.Equal(t, 7000+i, c.Port)
			assert.Equal(t, 17000+i, c.EffectiveClusterPort())
			if i == 0 {
				assert.Empty(t, c.Join)
			} else {
				assert.Equal(t, []string{"127.0.0.1:17000"}, c.Join)
			}
		}
	})
	t.Run("explicit ports", func(t *testing.T) {
		base := config.Default()
		base.Bind = "0.0.0.0"
		base.Port = 8100
		base.ClusterPort = 9100
		base.AdminAddr = "127.0.0.1:9900"
		base.Join = []string{"10.0.0.1:16379"}
		cfgs, err := localClusterConfigs(base, 2)
		require.NoError(t, err)
		assert.Equal(t, []int{8100, 8101}, []int{cfgs[0].Port, cfgs[1].Port})
		assert.Equal(t, []int{9100, 9101}, []int{cfgs[0].ClusterPort, cfgs[1].ClusterPort})
		assert.Equal(t, []string{"127.0.0.1:9900", "127.0.0.1:9901"}, []string{cfgs[0].AdminAddr, cfgs[1].AdminAddr})
		assert.Equal(t, []string{"10.0.0.1:16379"}, cfgs[0].Join)
		// A wildcard bind is reached on loopback.
		assert.Equal(t, []string{"127.0.0.1:9100", "10.0.0.1:16379"}, cfgs[1].Join)
		assert.Equal(t, []string{"10.0.0.1:16379"}, base.Join, "base config untouched")
	})
	t.Run("ports out of range", func(t *testing.T) {
		base := config.Default()
		base.Port = 55535
		_, err := localClusterConfigs(base, 2)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "local cluster node 1")
	})
}
