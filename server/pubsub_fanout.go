package server

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/pubsub"
)

// Cluster-wide delivery (docs/DESIGN.md §6). A message published on this
// node is delivered to this node's subscribers at once and queued for
// every other live member: one FIFO queue and one sender goroutine per
// peer, which forwards the queue in batches over the cluster port
// (Forwarder.ForwardBatch). The receiving node delivers a batch to its own
// subscribers only (ExecuteBatch sees fanoutMarker first) and never fans
// it out again, so each subscriber receives each message once. Batches to
// one peer go one at a time, in queue order, so every subscriber sees the
// messages of one publisher (a connection, on one node) in the order they
// were published.
//
// Delivery is at most once, as Redis's: a batch a peer does not take
// (timeout, connection lost, the peer died) is dropped and logged, never
// sent again (a resend could deliver twice). A peer's queue is bounded
// (fanoutQueueLimit bytes): past it new messages for that peer are
// dropped, so a dead or slow peer costs bounded memory until the
// membership drops it, and then its queue is dropped with its sender.
//
// Goroutines: runFanout (started by Serve, stopped by its context) owns
// the peer senders; it refreshes the peer set from the membership every
// fanoutRefresh, starting a sender for a new live member and stopping the
// sender of a member that left or died (closing its stop channel). Every
// sender stops when runFanout does.

// fanoutMarker opens a fan-out batch: the commands after it are messages
// [kind word, channel, payload] to deliver here, not client commands. Only
// the cluster port (ExecuteBatch) ever sees it.
var fanoutMarker = []byte("\x00meshcache:pubsub-deliver")

const (
	fanoutRefresh    = 250 * time.Millisecond
	fanoutQueueLimit = 64 << 20 // bytes queued for one peer at most
	fanoutBatchBytes = 1 << 20  // bytes of messages per forwarded batch, about
	fanoutTimeout    = 5 * time.Second
)

// fanout is the server's set of peer queues.
type fanout struct {
	// peers is the current set of peer queues, replaced whole by
	// runFanout; send reads it with one atomic load.
	peers atomic.Pointer[[]*peerQueue]
	// dropped counts messages not delivered to some peer (queue full or
	// batch failed).
	dropped atomic.Int64
}

// peerQueue is the FIFO of messages for one peer.
type peerQueue struct {
	id   ring.NodeID
	wake chan struct{} // capacity 1
	stop chan struct{} // closed when the peer leaves the set

	mu    sync.Mutex // guards items, bytes
	items [][][]byte // messages, each [kind word, channel, payload]
	bytes int
}

// send queues a message for every peer. The message's bytes are copied
// (the caller's arguments alias its read buffer).
func (f *fanout) send(k pubsub.Kind, channel, message []byte) {
	p := f.peers.Load()
	if p == nil || len(*p) == 0 {
		return
	}
	size := len(channel) + len(message)
	buf := make([]byte, 0, size)
	buf = append(buf, channel...)
	buf = append(buf, message...)
	item := [][]byte{[]byte(kindWords[k].message), buf[:len(channel):len(channel)], buf[len(channel):]}
	for _, q := range *p {
		q.mu.Lock()
		if q.bytes+size > fanoutQueueLimit {
			q.mu.Unlock()
			f.dropped.Add(1)
			continue
		}
		q.items = append(q.items, item)
		q.bytes += size
		q.mu.Unlock()
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
}

// runFanout keeps one sender per live peer until ctx is done (see fanout).
func (s *Server) runFanout(ctx context.Context) {
	var wg sync.WaitGroup
	current := map[ring.NodeID]*peerQueue{}
	defer func() {
		s.fanout.peers.Store(nil)
		for _, q := range current {
			close(q.stop)
		}
		wg.Wait()
	}()
	tick := time.NewTicker(fanoutRefresh)
	defer tick.Stop()
	for {
		if !s.standalone {
			live := map[ring.NodeID]bool{}
			for _, m := range s.cluster.Members() {
				if m.Alive && !m.Self {
					live[m.ID] = true
				}
			}
			changed := false
			for id, q := range current {
				if !live[id] {
					close(q.stop)
					delete(current, id)
					changed = true
				}
			}
			for id := range live {
				if current[id] == nil {
					q := &peerQueue{id: id, wake: make(chan struct{}, 1), stop: make(chan struct{})}
					current[id] = q
					changed = true
					wg.Add(1)
					go func() { // a peer sender: stops when q.stop or ctx is done
						defer wg.Done()
						s.sendPeer(ctx, q)
					}()
				}
			}
			if changed {
				list := make([]*peerQueue, 0, len(current))
				for _, q := range current {
					list = append(list, q)
				}
				s.fanout.peers.Store(&list)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sendPeer forwards q's messages in batches, one batch at a time.
func (s *Server) sendPeer(ctx context.Context, q *peerQueue) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-q.stop:
			return
		case <-q.wake:
		}
		for {
			q.mu.Lock()
			n, size := 0, 0
			for n < len(q.items) && size < fanoutBatchBytes {
				size += len(q.items[n][1]) + len(q.items[n][2])
				n++
			}
			batch := make([][][]byte, 0, n+1)
			batch = append(batch, [][]byte{fanoutMarker})
			batch = append(batch, q.items[:n]...)
			clear(q.items[:n])
			q.items = q.items[n:]
			if len(q.items) == 0 {
				q.items = nil
			}
			q.bytes -= size
			q.mu.Unlock()
			if n == 0 {
				break
			}
			cctx, cancel := context.WithTimeout(ctx, fanoutTimeout)
			_, err := s.cluster.ForwardBatch(cctx, q.id, false, batch)
			cancel()
			if err != nil {
				s.fanout.dropped.Add(int64(n))
				s.log.Debug("pubsub fan-out batch dropped", "peer", q.id, "messages", n, "err", err)
			}
			select {
			case <-q.stop:
				return
			default:
			}
		}
	}
}

// isFanoutBatch reports whether a forwarded batch is a fan-out batch.
func isFanoutBatch(cmds [][][]byte) bool {
	return len(cmds) > 0 && len(cmds[0]) == 1 && bytes.Equal(cmds[0][0], fanoutMarker)
}

// deliverFanout delivers a fan-out batch's messages to this node's
// subscribers; its one reply is the number of deliveries.
func (s *Server) deliverFanout(cmds [][][]byte) [][]byte {
	n := 0
	for _, m := range cmds[1:] {
		if len(m) != 3 {
			continue
		}
		k := pubsub.Channel
		if bytes.Equal(m[0], []byte(kindWords[pubsub.Shard].message)) {
			k = pubsub.Shard
		}
		n += s.deliverLocal(k, m[1], m[2])
	}
	return [][]byte{redcon.AppendInt(nil, int64(n))}
}
