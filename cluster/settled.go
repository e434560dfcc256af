package cluster

import (
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/settle"
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
	return n.SettledGiven(n.ReplicationInfo())
}

// SettledGiven is Settled judged with info, the node's ReplicationInfo
// just taken: INFO asks both, and each walks every slot.
func (n *Node) SettledGiven(info replinfo.Info) (settled bool, why string) {
	in := settle.Input{
		Table:      n.table.Load(),
		Alive:      n.see().alive,
		Replicas:   n.cfg.Replicas,
		Replicated: n.repl != nil,
	}
	if n.repl != nil {
		in.Degraded, in.Transfers, in.Syncing = info.DegradedSlots, info.Transfers, info.ReplicaSyncing
	}
	why = in.Why(&settledTargets)
	return why == "", why
}

// settledTargets caches the target placement between Settled calls; the
// nodes of one process share it (settle.Targets keeps them apart).
var settledTargets settle.Targets
