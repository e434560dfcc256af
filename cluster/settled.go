package cluster

import (
	"fmt"
	"sync"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/ring"
)

// Settled reports whether this node sees the cluster at rest: it holds a
// routing table no alive member has a newer one than, the table names
// exactly the alive members that take slots (all but the draining ones) at
// their addresses, every slot is stable (none migrating or importing) and
// owned as the target placement of those members and the replicas setting
// says (the placement the coordinator converges on, computed by the same
// ring.Place and, with replication, the table's preferred primaries), and,
// with replication, no slot transfer runs here, every slot this node leads
// has a synced replica when the placement gives it replicas (a lone node
// asked for replicas stays degraded, and settled), and every slot it
// replicates is in sync. When it is not settled, why says what is still
// moving.
//
// Settled is one node's view: a harness that wants the whole cluster at
// rest asks every node and checks that they hold the same epoch (INFO's
// cluster_settled reports it to process tests).
func (n *Node) Settled() (settled bool, why string) {
	in := settleInput{
		table:      n.table.Load(),
		alive:      n.see().alive,
		replicas:   n.cfg.Replicas,
		replicated: n.repl != nil,
	}
	if n.repl != nil {
		info := n.ReplicationInfo()
		in.degraded, in.transfers = info.DegradedSlots, info.Transfers
		_, in.syncing = n.ReplicaSlotCounts()
	}
	why = in.unsettled(&settledTargets)
	return why == "", why
}

// settledTargets caches the target placement between Settled calls (INFO
// asks on every poll of a waiting harness); nodes of one process share it,
// and the key (member IDs and replicas) keeps their answers apart.
var settledTargets lockedPlacements

// lockedPlacements is a plan.Targets shared by goroutines.
type lockedPlacements struct {
	mu sync.Mutex // guards c
	c  plan.Targets
}

// target returns the target placement of the members given their sorted
// IDs, with t's preferred primaries when prefer is set: what planStep
// computes for the same inputs.
func (l *lockedPlacements) target(ids []ring.NodeID, replicas int, t *ring.Table, prefer bool) (*ring.Placement, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := l.c.Get(ids, replicas)
	if err != nil || !prefer {
		return p, err
	}
	return l.c.WithPreferences(p, t), nil
}

// settleInput is what Settled judges, gathered from one node.
type settleInput struct {
	table      *ring.Table
	alive      map[ring.NodeID]Meta // alive members, this node included
	replicas   int                  // Config.Replicas
	replicated bool                 // replication on: preferences count, and the counts below
	degraded   int                  // led slots that should have a synced replica and have none
	transfers  int                  // slot transfers running on this node
	syncing    int                  // slots this node replicates that are not in sync yet
}

// unsettled returns "" when in describes a settled node, else the first
// reason it is not.
func (in settleInput) unsettled(targets *lockedPlacements) string {
	t := in.table
	if t == nil {
		return "no routing table"
	}
	for id, m := range in.alive {
		if m.HoldsNewer(t.Epoch, t.Issuer) {
			return fmt.Sprintf("member %s holds a newer table (epoch %d) than this node's (epoch %d)", id, m.Epoch, t.Epoch)
		}
	}
	// The members that take slots, sorted by ID, as planStep picks them.
	members := plan.Placed(view{alive: in.alive}.plan())
	if len(members) == 0 {
		return "no alive member takes slots"
	}
	if !plan.SameMembers(t.Members(), members) {
		return fmt.Sprintf("epoch %d names %d members, not the %d alive members that take slots", t.Epoch, len(t.Members()), len(members))
	}
	ids := make([]ring.NodeID, len(members))
	for i, m := range members {
		ids[i] = m.ID
	}
	target, err := targets.target(ids, in.replicas, t, in.replicated)
	if err != nil {
		return fmt.Sprintf("target placement of %d members: %v", len(ids), err)
	}
	if d := t.Diff(target); len(d) > 0 {
		return fmt.Sprintf("epoch %d: %d slots moving or not placed as the target (first: slot %d, %s)", t.Epoch, len(d), d[0].Slot, d[0].FromState.Kind)
	}
	switch {
	case in.transfers > 0:
		return fmt.Sprintf("%d slot transfers running", in.transfers)
	case in.degraded > 0 && target.Replicas() > 0:
		return fmt.Sprintf("%d led slots without a synced replica", in.degraded)
	case in.syncing > 0:
		return fmt.Sprintf("%d replica slots not in sync yet", in.syncing)
	}
	return ""
}
