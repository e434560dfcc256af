// Package solo is the cluster membership of a node that runs alone, without
// a cluster port: the null object the server runs with until it is given a
// real cluster.Node, so that the front end never asks "is there a cluster?".
//
// A solo Node leads every one of the 16384 slots for good, in a fixed
// routing table that names it alone; it has no replicas and never will, no
// peer can join it, and it forwards nothing (every key is led here). Every
// question the server asks of its cluster gets the answer cluster.Node
// would give for a one-node cluster without replication: positions at
// offset 0 that need no replica, no streams, quorum always.
//
// It lives in cluster/ rather than in server/ because it is an
// implementation of the cluster node's side of the contract (it speaks
// cluster's types and errors, such as cluster.ErrNotReplica), and because
// more than the front end reads it: the admin port shows a standalone
// server's membership from it. It depends on cluster and ring only; the
// server's interfaces are asserted where they are defined (server/membership,
// server/admin).
//
// A solo Node also reports Standalone: the server asks once, when it is
// built or given its cluster, and then behaves as a Redis server with
// cluster mode off (keys of any slots may meet in one command or
// transaction, nothing is routed, WAIT answers 0), exactly as it always has
// without a cluster. See docs/DESIGN.md.
package solo

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/replinfo"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// ErrNoClusterPort is wrapped by what a solo Node refuses because it has no
// cluster port: meeting another node, forwarding, failing over.
var ErrNoClusterPort = errors.New("this node runs without a cluster port")

// Node is the membership of a node alone. Safe for concurrent use; every
// method is a few loads at most, and Table, Route and ID allocate nothing.
type Node struct {
	id    ring.NodeID
	addr  func() string // the RESP port's address now ("host:port")
	table *ring.Table   // fixed: id leads every slot; never changed after New
	left  atomic.Bool   // Leave was called
}

// New returns the membership of node id (a valid node ID: 40 lowercase hex
// digits; New panics otherwise, as that is a programming error). clientAddr
// returns the node's RESP address when asked (Self); it may change once
// the server listens.
func New(id ring.NodeID, clientAddr func() string) *Node {
	t, err := ring.NewTable(0, id, []ring.Member{{ID: id}})
	if err != nil {
		panic(fmt.Sprintf("solo: %v", err))
	}
	for sl := range uint16(ring.SlotCount) {
		if err := t.SetOwners(sl, id); err != nil {
			panic(fmt.Sprintf("solo: %v", err))
		}
	}
	return &Node{id: id, addr: clientAddr, table: t}
}

// Standalone reports true: this node has no cluster port and leads every
// slot for good. The server and the admin port check it once, when they
// are built.
func (n *Node) Standalone() bool { return true }

// PrefetchWrite does nothing: a node alone replicates nothing.
func (n *Node) PrefetchWrite(uint16) {}

// Routing.

// ID returns the node's ID.
func (n *Node) ID() ring.NodeID { return n.id }

// Table returns the fixed routing table: epoch 0, this node the primary of
// every slot, no replicas, no slot moving. Callers must not change it.
func (n *Node) Table() *ring.Table { return n.table }

// Route returns this node for every slot.
func (n *Node) Route(slot uint16) (ring.NodeID, bool) {
	if int(slot) >= ring.SlotCount {
		return "", false
	}
	return n.id, true
}

// Forwarding: the server never forwards (Route is always local); a call
// is a bug, answered with an error rather than a hang.

// Forward returns an error wrapping ErrNoClusterPort (and
// cluster.ErrUnknownNode for another node's ID).
func (n *Node) Forward(_ context.Context, id ring.NodeID, _ bool, _ [][]byte) ([]byte, error) {
	return nil, n.noForward(id)
}

// ForwardBatch returns an error as Forward does.
func (n *Node) ForwardBatch(_ context.Context, id ring.NodeID, _ bool, _ [][][]byte) ([][]byte, error) {
	return nil, n.noForward(id)
}

// StartForward sends nothing (false): there is no other node.
func (n *Node) StartForward(ring.NodeID, bool, [][][]byte, time.Duration, func([][]byte, error)) (transport.Pending, bool) {
	return transport.Pending{}, false
}

func (n *Node) noForward(id ring.NodeID) error {
	if id != n.id {
		return fmt.Errorf("forward to %s: %w (%w)", id, cluster.ErrUnknownNode, ErrNoClusterPort)
	}
	return fmt.Errorf("forward to self: %w", ErrNoClusterPort)
}

// Membership.

// Self describes this node: serving (draining once Leave was called),
// alive until Leave, at its RESP address; it has no cluster address.
func (n *Node) Self() cluster.NodeInfo {
	st := cluster.StateServing
	if n.left.Load() {
		st = cluster.StateDraining
	}
	addr := ""
	if n.addr != nil {
		addr = n.addr()
	}
	return cluster.NodeInfo{ID: n.id, ClientAddr: addr, State: st, Alive: !n.left.Load(), Self: true}
}

// Members returns this node alone.
func (n *Node) Members() []cluster.NodeInfo { return []cluster.NodeInfo{n.Self()} }

// Links is 0: a node alone has no internode connections.
func (n *Node) Links() int { return 0 }

// PollLinks does nothing: a node alone dials no other node.
func (n *Node) PollLinks(transport.Poller) {}

// Meet returns an error wrapping ErrNoClusterPort: no node can join.
func (n *Node) Meet(_ context.Context, clientAddr string, _ int) error {
	return fmt.Errorf("meet %s: %w", clientAddr, ErrNoClusterPort)
}

// Forget returns an error wrapping cluster.ErrUnknownNode: there is no
// other node to forget.
func (n *Node) Forget(id ring.NodeID) error {
	return fmt.Errorf("forget %s: %w", id, cluster.ErrUnknownNode)
}

// Healthy reports true: a node alone is its own majority.
func (n *Node) Healthy() bool { return true }

// WaitHealthy reports true at once, as Healthy.
func (n *Node) WaitHealthy() bool { return true }

// WaitHealthyAt reports true at once, as Healthy.
func (n *Node) WaitHealthyAt(time.Time) bool { return true }

// HealthyAt reports true, as Healthy.
func (n *Node) HealthyAt(time.Time) bool { return true }

// Quorum reports true, as Healthy.
func (n *Node) Quorum() bool { return true }

// Replication: the node leads every slot and has no replica, so every
// slot is one "without a synced replica" in cluster.Node's terms (as with
// replicas 0): a write waits for nobody and counts 0 replicas.

// Offsets appends each valid slot with offset 0: there is no stream.
func (n *Node) Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset {
	for _, s := range slots {
		if int(s) < ring.SlotCount {
			dst = append(dst, cluster.SlotOffset{Slot: s})
		}
	}
	return dst
}

// WaitReplicated returns 0 replicas at once, without error: no slot has a
// synced replica to wait for, and the node always sees its majority.
func (n *Node) WaitReplicated(_ context.Context, _ []cluster.SlotOffset, _ int) (int, error) {
	return 0, nil
}

// AcksOrNotify reports the wait over at once with 0 replicas, as
// WaitReplicated: fn is never called.
func (n *Node) AcksOrNotify([]cluster.SlotOffset, int, func()) (int, bool, error) {
	return 0, true, nil
}

// AwaitAcks returns 0 replicas at once, as WaitReplicated.
func (n *Node) AwaitAcks(context.Context, time.Duration, []cluster.SlotOffset, int) (int, error) {
	return 0, nil
}

// ReplicaAcks returns 0 synced replicas, 0 of them acknowledged.
func (n *Node) ReplicaAcks(uint16, uint64) (synced, acked int) { return 0, 0 }

// LiveReplicas returns 0.
func (n *Node) LiveReplicas(uint16) int { return 0 }

// ReplicaSynced reports false: the node replicates no slot (it leads them all).
func (n *Node) ReplicaSynced(uint16) bool { return false }

// ReplicationInfo returns the zero value, as cluster.Node does without
// replication: no streams, no transfers, no handoffs.
func (n *Node) ReplicationInfo() replinfo.Info { return replinfo.Info{} }

// Operations.

// Failover returns an error wrapping cluster.ErrNotReplica (the node
// replicates no slot) and ErrNoClusterPort.
func (n *Node) Failover(context.Context) (int, error) {
	return 0, fmt.Errorf("failover: %w (%w)", cluster.ErrNotReplica, ErrNoClusterPort)
}

// Leave has no slot to hand to anyone: it marks the node as left (Self
// shows it draining and not alive) and returns nil. Idempotent.
func (n *Node) Leave(context.Context) error {
	n.left.Store(true)
	return nil
}

// MigrationRate returns 0: the node transfers no slot.
func (n *Node) MigrationRate() int64 { return 0 }

// SetMigrationRate does nothing: the node transfers no slot.
func (n *Node) SetMigrationRate(int64) {}

// SettledGiven is always true: one node leads every slot and nothing
// moves.
func (n *Node) SettledGiven(replinfo.Info) (bool, string) { return true, "" }
