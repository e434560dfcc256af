// Package membership is what the front end needs of its node's cluster
// membership (docs/DESIGN.md §4, §6), one small interface per concept.
// *cluster.Node implements every one of them; so does *solo.Node, the
// membership of a node alone, which a server runs with until
// server.SetCluster gives it a real one. The server never sees the gossip
// or RPC machinery behind them, and there is always a membership to ask: a
// lone node is a cluster of one that leads every slot. The one thing
// decided once rather than asked per command is whether the node is
// standalone (Standalone). The interfaces are the server's; the server
// holds a Cluster, read-only once set, and calls through it.
package membership

import (
	"context"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// Router says where each slot is led: what every keyed command is routed by.
type Router interface {
	// ID is this node's ID, as the routing table names it.
	ID() ring.NodeID
	// Table is the current routing table (nil until the first one arrives):
	// one atomic load, cheap enough for every command.
	Table() *ring.Table
	// Route returns the node leading slot now, honouring handoff
	// overrides, and whether that is this node.
	Route(slot uint16) (ring.NodeID, bool)
}

// Forwarder runs commands on the node that leads their slot.
type Forwarder interface {
	// Forward runs one command on node id and returns its raw RESP reply.
	Forward(ctx context.Context, id ring.NodeID, resp3 bool, args [][]byte) ([]byte, error)
	// ForwardBatch runs commands in order on node id, on one session, and
	// returns their raw replies; the receiver may stop early (see
	// ExecuteBatch), so there can be fewer replies than commands.
	ForwardBatch(ctx context.Context, id ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error)
}

// ForwardStarter forwards without waiting, for an event loop
// (server/loopforward.go): cluster.Node.StartForward says how.
type ForwardStarter interface {
	StartForward(id ring.NodeID, resp3 bool, cmds [][][]byte, timeout time.Duration, done func([][]byte, error)) (transport.Pending, bool)
}

// WritePrefetcher fetches ahead what a write's commit reads of the node's
// per-slot replication state (cluster.Node.PrefetchWrite), for a
// pipeline's next write (server/prefetch).
type WritePrefetcher interface {
	PrefetchWrite(slot uint16)
}

// Membership is who is in the cluster (CLUSTER NODES, INFO) and how it
// changes by command (CLUSTER MEET, CLUSTER FORGET).
type Membership interface {
	// Self and Members describe this node and every known member.
	Self() cluster.NodeInfo
	Members() []cluster.NodeInfo
	// Meet joins the cluster of the node at clientAddr (CLUSTER MEET).
	Meet(ctx context.Context, clientAddr string, clusterPort int) error
	// Forget drops a dead node (CLUSTER FORGET).
	Forget(id ring.NodeID) error
	// Links counts the internode connections open now (INFO's
	// cluster_connections).
	Links() int
}

// LinkPoller has the node's internode connections read by the server's
// event loops (server/linkpoll.go): cluster.Node.PollLinks says how.
type LinkPoller interface {
	PollLinks(p transport.Poller)
}

// Health says whether this node may take writes: whether it holds its
// quorum lease (cluster/lease/keeper, docs/DESIGN.md §5).
type Health interface {
	// Healthy is false when this node does not hold its quorum lease: it
	// may be in a minority, or paused past the lease.
	Healthy() bool
	// WaitHealthyAt is Healthy, but waits briefly for a lease that lapsed
	// only just: what a command asks before it runs. now is the command's
	// clock reading, if fresh (server/clock.go; else the zero time).
	WaitHealthyAt(now time.Time) bool
	// HealthyAt is WaitHealthyAt without the wait: what a command that
	// must not wait asks (Client.noWait).
	HealthyAt(now time.Time) bool
}

// Replicas is the replica acknowledgement of writes led here
// (server/replication.go): positions in each slot's stream and the replicas that
// applied them.
type Replicas interface {
	// Offsets appends each slot's current replication offset to dst.
	Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset
	// WaitReplicated waits until want synced replicas (or all a slot has)
	// applied every position; it returns the fewest that did.
	WaitReplicated(ctx context.Context, pos []cluster.SlotOffset, want int) (int, error)
	// AwaitAcks is WaitReplicated ending after timeout too, without a
	// context or timer of its own: the per-batch wait of replica-ack.
	AwaitAcks(ctx context.Context, timeout time.Duration, pos []cluster.SlotOffset, want int) (int, error)
	// AcksOrNotify is one look of AwaitAcks for a waiter that must not
	// block: when the wait is not over, fn is called once at the next ack
	// of a slot it waits for or within the node's ack poll (50 ms), and
	// the waiter looks again; the waiter keeps the timeout.
	AcksOrNotify(pos []cluster.SlotOffset, want int, fn func()) (acked int, done bool, err error)
	// ReplicaAcks counts a led slot's synced replicas and those of them
	// that applied its stream up to off.
	ReplicaAcks(slot uint16, off uint64) (synced, acked int)
	// LiveReplicas counts a led slot's synced replicas, without a lock.
	LiveReplicas(slot uint16) int
	// ReplicaSynced reports whether this node holds a complete copy of a
	// slot it replicates (READONLY reads run here).
	ReplicaSynced(slot uint16) bool
}

// ReplicationStats describes the replication streams and slot counts
// (INFO replication, the leave's log: server/leave).
type ReplicationStats interface {
	// ReplicationInfo describes the streams, transfers and slot counts.
	ReplicationInfo() replinfo.Info
}

// Promoter takes over the slots this node replicates (CLUSTER FAILOVER).
type Promoter interface {
	// Failover makes this node the primary of the slots it replicates,
	// without loss, and returns how many. It fails with
	// cluster.ErrNotReplica when there is none.
	Failover(ctx context.Context) (int, error)
}

// Leaver takes this node out of the cluster (server/leave).
type Leaver interface {
	// Leave drains the node (hands off its slots), leaves the gossip and
	// closes the node.
	Leave(ctx context.Context) error
}

// Migrations is the data moving between nodes: the rate slot transfers
// may send at (INFO, CONFIG SET migration-rate) and whether anything is
// left to move (INFO cluster_settled).
type Migrations interface {
	MigrationRate() int64
	SetMigrationRate(rate int64)
	// SettledGiven reports whether this node sees the cluster at rest
	// (INFO's cluster_settled), given its ReplicationInfo just taken: the
	// routing table equals the target placement, no slot migrates and
	// every slot has its replicas; why says what is left when not.
	SettledGiven(replinfo.Info) (settled bool, why string)
}

// Cluster is the node's cluster membership as the server uses it, one part
// per concept; the server calls each part's methods through it (s.cluster.Route).
// Of fills every part from one node. A part left nil is taken from the
// server's own one-node membership (Fill, in server.SetCluster).
type Cluster struct {
	Router
	Forwarder
	ForwardStarter
	WritePrefetcher
	Membership
	LinkPoller
	Health
	Replicas
	ReplicationStats
	Promoter
	Leaver
	Migrations
}

// Node is a node that implements every part: *cluster.Node, *solo.Node.
type Node interface {
	Router
	Forwarder
	ForwardStarter
	WritePrefetcher
	Membership
	LinkPoller
	Health
	Replicas
	ReplicationStats
	Promoter
	Leaver
	Migrations
}

var (
	_ Node       = (*cluster.Node)(nil)
	_ Node       = (*solo.Node)(nil)
	_ Standalone = (*solo.Node)(nil)
)

// Of returns the Cluster whose every part is n (a *cluster.Node).
func Of(n Node) Cluster {
	return Cluster{
		Router: n, Forwarder: n, ForwardStarter: n, WritePrefetcher: n, Membership: n, LinkPoller: n, Health: n, Replicas: n,
		ReplicationStats: n, Promoter: n, Leaver: n, Migrations: n,
	}
}

// Fill sets every part of c left nil to the same part of one (the
// server's own one-node membership).
func (c *Cluster) Fill(one Cluster) {
	orOne(&c.Router, one.Router)
	orOne(&c.Forwarder, one.Forwarder)
	orOne(&c.ForwardStarter, one.ForwardStarter)
	orOne(&c.WritePrefetcher, one.WritePrefetcher)
	orOne(&c.Membership, one.Membership)
	orOne(&c.LinkPoller, one.LinkPoller)
	orOne(&c.Health, one.Health)
	orOne(&c.Replicas, one.Replicas)
	orOne(&c.ReplicationStats, one.ReplicationStats)
	orOne(&c.Promoter, one.Promoter)
	orOne(&c.Leaver, one.Leaver)
	orOne(&c.Migrations, one.Migrations)
}

// orOne sets a part of a Cluster left nil to the same part of one.
func orOne[P comparable](part *P, one P) {
	var none P
	if *part == none {
		*part = one
	}
}

// Standalone is implemented by a membership that is a node alone for good
// (*solo.Node): no cluster port, every slot led here, no replicas, no peer
// will ever join: the membership of a node started with cluster-enabled no
// (cmd/meshcache runs no cluster layer then), and of the command tests'
// servers. The server asks its Router once, when it is built or given its
// cluster, and then behaves as a Redis server with cluster mode off:
// nothing is
// routed (keys of any slots meet in one command or transaction), writes
// note no replication positions, WAIT answers 0, CLUSTER LEAVE is refused
// and INFO cluster has no transfer lines. Everything else asks the parts.
type Standalone interface {
	Standalone() bool
}

// IsStandalone reports whether r is a node alone for good (Standalone).
func IsStandalone(r Router) bool {
	s, ok := r.(Standalone)
	return ok && s.Standalone()
}
