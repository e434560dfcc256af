package ring

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNewNodeID(t *testing.T) {
	seen := make(map[NodeID]bool)
	for range 100 {
		id := NewNodeID()
		require.NoError(t, id.Validate())
		require.False(t, seen[id], "NewNodeID repeated %s", id)
		seen[id] = true
	}
}

func TestParseNodeID(t *testing.T) {
	valid := "07c37dfeb235213a872192d90877d0cd55635b91" // from the Redis CLUSTER NODES docs
	cases := []struct {
		name, in string
		ok       bool
	}{
		{"redis example", valid, true},
		{"all zero", strings.Repeat("0", 40), true},
		{"empty", "", false},
		{"short", valid[:39], false},
		{"long", valid + "0", false},
		{"upper case", strings.ToUpper(valid), false},
		{"not hex", "g" + valid[1:], false},
		{"space", " " + valid[1:], false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, err := ParseNodeID(c.in)
			if c.ok {
				require.NoError(t, err)
				assert.Equal(t, NodeID(c.in), id)
				return
			}
			require.ErrorIs(t, err, ErrInvalidNodeID)
			assert.Empty(t, id)
		})
	}
}

func TestNodeIDRaw(t *testing.T) {
	id := NewNodeID()
	raw, err := id.appendRaw(nil)
	require.NoError(t, err)
	require.Len(t, raw, nodeIDBytes)
	assert.Equal(t, id, nodeIDFromRaw(raw))
	_, err = NodeID("xyz").appendRaw(nil)
	require.ErrorIs(t, err, ErrInvalidNodeID)
}
