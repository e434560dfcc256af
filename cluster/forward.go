package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// Executor runs a forwarded client command on this node. The server
// implements it. Execute runs args (the command name first) as a client
// speaking RESP3 (resp3) or RESP2 would see it, appends the raw RESP reply to
// reply and returns it. args alias the request buffer: Execute must not keep
// them after it returns.
type Executor interface {
	Execute(resp3 bool, args [][]byte, reply []byte) []byte
}

// BatchExecutor is an Executor that runs an ordered batch of forwarded
// commands on one client session, so that a pipeline forwarded as one call
// keeps its order and a MULTI ... EXEC block stays together. ExecuteBatch
// returns one raw RESP reply per command run; it may stop early (the server
// stops after a -MOVED reply, so the sender can route the rest anew), in
// which case the commands without a reply did not run. args alias the
// request buffer: ExecuteBatch must not keep them after it returns.
type BatchExecutor interface {
	ExecuteBatch(resp3 bool, cmds [][][]byte) [][]byte
}

// ForwardBatch runs cmds in order on node id, as one client session, and
// returns their raw RESP replies (as many as the receiver ran, see
// BatchExecutor). ctx must carry a deadline. Forwarding to this node runs
// them locally. Separate Forward calls run concurrently on the receiver;
// a batch is how a caller keeps several commands in order with one round
// trip.
func (n *Node) ForwardBatch(ctx context.Context, id ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error) {
	if len(cmds) == 0 {
		return nil, errors.New("forward batch: no commands")
	}
	if id == n.id {
		return n.executeBatch(resp3, cmds), nil
	}
	addr, err := n.addrOf(id)
	if err != nil {
		return nil, fmt.Errorf("forward batch to %s: %w", id, err)
	}
	reply, err := n.client.Call(ctx, addr, transport.KindForwardBatch, encodeForwardBatch(resp3, cmds))
	if err != nil {
		return nil, err
	}
	replies, err := decodeBatchReplies(reply)
	if err != nil {
		return nil, fmt.Errorf("forward batch to %s: %w", id, err)
	}
	if len(replies) > len(cmds) {
		return nil, fmt.Errorf("forward batch to %s: %d replies for %d commands", id, len(replies), len(cmds))
	}
	return replies, nil
}

// executeBatch runs a batch on the Executor, as one session when it is a
// BatchExecutor, else command by command.
func (n *Node) executeBatch(resp3 bool, cmds [][][]byte) [][]byte {
	if be, ok := n.exec.(BatchExecutor); ok {
		return be.ExecuteBatch(resp3, cmds)
	}
	out := make([][]byte, len(cmds))
	for i, args := range cmds {
		out[i] = n.exec.Execute(resp3, args, nil)
	}
	return out
}

// handleForwardBatch runs a forwarded batch and encodes its replies.
func (n *Node) handleForwardBatch(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	resp3, cmds, err := decodeForwardBatch(req)
	if err != nil {
		return nil, err
	}
	return appendBatchReplies(reply, n.executeBatch(resp3, cmds)), nil
}

// ForwardBatch request payload: flags(1, bit 0 = RESP3) count(uvarint),
// then per command argc(uvarint) and per argument len(uvarint) and bytes.
// Reply payload: count(uvarint), then per reply len(uvarint) and bytes.
func encodeForwardBatch(resp3 bool, cmds [][][]byte) []byte {
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
		flags |= 1
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

func decodeForwardBatch(b []byte) (bool, [][][]byte, error) {
	if len(b) < 1 {
		return false, nil, errors.New("forward batch: empty request")
	}
	resp3 := b[0]&1 != 0
	b = b[1:]
	count, k := binary.Uvarint(b)
	if k <= 0 || count == 0 || count > uint64(len(b)) {
		return false, nil, errors.New("forward batch: bad command count")
	}
	b = b[k:]
	cmds := make([][][]byte, 0, count)
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

func appendBatchReplies(b []byte, replies [][]byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(replies)))
	for _, r := range replies {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

func decodeBatchReplies(b []byte) ([][]byte, error) {
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

// Forward runs a client command on node id and returns its raw RESP reply.
// ctx must carry a deadline. Forwarding to this node runs it locally.
func (n *Node) Forward(ctx context.Context, id ring.NodeID, resp3 bool, args [][]byte) ([]byte, error) {
	if id == n.id {
		return n.exec.Execute(resp3, args, nil), nil
	}
	addr, err := n.addrOf(id)
	if err != nil {
		return nil, fmt.Errorf("forward to %s: %w", id, err)
	}
	return n.client.Call(ctx, addr, transport.KindForward, encodeForward(resp3, args))
}

// handleForward runs a forwarded client command on the Executor.
func (n *Node) handleForward(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	resp3, args, err := decodeForward(req)
	if err != nil {
		return nil, err
	}
	return n.exec.Execute(resp3, args, reply), nil
}

// Forward request payload: flags(1, bit 0 = RESP3) argc(uvarint) then per
// argument len(uvarint) and bytes.
func encodeForward(resp3 bool, args [][]byte) []byte {
	size := 1 + binary.MaxVarintLen64
	for _, a := range args {
		size += binary.MaxVarintLen64 + len(a)
	}
	b := make([]byte, 0, size)
	var flags byte
	if resp3 {
		flags |= 1
	}
	b = append(b, flags)
	b = binary.AppendUvarint(b, uint64(len(args)))
	for _, a := range args {
		b = binary.AppendUvarint(b, uint64(len(a)))
		b = append(b, a...)
	}
	return b
}

func decodeForward(b []byte) (bool, [][]byte, error) {
	if len(b) < 1 {
		return false, nil, errors.New("forward: empty request")
	}
	resp3 := b[0]&1 != 0
	b = b[1:]
	argc, k := binary.Uvarint(b)
	if k <= 0 || argc == 0 || argc > uint64(len(b)) {
		return false, nil, errors.New("forward: bad argument count")
	}
	b = b[k:]
	args := make([][]byte, 0, argc)
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
