package server

import (
	"github.com/meshcache/meshcache/server/topology"
)

// The cluster surface: CLUSTER (server/topology: its subcommands, over the
// node's membership and the call's ClusterCall) and LEAVE's drain and
// stop. READONLY, READWRITE and ASKING are the connection's (package
// connection).
//
// A READONLY connection reads a slot on a replica only once the replica
// holds the slot in sync; before that it reads through the primary
// (replication.go), so listing a replica early never serves a partial
// copy.
//
// Keyless commands (DBSIZE, KEYS, SCAN, RANDOMKEY, FLUSHALL, FLUSHDB, INFO
// keyspace) act on the slots this node leads, as on a Redis Cluster
// master: summed over the masters a cluster client sees, every key counts
// once, and FLUSHALL sent to every master empties the cluster (the
// flushes replicate).

// clusterCommands is the cluster surface; registered in commandGroups
// (command.go).
func clusterCommands() []*Command {
	return []*Command{topology.ClusterCommand(fe(clusterLeave))}
}

// ClusterCall gives a CLUSTER subcommand the node's membership and the
// client's side of the call (topology.Conn).
func (c *Call) ClusterCall() topology.CallInfo {
	s := c.Server
	return topology.CallInfo{Node: &s.cluster, LocalAddr: c.Client.laddr,
		ForwardsSent: s.cstats.forwardsSent.Load(), ForwardsReceived: s.cstats.forwardsReceived.Load()}
}

// clusterLeave: CLUSTER LEAVE (meshcache's own). The node answers +OK, then
// in the background drains (hands every slot it leads to another node, at
// most leave.DrainTimeout), leaves the cluster and shuts down as SHUTDOWN does: a
// node out of the cluster has nothing left to serve. Progress shows in
// CLUSTER NODES and INFO replication (draining:1).
func clusterLeave(c *Call) {
	s := c.Server
	if s.standalone {
		c.Reply.Error(topology.ErrNoClusterPort) // nobody to hand the slots to: SHUTDOWN stops it
		return
	}
	if s.Draining() {
		c.Reply.Error("ERR This node is already leaving the cluster")
		return
	}
	s.log.Warn("cluster leave requested by client", "client", c.Client.ID, "addr", c.Client.addr)
	s.connWG.Add(1) // Serve waits for the drain, which leave.DrainTimeout bounds
	go func() {
		defer s.connWG.Done()
		s.leaveAndStop(false)
	}()
	c.Reply.OK()
}
