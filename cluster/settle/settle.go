// Package settle judges whether one node sees the cluster at rest
// (cluster.Node.Settled, INFO's cluster_settled): a pure decision over
// what the node gathered, tested by tables without sockets.
package settle

import (
	"fmt"
	"sync"

	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/cluster/wire"
	"github.com/meshcache/meshcache/ring"
)

// Input is what the judgement takes, gathered from one node.
type Input struct {
	Table      *ring.Table
	Alive      map[ring.NodeID]wire.Meta // alive members, this node included
	Replicas   int                       // the replicas setting
	Replicated bool                      // replication on: preferences count, and the counts below
	Degraded   int                       // led slots that should have a synced replica and have none
	Transfers  int                       // slot transfers running on this node
	Syncing    int                       // slots this node replicates that are not in sync yet
}

// Targets caches target placements between judgements (INFO asks on
// every poll of a waiting harness); safe for concurrent use, so the nodes
// of one process may share one, the key (member IDs and replicas) keeping
// their answers apart. The zero value is ready.
type Targets struct {
	mu sync.Mutex // guards c and the last diff
	c  plan.Targets
	// diffOf and diffTo are the table and target diff was taken of: a
	// table and a placement do not change once made, and a settled
	// node's INFO would otherwise walk every slot on every poll.
	diffOf *ring.Table
	diffTo *ring.Placement
	diff   []ring.SlotDiff
}

// diffOfTo returns t.Diff(p), taken once per table and target.
func (l *Targets) diffOfTo(t *ring.Table, p *ring.Placement) []ring.SlotDiff {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.diffOf != t || l.diffTo != p {
		l.diffOf, l.diffTo, l.diff = t, p, t.Diff(p)
	}
	return l.diff
}

// target returns the target placement of the members given their sorted
// IDs, with t's preferred primaries when prefer is set: what the
// coordinator's step computes for the same inputs.
func (l *Targets) target(ids []ring.NodeID, replicas int, t *ring.Table, prefer bool) (*ring.Placement, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p, err := l.c.Get(ids, replicas)
	if err != nil || !prefer {
		return p, err
	}
	return l.c.WithPreferences(p, t), nil
}

// Why returns "" when in describes a node at rest, else the first reason
// it is not: it holds a table no alive member has a newer one than, the
// table names exactly the alive members that take slots (all but the
// draining ones) at their addresses, every slot is stable and owned as the
// target placement of those members says (with replication, with the
// table's preferred primaries), and, with replication, no transfer runs,
// every led slot has a synced replica where the placement gives it
// replicas (a lone node asked for replicas stays degraded, and settled),
// and every replicated slot is in sync.
func (in Input) Why(targets *Targets) string {
	t := in.Table
	if t == nil {
		return "no routing table"
	}
	for id, m := range in.Alive {
		if m.HoldsNewer(t.Epoch, t.Issuer) {
			return fmt.Sprintf("member %s holds a newer table (epoch %d) than this node's (epoch %d)", id, m.Epoch, t.Epoch)
		}
	}
	// The members that take slots, sorted by ID, as the coordinator picks them.
	v := plan.View{Alive: make(map[ring.NodeID]plan.Member, len(in.Alive))}
	for id, m := range in.Alive {
		v.Alive[id] = m.PlanMember()
	}
	members := plan.Placed(v)
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
	target, err := targets.target(ids, in.Replicas, t, in.Replicated)
	if err != nil {
		return fmt.Sprintf("target placement of %d members: %v", len(ids), err)
	}
	if d := targets.diffOfTo(t, target); len(d) > 0 {
		return fmt.Sprintf("epoch %d: %d slots moving or not placed as the target (first: slot %d, %s)", t.Epoch, len(d), d[0].Slot, d[0].FromState.Kind)
	}
	switch {
	case in.Transfers > 0:
		return fmt.Sprintf("%d slot transfers running", in.Transfers)
	case in.Degraded > 0 && target.Replicas() > 0:
		return fmt.Sprintf("%d led slots without a synced replica", in.Degraded)
	case in.Syncing > 0:
		return fmt.Sprintf("%d replica slots not in sync yet", in.Syncing)
	}
	return ""
}
