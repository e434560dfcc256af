package cluster

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/store"
)

// A slot transfer builds a replica of a led slot from nothing (docs/DESIGN.md
// §5), for a new replica, a replica that fell behind, and a handoff target.
//
//  1. Under the slot's store lock (store.SnapshotSlotWith), in one critical
//     section: attach the target to the slot in buffering mode, so every
//     effect committed from then on is held for it, and copy the snapshot.
//  2. Send "begin" (the receiver drops whatever it held of the slot), then
//     the snapshot in chunks, through the peer's ordered stream, at most
//     Config.MigrationRate bytes per second over all transfers.
//  3. Under the slot lock again: queue the held tail, switch the attachment
//     to streaming directly, and queue "synced" with the slot's offset.
//  4. When the target reports the slot synced at that offset, the
//     attachment is live: it counts for acknowledgements and the replica
//     can be promoted.
//
// The snapshot is the slot's state at one instant and the tail is every
// effect after it, in order, so the replica ends with exactly the primary's
// state; a key deleted during the transfer is in the snapshot and then
// deleted by the tail, or not in the snapshot at all.

// transferTimeout bounds one transfer's wait for the replica's final
// acknowledgement.
const transferTimeout = 10 * time.Second

// snapChunk is how many snapshot bytes are queued between rate waits.
const snapChunk = 64 << 10

// maxTransferSlots bounds the slots one transfer carries: a transfer
// builds a batch of slots for one peer, so that building a replica of
// thousands of small slots (a new cluster, a node join) takes a few round
// trips rather than one per slot.
const maxTransferSlots = 1024

// startTransfer starts a transfer of slots to peer, leaving out the slots
// already moving to it, unless the transfer limit is reached (reconcile
// tries again on its next pass).
func (r *replicator) startTransfer(ctx context.Context, peer ring.NodeID, slots []uint16) {
	r.mu.Lock()
	slots = slices.DeleteFunc(slots, func(s uint16) bool {
		_, ok := r.moving[transferKey{s, peer}]
		return ok
	})
	if len(slots) == 0 {
		r.mu.Unlock()
		return
	}
	select {
	case r.sem <- struct{}{}:
	default:
		r.mu.Unlock()
		return
	}
	for _, s := range slots {
		r.moving[transferKey{s, peer}] = struct{}{}
	}
	r.wg.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.wg.Done()
		done, err := r.transfer(ctx, peer, slots)
		r.mu.Lock()
		for _, s := range slots {
			delete(r.moving, transferKey{s, peer})
		}
		r.mu.Unlock()
		<-r.sem
		r.transfersDone.Add(int64(done))
		if done > 0 {
			r.n.wakeControl() // a coordinator waiting on these replicas can hand off now
		}
		if err != nil {
			r.transfersFailed.Add(int64(len(slots) - done))
			if ctx.Err() == nil {
				r.logger.Info("slot transfer failed; will retry", "slots", len(slots), "synced", done, "to", peer, "err", err)
			}
		}
		r.kick()
	}()
}

// transfer runs one transfer of slots to peer (see the file comment) and
// returns how many slots it made live.
func (r *replicator) transfer(ctx context.Context, peer ring.NodeID, slots []uint16) (int, error) {
	p, err := r.stream(peer)
	if err != nil {
		return 0, fmt.Errorf("transfer to %s: %w", peer, err)
	}
	table := r.n.table.Load()
	type slotTransfer struct {
		slot   uint16
		a      *attachment
		marker uint64
	}
	var ts []slotTransfer
	fail := func(err error) (int, error) {
		for _, st := range ts {
			r.detach(st.slot, st.a)
		}
		return 0, fmt.Errorf("transfer of %d slots to %s: %w", len(ts), peer, err)
	}
	chunk := 0
	// Snapshot and attach each slot, then send its begin and snapshot.
	for _, slot := range slots {
		sr := &r.slots[slot]
		a := &attachment{p: p, session: r.session.Add(1), buffering: true}
		var (
			snap    []byte // the snapshot's entries back to back
			ends    []int  // where each entry ends in snap
			base    uint64
			leading bool
		)
		err := r.st.SnapshotSlotWith(slot, func(size int) {
			if leading = r.n.leadsLocally(slot); !leading {
				return
			}
			if slices.ContainsFunc(sr.att, func(x *attachment) bool { return x.p.id == peer && !x.failed.Load() }) {
				leading = false // attached already (a transfer that raced this one)
				return
			}
			// An entry's encoding is smaller than its arena bytes
			// (a 32-byte header against a few bytes of lengths).
			snap = make([]byte, 0, size)
			base = sr.offset.Load()
			sr.att = append(sr.att, a)
			sr.publish()
		}, func(e store.Effect) bool {
			if !leading {
				return false
			}
			snap = wire.AppendSnapEntry(snap, slot, e)
			ends = append(ends, len(snap))
			return true
		})
		if err != nil {
			return fail(err)
		}
		if !leading {
			continue // reconcile will notice
		}
		ts = append(ts, slotTransfer{slot: slot, a: a})
		p.mu.Lock()
		p.slots[slot] = struct{}{}
		p.mu.Unlock()
		begin := r.beginRank(slot, table)
		if err := p.enqueueWait(ctx, slot, wire.EncodeBeginEntry(slot, a.session, base, begin)); err != nil {
			return fail(err)
		}
		start := 0
		for _, end := range ends {
			b := snap[start:end:end]
			start = end
			chunk += len(b)
			if chunk >= snapChunk {
				if err := r.limiter.wait(ctx, chunk); err != nil {
					return fail(err)
				}
				chunk = 0
			}
			if err := p.enqueueWait(ctx, slot, b); err != nil {
				return fail(err)
			}
			r.transferBytes.Add(int64(len(b)))
		}
	}
	if chunk > 0 {
		if err := r.limiter.wait(ctx, chunk); err != nil {
			return fail(err)
		}
	}

	// Switch each slot to streaming: its held tail, then its marker.
	for i := range ts {
		st := &ts[i]
		tx := r.st.Lock(st.slot)
		if st.a.detached.Load() || st.a.failed.Load() {
			tx.Close() // the slot moved on (handed off, or its replica changed)
			continue
		}
		var qerr error
		for _, b := range st.a.buf {
			if qerr = p.enqueue(st.slot, b); qerr != nil {
				break
			}
		}
		st.a.buf, st.a.bufBytes, st.a.buffering = nil, 0, false
		st.marker = r.slots[st.slot].offset.Load()
		if qerr == nil {
			qerr = p.enqueue(st.slot, wire.EncodeSyncedEntry(st.slot, st.marker))
		}
		if qerr != nil {
			st.a.failed.Store(true)
		}
		tx.Close()
		if qerr != nil {
			return fail(qerr)
		}
	}

	// Wait for the replica to report every slot synced.
	wctx, cancel := context.WithTimeout(ctx, transferTimeout)
	defer cancel()
	live, gone := 0, 0
	for live+gone < len(ts) {
		sig := r.ackChan()
		live, gone = 0, 0
		for _, st := range ts {
			if st.a.live.Load() {
				live++
				continue
			}
			if st.a.failed.Load() || st.a.detached.Load() {
				gone++
				continue
			}
			if ack := p.ack(st.slot); ack.Session == st.a.session && ack.Synced && ack.Applied >= st.marker {
				r.slots[st.slot].addBacker(p.id)
				st.a.live.Store(true)
				live++
			}
		}
		if live+gone == len(ts) {
			break
		}
		select {
		case <-sig:
		case <-time.After(100 * time.Millisecond): // a detach does not signal
		case <-wctx.Done():
			for _, st := range ts {
				if !st.a.live.Load() {
					ack := p.ack(st.slot)
					r.logger.Debug("transfer timed out", "slot", st.slot, "to", peer, "session", st.a.session,
						"marker", st.marker, "ack_session", ack.Session, "ack_applied", ack.Applied, "ack_synced", ack.Synced)
					break
				}
			}
			err := fmt.Errorf("waiting for the replica to sync: %w", wctx.Err())
			for _, st := range ts {
				if !st.a.live.Load() {
					r.detach(st.slot, st.a)
				}
			}
			return live, fmt.Errorf("transfer to %s: %w", peer, err)
		}
	}
	r.logger.Debug("slot transfer complete", "slots", len(ts), "to", peer)
	return live, nil
}

// beginRank orders the transfers of a slot by how recent the sender's
// claim to lead it is: 2*epoch for a primary by a table of that epoch, one
// more for a primary by a handoff made under that table, so a handoff
// target's transfers outrank those its old primary started before the
// handoff. A receiver refuses a transfer ranked below the one it holds.
func (r *replicator) beginRank(slot uint16, t *ring.Table) uint64 {
	if t == nil {
		return 0
	}
	rank := 2 * t.Epoch
	if o := r.n.router.Lead(slot); o != nil && o.Holds(t, slot, r.n.id) {
		rank = 2*max(o.Epoch, t.Epoch) + 1
	}
	return rank
}

// SetMigrationRate changes the bytes per second that this node's slot
// transfers may send, all together (CONFIG SET migration-rate); 0 means
// DefaultMigrationRate. Running transfers follow it from their next chunk.
func (n *Node) SetMigrationRate(rate int64) {
	if rate == 0 {
		rate = DefaultMigrationRate
	}
	if n.repl != nil {
		n.repl.limiter.rate.Store(rate)
	}
}

// MigrationRate returns the bytes per second this node's slot transfers
// may send; 0 for a node without replication.
func (n *Node) MigrationRate() int64 {
	if n.repl == nil {
		return 0
	}
	return n.repl.limiter.rate.Load()
}

// rateLimiter spaces out byte counts to a rate (bytes per second), shared
// by every transfer of the node.
type rateLimiter struct {
	rate atomic.Int64 // bytes per second; 0 or less: no limit
	mu   sync.Mutex   // guards next
	next time.Time    // when the next reservation may start
}

// wait blocks until n more bytes fit in the rate, or ctx ends.
func (l *rateLimiter) wait(ctx context.Context, n int) error {
	rate := l.rate.Load()
	if rate <= 0 {
		return nil
	}
	l.mu.Lock()
	now := time.Now()
	start := l.next
	if start.Before(now) {
		start = now
	}
	l.next = start.Add(time.Duration(float64(n) / float64(rate) * float64(time.Second)))
	l.mu.Unlock()
	d := time.Until(start)
	if d <= 0 {
		return nil
	}
	select {
	case <-time.After(d):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
