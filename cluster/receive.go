package cluster

import (
	"context"
	"fmt"
	"slices"

	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// Receiving side: per slot, the source of the last transfer this node
// accepted (which primary and which session), the offset applied, and
// whether the transfer completed (synced). Only entries from the current
// source are applied; a transfer from a table epoch older than the one the
// slot was last synced in is refused, so a stale primary cut off by a
// partition cannot overwrite a replica the new primary built.

// recvSlot is the receiving side of one slot (guarded by recvMu).
type recvSlot struct {
	source  ring.NodeID // primary whose transfer this node accepted; "" none
	session uint64
	epoch   uint64 // the transfer's rank (beginRank)
	applied uint64
	synced  bool
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
	if err := r.flushCopy(slot); err != nil {
		r.logger.Error("drop slot no longer owned", "slot", slot, "err", err)
		return true
	}
	r.resetRecv(slot, "")
	return true
}

// handleReplicate applies a batch of stream entries (receiving side).
func (r *replicator) handleReplicate(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	src, _, first, entries, err := wire.DecodeReplicate(req)
	if err != nil {
		return nil, err
	}
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	last := r.recvSeq[src]
	var (
		batch   = make([]store.Effect, 0, len(entries))
		slotsIn []uint16          // slots with effects in batch
		offs    map[uint16]uint64 // slot -> last effect offset in batch
		touched []uint16
	)
	offs = make(map[uint16]uint64)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		// Whether this node leads a slot is asked again with the slot
		// locked: a replica promoted between the check below and the
		// apply would otherwise take the old primary's effects as the
		// new primary, which its own replicas never get (a replica was
		// once found missing three of them after a heal).
		skipped, err := r.st.ApplyUnless(batch, r.n.leadsLocally)
		if err != nil {
			r.logger.Error("apply replicated effects; the slots will be re-synced", "from", src, "err", err)
			for _, s := range slotsIn {
				r.resetRecv(s, "")
			}
		} else {
			for s, off := range offs {
				rs := &r.recv[s]
				if rs.source == src && !slices.Contains(skipped, s) {
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
		e, err := wire.DecodeEntry(raw)
		if err != nil {
			flush()
			r.recvSeq[src] = seq - 1
			return nil, fmt.Errorf("replicate from %s: entry %d: %w", src, seq, err)
		}
		rs := &r.recv[e.Slot]
		if !slices.Contains(touched, e.Slot) {
			touched = append(touched, e.Slot)
		}
		switch e.Type {
		case wire.EntryBegin:
			// Refuse a transfer ranked below the one that last built
			// this slot here (beginRank): it comes from a primary that
			// has since been replaced.
			if r.n.leadsLocally(e.Slot) || e.Epoch < rs.epoch {
				r.logger.Debug("transfer refused", "slot", e.Slot, "from", src, "rank", e.Epoch,
					"held_rank", rs.epoch, "leads", r.n.leadsLocally(e.Slot))
				continue
			}
			flush()
			if err := r.flushCopy(e.Slot); err != nil {
				r.logger.Error("drop slot before transfer", "slot", e.Slot, "err", err)
				continue
			}
			r.resetRecv(e.Slot, src)
			*rs = recvSlot{source: src, session: e.Session, epoch: e.Epoch, applied: e.Off}
			r.slots[e.Slot].offset.Store(e.Off)
		case wire.EntryAdopt:
			// The node this one handed the slot off to leads it from the
			// offset it took over at; what this node holds is exactly
			// that state, so it becomes the new primary's replica as is.
			sr := &r.slots[e.Slot]
			g := sr.gave.Swap(nil)
			if g == nil || g.to != src || g.off != e.Off || sr.offset.Load() != e.Off ||
				r.n.leadsLocally(e.Slot) || e.Epoch < rs.epoch {
				r.logger.Debug("adopt refused; the slot will be transferred", "slot", e.Slot, "from", src,
					"offset", e.Off, "held", sr.offset.Load())
				if rs.source == src {
					r.resetRecv(e.Slot, "")
				}
				continue
			}
			flush()
			r.resetRecv(e.Slot, src)
			*rs = recvSlot{source: src, session: e.Session, epoch: e.Epoch, applied: e.Off, synced: true}
		case wire.EntrySnap, wire.EntryEffect:
			if rs.source != src || r.n.leadsLocally(e.Slot) {
				continue
			}
			batch = append(batch, e.Effect)
			if !slices.Contains(slotsIn, e.Slot) {
				slotsIn = append(slotsIn, e.Slot)
			}
			if e.Type == wire.EntryEffect {
				offs[e.Slot] = e.Off
			}
		case wire.EntrySynced:
			// A node that leads the slot applies none of the source's
			// effects (above), so it must not take the source's offset
			// as applied either: an old primary woken from a pause would
			// count that as its replica's backing and acknowledge a write
			// the new primary never had (TestPartitions, SIGSTOP case).
			if rs.source != src || r.n.leadsLocally(e.Slot) {
				continue
			}
			flush()
			if rs.source == src { // a failed apply resets the source
				rs.synced = true
				rs.applied = max(rs.applied, e.Off)
				r.slots[e.Slot].offset.Store(rs.applied)
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
	acks := make([]wire.SlotAck, 0, len(touched))
	for _, s := range touched {
		rs := &r.recv[s]
		a := wire.SlotAck{Slot: s}
		if rs.source == src {
			a.Session, a.Applied, a.Synced = rs.session, rs.applied, rs.synced
		}
		acks = append(acks, a)
	}
	return wire.AppendReplicateReply(reply, acks), nil
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
