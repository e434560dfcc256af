// Package wire holds the formats of the messages cluster nodes send each
// other over cluster/transport's RPC: the payload of each call and of its
// reply. Package cluster builds and reads them; transport only frames them
// (a frame's Kind says which message its payload is). Nothing here opens a
// socket or holds state: every function is bytes in, values out.
//
// # Messages and the frames they ride
//
//	transport.KindPing          request: any bytes, reply: the same bytes (no codec);
//	                            or a lease probe: AppendProbe / DecodeProbe,
//	                            reply: AppendProbeAnswer / DecodeProbeAnswer (probe.go)
//	transport.KindForward       EncodeForward / DecodeForward; reply: the raw RESP reply
//	transport.KindForwardBatch  EncodeForwardBatch / DecodeForwardBatch;
//	                            reply: AppendBatchReplies / DecodeBatchReplies
//	transport.KindPushTable     request: ring.Table's binary form; reply: the epoch
//	                            the receiver holds afterwards, one uvarint
//	transport.KindPullTable     request: empty; reply: ring.Table's binary form
//	transport.KindReplicate     EncodeReplicate / DecodeReplicate, whose entries are
//	                            the Encode*Entry / DecodeEntry stream entries;
//	                            reply: AppendReplicateReply / DecodeReplicateReply
//	transport.KindReplState     request: AppendSlots / DecodeSlots;
//	                            reply: AppendReplStates / DecodeReplStates
//	transport.KindHandoff       EncodeHandoff / DecodeHandoff; reply: AppendMoves / DecodeMoves
//	transport.KindTakeover      EncodeTakeover / DecodeTakeover; reply: AppendSlots / DecodeSlots
//	transport.KindPrefer        request: the asking node's ID (40 hex characters);
//	                            reply: the slots recorded, one uvarint
//
// The gossip metadata a node spreads through memberlist (Meta, meta.go) is
// not an RPC message and keeps its own versioned format.
//
// # Invariants
//
//   - Integers are unsigned varints (encoding/binary's Uvarint), except a
//     slot, which is 2 bytes big endian, and an effect's expiry, a signed
//     varint (binary.Varint). A flag or type is one byte.
//   - A byte string is its length (uvarint) and then its bytes. A node ID
//     travels as its 40 hex characters with no length before it (except a
//     replica state's source, which may be empty and has a 1-byte length);
//     only Meta packs IDs to 20 bytes.
//   - A list is its count (uvarint) and then its elements. A decoder
//     refuses a count larger than the bytes left, so a corrupt count cannot
//     make it allocate more than the message's size.
//   - Decoders never panic and never read past their input: short, corrupt
//     or oversized input returns an error (the fuzz tests check it). Byte
//     slices a decoder returns alias its input, capped so that appending to
//     one cannot overwrite the next; the caller must not keep them past the
//     input's lifetime (an RPC handler's request buffer is reused).
//   - The decoders of forwarded commands and replies, stream entries and
//     replication requests refuse trailing bytes; the others (replication
//     replies, slots, replica states, moves, handoff, takeover) ignore
//     them, as they always have: an appended field is then compatible.
//
// # Changing a format
//
// A format here is spoken by two nodes that may run different builds
// during a rolling upgrade. Never change the meaning of existing bytes in
// place: add a new transport.Kind (or a new entry type) for a new message,
// or append fields that an older decoder does not read, and write in the
// commit and docs/DESIGN.md which versions speak what. The pinned encodings
// in golden_test.go fail on any change to the bytes; update them only
// together with such a compatibility note.
package wire
