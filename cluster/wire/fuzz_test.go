package wire

import (
	"reflect"
	"testing"
)

// The fuzz targets feed each decoder arbitrary bytes, seeded with the
// pinned encodings: a decoder must return an error or a value, never
// panic, and what it accepts must encode to bytes it decodes to the same
// value (the encoding of a value is canonical; the input may not be, as a
// varint may carry redundant continuation bytes).
//
//	go test ./cluster/wire -run '^$' -fuzz '^FuzzDecodeEntry$' -fuzztime 20s -fuzzminimizetime 2000x
//
// (Minimizing a new input counts no execs and, on a loaded machine, can
// take most of a short run; -fuzzminimizetime bounds it.)

func seed(f *testing.F, names ...string) {
	for _, g := range goldens() {
		for _, n := range names {
			if g.name == n {
				f.Add(g.enc)
			}
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
}

// reencode checks that v, decoded from some input, survives an encoding
// and a decoding unchanged.
func reencode(t *testing.T, v any, enc []byte, decode func([]byte) (any, error)) {
	t.Helper()
	back, err := decode(enc)
	if err != nil {
		t.Fatalf("re-encoding of %+v does not decode: %v", v, err)
	}
	if !equalValues(v, back) {
		t.Fatalf("round trip changed the value:\n%+v\n%+v", v, back)
	}
}

func FuzzDecodeForward(f *testing.F) {
	seed(f, "forward")
	f.Fuzz(func(t *testing.T, b []byte) {
		resp3, args, err := DecodeForward(b)
		if err == nil {
			reencode(t, fwd{resp3, args}, EncodeForward(resp3, args), decForward)
		}
	})
}

func FuzzDecodeForwardBatch(f *testing.F) {
	seed(f, "forward batch")
	f.Fuzz(func(t *testing.T, b []byte) {
		resp3, cmds, err := DecodeForwardBatch(b)
		if err == nil {
			reencode(t, batch{resp3, cmds}, EncodeForwardBatch(resp3, cmds), decForwardBatch)
		}
	})
}

func FuzzDecodeBatchReplies(f *testing.F) {
	seed(f, "batch replies")
	f.Fuzz(func(t *testing.T, b []byte) {
		replies, err := DecodeBatchReplies(b)
		if err == nil {
			reencode(t, replies, AppendBatchReplies(nil, replies), decBatchReplies)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	seed(f, "effect entry", "snap entry", "begin entry", "adopt entry", "synced entry")
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			return
		}
		var enc []byte
		switch e.Type {
		case EntryEffect:
			enc = EncodeEffectEntry(e.Slot, e.Off, e.Effect)
		case EntrySnap:
			enc = AppendSnapEntry(nil, e.Slot, e.Effect)
		case EntryBegin:
			enc = EncodeBeginEntry(e.Slot, e.Session, e.Off, e.Epoch)
		case EntryAdopt:
			enc = EncodeAdoptEntry(e.Slot, e.Session, e.Off, e.Epoch)
		case EntrySynced:
			enc = EncodeSyncedEntry(e.Slot, e.Off)
		default:
			t.Fatalf("accepted unknown type %d", e.Type)
		}
		reencode(t, e, enc, decEntry)
	})
}

func FuzzDecodeReplicate(f *testing.F) {
	seed(f, "replicate")
	f.Fuzz(func(t *testing.T, b []byte) {
		from, epoch, first, entries, err := DecodeReplicate(b)
		if err == nil {
			reencode(t, repl{from, epoch, first, entries}, EncodeReplicate(from, epoch, first, entries), decReplicate)
		}
	})
}

func FuzzDecodeReplicateReply(f *testing.F) {
	seed(f, "replicate reply")
	f.Fuzz(func(t *testing.T, b []byte) {
		acks, err := DecodeReplicateReply(b)
		if err == nil {
			reencode(t, acks, AppendReplicateReply(nil, acks), decReplicateReply)
		}
	})
}

func FuzzDecodeSlots(f *testing.F) {
	seed(f, "takeover reply", "repl-state request")
	f.Fuzz(func(t *testing.T, b []byte) {
		slots, err := DecodeSlots(b)
		if err == nil {
			reencode(t, slots, AppendSlots(nil, slots), decSlots)
		}
	})
}

func FuzzDecodeReplStates(f *testing.F) {
	for _, g := range goldens() {
		if g.name == "repl-state reply" {
			f.Add(g.enc, 2)
		}
	}
	f.Add([]byte{}, 1)
	f.Add([]byte{1, 0x80, 0x80}, 1)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		n = min(max(n, 0), 1<<16) // the caller asks for at most every slot
		states, err := DecodeReplStates(b, n)
		if err != nil {
			return
		}
		if len(states) != n {
			t.Fatalf("%d states for %d asked", len(states), n)
		}
		reencode(t, states, AppendReplStates(nil, states), decReplStates(n))
	})
}

func FuzzDecodeMoves(f *testing.F) {
	seed(f, "moves")
	f.Fuzz(func(t *testing.T, b []byte) {
		moves, err := DecodeMoves(b)
		if err == nil {
			reencode(t, moves, AppendMoves(nil, moves), decMoves)
		}
	})
}

func FuzzDecodeHandoff(f *testing.F) {
	seed(f, "handoff")
	f.Fuzz(func(t *testing.T, b []byte) {
		epoch, moves, err := DecodeHandoff(b)
		if err == nil {
			reencode(t, handoff{epoch, moves}, EncodeHandoff(epoch, moves), decHandoff)
		}
	})
}

func FuzzDecodeTakeover(f *testing.F) {
	seed(f, "takeover")
	f.Fuzz(func(t *testing.T, b []byte) {
		epoch, from, slots, err := DecodeTakeover(b)
		if err == nil {
			reencode(t, takeover{epoch, from, slots}, EncodeTakeover(epoch, from, slots), decTakeover)
		}
	})
}

func equalValues(a, b any) bool { return reflect.DeepEqual(a, b) }

func FuzzDecodeProbe(f *testing.F) {
	f.Add(AppendProbe(nil, 7, ProbeTable{Epoch: 3, Issuer: "0123456789012345678901234567890123456789"}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		nonce, tb, err := DecodeProbe(b)
		if err != nil {
			return
		}
		back, _, err := DecodeProbeAnswer(AppendProbeAnswer(nil, nonce, tb), nonce)
		if err != nil || back != tb {
			t.Fatalf("answer of %+v decodes to %+v, %v", tb, back, err)
		}
	})
}
