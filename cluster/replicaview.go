package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/meshcache/meshcache/cluster/ack"
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/routing"
	"github.com/meshcache/meshcache/ring"
)

// Read-only views of the replication state for the server: the positions
// a write reached and the wait for its replicas (replica-ack, WAIT), how
// many synced replicas a led slot has (min-replicas-to-write, pruning the
// positions WAIT waits for), whether this node holds a complete copy of a
// slot it replicates (READONLY reads), and INFO replication. Each is a few
// atomic loads, or one short critical section on the receiving state.

// LiveReplicas returns how many synced replicas slot has on this node (as
// its primary): a few atomic loads and no lock, so that INFO and WAIT can
// ask it of every slot without slowing the writes that stream to them.
func (n *Node) LiveReplicas(slot uint16) int {
	if n.repl == nil || int(slot) >= ring.SlotCount {
		return 0
	}
	live := 0
	for _, a := range n.repl.slots[slot].attachments() {
		if a.live.Load() && !a.failed.Load() {
			live++
		}
	}
	return live
}

// tableSlots is a list of slots found in table t.
type tableSlots struct {
	t     *ring.Table
	slots []uint16
}

// replicaCounts counts the slots table t names this node a replica of:
// those it holds in sync with the node that leads them now (routes), and
// the others (being built). It takes the receiving state's lock once, and
// only over the slots it replicates, found before: that lock is on the
// path of every replicated write's acknowledgement.
func (n *Node) replicaCounts(t *ring.Table, routes *routing.Snapshot) (synced, syncing int) {
	ts := n.replicaSlots.Load()
	if ts == nil || ts.t != t { // a table does not change once made
		ts = &tableSlots{t: t, slots: t.ReplicaSlots(n.id)}
		n.replicaSlots.Store(ts)
	}
	mine := ts.slots
	r := n.repl
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	for _, slot := range mine {
		rs := &r.recv[slot]
		if p, local := routes.Route(slot); !local && rs.synced && rs.source == p {
			synced++
		}
	}
	return synced, len(mine) - synced
}

// ReplicaAcks returns how many synced replicas slot has on this node (as
// its primary) and how many of them applied the slot's stream up to off;
// off 0 counts every synced replica. Both are 0 for a slot this node does
// not lead or when the node has no store. Owed backers count as synced
// replicas that have not applied off (backing.go), and a slot with none
// counts one while the table in force names another owner (a replica still
// being built) or this node does not hold its quorum lease: the caller
// waits (WaitReplicated) instead of acknowledging alone.
func (n *Node) ReplicaAcks(slot uint16, off uint64) (synced, acked int) {
	if n.repl == nil || int(slot) >= ring.SlotCount {
		return 0, 0
	}
	synced, acked = n.repl.ackedCount(slot, off)
	if synced == 0 && (!n.lease.Held() || n.othersListed(slot) > 0) {
		// No synced replica, but one is named (being built), or no
		// quorum lease: no acknowledgement without a replica's
		// (WaitReplicated says why).
		return 1, 0
	}
	return synced, acked
}

// ReplicaSynced reports whether this node holds a complete, in-order copy
// of slot as a replica of the node that leads it now: its transfer from
// that primary completed and it applies that primary's stream. Reads of
// such a slot may run here (READONLY connections); they may lag the
// primary by the stream's queue, as reads from a Redis replica do.
func (n *Node) ReplicaSynced(slot uint16) bool {
	r := n.repl
	if r == nil || int(slot) >= ring.SlotCount {
		return false
	}
	primary, local := n.Route(slot)
	if local || primary == "" {
		return false
	}
	r.recvMu.Lock()
	rs := r.recv[slot]
	r.recvMu.Unlock()
	return rs.synced && rs.source == primary
}

// SlotOffset is a position in one slot's replication stream: that of a
// write just made in the slot, as Offsets returns it. It also names the
// lineage of this node's copy of the slot (package ack).
type SlotOffset struct {
	Slot   uint16
	Offset uint64
	gen    uint64
}

// Offsets appends the current offset of each slot to dst: the position a
// write the caller just made in that slot has reached.
func (n *Node) Offsets(dst []SlotOffset, slots ...uint16) []SlotOffset {
	for _, s := range slots {
		if int(s) >= ring.SlotCount {
			continue
		}
		var off, gen uint64
		if n.repl != nil {
			gen = n.repl.slots[s].gen.Load()
			off = n.repl.slots[s].offset.Load()
		}
		dst = append(dst, SlotOffset{Slot: s, Offset: off, gen: gen})
	}
	return dst
}

// ErrReplicaTimeout is returned by WaitReplicated when ctx ends before
// enough replicas acknowledged.
var ErrReplicaTimeout = errors.New("replicas did not acknowledge in time")

// ErrLeadLost is returned by WaitReplicated when a write's slot changed
// primary, or this node's copy of it was dropped, before a replica applied
// the write: it is not on the primary in force (package ack).
var ErrLeadLost = errors.New("the slot changed primary before a replica applied the write")

// WaitReplicated waits until, for every position in pos, want synced
// replicas of the slot (or all of its synced replicas, when it has fewer)
// have applied the slot's stream up to that offset, and returns the
// smallest number of replicas that did over the positions (the reply of
// WAIT). A position's Offset of 0 means the slot's current offset. A slot
// the routing table in force names no other owner for (replicas = 0, a
// cluster of one) does not wait: it is degraded, counted in
// ReplicationInfo, and adds 0 to the count; a slot whose named replica is
// still being built waits for it (its transfer, then its stream, bring the
// write). It returns at once when want <= 0 or the node has
// no store. When ctx ends first it returns the count so far and an error
// wrapping ErrReplicaTimeout. A node that does not hold its quorum lease
// right now (Healthy) never takes the degraded shortcut: it may be cut off
// or have been paused, and the table it holds may not be the one in force.
// The server calls it for WAIT, and AwaitAcks once per pipeline batch
// (replica-ack one|all). Each position is judged by ack.Judge:
// a write whose slot changed primary without a handoff, or
// whose copy here was dropped, before a replica applied it ends the wait at
// once with an error wrapping ErrLeadLost.
func (n *Node) WaitReplicated(ctx context.Context, pos []SlotOffset, want int) (int, error) {
	return n.AwaitAcks(ctx, 0, pos, want)
}

// AwaitAcks is WaitReplicated ending after timeout (none when 0) as well
// as when ctx ends: the server's per-batch wait passes its long-lived
// serving context, so that a wait makes no context and no timer (they were
// half the objects a cluster SET allocated) and, when the first look at
// the acks after the first wake-up finds the write acknowledged, does not
// read the clock. The timeout runs from the first wake-up that does not
// end the wait, at most ackPoll after the wait began (ackwait.Poll), and
// is looked at on each wake-up: the wait may last up to 2*ackPoll longer.
func (n *Node) AwaitAcks(ctx context.Context, timeout time.Duration, pos []SlotOffset, want int) (int, error) {
	r := n.repl
	if r == nil || want <= 0 || len(pos) == 0 {
		return 0, nil
	}
	n.fillOffsets(pos)
	degradedSeen := false
	// The first pass takes the first position's channel before it looks
	// (the server looked already and saw it wait: one look, not two); the
	// next ones look first (the ack that woke them is likely the awaited one).
	first := true
	var deadline time.Time // set at the first wake-up that does not end the wait
	woke := false
	for {
		var sig <-chan struct{} // the first waiting position's slot's ack channel
		if first {
			sig = r.ackWait.Chan(pos[0].Slot)
		}
		acked, done, degraded, err := n.lookAcks(pos, want, first, func(slot uint16) { sig = r.ackWait.Chan(slot) })
		first = false
		if err != nil {
			return 0, err
		}
		degradedSeen = degradedSeen || degraded
		if done {
			if degradedSeen {
				r.degradedWaits.Add(1)
			}
			return acked, nil
		}
		if timeout > 0 && woke {
			now := time.Now()
			if deadline.IsZero() {
				deadline = now.Add(timeout)
			} else if !now.Before(deadline) {
				return acked, fmt.Errorf("%w: %w", ErrReplicaTimeout, context.DeadlineExceeded)
			}
		}
		r.ackWait.Poll(ackPoll) // quorum and attachments change without a signal
		select {
		case <-sig:
			woke = true
		case <-ctx.Done():
			return acked, fmt.Errorf("%w: %w", ErrReplicaTimeout, ctx.Err())
		}
	}
}

// AcksOrNotify is one look of AwaitAcks, for a waiter that must not block
// (an event loop): done reports the wait over, with AwaitAcks's count and
// error; otherwise fn is registered to be called once, without a lock, by
// the next ack of a slot the batch waits for or by the next round
// (ackwait.Notify, within ackPoll), and the caller looks again then (fn may
// also come after the wait ended, from an earlier look). The caller keeps
// the timeout.
func (n *Node) AcksOrNotify(pos []SlotOffset, want int, fn func()) (acked int, done bool, err error) {
	r := n.repl
	if r == nil || want <= 0 || len(pos) == 0 {
		return 0, true, nil
	}
	n.fillOffsets(pos)
	acked, done, degraded, err := n.lookAcks(pos, want, false, func(slot uint16) { r.ackWait.Notify(slot, fn) })
	switch {
	case err != nil:
		return 0, true, err
	case done:
		if degraded {
			r.degradedWaits.Add(1)
		}
		return acked, true, nil
	}
	r.ackWait.Poll(ackPoll) // quorum and attachments change without a signal
	return acked, false, nil
}

// fillOffsets sets the positions of pos whose Offset is 0 to their slot's
// current offset.
func (n *Node) fillOffsets(pos []SlotOffset) {
	r := n.repl
	for i := range pos {
		if pos[i].Offset == 0 {
			pos[i].gen = r.slots[pos[i].Slot].gen.Load()
			pos[i].Offset = r.slots[pos[i].Slot].offset.Load()
		}
	}
}

// lookAcks looks once at every position of pos (ack.Judge) and returns the
// fewest replicas that applied one, whether none waits any more, whether a
// degraded slot was seen, and ErrLeadLost for a position lost. Before it
// judges a position that waits it calls hold with its slot (take its ack
// channel, register a function) and looks at it again, so an ack recorded
// in between is not missed; once one waiting position was looked at after
// its hold, the others need none. held says the caller held pos[0]'s slot
// already.
func (n *Node) lookAcks(pos []SlotOffset, want int, held bool, hold func(slot uint16)) (acked int, done, degraded bool, err error) {
	acked, done = -1, true
	covered := false // a waiting position was looked at after its slot was held
	for i, p := range pos {
		s := n.ackState(p)
		v := ack.Judge(s, want)
		if v == ack.Wait && !covered && (!held || i > 0) {
			hold(p.Slot)
			s = n.ackState(p)
			v = ack.Judge(s, want)
		}
		covered = covered || v == ack.Wait
		have := s.Applied
		switch v {
		case ack.Lost:
			return 0, true, degraded, fmt.Errorf("slot %d: %w", p.Slot, ErrLeadLost)
		case ack.Degraded:
			degraded = true
			have = 0
		case ack.Wait:
			done = false
		case ack.Done:
			if s.Synced == 0 {
				have = 1 // handed off: the new primary applied it
			}
		}
		if acked < 0 || have < acked {
			acked = have
		}
	}
	return max(acked, 0), done, degraded, nil
}

// ackPoll is how often AwaitAcks looks again without an ack of the
// slot it waits on: the lease, the table and the attachments change
// without a signal to it.
const ackPoll = 50 * time.Millisecond

// ackedCount returns how many synced replicas slot has and how many of
// them applied its stream up to off. Owed backers (backing.go) count as
// synced replicas that have not applied it.
func (r *replicator) ackedCount(slot uint16, off uint64) (live, have int) {
	atts := r.slots[slot].attachments()
	for _, a := range atts {
		if !a.live.Load() || a.failed.Load() {
			continue
		}
		live++
		if v := a.acked.Load(); v > 0 && v-1 >= off {
			have++
		}
	}
	return live + r.owed(slot, atts), have
}

// ReplicationInfo returns the node's replication state; the zero value
// when the node has no store. It walks every slot once, without a lock
// (INFO, the admin page and metrics ask for it; monitors poll them), and
// the slots it replicates once more under the receiving state's lock.
func (n *Node) ReplicationInfo() replinfo.Info {
	r := n.repl
	if r == nil {
		return replinfo.Info{}
	}
	var info replinfo.Info
	r.mu.Lock()
	for _, p := range r.peers {
		info.Peers = append(info.Peers, p.info())
	}
	info.Transfers = len(r.moving)
	r.mu.Unlock()
	slices.SortFunc(info.Peers, func(a, b replinfo.Peer) int { return cmp.Compare(a.ID, b.ID) })
	// live counts each stream's live attachments: a few streams, found by
	// pointer, so that the walk over every slot hashes nothing (INFO
	// replication and cluster ask for this, and monitors poll them).
	type liveCount struct {
		p *peerStream
		n int
	}
	var live []liveCount
	routes := n.router.Snapshot()
	for s := range ring.SlotCount {
		_, led := routes.Route(uint16(s))
		if led {
			info.LedSlots++
			info.LedOffsets += r.slots[s].offset.Load()
		}
		synced := 0
		for _, a := range r.slots[s].attachments() {
			if !a.live.Load() {
				continue
			}
			i := slices.IndexFunc(live, func(c liveCount) bool { return c.p == a.p })
			if i < 0 {
				i, live = len(live), append(live, liveCount{p: a.p})
			}
			live[i].n++
			if !a.failed.Load() {
				synced++
			}
		}
		if led && synced == 0 && n.cfg.Replicas > 0 {
			info.DegradedSlots++
		}
	}
	for _, c := range live {
		if i := slices.IndexFunc(info.Peers, func(p replinfo.Peer) bool { return p.ID == c.p.id }); i >= 0 {
			info.Peers[i].LiveSlots += c.n
		}
	}
	if t := n.table.Load(); t != nil {
		info.ReplicaSynced, info.ReplicaSyncing = n.replicaCounts(t, routes)
	}
	info.DegradedWaits = r.degradedWaits.Load()
	info.LostSlots = r.lostSlots.Load()
	info.HeldSlots = n.heldSlots.Load()
	info.TransfersDone = r.transfersDone.Load()
	info.TransfersFail = r.transfersFailed.Load()
	info.TransferBytes = r.transferBytes.Load()
	info.TransferRate = math.Float64frombits(r.transferRate.Load())
	info.Handoffs = r.handoffs.Load()
	return info
}
