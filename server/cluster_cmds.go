package server

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/cluster/solo"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/topology"
	"github.com/meshcache/meshcache/store"
)

// The CLUSTER command surface and READONLY/READWRITE/ASKING, with Redis 7's
// reply formats, so that cluster-aware clients (go-redis ClusterClient,
// redis-py RedisCluster, redis-cli -c) and redis-cli --cluster check/info
// work unchanged. How meshcache's routing table (a node leads some slots
// and replicates slots others lead) maps onto Redis's masters and replicas
// is server/topology's (every node a master of the slots it leads, the
// per-slot replicas not shown): the handlers here gather its inputs (table,
// members, this node's ID and health, the address the client reached, the
// clock, this node's replication offsets) and write what it renders.
//
// A READONLY connection reads a slot on a replica only once the replica
// holds the slot in sync; before that it reads through the primary
// (replication.go), so listing a replica early never serves a partial
// copy. Slots are placed automatically, so the commands that assign them
// by hand are refused with an explanation.
//
// Keyless commands (DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB, INFO
// keyspace) act on the slots this node leads, as on a Redis Cluster
// master: summed over the masters a cluster client sees, every key counts
// once, and FLUSHALL sent to every master empties the cluster (the
// flushes replicate).

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
				commands.Tipped(sub("getkeysinslot", 4, st, "3.0.0", "Returns the key names in a hash slot.", clusterGetKeysInSlot,
					"GETKEYSINSLOT <slot> <count>",
					"    Return key names stored by current node in a slot."), nondet),
				commands.Tipped(sub("info", 2, st, "3.0.0", "Returns information about the state of a node.", clusterInfo,
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
				commands.Tipped(sub("nodes", 2, st, "3.0.0", "Returns the cluster configuration for a node.", clusterNodes,
					"NODES",
					"    Return cluster configuration seen by node. Output format:",
					"    <id> <ip:port@cport> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ..."), nondet),
				commands.Tipped(sub("replicas", 3, FlagAdmin|st, "5.0.0", "Lists the replica nodes of a master node.", clusterReplicas,
					"REPLICAS <node-id>",
					"    Return <node-id> replicas."), nondet),
				commands.Tipped(sub("slaves", 3, FlagAdmin|st, "3.0.0", "Lists the replica nodes of a master node.", clusterReplicas), nondet),
				commands.Tipped(sub("slots", 2, st, "3.0.0", "Returns the mapping of cluster slots to nodes.", clusterSlots,
					"SLOTS",
					"    Return information about slots range mappings. Each range is made of:",
					"    start, end, master and replicas IP addresses, ports and ids"), nondet),
				commands.Tipped(sub("shards", 2, st, "7.0.0", "Returns the mapping of cluster slots to shards.", clusterShards,
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
				commands.Tipped(refused("bumpepoch", 2, adm, "3.0.0", "Advances the cluster config epoch."), nondet),
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

// topology builds the cluster as cluster clients see it (server/topology)
// from the routing table, the members and the address c reached.
func (s *Server) topology(c *Client) *topology.Topology {
	return topology.New(topology.Input{
		Table:     s.cluster.Table(),
		Members:   s.cluster.Members(),
		Self:      s.cluster.ID(),
		Healthy:   s.cluster.Healthy(),
		LocalAddr: c.laddr,
	})
}

func clusterInfo(c *Call) {
	in := c.Server.topology(c.Client).Info()
	st := &c.Server.cstats
	in.MessagesSent = st.forwardsSent.Load()
	in.MessagesReceived = st.forwardsReceived.Load()
	c.Reply.Verbatim("txt", in.String())
}

func clusterNodes(c *Call) {
	c.Reply.Verbatim("txt", c.Server.topology(c.Client).NodesText(time.Now()))
}

func clusterSlots(c *Call) { c.Server.topology(c.Client).WriteSlots(c.Reply) }

// clusterShards: replication-offset is known for this node only (the sum
// of its offsets of the shard's slots); other nodes show 0.
func clusterShards(c *Call) {
	s := c.Server
	s.topology(c.Client).WriteShards(c.Reply, func(slots []uint16) uint64 {
		var sum uint64
		for _, p := range s.cluster.Offsets(nil, slots...) {
			sum += p.Offset
		}
		return sum
	})
}

func clusterMyID(c *Call) { c.Reply.BulkString(string(c.Server.selfID())) }

// clusterMyShardID: each node is a shard of its own (topology.ShardID).
func clusterMyShardID(c *Call) { c.Reply.BulkString(topology.ShardID(c.Server.selfID())) }

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

// clusterReplicas: CLUSTER REPLICAS <node-id>. Every node is shown as a
// master without node replicas (server/topology), so the list is empty;
// an unknown ID is Redis's error.
func clusterReplicas(c *Call) {
	lines, err := c.Server.topology(c.Client).Replicas(ring.NodeID(c.Args[2]))
	if errors.Is(err, topology.ErrUnknownNode) {
		c.Reply.Error("ERR Unknown node " + sanitize(c.Args[2]))
		return
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
