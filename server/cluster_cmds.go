package server

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// The CLUSTER command surface and READONLY/READWRITE/ASKING, with Redis 7's
// reply formats, so that cluster-aware clients (go-redis ClusterClient,
// redis-py RedisCluster, redis-cli -c) and redis-cli --cluster check/info
// work unchanged. meshcache maps its routing table onto Redis's model. In
// meshcache a node leads some slots and replicates slots that others lead
// (each slot's replicas are spread over all other nodes), where a Redis
// node is either a master or a replica of one master. So:
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
//
// A READONLY connection reads a slot on a replica only once the replica
// holds the slot in sync; before that it reads through the primary
// (replication.go), so listing a replica early never serves a partial
// copy. Slots are placed automatically, so the commands that assign them
// by hand are refused with an explanation.
//
// Keyless commands (DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB, INFO
// keyspace) act on this node's own data only, as in Redis Cluster.

// clusterCommands is the cluster surface, in one file; registered in
// commandGroups (command.go).
func clusterCommands() []*Command {
	const g = "cluster"
	sub := func(name string, arity int, flags Flags, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "cluster|" + name, Arity: arity, Flags: flags, Group: g, Since: since, Summary: summary,
			Handler: fe(h), Help: help}
	}
	const st = FlagStale
	const adm = FlagAdmin | st | FlagNoAsyncLoading
	nondet := commands.TipNondeterministic
	refused := func(name string, arity int, flags Flags, since, summary string) *Command {
		return sub(name, arity, flags, since, summary, clusterRefused,
			strings.ToUpper(name), "    Refused: slot placement is automatic in meshcache.")
	}
	return []*Command{
		{Name: "cluster", Arity: -2, Group: g, Since: "3.0.0", Summary: "A container for Redis Cluster commands.",
			Subcommands: []*Command{
				sub("countkeysinslot", 3, st, "3.0.0", "Returns the number of keys in a hash slot.", clusterCountKeysInSlot,
					"COUNTKEYSINSLOT <slot>",
					"    Return the number of keys in <slot> on this node."),
				sub("forget", 3, adm, "3.0.0", "Removes a node from the nodes table.", clusterForget,
					"FORGET <node-id>",
					"    Remove a failed node from the cluster."),
				tipped(sub("getkeysinslot", 4, st, "3.0.0", "Returns the key names in a hash slot.", clusterGetKeysInSlot,
					"GETKEYSINSLOT <slot> <count>",
					"    Return key names stored by current node in a slot."), nondet),
				tipped(sub("info", 2, st, "3.0.0", "Returns information about the state of a node.", clusterInfo,
					"INFO",
					"    Return information about the cluster."), nondet),
				sub("keyslot", 3, st, "3.0.0", "Returns the hash slot for a key.", clusterKeySlot,
					"KEYSLOT <key>",
					"    Return the hash slot for <key>."),
				sub("meet", -4, adm, "3.0.0", "Forces a node to handshake with another node.", clusterMeet,
					"MEET <ip> <port> [<bus-port>]",
					"    Join the cluster of the node at <ip>:<port>."),
				sub("myid", 2, st, "3.0.0", "Returns the ID of a node.", clusterMyID,
					"MYID",
					"    Return the node id."),
				sub("myshardid", 2, FlagLoading|st, "7.2.0", "Returns the shard ID of a node.", clusterMyShardID,
					"MYSHARDID",
					"    Return the node's shard id."),
				tipped(sub("nodes", 2, st, "3.0.0", "Returns the cluster configuration for a node.", clusterNodes,
					"NODES",
					"    Return cluster configuration seen by node. Output format:",
					"    <id> <ip:port@cport> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ..."), nondet),
				tipped(sub("replicas", 3, FlagAdmin|st, "5.0.0", "Lists the replica nodes of a master node.", clusterReplicas,
					"REPLICAS <node-id>",
					"    Return <node-id> replicas."), nondet),
				tipped(sub("slaves", 3, FlagAdmin|st, "3.0.0", "Lists the replica nodes of a master node.", clusterReplicas), nondet),
				tipped(sub("slots", 2, st, "3.0.0", "Returns the mapping of cluster slots to nodes.", clusterSlots,
					"SLOTS",
					"    Return information about slots range mappings. Each range is made of:",
					"    start, end, master and replicas IP addresses, ports and ids"), nondet),
				tipped(sub("shards", 2, st, "7.0.0", "Returns the mapping of cluster slots to shards.", clusterShards,
					"SHARDS",
					"    Return information about slot range mappings and the nodes associated with them."), nondet),
				refused("addslots", -3, adm, "3.0.0", "Assigns new hash slots to a node."),
				refused("addslotsrange", -4, adm, "7.0.0", "Assigns new hash slot ranges to a node."),
				refused("delslots", -3, adm, "3.0.0", "Sets hash slots as unbound for a node."),
				refused("delslotsrange", -4, adm, "7.0.0", "Sets hash slot ranges as unbound for a node."),
				refused("setslot", -4, adm, "3.0.0", "Binds a hash slot to a node."),
				refused("flushslots", 2, adm, "3.0.0", "Deletes all slots information from a node."),
				refused("reset", -2, FlagAdmin|FlagNoScript|st, "3.0.0", "Resets a node."),
				refused("replicate", 3, adm, "3.0.0", "Configure a node as replica of a master node."),
				tipped(refused("bumpepoch", 2, adm, "3.0.0", "Advances the cluster config epoch."), nondet),
				refused("set-config-epoch", 3, adm, "3.0.0", "Sets the configuration epoch for a new node."),
				sub("failover", -2, adm, "3.0.0", "Forces a replica to perform a manual failover of its master.", clusterFailover,
					"FAILOVER [FORCE|TAKEOVER]",
					"    Make this node the primary of the slots it replicates, handing each one",
					"    over without loss; the old primaries stay as replicas. FORCE and",
					"    TAKEOVER take the same safe way (a dead primary fails over on its own)."),
				sub("leave", 2, adm, "3.0.0", "Drains this node (hands off its slots), leaves the cluster and shuts the node down.", clusterLeave,
					"LEAVE",
					"    Hand this node's slots to other nodes, leave the cluster and shut down."),
				{Name: "cluster|help", Arity: 2, Flags: FlagLoading | st, Group: g, Since: "5.0.0",
					Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			}},
		{Name: "readonly", Arity: 1, Flags: FlagFast | FlagLoading | st, ACL: commands.ACLConnection, Group: g, Since: "3.0.0",
			Summary: "Enables read-only queries for a connection to a Redis Cluster replica node.",
			Handler: fe(func(c *Call) { c.Client.routeState().readonly = true; c.Reply.OK() })},
		{Name: "readwrite", Arity: 1, Flags: FlagFast | FlagLoading | st, ACL: commands.ACLConnection, Group: g, Since: "3.0.0",
			Summary: "Enables read-write queries for a connection to a Reids Cluster replica node.",
			Handler: fe(func(c *Call) {
				if c.Client.route != nil {
					c.Client.route.readonly = false
				}
				c.Reply.OK()
			})},
		// ASKING is accepted for clients that send it; meshcache never
		// answers -ASK (a slot that moves is forwarded, see route.go).
		{Name: "asking", Arity: 1, Flags: FlagFast, ACL: commands.ACLConnection, Group: g, Since: "3.0.0",
			Summary: "Signals that a cluster client is following an -ASK redirect.",
			Handler: fe(func(c *Call) { c.Reply.OK() })},
	}
}

// clusterRefused answers the commands that place slots by hand.
func clusterRefused(c *Call) {
	c.Reply.Error("ERR CLUSTER " + strings.ToUpper(string(c.Args[1])) +
		" is not supported: slot placement is automatic in meshcache (consistent hashing over the live members; see docs/DESIGN.md §3)")
}

// topoNode is one node as the CLUSTER commands show it.
type topoNode struct {
	id     ring.NodeID
	host   string // client IP or host
	port   int    // client port
	cport  int    // cluster port
	alive  bool
	self   bool
	ranges []ring.SlotRange // slots it leads
	nslots int
	// replicates counts, per primary, the slots this node replicates.
	replicates map[ring.NodeID]int
}

// topology is a snapshot of the cluster for the CLUSTER commands.
type topology struct {
	hasTable bool
	epoch    uint64
	healthy  bool
	nodes    []*topoNode // by ID
	byID     map[ring.NodeID]*topoNode
	// runs are the maximal runs of consecutive slots with one owner list.
	runs     []slotRun
	assigned int
	failed   int // slots whose primary is not alive
	// open lists this node's slots in the middle of a handoff, as Redis's
	// CLUSTER NODES shows them on the myself line: "[slot->-target]" on the
	// primary handing off, "[slot-<-source]" on the node taking over.
	open []string
}

// slotRun is a maximal run of consecutive slots with one owner list.
type slotRun struct {
	ring.SlotRange
	node     *topoNode   // primary
	replicas []*topoNode // in the table's order
}

// topology builds the snapshot: the routing table for slots, the members
// for liveness and addresses. A standalone server (cluster/solo) is a lone
// node that leads every slot, named by its run ID; see selfAddr for its
// addresses.
func (s *Server) topology(c *Client) *topology {
	tp := &topology{byID: make(map[ring.NodeID]*topoNode)}
	add := func(id ring.NodeID, clientAddr, clusterAddr string, alive, self bool) *topoNode {
		n := tp.byID[id]
		if n == nil {
			n = &topoNode{id: id}
			tp.byID[id] = n
			tp.nodes = append(tp.nodes, n)
		}
		n.alive = n.alive || alive
		n.self = n.self || self
		if host, port, err := net.SplitHostPort(clientAddr); err == nil && n.host == "" {
			n.host = host
			n.port, _ = strconv.Atoi(port)
		}
		if _, port, err := net.SplitHostPort(clusterAddr); err == nil && n.cport == 0 {
			n.cport, _ = strconv.Atoi(port)
		}
		return n
	}
	t := s.cluster.Table()
	for _, m := range s.cluster.Members() {
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
		add(m.ID, m.ClientAddr, m.ClusterAddr, m.Alive, m.Self)
	}
	tp.healthy = s.cluster.Healthy()
	if t != nil {
		tp.hasTable = true
		tp.epoch = t.Epoch
		for _, m := range t.Members() {
			add(m.ID, m.Addr, m.ClusterAddr, false, false)
		}
		node := func(id ring.NodeID) *topoNode {
			if n := tp.byID[id]; n != nil {
				return n
			}
			return add(id, "", "", false, false)
		}
		for _, or := range t.OwnedRanges() {
			p := node(or.Owners[0])
			run := slotRun{SlotRange: or.SlotRange, node: p}
			size := int(or.End) - int(or.Start) + 1
			for _, id := range or.Owners[1:] {
				r := node(id)
				run.replicas = append(run.replicas, r)
				if r.replicates == nil {
					r.replicates = make(map[ring.NodeID]int)
				}
				r.replicates[p.id] += size
			}
			tp.runs = append(tp.runs, run)
			tp.assigned += size
			if !p.alive {
				tp.failed += size
			}
			p.nslots += size
			if k := len(p.ranges); k > 0 && int(p.ranges[k-1].End)+1 == int(or.Start) {
				p.ranges[k-1].End = or.End
			} else {
				p.ranges = append(p.ranges, or.SlotRange)
			}
		}
	}
	sort.Slice(tp.nodes, func(i, j int) bool { return tp.nodes[i].id < tp.nodes[j].id })
	if t != nil {
		tp.open = openSlots(t, s.cluster.ID())
	}
	for _, n := range tp.nodes {
		if n.self {
			selfAddr(n, c.laddr)
		}
	}
	return tp
}

// selfAddr completes this node's addresses where its membership has none
// (cluster/solo): a wildcard or empty host becomes the one the client
// reached (laddr), a missing cluster port the client port plus
// ClusterPortOffset, as Redis's bus port.
func selfAddr(n *topoNode, laddr string) {
	if ip := net.ParseIP(n.host); n.host == "" || (ip != nil && ip.IsUnspecified()) {
		if host, _, err := net.SplitHostPort(laddr); err == nil {
			n.host = host
		}
	}
	if n.cport == 0 && n.port != 0 {
		n.cport = n.port + cluster.ClusterPortOffset
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

func (tp *topology) self() *topoNode {
	for _, n := range tp.nodes {
		if n.self {
			return n
		}
	}
	return &topoNode{}
}

// configEpoch is a node's config epoch: the table's epoch for nodes that
// lead slots (meshcache has one epoch per table, not per node).
func (tp *topology) configEpoch(n *topoNode) uint64 {
	if n.nslots > 0 {
		return tp.epoch
	}
	return 0
}

func (tp *topology) ok() bool {
	return tp.hasTable && tp.healthy && tp.assigned == ring.SlotCount && tp.failed == 0
}

func clusterInfo(c *Call) {
	tp := c.Server.topology(c.Client)
	state := "fail"
	if tp.ok() {
		state = "ok"
	}
	size := 0
	for _, n := range tp.nodes {
		if n.nslots > 0 {
			size++
		}
	}
	st := &c.Server.cstats
	var b strings.Builder
	field(&b, "cluster_state", state)
	field(&b, "cluster_slots_assigned", tp.assigned)
	field(&b, "cluster_slots_ok", tp.assigned-tp.failed)
	field(&b, "cluster_slots_pfail", 0)
	field(&b, "cluster_slots_fail", tp.failed)
	field(&b, "cluster_known_nodes", len(tp.nodes))
	field(&b, "cluster_size", size)
	field(&b, "cluster_current_epoch", tp.epoch)
	field(&b, "cluster_my_epoch", tp.configEpoch(tp.self()))
	// meshcache's internode messages for clients are forwarded-command
	// calls: sent (batches count once) and received.
	field(&b, "cluster_stats_messages_sent", st.forwardsSent.Load())
	field(&b, "cluster_stats_messages_received", st.forwardsReceived.Load())
	field(&b, "total_cluster_links_buffer_limit_exceeded", 0)
	c.Reply.Verbatim("txt", b.String())
}

func clusterNodes(c *Call) {
	tp := c.Server.topology(c.Client)
	now := time.Now().UnixMilli()
	var b strings.Builder
	for _, n := range tp.nodes {
		if master := n.mainPrimary(); n.nslots == 0 && master != "" {
			nodeLine(&b, tp, n, master, now)
			continue
		}
		nodeLine(&b, tp, n, "", now)
	}
	c.Reply.Verbatim("txt", b.String())
}

// mainPrimary is the node whose slots n replicates most ("" if none).
func (n *topoNode) mainPrimary() ring.NodeID {
	var best ring.NodeID
	for id, k := range n.replicates {
		if best == "" || k > n.replicates[best] || (k == n.replicates[best] && id < best) {
			best = id
		}
	}
	return best
}

// nodeLine writes n as one line of CLUSTER NODES: a master with the slots
// it leads, or (master != "") a slave of master, with no slots.
func nodeLine(b *strings.Builder, tp *topology, n *topoNode, master ring.NodeID, now int64) {
	b.WriteString(string(n.id))
	b.WriteByte(' ')
	b.WriteString(net.JoinHostPort(n.host, strconv.Itoa(n.port)))
	b.WriteByte('@')
	b.WriteString(strconv.Itoa(n.cport))
	b.WriteByte(' ')
	if n.self {
		b.WriteString("myself,")
	}
	if master != "" {
		b.WriteString("slave")
	} else {
		b.WriteString("master")
	}
	if !n.alive {
		b.WriteString(",fail")
	}
	pong := int64(0)
	if n.alive && !n.self {
		pong = now
	}
	link := "connected"
	if !n.alive {
		link = "disconnected"
	}
	b.WriteByte(' ')
	if master != "" {
		b.WriteString(string(master))
	} else {
		b.WriteByte('-')
	}
	b.WriteString(" 0 ")
	b.WriteString(strconv.FormatInt(pong, 10))
	b.WriteByte(' ')
	epoch := tp.configEpoch(n)
	if master != "" {
		epoch = tp.epoch // a slave shows its master's config epoch
	}
	b.WriteString(strconv.FormatUint(epoch, 10))
	b.WriteByte(' ')
	b.WriteString(link)
	if master == "" {
		for _, r := range n.ranges {
			b.WriteByte(' ')
			b.WriteString(r.String())
		}
	}
	if n.self {
		for _, o := range tp.open {
			b.WriteByte(' ')
			b.WriteString(o)
		}
	}
	b.WriteByte('\n')
}

// nodeEntry writes a node as CLUSTER SLOTS lists it: ip, port, id and a
// map of further endpoints (empty).
func nodeEntry(r *resp.Reply, n *topoNode) {
	r.Array(4)
	r.BulkString(n.host)
	r.Int(int64(n.port))
	r.BulkString(string(n.id))
	r.Map(0)
}

// clusterSlots: per run of slots with one owner list, the primary and then
// the alive replicas (Redis leaves failed replicas out).
func clusterSlots(c *Call) {
	tp := c.Server.topology(c.Client)
	c.Reply.Array(len(tp.runs))
	for _, run := range tp.runs {
		reps := run.aliveReplicas()
		c.Reply.Array(3 + len(reps))
		c.Reply.Int(int64(run.Start))
		c.Reply.Int(int64(run.End))
		nodeEntry(c.Reply, run.node)
		for _, r := range reps {
			nodeEntry(c.Reply, r)
		}
	}
}

func (r *slotRun) aliveReplicas() []*topoNode {
	out := make([]*topoNode, 0, len(r.replicas))
	for _, n := range r.replicas {
		if n.alive {
			out = append(out, n)
		}
	}
	return out
}

// shard is one entry of CLUSTER SHARDS: slots with one owner list.
type shard struct {
	ranges []ring.SlotRange
	nodes  []*topoNode // primary first
}

// shards groups the runs by owner list, in slot order, and adds a shard
// with no slots for every node that owns none.
func (tp *topology) shards() []*shard {
	var out []*shard
	byKey := make(map[string]*shard)
	named := make(map[*topoNode]bool)
	for _, run := range tp.runs {
		nodes := append([]*topoNode{run.node}, run.replicas...)
		var key strings.Builder
		for _, n := range nodes {
			key.WriteString(string(n.id))
			named[n] = true
		}
		sh := byKey[key.String()]
		if sh == nil {
			sh = &shard{nodes: nodes}
			byKey[key.String()] = sh
			out = append(out, sh)
		}
		if k := len(sh.ranges); k > 0 && int(sh.ranges[k-1].End)+1 == int(run.Start) {
			sh.ranges[k-1].End = run.End
		} else {
			sh.ranges = append(sh.ranges, run.SlotRange)
		}
	}
	for _, n := range tp.nodes {
		if !named[n] {
			out = append(out, &shard{nodes: []*topoNode{n}})
		}
	}
	return out
}

// clusterShards: see the file comment. replication-offset is known for
// this node only (the sum of its offsets of the shard's slots); other
// nodes show 0.
func clusterShards(c *Call) {
	s := c.Server
	tp := s.topology(c.Client)
	r := c.Reply
	shards := tp.shards()
	r.Array(len(shards))
	for _, sh := range shards {
		r.Map(2)
		r.BulkString("slots")
		r.Array(2 * len(sh.ranges))
		for _, sr := range sh.ranges {
			r.Int(int64(sr.Start))
			r.Int(int64(sr.End))
		}
		r.BulkString("nodes")
		r.Array(len(sh.nodes))
		for i, n := range sh.nodes {
			r.Map(7)
			r.BulkString("id")
			r.BulkString(string(n.id))
			r.BulkString("port")
			r.Int(int64(n.port))
			r.BulkString("ip")
			r.BulkString(n.host)
			r.BulkString("endpoint")
			r.BulkString(n.host)
			r.BulkString("role")
			if i == 0 {
				r.BulkString("master")
			} else {
				r.BulkString("replica")
			}
			r.BulkString("replication-offset")
			var off uint64
			if n.self {
				off = s.shardOffset(sh)
			}
			r.Int(int64(off))
			r.BulkString("health")
			if n.alive {
				r.BulkString("online")
			} else {
				r.BulkString("fail")
			}
		}
	}
}

// shardOffset sums this node's replication offsets of a shard's slots.
func (s *Server) shardOffset(sh *shard) uint64 {
	var slots []uint16
	for _, sr := range sh.ranges {
		for sl := int(sr.Start); sl <= int(sr.End); sl++ {
			slots = append(slots, uint16(sl))
		}
	}
	var sum uint64
	for _, p := range s.cluster.Offsets(nil, slots...) {
		sum += p.Offset
	}
	return sum
}

func clusterMyID(c *Call) { c.Reply.BulkString(string(c.Server.selfID())) }

// clusterMyShardID: each node is a shard of its own (its replicas join it
// with replication); the shard ID is derived from the node ID.
func clusterMyShardID(c *Call) { c.Reply.BulkString(shardID(c.Server.selfID())) }

func shardID(id ring.NodeID) string {
	sum := sha1.Sum([]byte("shard:" + string(id)))
	return hex.EncodeToString(sum[:])
}

// selfID is this node's ID (the run ID of a standalone server).
func (s *Server) selfID() ring.NodeID { return s.cluster.ID() }

func clusterKeySlot(c *Call) { c.Reply.Int(int64(ring.KeySlot(c.Args[2]))) }

func clusterCountKeysInSlot(c *Call) {
	slot, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if slot < 0 || slot >= ring.SlotCount {
		c.Reply.Error("ERR Invalid slot")
		return
	}
	c.Reply.Int(int64(c.Store.CountKeysInSlot(uint16(slot))))
}

func clusterGetKeysInSlot(c *Call) {
	slot, ok1 := resp.ParseInt64(c.Args[2])
	count, ok2 := resp.ParseInt64(c.Args[3])
	if !ok1 || !ok2 {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if slot < 0 || slot >= ring.SlotCount || count < 0 {
		c.Reply.Error("ERR Invalid slot or number of keys")
		return
	}
	var keys [][]byte
	if count > 0 {
		c.Store.ScanSlot(uint16(slot), func(key []byte, _ store.Type) bool {
			keys = append(keys, append([]byte(nil), key...))
			return int64(len(keys)) < count
		})
	}
	c.Reply.Array(len(keys))
	for _, k := range keys {
		c.Reply.Bulk(k)
	}
}

func clusterMeet(c *Call) {
	if len(c.Args) > 5 {
		c.Reply.Error(resp.ErrWrongArgs("cluster|meet"))
		return
	}
	port, ok := resp.ParseInt64(c.Args[3])
	if !ok || port < 0 || port > 65535 {
		c.Reply.Error("ERR Invalid TCP base port specified: " + sanitize(c.Args[3]))
		return
	}
	cport := int64(0)
	if len(c.Args) == 5 {
		if cport, ok = resp.ParseInt64(c.Args[4]); !ok || cport < 0 || cport > 65535 {
			c.Reply.Error("ERR Invalid TCP bus port specified: " + sanitize(c.Args[4]))
			return
		}
	}
	addr := net.JoinHostPort(string(c.Args[2]), strconv.FormatInt(port, 10))
	if net.ParseIP(string(c.Args[2])) == nil {
		c.Reply.Error("ERR Invalid node address specified: " + sanitize([]byte(addr)))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), forwardTimeout)
	defer cancel()
	if err := c.Server.cluster.Meet(ctx, addr, int(cport)); errors.Is(err, solo.ErrNoClusterPort) {
		c.Reply.Error(errNoClusterPort)
		return
	} else if err != nil {
		// The address stays in the re-join set, so a node that comes up
		// later is still met; say so, on one line (memberlist's errors
		// carry tabs and newlines).
		msg := strings.Join(strings.Fields(err.Error()), " ")
		c.Reply.Error("ERR " + sanitize([]byte(msg)) + " (meshcache keeps trying in the background)")
		return
	}
	c.Reply.OK()
}

func clusterForget(c *Call) {
	id := ring.NodeID(c.Args[2])
	if id == c.Server.selfID() {
		c.Reply.Error("ERR I tried hard but I can't forget myself...")
		return
	}
	switch err := c.Server.cluster.Forget(id); {
	case err == nil:
		c.Reply.OK()
	case errors.Is(err, cluster.ErrUnknownNode):
		c.Reply.Error("ERR Unknown node " + sanitize(c.Args[2]))
	case errors.Is(err, cluster.ErrForgetAlive):
		c.Reply.Error("ERR Can't forget an alive node: meshcache forgets only failed nodes (an alive one would come back by gossip)")
	default:
		c.Reply.Error("ERR " + sanitize([]byte(err.Error())))
	}
}

// clusterReplicas: CLUSTER REPLICAS <node-id> lists, in CLUSTER NODES
// format, the alive nodes that hold replicas of the slots <node-id> leads,
// each as a slave of <node-id>. Like Redis, a node that leads no slot is
// not a master.
func clusterReplicas(c *Call) {
	tp := c.Server.topology(c.Client)
	id := ring.NodeID(c.Args[2])
	m := tp.byID[id]
	if m == nil {
		c.Reply.Error("ERR Unknown node " + sanitize(c.Args[2]))
		return
	}
	if m.nslots == 0 {
		c.Reply.Error("ERR The specified node is not a master")
		return
	}
	now := time.Now().UnixMilli()
	var lines []string
	for _, n := range tp.nodes {
		if n.replicates[id] > 0 && n.alive {
			var b strings.Builder
			nodeLine(&b, tp, n, id, now)
			lines = append(lines, strings.TrimSuffix(b.String(), "\n"))
		}
	}
	c.Reply.Array(len(lines))
	for _, l := range lines {
		c.Reply.BulkString(l)
	}
}

// clusterFailover: CLUSTER FAILOVER [FORCE|TAKEOVER]. As a Redis replica
// takes over its master's slots, this node becomes the primary of every
// slot it replicates: the coordinator records the preference in the routing
// table and hands each slot over without loss (fence, last offset, switch);
// the old primaries stay as replicas. +OK means the preference is recorded;
// the switch follows within seconds and shows in CLUSTER NODES. A dead
// primary needs no command: its slots fail over on their own, so FORCE and
// TAKEOVER, which in Redis skip the old master's or the cluster's
// agreement, go the same safe way here.
func clusterFailover(c *Call) {
	if len(c.Args) > 3 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if len(c.Args) == 3 {
		switch strings.ToLower(string(c.Args[2])) {
		case "force", "takeover":
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	_, err := c.Server.cluster.Failover(context.Background())
	switch {
	case errors.Is(err, solo.ErrNoClusterPort):
		c.Reply.Error(errNoClusterPort)
	case errors.Is(err, cluster.ErrNotReplica):
		c.Reply.Error("ERR You should send CLUSTER FAILOVER to a replica")
	case err != nil:
		c.Reply.Error("ERR CLUSTER FAILOVER failed: " + err.Error())
	default:
		c.Reply.OK()
	}
}

// clusterLeave: CLUSTER LEAVE (meshcache's own). The node answers +OK, then
// in the background drains (hands every slot it leads to another node, at
// most DrainTimeout), leaves the cluster and shuts down as SHUTDOWN does: a
// node out of the cluster has nothing left to serve. Progress shows in
// CLUSTER NODES and INFO replication (draining:1).
func clusterLeave(c *Call) {
	s := c.Server
	if s.standalone {
		c.Reply.Error(errNoClusterPort) // nobody to hand the slots to: SHUTDOWN stops it
		return
	}
	if s.Draining() {
		c.Reply.Error("ERR This node is already leaving the cluster")
		return
	}
	s.log.Warn("cluster leave requested by client", "client", c.Client.ID, "addr", c.Client.addr)
	s.connWG.Add(1) // Serve waits for the drain, which DrainTimeout bounds
	go func() {
		defer s.connWG.Done()
		s.leaveAndStop(false)
	}()
	c.Reply.OK()
}
