package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// Replication (DESIGN.md §5). The node is its store's EffectSink: every
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
// Receiving side: per slot, the source of the last transfer this node
// accepted (which primary and which session), the offset applied, and
// whether the transfer completed (synced). Only entries from the current
// source are applied; a transfer from a table epoch older than the one the
// slot was last synced in is refused, so a stale primary cut off by a
// partition cannot overwrite a replica the new primary built.

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
	// lead: this node took the slot over by a handoff and leads it until
	// a table resolves that (override.go); nil: no override.
	lead atomic.Pointer[leadOverride]
	// fwd: this node handed the slot off; it forwards the slot's requests
	// to the new primary until a table resolves that (override.go).
	fwd atomic.Pointer[fwdOverride]
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
}

// recvSlot is the receiving side of one slot (guarded by recvMu).
type recvSlot struct {
	source  ring.NodeID // primary whose transfer this node accepted; "" none
	session uint64
	epoch   uint64 // the transfer's rank (beginRank)
	applied uint64
	synced  bool
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

	slots [ring.SlotCount]slotRepl

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

	degradedSlots   atomic.Int64
	degradedWaits   atomic.Int64
	lostSlots       atomic.Int64
	transfersDone   atomic.Int64
	transfersFailed atomic.Int64
	transferBytes   atomic.Int64
	handoffs        atomic.Int64
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
	r.limiter.rate = n.cfg.MigrationRate
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

// sink is the store's EffectSink: it runs under the slot's lock, in apply
// order, so offsets follow the order of the slot's history.
func (r *replicator) sink(slot uint16, effects []store.Effect) {
	sr := &r.slots[slot]
	for _, e := range effects {
		off := sr.offset.Add(1)
		if len(sr.att) == 0 {
			continue
		}
		b := encodeEffectEntry(slot, off, e)
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
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			kicked = false
		case <-r.kickCh:
			kicked = true
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
	degraded := int64(0)
	need := make(map[ring.NodeID][]uint16)
	for s := range ring.SlotCount {
		slot := uint16(s)
		sr := &r.slots[slot]
		_, local := r.n.Route(slot)
		var want []ring.NodeID
		if local {
			for _, o := range t.Owners(slot) {
				if o != self && alive[o] {
					want = append(want, o)
				}
			}
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
			r.dropPartial(slot)
		}
		if local && r.n.cfg.Replicas > 0 && len(alive) > 1 && !hasLive {
			degraded++
		}
		if !local && !t.IsOwner(slot, self) && r.dropSlot(slot, t.Epoch) {
			work = true
		}
	}
	work = work || len(need) > 0 || degraded > 0
	r.degradedSlots.Store(degraded)
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

// dropPartial drops what this node holds of a slot it now leads but whose
// transfer never completed (it was given the slot with no synced replica:
// the data is lost, and a partial copy must not pass for it).
func (r *replicator) dropPartial(slot uint16) {
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	rs := &r.recv[slot]
	if rs.source == "" || rs.synced {
		return
	}
	if err := r.st.Apply([]store.Effect{{Kind: store.EffectFlushSlot, Slot: slot}}); err != nil {
		r.logger.Error("drop partial copy of a led slot", "slot", slot, "err", err)
		return
	}
	r.resetRecv(slot, "")
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

// dropSlot drops the data and receiving state of a slot this node no
// longer owns, unless a transfer from a newer table than ours is under way.
// It reports whether there was something to drop or wait for.
func (r *replicator) dropSlot(slot uint16, epoch uint64) bool {
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	rs := &r.recv[slot]
	if rs.source == "" && r.st.CountKeysInSlot(slot) == 0 {
		return false
	}
	if rs.epoch > 2*epoch+1 {
		return true // a primary with a newer table is building us: wait for it
	}
	if err := r.st.Apply([]store.Effect{{Kind: store.EffectFlushSlot, Slot: slot}}); err != nil {
		r.logger.Error("drop slot no longer owned", "slot", slot, "err", err)
		return true
	}
	r.resetRecv(slot, "")
	return true
}

// handleReplicate applies a batch of stream entries (receiving side).
func (r *replicator) handleReplicate(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	src, _, first, entries, err := decodeReplicate(req)
	if err != nil {
		return nil, err
	}
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	last := r.recvSeq[src]
	var (
		batch   []store.Effect
		slotsIn []uint16          // slots with effects in batch
		offs    map[uint16]uint64 // slot -> last effect offset in batch
		touched []uint16
	)
	offs = make(map[uint16]uint64)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if err := r.st.Apply(batch); err != nil {
			r.logger.Error("apply replicated effects; the slots will be re-synced", "from", src, "err", err)
			for _, s := range slotsIn {
				r.resetRecv(s, "")
			}
		} else {
			for s, off := range offs {
				rs := &r.recv[s]
				if rs.source == src {
					rs.applied = max(rs.applied, off)
					r.slots[s].offset.Store(rs.applied)
				}
			}
		}
		batch, slotsIn = batch[:0], slotsIn[:0]
		clear(offs)
	}
	for i, raw := range entries {
		seq := first + uint64(i)
		if seq <= last {
			continue // applied by an earlier (timed-out) call
		}
		e, err := decodeEntry(raw)
		if err != nil {
			flush()
			r.recvSeq[src] = seq - 1
			return nil, fmt.Errorf("replicate from %s: entry %d: %w", src, seq, err)
		}
		rs := &r.recv[e.slot]
		if !slices.Contains(touched, e.slot) {
			touched = append(touched, e.slot)
		}
		switch e.typ {
		case entBegin:
			// Refuse a transfer ranked below the one that last built
			// this slot here (beginRank): it comes from a primary that
			// has since been replaced.
			if r.n.leadsLocally(e.slot) || e.epoch < rs.epoch {
				r.logger.Debug("transfer refused", "slot", e.slot, "from", src, "rank", e.epoch,
					"held_rank", rs.epoch, "leads", r.n.leadsLocally(e.slot))
				continue
			}
			flush()
			if err := r.st.Apply([]store.Effect{{Kind: store.EffectFlushSlot, Slot: e.slot}}); err != nil {
				r.logger.Error("drop slot before transfer", "slot", e.slot, "err", err)
				continue
			}
			r.resetRecv(e.slot, src)
			*rs = recvSlot{source: src, session: e.session, epoch: e.epoch, applied: e.off}
			r.slots[e.slot].offset.Store(e.off)
		case entSnap, entEffect:
			if rs.source != src || r.n.leadsLocally(e.slot) {
				continue
			}
			batch = append(batch, e.effect)
			if !slices.Contains(slotsIn, e.slot) {
				slotsIn = append(slotsIn, e.slot)
			}
			if e.typ == entEffect {
				offs[e.slot] = e.off
			}
		case entSynced:
			if rs.source != src {
				continue
			}
			flush()
			if rs.source == src { // a failed apply resets the source
				rs.synced = true
				rs.applied = max(rs.applied, e.off)
				r.slots[e.slot].offset.Store(rs.applied)
			}
		}
	}
	flush()
	r.recvSeq[src] = max(last, first+uint64(len(entries))-1)
	for s := range r.resets[src] {
		if !slices.Contains(touched, s) {
			touched = append(touched, s) // reported below with no session: dropped
		}
	}
	delete(r.resets, src)
	acks := make([]slotAckReport, 0, len(touched))
	for _, s := range touched {
		rs := &r.recv[s]
		a := slotAckReport{slot: s}
		if rs.source == src {
			a.slotAck = slotAck{session: rs.session, applied: rs.applied, synced: rs.synced}
		}
		acks = append(acks, a)
	}
	return appendReplicateReply(reply, acks), nil
}

// resetRecv forgets the receiving state of slot, which a new source (or
// none) replaces, and remembers that the old source's copy is gone, so the
// next call from it (a keepalive at least) tells it to re-sync the slot.
// Call with recvMu held.
func (r *replicator) resetRecv(slot uint16, next ring.NodeID) {
	rs := &r.recv[slot]
	if old := rs.source; old != "" && old != next {
		if r.resets[old] == nil {
			r.resets[old] = make(map[uint16]struct{})
		}
		r.resets[old][slot] = struct{}{}
	}
	*rs = recvSlot{}
}

// SlotOffset is a position in one slot's replication stream.
type SlotOffset struct {
	Slot   uint16
	Offset uint64
}

// Offsets appends the current offset of each slot to dst: the position a
// write the caller just made in that slot has reached.
func (n *Node) Offsets(dst []SlotOffset, slots ...uint16) []SlotOffset {
	for _, s := range slots {
		if int(s) >= ring.SlotCount {
			continue
		}
		var off uint64
		if n.repl != nil {
			off = n.repl.slots[s].offset.Load()
		}
		dst = append(dst, SlotOffset{Slot: s, Offset: off})
	}
	return dst
}

// ErrReplicaTimeout is returned by WaitReplicated when ctx ends before
// enough replicas acknowledged.
var ErrReplicaTimeout = errors.New("replicas did not acknowledge in time")

// WaitReplicated waits until, for every position in pos, want synced
// replicas of the slot (or all of its synced replicas, when it has fewer)
// have applied the slot's stream up to that offset, and returns the
// smallest number of replicas that did over the positions (the reply of
// WAIT). A position's Offset of 0 means the slot's current offset. A slot
// with no synced replica (replicas = 0, or all of them down or still being
// built) does not wait: it is degraded, counted in ReplicationInfo, and
// adds 0 to the count. It returns at once when want <= 0 or the node has
// no store. When ctx ends first it returns the count so far and an error
// wrapping ErrReplicaTimeout. A node that does not see a majority right
// now (Quorum) never takes the degraded shortcut: its replicas may only be
// cut off, and a write it acknowledged alone would be lost when the
// majority fails its slots over. The server calls it once per pipeline batch
// (replica-ack one|all) and for WAIT.
func (n *Node) WaitReplicated(ctx context.Context, pos []SlotOffset, want int) (int, error) {
	r := n.repl
	if r == nil || want <= 0 || len(pos) == 0 {
		return 0, nil
	}
	for i := range pos {
		if pos[i].Offset == 0 {
			pos[i].Offset = r.slots[pos[i].Slot].offset.Load()
		}
	}
	degradedSeen := false
	for {
		sig := r.ackChan()
		acked, done := -1, true
		for _, p := range pos {
			live, have := r.ackedCount(p.Slot, p.Offset)
			if live == 0 {
				if acked < 0 {
					acked = 0
				}
				if !n.quorum.Load() {
					// Cut off from the majority, the replicas look
					// dead from here; acknowledging now would let a
					// minority accept writes the majority never sees.
					done = false
					continue
				}
				degradedSeen = true
				continue
			}
			if acked < 0 || have < acked {
				acked = have
			}
			if have < min(want, live) {
				done = false
			}
		}
		if acked < 0 {
			acked = 0
		}
		if done {
			if degradedSeen {
				r.degradedWaits.Add(1)
			}
			return acked, nil
		}
		select {
		case <-sig:
		case <-time.After(50 * time.Millisecond): // quorum and attachments change without a signal
		case <-ctx.Done():
			return acked, fmt.Errorf("%w: %w", ErrReplicaTimeout, ctx.Err())
		}
	}
}

// ackedCount returns how many synced replicas slot has and how many of
// them applied its stream up to off.
func (r *replicator) ackedCount(slot uint16, off uint64) (live, have int) {
	for _, a := range r.slots[slot].attachments() {
		if !a.live.Load() || a.failed.Load() {
			continue
		}
		live++
		if ack := a.p.ack(slot); ack.session == a.session && ack.applied >= off {
			have++
		}
	}
	return live, have
}

// Route returns the node that leads slot now, taking the handoff overrides
// into account, and whether that is this node. It is what the server
// routes by: a few atomic loads.
func (n *Node) Route(slot uint16) (ring.NodeID, bool) {
	t := n.table.Load()
	if t == nil || int(slot) >= ring.SlotCount {
		return "", false
	}
	if r := n.repl; r != nil {
		sr := &r.slots[slot]
		if o := sr.lead.Load(); o != nil && o.holds(t, slot, n.id) {
			return n.id, true
		}
		if o := sr.fwd.Load(); o != nil && o.holds(t, slot, n.id) {
			return o.to, false
		}
	}
	p := t.Primary(slot)
	return p, p == n.id && p != ""
}

// leadsLocally reports whether this node leads slot now.
func (n *Node) leadsLocally(slot uint16) bool {
	_, local := n.Route(slot)
	return local
}

// aliveIDs returns the IDs of the alive members, this node included.
func (n *Node) aliveIDs() map[ring.NodeID]bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[ring.NodeID]bool, len(n.members)+1)
	out[n.id] = true
	for id, m := range n.members {
		if m.alive {
			out[id] = true
		}
	}
	return out
}

// ReplicationInfo is this node's replication state, for INFO replication
// and metrics.
type ReplicationInfo struct {
	Peers         []PeerStreamInfo // outbound streams, by peer ID
	LedSlots      int              // slots this node leads now
	DegradedSlots int              // led slots that should have replicas but have no synced one
	ReplicaSlots  int              // slots this node receives a stream for
	SyncedSlots   int              // of those, transfer complete
	DegradedWaits int64            // WaitReplicated calls that met a degraded slot
	LostSlots     int64            // slots given a new primary with no synced replica (data lost)
	Transfers     int              // slot transfers running now
	TransfersDone int64
	TransfersFail int64
	TransferBytes int64 // snapshot bytes sent by transfers
	Handoffs      int64 // slots handed off by this node
}

// ReplicationInfo returns the node's replication state; the zero value
// when the node has no store.
func (n *Node) ReplicationInfo() ReplicationInfo {
	r := n.repl
	if r == nil {
		return ReplicationInfo{}
	}
	var info ReplicationInfo
	r.mu.Lock()
	for _, p := range r.peers {
		info.Peers = append(info.Peers, p.info())
	}
	info.Transfers = len(r.moving)
	r.mu.Unlock()
	slices.SortFunc(info.Peers, func(a, b PeerStreamInfo) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	live := make(map[ring.NodeID]int)
	for s := range ring.SlotCount {
		if n.leadsLocally(uint16(s)) {
			info.LedSlots++
		}
		for _, a := range r.slots[s].attachments() {
			if a.live.Load() {
				live[a.p.id]++
			}
		}
	}
	for i := range info.Peers {
		info.Peers[i].LiveSlots = live[info.Peers[i].ID]
	}
	r.recvMu.Lock()
	for s := range r.recv {
		if r.recv[s].source != "" {
			info.ReplicaSlots++
			if r.recv[s].synced {
				info.SyncedSlots++
			}
		}
	}
	r.recvMu.Unlock()
	info.DegradedSlots = int(r.degradedSlots.Load())
	info.DegradedWaits = r.degradedWaits.Load()
	info.LostSlots = r.lostSlots.Load()
	info.TransfersDone = r.transfersDone.Load()
	info.TransfersFail = r.transfersFailed.Load()
	info.TransferBytes = r.transferBytes.Load()
	info.Handoffs = r.handoffs.Load()
	return info
}
