package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
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

// Stream entry types, the first byte of an encoded entry.
const (
	entEffect = 1 // slot, offset, effect: a committed effect of a led slot
	entSnap   = 2 // slot, effect: part of a transfer's snapshot (no offset)
	entBegin  = 3 // slot, session, base offset, epoch: a transfer starts; drop the slot
	entSynced = 4 // slot, offset: the transfer is complete up to offset
	// entAdopt: slot, session, offset, epoch: the node this one handed the
	// slot off to streams it from that offset on; the receiver's copy is
	// the replica's state, so no transfer is needed (handoff.go).
	entAdopt = 5
)

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

// slotAck is what a replica reported for one slot: the transfer session
// it is synced to (from this node), its applied offset, and whether the
// transfer completed.
type slotAck struct {
	session uint64
	applied uint64
	synced  bool
}

// peerStream is the outbound replication stream to one peer.
//
// Goroutine: run (the sender), started by newPeerStream and stopped by
// stop (or the replicator's context), which waits for it.
type peerStream struct {
	r    *replicator
	id   ring.NodeID
	wake chan struct{} // buffered(1): entries queued

	mu       sync.Mutex // guards every field below
	q        []outEntry // unacknowledged entries, in sequence order
	qBytes   int
	nextSeq  uint64
	overflow bool                // the queue overflowed: re-sync every slot
	acks     map[uint16]slotAck  // last report per slot
	slots    map[uint16]struct{} // slots attached to this stream
	space    chan struct{}       // closed when the queue shrinks
	sentSeq  uint64              // highest sequence acknowledged
	lastAck  time.Time
	calls    int64
	bytes    int64
	failures int64
	lastErr  string

	cancel context.CancelFunc
	done   chan struct{}
}

func newPeerStream(ctx context.Context, r *replicator, id ring.NodeID) *peerStream {
	ctx, cancel := context.WithCancel(ctx)
	p := &peerStream{
		r:       r,
		id:      id,
		wake:    make(chan struct{}, 1),
		nextSeq: r.streamBase.Add(1) << 40,
		acks:    make(map[uint16]slotAck),
		slots:   make(map[uint16]struct{}),
		space:   make(chan struct{}),
		cancel:  cancel,
		done:    make(chan struct{}),
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

// ack returns the last report for slot.
func (p *peerStream) ack(slot uint16) slotAck {
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
					if err := p.send(ctx, first, nil); err != nil && ctx.Err() == nil {
						p.r.logger.Debug("replication keepalive failed", "peer", p.id, "err", err)
					}
				}
				break
			}
			err := p.send(ctx, first, batch)
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

// send makes one transport.KindReplicate call and, on success, drops the entries it
// carried and records the acknowledgements.
func (p *peerStream) send(ctx context.Context, first uint64, batch [][]byte) error {
	addr, err := p.r.n.addrOf(p.id)
	if err != nil {
		return err
	}
	var epoch uint64
	if t := p.r.n.table.Load(); t != nil {
		epoch = t.Epoch
	}
	req := encodeReplicate(p.r.n.id, epoch, first, batch)
	cctx, cancel := context.WithTimeout(ctx, p.r.n.profile.TCPTimeout)
	reply, err := p.r.n.client.Call(cctx, addr, transport.KindReplicate, req)
	cancel()
	if err != nil {
		return err
	}
	acks, err := decodeReplicateReply(reply)
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
		p.acks[a.slot] = a.slotAck
	}
	var lost []uint16
	for _, a := range acks {
		if a.session == 0 {
			lost = append(lost, a.slot)
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
	p.r.signalAcks()
	return nil
}

// PeerStreamInfo describes the outbound replication stream to one peer,
// for INFO replication.
type PeerStreamInfo struct {
	ID            ring.NodeID
	Slots         int       // slots this node streams to the peer
	LiveSlots     int       // of those, synced (they count for acks)
	QueuedEntries int       // entries sent or waiting, not yet acknowledged: the lag
	QueuedBytes   int       // their bytes
	AckedSeq      uint64    // entries acknowledged so far (the peer's offset in this stream)
	SentSeq       uint64    // entries queued so far (this node's offset in this stream)
	LastAck       time.Time // zero if never
	Calls         int64     // successful transport.KindReplicate calls
	Bytes         int64     // entry bytes acknowledged
	Failures      int64     // failed calls (each is retried)
	LastError     string
	Overflowed    bool // the queue overflowed; the slots are being re-synced
}

func (p *peerStream) info() PeerStreamInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return PeerStreamInfo{
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

// Entry encodings (after the type byte): slot as 2 bytes big endian, then
// uvarints and length-prefixed byte strings.

func appendEffect(b []byte, e store.Effect) []byte {
	b = append(b, byte(e.Kind))
	b = appendBytes(b, e.Key)
	b = appendBytes(b, e.Field)
	b = appendBytes(b, e.Value)
	return binary.AppendVarint(b, e.ExpireAt)
}

func appendBytes(b, s []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func encodeEffectEntry(slot uint16, off uint64, e store.Effect) []byte {
	b := make([]byte, 0, 24+len(e.Key)+len(e.Field)+len(e.Value))
	b = append(b, entEffect)
	b = binary.BigEndian.AppendUint16(b, slot)
	b = binary.AppendUvarint(b, off)
	return appendEffect(b, e)
}

func appendSnapEntry(b []byte, slot uint16, e store.Effect) []byte {
	b = append(b, entSnap)
	b = binary.BigEndian.AppendUint16(b, slot)
	return appendEffect(b, e)
}

func encodeBeginEntry(slot uint16, session, base, epoch uint64) []byte {
	return encodeSessionEntry(entBegin, slot, session, base, epoch)
}

func encodeAdoptEntry(slot uint16, session, off, epoch uint64) []byte {
	return encodeSessionEntry(entAdopt, slot, session, off, epoch)
}

// encodeSessionEntry encodes the entries that start a session: begin and
// adopt.
func encodeSessionEntry(typ byte, slot uint16, session, off, epoch uint64) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint16(b, slot)
	b = binary.AppendUvarint(b, session)
	b = binary.AppendUvarint(b, off)
	return binary.AppendUvarint(b, epoch)
}

func encodeSyncedEntry(slot uint16, off uint64) []byte {
	b := []byte{entSynced}
	b = binary.BigEndian.AppendUint16(b, slot)
	return binary.AppendUvarint(b, off)
}

// streamEntry is a decoded entry; Effect bytes alias the request.
type streamEntry struct {
	typ     byte
	slot    uint16
	off     uint64 // entEffect, entSynced, entAdopt: the offset; entBegin: the base
	session uint64 // entBegin, entAdopt
	epoch   uint64 // entBegin, entAdopt
	effect  store.Effect
}

// decoder reads entries field by field; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err = errors.New("bad uvarint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, k := binary.Varint(d.b)
	if k <= 0 {
		d.err = errors.New("bad varint")
		return 0
	}
	d.b = d.b[k:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errors.New("truncated bytes")
		return nil
	}
	s := d.b[:n:n]
	d.b = d.b[n:]
	if n == 0 {
		return nil
	}
	return s
}

func (d *decoder) u16() uint16 {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 2 {
		d.err = errors.New("truncated slot")
		return 0
	}
	v := binary.BigEndian.Uint16(d.b)
	d.b = d.b[2:]
	return v
}

func (d *decoder) byte1() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) < 1 {
		d.err = errors.New("truncated")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) effect(slot uint16) store.Effect {
	e := store.Effect{Slot: slot}
	e.Kind = store.EffectKind(d.byte1())
	e.Key = d.bytes()
	e.Field = d.bytes()
	e.Value = d.bytes()
	e.ExpireAt = d.varint()
	return e
}

func decodeEntry(b []byte) (streamEntry, error) {
	d := decoder{b: b}
	var e streamEntry
	e.typ = d.byte1()
	e.slot = d.u16()
	switch e.typ {
	case entEffect:
		e.off = d.uvarint()
		e.effect = d.effect(e.slot)
	case entSnap:
		e.effect = d.effect(e.slot)
	case entBegin, entAdopt:
		e.session = d.uvarint()
		e.off = d.uvarint()
		e.epoch = d.uvarint()
	case entSynced:
		e.off = d.uvarint()
	default:
		if d.err == nil {
			d.err = fmt.Errorf("unknown entry type %d", e.typ)
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err == nil && int(e.slot) >= ring.SlotCount {
		d.err = fmt.Errorf("slot %d out of range", e.slot)
	}
	if d.err != nil {
		return e, fmt.Errorf("stream entry: %w", d.err)
	}
	return e, nil
}

// transport.KindReplicate request: sender ID (40 bytes), epoch, first sequence
// number, count (uvarints), then per entry its length (uvarint) and bytes.
// Reply: count, then per slot: slot (2 bytes), session, applied (uvarints)
// and synced (1 byte).
func encodeReplicate(from ring.NodeID, epoch, first uint64, batch [][]byte) []byte {
	size := len(from) + 3*binary.MaxVarintLen64
	for _, e := range batch {
		size += binary.MaxVarintLen32 + len(e)
	}
	b := make([]byte, 0, size)
	b = append(b, from...)
	b = binary.AppendUvarint(b, epoch)
	b = binary.AppendUvarint(b, first)
	b = binary.AppendUvarint(b, uint64(len(batch)))
	for _, e := range batch {
		b = appendBytes(b, e)
	}
	return b
}

func decodeReplicate(b []byte) (from ring.NodeID, epoch, first uint64, entries [][]byte, err error) {
	if len(b) < ring.NodeIDLen {
		return "", 0, 0, nil, errors.New("replicate: short request")
	}
	from = ring.NodeID(b[:ring.NodeIDLen])
	d := decoder{b: b[ring.NodeIDLen:]}
	epoch = d.uvarint()
	first = d.uvarint()
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = errors.New("bad entry count")
	}
	if d.err == nil {
		entries = make([][]byte, 0, min(n, maxStreamBatchEntries))
	}
	for i := uint64(0); d.err == nil && i < n; i++ {
		entries = append(entries, d.bytes())
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return "", 0, 0, nil, fmt.Errorf("replicate request: %w", d.err)
	}
	return from, epoch, first, entries, nil
}

type slotAckReport struct {
	slot uint16
	slotAck
}

func appendReplicateReply(b []byte, acks []slotAckReport) []byte {
	b = binary.AppendUvarint(b, uint64(len(acks)))
	for _, a := range acks {
		b = binary.BigEndian.AppendUint16(b, a.slot)
		b = binary.AppendUvarint(b, a.session)
		b = binary.AppendUvarint(b, a.applied)
		if a.synced {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
	}
	return b
}

func decodeReplicateReply(b []byte) ([]slotAckReport, error) {
	d := decoder{b: b}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(b)) {
		d.err = errors.New("bad count")
	}
	var out []slotAckReport
	for i := uint64(0); d.err == nil && i < n; i++ {
		var a slotAckReport
		a.slot = d.u16()
		a.session = d.uvarint()
		a.applied = d.uvarint()
		a.synced = d.byte1() == 1
		out = append(out, a)
	}
	if d.err != nil {
		return nil, fmt.Errorf("replicate reply: %w", d.err)
	}
	return out, nil
}
