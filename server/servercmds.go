package server

import (
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/info"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/slowlog"
	"github.com/meshcache/meshcache/store"
)

const adminFlags = FlagAdmin | FlagNoScript | FlagLoading | FlagStale

func serverCommands() []*Command {
	return []*Command{
		commands.CommandCommand(),
		configCommand(),
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
		{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Tips: []string{commands.TipNondeterministic},
			Group: "server", Since: "2.6.0",
			Summary: "Returns the server time.", Handler: fe(timeCommand)},
		{Name: "shutdown", Arity: -1, Flags: adminFlags | FlagNoMulti | FlagAllowBusy, Group: "server", Since: "1.0.0",
			Summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.", Handler: fe(shutdownCommand)},
		memoryCommand(),
		objectCommand(),
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

func timeCommand(c *Call) {
	now := time.Now()
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatInt(now.Unix(), 10))
	c.Reply.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
}

// shutdownCommand: SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. There is no
// persistence, so SAVE and NOSAVE mean the same. The node first drains
// (hands its slots to other nodes, at most DrainTimeout; leave.go) and
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

func memoryCommand() *Command {
	return &Command{
		Name: "memory", Arity: -2, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands.",
		Subcommands: []*Command{
			{Name: "memory|purge", Arity: 2, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
				Group: "server", Since: "4.0.0", Summary: "Asks the allocator to release memory.",
				Handler: func(c *commands.Call) { debug.FreeOSMemory(); c.Reply.OK() },
				Help:    []string{"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator."}},
			{Name: "memory|stats", Arity: 2,
				Tips:  []string{commands.TipNondeterministic, commands.TipAllShards, commands.TipSpecialResponse},
				Group: "server", Since: "4.0.0", Summary: "Returns details about memory usage.", Handler: fe(memoryStats),
				Help: []string{"STATS", "    Return information about the memory usage of the server."}},
			{Name: "memory|usage", Arity: -3, Flags: FlagReadOnly,
				Keys:  []commands.KeySpec{commands.Range(commands.RO, 2, 0, 1)},
				Group: "server", Since: "4.0.0", Summary: "Estimates the memory usage of a key.", Handler: fe(memoryUsage),
				Help: []string{"USAGE <key> [SAMPLES <count>]",
					"    Return memory in bytes used by <key> and its value. Nested values are",
					"    sampled up to <count> times (default: 5, 0 means sample all)."}},
			{Name: "memory|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "4.0.0",
				Summary: "Outputs a memory problems report.", Handler: commands.Help},
		},
	}
}

// memoryUsage: MEMORY USAGE key [SAMPLES count]. The store measures exactly,
// so SAMPLES is checked and otherwise ignored.
func memoryUsage(c *Call) {
	for i := 3; i < len(c.Args); i++ {
		if strings.ToLower(string(c.Args[i])) == "samples" && i+1 < len(c.Args) {
			if v, ok := resp.ParseInt64(c.Args[i+1]); !ok || v < 0 {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
			i++
			continue
		}
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	info, ok, err := c.Tx.Object(c.Args[2])
	if err != nil {
		c.Reply.Error(err.Error())
		return
	}
	if !ok {
		c.Reply.Null()
		return
	}
	c.Reply.Int(info.Bytes)
}

func memoryStats(c *Call) {
	st := c.Store.Stats()
	rss := info.RSS()
	fields := []struct {
		name string
		v    int64
	}{
		{"peak.allocated", st.UsedMemory},
		{"total.allocated", st.UsedMemory},
		{"dataset.bytes", st.UsedMemory},
		{"keys.count", st.Keys},
		{"clients.normal", c.Server.nclients.Load()},
		{"process.rss", rss},
	}
	c.Reply.Map(len(fields))
	for _, f := range fields {
		c.Reply.BulkString(f.name)
		c.Reply.Int(f.v)
	}
}

func objectCommand() *Command {
	sub := func(name, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "object|" + name, Arity: 3, Flags: FlagReadOnly, ACL: commands.ACLKeyspace,
			Tips: []string{commands.TipNondeterministic}, Keys: []commands.KeySpec{commands.Range(commands.RO, 2, 0, 1)},
			Group: "generic", Since: since, Summary: summary, Handler: fe(h), Help: help}
	}
	return &Command{
		Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands.",
		Subcommands: []*Command{
			sub("encoding", "2.2.3", "Returns the internal encoding of a Redis object.", func(c *Call) {
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.BulkString(info.Encoding) })
			},
				"ENCODING <key>",
				"    Return the kind of internal representation used in order to store the value",
				"    associated with a <key>."),
			sub("freq", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", func(c *Call) {
				if !c.Server.lim.lfu.Load() {
					c.Reply.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
					return
				}
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(int64(info.Freq)) })
			},
				"FREQ <key>",
				"    Return the access frequency index of the <key>. The returned integer is",
				"    proportional to the logarithm of the recent access frequency of the key."),
			sub("idletime", "2.2.3", "Returns the time since the last access to a Redis object.", func(c *Call) {
				if c.Server.lim.lfu.Load() {
					c.Reply.Error("ERR An LRU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
					return
				}
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(info.IdleMS / 1000) })
			},
				"IDLETIME <key>",
				"    Return the idle time of the <key>, that is the approximated number of",
				"    seconds elapsed since the last access to the key."),
			sub("refcount", "2.2.3", "Returns the reference count of a value of a key.", func(c *Call) {
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(int64(info.RefCount)) })
			},
				"REFCOUNT <key>",
				"    Return the number of references of the value associated with the specified",
				"    <key>."),
			{Name: "object|help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: commands.ACLKeyspace, Group: "generic", Since: "6.2.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// objectInfo looks the key up and calls reply with its facts, or answers
// null for a missing key, as Redis does.
func objectInfo(c *Call, reply func(store.ObjectInfo)) {
	info, ok, err := c.Tx.Object(c.Args[2])
	if err != nil {
		c.Reply.Error(err.Error())
		return
	}
	if !ok {
		c.Reply.Null()
		return
	}
	reply(info)
}

// SlowLog is the node's slow log, which SLOWLOG reads (slowlog.Conn).
func (c *Call) SlowLog() *slowlog.Log { return &c.Server.slowlog }
