// Package module is MODULE, Redis 7.2's table facts and replies, for a
// server that loads no modules: a Redis module is a shared object built
// against Redis's C module API, which meshcache does not have. So MODULE
// LIST is always empty, LOAD and LOADEX fail as Redis's fail when a module
// does not load (the reason goes to the node's log, as Redis's reply says),
// and UNLOAD finds no such module. Tools ask: RedisInsight and client
// libraries list the modules to choose their features, the Tcl suite asks
// for MODULE HELP.
//
// LOAD, LOADEX and UNLOAD are protected, as Redis's: refused unless
// enable-module-command allows the connection (the front end checks,
// server/debugcmd.go).
package module

import "github.com/meshcache/meshcache/server/commands"

// Host is what MODULE needs of its node: its log.
type Host interface{ Log(msg string) }

// Conn is how MODULE's handlers find their node: the call's Conn
// (commands.Call) implements it.
type Conn interface{ ModuleHost() Host }

// errLoad is Redis's reply to a LOAD or LOADEX that loaded nothing.
const errLoad = "ERR Error loading the extension. Please check the server logs."

// Commands is MODULE's entry in the command table.
func Commands() []*commands.Command {
	changes := commands.FlagNoAsyncLoading | commands.FlagAdmin | commands.FlagNoScript | commands.FlagProtected
	load := func(c *commands.Call) {
		c.Conn.(Conn).ModuleHost().Log("MODULE " + string(c.Args[1]) + " " + string(c.Args[2]) +
			": not loaded: meshcache has no Redis module API")
		c.Reply.Error(errLoad)
	}
	return []*commands.Command{{
		Name: "module", Arity: -2, Group: "server", Since: "4.0.0", Summary: "A container for module commands.",
		Subcommands: []*commands.Command{
			{Name: "module|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, Group: "server", Since: "5.0.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			{Name: "module|list", Arity: 2, Flags: commands.FlagAdmin | commands.FlagNoScript,
				Tips: []string{commands.TipNondeterministicOrder}, Group: "server", Since: "4.0.0", Summary: "Returns all loaded modules.",
				Handler: func(c *commands.Call) { c.Reply.Array(0) },
				Help:    []string{"LIST", "    Return a list of loaded modules."}},
			{Name: "module|load", Arity: -3, Flags: changes, Group: "server", Since: "4.0.0", Summary: "Loads a module.",
				Handler: load,
				Help: []string{"LOAD <path> [<arg> ...]",
					"    Load a module library from <path>, passing to it any optional arguments."}},
			{Name: "module|loadex", Arity: -3, Flags: changes, Group: "server", Since: "7.0.0",
				Summary: "Loads a module using extended parameters.", Handler: load,
				Help: []string{"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
					"    Load a module library from <path>, while passing it module configurations and optional arguments."}},
			{Name: "module|unload", Arity: 3, Flags: changes, Group: "server", Since: "4.0.0", Summary: "Unloads a module.",
				Handler: func(c *commands.Call) {
					c.Conn.(Conn).ModuleHost().Log("Error unloading module " + string(c.Args[2]) + ": no such module with that name")
					c.Reply.Error("ERR Error unloading module: no such module with that name")
				},
				Help: []string{"UNLOAD <name>", "    Unload a module."}},
		},
	}}
}
