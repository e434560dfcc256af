// Package keeper holds one node's quorum lease (docs/DESIGN.md §4, §5; the
// decision itself is package lease, pure). A node may take writes, and
// serve reads unless cluster-allow-reads-when-down says otherwise, only
// while it holds the lease: a majority of its routing table's members
// answered a direct probe it sent less than the lease length ago, and none
// of the answers it counts reports a newer table.
//
// The Keeper probes every member of the table every lease/3, and at once
// when a table is adopted (Adopt, Kick) or a command finds the lease lapsed
// (Wait). A node cut off from the majority stops within a lease (0.6 s on
// lan) instead of after failure detection plus node-timeout; a paused node
// (SIGSTOP, a GC pause) wakes with its lease expired, since the lease is
// measured on the monotonic clock, which runs on while the process is
// stopped. The probes ride transport.KindPing (cluster/wire probe.go), so
// a node of an older build answers them with an echo.
package keeper

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/lease"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// Config is what a Keeper needs of its node.
type Config struct {
	Self ring.NodeID
	// ProbeInterval, ProbeTimeout and SuspicionMult are the node's
	// failure-detection timings (cluster/profile): the lease is
	// lease.Duration of them, and Wait waits up to 2 ProbeTimeout.
	ProbeInterval time.Duration
	ProbeTimeout  time.Duration
	SuspicionMult int
	// Ping sends a ping payload to a cluster address and returns the reply
	// (a transport.KindPing call bounded by ctx).
	Ping func(ctx context.Context, addr string, payload []byte) ([]byte, error)
	// Table returns the node's current routing table (nil before the first).
	Table func() *ring.Table
	// Pull fetches the routing table of the member at a cluster address
	// and adopts it if newer (bounded by the node's own timeout): called
	// when a member answers from a newer table, one pull at a time.
	Pull   func(ctx context.Context, addr string)
	Logger *slog.Logger
}

// Keeper is a node's lease state and its probe loop.
type Keeper struct {
	cfg    Config
	start  time.Time     // the monotonic clock's origin: since() is time.Since(start)
	length time.Duration // the lease length (lease.Duration)
	every  time.Duration // the probe interval (lease.ProbeEvery)
	wait   time.Duration // how long Wait waits for a lapsed lease

	mu      sync.Mutex                   // guards answers, table, changed, logged
	answers map[ring.NodeID]lease.Answer // the newest answer of each member
	table   *ring.Table                  // the newest table the lease was computed for
	changed chan struct{}                // closed and replaced when the expiry is computed again
	logged  bool                         // whether the lease was held when last computed (logged on change)

	until atomic.Int64 // expiry in ns since start; 0: no lease
	// computed is the table until was computed for (k.table): the lease
	// holds only once the node has stored that table (Held).
	computed atomic.Pointer[ring.Table]
	lapsed   atomic.Int64  // ns since start from which Wait counts a lapse
	nonce    atomic.Uint64 // the last probe's nonce
	stopped  atomic.Bool   // Run returned
	pulling  atomic.Bool   // a Pull runs
	kick     chan struct{} // wakes Run; buffered(1)
}

// New returns a Keeper that holds no lease until Adopt or Run computes one.
func New(cfg Config) *Keeper {
	l := lease.Duration(cfg.ProbeInterval, cfg.SuspicionMult)
	return &Keeper{
		cfg:     cfg,
		start:   time.Now(),
		length:  l,
		every:   lease.ProbeEvery(l),
		wait:    2 * cfg.ProbeTimeout,
		answers: make(map[ring.NodeID]lease.Answer),
		changed: make(chan struct{}),
		kick:    make(chan struct{}, 1),
	}
}

// since is the keeper's monotonic clock. time.Since of a time.Time that
// carries a monotonic reading uses that reading, never the wall clock.
func (k *Keeper) since() time.Duration { return time.Since(k.start) }

// Held reports whether the node holds its lease now: a few atomic loads
// and a monotonic clock reading. A lease computed for a table the node has
// not stored yet (Adopt runs just before the store) does not count, so no
// command routed by the old table passes on the new table's lease.
func (k *Keeper) Held() bool {
	u := k.until.Load()
	return u != 0 && k.since() < time.Duration(u) && k.cfg.Table() == k.computed.Load()
}

// HeldAt is Held judged at now, a clock reading (with its monotonic part)
// the caller took a moment ago: the front end's command clock, which
// saves the clock read Held makes. A reading older than a moment may say
// held for a lease that lapsed since.
func (k *Keeper) HeldAt(now time.Time) bool {
	u := k.until.Load()
	return u != 0 && now.Sub(k.start) < time.Duration(u) && k.cfg.Table() == k.computed.Load()
}

// Kick asks Run for a probe round now.
func (k *Keeper) Kick() {
	select {
	case k.kick <- struct{}{}:
	default:
	}
}

// Adopt computes the lease for a table the node is about to adopt, before
// the table can be read: a node that bootstraps a one-node table holds its
// lease from the first moment its table is visible. Kick after the table
// is stored probes the new table's members.
func (k *Keeper) Adopt(t *ring.Table) { k.compute(t) }

// compute computes the lease again for t (or for the newest table it was
// computed for, if newer) and wakes Wait's waiters.
func (k *Keeper) compute(t *ring.Table) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.since()
	if ring.Newer(k.table, t) {
		t = k.table
	}
	if t != k.table {
		// A new table: Wait gives its first probe round time to answer
		// before it counts the lease as lapsed.
		k.lapsed.Store(int64(now))
	}
	k.table = t
	k.computed.Store(t)
	var until time.Duration
	if t != nil {
		members := t.Members()
		ids := make([]ring.NodeID, len(members))
		for i, m := range members {
			ids[i] = m.ID
		}
		if u, ok := lease.Expiry(ids, k.cfg.Self, t.Epoch, t.Issuer, k.answers, now, k.length); ok {
			until = u
		}
	}
	if old := time.Duration(k.until.Swap(int64(until))); old > now && until <= now {
		k.lapsed.Store(int64(now)) // lost before its time (a newer table answered)
	}
	if held := until > now; held != k.logged && t != nil {
		k.logged = held
		k.cfg.Logger.Info("quorum lease changed", "held", held, "epoch", t.Epoch, "members", len(t.Members()))
	}
	close(k.changed)
	k.changed = make(chan struct{})
}

// Wait reports whether the node holds its lease (Held). When the lease
// lapsed only just (or a new table has not been answered for yet), it asks
// for a probe round at once and waits for the lease up to twice the probe
// timeout; a lease lapsed longer ago than that is not waited for (the
// probes that run every lease/3 have found no majority since), so a
// cut-off node refuses at once. Commands call it before a write (and
// before a read with cluster-allow-reads-when-down no).
func (k *Keeper) Wait() bool {
	if k.Held() {
		return true
	}
	if k.cfg.Table() == nil || k.stopped.Load() {
		return false
	}
	lapsed := time.Duration(max(k.lapsed.Load(), k.until.Load()))
	if k.since()-lapsed > k.wait {
		return false
	}
	return k.await(context.Background(), k.wait, k.Held)
}

// Confirm reports whether a majority of the table's members answer probes
// sent from now on (a fresh round trip to each, none from a newer table)
// within d: what the coordinator asks right before it issues a table.
func (k *Keeper) Confirm(ctx context.Context, d time.Duration) bool {
	from := k.since()
	return k.await(ctx, d, func() bool { return time.Duration(k.until.Load()) >= from+k.length })
}

// await kicks a probe round and waits, at most d or until ctx ends, for
// done to hold, looking again whenever the lease is computed anew; it
// reports done's last answer.
func (k *Keeper) await(ctx context.Context, d time.Duration, done func() bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	k.Kick()
	for {
		k.mu.Lock()
		ch := k.changed
		k.mu.Unlock()
		if done() {
			return true
		}
		select {
		case <-ch:
		case <-timer.C:
			return done()
		case <-ctx.Done():
			return false
		}
	}
}

// Run probes every member of the routing table every lease/3, and when
// kicked, until ctx ends; it returns once its probes have. Each probe runs
// on its own goroutine, bounded by the lease length (an answer later than
// that could not renew the lease), and by Pull's timeout when its answer
// reports a newer table.
func (k *Keeper) Run(ctx context.Context) {
	var probes sync.WaitGroup
	defer func() {
		k.stopped.Store(true)
		probes.Wait()
	}()
	tick := time.NewTicker(k.every)
	defer tick.Stop()
	for {
		if t := k.cfg.Table(); t != nil {
			for _, m := range t.Members() {
				if m.ID == k.cfg.Self {
					continue
				}
				probes.Add(1)
				go func() {
					defer probes.Done()
					k.probe(ctx, t, m)
				}()
			}
			// The lease may change without an answer: a one-node
			// table, or time.
			k.compute(t)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-k.kick:
		}
	}
}

// probe sends one lease probe to member m and records its answer.
func (k *Keeper) probe(parent context.Context, t *ring.Table, m ring.Member) {
	nonce := k.nonce.Add(1)
	req := wire.AppendProbe(nil, nonce, wire.ProbeTable{Epoch: t.Epoch, Issuer: t.Issuer})
	sent := k.since()
	ctx, cancel := context.WithTimeout(parent, k.length)
	defer cancel()
	reply, err := k.cfg.Ping(ctx, m.ClusterAddr, req)
	if err != nil {
		return
	}
	got, echo, err := wire.DecodeProbeAnswer(reply, nonce)
	if err != nil {
		k.cfg.Logger.Debug("lease probe: bad answer", "node", m.ID, "err", err)
		return
	}
	k.mu.Lock()
	if a, ok := k.answers[m.ID]; !ok || sent > a.Sent {
		k.answers[m.ID] = lease.Answer{Sent: sent, Table: !echo, Epoch: got.Epoch, Issuer: got.Issuer}
	}
	k.mu.Unlock()
	k.compute(k.cfg.Table())
	if !echo && (got.Epoch > t.Epoch || (got.Epoch == t.Epoch && got.Issuer > t.Issuer)) && k.pulling.CompareAndSwap(false, true) {
		// The member holds a newer table: this node holds no lease until
		// it has it, so it pulls it now rather than waiting for gossip.
		k.cfg.Pull(parent, m.ClusterAddr)
		k.pulling.Store(false)
	}
}

// Answer answers a ping: a plain ping is echoed, a lease probe gets the
// table t this node holds (nil: none). The probe's own table (the
// sender's) is decoded but not acted on: tables spread by push and gossip
// (a wake-up of the control loop on it made a node that rejoined count a
// quorum from gossip that had not yet caught up).
func Answer(req, reply []byte, t *ring.Table) ([]byte, error) {
	if !wire.IsProbe(req) {
		return append(reply, req...), nil
	}
	nonce, _, err := wire.DecodeProbe(req)
	if err != nil {
		return nil, err
	}
	var mine wire.ProbeTable
	if t != nil {
		mine = wire.ProbeTable{Epoch: t.Epoch, Issuer: t.Issuer}
	}
	return wire.AppendProbeAnswer(reply, nonce, mine), nil
}
