package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A forwarded client command (transport.KindForward) is
//
//	flags(1, bit 0 = RESP3) argc(uvarint) { len(uvarint) bytes }*argc
//
// and its reply is the command's raw RESP reply, with no framing here.
//
// A forwarded batch (transport.KindForwardBatch) is
//
//	flags(1, bit 0 = RESP3) count(uvarint) { argc(uvarint) { len(uvarint) bytes }*argc }*count
//
// and its reply is count(uvarint) { len(uvarint) bytes }*count, one raw
// RESP reply per command run (the receiver may run fewer than it got).

const flagRESP3 = 1

// EncodeForward encodes a forwarded client command: args, the command name
// first, as a client speaking RESP3 (resp3) or RESP2 sent it.
func EncodeForward(resp3 bool, args [][]byte) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, a := range args {
		size += binary.MaxVarintLen64 + len(a)
	}
	b := make([]byte, 0, size)
	var flags byte
	if resp3 {
		flags |= flagRESP3
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(args)))
	for _, a := range args {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

// DecodeForward decodes EncodeForward's output. It refuses a command with
// no arguments and trailing bytes. args alias b.
func DecodeForward(b []byte) (resp3 bool, args [][]byte, err error) {
	if len(b) < 1 {
		return false, nil, errors.New("forward: empty request")
	}
	resp3 = b[0]&flagRESP3 != 0
	b = b[1:]
	argc, k := binary.Uvarint(b)
	if k <= 0 || argc == 0 || argc > uint64(len(b)) {
		return false, nil, errors.New("forward: bad argument count")
	}
	b = b[k:]
	args = make([][]byte, 0, argc)
	for i := uint64(0); i < argc; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return false, nil, fmt.Errorf("forward: argument %d truncated", i)
		}
		args = append(args, b[k:k+int(l):k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return false, nil, fmt.Errorf("forward: %d trailing bytes", len(b))
	}
	return resp3, args, nil
}

// EncodeForwardBatch encodes an ordered batch of forwarded client commands,
// run on the receiver as one client session.
func EncodeForwardBatch(resp3 bool, cmds [][][]byte) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, args := range cmds {
		size += binary.MaxVarintLen64
		for _, a := range args {
			size += binary.MaxVarintLen64 + len(a)
		}
	}
	b := make([]byte, 0, size)
	var flags byte
	if resp3 {
		flags |= flagRESP3
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(cmds)))
	for _, args := range cmds {
		b = binary.AppendUvarint(b, uint64(len(args)))
		for _, a := range args {
			b = binary.AppendUvarint(b, uint64(len(a)))
			b = append(b, a...)
		}
	}
	return b
}

// DecodeForwardBatch decodes EncodeForwardBatch's output. It refuses an
// empty batch, a command with no arguments and trailing bytes. The
// arguments alias b.
func DecodeForwardBatch(b []byte) (resp3 bool, cmds [][][]byte, err error) {
	if len(b) < 1 {
		return false, nil, errors.New("forward batch: empty request")
	}
	resp3 = b[0]&flagRESP3 != 0
	b = b[1:]
	count, k := binary.Uvarint(b)
	if k <= 0 || count == 0 || count > uint64(len(b)) {
		return false, nil, errors.New("forward batch: bad command count")
	}
	b = b[k:]
	cmds = make([][][]byte, 0, count)
	for c := uint64(0); c < count; c++ {
		argc, k := binary.Uvarint(b)
		if k <= 0 || argc == 0 || argc > uint64(len(b)) {
			return false, nil, fmt.Errorf("forward batch: command %d: bad argument count", c)
		}
		b = b[k:]
		args := make([][]byte, 0, argc)
		for i := uint64(0); i < argc; i++ {
			l, k := binary.Uvarint(b)
			if k <= 0 || l > uint64(len(b)-k) {
				return false, nil, fmt.Errorf("forward batch: command %d: argument %d truncated", c, i)
			}
			args = append(args, b[k:k+int(l):k+int(l)])
			b = b[k+int(l):]
		}
		cmds = append(cmds, args)
	}
	if len(b) != 0 {
		return false, nil, fmt.Errorf("forward batch: %d trailing bytes", len(b))
	}
	return resp3, cmds, nil
}

// AppendBatchReplies appends the reply to a forwarded batch: the raw RESP
// replies of the commands run, in order.
func AppendBatchReplies(b []byte, replies [][]byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(replies)))
	for _, r := range replies {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

// DecodeBatchReplies decodes AppendBatchReplies' output; it refuses
// trailing bytes. The replies alias b.
func DecodeBatchReplies(b []byte) ([][]byte, error) {
	count, k := binary.Uvarint(b)
	if k <= 0 || count > uint64(len(b)) {
		return nil, errors.New("bad reply count")
	}
	b = b[k:]
	out := make([][]byte, 0, count)
	for i := uint64(0); i < count; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, fmt.Errorf("reply %d truncated", i)
		}
		out = append(out, b[k:k+int(l):k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes after the replies", len(b))
	}
	return out, nil
}
