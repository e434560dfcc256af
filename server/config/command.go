package config

import "github.com/meshcache/meshcache/server/commands"

// CONFIG GET, SET and RESETSTAT, Redis 7.2's table entries, over the
// settings table. What a change does to the running node, and which
// statistics RESETSTAT zeroes, are the front end's (server/configcmd.go),
// which implements Host.

// Host is the node as CONFIG sees it.
type Host interface {
	// Config returns a copy of the configuration in force.
	Config() Config
	// Change is CONFIG SET's change of the configuration in force by
	// nameValues (name value ..., an even number), all or nothing
	// (ChangeAll), then applied to the running node; it returns
	// ChangeAll's error line, or "" once applied.
	Change(nameValues [][]byte) (errLine string)
	// ResetStats zeroes INFO's stats, commandstats and the slow log.
	ResetStats()
}

// Conn is the front end's state of a call (commands.Call.Conn), which
// finds the node.
type Conn interface{ ConfigHost() Host }

func host(c *commands.Call) Host { return c.Conn.(Conn).ConfigHost() }

// Command returns CONFIG and its subcommands.
func Command() *commands.Command {
	const flags = commands.FlagAdmin | commands.FlagNoScript | commands.FlagLoading | commands.FlagStale
	sub := func(name string, arity int, since, summary string, h func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "config|" + name, Arity: arity, Flags: flags, Group: "server",
			Since: since, Summary: summary, Handler: h, Help: help}
	}
	return &commands.Command{
		Name: "config", Arity: -2, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands.",
		Subcommands: []*commands.Command{
			sub("get", -3, "2.0.0", "Returns the effective values of configuration parameters.", get,
				"GET <pattern>",
				"    Return parameters matching the glob-like <pattern> and their values."),
			commands.Tipped(sub("set", -4, "2.0.0", "Sets configuration parameters in-flight.", set,
				"SET <directive> <value>",
				"    Set the configuration <directive> to <value>."), commands.TipAllNodes, commands.TipAllSucceeded),
			sub("resetstat", 2, "2.0.0", "Resets the server's statistics.", func(c *commands.Call) { host(c).ResetStats(); c.Reply.OK() },
				"RESETSTAT",
				"    Reset statistics reported by the INFO command."),
			{Name: "config|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: "server", Since: "5.0.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// get: CONFIG GET pattern [pattern ...]; a map of every matching
// parameter to its value, each once.
func get(c *commands.Call) {
	names := Matching(c.Args[2:])
	cfg := host(c).Config()
	c.Reply.Map(len(names))
	for _, n := range names {
		c.Reply.BulkString(n)
		c.Reply.BulkString(Lookup(n).Get(&cfg))
	}
}

// set: CONFIG SET name value [name value ...]; all or nothing, as Redis 7
// (Host.Change).
func set(c *commands.Call) {
	if len(c.Args)%2 != 0 {
		c.Reply.Error("ERR wrong number of arguments for 'config|set' command")
		return
	}
	if errLine := host(c).Change(c.Args[2:]); errLine != "" {
		c.Reply.Error(errLine)
		return
	}
	c.Reply.OK()
}
