package server

import (
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// COMMAND and its subcommands, generated from the command table: which
// commands to list and lookups by name are here; each command's entry is
// written from its facts by package commands (Command.WriteInfo, WriteDocs).

func commandCommand() *Command {
	sub := func(name string, arity int, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "command|" + name, Arity: arity, Flags: FlagLoading | FlagStale, ACL: commands.ACLConnection,
			Group: "server", Since: since, Summary: summary, Help: help, Handler: fe(h)}
	}
	order := []string{commands.TipNondeterministicOrder}
	return &Command{
		Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, ACL: commands.ACLConnection, Tips: order,
		Group: "server", Since: "2.8.13", Summary: "Returns detailed information about all commands.",
		Help: []string{"(no subcommand)", "    Return details about all Redis commands."},
		Handler: fe(func(c *Call) {
			c.Reply.Array(len(c.Server.sorted))
			for _, e := range c.Server.sorted {
				e.WriteInfo(c.Reply)
			}
		}),
		Subcommands: []*Command{
			sub("count", 2, "2.8.13", "Returns a count of commands.", func(c *Call) { c.Reply.Int(int64(len(c.Server.sorted))) },
				"COUNT",
				"    Return the total number of commands in this Redis server."),
			tipped(sub("list", -2, "7.0.0", "Returns a list of command names.", commandList,
				"LIST",
				"    Return a list of all commands in this Redis server."), order...),
			tipped(sub("info", -2, "2.8.13", "Returns information about one, multiple or all commands.", commandInfo,
				"INFO [<command-name> ...]",
				"    Return details about multiple Redis commands.",
				"    If no command names are given, documentation details for all",
				"    commands are returned."), order...),
			tipped(sub("docs", -2, "7.0.0", "Returns documentary information about one, multiple or all commands.", commandDocs,
				"DOCS [<command-name> ...]",
				"    Return documentation details about multiple Redis commands.",
				"    If no command names are given, documentation details for all",
				"    commands are returned."), order...),
			sub("getkeys", -3, "2.8.13", "Extracts the key names from an arbitrary command.",
				func(c *Call) { commandGetKeys(c, false) },
				"GETKEYS <full-command>",
				"    Return the keys from a full Redis command."),
			sub("getkeysandflags", -3, "7.0.0", "Extracts the key names and access flags for an arbitrary command.",
				func(c *Call) { commandGetKeys(c, true) },
				"GETKEYSANDFLAGS <full-command>",
				"    Return the keys and the access flags from a full Redis command."),
			{Name: "command|help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: commands.ACLConnection, Group: "server",
				Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// tipped sets the tips of a command built by a helper and returns it.
func tipped(c *Command, tips ...string) *Command {
	c.Tips = tips
	return c
}

// commandInfo: COMMAND INFO [name ...]; all commands without names, a null
// for each unknown name.
func commandInfo(c *Call) {
	if len(c.Args) == 2 {
		c.Reply.Array(len(c.Server.sorted))
		for _, e := range c.Server.sorted {
			e.WriteInfo(c.Reply)
		}
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		if e := c.Server.lookupName(string(name)); e != nil {
			e.WriteInfo(c.Reply)
		} else {
			c.Reply.Null()
		}
	}
}

// commandDocs: COMMAND DOCS [name ...]: a map of name to its documentation;
// unknown names are left out, as Redis does.
func commandDocs(c *Call) {
	var list []*entry
	if len(c.Args) == 2 {
		list = c.Server.sorted
	} else {
		for _, name := range c.Args[2:] {
			if e := c.Server.lookupName(string(name)); e != nil {
				list = append(list, e)
			}
		}
	}
	c.Reply.Map(len(list))
	for _, e := range list {
		c.Reply.BulkString(e.Name)
		e.WriteDocs(c.Reply)
	}
}

// commandList: COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
func commandList(c *Call) {
	var filter func(*entry) bool
	switch {
	case len(c.Args) == 2:
		filter = func(*entry) bool { return true }
	case len(c.Args) == 5 && strings.EqualFold(string(c.Args[2]), "filterby"):
		arg := string(c.Args[4])
		switch strings.ToLower(string(c.Args[3])) {
		case "module":
			filter = func(*entry) bool { return false }
		case "aclcat":
			cat, ok := commands.ParseACL(arg)
			filter = func(e *entry) bool { return ok && e.Categories()&cat != 0 }
		case "pattern":
			filter = func(e *entry) bool { return resp.GlobMatch([]byte(arg), []byte(e.Name), true) }
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	var names []string
	for _, e := range c.Server.sorted {
		if filter(e) {
			names = append(names, e.Name)
		}
		for _, sub := range e.sorted {
			if filter(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.Reply.Array(len(names))
	for _, n := range names {
		c.Reply.BulkString(n)
	}
}

// commandGetKeys: COMMAND GETKEYS|GETKEYSANDFLAGS command arg ..., the keys
// found by the command's key specs (and their flags), as Redis's
// getKeysSubcommandImpl answers.
func commandGetKeys(c *Call, withFlags bool) {
	args := c.Args[2:]
	var buf [32]byte
	e := c.Server.lookup(args[0], &buf)
	if e != nil && e.subs != nil && len(args) >= 2 {
		e = e.lookupSub(args[1], &buf)
	}
	switch {
	case e == nil:
		c.Reply.Error("ERR Invalid command specified")
		return
	case !e.HasKeys():
		c.Reply.Error("ERR The command has no key arguments")
		return
	case !e.ArityOK(len(args)):
		c.Reply.Error("ERR Invalid number of arguments specified for command")
		return
	}
	keys, ok := e.GetKeys(args, nil)
	if !ok || len(keys) == 0 {
		if e.Flags&FlagNoMandatoryKeys != 0 {
			c.Reply.Array(0)
			return
		}
		c.Reply.Error("ERR Invalid arguments specified for command")
		return
	}
	c.Reply.Array(len(keys))
	for _, k := range keys {
		if !withFlags {
			c.Reply.Bulk(args[k.Pos])
			continue
		}
		c.Reply.Array(2)
		c.Reply.Bulk(args[k.Pos])
		names := k.Flags.Names()
		c.Reply.Set(len(names))
		for _, n := range names {
			c.Reply.Status(n)
		}
	}
}
