package wire

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
			assert.Equal(t, c.want, c.m.HoldsNewer(c.epoch, c.issuer))
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
