package wire

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// A replication stream (transport.KindReplicate) carries entries: each is
// its type (1 byte), its slot (2 bytes big endian) and then, by type,
//
//	EntryEffect  offset(uvarint) effect
//	EntrySnap    effect
//	EntryBegin   session(uvarint) base offset(uvarint) rank(uvarint)
//	EntryAdopt   session(uvarint) offset(uvarint) rank(uvarint)
//	EntrySynced  offset(uvarint)
//
// where an effect is kind(1) key field value (byte strings) and expiry
// (varint, unix milliseconds). One call carries a batch:
//
//	sender ID(40) epoch(uvarint) first sequence number(uvarint) count(uvarint) { entry as a byte string }*count
//
// and its reply reports, per slot the batch touched,
//
//	count(uvarint) { slot(2) session(uvarint) applied(uvarint) synced(1) }*count

// EntryType says what a stream entry is: its first byte. Never renumber.
type EntryType byte

// Stream entry types.
const (
	// EntryEffect: a committed effect of a slot the sender leads, with the
	// slot's offset after it.
	EntryEffect EntryType = 1
	// EntrySnap: an effect of a transfer's snapshot (no offset).
	EntrySnap EntryType = 2
	// EntryBegin: a transfer starts at a base offset; the receiver drops
	// its copy of the slot.
	EntryBegin EntryType = 3
	// EntrySynced: the transfer is complete up to the offset.
	EntrySynced EntryType = 4
	// EntryAdopt: the node the receiver handed the slot off to streams it
	// from the offset on; the receiver's copy is the replica's state, so no
	// transfer is needed.
	EntryAdopt EntryType = 5
)

// Entry is a decoded stream entry. Its Effect's byte slices alias the
// encoded entry.
type Entry struct {
	Type    EntryType
	Slot    uint16
	Off     uint64 // EntryEffect, EntrySynced, EntryAdopt: the offset; EntryBegin: the base
	Session uint64 // EntryBegin, EntryAdopt
	Epoch   uint64 // EntryBegin, EntryAdopt: the transfer's rank
	Effect  store.Effect
}

func appendEffect(b []byte, e store.Effect) []byte {
	b = append(b, byte(e.Kind))
	b = appendBytes(b, e.Key)
	b = appendBytes(b, e.Field)
	b = appendBytes(b, e.Value)
	return binary.AppendVarint(b, e.ExpireAt)
}

// EncodeEffectEntry encodes an EntryEffect: effect e of slot, which brings
// the slot to offset off.
func EncodeEffectEntry(slot uint16, off uint64, e store.Effect) []byte {
	b := make([]byte, 0, 24+len(e.Key)+len(e.Field)+len(e.Value))
	b = append(b, byte(EntryEffect))
	b = binary.BigEndian.AppendUint16(b, slot)
	b = binary.AppendUvarint(b, off)
	return appendEffect(b, e)
}

// AppendSnapEntry appends an EntrySnap of effect e to b.
func AppendSnapEntry(b []byte, slot uint16, e store.Effect) []byte {
	b = append(b, byte(EntrySnap))
	b = binary.BigEndian.AppendUint16(b, slot)
	return appendEffect(b, e)
}

// EncodeBeginEntry encodes an EntryBegin: transfer session of slot starts
// at offset base, ranked rank.
func EncodeBeginEntry(slot uint16, session, base, rank uint64) []byte {
	return encodeSessionEntry(EntryBegin, slot, session, base, rank)
}

// EncodeAdoptEntry encodes an EntryAdopt: session streams slot from offset
// off, ranked rank.
func EncodeAdoptEntry(slot uint16, session, off, rank uint64) []byte {
	return encodeSessionEntry(EntryAdopt, slot, session, off, rank)
}

// encodeSessionEntry encodes the entries that start a session: begin and
// adopt.
func encodeSessionEntry(typ EntryType, slot uint16, session, off, rank uint64) []byte {
	b := []byte{byte(typ)}
	b = binary.BigEndian.AppendUint16(b, slot)
	b = binary.AppendUvarint(b, session)
	b = binary.AppendUvarint(b, off)
	return binary.AppendUvarint(b, rank)
}

// EncodeSyncedEntry encodes an EntrySynced: the transfer of slot is
// complete up to offset off.
func EncodeSyncedEntry(slot uint16, off uint64) []byte {
	b := []byte{byte(EntrySynced)}
	b = binary.BigEndian.AppendUint16(b, slot)
	return binary.AppendUvarint(b, off)
}

// DecodeEntry decodes one stream entry. It refuses an unknown type, a slot
// out of range and trailing bytes.
func DecodeEntry(b []byte) (Entry, error) {
	d := decoder{b: b}
	var e Entry
	e.Type = EntryType(d.byte1())
	e.Slot = d.u16()
	switch e.Type {
	case EntryEffect:
		e.Off = d.uvarint()
		e.Effect = d.effect(e.Slot)
	case EntrySnap:
		e.Effect = d.effect(e.Slot)
	case EntryBegin, EntryAdopt:
		e.Session = d.uvarint()
		e.Off = d.uvarint()
		e.Epoch = d.uvarint()
	case EntrySynced:
		e.Off = d.uvarint()
	default:
		if d.err == nil {
			d.err = fmt.Errorf("unknown entry type %d", e.Type)
		}
	}
	d.trailing()
	if d.err == nil && int(e.Slot) >= ring.SlotCount {
		d.err = fmt.Errorf("slot %d out of range", e.Slot)
	}
	if d.err != nil {
		return e, fmt.Errorf("stream entry: %w", d.err)
	}
	return e, nil
}

// maxPrealloc bounds the entries DecodeReplicate allocates room for ahead
// (the sender's batch limit); a longer valid batch still decodes.
const maxPrealloc = 4096

// EncodeReplicate encodes a batch of encoded entries from node from, which
// holds the table of epoch; the first entry has sequence number first.
func EncodeReplicate(from ring.NodeID, epoch, first uint64, batch [][]byte) []byte {
	size := len(from) + 3*binary.MaxVarintLen64
	for _, e := range batch {
		size += binary.MaxVarintLen32 + len(e)
	}
	b := make([]byte, 0, size)
	b = append(b, from...)
	b = binary.AppendUvarint(b, epoch)
	b = binary.AppendUvarint(b, first)
	b = binary.AppendUvarint(b, uint64(len(batch)))
	for _, e := range batch {
		b = appendBytes(b, e)
	}
	return b
}

// DecodeReplicate decodes EncodeReplicate's output; it refuses trailing
// bytes. The entries alias b and are not decoded (DecodeEntry).
func DecodeReplicate(b []byte) (from ring.NodeID, epoch, first uint64, entries [][]byte, err error) {
	if len(b) < ring.NodeIDLen {
		return "", 0, 0, nil, errors.New("replicate: short request")
	}
	from = ring.NodeID(b[:ring.NodeIDLen])
	d := decoder{b: b[ring.NodeIDLen:]}
	epoch = d.uvarint()
	first = d.uvarint()
	n := d.count(1)
	if d.err == nil {
		entries = make([][]byte, 0, min(n, maxPrealloc))
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		entries = append(entries, d.bytes())
	}
	d.trailing()
	if d.err != nil {
		return "", 0, 0, nil, fmt.Errorf("replicate request: %w", d.err)
	}
	return from, epoch, first, entries, nil
}

// SlotAck is what a replica reports for one slot in its reply to a
// replication call: the transfer session from the sender it is synced to
// (0: it holds no copy from the sender, which must re-sync the slot), the
// offset it applied, and whether the transfer completed.
type SlotAck struct {
	Slot    uint16
	Session uint64
	Applied uint64
	Synced  bool
}

// AppendReplicateReply appends the reply to a replication call.
func AppendReplicateReply(b []byte, acks []SlotAck) []byte {
	b = binary.AppendUvarint(b, uint64(len(acks)))
	for _, a := range acks {
		b = binary.BigEndian.AppendUint16(b, a.Slot)
		b = binary.AppendUvarint(b, a.Session)
		b = binary.AppendUvarint(b, a.Applied)
		if a.Synced {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

// DecodeReplicateReply decodes AppendReplicateReply's output. A synced
// byte other than 1 reads as false.
func DecodeReplicateReply(b []byte) ([]SlotAck, error) {
	d := decoder{b: b}
	n := d.count(5) // slot(2) session(1+) applied(1+) synced(1)
	var out []SlotAck
	for i := uint64(0); d.err == nil && i < n; i++ {
		var a SlotAck
		a.Slot = d.u16()
		a.Session = d.uvarint()
		a.Applied = d.uvarint()
		a.Synced = d.byte1() == 1
		out = append(out, a)
	}
	if d.err != nil {
		return nil, fmt.Errorf("replicate reply: %w", d.err)
	}
	return out, nil
}
