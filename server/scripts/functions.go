package scripts

import (
	"context"
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripting"
	"github.com/meshcache/meshcache/store/rdb"
)

// Functions: FUNCTION LOAD, DELETE, FLUSH, LIST, DUMP, RESTORE, STATS,
// KILL and FCALL, FCALL_RO (Redis 7's functions.c). The libraries live in
// the scripting engine; LOAD, DELETE, FLUSH and RESTORE on one node reach
// every member (fanOut), as SCRIPT LOAD does.

const (
	errFuncNotFound   = "ERR Function not found"
	errBadNumKeys     = "ERR Bad number of keys provided"
	errLibNotFound    = "ERR Library not found"
	errFunctionFlush  = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	errLibNameMissing = "ERR library name argument was not given"
	errRestorePolicy  = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
)

// FunctionCommands is FCALL, FCALL_RO and FUNCTION.
func FunctionCommands() []*commands.Command {
	const g, acl = "scripting", commands.ACLScripting
	allShards := []string{commands.TipAllShards, commands.TipAllSucceeded}
	return []*commands.Command{
		{Name: "fcall", Arity: -3, Flags: evalFlags | commands.FlagMayReplicate, ACL: acl, Keys: []commands.KeySpec{scriptKeys(false)},
			Group: g, Since: "7.0.0", Summary: "Invokes a function.",
			Handler: handler(func(c call) { fcallCommand(c, false) })},
		{Name: "fcall_ro", Arity: -3, Flags: evalFlags | commands.FlagReadOnly, ACL: acl, Keys: []commands.KeySpec{scriptKeys(true)},
			Group: g, Since: "7.0.0", Summary: "Invokes a read-only function.",
			Handler: handler(func(c call) { fcallCommand(c, true) })},
		{Name: "function", Arity: -2, Group: g, Since: "7.0.0", Summary: "A container for function commands.",
			Subcommands: []*commands.Command{
				{Name: "function|load", Arity: -3, Flags: commands.FlagWrite | commands.FlagDenyOOM | commands.FlagNoScript | commands.FlagNotKeyspace, ACL: acl, Tips: allShards,
					Group: g, Since: "7.0.0", Summary: "Creates a library.", Handler: handler(functionLoad),
					Help: []string{"LOAD [REPLACE] <FUNCTION CODE>", "    Create a new library with the given library name and code."}},
				{Name: "function|delete", Arity: 3, Flags: commands.FlagWrite | commands.FlagNoScript | commands.FlagNotKeyspace, ACL: acl, Tips: allShards,
					Group: g, Since: "7.0.0", Summary: "Deletes a library and its functions.", Handler: handler(functionDelete),
					Help: []string{"DELETE <LIBRARY NAME>", "    Delete the given library."}},
				{Name: "function|list", Arity: -2, Flags: commands.FlagNoScript, ACL: acl, Tips: []string{commands.TipNondeterministicOrder},
					Group: g, Since: "7.0.0", Summary: "Returns information about all libraries.", Handler: handler(functionList),
					Help: []string{"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
						"    Return general information on all the libraries:",
						"    * Library name",
						"    * The engine used to run the Library",
						"    * Library description",
						"    * Functions list",
						"    * Library code (if WITHCODE is given)",
						"    It also possible to get only function that matches a pattern using LIBRARYNAME argument."}},
				{Name: "function|stats", Arity: 2, Flags: commands.FlagNoScript | commands.FlagAllowBusy, ACL: acl,
					Tips:  []string{commands.TipNondeterministic, commands.TipAllShards, commands.TipSpecialResponse},
					Group: g, Since: "7.0.0", Summary: "Returns information about a function during execution.", Handler: handler(functionStats),
					Help: []string{"STATS",
						"    Return information about the current function running:",
						"    * Function name",
						"    * Command used to run the function",
						"    * Duration in MS that the function is running",
						"    If no function is running, return nil",
						"    In addition, returns a list of available engines."}},
				{Name: "function|kill", Arity: 2, Flags: commands.FlagNoScript | commands.FlagAllowBusy, ACL: acl,
					Tips:  []string{commands.TipAllShards, commands.TipOneSucceeded},
					Group: g, Since: "7.0.0", Summary: "Terminates a function during execution.", Handler: handler(killCommand(true)),
					Help: []string{"KILL", "    Kill the current running function."}},
				{Name: "function|flush", Arity: -2, Flags: commands.FlagWrite | commands.FlagNoScript | commands.FlagNotKeyspace, ACL: acl, Tips: allShards,
					Group: g, Since: "7.0.0", Summary: "Deletes all libraries and functions.", Handler: handler(functionFlush),
					Help: []string{"FLUSH [ASYNC|SYNC]",
						"    Delete all the libraries.",
						"    When called without the optional mode argument, the behavior is determined by the",
						"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
						"    * ASYNC: Asynchronously flush the libraries.",
						"    * SYNC: Synchronously flush the libraries."}},
				{Name: "function|dump", Arity: 2, Flags: commands.FlagNoScript, ACL: acl,
					Group: g, Since: "7.0.0", Summary: "Dumps all libraries into a serialized binary payload.", Handler: handler(functionDump),
					Help: []string{"DUMP",
						"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command"}},
				{Name: "function|restore", Arity: -3, Flags: commands.FlagWrite | commands.FlagDenyOOM | commands.FlagNoScript | commands.FlagNotKeyspace, ACL: acl, Tips: allShards,
					Group: g, Since: "7.0.0", Summary: "Restores all libraries from a payload.", Handler: handler(functionRestore),
					Help: []string{"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
						"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
						"    control how to handle existing libraries (default APPEND):",
						"    * FLUSH: delete all existing libraries.",
						"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
						"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
						"      libraries with the new libraries (notice that even on this option there is a chance of failure",
						"      in case of functions name collision with another library)."}},
				{Name: "function|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, ACL: acl, Group: g, Since: "7.0.0",
					Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			}},
	}
}

// fcallCommand is fcallCommandGeneric: FCALL function numkeys key... arg...
func fcallCommand(c call, ro bool) {
	sc, args := c.sc, c.Args
	f := sc.engine.LookupFunction(args[1])
	if f == nil {
		c.Reply.Error(errFuncNotFound)
		return
	}
	numkeys, errText := numKeys(args, errBadNumKeys)
	if errText != "" {
		c.Reply.Error(errText)
		return
	}
	sc.runScript(c, f.Flags, ro, true, numkeys, f.Name, func(ctx context.Context, lua *scripting.Run) {
		sc.engine.FCall(ctx, f, lua, c.Reply)
	})
}

func functionLoad(c call) {
	replace := false
	code := c.Args[2]
	for i := 2; i < len(c.Args); i++ {
		if i == len(c.Args)-1 {
			code = c.Args[i]
			break
		}
		if !strings.EqualFold(string(c.Args[i]), "replace") {
			c.Reply.Error("ERR Unknown option given: " + string(c.Args[i]))
			return
		}
		replace = true
	}
	name, errText := c.sc.engine.LoadLibrary(code, replace)
	if errText != "" {
		if lib := existingLibrary(errText); lib != "" && c.sc.fannedIn(lib, code) {
			c.Reply.BulkString(lib) // this client's copy of a load a peer fanned out (cluster.go)
			return
		}
		c.Reply.Error("ERR " + errText)
		return
	}
	c.sc.noteFanIn(c.client, name, code)
	c.sc.fanOut(c.client, c.Args)
	c.Reply.BulkString(name)
}

func functionDelete(c call) {
	if !c.sc.engine.DeleteLibrary(string(c.Args[2])) {
		if c.sc.fannedIn(string(c.Args[2]), nil) {
			c.Reply.OK() // this client's copy of a delete a peer fanned out
			return
		}
		c.Reply.Error(errLibNotFound)
		return
	}
	c.sc.noteFanIn(c.client, string(c.Args[2]), nil)
	c.sc.fanOut(c.client, c.Args)
	c.Reply.OK()
}

func functionFlush(c call) {
	if len(c.Args) > 3 { // SCRIPT FLUSH has no such check: its option error covers it
		commands.SubcommandSyntaxError(c.Call)
		return
	}
	flushScripts(c, errFunctionFlush, c.sc.engine.FlushLibraries)
}

// functionList is FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern].
func functionList(c call) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(c.Args); i++ {
		a := c.Args[i]
		switch {
		case !withCode && strings.EqualFold(string(a), "withcode"):
			withCode = true
		case pattern == nil && strings.EqualFold(string(a), "libraryname"):
			if i >= len(c.Args)-1 {
				c.Reply.Error(errLibNameMissing)
				return
			}
			i++
			pattern = c.Args[i]
		default:
			c.Reply.Error("ERR Unknown argument " + string(a))
			return
		}
	}
	var libs []*scripting.Library
	for _, l := range c.sc.engine.Libraries() {
		if pattern == nil || resp.GlobMatch(pattern, []byte(l.Name), true) {
			libs = append(libs, l)
		}
	}
	r := c.Reply
	r.Array(len(libs))
	for _, l := range libs {
		if withCode {
			r.Map(4)
		} else {
			r.Map(3)
		}
		r.BulkString("library_name")
		r.BulkString(l.Name)
		r.BulkString("engine")
		r.BulkString("LUA")
		r.BulkString("functions")
		r.Array(len(l.Functions))
		for _, f := range l.Functions {
			r.Map(3)
			r.BulkString("name")
			r.BulkString(f.Name)
			r.BulkString("description")
			if f.Description != nil {
				r.BulkString(*f.Description)
			} else {
				r.Null()
			}
			r.BulkString("flags")
			names := f.Flags.Names()
			r.Set(len(names))
			for _, n := range names {
				r.Status(n)
			}
		}
		if withCode {
			r.BulkString("library_code")
			r.Bulk(l.Code)
		}
	}
}

// functionStats is FUNCTION STATS: the running function (one of them,
// when several run at once on different slots) and the engine's counts.
func functionStats(c call) {
	sc := c.sc
	running := sc.running()
	if running != nil && !running.function {
		c.Reply.Error(errBusyScript)
		return
	}
	r := c.Reply
	r.Map(2)
	r.BulkString("running_script")
	if running == nil {
		r.Null()
	} else {
		r.Map(3)
		r.BulkString("name")
		r.Bulk(running.args[1])
		r.BulkString("command")
		r.Array(len(running.args))
		for _, a := range running.args {
			r.Bulk(a)
		}
		r.BulkString("duration_ms")
		r.Int(running.elapsedMS())
	}
	r.BulkString("engines")
	r.Map(1)
	r.BulkString("LUA")
	r.Map(2)
	r.BulkString("libraries_count")
	r.Int(int64(len(sc.engine.Libraries())))
	r.BulkString("functions_count")
	r.Int(int64(sc.engine.FunctionCount()))
}

// functionDump is FUNCTION DUMP: each library's code after the function
// opcode, framed as a DUMP payload (store/rdb).
func functionDump(c call) {
	var data []byte
	for _, l := range c.sc.engine.Libraries() {
		data = append(data, rdb.OpFunction2)
		data = rdb.AppendString(data, l.Code)
	}
	c.Reply.Bulk(rdb.Payload(data))
}

// functionRestore is FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
func functionRestore(c call) {
	if len(c.Args) > 4 {
		commands.SubcommandSyntaxError(c.Call)
		return
	}
	policy := "append"
	if len(c.Args) == 4 {
		policy = strings.ToLower(string(c.Args[3]))
		if policy != "flush" && policy != "append" && policy != "replace" {
			c.Reply.Error(errRestorePolicy)
			return
		}
	}
	if errText := c.sc.restoreFunctions(c.Args[2], policy); errText != "" {
		c.Reply.Error(errText)
		return
	}
	c.sc.fanOut(c.client, c.Args)
	c.Reply.OK()
}

// restoreFunctions installs the libraries of a FUNCTION DUMP payload under
// policy (flush, append, replace); errText is Redis's error reply.
func (sc *Scripts) restoreFunctions(payload []byte, policy string) string {
	data, err := rdb.Unframe(payload)
	if err != nil {
		return "ERR " + err.Error()
	}
	var codes [][]byte
	for len(data) > 0 {
		switch data[0] {
		case rdb.OpFunction2:
		case rdb.OpFunctionPreGA:
			return "ERR Pre-GA function format not supported"
		default:
			return "ERR given type is not a function"
		}
		code, rest, err := rdb.ReadString(data[1:])
		if err != nil {
			return "ERR failed loading the given functions payload"
		}
		codes = append(codes, code)
		data = rest
	}
	if errText := sc.engine.RestoreLibraries(codes, policy); errText != "" {
		return "ERR " + errText
	}
	return ""
}

// existingLibrary returns the library named by a "Library 'x' already
// exists" error, "" for any other error.
func existingLibrary(errText string) string {
	rest, ok := strings.CutPrefix(errText, "Library '")
	if !ok {
		return ""
	}
	name, ok := strings.CutSuffix(rest, "' already exists")
	if !ok {
		return ""
	}
	return name
}
