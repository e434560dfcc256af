package server

import (
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// slowlogCommand: SLOWLOG GET [count] | LEN | RESET | HELP.
func slowlogGet(c *Call) {
	n := 10
	if len(c.Args) == 3 {
		v, ok := resp.ParseInt64(c.Args[2])
		if !ok || v < -1 {
			c.Reply.Error("ERR count should be greater than or equal to -1")
			return
		}
		n = int(v)
	}
	entries := c.Server.slowlog.Get(n)
	c.Reply.Array(len(entries))
	for _, e := range entries {
		c.Reply.Array(6)
		c.Reply.Int(e.ID)
		c.Reply.Int(e.At)
		c.Reply.Int(e.Duration)
		c.Reply.Array(len(e.Args))
		for _, a := range e.Args {
			c.Reply.BulkString(a)
		}
		c.Reply.BulkString(e.Addr)
		c.Reply.BulkString(e.Name)
	}
}

func slowlogCommands() *Command {
	const f = FlagAdmin | FlagLoading | FlagStale
	return &Command{
		Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.",
		Subcommands: []*Command{
			{Name: "slowlog|get", Arity: -2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the slow log's entries.", Handler: fe(slowlogGet),
				Help: []string{"GET [<count>]",
					"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
					"    Entries are made of:",
					"    id, timestamp, time in microseconds, arguments array, client IP and port,",
					"    client name"}},
			{Name: "slowlog|len", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAggSum, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the number of entries in the slow log.",
				Handler: fe(func(c *Call) { c.Reply.Int(int64(c.Server.slowlog.Len())) }),
				Help:    []string{"LEN", "    Return the length of the slowlog."}},
			{Name: "slowlog|reset", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAllSucceeded},
				Group: "server", Since: "2.2.12", Summary: "Clears all entries from the slow log.",
				Handler: fe(func(c *Call) { c.Server.slowlog.Reset(); c.Reply.OK() }),
				Help:    []string{"RESET", "    Reset the slowlog."}},
			{Name: "slowlog|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "6.2.0",
				Summary: "Show helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}
