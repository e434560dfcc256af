package blocking

import (
	"bytes"
	"strconv"
)

// The commands that carry a forwarded blocking command's Ref between
// nodes: a chunk goes in a batch opened by its marker, and a cancel is a
// batch of its own. Their names cannot be a client's command.
var (
	chunkMarker  = []byte("\x00meshcache:block")        // node, client ID, first block, last ("1"/"0")
	cancelMarker = []byte("\x00meshcache:block-cancel") // node, client ID, first block, reason
)

// ChunkMarker returns the command that opens the batch of a chunk of
// ref's blocking command; last: the chunk ends at its client's deadline.
func ChunkMarker(ref Ref, last bool) [][]byte {
	l := []byte("0")
	if last {
		l = []byte("1")
	}
	return append(appendRef([][]byte{chunkMarker}, ref), l)
}

// ParseChunkMarker reports whether args is a chunk's marker (marker) and
// reads it (ok false for a malformed one).
func ParseChunkMarker(args [][]byte) (ref Ref, last, marker, ok bool) {
	if len(args) != 5 || !bytes.Equal(args[0], chunkMarker) {
		return Ref{}, false, false, false
	}
	ref, ok = parseRef(args[1:4])
	return ref, string(args[4]) == "1", true, ok
}

// CancelBatch returns the batch that cancels ref's blocking command for
// reason (Gone, Timeout or Error).
func CancelBatch(ref Ref, reason Reason) [][][]byte {
	return [][][]byte{append(appendRef([][]byte{cancelMarker}, ref), strconv.AppendInt(nil, int64(reason), 10))}
}

// ParseCancel reports whether cmds is a cancel batch (cancel) and reads
// it (ok false for a malformed one).
func ParseCancel(cmds [][][]byte) (ref Ref, reason Reason, cancel, ok bool) {
	if len(cmds) != 1 || len(cmds[0]) != 5 || !bytes.Equal(cmds[0][0], cancelMarker) {
		return Ref{}, None, false, false
	}
	ref, ok = parseRef(cmds[0][1:4])
	r, err := strconv.Atoi(string(cmds[0][4]))
	if reason = Reason(r); err != nil || reason < Timeout || reason > Gone {
		ok = false
	}
	return ref, reason, true, ok
}

// appendRef appends the fields of ref to cmd.
func appendRef(cmd [][]byte, ref Ref) [][]byte {
	return append(cmd, []byte(ref.Origin), strconv.AppendUint(nil, ref.Client, 10), strconv.AppendInt(nil, ref.Order, 10))
}

// parseRef reads a Ref from the three fields f.
func parseRef(f [][]byte) (Ref, bool) {
	if len(f) != 3 || len(f[0]) == 0 {
		return Ref{}, false
	}
	id, err1 := strconv.ParseUint(string(f[1]), 10, 64)
	order, err2 := strconv.ParseInt(string(f[2]), 10, 64)
	if err1 != nil || err2 != nil {
		return Ref{}, false
	}
	return Ref{Origin: string(f[0]), Client: id, Order: order}, true
}
