package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster/pace"
	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
)

// The coordinator is the oldest alive member (by start time, ties by node
// ID) that sees a majority of the current routing table's members. Only the
// coordinator issues tables. Every node runs the same control loop and
// decides for itself whether it is the coordinator from what it sees; a node
// on the minority side of a partition never sees a majority, so it never
// issues a table, and a table issued during a brief overlap of two
// coordinators is settled by ring.Newer (higher epoch, then issuer ID).
//
// The coordinator's work is a sequence of steps: each tick it compares the
// table with the target placement of the live members and issues the next
// step as a new table. Steps are kinds in a switch (plan.Kind: planStep
// chooses, runStep executes).

// step is one planned change of the routing table.
type step struct {
	kind    plan.Kind
	members []plan.Member   // the live members the step places slots on
	target  *ring.Placement // the target placement of those members
	slots   int             // slots whose owners change
	// paced: a rebalance step moved data (plan.Outcome.Paced), so the
	// next waits for the migration interval; one that moved only empty
	// slots is followed at once.
	paced  bool
	prefer []*preferRequest
	// preferred counts, per requester, the slots a prefer step recorded.
	preferred map[ring.NodeID]int
}

// view is what this node sees at one tick: itself and every alive member.
type view struct {
	alive    map[ring.NodeID]Meta // including self
	maxEpoch uint64               // highest epoch any alive member reports
}

// plan returns the view as the planner takes it.
func (v view) plan() plan.View {
	pv := plan.View{Alive: make(map[ring.NodeID]plan.Member, len(v.alive)), MaxEpoch: v.maxEpoch}
	for id, m := range v.alive {
		pv.Alive[id] = m.PlanMember()
	}
	return pv
}

// controlLoop runs on every node: it tracks quorum, pulls newer tables,
// reaps long-dead members and, on the coordinator, plans and issues steps.
// It wakes every CoordinatorInterval, on every membership event and when
// a rebalance step the pacer deferred is due (package pace). Run by Start;
// stops with ctx.
func (n *Node) controlLoop(ctx context.Context) {
	defer n.wg.Done()
	tick := time.NewTicker(n.profile.CoordinatorInterval)
	defer tick.Stop()
	var cache placementCache
	pacer := pace.New(n.profile.MigrationInterval)
	defer pacer.Stop()
	holds := &plan.Holds{EmptyAfter: n.cfg.FailoverEmptyAfter}
	for {
		n.control(ctx, &cache, pacer, holds)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-n.wake:
		case <-pacer.Due():
		}
	}
}

// control is one pass of the control loop. pacer spaces its rebalance
// steps; holds are the slots the failover step holds while this node
// coordinates (plan.Holds).
func (n *Node) control(ctx context.Context, cache *placementCache, pacer *pace.Pacer, holds *plan.Holds) {
	defer n.passes.Add(1)
	v := n.see()
	t := n.table.Load()
	majority := n.updateQuorum(t, v)
	n.reap(t)

	var (
		epoch  uint64
		issuer ring.NodeID
	)
	if t != nil {
		epoch, issuer = t.Epoch, t.Issuer
	}
	if v.newer(epoch, issuer) {
		n.pullNewer(ctx, v, epoch, issuer)
		return // decide on the next pass, with the newer table
	}
	if !n.joined.Load() || !majority || !n.oldest(v) {
		holds.Forget()
		n.heldSlots.Store(0)
		resolve(n.prefer.take(), nil, errNotCoordinator)
		return
	}
	if holds.Len() > 0 {
		holds.Prune(t, v.plan())
		n.heldSlots.Store(int64(holds.Len()))
	}
	s, ok, err := n.planStep(t, v, cache, holds)
	if err != nil {
		n.logger.Error("plan coordinator step", "err", err)
		resolve(s.prefer, nil, err)
		return
	}
	if !ok {
		return
	}
	if s.kind == plan.Rebalance && !pacer.Ready(time.Now()) {
		return // the pacer wakes the loop when the step is due
	}
	if !n.confirmMajority(ctx, t) {
		n.logger.Debug("coordinator step deferred: majority not confirmed", "kind", s.kind)
		resolve(s.prefer, nil, errNotCoordinator)
		return
	}
	err = n.runStep(ctx, t, v, &s, holds)
	if err != nil {
		n.logger.Error("coordinator step", "kind", s.kind, "err", err)
	}
	if s.kind == plan.Rebalance && n.table.Load() != t {
		if s.paced {
			pacer.Issued(time.Now())
		} else {
			pacer.Soon()
		}
	}
	resolve(s.prefer, s.preferred, err)
}

// pullNewer pulls the table from the members that report an epoch above
// ours, highest first, until one pull succeeds.
func (n *Node) pullNewer(ctx context.Context, v view, epoch uint64, issuer ring.NodeID) {
	var from []Meta
	for _, m := range v.alive {
		if m.HoldsNewer(epoch, issuer) {
			from = append(from, m)
		}
	}
	slices.SortFunc(from, func(a, b Meta) int {
		return cmp.Or(cmp.Compare(b.Epoch, a.Epoch), strings.Compare(string(b.Issuer), string(a.Issuer)))
	})
	for _, m := range from {
		cctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
		err := n.pullTable(cctx, m.ClusterAddr)
		cancel()
		if err == nil {
			return
		}
		n.logger.Debug("pull newer routing table", "from", m.ID, "epoch", m.Epoch, "err", err)
	}
}

// newer reports whether an alive member holds a table newer than the one
// of epoch and issuer.
func (v view) newer(epoch uint64, issuer ring.NodeID) bool {
	for _, m := range v.alive {
		if m.HoldsNewer(epoch, issuer) {
			return true
		}
	}
	return false
}

// see snapshots the alive members.
func (n *Node) see() view {
	self := n.localMeta()
	v := view{alive: map[ring.NodeID]Meta{n.id: self}}
	v.maxEpoch = n.members.AddAlive(v.alive)
	return v
}

// updateQuorum records whether this node sees a majority of t's members
// and holds the newest table any of them reports, and returns whether it
// may act as coordinator on that ground. With no
// table (or an empty one) there is nothing to have a majority of: a node may
// bootstrap the first table, but it does not report quorum until it holds
// one.
func (n *Node) updateQuorum(t *ring.Table, v view) bool {
	var members []ring.Member
	if t != nil {
		members = t.Members()
	}
	if len(members) == 0 {
		n.quorum.Store(false)
		return true
	}
	seen, _, q := plan.Quorum(t, v.plan())
	behind := q && v.newer(t.Epoch, t.Issuer)
	if behind {
		// A member holds a newer table: this one is not the table in
		// force (this node was cut off, or a push has not arrived yet).
		// Until it pulls the newer one it counts no quorum, so a node
		// that rejoins after a partition issues no table from the one it
		// had (issue 18, cause 3). Its writes are fenced by the lease,
		// which counts no answer from a member with a newer table.
		q = false
	}
	if was := n.quorum.Swap(q); was != q {
		n.logger.Info("quorum changed", "quorum", q, "sees", seen, "of", len(members), "epoch", t.Epoch, "table_behind", behind)
	}
	return q
}

// confirmMajority reports whether a majority of t's members (this node
// included) answered lease probes sent from now on, within two probe
// intervals (keeper.Confirm). Failure detection is not simultaneous: just
// after a partition, a node on the minority side may still believe some of
// the other side alive and so count a majority that is not there. A round
// trip to each member, right before a table is issued, closes that window;
// with no table there is nothing to confirm.
func (n *Node) confirmMajority(ctx context.Context, t *ring.Table) bool {
	if t == nil || len(t.Members()) == 0 {
		return true
	}
	return n.lease.Confirm(ctx, 2*n.profile.ProbeInterval)
}

// oldest reports whether this node is the oldest alive member it sees:
// the coordinator, if it also sees a majority.
func (n *Node) oldest(v view) bool {
	return coordinatorIn(v).ID == n.id
}

// coordinatorIn returns the oldest member of v (by start time, ties broken
// by the smaller node ID).
func coordinatorIn(v view) Meta {
	var c Meta
	for id, m := range v.alive {
		if c.ID == "" || m.StartTime < c.StartTime || (m.StartTime == c.StartTime && id < c.ID) {
			c = m
		}
	}
	return c
}

// reap drops members that have been dead for a minute and that the table
// no longer names (members.Set.Reap). Their addresses stay in the re-join
// set (membership.go).
func (n *Node) reap(t *ring.Table) { n.members.Reap(t, time.Now()) }

// placementCache is the control loop's plan.Targets, and the last table
// found to match its target placement (settledTable, settledTarget): while
// neither changes there is nothing to plan, so an idle coordinator does not
// scan every slot each tick.
type placementCache struct {
	plan.Targets
	settledTable  *ring.Table
	settledTarget *ring.Placement
}

// planStep compares the table with the target placement of the live members
// and returns the next step, if any. Members that are draining get no slots.
func (n *Node) planStep(t *ring.Table, v view, cache *placementCache, holds *plan.Holds) (step, bool, error) {
	members := plan.Placed(v.plan())
	if len(members) == 0 {
		return step{}, false, nil
	}
	ids := make([]ring.NodeID, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	target, err := cache.Get(ids, n.cfg.Replicas)
	if err != nil {
		return step{}, false, fmt.Errorf("target placement of %d members: %w", len(ids), err)
	}
	if t == nil || t.Assigned() == 0 {
		return step{kind: plan.Assignment, members: members, target: target, slots: ring.SlotCount}, true, nil
	}
	if reqs := n.prefer.take(); len(reqs) > 0 {
		if n.repl == nil {
			return step{prefer: reqs}, false, errors.New("failover: replication is off")
		}
		return step{kind: plan.Prefer, members: members, target: target, prefer: reqs}, true, nil
	}
	if n.repl != nil {
		target = cache.WithPreferences(target, t)
		if cache.settledTable == t && cache.settledTarget == target && holds.Len() == 0 {
			return step{}, false, nil // nothing changed since the table matched its target
		}
		s, ok := n.planData(t, v, members, target, holds)
		if !ok {
			cache.settledTable, cache.settledTarget = t, target
		}
		return s, ok, nil
	}
	if diff, ok := plan.Assign(t, members, target); ok {
		return step{kind: plan.Assignment, members: members, target: target, slots: diff}, true, nil
	}
	return step{}, false, nil
}

// runStep executes a step: it builds the next table, adopts it and pushes
// it to every alive member.
func (n *Node) runStep(ctx context.Context, cur *ring.Table, v view, s *step, holds *plan.Holds) error {
	start := time.Now()
	epoch := v.maxEpoch
	if cur != nil {
		epoch = max(epoch, cur.Epoch)
	}
	epoch++
	var next *ring.Table
	switch s.kind {
	case plan.Assignment:
		members := make([]ring.Member, len(s.members))
		for i, m := range s.members {
			members[i] = ring.Member{ID: m.ID, Addr: m.Addr, ClusterAddr: m.ClusterAddr}
		}
		t, err := ring.NewTable(epoch, n.id, members)
		if err != nil {
			return fmt.Errorf("assign step, epoch %d: %w", epoch, err)
		}
		if err := t.Assign(s.target); err != nil {
			return fmt.Errorf("assign step, epoch %d: %w", epoch, err)
		}
		next = t
	case plan.Failover:
		t, changed, err := n.buildFailover(ctx, cur, v, s.target, holds)
		if err != nil {
			return fmt.Errorf("failover step, epoch %d: %w", epoch, err)
		}
		if t == nil {
			return nil
		}
		next, s.slots = t, changed
	case plan.Members:
		t, err := n.buildMembers(cur, v, s.members, s.target)
		if err != nil {
			return fmt.Errorf("members step, epoch %d: %w", epoch, err)
		}
		next = t
	case plan.Prefer:
		pv := v.plan()
		next = plan.NextTable(cur, pv, n.id)
		ids := make([]ring.NodeID, len(s.prefer))
		for i, r := range s.prefer {
			ids[i] = r.id
		}
		slots, err := plan.PreferStep(next, cur, pv, s.target, ids)
		if err != nil {
			return fmt.Errorf("prefer step, epoch %d: %w", epoch, err)
		}
		s.preferred = slots
		for _, c := range slots {
			s.slots += c
		}
		if s.slots == 0 {
			return nil // no requester replicates a slot it could lead
		}
	case plan.Rebalance:
		t, changed, paced, err := n.buildRebalance(ctx, cur, v, s.target)
		if err != nil {
			return fmt.Errorf("rebalance step, epoch %d: %w", epoch, err)
		}
		if t == nil {
			return nil // nothing ready yet: transfers are still running
		}
		next, s.slots, s.paced = t, changed, paced
	default:
		return fmt.Errorf("unknown step kind %s", s.kind)
	}
	if !n.installTable(next, "self") {
		return fmt.Errorf("%s step: table epoch %d not newer than the current one", s.kind, epoch)
	}
	epoch = next.Epoch
	n.recordStep(cur, next, s)
	n.logger.Info("coordinator issued routing table", "step", s.kind, "epoch", epoch,
		"build_ms", float64(time.Since(start).Microseconds())/1000,
		"members", len(s.members), "slots_changed", s.slots)
	var peers []string
	for id, m := range v.alive {
		if id != n.id {
			peers = append(peers, m.ClusterAddr)
		}
	}
	pctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	defer cancel()
	acks := n.pushTable(pctx, next, peers)
	n.logger.Debug("routing table pushed", "epoch", epoch, "acks", acks, "peers", len(peers))
	return nil
}
