package server

import (
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/server/objects"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/slowlog"
)

const adminFlags = FlagAdmin | FlagNoScript | FlagLoading | FlagStale

func serverCommands() []*Command {
	return []*Command{
		commands.CommandCommand(),
		config.Command(),
		{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, ACL: commands.ACLDangerous, Tips: []string{commands.TipNondeterministic, commands.TipAllShards, commands.TipSpecialResponse},
			Group: "server", Since: "1.0.0",
			Summary: "Returns information and statistics about the server.", Handler: fe(infoCommand)},
		{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast, ACL: commands.ACLKeyspace, Tips: []string{commands.TipAllShards, commands.TipAggSum},
			Group: "server", Since: "1.0.0",
			Summary: "Returns the number of keys in the database.", Handler: fe(dbsizeCommand)},
		{Name: "flushall", Arity: -1, Flags: FlagWrite, ACL: commands.ACLKeyspace | commands.ACLDangerous, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
			Group: "server", Since: "1.0.0",
			Summary: "Removes all keys from all databases.", Handler: fe(flushCommand)},
		{Name: "flushdb", Arity: -1, Flags: FlagWrite, ACL: commands.ACLKeyspace | commands.ACLDangerous, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
			Group: "server", Since: "1.0.0",
			Summary: "Remove all keys from the current database.", Handler: fe(flushCommand)},
		commands.TimeCommand(),
		{Name: "shutdown", Arity: -1, Flags: adminFlags | FlagNoMulti | FlagAllowBusy, Group: "server", Since: "1.0.0",
			Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", Handler: fe(shutdownCommand)},
		slowlog.Command(),
	}
}

// dbsizeCommand counts the keys of the slots this node leads, as a Redis
// Cluster master counts its own: summed over every node, each key once.
func dbsizeCommand(c *Call) {
	n, _ := c.Store.CountIn(c.Server.Leads)
	c.Reply.Int(n)
}

// flushCommand: FLUSHALL/FLUSHDB [ASYNC|SYNC]. Both drop every key of the
// slots this node leads (there is one database); the flushes replicate,
// so FLUSHALL sent to every node empties the cluster, replicas included.
func flushCommand(c *Call) {
	if len(c.Args) > 2 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if len(c.Args) == 2 {
		switch strings.ToLower(string(c.Args[1])) {
		case "async", "sync":
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	c.Store.FlushIn(c.Server.Leads)
	c.Server.events.SlotFlushed(0) // even when nothing was there, as Redis (package events)
	c.Reply.OK()
}

// shutdownCommand: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. There is no
// persistence, so SAVE and NOSAVE mean the same. The node first drains
// (hands its slots to other nodes, at most leave.DrainTimeout; package leave) and
// leaves the cluster, as Redis waits for lagging replicas; NOW or FORCE
// leave without handing off (the replicas take over). Then the server stops
// through its owner's context and the client sees the connection close, as
// with Redis.
func shutdownCommand(c *Call) {
	var save, nosave, abort, other, now bool
	for _, a := range c.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "now", "force":
			other, now = true, true
		case "abort":
			abort = true
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	if (save && nosave) || (abort && (save || nosave || other)) {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if abort {
		c.Reply.Error("ERR No shutdown in progress.")
		return
	}
	c.Server.log.Warn("shutdown requested by client", "client", c.Client.ID, "addr", c.Client.addr)
	c.Client.closing = true
	c.Server.leaveAndStop(now)
}

// SlowLog is the node's slow log, which SLOWLOG reads (slowlog.Conn).
func (c *Call) SlowLog() *slowlog.Log { return &c.Server.slowlog }

// ObjectsHost gives MEMORY's and OBJECT's handlers their node (objects.Conn).
func (c *Call) ObjectsHost() objects.Host { return objectsHost{c.Server} }

// objectsHost is a Server as package objects sees it.
type objectsHost struct{ s *Server }

func (h objectsHost) LFU() bool      { return h.s.lim.lfu.Load() }
func (h objectsHost) Clients() int64 { return h.s.nclients.Load() }
