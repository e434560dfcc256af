package server

import (
	"strings"
)

// COMMAND and its subcommands, generated from the command table.

func commandCommand() *Command {
	sub := func(name string, arity int, since, summary string, h func(*Call)) *Command {
		return &Command{Name: "command|" + name, Arity: arity, Flags: FlagLoading | FlagStale, Group: "server",
			Since: since, Summary: summary, Handler: h}
	}
	return &Command{
		Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
		Summary: "Returns detailed information about all commands.",
		Handler: func(c *Call) {
			c.Reply.Array(len(c.Server.sorted))
			for _, e := range c.Server.sorted {
				writeCommandInfo(c.Reply, e)
			}
		},
		Subcommands: []*Command{
			sub("count", 2, "2.8.13", "Returns a count of commands.", func(c *Call) { c.Reply.Int(int64(len(c.Server.sorted))) }),
			sub("info", -2, "2.8.13", "Returns information about one, multiple or all commands.", commandInfo),
			sub("docs", -2, "7.0.0", "Returns documentary information about one, multiple or all commands.", commandDocs),
			sub("list", -2, "7.0.0", "Returns a list of command names.", commandList),
			sub("getkeys", -3, "2.8.13", "Extracts the key names from an arbitrary command.", commandGetKeys),
			sub("help", 2, "5.0.0", "Returns helpful text about the different subcommands.", func(c *Call) {
				helpReply(c, "COMMAND",
					"(no subcommand)",
					"    Return details about all Redis commands.",
					"COUNT",
					"    Return the total number of commands in this Redis server.",
					"LIST",
					"    Return a list of all commands in this Redis server.",
					"INFO [<command-name> ...]",
					"    Return details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"DOCS [<command-name> ...]",
					"    Return documentation details about multiple Redis commands.",
					"    If no command names are given, documentation details for all",
					"    commands are returned.",
					"GETKEYS <full-command>",
					"    Return the keys from a full Redis command.")
			}),
		},
	}
}

// flagNames are the COMMAND flag names, in the order Redis lists them.
var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"}, {FlagAdmin, "admin"},
	{FlagNoScript, "noscript"}, {FlagLoading, "loading"}, {FlagStale, "stale"}, {FlagFast, "fast"},
	{FlagNoAuth, "no_auth"}, {FlagNoMulti, "no_multi"}, {FlagAllowBusy, "allow_busy"},
}

func (e *entry) flagList() []string {
	var out []string
	for _, f := range flagNames {
		if e.Flags&f.f != 0 {
			out = append(out, f.name)
		}
	}
	return out
}

// aclCategories derives Redis's ACL categories from the flags and group.
func (e *entry) aclCategories() []string {
	if e.subs != nil {
		return []string{"@slow"}
	}
	var out []string
	if e.Flags&FlagWrite != 0 {
		out = append(out, "@write")
	}
	if e.Flags&FlagReadOnly != 0 {
		out = append(out, "@read")
	}
	if e.Flags&FlagAdmin != 0 {
		out = append(out, "@admin")
	}
	if e.Flags&FlagFast != 0 {
		out = append(out, "@fast")
	} else {
		out = append(out, "@slow")
	}
	if e.Flags&FlagAdmin != 0 || e.Name == "flushall" || e.Name == "flushdb" || e.Name == "keys" {
		out = append(out, "@dangerous")
	}
	switch e.Group {
	case "string":
		out = append(out, "@string")
	case "hash":
		out = append(out, "@hash")
	case "generic":
		out = append(out, "@keyspace")
	case "connection":
		out = append(out, "@connection")
	case "transactions":
		out = append(out, "@transaction")
	}
	return out
}

// writeCommandInfo writes one command as Redis 7's COMMAND does: name,
// arity, flags, first key, last key, step, ACL categories, tips, key specs,
// subcommands.
func writeCommandInfo(r *Reply, e *entry) {
	r.Array(10)
	r.BulkString(e.Name)
	r.Int(int64(e.Arity))
	flags := e.flagList()
	r.Set(len(flags))
	for _, f := range flags {
		r.Status(f)
	}
	r.Int(int64(e.FirstKey))
	r.Int(int64(e.LastKey))
	r.Int(int64(e.Step))
	cats := e.aclCategories()
	r.Set(len(cats))
	for _, cat := range cats {
		r.Status(cat)
	}
	r.Array(0) // tips
	writeKeySpecs(r, e)
	r.Array(len(e.sorted))
	for _, sub := range e.sorted {
		writeCommandInfo(r, sub)
	}
}

// writeKeySpecs describes the key positions as one Redis 7 key spec: an
// index search from FirstKey and a range to LastKey with Step.
func writeKeySpecs(r *Reply, e *entry) {
	if !e.hasKeys() {
		r.Array(0)
		return
	}
	r.Array(1)
	r.Map(3)
	r.BulkString("flags")
	var flags []string
	switch {
	case e.Flags&FlagWrite != 0:
		flags = []string{"RW", "UPDATE"}
	default:
		flags = []string{"RO", "ACCESS"}
	}
	r.Set(len(flags))
	for _, f := range flags {
		r.Status(f)
	}
	r.BulkString("begin_search")
	r.Map(2)
	r.BulkString("type")
	r.BulkString("index")
	r.BulkString("spec")
	r.Map(1)
	r.BulkString("index")
	r.Int(int64(e.FirstKey))
	r.BulkString("find_keys")
	r.Map(2)
	r.BulkString("type")
	r.BulkString("range")
	r.BulkString("spec")
	r.Map(3)
	last := int64(e.LastKey)
	if last >= 0 {
		last -= int64(e.FirstKey)
	}
	r.BulkString("lastkey")
	r.Int(last)
	r.BulkString("keystep")
	r.Int(int64(e.Step))
	r.BulkString("limit")
	r.Int(0)
}

// commandInfo: COMMAND INFO [name ...]; all commands without names, a null
// for each unknown name.
func commandInfo(c *Call) {
	if len(c.Args) == 2 {
		c.Reply.Array(len(c.Server.sorted))
		for _, e := range c.Server.sorted {
			writeCommandInfo(c.Reply, e)
		}
		return
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		if e := c.Server.lookupName(string(name)); e != nil {
			writeCommandInfo(c.Reply, e)
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
		writeDocs(c.Reply, e)
	}
}

func writeDocs(r *Reply, e *entry) {
	n := 3
	if len(e.sorted) > 0 {
		n++
	}
	r.Map(n)
	r.BulkString("summary")
	r.BulkString(e.Summary)
	r.BulkString("since")
	r.BulkString(e.Since)
	r.BulkString("group")
	r.BulkString(e.Group)
	if len(e.sorted) > 0 {
		r.BulkString("subcommands")
		r.Map(len(e.sorted))
		for _, sub := range e.sorted {
			r.BulkString(sub.Name)
			writeDocs(r, sub)
		}
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
			cat := "@" + strings.ToLower(arg)
			filter = func(e *entry) bool {
				for _, x := range e.aclCategories() {
					if x == cat {
						return true
					}
				}
				return false
			}
		case "pattern":
			filter = func(e *entry) bool { return globMatch([]byte(arg), []byte(e.Name), true) }
		default:
			c.Reply.Error(errSyntax)
			return
		}
	default:
		c.Reply.Error(errSyntax)
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

// commandGetKeys: COMMAND GETKEYS command arg ...
func commandGetKeys(c *Call) {
	args := c.Args[2:]
	var buf [32]byte
	e := c.Server.lookup(args[0], &buf)
	if e == nil {
		c.Reply.Error("ERR Invalid command specified")
		return
	}
	if e.subs != nil && len(args) >= 2 {
		if sub := e.lookupSub(args[1], &buf); sub != nil {
			e = sub
		}
	}
	if (e.Arity > 0 && len(args) != e.Arity) || (e.Arity < 0 && len(args) < -e.Arity) {
		c.Reply.Error("ERR Invalid number of arguments specified for command")
		return
	}
	first, last, step, ok := e.keyRange(args)
	if !ok {
		c.Reply.Error("ERR The command has no key arguments")
		return
	}
	n := 0
	for i := first; i <= last; i += step {
		n++
	}
	c.Reply.Array(n)
	for i := first; i <= last; i += step {
		c.Reply.Bulk(args[i])
	}
}
