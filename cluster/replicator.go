package cluster

import (
	"context"
	"log/slog"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/meshcache/meshcache/cluster/ackwait"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// Replication (docs/DESIGN.md §5). The node is its store's EffectSink: every
// committed effect gets the next offset of its slot (a per-slot counter
// that only grows) and, for each replica the slot is attached to, is queued
// on that peer's stream (stream.go). A replica applies the entries in order
// (store.Apply) and reports per slot the highest offset it applied; the
// server waits for those reports before it answers a write (WaitReplicated).
//
// A slot is attached to a replica by a transfer (transfer.go), never by
// simply starting to stream: only a replica that holds the primary's state
// can apply a tail of effects. The replicator's loop (reconcile) compares
// what is attached with the routing table every CoordinatorInterval and on
// every table change: it starts transfers for the replicas of led slots that
// lack one, detaches replicas that left the slot or whose queue overflowed
// (they get a new transfer), and drops the data of slots this node no
// longer owns.
//
// The receiving side is in receive.go, where a slot is led now (the routing
// snapshot, with the handoff overrides) in override.go, and what the
// server reads (offsets, waits, INFO) in replicaview.go.

// slotRepl is the replication state of one slot on this node.
type slotRepl struct {
	// offset is the slot's last offset known here: assigned by the sink
	// when this node leads the slot, or the last one applied from the
	// primary when it replicates it, so a promoted replica goes on from
	// where its primary's stream stopped.
	offset atomic.Uint64
	// att lists the replicas the slot streams to. Guarded by the store's
	// lock of this slot (the sink runs under it).
	att []*attachment
	// pub is a copy of att for readers that do not hold the slot lock.
	pub atomic.Pointer[[]*attachment]
	// gave: the last handoff of the slot from this node, which the new
	// primary's adopt entry (wire.EntryAdopt) must match; nil: none pending.
	gave atomic.Pointer[handedOff]
	// backers are the replicas that have been synced for the slot under
	// this node's lead and that the table still names (backing.go).
	backers atomic.Pointer[[]ring.NodeID]
	// gen numbers the lineages of this node's copy (package ack): it
	// grows whenever replication drops the copy (flushCopy).
	gen atomic.Uint64
	// handed: how far a handoff found a lineage applied by its target.
	handed atomic.Pointer[handoffMark]
}

// handedOff records that this node handed a slot off to `to` at offset
// `off`: its copy is the new primary's state at that offset.
type handedOff struct {
	to  ring.NodeID
	off uint64
}

// attachment is one replica a led slot streams to.
type attachment struct {
	p       *peerStream
	session uint64
	live    atomic.Bool // synced: counts for acks
	failed  atomic.Bool // its queue or tail buffer overflowed: detach and re-sync
	// Guarded by the store's slot lock:
	buffering bool     // a transfer is sending the snapshot; hold the tail
	buf       [][]byte // the held tail
	bufBytes  int
	detached  atomic.Bool // set under the slot lock; read anywhere
	// acked is 1 + the offset the peer's last report for the slot says
	// applied, if that report is of this session, else 0: ackedCount's
	// lock-free copy of p.acks. Stored with p.mu held (noteAck).
	acked atomic.Uint64
}

// noteAck records the peer's report a for the slot in a.acked; call with
// a.p.mu held, after a is published or with the report p.acks holds.
func (a *attachment) noteAck(r wire.SlotAck) {
	var v uint64
	if r.Session == a.session {
		v = r.Applied + 1
	}
	a.acked.Store(v)
}

// reconcileInterval is the slowest pace of reconcile; table changes,
// overflows and finished transfers run it at once.
const reconcileInterval = time.Second

type transferKey struct {
	slot uint16
	peer ring.NodeID
}

// replicator owns the node's replication state.
//
// Goroutines: loop (reconcile), one sender per peer stream, one goroutine
// per running transfer (at most Config.MaxTransfers). All stop when the
// node's context ends; stop waits for them.
type replicator struct {
	n        *Node
	st       *store.Store
	logger   *slog.Logger
	maxQueue int

	slots   [ring.SlotCount]slotRepl
	ackWait ackwait.Slots // what AwaitAcks waits on: the slots' next acks

	mu     sync.Mutex // guards peers, moving, ctx
	peers  map[ring.NodeID]*peerStream
	moving map[transferKey]struct{}
	ctx    context.Context
	sem    chan struct{} // one token per running transfer
	wg     sync.WaitGroup

	ackMu  sync.Mutex    // guards ackSig
	ackSig chan struct{} // closed and replaced whenever acks advance

	recvMu  sync.Mutex // guards recv, recvSeq
	recv    [ring.SlotCount]recvSlot
	recvSeq map[ring.NodeID]uint64              // highest stream sequence applied, per sender
	resets  map[ring.NodeID]map[uint16]struct{} // slots whose copy from a sender was dropped, not yet reported to it

	lastAlive  atomic.Int64 // alive members seen by the last reconcile
	session    atomic.Uint64
	streamBase atomic.Uint64 // numbers the streams, see peerStream.nextSeq
	limiter    rateLimiter
	kickCh     chan struct{}

	degradedWaits   atomic.Int64
	lostSlots       atomic.Int64
	transfersDone   atomic.Int64
	transfersFailed atomic.Int64
	transferBytes   atomic.Int64
	handoffs        atomic.Int64
	// transferRate is the snapshot bytes per second sent over the loop's
	// last tick (math.Float64bits), sampled by loop.
	transferRate atomic.Uint64
}

func newReplicator(n *Node, st *store.Store) *replicator {
	r := &replicator{
		n:        n,
		st:       st,
		logger:   n.logger,
		maxQueue: n.cfg.ReplQueueBytes,
		peers:    make(map[ring.NodeID]*peerStream),
		moving:   make(map[transferKey]struct{}),
		sem:      make(chan struct{}, n.cfg.MaxTransfers),
		ackSig:   make(chan struct{}),
		recvSeq:  make(map[ring.NodeID]uint64),
		resets:   make(map[ring.NodeID]map[uint16]struct{}),
		kickCh:   make(chan struct{}, 1),
	}
	r.limiter.rate.Store(n.cfg.MigrationRate)
	return r
}

// start installs the effect sink and runs the reconcile loop until ctx
// ends. The caller (Node.start) accounts for the loop in n.wg.
func (r *replicator) start(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	r.st.SetEffectSink(r.sink)
	go r.loop(ctx)
}

// stop waits for transfers and stream senders after the context ended.
func (r *replicator) stop() {
	r.st.SetEffectSink(nil)
	r.wg.Wait()
	r.mu.Lock()
	peers := r.peers
	r.peers = map[ring.NodeID]*peerStream{}
	r.mu.Unlock()
	for _, p := range peers {
		p.stop()
	}
}

func (r *replicator) kick() {
	select {
	case r.kickCh <- struct{}{}:
	default:
	}
}

func (r *replicator) signalAcks() {
	r.ackMu.Lock()
	close(r.ackSig)
	r.ackSig = make(chan struct{})
	r.ackMu.Unlock()
}

func (r *replicator) ackChan() <-chan struct{} {
	r.ackMu.Lock()
	defer r.ackMu.Unlock()
	return r.ackSig
}

// replicateInlineMax bounds the replicate batches a replica's connection
// reader applies itself (transport.Server.HandleInline): a batch of live
// writes (a few hundred bytes at 50 clients) is, a larger one (a snapshot
// batch, up to 128 KiB) goes to a worker, so that the requests behind it
// on the connection (takeovers, lease probes, forwards) do not wait for
// its apply.
const replicateInlineMax = 4 << 10

// sink is the store's EffectSink: it runs under the slot's lock, in apply
// order, so offsets follow the order of the slot's history.
func (r *replicator) sink(slot uint16, effects []store.Effect) {
	sr := &r.slots[slot]
	for _, e := range effects {
		off := sr.offset.Add(1)
		if len(sr.att) == 0 {
			continue
		}
		b := wire.EncodeEffectEntry(slot, off, e)
		for _, a := range sr.att {
			if a.failed.Load() {
				continue
			}
			if a.buffering {
				if a.bufBytes+len(b) > r.maxQueue {
					a.failed.Store(true)
					a.buf, a.bufBytes = nil, 0
					r.kick()
					continue
				}
				a.buf = append(a.buf, b)
				a.bufBytes += len(b)
				continue
			}
			if err := a.p.enqueue(slot, b); err != nil {
				a.failed.Store(true)
				a.live.Store(false)
			}
		}
	}
}

// PrefetchWrite starts fetching the replication state of slot that the
// store's sink reads as a write there commits (a hint, see
// store.Prefetch): the front end asks a pipelined command ahead.
func (n *Node) PrefetchWrite(slot uint16) {
	if n.repl != nil {
		store.PrefetchLine(unsafe.Pointer(&n.repl.slots[slot%ring.SlotCount]))
	}
}

// publish refreshes the lock-free copy of sr.att; call with the slot lock.
func (sr *slotRepl) publish() {
	c := slices.Clone(sr.att)
	sr.pub.Store(&c)
}

func (sr *slotRepl) attachments() []*attachment {
	if p := sr.pub.Load(); p != nil {
		return *p
	}
	return nil
}

// stream returns the stream to peer id, starting it if needed.
func (r *replicator) stream(id ring.NodeID) (*peerStream, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ctx == nil || r.ctx.Err() != nil {
		return nil, ErrClosed
	}
	p := r.peers[id]
	if p == nil {
		p = newPeerStream(r.ctx, r, id)
		r.peers[id] = p
	}
	return p, nil
}

// detach removes a from slot's attachments.
func (r *replicator) detach(slot uint16, a *attachment) {
	sr := &r.slots[slot]
	tx := r.st.Lock(slot)
	if !a.detached.Load() {
		a.detached.Store(true)
		a.live.Store(false)
		a.buf, a.bufBytes = nil, 0
		sr.att = slices.DeleteFunc(sr.att, func(x *attachment) bool { return x == a })
		sr.publish()
	}
	still := slices.ContainsFunc(sr.att, func(x *attachment) bool { return x.p == a.p })
	tx.Close()
	if !still {
		a.p.mu.Lock()
		delete(a.p.slots, slot)
		a.p.mu.Unlock()
	}
}

// reconcileCoalesce is how long a kicked reconcile waits for more kicks.
const reconcileCoalesce = 20 * time.Millisecond

// fullReconcileEvery bounds how long the replicator skips idle passes.
const fullReconcileEvery = 5 * time.Second

// loop runs reconcile every CoordinatorInterval and when kicked.
func (r *replicator) loop(ctx context.Context) {
	defer r.n.wg.Done()
	tick := time.NewTicker(max(r.n.profile.CoordinatorInterval, reconcileInterval))
	defer tick.Stop()
	var clean *ring.Table // the table of the last pass that found nothing to do
	var last time.Time    // when the last pass ran
	kicked := true
	rateAt, rateBytes := time.Now(), r.transferBytes.Load() // the transfer rate's last sample
	for {
		t := r.n.table.Load()
		// An idle pass is skipped while the table stands, but never for
		// longer than fullReconcileEvery: a transfer that fails after a
		// pass found nothing to do must still be retried, or a handoff
		// waiting for that replica would stall its batch.
		if kicked || t != clean || time.Since(last) >= fullReconcileEvery {
			clean = nil
			last = time.Now()
			if !r.reconcile(ctx) {
				clean = t
			}
			r.logger.Debug("reconciled", "ms", float64(time.Since(last).Microseconds())/1000)
		}
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			kicked = false
			b := r.transferBytes.Load()
			if d := now.Sub(rateAt).Seconds(); d > 0 {
				r.transferRate.Store(math.Float64bits(float64(b-rateBytes) / d))
			}
			rateAt, rateBytes = now, b
		case <-r.kickCh:
			kicked = true
			// One pass for a burst of kicks: a table, the handoffs it
			// settles and the transfers that end with it arrive within
			// milliseconds of each other, and each pass walks every slot.
			select {
			case <-ctx.Done():
				return
			case <-time.After(reconcileCoalesce):
			}
			select {
			case <-r.kickCh:
			default:
			}
		}
		if clean != nil && !kicked {
			// An idle pass is skipped while the table stands, unless a
			// member died or came back (that changes what we stream).
			if int64(len(r.n.aliveIDs())) != r.lastAlive.Load() {
				kicked = true
			}
		}
	}
}

// reconcile makes the attachments match the routing table (see the file
// comment).
// It reports whether it found work (transfers to start, attachments to
// drop, degraded slots, data to drop).
func (r *replicator) reconcile(ctx context.Context) bool {
	t := r.n.table.Load()
	if t == nil || ctx.Err() != nil {
		return true
	}
	self := r.n.id
	alive := r.n.aliveIDs()
	r.lastAlive.Store(int64(len(alive)))
	work := false
	r.resyncOverflowed()
	need := make(map[ring.NodeID][]uint16)
	var owners, want []ring.NodeID // reused for every slot
	for s := range ring.SlotCount {
		slot := uint16(s)
		sr := &r.slots[slot]
		_, local := r.n.Route(slot)
		want = want[:0]
		if local {
			owners = t.AppendOwners(owners[:0], slot)
			for _, o := range owners {
				if o != self && alive[o] {
					want = append(want, o)
				}
			}
		}
		if local {
			sr.keepBackers(func(id ring.NodeID) bool { return slices.Contains(owners, id) })
		} else {
			sr.keepBackers(nil)
		}
		atts := sr.attachments()
		hasLive := false
		for i, a := range atts {
			dup := slices.ContainsFunc(atts[:i], func(x *attachment) bool { return x.p.id == a.p.id && !x.failed.Load() })
			if dup || a.failed.Load() || !slices.Contains(want, a.p.id) {
				r.detach(slot, a)
				work = true
				continue
			}
			hasLive = hasLive || a.live.Load()
			work = work || !a.live.Load()
		}
		for _, id := range want {
			if !slices.ContainsFunc(atts, func(a *attachment) bool { return a.p.id == id && !a.failed.Load() }) {
				need[id] = append(need[id], slot)
			}
		}
		if local {
			r.ledHere(slot, len(owners) > 0 && owners[0] == self)
		}
		if local && r.n.cfg.Replicas > 0 && len(alive) > 1 && !hasLive {
			work = true // a led slot with no synced replica while another node is up
		}
		if !local && !t.IsOwner(slot, self) && r.dropSlot(slot, t.Epoch) {
			work = true
		}
	}
	work = work || len(need) > 0
	for id, slots := range need {
		for len(slots) > 0 {
			k := min(len(slots), maxTransferSlots)
			r.startTransfer(ctx, id, slots[:k])
			slots = slots[k:]
		}
	}
	r.stopIdleStreams(t)
	return work
}

// ledHere settles the receiving state of a slot this node leads. A copy
// whose transfer never completed is dropped (the slot was given here with
// no synced replica: the data is lost, and a partial copy must not pass
// for it). Once the table names this node the slot's primary (a
// promotion), the source it was receiving the slot from is forgotten,
// keeping the rank of the transfer that built it: the old primary may
// still deliver entries it queued before it learnt (a partition's
// minority queues writes it never gets acknowledged), which the lead check
// skips while this node leads, and which must stay skipped once it hands
// the slot on, or it would hold writes its next primary does not
// (TestMinorityStopsAtOnce, 1 run in 10 under load before this). While
// only a handoff's lead override makes this node lead, the source stays:
// the failover reads it (localReplState).
func (r *replicator) ledHere(slot uint16, byTable bool) {
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	rs := &r.recv[slot]
	switch {
	case rs.source == "":
		return
	case !rs.synced:
		if err := r.flushCopy(slot); err != nil {
			r.logger.Error("drop partial copy of a led slot", "slot", slot, "err", err)
			return
		}
		r.resetRecv(slot, "")
	case byTable:
		rank := rs.epoch
		r.resetRecv(slot, "")
		rs.epoch = rank
	}
}

// resyncOverflowed detaches every slot of a stream whose queue
// overflowed, then lets the stream run again; reconcile then starts a
// transfer for each slot still wanted.
func (r *replicator) resyncOverflowed() {
	r.mu.Lock()
	var over []*peerStream
	for _, p := range r.peers {
		p.mu.Lock()
		if p.overflow {
			over = append(over, p)
		}
		p.mu.Unlock()
	}
	r.mu.Unlock()
	for _, p := range over {
		p.mu.Lock()
		slots := make([]uint16, 0, len(p.slots))
		for s := range p.slots {
			slots = append(slots, s)
		}
		p.mu.Unlock()
		for _, s := range slots {
			for _, a := range r.slots[s].attachments() {
				if a.p == p {
					r.detach(s, a)
				}
			}
		}
		p.mu.Lock()
		p.overflow = false
		clear(p.acks)
		p.mu.Unlock()
	}
}

// stopIdleStreams stops the streams to peers that left the table and
// carry nothing.
func (r *replicator) stopIdleStreams(t *ring.Table) {
	r.mu.Lock()
	var idle []*peerStream
	for id, p := range r.peers {
		if _, ok := t.Member(id); ok {
			continue
		}
		p.mu.Lock()
		empty := len(p.slots) == 0 && len(p.q) == 0
		p.mu.Unlock()
		if empty {
			idle = append(idle, p)
			delete(r.peers, id)
		}
	}
	r.mu.Unlock()
	for _, p := range idle {
		p.stop()
	}
}

// aliveIDs returns the IDs of the alive members, this node included.
func (n *Node) aliveIDs() map[ring.NodeID]bool { return n.members.AliveIDs() }
