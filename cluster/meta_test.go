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

func TestMetaRoundTrip(t *testing.T) {
	cases := []Meta{
		{ID: ring.NewNodeID(), ClientAddr: "127.0.0.1:6379", ClusterAddr: "127.0.0.1:16379",
			StartTime: time.Now().UnixNano(), State: StateServing, Epoch: 42, Issuer: ring.NewNodeID()},
		{ID: ring.NewNodeID(), ClientAddr: "[2001:db8::1]:6379", ClusterAddr: "[2001:db8::1]:16379",
			StartTime: 1, State: StateJoining},
		{ID: ring.NewNodeID(), ClientAddr: strings.Repeat("h", 200) + ":1", ClusterAddr: strings.Repeat("c", 200) + ":2",
			StartTime: -1, State: StateDraining, Epoch: 1<<64 - 1},
	}
	for _, m := range cases {
		b, err := m.Encode()
		require.NoError(t, err)
		assert.LessOrEqual(t, len(b), MetaMaxSize)
		got, err := DecodeMeta(b)
		require.NoError(t, err)
		assert.Equal(t, m, got)

		// A later version may append fields: older decoders skip them.
		future := append([]byte{metaVersion + 1}, b[1:]...)
		future = append(future, "new field"...)
		got, err = DecodeMeta(future)
		require.NoError(t, err)
		assert.Equal(t, m, got)

		// Every truncation is an error, never a panic.
		for i := range len(b) {
			_, err := DecodeMeta(b[:i])
			assert.Error(t, err, "truncated to %d bytes", i)
		}
	}
}

func TestMetaEncodeErrors(t *testing.T) {
	_, err := (&Meta{ID: "nope"}).Encode()
	assert.ErrorIs(t, err, ring.ErrInvalidNodeID)
	_, err = (&Meta{ID: ring.NewNodeID(), ClientAddr: strings.Repeat("x", MetaMaxSize)}).Encode()
	assert.Error(t, err, "over the memberlist limit")
	_, err = DecodeMeta(append([]byte{0}, make([]byte, 40)...))
	assert.Error(t, err, "version 0 is not ours")
}

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

// TestMetaHoldsNewer checks that gossiped metadata orders tables as
// ring.Newer does, equal epochs by issuer: two nodes that bootstrapped at
// once hold different tables of one epoch, and the loser pulls the winner's.
func TestMetaHoldsNewer(t *testing.T) {
	a, b := ring.NodeID(strings.Repeat("a", IDLen)), ring.NodeID(strings.Repeat("b", IDLen))
	cases := []struct {
		name   string
		m      Meta
		epoch  uint64
		issuer ring.NodeID
		want   bool
	}{
		{"higher epoch", Meta{Epoch: 2, Issuer: a}, 1, b, true},
		{"lower epoch", Meta{Epoch: 1, Issuer: b}, 2, a, false},
		{"same table", Meta{Epoch: 1, Issuer: a}, 1, a, false},
		{"equal epoch, higher issuer", Meta{Epoch: 1, Issuer: b}, 1, a, true},
		{"equal epoch, lower issuer", Meta{Epoch: 1, Issuer: a}, 1, b, false},
		{"no table yet", Meta{}, 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, c.m.holdsNewer(c.epoch, c.issuer))
			ta, err := ring.NewTable(c.m.Epoch, c.m.Issuer, nil)
			require.NoError(t, err)
			tb, err := ring.NewTable(c.epoch, c.issuer, nil)
			require.NoError(t, err)
			assert.Equal(t, c.want, ring.Newer(ta, tb), "ring.Newer agrees")
		})
	}
}

// TestMetaVersion1 decodes a version 1 encoding (no issuer).
func TestMetaVersion1(t *testing.T) {
	m := Meta{ID: ring.NewNodeID(), ClientAddr: "127.0.0.1:6379", ClusterAddr: "127.0.0.1:16379", StartTime: 7, State: StateServing, Epoch: 3}
	b, err := m.Encode()
	require.NoError(t, err)
	v1 := append([]byte{1}, b[1:len(b)-1]...) // version 1 ends after the cluster address
	got, err := DecodeMeta(v1)
	require.NoError(t, err)
	assert.Equal(t, m, got)
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
	forged.Issuer = ring.NodeID(strings.Repeat("f", IDLen))
	require.True(t, nodes[2].installTable(forged, "test"))
	waitConverged(t, nodes, nodes)
	for _, n := range nodes {
		assert.Equal(t, forged.Issuer, n.Table().Issuer, "every node holds the tie's winner")
	}
}
