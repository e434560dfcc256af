package wire

import (
	"math"
	"testing"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSlotsRoundTrip(t *testing.T) {
	all := make([]uint16, ring.SlotCount)
	for i := range all {
		all[i] = uint16(i)
	}
	for _, slots := range [][]uint16{{}, {0}, {ring.SlotCount - 1, 0, 7}, all} {
		got, err := DecodeSlots(AppendSlots(nil, slots))
		require.NoError(t, err)
		assert.Equal(t, slots, got)
	}
	for name, b := range map[string][]byte{
		"empty":          {},
		"count too big":  {3, 0, 1, 0, 2},
		"odd byte":       {1, 0},
		"huge count":     {0xff, 0xff, 0xff, 0xff, 0x0f},
		"bad count byte": {0x80},
	} {
		_, err := DecodeSlots(b)
		assert.Error(t, err, name)
	}
}

func TestReplStatesRoundTrip(t *testing.T) {
	a, b := ring.NewNodeID(), ring.NewNodeID()
	states := []plan.ReplState{
		{Source: a, Applied: math.MaxUint64, Synced: true},
		{},
		{Source: b, Applied: 1},
	}
	for n := range states {
		enc := AppendReplStates(nil, states[:n])
		got, err := DecodeReplStates(enc, n)
		require.NoError(t, err)
		assert.Equal(t, states[:n], got)
		_, err = DecodeReplStates(enc, n+1)
		assert.Error(t, err, "fewer states than asked")
	}
	_, err := DecodeReplStates([]byte{1, 0, 40, 'a'}, 1)
	assert.Error(t, err, "truncated source")
}

func TestMovesRoundTrip(t *testing.T) {
	a, b := ring.NewNodeID(), ring.NewNodeID()
	for _, moves := range [][]plan.Move{nil, {{Slot: 0, Target: a}}, {{Slot: ring.SlotCount - 1, Target: b}, {Slot: 3, Target: a}}} {
		got, err := DecodeMoves(AppendMoves(nil, moves))
		require.NoError(t, err)
		assert.Equal(t, moves, got)
		epoch, got, err := DecodeHandoff(EncodeHandoff(math.MaxUint64, moves))
		require.NoError(t, err)
		assert.Equal(t, uint64(math.MaxUint64), epoch)
		assert.Equal(t, moves, got)
	}
	_, err := DecodeMoves(append([]byte{1, 0, 1}, a[:39]...))
	assert.Error(t, err, "truncated target")
	_, _, err = DecodeHandoff([]byte{0x80})
	assert.Error(t, err, "truncated epoch")
}

func TestTakeoverRoundTrip(t *testing.T) {
	id := ring.NewNodeID()
	for _, slots := range [][]SlotOffset{nil, {{Slot: 1, Off: 0}}, {{Slot: ring.SlotCount - 1, Off: math.MaxUint64}, {Slot: 0, Off: 5}}} {
		epoch, from, got, err := DecodeTakeover(EncodeTakeover(9, id, slots))
		require.NoError(t, err)
		assert.Equal(t, uint64(9), epoch)
		assert.Equal(t, id, from)
		assert.Equal(t, slots, got)
	}
	_, _, _, err := DecodeTakeover(append([]byte{1}, id[:20]...))
	assert.Error(t, err, "short ID")
	_, _, _, err = DecodeTakeover(append(append([]byte{1}, id...), 9, 0, 1, 1))
	assert.Error(t, err, "count larger than the request")
}
