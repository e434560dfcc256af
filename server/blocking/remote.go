package blocking

import (
	"context"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// A forwarded blocking command's remote side (see doc.go): the origin
// watches its client while a chunk is out (WatchChunk) and sends a cancel
// when the client leaves or is unblocked (SendCancel); the primary answers
// the cancel (AnswerCancel). The front end runs them
// (server/blocking_remote.go), with the node's cluster as Forwarder.

// Forwarder runs a batch of commands on another node: the front end's
// cluster (its ForwardBatch).
type Forwarder interface {
	ForwardBatch(ctx context.Context, id ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error)
}

// WatchChunk watches a client of this node (id, bs its State, gone closed
// when its peer leaves) while a chunk of its blocking command is forwarded
// to owner. Its proxy waiter (State.Proxy, made and tracked on the first
// chunk) stands for it in q, so that CLIENT UNBLOCK here finds it by id.
// When the peer leaves, WatchChunk cancels the forwarded call (cancel) and
// sends owner the cancel of reason Gone (send); when CLIENT UNBLOCK wakes
// the proxy, it sends the unblock's reason, and the chunk's reply answers
// the client. stop ends the watch; the goroutine WatchChunk starts is
// owned by the forwarding call and ends at stop or once send returned.
func (q *Queue) WatchChunk(bs *State, id uint64, gone <-chan struct{}, owner ring.NodeID, cancel func(), send func(Reason)) (stop func()) {
	if bs.Proxy == nil {
		bs.Proxy = NewWaiter(id, bs.Order, nil)
		q.Track(bs.Proxy)
	}
	bs.Owner = owner
	proxy := bs.Proxy
	done := make(chan struct{})
	go func() {
		reason := Gone
		select {
		case <-gone:
			cancel()
		case <-proxy.Wake():
			reason = proxy.Reason()
		case <-done:
			return
		}
		send(reason)
	}()
	return func() { close(done) }
}

// SendCancel sends owner the cancel batch of ref for reason over fwd,
// within timeout.
func SendCancel(fwd Forwarder, owner ring.NodeID, ref Ref, reason Reason, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	_, err := fwd.ForwardBatch(ctx, owner, false, CancelBatch(ref, reason))
	return err
}

// AnswerCancel answers cmds on the primary when it is a cancel batch
// (ParseCancel): it drops the chunk or reservation the batch names and
// remembers its Ref for keep, so that a chunk still on its way is refused.
// It returns nil when cmds is no cancel batch.
func (q *Queue) AnswerCancel(cmds [][][]byte, keep time.Duration) [][]byte {
	ref, reason, cancel, ok := ParseCancel(cmds)
	switch {
	case !cancel:
		return nil
	case !ok:
		return [][]byte{[]byte("-ERR bad block reference\r\n")}
	}
	q.CancelFor(ref, reason, keep)
	return [][]byte{[]byte("+OK\r\n")}
}
