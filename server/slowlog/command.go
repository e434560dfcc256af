package slowlog

import (
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// SLOWLOG GET [count] | LEN | RESET | HELP, over the node's Log, which
// the front end's Conn gives.

// Conn is the front end's state of a call (commands.Call.Conn), which
// SLOWLOG asks for the node's log.
type Conn interface {
	SlowLog() *Log
}

func logOf(c *commands.Call) *Log { return c.Conn.(Conn).SlowLog() }

// get is SLOWLOG GET [count].
func get(c *commands.Call) {
	n := 10
	if len(c.Args) == 3 {
		v, ok := resp.ParseInt64(c.Args[2])
		if !ok || v < -1 {
			c.Reply.Error("ERR count should be greater than or equal to -1")
			return
		}
		n = int(v)
	}
	entries := logOf(c).Get(n)
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

// Command is SLOWLOG and its subcommands.
func Command() *commands.Command {
	const f = commands.FlagAdmin | commands.FlagLoading | commands.FlagStale
	return &commands.Command{
		Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.",
		Subcommands: []*commands.Command{
			{Name: "slowlog|get", Arity: -2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the slow log's entries.", Handler: get,
				Help: []string{"GET [<count>]",
					"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
					"    Entries are made of:",
					"    id, timestamp, time in microseconds, arguments array, client IP and port,",
					"    client name"}},
			{Name: "slowlog|len", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAggSum, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the number of entries in the slow log.",
				Handler: func(c *commands.Call) { c.Reply.Int(int64(logOf(c).Len())) },
				Help:    []string{"LEN", "    Return the length of the slowlog."}},
			{Name: "slowlog|reset", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAllSucceeded},
				Group: "server", Since: "2.2.12", Summary: "Clears all entries from the slow log.",
				Handler: func(c *commands.Call) { logOf(c).Reset(); c.Reply.OK() },
				Help:    []string{"RESET", "    Reset the slowlog."}},
			{Name: "slowlog|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: "server", Since: "6.2.0",
				Summary: "Show helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}
