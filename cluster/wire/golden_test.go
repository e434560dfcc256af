package wire

import (
	"encoding/hex"
	"testing"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testID is a node ID for encodings pinned as hex.
const testID = ring.NodeID("0123456789abcdef0123456789abcdef01234567")

type golden struct {
	name   string
	enc    []byte
	hex    string
	decode func([]byte) (any, error)
	want   any
}

type fwd struct {
	RESP3 bool
	Args  [][]byte
}

type batch struct {
	RESP3 bool
	Cmds  [][][]byte
}

type repl struct {
	From    ring.NodeID
	Epoch   uint64
	First   uint64
	Entries [][]byte
}

type handoff struct {
	Epoch uint64
	Moves []plan.Move
}

type takeover struct {
	Epoch uint64
	From  ring.NodeID
	Slots []SlotOffset
}

func decForward(b []byte) (any, error) {
	r, a, err := DecodeForward(b)
	return fwd{r, a}, err
}

func decForwardBatch(b []byte) (any, error) {
	r, c, err := DecodeForwardBatch(b)
	return batch{r, c}, err
}

func decBatchReplies(b []byte) (any, error) { return DecodeBatchReplies(b) }
func decEntry(b []byte) (any, error)        { return DecodeEntry(b) }

func decReplicate(b []byte) (any, error) {
	from, epoch, first, entries, err := DecodeReplicate(b)
	return repl{from, epoch, first, entries}, err
}

func decReplicateReply(b []byte) (any, error) { return DecodeReplicateReply(b) }
func decSlots(b []byte) (any, error)          { return DecodeSlots(b) }
func decMoves(b []byte) (any, error)          { return DecodeMoves(b) }

func decReplStates(n int) func([]byte) (any, error) {
	return func(b []byte) (any, error) { return DecodeReplStates(b, n) }
}

func decHandoff(b []byte) (any, error) {
	epoch, moves, err := DecodeHandoff(b)
	return handoff{epoch, moves}, err
}

func decTakeover(b []byte) (any, error) {
	epoch, from, slots, err := DecodeTakeover(b)
	return takeover{epoch, from, slots}, err
}

func goldens() []golden {
	set := store.Effect{Kind: store.EffectSet, Slot: 300, Key: []byte("k"), Value: []byte("v"), ExpireAt: -1}
	hset := store.Effect{Kind: store.EffectSet, Slot: 1, Key: []byte("a"), Field: []byte("f"), Value: []byte("b"), ExpireAt: 1700000000000}
	setrange := store.Effect{Kind: store.EffectSetRange, Slot: 2, Key: []byte("k"), Field: []byte("3"), Value: []byte("ab")}
	begin := EncodeBeginEntry(16383, 2, 3, 4)
	synced := EncodeSyncedEntry(12, 999)
	return []golden{
		{"forward", EncodeForward(true, [][]byte{[]byte("SET"), []byte("k"), []byte("v")}),
			"010303534554016b0176", decForward,
			fwd{true, [][]byte{[]byte("SET"), []byte("k"), []byte("v")}}},
		{"forward batch", EncodeForwardBatch(false, [][][]byte{{[]byte("GET"), []byte("k")}, {[]byte("PING")}}),
			"00020203474554016b010450494e47", decForwardBatch,
			batch{false, [][][]byte{{[]byte("GET"), []byte("k")}, {[]byte("PING")}}}},
		{"batch replies", AppendBatchReplies(nil, [][]byte{[]byte("+OK\r\n"), {}}),
			"02052b4f4b0d0a00", decBatchReplies, [][]byte{[]byte("+OK\r\n"), {}}},
		{"effect entry", EncodeEffectEntry(300, 7, set),
			"01012c0701016b00017601", decEntry,
			Entry{Type: EntryEffect, Slot: 300, Off: 7, Effect: set}},
		{"snap entry", AppendSnapEntry(nil, 1, hset),
			"0200010101610166016280a0abfef962", decEntry,
			Entry{Type: EntrySnap, Slot: 1, Effect: hset}},
		{"setrange effect entry", EncodeEffectEntry(2, 5, setrange),
			"010002050d016b013302616200", decEntry,
			Entry{Type: EntryEffect, Slot: 2, Off: 5, Effect: setrange}},
		{"begin entry", begin, "033fff020304", decEntry,
			Entry{Type: EntryBegin, Slot: 16383, Session: 2, Off: 3, Epoch: 4}},
		{"adopt entry", EncodeAdoptEntry(5, 1<<40, 200, 9), "050005808080808020c80109", decEntry,
			Entry{Type: EntryAdopt, Slot: 5, Session: 1 << 40, Off: 200, Epoch: 9}},
		{"synced entry", synced, "04000ce707", decEntry,
			Entry{Type: EntrySynced, Slot: 12, Off: 999}},
		{"replicate", EncodeReplicate(testID, 3, 1<<40, [][]byte{begin, synced}),
			hex.EncodeToString([]byte(testID)) + "038080808080200206033fff0203040504000ce707", decReplicate,
			repl{testID, 3, 1 << 40, [][]byte{begin, synced}}},
		{"replicate reply", AppendReplicateReply(nil, []SlotAck{{Slot: 1, Session: 2, Applied: 300, Synced: true}, {Slot: 16383}}),
			"02000102ac02013fff000000", decReplicateReply,
			[]SlotAck{{Slot: 1, Session: 2, Applied: 300, Synced: true}, {Slot: 16383}}},
		{"handoff", EncodeHandoff(7, []plan.Move{{Slot: 5, Target: testID}}),
			"07010005" + hex.EncodeToString([]byte(testID)), decHandoff,
			handoff{7, []plan.Move{{Slot: 5, Target: testID}}}},
		{"moves", AppendMoves(nil, []plan.Move{{Slot: 5, Target: testID}}),
			"010005" + hex.EncodeToString([]byte(testID)), decMoves,
			[]plan.Move{{Slot: 5, Target: testID}}},
		{"takeover", EncodeTakeover(7, testID, []SlotOffset{{Slot: 5, Off: 300}}),
			"07" + hex.EncodeToString([]byte(testID)) + "010005ac02", decTakeover,
			takeover{7, testID, []SlotOffset{{Slot: 5, Off: 300}}}},
		{"takeover reply", AppendSlots(nil, []uint16{5, 6}), "0200050006", decSlots, []uint16{5, 6}},
		{"repl-state request", AppendSlots(nil, []uint16{1, 16383}), "0200013fff", decSlots, []uint16{1, 16383}},
		{"repl-state reply", AppendReplStates(nil, []plan.ReplState{{Synced: true, Applied: 300, Source: testID}, {}}),
			"01ac0228" + hex.EncodeToString([]byte(testID)) + "000000", decReplStates(2),
			[]plan.ReplState{{Synced: true, Applied: 300, Source: testID}, {}}},
	}
}

// TestGolden pins the bytes of each message: a change here is a change
// of the wire format, which needs a compatibility note (see the package
// doc). It also checks that each encoding decodes back and that every
// truncation of it is refused.
func TestGolden(t *testing.T) {
	for _, g := range goldens() {
		t.Run(g.name, func(t *testing.T) {
			assert.Equal(t, g.hex, hex.EncodeToString(g.enc), "the wire format changed")
			got, err := g.decode(g.enc)
			require.NoError(t, err)
			assert.Equal(t, g.want, got)
			for cut := 0; cut < len(g.enc); cut++ {
				_, err := g.decode(g.enc[:cut:cut])
				assert.Error(t, err, "truncated to %d bytes", cut)
			}
		})
	}
}
