package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// A replication stream carries, from this node to one peer, the entries of
// every slot this node leads and the peer replicates (or is being built
// for): effects with their slot offset, snapshot effects, and the markers
// of a slot transfer. It rides the ordinary RPC connection to the peer as
// transport.KindReplicate calls, one call in flight at a time (the
// receiver runs the requests of one connection concurrently, so order
// needs that), while the next batch accumulates behind it: the stream is
// pipelined by batching.
//
// Every entry has a sequence number, unique and increasing over every
// stream this node opens to the peer (each new stream starts 2^40 above the
// last one's start). An entry stays queued until the peer's reply to a call
// that carried it; after a failure (a broken connection, a timeout) the
// same entries are sent again from the first unacknowledged one, and the
// receiver skips the sequence numbers it has already applied, so each entry
// is applied once and in order even when a timed-out call still runs late
// on the receiver.

// Stream limits.
const (
	// DefaultReplQueueBytes bounds the bytes queued for one peer.
	DefaultReplQueueBytes = 64 << 20
	// maxStreamBatchBytes and maxStreamBatchEntries bound one call.
	maxStreamBatchBytes   = 512 << 10
	maxStreamBatchEntries = 4096
	// snapshotAhead bounds the bytes a transfer keeps queued on a stream.
	// A live write queued behind a snapshot waits for them before its
	// replica acknowledges it (with replica-ack one, its client waits
	// too), and so does a handoff's fence. 128 KiB still carries 29 MB/s
	// on loopback; 1 MiB doubled client p99 during a join (BENCHMARKS.md).
	snapshotAhead = maxStreamBatchBytes / 4
	// streamRetryMax caps the backoff between failed calls.
	streamRetryMax = time.Second
	// warnAfterFailures is how many calls in a row fail before the
	// stream says so at warning level.
	warnAfterFailures = 5
	// streamKeepalive is how often an idle stream makes an empty call.
	streamKeepalive = time.Second
)

// errStreamOverflow: the peer's queue is full; it is dropped and re-synced.
var errStreamOverflow = errors.New("replication queue overflow")

// outEntry is one encoded entry waiting for the peer's acknowledgement.
type outEntry struct {
	seq  uint64
	slot uint16
	b    []byte
}

// peerStream is the outbound replication stream to one peer.
//
// Goroutine: run (the sender), started by newPeerStream and stopped by
// stop (or the replicator's context), which waits for it.
type peerStream struct {
	r    *replicator
	id   ring.NodeID
	wake chan struct{} // buffered(1): entries queued
	// replied is the end of the call in flight (send): buffered(1), one
	// call at a time, drained by each call's end.
	replied chan error

	mu       sync.Mutex // guards every field below
	q        []outEntry // unacknowledged entries, in sequence order
	qBytes   int
	nextSeq  uint64
	overflow bool                    // the queue overflowed: re-sync every slot
	acks     map[uint16]wire.SlotAck // last report per slot
	slots    map[uint16]struct{}     // slots attached to this stream
	space    chan struct{}           // closed when the queue shrinks
	sentSeq  uint64                  // highest sequence acknowledged
	lastAck  time.Time
	calls    int64
	bytes    int64
	failures int64
	lastErr  string

	cancel context.CancelFunc
	done   chan struct{}
	// callCtx gives the calls' contexts, one per 100 ms (each call gets
	// TCPTimeout to TCPTimeout+100ms): a call costs no context and timer
	// of its own (2.6% of a cluster SET's CPU).
	callCtx *transport.SharedDeadline
}

func newPeerStream(ctx context.Context, r *replicator, id ring.NodeID) *peerStream {
	ctx, cancel := context.WithCancel(ctx)
	p := &peerStream{
		r:       r,
		id:      id,
		wake:    make(chan struct{}, 1),
		replied: make(chan error, 1),
		nextSeq: r.streamBase.Add(1) << 40,
		acks:    make(map[uint16]wire.SlotAck),
		slots:   make(map[uint16]struct{}),
		space:   make(chan struct{}),
		cancel:  cancel,
		done:    make(chan struct{}),
		callCtx: transport.NewSharedDeadlineIn(ctx, r.n.profile.TCPTimeout, 100*time.Millisecond),
	}
	go p.run(ctx)
	return p
}

// stop ends the sender and waits for it.
func (p *peerStream) stop() {
	p.cancel()
	<-p.done
}

// enqueue queues an encoded entry without blocking (the effect sink calls
// it under a store slot lock). It fails once the queue is over its bound:
// the stream is then marked overflowed, its queue dropped, and the
// replicator re-syncs its slots.
func (p *peerStream) enqueue(slot uint16, b []byte) error {
	p.mu.Lock()
	if p.overflow {
		p.mu.Unlock()
		return errStreamOverflow
	}
	if p.qBytes+len(b) > p.r.maxQueue {
		p.overflow = true
		p.q, p.qBytes = nil, 0
		p.signalSpaceLocked()
		p.mu.Unlock()
		p.r.logger.Warn("replication queue overflow; the peer's slots will be re-synced", "peer", p.id, "limit", p.r.maxQueue)
		p.r.kick()
		return errStreamOverflow
	}
	p.q = append(p.q, outEntry{seq: p.nextSeq, slot: slot, b: b})
	p.nextSeq++
	p.qBytes += len(b)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return nil
}

// enqueueWait queues an entry of a transfer, waiting while snapshotAhead
// bytes are queued, so that a snapshot never crowds out live effects.
func (p *peerStream) enqueueWait(ctx context.Context, slot uint16, b []byte) error {
	for {
		p.mu.Lock()
		if p.overflow {
			p.mu.Unlock()
			return errStreamOverflow
		}
		if p.qBytes+len(b) <= min(snapshotAhead, p.r.maxQueue/2) || p.qBytes == 0 {
			p.mu.Unlock()
			return p.enqueue(slot, b)
		}
		space := p.space
		p.mu.Unlock()
		select {
		case <-space:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (p *peerStream) signalSpaceLocked() {
	close(p.space)
	p.space = make(chan struct{})
}

// ack returns the peer's last report for slot (zero if none).
func (p *peerStream) ack(slot uint16) wire.SlotAck {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.acks[slot]
}

// run sends queued entries in batches, one call at a time, until ctx ends.
func (p *peerStream) run(ctx context.Context) {
	defer close(p.done)
	backoff := 10 * time.Millisecond
	failing := 0 // calls failed in a row
	keepalive := time.NewTicker(streamKeepalive)
	defer keepalive.Stop()
	for {
		idle := false
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-keepalive.C:
			idle = true
		}
		for {
			batch, first := p.take()
			if len(batch) == 0 {
				if idle {
					// An empty call: the replica answers with the slots
					// whose copy it dropped, so a quiet slot is re-synced too.
					idle = false
					if err := p.send(first, nil); err != nil && ctx.Err() == nil {
						p.r.logger.Debug("replication keepalive failed", "peer", p.id, "err", err)
					}
				}
				break
			}
			err := p.send(first, batch)
			if err == nil {
				if failing >= warnAfterFailures {
					p.r.logger.Info("replication stream recovered", "peer", p.id, "failed_calls", failing)
				}
				backoff, failing = 10*time.Millisecond, 0
				continue
			}
			if ctx.Err() != nil {
				return
			}
			p.mu.Lock()
			p.failures++
			p.lastErr = err.Error()
			p.mu.Unlock()
			failing++
			if failing == warnAfterFailures {
				p.r.logger.Warn("replication stream calls keep failing; resending", "peer", p.id, "failed_calls", failing, "err", err)
			} else {
				p.r.logger.Debug("replication stream call failed; resending", "peer", p.id, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, streamRetryMax)
		}
	}
}

// take returns the next batch from the head of the queue (it stays queued
// until acknowledged) and its first sequence number.
func (p *peerStream) take() ([][]byte, uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.q) == 0 {
		return nil, p.nextSeq
	}
	out := make([][]byte, 0, min(len(p.q), maxStreamBatchEntries))
	size := 0
	for _, e := range p.q {
		if len(out) > 0 && (size+len(e.b) > maxStreamBatchBytes || len(out) >= maxStreamBatchEntries) {
			break
		}
		out = append(out, e.b)
		size += len(e.b)
	}
	return out, p.q[0].seq
}

// send makes one transport.KindReplicate call (its context is callCtx's,
// which ends with the stream) and waits for its end. The reply is taken
// by acked on the connection's reader: an event loop, when the node's
// loops read its internode connections (transport.Poller), so that the
// clients whose writes the acks answer are resumed in the round that read
// them.
func (p *peerStream) send(first uint64, batch [][]byte) error {
	addr, err := p.r.n.addrOf(p.id)
	if err != nil {
		return err
	}
	var epoch uint64
	if t := p.r.n.table.Load(); t != nil {
		epoch = t.Epoch
	}
	req := wire.EncodeReplicate(p.r.n.id, epoch, first, batch)
	ctx := p.callCtx.Get()
	call, err := p.r.n.client.Send(ctx, addr, transport.KindReplicate, req, func(reply []byte, err error) {
		if err == nil {
			err = p.acked(first, batch, reply)
		}
		p.replied <- err
	})
	if err != nil {
		return err
	}
	select {
	case err := <-p.replied:
		return err
	case <-ctx.Done():
		if call.Abandon() {
			return fmt.Errorf("%s to %s: %w", transport.KindReplicate, addr, ctx.Err())
		}
		return <-p.replied // its reply, or its connection's failure, came first
	}
}

// acked takes the reply to the call that carried batch from first on: it
// drops the entries acknowledged and records the acknowledgements. It
// must not wait (it may run on an event loop).
func (p *peerStream) acked(first uint64, batch [][]byte, reply []byte) error {
	acks, err := wire.DecodeReplicateReply(reply)
	if err != nil {
		return fmt.Errorf("replicate to %s: %w", p.id, err)
	}
	last := first + uint64(len(batch)) - 1
	p.mu.Lock()
	k := 0
	for k < len(p.q) && p.q[k].seq <= last {
		p.qBytes -= len(p.q[k].b)
		k++
	}
	clear(p.q[:k])
	switch {
	case k < len(p.q):
		p.q = p.q[k:]
	case cap(p.q) <= 2*maxStreamBatchEntries:
		p.q = p.q[:0] // all acknowledged: queue the next entries in the same array
	default:
		p.q = nil
	}
	for _, a := range acks {
		p.acks[a.Slot] = a
		for _, x := range p.r.slots[a.Slot].attachments() {
			if x.p == p {
				x.noteAck(a)
			}
		}
	}
	var lost []uint16
	for _, a := range acks {
		if a.Session == 0 {
			lost = append(lost, a.Slot)
		}
	}
	p.sentSeq = max(p.sentSeq, last)
	p.lastAck = time.Now()
	p.calls++
	for _, b := range batch {
		p.bytes += int64(len(b))
	}
	p.signalSpaceLocked()
	p.mu.Unlock()
	// A replica that reports no session from us for a slot it is synced
	// for accepted another primary's transfer since (a stale one, or a
	// new one we have not heard of): it no longer applies our stream.
	for _, s := range lost {
		for _, a := range p.r.slots[s].attachments() {
			if a.p == p && a.live.Load() {
				a.live.Store(false)
				a.failed.Store(true)
				p.r.kick()
			}
		}
	}
	for _, a := range acks {
		p.r.ackWait.Wake(a.Slot)
	}
	p.r.signalAcks()
	return nil
}

// info is the stream's figures for ReplicationInfo.
func (p *peerStream) info() replinfo.Peer {
	p.mu.Lock()
	defer p.mu.Unlock()
	return replinfo.Peer{
		ID:            p.id,
		Slots:         len(p.slots),
		QueuedEntries: len(p.q),
		QueuedBytes:   p.qBytes,
		AckedSeq:      p.sentSeq,
		SentSeq:       p.nextSeq - 1,

		LastAck:    p.lastAck,
		Calls:      p.calls,
		Bytes:      p.bytes,
		Failures:   p.failures,
		LastError:  p.lastErr,
		Overflowed: p.overflow,
	}
}
