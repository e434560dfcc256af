package wire

import (
	"encoding/binary"
	"fmt"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
)

// The coordinator's data steps and a slot handoff speak these messages:
//
//	slots         count(uvarint) { slot(2) }*count
//	                (a repl-state request; a takeover reply: the slots taken)
//	repl states   { synced(1) applied(uvarint) source length(1) source }, one per slot asked
//	moves         count(uvarint) { slot(2) target ID(40) }*count
//	                (a handoff reply: the moves done)
//	handoff       epoch(uvarint) moves
//	takeover      epoch(uvarint) primary ID(40) count(uvarint) { slot(2) last offset(uvarint) }*count
//
// None of their decoders refuses trailing bytes.

// AppendSlots appends a list of slots.
func AppendSlots(b []byte, slots []uint16) []byte {
	b = binary.AppendUvarint(b, uint64(len(slots)))
	for _, s := range slots {
		b = binary.BigEndian.AppendUint16(b, s)
	}
	return b
}

// DecodeSlots decodes AppendSlots' output. It does not check that the
// slots are in range.
func DecodeSlots(b []byte) ([]uint16, error) {
	d := decoder{b: b}
	n := d.count(2)
	var out []uint16
	if d.err == nil {
		out = make([]uint16, 0, n)
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		out = append(out, d.u16())
	}
	if d.err != nil {
		return nil, fmt.Errorf("slots: %w", d.err)
	}
	return out, nil
}

// AppendReplStates appends a replica's receiving state of the slots it was
// asked about, in the order asked: a flags byte (1 synced, 2 empty), the
// applied offset and the source, a node ID or empty.
func AppendReplStates(b []byte, states []plan.ReplState) []byte {
	for _, ri := range states {
		var f byte
		if ri.Synced {
			f |= 1
		}
		if ri.Empty {
			f |= 2
		}
		b = append(b, f)
		b = binary.AppendUvarint(b, ri.Applied)
		b = append(b, byte(len(ri.Source)))
		b = append(b, ri.Source...)
	}
	return b
}

// DecodeReplStates decodes the first n states of AppendReplStates' output.
func DecodeReplStates(b []byte, n int) ([]plan.ReplState, error) {
	d := decoder{b: b}
	out := make([]plan.ReplState, 0, min(n, len(b)/3))
	for i := 0; d.err == nil && i < n; i++ {
		var s plan.ReplState
		f := d.byte1()
		s.Synced, s.Empty = f&1 != 0, f&2 != 0
		s.Applied = d.uvarint()
		l := int(d.byte1())
		s.Source = ring.NodeID(d.raw(l, "source"))
		out = append(out, s)
	}
	if d.err != nil {
		return nil, fmt.Errorf("repl states: %w", d.err)
	}
	return out, nil
}

// AppendMoves appends a list of moves: per move, a slot and its target.
func AppendMoves(b []byte, moves []plan.Move) []byte {
	b = binary.AppendUvarint(b, uint64(len(moves)))
	for _, m := range moves {
		b = binary.BigEndian.AppendUint16(b, m.Slot)
		b = append(b, m.Target...)
	}
	return b
}

func (d *decoder) moves() []plan.Move {
	n := d.count(2 + ring.NodeIDLen)
	var moves []plan.Move
	for i := uint64(0); d.err == nil && i < n; i++ {
		s := d.u16()
		target := d.nodeID()
		if d.err != nil {
			break
		}
		moves = append(moves, plan.Move{Slot: s, Target: target})
	}
	return moves
}

// DecodeMoves decodes AppendMoves' output.
func DecodeMoves(b []byte) ([]plan.Move, error) {
	d := decoder{b: b}
	moves := d.moves()
	if d.err != nil {
		return nil, fmt.Errorf("moves: %w", d.err)
	}
	return moves, nil
}

// EncodeHandoff encodes the coordinator's request that a primary hand
// slots off (the moves), under the table of epoch.
func EncodeHandoff(epoch uint64, moves []plan.Move) []byte {
	return AppendMoves(binary.AppendUvarint(nil, epoch), moves)
}

// DecodeHandoff decodes EncodeHandoff's output.
func DecodeHandoff(b []byte) (epoch uint64, moves []plan.Move, err error) {
	d := decoder{b: b}
	epoch = d.uvarint()
	moves = d.moves()
	if d.err != nil {
		return 0, nil, fmt.Errorf("handoff request: %w", d.err)
	}
	return epoch, moves, nil
}

// SlotOffset is a slot and an offset in its stream.
type SlotOffset struct {
	Slot uint16
	Off  uint64
}

// EncodeTakeover encodes a primary's word to a synced replica that it
// leads slots now: the primary's ID, the epoch of its table, and per slot
// the last offset the primary wrote.
func EncodeTakeover(epoch uint64, from ring.NodeID, slots []SlotOffset) []byte {
	b := binary.AppendUvarint(nil, epoch)
	b = append(b, from...)
	b = binary.AppendUvarint(b, uint64(len(slots)))
	for _, s := range slots {
		b = binary.BigEndian.AppendUint16(b, s.Slot)
		b = binary.AppendUvarint(b, s.Off)
	}
	return b
}

// DecodeTakeover decodes EncodeTakeover's output. It does not check that
// the slots are in range.
func DecodeTakeover(b []byte) (epoch uint64, from ring.NodeID, slots []SlotOffset, err error) {
	d := decoder{b: b}
	epoch = d.uvarint()
	from = d.nodeID()
	n := d.count(3)
	for i := uint64(0); d.err == nil && i < n; i++ {
		var s SlotOffset
		s.Slot = d.u16()
		s.Off = d.uvarint()
		slots = append(slots, s)
	}
	if d.err != nil {
		return 0, "", nil, fmt.Errorf("takeover request: %w", d.err)
	}
	return epoch, from, slots, nil
}
