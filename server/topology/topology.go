// Package topology is the cluster as Redis Cluster clients see it: the
// model behind CLUSTER NODES, SLOTS, SHARDS, REPLICAS and INFO, built by
// pure functions from the routing table and the members: the model holds
// no state, opens no socket and reads no clock (time is an argument). The
// CLUSTER command's handlers (commands.go) gather the inputs from the
// node's Membership and the front end's Conn, call New and write what it
// renders.
//
// meshcache maps its routing table onto Redis's model with one role per
// node, the only shape Redis Cluster clients can hold (redis-py keeps one
// role per node, go-redis broadcasts to masters, redis-cli --cluster counts
// keys per master). In meshcache a node leads some slots and replicates
// slots that others lead; here every node is a master of the slots it
// leads, and the per-slot replicas are not shown as node replicas:
//
//   - CLUSTER SLOTS lists every run of slots with one primary, with that
//     primary only.
//   - CLUSTER SHARDS has one shard per node: its led slots and itself as
//     the master (a node leading nothing is a shard with no slots).
//   - CLUSTER NODES has one master line per node, with the slots it leads
//     (none while it joins or drains); CLUSTER REPLICAS of any node is
//     empty.
//
// So a client that broadcasts to every master (SCAN, DBSIZE, FLUSHALL)
// reaches every node once, and each node's keyspace-wide commands act on
// the slots it leads, so every key is counted once. The cost: cluster
// clients do not see replicas, so their replica reads (go-redis ReadOnly,
// redis-py read_from_replicas) go to the primaries; a plain connection
// that sends READONLY to a node still reads the slots it replicates.
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
	// Healthy is whether this node holds its quorum lease (CLUSTER INFO's state).
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
}

// Run is a maximal run of consecutive slots with one primary.
type Run struct {
	ring.SlotRange
	Primary *Node
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

// addRun adds one run of the table's owned ranges to its primary: the
// replicas are not shown (see the package comment).
func (tp *Topology) addRun(or ring.OwnedRange) {
	p := tp.byID[or.Owners[0]]
	if p == nil {
		p = tp.add(or.Owners[0], "", "", false, false)
	}
	size := int(or.End) - int(or.Start) + 1
	if k := len(tp.runs); k > 0 && tp.runs[k-1].Primary == p && int(tp.runs[k-1].End)+1 == int(or.Start) {
		tp.runs[k-1].End = or.End
	} else {
		tp.runs = append(tp.runs, Run{SlotRange: or.SlotRange, Primary: p})
	}
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

// Runs are the maximal runs of consecutive slots with one primary, in
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

// ShardID is CLUSTER MYSHARDID's answer: each node is a shard of its own
// (CLUSTER SHARDS); the shard ID is derived from the node ID.
func ShardID(id ring.NodeID) string {
	sum := sha1.Sum([]byte("shard:" + string(id)))
	return hex.EncodeToString(sum[:])
}
