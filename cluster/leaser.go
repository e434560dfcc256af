package cluster

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/lease"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// The quorum lease (docs/DESIGN.md §4, §5; the decision is package lease).
// A node may take writes, and serve reads unless cluster-allow-reads-when-
// down says otherwise, only while it holds the lease: a majority of its
// routing table's members answered a direct probe it sent less than the
// lease length ago, and none of the answers it counts reports a newer
// table. leaseLoop probes every member of the table every lease/3, and at
// once when a table is adopted or a command finds the lease lapsed
// (WaitHealthy). A node cut off from the majority stops within a lease
// (0.6 s on lan) instead of after failure detection plus node-timeout;
// a paused node (SIGSTOP, a GC pause) wakes with its lease expired, since
// the lease is measured on the monotonic clock, which runs on while the
// process is stopped.

// leaser is the node's lease state.
type leaser struct {
	length time.Duration // the lease length (lease.Duration of the profile)
	every  time.Duration // the probe interval (lease.ProbeEvery)
	wait   time.Duration // how long WaitHealthy waits for a lapsed lease (2 ProbeTimeout)

	mu      sync.Mutex                   // guards answers, table, changed
	answers map[ring.NodeID]lease.Answer // the newest answer of each member
	table   *ring.Table                  // the newest table the lease was computed for
	changed chan struct{}                // closed and replaced when the expiry is computed again
	until   atomic.Int64                 // expiry in ns since Node.started; 0: no lease
	lapsed  atomic.Int64                 // ns since Node.started from which WaitHealthy counts a lapse
	nonce   atomic.Uint64                // the last probe's nonce
	kick    chan struct{}                // wakes leaseLoop; buffered(1)
}

func newLeaser(p Profile) *leaser {
	l := lease.Duration(p.ProbeInterval, p.SuspicionMult)
	return &leaser{
		length:  l,
		every:   lease.ProbeEvery(l),
		wait:    2 * p.ProbeTimeout,
		answers: make(map[ring.NodeID]lease.Answer),
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
}

// since returns the node's monotonic clock: the time since it was made.
// time.Since of a time.Time carrying a monotonic reading uses that reading,
// never the wall clock.
func (n *Node) since() time.Duration { return time.Since(n.started) }

// leaseHeld reports whether this node holds its lease now.
func (n *Node) leaseHeld() bool {
	u := n.lease.until.Load()
	return u != 0 && n.since() < time.Duration(u)
}

// kickLease asks leaseLoop for a probe round now.
func (n *Node) kickLease() {
	select {
	case n.lease.kick <- struct{}{}:
	default:
	}
}

// computeLease computes the lease again for t (or for the newest table it
// was computed for, if newer) and wakes WaitHealthy's waiters. installTable
// calls it before a new table can be read, under tableMu.
func (n *Node) computeLease(t *ring.Table) {
	ls := n.lease
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if ring.Newer(ls.table, t) {
		t = ls.table
	}
	if t != ls.table {
		// A new table: WaitHealthy gives its first probe round time to
		// answer before it counts the lease as lapsed.
		ls.lapsed.Store(int64(n.since()))
	}
	ls.table = t
	var until time.Duration
	if t != nil {
		members := t.Members()
		ids := make([]ring.NodeID, len(members))
		for i, m := range members {
			ids[i] = m.ID
		}
		if u, ok := lease.Expiry(ids, n.id, t.Epoch, t.Issuer, ls.answers, n.since(), ls.length); ok {
			until = u
		}
	}
	now := n.since()
	if old := time.Duration(ls.until.Swap(int64(until))); old > now && until <= now {
		ls.lapsed.Store(int64(now)) // lost before its time (a newer table answered)
	}
	close(ls.changed)
	ls.changed = make(chan struct{})
}

// WaitHealthy reports whether this node holds its lease (Healthy). When
// the lease lapsed only just (or a new table has not been answered for
// yet), it asks for a probe round at once and waits for the lease up to
// twice the probe timeout; a lease lapsed longer ago than that is not
// waited for (the probes that run every lease/3 have found no majority
// since), so a cut-off node refuses at once. Commands call it before a
// write (and before a read with cluster-allow-reads-when-down no).
func (n *Node) WaitHealthy() bool {
	if n.leaseHeld() {
		return true
	}
	ls := n.lease
	if n.table.Load() == nil || n.closed.Load() {
		return false
	}
	lapsed := time.Duration(max(ls.lapsed.Load(), ls.until.Load()))
	if n.since()-lapsed > ls.wait {
		return false
	}
	timer := time.NewTimer(ls.wait)
	defer timer.Stop()
	n.kickLease()
	for {
		ls.mu.Lock()
		ch := ls.changed
		ls.mu.Unlock()
		if n.leaseHeld() {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return n.leaseHeld()
		}
	}
}

// leaseLoop probes every member of the routing table every lease/3, and
// when kicked. Run by Start; stops with ctx. Each probe runs on its own
// goroutine, bounded by the lease length (an answer later than that could
// not renew the lease), and counted in n.wg.
func (n *Node) leaseLoop(ctx context.Context) {
	defer n.wg.Done()
	tick := time.NewTicker(n.lease.every)
	defer tick.Stop()
	for {
		if t := n.table.Load(); t != nil {
			for _, m := range t.Members() {
				if m.ID == n.id {
					continue
				}
				n.wg.Add(1)
				go n.probe(ctx, t, m)
			}
			// The lease may have changed without an answer: a
			// one-node table, or time.
			n.computeLease(t)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.lease.kick:
		}
	}
}

// probe sends one lease probe to member m and records its answer.
func (n *Node) probe(ctx context.Context, t *ring.Table, m ring.Member) {
	defer n.wg.Done()
	ls := n.lease
	nonce := ls.nonce.Add(1)
	req := wire.AppendProbe(nil, nonce, wire.ProbeTable{Epoch: t.Epoch, Issuer: t.Issuer})
	sent := n.since()
	ctx, cancel := context.WithTimeout(ctx, ls.length)
	defer cancel()
	reply, err := n.client.Call(ctx, m.ClusterAddr, transport.KindPing, req)
	if err != nil {
		return
	}
	got, echo, err := wire.DecodeProbeAnswer(reply, nonce)
	if err != nil {
		n.logger.Debug("lease probe: bad answer", "node", m.ID, "err", err)
		return
	}
	ls.mu.Lock()
	if a, ok := ls.answers[m.ID]; !ok || sent > a.Sent {
		ls.answers[m.ID] = lease.Answer{Sent: sent, Table: !echo, Epoch: got.Epoch, Issuer: got.Issuer}
	}
	ls.mu.Unlock()
	n.computeLease(n.table.Load())
	if !echo && (got.Epoch > t.Epoch || (got.Epoch == t.Epoch && got.Issuer > t.Issuer)) {
		n.wakeControl() // the member holds a newer table: pull it
	}
}

// handlePing echoes a plain ping and answers a lease probe with the table
// this node holds. A probe from a node with a newer table wakes the
// control loop, which pulls it once gossip reports it.
func (n *Node) handlePing(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	if !wire.IsProbe(req) {
		return append(reply, req...), nil
	}
	nonce, theirs, err := wire.DecodeProbe(req)
	if err != nil {
		return nil, err
	}
	var mine wire.ProbeTable
	if t := n.table.Load(); t != nil {
		mine = wire.ProbeTable{Epoch: t.Epoch, Issuer: t.Issuer}
	}
	if theirs.Epoch > mine.Epoch || (theirs.Epoch == mine.Epoch && theirs.Issuer > mine.Issuer) {
		n.wakeControl()
	}
	return wire.AppendProbeAnswer(reply, nonce, mine), nil
}
