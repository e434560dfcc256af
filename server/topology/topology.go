// Package topology is the cluster as Redis Cluster clients see it: the
// model behind CLUSTER NODES, SLOTS, SHARDS, REPLICAS and INFO, built by
// pure functions from the routing table and the members. It holds no
// state, opens no socket and reads no clock (time is an argument); the
// CLUSTER handlers (server/cluster_cmds.go) gather the inputs, call New
// and write what it renders.
//
// meshcache maps its routing table onto Redis's model. In meshcache a node
// leads some slots and replicates slots that others lead (each slot's
// replicas are spread over all other nodes), where a Redis node is either
// a master or a replica of one master. So:
//
//   - CLUSTER SLOTS lists every run of slots with the same owners: the
//     primary, then the alive replicas (from the routing table's Owners),
//     exactly Redis's shape; go-redis and redis-py build their slot maps
//     from it, ReadOnly/RouteByLatency clients read from the replicas.
//   - CLUSTER SHARDS groups slots by their owner list: each group is a
//     shard whose nodes are its primary (role master) and its replicas
//     (role replica), so one node appears in several shards, in different
//     roles. A node named by no slot is a shard of its own with no slots.
//   - CLUSTER NODES has one line per node, so it can show one role: a node
//     that leads slots is a master with those slots; a node that leads none
//     but replicates some (joining, or drained) is a slave of the node whose
//     slots it replicates most. CLUSTER REPLICAS <id> lists, in NODES
//     format, the nodes holding replicas of <id>'s slots, as its slaves.
package topology

import (
	"crypto/sha1"
	"encoding/hex"
	"net"
	"sort"
	"strconv"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
)

// Input is everything the topology is built from.
type Input struct {
	// Table is the routing table: slots, their owners and handoffs, and
	// the addresses of the members it names. Nil before the first table.
	Table *ring.Table
	// Members are the members the membership knows, for liveness and
	// addresses; the one with Self set is this node.
	Members []cluster.NodeInfo
	// Self is this node's ID: the slots moving from or to it are shown on
	// its line of CLUSTER NODES.
	Self ring.NodeID
	// Healthy is whether this node sees a majority (CLUSTER INFO's state).
	Healthy bool
	// LocalAddr is the host:port the client reached, which stands for this
	// node's host where its own address is a wildcard or empty.
	LocalAddr string
}

// Node is one node as the CLUSTER commands show it.
type Node struct {
	ID    ring.NodeID
	Host  string // client IP or host
	Port  int    // client port
	CPort int    // cluster port
	Alive bool
	Self  bool
	// Ranges are the slots it leads, merged into maximal ranges; NSlots
	// counts them.
	Ranges []ring.SlotRange
	NSlots int
	// Replicates counts, per primary, the slots this node replicates.
	Replicates map[ring.NodeID]int
}

// Run is a maximal run of consecutive slots with one owner list.
type Run struct {
	ring.SlotRange
	Primary  *Node
	Replicas []*Node // in the table's order, dead ones included
}

// Topology is a snapshot of the cluster for the CLUSTER commands. It is
// not changed after New returns.
type Topology struct {
	hasTable bool
	epoch    uint64
	healthy  bool
	nodes    []*Node // by ID
	byID     map[ring.NodeID]*Node
	runs     []Run
	assigned int
	failed   int // slots whose primary is not alive
	// open lists this node's slots in the middle of a handoff, as Redis's
	// CLUSTER NODES shows them on the myself line: "[slot->-target]" on the
	// primary handing off, "[slot-<-source]" on the node taking over.
	open []string
}

// New builds the snapshot: the routing table for slots, the members for
// liveness and addresses. A dead member the table does not name is left
// out. A standalone server (cluster/solo) is a lone node that leads every
// slot, named by its run ID; see selfAddr for its addresses.
func New(in Input) *Topology {
	tp := &Topology{byID: make(map[ring.NodeID]*Node), healthy: in.Healthy}
	t := in.Table
	for _, m := range in.Members {
		// A dead node the table no longer names (it left, or its slots
		// were re-placed) is history, not topology: leave it out.
		if !m.Alive && !m.Self {
			if t == nil {
				continue
			}
			if _, named := t.Member(m.ID); !named {
				continue
			}
		}
		tp.add(m.ID, m.ClientAddr, m.ClusterAddr, m.Alive, m.Self)
	}
	if t != nil {
		tp.hasTable = true
		tp.epoch = t.Epoch
		for _, m := range t.Members() {
			tp.add(m.ID, m.Addr, m.ClusterAddr, false, false)
		}
		for _, or := range t.OwnedRanges() {
			tp.addRun(or)
		}
	}
	sort.Slice(tp.nodes, func(i, j int) bool { return tp.nodes[i].ID < tp.nodes[j].ID })
	if t != nil {
		tp.open = openSlots(t, in.Self)
	}
	for _, n := range tp.nodes {
		if n.Self {
			selfAddr(n, in.LocalAddr)
		}
	}
	return tp
}

// add records a node, or completes one already seen: alive and self if any
// source says so, the first addresses given.
func (tp *Topology) add(id ring.NodeID, clientAddr, clusterAddr string, alive, self bool) *Node {
	n := tp.byID[id]
	if n == nil {
		n = &Node{ID: id}
		tp.byID[id] = n
		tp.nodes = append(tp.nodes, n)
	}
	n.Alive = n.Alive || alive
	n.Self = n.Self || self
	if host, port, err := net.SplitHostPort(clientAddr); err == nil && n.Host == "" {
		n.Host = host
		n.Port, _ = strconv.Atoi(port)
	}
	if _, port, err := net.SplitHostPort(clusterAddr); err == nil && n.CPort == 0 {
		n.CPort, _ = strconv.Atoi(port)
	}
	return n
}

// addRun adds one run of the table's owned ranges: its primary leads it,
// its replicas replicate it.
func (tp *Topology) addRun(or ring.OwnedRange) {
	node := func(id ring.NodeID) *Node {
		if n := tp.byID[id]; n != nil {
			return n
		}
		return tp.add(id, "", "", false, false)
	}
	p := node(or.Owners[0])
	run := Run{SlotRange: or.SlotRange, Primary: p}
	size := int(or.End) - int(or.Start) + 1
	for _, id := range or.Owners[1:] {
		r := node(id)
		run.Replicas = append(run.Replicas, r)
		if r.Replicates == nil {
			r.Replicates = make(map[ring.NodeID]int)
		}
		r.Replicates[p.ID] += size
	}
	tp.runs = append(tp.runs, run)
	tp.assigned += size
	if !p.Alive {
		tp.failed += size
	}
	p.NSlots += size
	if k := len(p.Ranges); k > 0 && int(p.Ranges[k-1].End)+1 == int(or.Start) {
		p.Ranges[k-1].End = or.End
	} else {
		p.Ranges = append(p.Ranges, or.SlotRange)
	}
}

// selfAddr completes this node's addresses where its membership has none
// (cluster/solo): a wildcard or empty host becomes the one the client
// reached (laddr), a missing cluster port the client port plus
// cluster.ClusterPortOffset, as Redis's bus port.
func selfAddr(n *Node, laddr string) {
	if ip := net.ParseIP(n.Host); n.Host == "" || (ip != nil && ip.IsUnspecified()) {
		if host, _, err := net.SplitHostPort(laddr); err == nil {
			n.Host = host
		}
	}
	if n.CPort == 0 && n.Port != 0 {
		n.CPort = n.Port + cluster.ClusterPortOffset
	}
}

// openSlots lists the slots moving from or to self under t, in Redis's
// CLUSTER NODES notation.
func openSlots(t *ring.Table, self ring.NodeID) []string {
	var out []string
	for sl := range ring.SlotCount {
		slot := uint16(sl)
		st := t.State(slot)
		if st.Kind != ring.SlotMigrating {
			continue
		}
		switch p := t.Primary(slot); {
		case p == self:
			out = append(out, "["+strconv.Itoa(sl)+"->-"+string(st.Peer)+"]")
		case st.Peer == self:
			out = append(out, "["+strconv.Itoa(sl)+"-<-"+string(p)+"]")
		}
	}
	return out
}

// Nodes are every node, by ID.
func (tp *Topology) Nodes() []*Node { return tp.nodes }

// Runs are the maximal runs of consecutive slots with one owner list, in
// slot order.
func (tp *Topology) Runs() []Run { return tp.runs }

// Node returns the node with that ID, or nil.
func (tp *Topology) Node(id ring.NodeID) *Node { return tp.byID[id] }

// self is this node (an empty Node if the members name none).
func (tp *Topology) self() *Node {
	for _, n := range tp.nodes {
		if n.Self {
			return n
		}
	}
	return &Node{}
}

// configEpoch is a node's config epoch: the table's epoch for nodes that
// lead slots (meshcache has one epoch per table, not per node).
func (tp *Topology) configEpoch(n *Node) uint64 {
	if n.NSlots > 0 {
		return tp.epoch
	}
	return 0
}

// MainPrimary is the node whose slots n replicates most ("" if none; the
// smaller ID on a tie): the master CLUSTER NODES shows n as a slave of
// when n leads no slot.
func (n *Node) MainPrimary() ring.NodeID {
	var best ring.NodeID
	for id, k := range n.Replicates {
		if best == "" || k > n.Replicates[best] || (k == n.Replicates[best] && id < best) {
			best = id
		}
	}
	return best
}

// ShardID is CLUSTER MYSHARDID's answer: each node is a shard of its own
// (its replicas join it with replication); the shard ID is derived from
// the node ID.
func ShardID(id ring.NodeID) string {
	sum := sha1.Sum([]byte("shard:" + string(id)))
	return hex.EncodeToString(sum[:])
}
