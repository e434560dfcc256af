package topology

import (
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
)

// WriteSlots writes CLUSTER SLOTS: per run of slots with one primary, that
// primary (no replicas: see the package comment).
func (tp *Topology) WriteSlots(r *resp.Reply) {
	r.Array(len(tp.runs))
	for _, run := range tp.runs {
		r.Array(3)
		r.Int(int64(run.Start))
		r.Int(int64(run.End))
		nodeEntry(r, run.Primary)
	}
}

// nodeEntry writes a node as CLUSTER SLOTS lists it: ip, port, id and a
// map of further endpoints (empty).
func nodeEntry(r *resp.Reply, n *Node) {
	r.Array(4)
	r.BulkString(n.Host)
	r.Int(int64(n.Port))
	r.BulkString(string(n.ID))
	r.Map(0)
}

// Shard is one entry of CLUSTER SHARDS: one node and the slots it leads.
type Shard struct {
	Ranges []ring.SlotRange
	Node   *Node
}

// Slots lists every slot of the shard, in order.
func (sh *Shard) Slots() []uint16 {
	var slots []uint16
	for _, sr := range sh.Ranges {
		for sl := int(sr.Start); sl <= int(sr.End); sl++ {
			slots = append(slots, uint16(sl))
		}
	}
	return slots
}

// Shards is one shard per node: the nodes that lead slots in the order of
// their first slot, then those that lead none, by ID.
func (tp *Topology) Shards() []*Shard {
	var out []*Shard
	seen := make(map[*Node]bool)
	for _, run := range tp.runs {
		if !seen[run.Primary] {
			seen[run.Primary] = true
			out = append(out, &Shard{Ranges: run.Primary.Ranges, Node: run.Primary})
		}
	}
	for _, n := range tp.nodes {
		if !seen[n] {
			out = append(out, &Shard{Node: n})
		}
	}
	return out
}

// WriteShards writes CLUSTER SHARDS (see the package comment).
// replication-offset is known for this node only: offset(slots) sums this
// node's replication offsets of its slots; other nodes show 0.
func (tp *Topology) WriteShards(r *resp.Reply, offset func(slots []uint16) uint64) {
	shards := tp.Shards()
	r.Array(len(shards))
	for _, sh := range shards {
		r.Map(2)
		r.BulkString("slots")
		r.Array(2 * len(sh.Ranges))
		for _, sr := range sh.Ranges {
			r.Int(int64(sr.Start))
			r.Int(int64(sr.End))
		}
		r.BulkString("nodes")
		r.Array(1)
		n := sh.Node
		r.Map(7)
		r.BulkString("id")
		r.BulkString(string(n.ID))
		r.BulkString("port")
		r.Int(int64(n.Port))
		r.BulkString("ip")
		r.BulkString(n.Host)
		r.BulkString("endpoint")
		r.BulkString(n.Host)
		r.BulkString("role")
		r.BulkString("master")
		r.BulkString("replication-offset")
		var off uint64
		if n.Self {
			off = offset(sh.Slots())
		}
		r.Int(int64(off))
		r.BulkString("health")
		if n.Alive {
			r.BulkString("online")
		} else {
			r.BulkString("fail")
		}
	}
}
