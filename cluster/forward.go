package cluster

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
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

// ImmediateExecutor is an Executor that can run, without waiting, the
// commands that answer at once: TryExecute runs args as Execute does and
// returns ran=true only if the command waits for nothing (a key to be
// pushed, a slot's lock held by a fence, a script or another command, the
// quorum lease when it lapsed); otherwise it runs nothing and returns
// false, and the command goes to Execute on a worker. A command that ran
// and whose reply waits only for its replicas' acks (a write) it answers
// later: it returns later=true, keeps answer, and calls answer.Send once,
// from another goroutine, when the replicas have the write (or with the
// error reply Execute would give when they did not in time). The node
// tries every forwarded command this way in the connection's reader
// goroutine (transport.Server.HandleInline), so that neither the reader
// nor a worker waits for a write's replicas.
type ImmediateExecutor interface {
	Executor
	TryExecute(resp3 bool, args [][]byte, reply []byte, answer Answer) (out []byte, ran, later bool)
}

// Answer sends a forwarded command's reply after TryExecute returned. The
// zero Answer sends nothing and is not Deferrable: a caller without a
// connection to answer on later passes it, and TryExecute then declines
// the writes.
type Answer struct{ later transport.Later }

// Send sends reply, without waiting (transport.Later.Answer).
func (a Answer) Send(reply []byte) { a.later.Answer(reply, nil) }

// Deferrable reports whether a holds a caller to answer: only then may
// TryExecute keep it and answer later.
func (a Answer) Deferrable() bool { return a.later != (transport.Later{}) }

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
	reply, err := n.client.Call(ctx, addr, transport.KindForwardBatch, wire.EncodeForwardBatch(resp3, cmds))
	if err != nil {
		return nil, err
	}
	return batchReplies(id, reply, len(cmds))
}

// batchReplies decodes the replies to a batch of sent commands from id.
func batchReplies(id ring.NodeID, reply []byte, sent int) ([][]byte, error) {
	replies, err := wire.DecodeBatchReplies(reply)
	if err != nil {
		return nil, fmt.Errorf("forward batch to %s: %w", id, err)
	}
	if len(replies) > sent {
		return nil, fmt.Errorf("forward batch to %s: %d replies for %d commands", id, len(replies), sent)
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
	resp3, cmds, err := wire.DecodeForwardBatch(req)
	if err != nil {
		return nil, err
	}
	return wire.AppendBatchReplies(reply, n.executeBatch(resp3, cmds)), nil
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
	return n.client.Call(ctx, addr, transport.KindForward, wire.EncodeForward(resp3, args))
}

// tryForward is KindForward's inline handler: it runs a forwarded command
// in the connection's reader if the Executor can without waiting (the
// Executor judges the lease as well, once, at the command's clock), and
// leaves a write's reply to be sent once its replicas have it.
func (n *Node) tryForward(_ context.Context, _ string, req, reply []byte, later transport.Later) ([]byte, bool, error) {
	ie, ok := n.exec.(ImmediateExecutor)
	if !ok {
		return nil, false, nil
	}
	resp3, args, err := wire.DecodeForward(req)
	if err != nil {
		return nil, true, err
	}
	out, ran, deferred := ie.TryExecute(resp3, args, reply, Answer{later})
	if deferred {
		return nil, true, transport.ErrAnswerLater
	}
	return out, ran, nil
}

// handleForward runs a forwarded client command on the Executor.
func (n *Node) handleForward(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	resp3, args, err := wire.DecodeForward(req)
	if err != nil {
		return nil, err
	}
	return n.exec.Execute(resp3, args, reply), nil
}

// StartForward sends cmds to node id as ForwardBatch does, without
// waiting (an event loop's forward): done is called once, on another
// goroutine that it must not hold up, with the replies (as many as the
// receiver ran) or the error, unless the call is abandoned first
// (transport.Pending.Abandon) once timeout passed. ok false: nothing was
// sent and done will not be called, because sending would wait (no live
// connection to id yet, a full write queue) or id is this node; the
// caller uses ForwardBatch.
func (n *Node) StartForward(id ring.NodeID, resp3 bool, cmds [][][]byte, timeout time.Duration, done func([][]byte, error)) (transport.Pending, bool) {
	if id == n.id || len(cmds) == 0 {
		return transport.Pending{}, false
	}
	addr, err := n.addrOf(id)
	if err != nil {
		return transport.Pending{}, false
	}
	if len(cmds) == 1 {
		return n.client.Start(addr, transport.KindForward, wire.EncodeForward(resp3, cmds[0]), timeout,
			func(reply []byte, err error) {
				if err != nil {
					done(nil, err)
					return
				}
				done([][]byte{reply}, nil)
			})
	}
	sent := len(cmds)
	return n.client.Start(addr, transport.KindForwardBatch, wire.EncodeForwardBatch(resp3, cmds), timeout,
		func(reply []byte, err error) {
			if err != nil {
				done(nil, err)
				return
			}
			done(batchReplies(id, reply, sent))
		})
}
