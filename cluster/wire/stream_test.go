package wire

import (
	"bytes"
	"math"
	"testing"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEntryRoundTrip(t *testing.T) {
	big := bytes.Repeat([]byte{0xff}, 70000)
	cases := []struct {
		name string
		enc  []byte
		want Entry
	}{
		{"effect set", EncodeEffectEntry(0, 1, store.Effect{Kind: store.EffectSet, Key: []byte("k"), Value: big, ExpireAt: 1}),
			Entry{Type: EntryEffect, Off: 1, Effect: store.Effect{Kind: store.EffectSet, Key: []byte("k"), Value: big, ExpireAt: 1}}},
		{"effect hset", EncodeEffectEntry(ring.SlotCount-1, math.MaxUint64, store.Effect{Kind: store.EffectHSet, Key: []byte{0}, Field: []byte("f"), Value: []byte("v")}),
			Entry{Type: EntryEffect, Slot: ring.SlotCount - 1, Off: math.MaxUint64,
				Effect: store.Effect{Kind: store.EffectHSet, Slot: ring.SlotCount - 1, Key: []byte{0}, Field: []byte("f"), Value: []byte("v")}}},
		{"effect flush slot", EncodeEffectEntry(9, 0, store.Effect{Kind: store.EffectFlushSlot}),
			Entry{Type: EntryEffect, Slot: 9, Effect: store.Effect{Kind: store.EffectFlushSlot, Slot: 9}}},
		{"snap negative expiry", AppendSnapEntry(nil, 2, store.Effect{Kind: store.EffectExpire, Key: []byte("k"), ExpireAt: math.MinInt64}),
			Entry{Type: EntrySnap, Slot: 2, Effect: store.Effect{Kind: store.EffectExpire, Slot: 2, Key: []byte("k"), ExpireAt: math.MinInt64}}},
		{"begin", EncodeBeginEntry(1, math.MaxUint64, 0, 1<<63),
			Entry{Type: EntryBegin, Slot: 1, Session: math.MaxUint64, Epoch: 1 << 63}},
		{"adopt", EncodeAdoptEntry(1, 1, 2, 3), Entry{Type: EntryAdopt, Slot: 1, Session: 1, Off: 2, Epoch: 3}},
		{"synced", EncodeSyncedEntry(16000, 0), Entry{Type: EntrySynced, Slot: 16000}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := DecodeEntry(c.enc)
			require.NoError(t, err)
			c.want.Effect.Slot = c.want.Slot
			if c.want.Type != EntryEffect && c.want.Type != EntrySnap {
				c.want.Effect = store.Effect{}
			}
			assert.Equal(t, c.want, got)
			_, err = DecodeEntry(append(c.enc[:len(c.enc):len(c.enc)], 0))
			assert.Error(t, err, "trailing byte")
		})
	}
}

func TestEntryRefused(t *testing.T) {
	bad := map[string][]byte{
		"empty":             {},
		"unknown type":      {9, 0, 1},
		"type zero":         {0, 0, 1, 0},
		"slot out of range": EncodeSyncedEntry(ring.SlotCount, 1),
		"short slot":        {byte(EntrySynced), 0},
		"varint overflow":   {byte(EntrySynced), 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"key too long":      {byte(EntrySnap), 0, 1, 1, 5, 'a'},
		"no expiry":         {byte(EntrySnap), 0, 1, 1, 1, 'k', 0, 0},
	}
	for name, b := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := DecodeEntry(b)
			assert.Error(t, err)
		})
	}
}

func TestReplicateRoundTrip(t *testing.T) {
	id := ring.NewNodeID()
	many := make([][]byte, 5000) // over the preallocation bound
	for i := range many {
		many[i] = EncodeSyncedEntry(uint16(i%ring.SlotCount), uint64(i))
	}
	for _, batch := range [][][]byte{nil, {EncodeSyncedEntry(1, 2)}, many} {
		from, epoch, first, entries, err := DecodeReplicate(EncodeReplicate(id, 42, 1<<40, batch))
		require.NoError(t, err)
		assert.Equal(t, id, from)
		assert.Equal(t, uint64(42), epoch)
		assert.Equal(t, uint64(1<<40), first)
		require.Len(t, entries, len(batch))
		for i := range batch {
			assert.Equal(t, batch[i], entries[i])
		}
	}
	enc := EncodeReplicate(id, 1, 1, [][]byte{EncodeSyncedEntry(1, 2)})
	_, _, _, _, err := DecodeReplicate(append(enc, 0))
	assert.Error(t, err, "trailing byte")
	_, _, _, _, err = DecodeReplicate(append([]byte(id), 1, 1, 0xff, 0xff, 0xff, 0x0f))
	assert.Error(t, err, "count larger than the request")
}

func TestReplicateReplyRoundTrip(t *testing.T) {
	for _, acks := range [][]SlotAck{
		nil,
		{{Slot: 0}},
		{{Slot: 1, Session: math.MaxUint64, Applied: math.MaxUint64, Synced: true}, {Slot: ring.SlotCount - 1, Applied: 3}},
	} {
		got, err := DecodeReplicateReply(AppendReplicateReply([]byte{}, acks))
		require.NoError(t, err)
		assert.Equal(t, acks, got)
	}
	_, err := DecodeReplicateReply([]byte{0xff, 0xff, 0x03, 0, 1})
	assert.Error(t, err, "count larger than the reply")
	_, err = DecodeReplicateReply(nil)
	assert.Error(t, err, "empty reply")
}
