package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// The coordinator's data-moving steps (docs/DESIGN.md §4, §5): failover,
// members and rebalance. Package plan decides them (state in, the next
// table out); this file gathers the state they need (replica states by
// transport.KindReplState, pings of members gossip reports dead), runs the
// handoffs a rebalance pass picks, and logs and counts what the plan
// reports. Steps are at least the profile's MigrationInterval apart
// (coordinator.go).

// handleReplState answers the receiving state of the requested slots
// (wire.DecodeSlots, wire.AppendReplStates).
func (n *Node) handleReplState(_ context.Context, _ string, req, reply []byte) ([]byte, error) {
	slots, err := wire.DecodeSlots(req)
	if err != nil || len(slots) > ring.SlotCount {
		return nil, errors.New("repl-state: bad request")
	}
	for _, s := range slots {
		if int(s) >= ring.SlotCount {
			return nil, errors.New("repl-state: bad slot")
		}
	}
	return wire.AppendReplStates(reply, n.localReplState(slots)), nil
}

// localReplState reports this node's receiving state of slots, and
// whether it holds no key of each (Empty; a node without a store holds
// none). A slot it
// took over by a handoff that no table names it primary of yet reports
// the offset it has reached since: if the old primary dies in that window,
// the failover must prefer this node, which holds every write it
// acknowledged as the slot's leader, over a replica still at the takeover
// offset.
func (n *Node) localReplState(slots []uint16) []plan.ReplState {
	r := n.repl
	t := n.table.Load()
	out := make([]plan.ReplState, len(slots))
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	for i, s := range slots {
		rs := r.recv[s]
		out[i] = plan.ReplState{Source: rs.source, Applied: rs.applied, Synced: rs.synced,
			Empty: n.cfg.Store == nil || n.cfg.Store.CountKeysInSlot(s) == 0}
		if o := n.router.Lead(s); o != nil && t != nil && o.Holds(t, s, n.id) && rs.source == o.From {
			out[i].Applied = max(rs.applied, r.slots[s].offset.Load())
		}
	}
	return out
}

// replStates asks each node for its receiving state of the given slots, in
// parallel; nodes that do not answer are left out.
func (n *Node) replStates(ctx context.Context, v view, ask map[ring.NodeID][]uint16) plan.States {
	out := make(plan.States, len(ask))
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards out
	)
	for id, slots := range ask {
		if len(slots) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			infos, err := n.replState(ctx, v, id, slots)
			if err != nil {
				n.logger.Debug("ask replica state", "node", id, "err", err)
				return
			}
			m := make(map[uint16]plan.ReplState, len(slots))
			for i, s := range slots {
				m[s] = infos[i]
			}
			mu.Lock()
			out[id] = m
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out
}

func (n *Node) replState(ctx context.Context, v view, id ring.NodeID, slots []uint16) ([]plan.ReplState, error) {
	if id == n.id {
		return n.localReplState(slots), nil
	}
	m, ok := v.alive[id]
	if !ok {
		return nil, ErrNodeDown
	}
	b, err := n.client.Call(ctx, m.ClusterAddr, transport.KindReplState, wire.AppendSlots(nil, slots))
	if err != nil {
		return nil, err
	}
	out, err := wire.DecodeReplStates(b, len(slots))
	if err != nil {
		return nil, fmt.Errorf("repl-state reply from %s: %w", id, err)
	}
	return out, nil
}

// planData chooses the next data-moving step, or none when the table
// matches the target placement (plan.Data).
func (n *Node) planData(t *ring.Table, v view, members []plan.Member, target *ring.Placement, holds *plan.Holds) (step, bool) {
	kind := plan.Data(t, v.plan(), members, target, holds, time.Now())
	if kind == plan.None {
		return step{}, false
	}
	return step{kind: kind, members: members, target: target}, true
}

// buildFailover promotes a replica for every slot whose primary is dead
// and drops dead owners: it asks the candidates their replica state and
// lets plan.FailoverStep decide, which holds the slots with no reachable
// synced copy (holds). It returns nil when no slot changed.
func (n *Node) buildFailover(ctx context.Context, t *ring.Table, v view, target *ring.Placement, holds *plan.Holds) (*ring.Table, int, error) {
	pv := v.plan()
	next := plan.NextTable(t, pv, n.id)
	orphans, ask := plan.Orphans(t, pv, n.stillAnswering(ctx, t, v))
	cctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	states := n.replStates(cctx, v, ask)
	cancel()
	out, err := plan.FailoverStep(next, t, pv, target, orphans, states, holds, time.Now())
	if err != nil {
		return nil, 0, err
	}
	if was := n.heldSlots.Swap(int64(out.Held)); out.Held > 0 && was != int64(out.Held) {
		n.logger.Error("slots held unavailable: no reachable node has a synced copy; they serve again when one returns",
			"slots", out.Held, "empty_takeover_after", holds.EmptyAfter)
	}
	if out.Lost > 0 {
		n.repl.lostSlots.Add(int64(out.Lost))
		n.logger.Error("FAILOVER WITHOUT A SYNCED REPLICA: slots given to a live node empty, their data is lost",
			"slots", out.Lost, "epoch", next.Epoch)
	}
	if out.Changed == 0 {
		return nil, 0, nil // every orphan is held, or every "dead" primary still answers
	}
	n.logNotRemoved(out.NotRemoved)
	return next, out.Changed, nil
}

// stillAnswering pings the table members gossip reports dead, in parallel,
// and returns those that answer. A member wrongly suspected (an overloaded
// node, lost UDP packets) keeps its slots: failing it over would give its
// slots to replicas while it still serves them.
func (n *Node) stillAnswering(ctx context.Context, t *ring.Table, v view) map[ring.NodeID]bool {
	out := make(map[ring.NodeID]bool)
	var (
		wg sync.WaitGroup
		mu sync.Mutex // guards out
	)
	for _, m := range t.Members() {
		if _, ok := v.alive[m.ID]; ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, 2*n.profile.ProbeInterval)
			defer cancel()
			if n.pingAddr(pctx, m.ClusterAddr) == nil {
				mu.Lock()
				out[m.ID] = true
				mu.Unlock()
				n.logger.Info("failover deferred: a member gossip reports dead still answers", "node", m.ID)
			}
		}()
	}
	wg.Wait()
	return out
}

// logNotRemoved logs the members plan.DropDead could not remove yet.
func (n *Node) logNotRemoved(errs []error) {
	for _, err := range errs {
		n.logger.Debug("member not removed yet", "err", err)
	}
}

// buildMembers adds new members, updates addresses and drops dead owners
// and members (plan.MembersStep).
func (n *Node) buildMembers(t *ring.Table, v view, members []plan.Member, target *ring.Placement) (*ring.Table, error) {
	pv := v.plan()
	next := plan.NextTable(t, pv, n.id)
	notRemoved, err := plan.MembersStep(next, pv, members, target)
	if err != nil {
		return nil, err
	}
	n.logNotRemoved(notRemoved)
	return next, nil
}

// buildRebalance moves the table one batch toward the target placement:
// replica additions, ready handoffs and ready trims (plan.RebalancePass). It
// returns nil when nothing is ready yet.
// paced reports whether the step moved data (plan.Outcome.Paced): only
// then is the next step spaced by the migration interval.
func (n *Node) buildRebalance(ctx context.Context, t *ring.Table, v view, target *ring.Placement) (next *ring.Table, changed int, paced bool, err error) {
	pv := v.plan()
	next = plan.NextTable(t, pv, n.id)
	pass := plan.NewRebalance(t, pv, target, n.cfg.MigrationBatch)
	cctx, cancel := context.WithTimeout(ctx, n.profile.TCPTimeout)
	defer cancel()
	states := n.replStates(cctx, v, pass.Ask)

	var (
		wg   sync.WaitGroup
		mu   sync.Mutex // guards done
		done []plan.Move
	)
	for p, ms := range pass.Handoffs(states) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := n.callHandoff(ctx, v, p, t.Epoch, ms)
			if err != nil {
				n.logger.Info("handoff call", "primary", p, "slots", len(ms), "err", err)
			}
			mu.Lock()
			done = append(done, got...)
			mu.Unlock()
		}()
	}
	wg.Wait()

	out, err := pass.Apply(next, states, done)
	if err != nil {
		return nil, 0, false, err
	}
	for _, m := range out.Strays {
		n.logger.Warn("handoff reported to a node that is no owner", "slot", m.Slot, "to", m.Target)
	}
	if report, stuck := n.stall.Observe(time.Now(), out.Changed > 0); report {
		n.logger.Warn("rebalance not progressing", "for", stuck.Round(time.Second),
			"handoffs_waiting", out.Wait.Handoffs, "trims_waiting", out.Wait.Trims, "migrating", out.Wait.Migrating,
			"unanswered", out.Wait.Silent)
	}
	if out.Changed == 0 {
		return nil, 0, false, nil
	}
	notRemoved, err := plan.DropDead(next, pv, target)
	if err != nil {
		return nil, 0, false, err
	}
	n.logNotRemoved(notRemoved)
	n.logger.Info("rebalance batch", "epoch", next.Epoch, "handoffs", len(done), "changed", out.Changed,
		"handoffs_pending", out.Wait.Handoffs, "paced", out.Paced)
	return next, out.Changed, out.Paced > 0, nil
}

// callHandoff asks primary p to hand the slots off and returns the moves
// it made (a slot it had handed off already comes with the node it went to).
func (n *Node) callHandoff(ctx context.Context, v view, p ring.NodeID, epoch uint64, moves []plan.Move) ([]plan.Move, error) {
	if p == n.id {
		return n.handoffSlots(ctx, epoch, moves), nil
	}
	m, ok := v.alive[p]
	if !ok {
		return nil, ErrNodeDown
	}
	cctx, cancel := context.WithTimeout(ctx, 2*n.profile.TCPTimeout+handoffAckTimeout)
	defer cancel()
	b, err := n.client.Call(cctx, m.ClusterAddr, transport.KindHandoff, wire.EncodeHandoff(epoch, moves))
	if err != nil {
		return nil, err
	}
	out, err := wire.DecodeMoves(b)
	if err == nil && len(out) > len(moves) {
		err = errors.New("more slots than asked")
	}
	if err != nil {
		return nil, fmt.Errorf("handoff reply from %s: %w", p, err)
	}
	return out, nil
}
