// Package objects holds MEMORY and OBJECT: what a key's value costs, how it
// is held (Redis's encoding names) and how it is used (idle time, access
// frequency), and the node's memory figures. The store measures exactly,
// so MEMORY USAGE's SAMPLES is checked and otherwise ignored.
package objects

import (
	"runtime/debug"
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/info"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Host is what these commands need of their node.
type Host interface {
	// LFU reports whether maxmemory-policy is an LFU one: OBJECT FREQ is
	// answered then, OBJECT IDLETIME otherwise.
	LFU() bool
	// Clients is the number of connected clients (MEMORY STATS).
	Clients() int64
}

// Conn is the front end's state of a call, which finds the node.
type Conn interface{ ObjectsHost() Host }

func host(c *commands.Call) Host { return c.Conn.(Conn).ObjectsHost() }

// Commands returns MEMORY and OBJECT with their subcommands.
func Commands() []*commands.Command {
	return []*commands.Command{memoryCommand(), objectCommand()}
}

func memoryCommand() *commands.Command {
	return &commands.Command{
		Name: "memory", Arity: -2, Group: "server", Since: "4.0.0", Summary: "A container for memory diagnostics commands.",
		Subcommands: []*commands.Command{
			{Name: "memory|purge", Arity: 2, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
				Group: "server", Since: "4.0.0", Summary: "Asks the allocator to release memory.",
				Handler: func(c *commands.Call) { debug.FreeOSMemory(); c.Reply.OK() },
				Help:    []string{"PURGE", "    Attempt to purge dirty pages for reclamation by the allocator."}},
			{Name: "memory|stats", Arity: 2,
				Tips:  []string{commands.TipNondeterministic, commands.TipAllShards, commands.TipSpecialResponse},
				Group: "server", Since: "4.0.0", Summary: "Returns details about memory usage.", Handler: memoryStats,
				Help: []string{"STATS", "    Return information about the memory usage of the server."}},
			{Name: "memory|usage", Arity: -3, Flags: commands.FlagReadOnly,
				Keys:  []commands.KeySpec{commands.Range(commands.RO, 2, 0, 1)},
				Group: "server", Since: "4.0.0", Summary: "Estimates the memory usage of a key.", Handler: memoryUsage,
				Help: []string{"USAGE <key> [SAMPLES <count>]",
					"    Return memory in bytes used by <key> and its value. Nested values are",
					"    sampled up to <count> times (default: 5, 0 means sample all)."}},
			{Name: "memory|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: "server", Since: "4.0.0",
				Summary: "Outputs a memory problems report.", Handler: commands.Help},
		},
	}
}

// memoryUsage: MEMORY USAGE key [SAMPLES count]. The store measures exactly,
// so SAMPLES is checked and otherwise ignored.
func memoryUsage(c *commands.Call) {
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
	objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(info.Bytes) })
}

// memoryStats: MEMORY STATS, the figures meshcache knows.
func memoryStats(c *commands.Call) {
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
		{"clients.normal", host(c).Clients()},
		{"process.rss", rss},
	}
	c.Reply.Map(len(fields))
	for _, f := range fields {
		c.Reply.BulkString(f.name)
		c.Reply.Int(f.v)
	}
}

func objectCommand() *commands.Command {
	sub := func(name, since, summary string, h func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "object|" + name, Arity: 3, Flags: commands.FlagReadOnly, ACL: commands.ACLKeyspace,
			Tips: []string{commands.TipNondeterministic}, Keys: []commands.KeySpec{commands.Range(commands.RO, 2, 0, 1)},
			Group: "generic", Since: since, Summary: summary, Handler: h, Help: help}
	}
	return &commands.Command{
		Name: "object", Arity: -2, Group: "generic", Since: "2.2.3", Summary: "A container for object introspection commands.",
		Subcommands: []*commands.Command{
			sub("encoding", "2.2.3", "Returns the internal encoding of a Redis object.", func(c *commands.Call) {
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.BulkString(info.Encoding) })
			},
				"ENCODING <key>",
				"    Return the kind of internal representation used in order to store the value",
				"    associated with a <key>."),
			sub("freq", "4.0.0", "Returns the logarithmic access frequency counter of a Redis object.", func(c *commands.Call) {
				if !host(c).LFU() {
					c.Reply.Error("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
					return
				}
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(int64(info.Freq)) })
			},
				"FREQ <key>",
				"    Return the access frequency index of the <key>. The returned integer is",
				"    proportional to the logarithm of the recent access frequency of the key."),
			sub("idletime", "2.2.3", "Returns the time since the last access to a Redis object.", func(c *commands.Call) {
				if host(c).LFU() {
					c.Reply.Error("ERR An LRU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
					return
				}
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(info.IdleMS / 1000) })
			},
				"IDLETIME <key>",
				"    Return the idle time of the <key>, that is the approximated number of",
				"    seconds elapsed since the last access to the key."),
			sub("refcount", "2.2.3", "Returns the reference count of a value of a key.", func(c *commands.Call) {
				objectInfo(c, func(info store.ObjectInfo) { c.Reply.Int(int64(info.RefCount)) })
			},
				"REFCOUNT <key>",
				"    Return the number of references of the value associated with the specified",
				"    <key>."),
			{Name: "object|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, ACL: commands.ACLKeyspace, Group: "generic", Since: "6.2.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// objectInfo looks the key up and calls reply with its facts, or answers
// null for a missing key, as Redis does.
func objectInfo(c *commands.Call, reply func(store.ObjectInfo)) {
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
