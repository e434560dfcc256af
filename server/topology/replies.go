package topology

import (
	"strings"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
)

// WriteSlots writes CLUSTER SLOTS: per run of slots with one owner list,
// the primary and then the alive replicas (Redis leaves failed replicas
// out).
func (tp *Topology) WriteSlots(r *resp.Reply) {
	r.Array(len(tp.runs))
	for _, run := range tp.runs {
		reps := run.aliveReplicas()
		r.Array(3 + len(reps))
		r.Int(int64(run.Start))
		r.Int(int64(run.End))
		nodeEntry(r, run.Primary)
		for _, n := range reps {
			nodeEntry(r, n)
		}
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

func (r *Run) aliveReplicas() []*Node {
	out := make([]*Node, 0, len(r.Replicas))
	for _, n := range r.Replicas {
		if n.Alive {
			out = append(out, n)
		}
	}
	return out
}

// Shard is one entry of CLUSTER SHARDS: slots with one owner list.
type Shard struct {
	Ranges []ring.SlotRange
	Nodes  []*Node // primary first
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

// Shards groups the runs by owner list, in slot order, and adds a shard
// with no slots for every node that owns none.
func (tp *Topology) Shards() []*Shard {
	var out []*Shard
	byKey := make(map[string]*Shard)
	named := make(map[*Node]bool)
	for _, run := range tp.runs {
		nodes := append([]*Node{run.Primary}, run.Replicas...)
		var key strings.Builder
		for _, n := range nodes {
			key.WriteString(string(n.ID))
			named[n] = true
		}
		sh := byKey[key.String()]
		if sh == nil {
			sh = &Shard{Nodes: nodes}
			byKey[key.String()] = sh
			out = append(out, sh)
		}
		if k := len(sh.Ranges); k > 0 && int(sh.Ranges[k-1].End)+1 == int(run.Start) {
			sh.Ranges[k-1].End = run.End
		} else {
			sh.Ranges = append(sh.Ranges, run.SlotRange)
		}
	}
	for _, n := range tp.nodes {
		if !named[n] {
			out = append(out, &Shard{Nodes: []*Node{n}})
		}
	}
	return out
}

// WriteShards writes CLUSTER SHARDS (see the package comment).
// replication-offset is known for this node only: offset(slots) sums this
// node's replication offsets of a shard's slots; other nodes show 0.
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
		r.Array(len(sh.Nodes))
		for i, n := range sh.Nodes {
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
			if i == 0 {
				r.BulkString("master")
			} else {
				r.BulkString("replica")
			}
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
}
