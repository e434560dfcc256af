package cluster

import (
	"context"
	"fmt"
	"slices"

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
		case entAdopt:
			// The node this one handed the slot off to leads it from the
			// offset it took over at; what this node holds is exactly
			// that state, so it becomes the new primary's replica as is.
			sr := &r.slots[e.slot]
			g := sr.gave.Swap(nil)
			if g == nil || g.to != src || g.off != e.off || sr.offset.Load() != e.off ||
				r.n.leadsLocally(e.slot) || e.epoch < rs.epoch {
				r.logger.Debug("adopt refused; the slot will be transferred", "slot", e.slot, "from", src,
					"offset", e.off, "held", sr.offset.Load())
				if rs.source == src {
					r.resetRecv(e.slot, "")
				}
				continue
			}
			flush()
			r.resetRecv(e.slot, src)
			*rs = recvSlot{source: src, session: e.session, epoch: e.epoch, applied: e.off, synced: true}
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
