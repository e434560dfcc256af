package topology

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
	"github.com/meshcache/meshcache/store"
)

// The CLUSTER command, with Redis 7's reply formats, so that cluster-aware
// clients (go-redis ClusterClient, redis-py RedisCluster, redis-cli -c)
// and redis-cli --cluster check/info work unchanged: the handlers gather
// the inputs of New (table, members, this node's ID and health, the
// address the client reached) from the Node and the front end's Conn, and
// write what the topology renders. Slots are placed automatically, so the
// subcommands that assign them by hand are refused with an explanation.

// Membership is the node's membership as the CLUSTER commands ask it: package
// server's Cluster implements it, and so does its one-node form
// (cluster/solo).
type Membership interface {
	ID() ring.NodeID
	Table() *ring.Table
	Members() []cluster.NodeInfo
	Healthy() bool
	// Offsets appends each slot's current replication offset to dst.
	Offsets(dst []cluster.SlotOffset, slots ...uint16) []cluster.SlotOffset
	Meet(ctx context.Context, clientAddr string, clusterPort int) error
	Forget(id ring.NodeID) error
	Failover(ctx context.Context) (int, error)
}

// Conn is the front end's state of a call (commands.Call.Conn), which the
// CLUSTER handlers ask for the node and the client's side of the call.
type Conn interface {
	ClusterCall() CallInfo
}

// CallInfo is what a CLUSTER call needs of the front end.
type CallInfo struct {
	Node      Membership
	LocalAddr string // the address the client reached (CLUSTER NODES' myself)
	// ForwardsSent, ForwardsReceived count forwarded-command calls
	// (CLUSTER INFO's messages).
	ForwardsSent, ForwardsReceived int64
}

func callInfo(c *commands.Call) CallInfo { return c.Conn.(Conn).ClusterCall() }

// ErrNoClusterPort answers what only a node with a cluster port can do
// (CLUSTER MEET, FAILOVER, LEAVE) on a standalone node.
const ErrNoClusterPort = "ERR This node runs without a cluster port"

// meetTimeout bounds CLUSTER MEET's first contact, as a forwarded call.
const meetTimeout = 5 * time.Second

// ClusterCommand is CLUSTER and its subcommands; leave is CLUSTER LEAVE's
// handler (the front end's: the node drains, leaves and stops).
func ClusterCommand(leave func(*commands.Call)) *commands.Command {
	const g = "cluster"
	sub := func(name string, arity int, flags commands.Flags, since, summary string, h func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "cluster|" + name, Arity: arity, Flags: flags, Group: g, Since: since, Summary: summary,
			Handler: h, Help: help}
	}
	const st = commands.FlagStale
	const adm = commands.FlagAdmin | st | commands.FlagNoAsyncLoading
	nondet := commands.TipNondeterministic
	refused := func(name string, arity int, flags commands.Flags, since, summary string) *commands.Command {
		return sub(name, arity, flags, since, summary, clusterRefused,
			strings.ToUpper(name), "    Refused: slot placement is automatic in meshcache.")
	}
	return &commands.Command{Name: "cluster", Arity: -2, Group: g, Since: "3.0.0", Summary: "A container for Redis Cluster commands.",
		Subcommands: []*commands.Command{
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
			sub("myshardid", 2, commands.FlagLoading|st, "7.2.0", "Returns the shard ID of a node.", clusterMyShardID,
				"MYSHARDID",
				"    Return the node's shard id."),
			commands.Tipped(sub("nodes", 2, st, "3.0.0", "Returns the cluster configuration for a node.", clusterNodes,
				"NODES",
				"    Return cluster configuration seen by node. Output format:",
				"    <id> <ip:port@cport> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ..."), nondet),
			commands.Tipped(sub("replicas", 3, commands.FlagAdmin|st, "5.0.0", "Lists the replica nodes of a master node.", clusterReplicas,
				"REPLICAS <node-id>",
				"    Return <node-id> replicas."), nondet),
			commands.Tipped(sub("slaves", 3, commands.FlagAdmin|st, "3.0.0", "Lists the replica nodes of a master node.", clusterReplicas), nondet),
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
			refused("reset", -2, commands.FlagAdmin|commands.FlagNoScript|st, "3.0.0", "Resets a node."),
			refused("replicate", 3, adm, "3.0.0", "Configure a node as replica of a master node."),
			commands.Tipped(refused("bumpepoch", 2, adm, "3.0.0", "Advances the cluster config epoch."), nondet),
			refused("set-config-epoch", 3, adm, "3.0.0", "Sets the configuration epoch for a new node."),
			sub("failover", -2, adm, "3.0.0", "Forces a replica to perform a manual failover of its master.", clusterFailover,
				"FAILOVER [FORCE|TAKEOVER]",
				"    Make this node the primary of the slots it replicates, handing each one",
				"    over without loss; the old primaries stay as replicas. FORCE and",
				"    TAKEOVER take the same safe way (a dead primary fails over on its own)."),
			sub("leave", 2, adm, "3.0.0", "Drains this node (hands off its slots), leaves the cluster and shuts the node down.", leave,
				"LEAVE",
				"    Hand this node's slots to other nodes, leave the cluster and shut down."),
			{Name: "cluster|help", Arity: 2, Flags: commands.FlagLoading | st, Group: g, Since: "5.0.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// clusterRefused answers the commands that place slots by hand.
func clusterRefused(c *commands.Call) {
	c.Reply.Error("ERR CLUSTER " + strings.ToUpper(string(c.Args[1])) +
		" is not supported: slot placement is automatic in meshcache (consistent hashing over the live members; see docs/DESIGN.md §3)")
}

// of builds the cluster as cluster clients see it from the node's routing
// table, its members and the address the client reached.
func of(cc CallInfo) *Topology {
	n := cc.Node
	return New(Input{Table: n.Table(), Members: n.Members(), Self: n.ID(), Healthy: n.Healthy(), LocalAddr: cc.LocalAddr})
}

func clusterInfo(c *commands.Call) {
	cc := callInfo(c)
	in := of(cc).Info()
	in.MessagesSent, in.MessagesReceived = cc.ForwardsSent, cc.ForwardsReceived
	c.Reply.Verbatim("txt", in.String())
}

func clusterNodes(c *commands.Call) {
	c.Reply.Verbatim("txt", of(callInfo(c)).NodesText(time.Now()))
}

func clusterSlots(c *commands.Call) { of(callInfo(c)).WriteSlots(c.Reply) }

// clusterShards: replication-offset is known for this node only (the sum
// of its offsets of the shard's slots); other nodes show 0.
func clusterShards(c *commands.Call) {
	cc := callInfo(c)
	of(cc).WriteShards(c.Reply, func(slots []uint16) uint64 {
		var sum uint64
		for _, p := range cc.Node.Offsets(nil, slots...) {
			sum += p.Offset
		}
		return sum
	})
}

func clusterMyID(c *commands.Call) { c.Reply.BulkString(string(callInfo(c).Node.ID())) }

// clusterMyShardID: each node is a shard of its own (topology.ShardID).
func clusterMyShardID(c *commands.Call) { c.Reply.BulkString(ShardID(callInfo(c).Node.ID())) }

func clusterKeySlot(c *commands.Call) { c.Reply.Int(int64(ring.KeySlot(c.Args[2]))) }

func clusterCountKeysInSlot(c *commands.Call) {
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

func clusterGetKeysInSlot(c *commands.Call) {
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

func clusterMeet(c *commands.Call) {
	if len(c.Args) > 5 {
		c.Reply.Error(resp.ErrWrongArgs("cluster|meet"))
		return
	}
	port, ok := resp.ParseInt64(c.Args[3])
	if !ok || port < 0 || port > 65535 {
		c.Reply.Error("ERR Invalid TCP base port specified: " + resp.OneLine(c.Args[3]))
		return
	}
	cport := int64(0)
	if len(c.Args) == 5 {
		if cport, ok = resp.ParseInt64(c.Args[4]); !ok || cport < 0 || cport > 65535 {
			c.Reply.Error("ERR Invalid TCP bus port specified: " + resp.OneLine(c.Args[4]))
			return
		}
	}
	addr := net.JoinHostPort(string(c.Args[2]), strconv.FormatInt(port, 10))
	if net.ParseIP(string(c.Args[2])) == nil {
		c.Reply.Error("ERR Invalid node address specified: " + resp.OneLine([]byte(addr)))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), meetTimeout)
	defer cancel()
	if err := callInfo(c).Node.Meet(ctx, addr, int(cport)); errors.Is(err, solo.ErrNoClusterPort) {
		c.Reply.Error(ErrNoClusterPort)
		return
	} else if err != nil {
		// The address stays in the re-join set, so a node that comes up
		// later is still met; say so, on one line (memberlist's errors
		// carry tabs and newlines).
		msg := strings.Join(strings.Fields(err.Error()), " ")
		c.Reply.Error("ERR " + resp.OneLine([]byte(msg)) + " (meshcache keeps trying in the background)")
		return
	}
	c.Reply.OK()
}

func clusterForget(c *commands.Call) {
	id, n := ring.NodeID(c.Args[2]), callInfo(c).Node
	if id == n.ID() {
		c.Reply.Error("ERR I tried hard but I can't forget myself...")
		return
	}
	switch err := n.Forget(id); {
	case err == nil:
		c.Reply.OK()
	case errors.Is(err, cluster.ErrUnknownNode):
		c.Reply.Error("ERR Unknown node " + resp.OneLine(c.Args[2]))
	case errors.Is(err, cluster.ErrForgetAlive):
		c.Reply.Error("ERR Can't forget an alive node: meshcache forgets only failed nodes (an alive one would come back by gossip)")
	default:
		c.Reply.Error("ERR " + resp.OneLine([]byte(err.Error())))
	}
}

// clusterReplicas: CLUSTER REPLICAS <node-id>. Every node is shown as a
// master without node replicas (server/topology), so the list is empty;
// an unknown ID is Redis's error.
func clusterReplicas(c *commands.Call) {
	lines, err := of(callInfo(c)).Replicas(ring.NodeID(c.Args[2]))
	if errors.Is(err, ErrUnknownNode) {
		c.Reply.Error("ERR Unknown node " + resp.OneLine(c.Args[2]))
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
func clusterFailover(c *commands.Call) {
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
	_, err := callInfo(c).Node.Failover(context.Background())
	switch {
	case errors.Is(err, solo.ErrNoClusterPort):
		c.Reply.Error(ErrNoClusterPort)
	case errors.Is(err, cluster.ErrNotReplica):
		c.Reply.Error("ERR You should send CLUSTER FAILOVER to a replica")
	case err != nil:
		c.Reply.Error("ERR CLUSTER FAILOVER failed: " + err.Error())
	default:
		c.Reply.OK()
	}
}
