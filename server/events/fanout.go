package events

import (
	"bytes"
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/events/pubsub"
)

// Cluster-wide delivery (docs/DESIGN.md §6). A message published on this
// node is delivered to this node's subscribers at once and queued for
// every other live member: one FIFO queue and one sender goroutine per
// peer, which forwards the queue in batches over the cluster port
// (Sender.ForwardBatch). The receiving node delivers a batch to its own
// subscribers only (ExecuteBatch sees fanoutMarker first) and never fans
// it out again, so each subscriber receives each message once. Batches to
// one peer go one at a time, in queue order, so every subscriber sees the
// messages of one publisher (a connection, on one node) in the order they
// were published.
//
// Each batch carries this node's ID and a sequence number; a batch the
// peer did not acknowledge (timeout, connection lost) is sent again until
// it is, and the receiver skips a batch whose number it has delivered
// already (fanoutSeen), so a message reaches a live peer exactly once and
// in order. A peer the membership has called dead for longer than
// fanoutDeadGrace gets nothing: its queue is emptied and its batch
// dropped; within the grace its messages are queued and retried. A peer's queue is bounded
// (fanoutQueueLimit bytes): past it new messages for that peer are dropped
// and counted, so a dead or slow peer costs bounded memory.
//
// Goroutines: Run (started by the front end's Serve, stopped by its context) owns
// the peer senders; it refreshes the peer set from the membership every
// fanoutRefresh, starting a sender for a new member and stopping the
// sender of a member that left the membership (closing its stop channel);
// a member seen dead keeps its sender, idle, so that one flap never runs
// two senders for one peer. Every sender stops when Run does. The
// same loop tells shard subscribers when their slot changed leader
// (checkShardChannels).

// FanoutMarker opens a fan-out batch: [marker, sender node ID, sequence
// number]; the commands after it are messages [kind word, channel,
// payload] to deliver here, not client commands. Only the cluster port
// (ExecuteBatch) ever sees it.
const FanoutMarker = "\x00meshcache:pubsub-deliver"

var fanoutMarker = []byte(FanoutMarker)

const (
	fanoutRefresh    = 250 * time.Millisecond
	fanoutQueueLimit = 64 << 20 // bytes queued for one peer at most
	fanoutBatchBytes = 1 << 20  // bytes of messages per forwarded batch, about
	fanoutTimeout    = 5 * time.Second
	fanoutRetryMax   = time.Second // longest pause between two tries of a batch
	// fanoutDeadGrace: how long a peer the membership sees dead still has
	// its messages queued and retried. A loaded node's gossip suspects a
	// live peer for a moment and refutes it; dropping its messages then
	// broke exactly-once delivery. A peer dead for longer gets nothing.
	fanoutDeadGrace = 10 * time.Second
)

// fanout is the node's set of peer queues.
type fanout struct {
	// peers is the current set of peer queues, replaced whole by
	// runFanout; send reads it with one atomic load.
	peers atomic.Pointer[[]*peerQueue]
	// dropped counts messages not delivered to some peer (queue full, or
	// the peer died).
	dropped atomic.Int64

	// seenMu guards seen: per sending node, the last batch delivered here.
	seenMu sync.Mutex
	seen   map[ring.NodeID]*fanoutSeen
}

// fanoutSeen is what this node delivered of one sender's batches; its mu
// is held while a batch is delivered, so a batch sent again while its
// first copy is still being delivered waits, then is skipped.
type fanoutSeen struct {
	mu   sync.Mutex
	last uint64
}

// peerQueue is the FIFO of messages for one peer.
type peerQueue struct {
	id ring.NodeID
	// deadSince: when the membership first saw the peer dead (Unix
	// nanoseconds), 0 while it sees it alive; written by Run only.
	deadSince atomic.Int64
	wake      chan struct{} // capacity 1
	stop      chan struct{} // closed when the peer leaves the set

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
		if q.deadTooLong() {
			f.dropped.Add(1)
			continue
		}
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

// setAlive records what the membership says of the peer now.
func (q *peerQueue) setAlive(alive bool, now time.Time) {
	switch {
	case alive:
		q.deadSince.Store(0)
	case q.deadSince.Load() == 0:
		q.deadSince.Store(now.UnixNano())
	}
}

// deadTooLong reports whether the peer has been seen dead for longer than
// fanoutDeadGrace: its messages are dropped.
func (q *peerQueue) deadTooLong() bool {
	since := q.deadSince.Load()
	return since != 0 && time.Since(time.Unix(0, since)) > fanoutDeadGrace
}

// Run keeps the fan-out's one sender per live peer until ctx is done (see
// fanout); the same loop tells shard subscribers and tracking clients of
// slots that changed leader, and sends the invalidations no command took.
func (h *Hub) Run(ctx context.Context) {
	var wg sync.WaitGroup
	current := map[ring.NodeID]*peerQueue{}
	defer func() {
		h.fanout.peers.Store(nil)
		for _, q := range current {
			close(q.stop)
		}
		wg.Wait()
	}()
	tick := time.NewTicker(fanoutRefresh)
	defer tick.Stop()
	for {
		h.shardMu.Lock()
		h.checkShardChannels()
		h.shardMu.Unlock()
		h.tracking.slotsMoved() // tracking_cluster.go
		h.tracking.sendOrphans()
		live := map[ring.NodeID]bool{}
		for _, m := range h.cluster.Members() {
			if !m.Self {
				live[m.ID] = m.Alive
			}
		}
		changed := false
		for id, q := range current {
			if alive, listed := live[id]; listed {
				q.setAlive(alive, time.Now())
			} else {
				close(q.stop)
				delete(current, id)
				changed = true
			}
		}
		for id, alive := range live {
			if current[id] == nil {
				q := &peerQueue{id: id, wake: make(chan struct{}, 1), stop: make(chan struct{})}
				q.setAlive(alive, time.Now())
				current[id] = q
				changed = true
				wg.Add(1)
				go func() { // a peer sender: stops when q.stop or ctx is done
					defer wg.Done()
					h.sendPeer(ctx, q)
				}()
			}
		}
		if changed {
			list := make([]*peerQueue, 0, len(current))
			for _, q := range current {
				list = append(list, q)
			}
			h.fanout.peers.Store(&list)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// sendPeer forwards q's messages in batches, one batch at a time, each
// until the peer acknowledges it or is seen dead.
func (h *Hub) sendPeer(ctx context.Context, q *peerQueue) {
	self := []byte(h.cluster.ID())
	var seq uint64
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
			if n == 0 {
				q.mu.Unlock()
				break
			}
			seq++
			batch := make([][][]byte, 0, n+1)
			batch = append(batch, [][]byte{fanoutMarker, self, strconv.AppendUint(nil, seq, 10)})
			batch = append(batch, q.items[:n]...)
			clear(q.items[:n])
			q.items = q.items[n:]
			if len(q.items) == 0 {
				q.items = nil
			}
			q.bytes -= size
			q.mu.Unlock()
			if !h.sendBatch(ctx, q, batch) {
				return
			}
		}
	}
}

// sendBatch sends one batch until the peer takes it. It returns false when
// the sender must stop (q.stop, ctx); a peer seen dead for longer than
// fanoutDeadGrace drops the batch and whatever is queued for it.
func (h *Hub) sendBatch(ctx context.Context, q *peerQueue, batch [][][]byte) bool {
	pause := 50 * time.Millisecond
	for {
		cctx, cancel := context.WithTimeout(ctx, fanoutTimeout)
		_, err := h.cluster.ForwardBatch(cctx, q.id, false, batch)
		cancel()
		if err == nil {
			return true
		}
		if q.deadTooLong() {
			q.mu.Lock()
			dropped := len(batch) - 1 + len(q.items)
			q.items, q.bytes = nil, 0
			q.mu.Unlock()
			h.fanout.dropped.Add(int64(dropped))
			h.log.Debug("pubsub fan-out: peer dead, messages dropped", "peer", q.id, "messages", dropped)
			return true
		}
		h.log.Debug("pubsub fan-out batch: trying again", "peer", q.id, "err", err)
		select {
		case <-ctx.Done():
			return false
		case <-q.stop:
			return false
		case <-time.After(pause):
		}
		pause = min(2*pause, fanoutRetryMax)
	}
}

// IsFanoutBatch reports whether a forwarded batch is a fan-out batch.
func IsFanoutBatch(cmds [][][]byte) bool {
	return len(cmds) > 0 && len(cmds[0]) == 3 && bytes.Equal(cmds[0][0], fanoutMarker)
}

// DeliverFanout delivers a fan-out batch's messages to this node's
// subscribers; its one reply is the number of deliveries.
func (h *Hub) DeliverFanout(cmds [][][]byte) [][]byte {
	seq, err := strconv.ParseUint(string(cmds[0][2]), 10, 64)
	if err != nil {
		return [][]byte{redcon.AppendError(nil, "ERR bad fan-out batch number")}
	}
	f := &h.fanout
	f.seenMu.Lock()
	if f.seen == nil {
		f.seen = make(map[ring.NodeID]*fanoutSeen)
	}
	sender := ring.NodeID(cmds[0][1])
	seen := f.seen[sender]
	if seen == nil {
		seen = &fanoutSeen{}
		f.seen[sender] = seen
	}
	f.seenMu.Unlock()
	seen.mu.Lock()
	defer seen.mu.Unlock()
	if seq <= seen.last {
		return [][]byte{redcon.AppendInt(nil, 0)} // sent again: delivered already
	}
	seen.last = seq
	n := 0
	for _, m := range cmds[1:] {
		if len(m) != 3 {
			continue
		}
		k := pubsub.Channel
		if bytes.Equal(m[0], []byte(kindWords[pubsub.Shard].message)) {
			k = pubsub.Shard
		}
		n += h.deliverLocal(k, m[1], m[2])
	}
	return [][]byte{redcon.AppendInt(nil, int64(n))}
}
