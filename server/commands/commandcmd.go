package commands

import (
	"strings"

	"github.com/meshcache/meshcache/server/resp"
)

// COMMAND and its subcommands, generated from the command table that Host
// gives (Host.Commands, Host.Command); each command's entry is written
// from its facts (Command.WriteInfo, WriteDocs: info.go).

// CommandCommand is COMMAND and its subcommands.
func CommandCommand() *Command {
	sub := func(name string, arity int, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "command|" + name, Arity: arity, Flags: FlagLoading | FlagStale, ACL: ACLConnection,
			Group: "server", Since: since, Summary: summary, Help: help, Handler: h}
	}
	order := []string{TipNondeterministicOrder}
	return &Command{
		Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, ACL: ACLConnection, Tips: order,
		Group: "server", Since: "2.8.13", Summary: "Returns detailed information about all commands.",
		Help:    []string{"(no subcommand)", "    Return details about all Redis commands."},
		Handler: writeAllInfo,
		Subcommands: []*Command{
			sub("count", 2, "2.8.13", "Returns a count of commands.", func(c *Call) { c.Reply.Int(int64(len(c.Host.Commands()))) },
				"COUNT",
				"    Return the total number of commands in this Redis server."),
			Tipped(sub("list", -2, "7.0.0", "Returns a list of command names.", commandList,
				"LIST",
				"    Return a list of all commands in this Redis server."), order...),
			Tipped(sub("info", -2, "2.8.13", "Returns information about one, multiple or all commands.", commandInfo,
				"INFO [<command-name> ...]",
				"    Return details about multiple Redis commands.",
				"    If no command names are given, documentation details for all",
				"    commands are returned."), order...),
			Tipped(sub("docs", -2, "7.0.0", "Returns documentary information about one, multiple or all commands.", commandDocs,
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
			{Name: "command|help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: ACLConnection, Group: "server",
				Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: Help},
		},
	}
}

// Tipped sets the tips of a command built by a helper and returns it.
func Tipped(c *Command, tips ...string) *Command {
	c.Tips = tips
	return c
}

// writeAllInfo is COMMAND (and COMMAND INFO without names): every command's entry.
func writeAllInfo(c *Call) {
	all := c.Host.Commands()
	c.Reply.Array(len(all))
	for _, cmd := range all {
		cmd.WriteInfo(c.Reply)
	}
}

// commandInfo: COMMAND INFO [name ...]; all commands without names, a null
// for each unknown name.
func commandInfo(c *Call) {
	if len(c.Args) == 2 {
		writeAllInfo(c)
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		if cmd := c.Host.Command(string(name)); cmd != nil {
			cmd.WriteInfo(c.Reply)
		} else {
			c.Reply.Null()
		}
	}
}

// commandDocs: COMMAND DOCS [name ...]: a map of name to its documentation;
// unknown names are left out, as Redis does.
func commandDocs(c *Call) {
	var list []*Command
	if len(c.Args) == 2 {
		list = c.Host.Commands()
	} else {
		for _, name := range c.Args[2:] {
			if cmd := c.Host.Command(string(name)); cmd != nil {
				list = append(list, cmd)
			}
		}
	}
	c.Reply.Map(len(list))
	for _, cmd := range list {
		c.Reply.BulkString(cmd.Name)
		cmd.WriteDocs(c.Reply)
	}
}

// commandList: COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
func commandList(c *Call) {
	var filter func(*Command) bool
	switch {
	case len(c.Args) == 2:
		filter = func(*Command) bool { return true }
	case len(c.Args) == 5 && strings.EqualFold(string(c.Args[2]), "filterby"):
		arg := string(c.Args[4])
		switch strings.ToLower(string(c.Args[3])) {
		case "module":
			filter = func(*Command) bool { return false }
		case "aclcat":
			cat, ok := ParseACL(arg)
			filter = func(e *Command) bool { return ok && e.Categories()&cat != 0 }
		case "pattern":
			filter = func(e *Command) bool { return resp.GlobMatch([]byte(arg), []byte(e.Name), true) }
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	var names []string
	for _, cmd := range c.Host.Commands() {
		if filter(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range cmd.sortedSubcommands() {
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

// lookupCall finds the command args name, as the dispatcher does: a
// container's subcommand when args names one; nil if none. A name with
// "|" in it names no command.
func lookupCall(h Host, args [][]byte) *Command {
	if strings.Contains(string(args[0]), "|") {
		return nil
	}
	cmd := h.Command(string(args[0]))
	if cmd != nil && len(cmd.Subcommands) > 0 && len(args) >= 2 {
		cmd = h.Command(cmd.Name + "|" + string(args[1]))
	}
	return cmd
}

// commandGetKeys: COMMAND GETKEYS|GETKEYSANDFLAGS command arg ..., the keys
// found by the command's key specs (and their flags), as Redis's
// getKeysSubcommandImpl answers.
func commandGetKeys(c *Call, withFlags bool) {
	args := c.Args[2:]
	e := lookupCall(c.Host, args)
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
