package cluster

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

func TestParseKey(t *testing.T) {
	cases := []struct {
		in   string
		want string
		ok   bool
	}{
		{"MDEyMzQ1Njc4OWFiY2RlZg==", "0123456789abcdef", true}, // base64 of 16 bytes
		{"0123456789abcdef", "0123456789abcdef", true},         // raw 16
		{"0123456789abcdef01234567", "0123456789abcdef01234567", true},
		// 32 characters that are also base64 of 24 bytes: base64 wins,
		// the same way on every node.
		{"0123456789abcdef0123456789abcdef", "\xd3]\xb7\xe3\x9e\xbb\xf3\u059bq\u05df\xd3]\xb7\xe3\x9e\xbb\xf3\u059bq\u05df", true},
		{"0123456789abcdef0123456789abcde!", "0123456789abcdef0123456789abcde!", true}, // raw 32
		{"short", "", false},
		{"", "", false},
		{"MDEyMzQ1Ng==", "", false}, // base64 of 7 bytes
	}
	for _, c := range cases {
		got, err := ParseKey(c.in)
		if !c.ok {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, string(got), c.in)
	}
}

func TestConfigDefaults(t *testing.T) {
	c, p, err := Config{ClientAddr: "10.0.0.1:6379"}.withDefaults()
	require.NoError(t, err)
	assert.Equal(t, "10.0.0.1:16379", c.BindAddr, "cluster port = client port + 10000")
	assert.Equal(t, "lan", p.Name)
	require.NoError(t, c.NodeID.Validate())
	assert.Equal(t, transport.DefaultMaxFrameSize, c.MaxFrameSize)

	bad := []Config{
		{},
		{ClientAddr: "nohostport"},
		{ClientAddr: "127.0.0.1:60000"}, // no room for +10000
		{ClientAddr: "127.0.0.1:1", Profile: "moon"},
		{ClientAddr: "127.0.0.1:1", Key: []byte("7 bytes")},
		{ClientAddr: "127.0.0.1:1", NodeID: "XYZ"},
		{ClientAddr: "127.0.0.1:1", Replicas: -1},
		{ClientAddr: "127.0.0.1:1", MaxFrameSize: 100},
	}
	for _, c := range bad {
		_, _, err := c.withDefaults()
		assert.Error(t, err, "%+v", c)
	}
	for _, name := range []string{"lan", "wan", "local"} {
		p, err := ProfileByName(name)
		require.NoError(t, err)
		assert.Greater(t, p.ProbeInterval, p.ProbeTimeout, name)
	}
}

// TestEqualEpochTablesConverge gives one node of a settled cluster a table
// of the current epoch but a higher issuer, as two nodes that bootstrap at
// once each issue an epoch-1 table: the others must pull it (it wins the tie
// in ring.Newer), where before equal epochs hid the difference and the
// cluster kept two tables for good.
func TestEqualEpochTablesConverge(t *testing.T) {
	ctx := testCtx(t, 60*time.Second)
	nodes := startCluster(t, ctx, 3, nodeOpts{})
	forged := nodes[2].Table().Clone()
	forged.Issuer = ring.NodeID(strings.Repeat("f", ring.NodeIDLen))
	require.True(t, nodes[2].installTable(forged, "test"))
	waitConverged(t, nodes, nodes)
	for _, n := range nodes {
		assert.Equal(t, forged.Issuer, n.Table().Issuer, "every node holds the tie's winner")
	}
}
