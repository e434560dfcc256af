package ring

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// The binary form of a Table, version 2 (integers big-endian, "uvarint" as
// encoding/binary):
//
//	magic "MCRT" | version byte 1 | epoch uint64 | issuer 20 raw bytes
//	member count uvarint, then per member, in ascending ID order:
//	    ID 20 raw bytes | len uvarint + Addr | len uvarint + ClusterAddr
//	runs of identical slot entries covering slots 0 to SlotCount-1 in order:
//	    run length uvarint (at least 1)
//	    header byte: owner count (low 4 bits) | state kind << 4 |
//	        0x80 if the slot has a preferred primary
//	    owner member indexes, uvarint each, primary first
//	    peer member index, uvarint, unless the state is stable
//	    preferred primary's member index, uvarint, if flagged
//	CRC-32C of everything before, uint32
//
// Placements scatter consecutive slots over the members, so a table of a
// multi-node cluster is about one run per 1-2 slots: 2-3 bytes per run plus
// one per owner, 50-70 KB with one replica. Empty and one-node tables, and
// ranges moved as a block, take a few bytes.
const (
	tableMagic   = "MCRT"
	tableVersion = 2
	tableHeader  = len(tableMagic) + 1 + 8 + nodeIDBytes
	// hasPreferred flags a slot entry's header byte.
	hasPreferred = 0x80
)

// ErrBadTable is wrapped by every UnmarshalBinary error.
var ErrBadTable = errors.New("bad routing table encoding")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// MarshalBinary encodes t for another node (encoding.BinaryMarshaler). The
// issuer must be a valid node ID.
func (t *Table) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, tableHeader+len(t.members)*64+SlotCount*4+4)
	b = append(b, tableMagic...)
	b = append(b, tableVersion)
	b = binary.BigEndian.AppendUint64(b, t.Epoch)
	var err error
	if b, err = t.Issuer.appendRaw(b); err != nil {
		return nil, fmt.Errorf("marshal table epoch %d: issuer: %w", t.Epoch, err)
	}
	b = binary.AppendUvarint(b, uint64(len(t.members)))
	for _, m := range t.members {
		if b, err = m.ID.appendRaw(b); err != nil {
			return nil, fmt.Errorf("marshal table epoch %d: member: %w", t.Epoch, err)
		}
		b = binary.AppendUvarint(b, uint64(len(m.Addr)))
		b = append(b, m.Addr...)
		b = binary.AppendUvarint(b, uint64(len(m.ClusterAddr)))
		b = append(b, m.ClusterAddr...)
	}
	for s := 0; s < SlotCount; {
		e := &t.slots[s]
		run := 1
		for s+run < SlotCount && t.slots[s+run] == *e {
			run++
		}
		s += run
		b = binary.AppendUvarint(b, uint64(run))
		h := e.n | byte(e.kind)<<4
		if e.pref != 0 {
			h |= hasPreferred
		}
		b = append(b, h)
		for _, i := range e.owners[:e.n] {
			b = binary.AppendUvarint(b, uint64(i))
		}
		if e.kind != SlotStable {
			b = binary.AppendUvarint(b, uint64(e.peer))
		}
		if e.pref != 0 {
			b = binary.AppendUvarint(b, uint64(e.pref-1))
		}
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, castagnoli)), nil
}

// UnmarshalBinary decodes a table written by MarshalBinary
// (encoding.BinaryUnmarshaler). It checks everything a peer could get wrong
// (checksum, lengths, member order, index ranges, duplicate owners, slot
// states) and returns an error wrapping ErrBadTable rather than a table that
// breaks the invariants; on error t is left unchanged.
func (t *Table) UnmarshalBinary(data []byte) error {
	var nt Table
	if err := nt.decode(data); err != nil {
		return fmt.Errorf("%w: %w", ErrBadTable, err)
	}
	*t = nt
	return nil
}

func (t *Table) decode(data []byte) error {
	if len(data) < tableHeader+4 {
		return fmt.Errorf("%d bytes is too short", len(data))
	}
	if string(data[:len(tableMagic)]) != tableMagic {
		return fmt.Errorf("magic %q, want %q", data[:len(tableMagic)], tableMagic)
	}
	if v := data[len(tableMagic)]; v != tableVersion {
		return fmt.Errorf("version %d, want %d", v, tableVersion)
	}
	body, sum := data[:len(data)-4], binary.BigEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return fmt.Errorf("checksum %08x, want %08x", got, sum)
	}
	d := decoder{b: body[len(tableMagic)+1:]}
	t.Epoch = binary.BigEndian.Uint64(d.next(8))
	t.Issuer = nodeIDFromRaw(d.next(nodeIDBytes))

	n := d.uvarint(MaxMembers, "member count")
	if d.err != nil {
		return d.err
	}
	t.members = make([]Member, 0, n)
	t.index = make(map[NodeID]uint16, n)
	var prev []byte
	for i := range n {
		raw := d.next(nodeIDBytes)
		if d.err != nil {
			return d.err
		}
		if i > 0 && bytes.Compare(prev, raw) >= 0 {
			return fmt.Errorf("member %d: IDs not strictly ascending", i)
		}
		prev = raw
		m := Member{ID: nodeIDFromRaw(raw)}
		m.Addr = string(d.next(d.uvarint(maxAddrLen, "address length")))
		m.ClusterAddr = string(d.next(d.uvarint(maxAddrLen, "cluster address length")))
		if d.err != nil {
			return fmt.Errorf("member %d: %w", i, d.err)
		}
		t.members = append(t.members, m)
		t.index[m.ID] = uint16(i)
	}

	for s := 0; s < SlotCount; {
		run := d.uvarint(SlotCount-s, "run length")
		h := d.next(1)
		switch {
		case d.err != nil:
			return fmt.Errorf("slot %d: %w", s, d.err)
		case run == 0:
			return fmt.Errorf("slot %d: empty run", s)
		}
		e := slotEntry{n: h[0] & 0x0f, kind: SlotStateKind(h[0] &^ hasPreferred >> 4)}
		if e.n > MaxOwners {
			return fmt.Errorf("slot %d: %d owners, at most %d", s, e.n, MaxOwners)
		}
		if e.kind >= numSlotStates {
			return fmt.Errorf("slot %d: unknown state %d", s, e.kind)
		}
		for k := range int(e.n) {
			i := uint16(d.uvarint(n-1, "owner index"))
			if d.err != nil {
				return fmt.Errorf("slot %d: %w", s, d.err)
			}
			for _, o := range e.owners[:k] {
				if o == i {
					return fmt.Errorf("slot %d: owner %d listed twice", s, i)
				}
			}
			e.owners[k] = i
		}
		if e.kind != SlotStable {
			e.peer = uint16(d.uvarint(n-1, "peer index"))
			switch {
			case d.err != nil:
				return fmt.Errorf("slot %d: %w", s, d.err)
			case e.n == 0:
				return fmt.Errorf("slot %d: %s without a primary", s, e.kind)
			case e.peer == e.owners[0]:
				return fmt.Errorf("slot %d: %s peer is the primary", s, e.kind)
			}
		}
		if h[0]&hasPreferred != 0 {
			e.pref = uint16(d.uvarint(n-1, "preferred primary index")) + 1
			if d.err != nil {
				return fmt.Errorf("slot %d: %w", s, d.err)
			}
		}
		for range run {
			t.slots[s] = e
			s++
		}
	}
	if len(d.b) != 0 {
		return fmt.Errorf("%d bytes after the last slot", len(d.b))
	}
	return nil
}

// decoder reads a byte slice front to back; after the first error every
// read returns zero values and err keeps that first error.
type decoder struct {
	b   []byte
	err error
}

// next returns the next n bytes.
func (d *decoder) next(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.b) {
		d.err = fmt.Errorf("truncated: need %d bytes, have %d", n, len(d.b))
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

// uvarint reads a uvarint no greater than limit (a negative limit accepts
// nothing).
func (d *decoder) uvarint(limit int, what string) int {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = fmt.Errorf("%s: bad uvarint", what)
		return 0
	}
	d.b = d.b[n:]
	if limit < 0 || v > uint64(limit) {
		d.err = fmt.Errorf("%s %d out of range 0-%d", what, v, max(limit, 0))
		return 0
	}
	return int(v)
}
