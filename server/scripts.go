package server

import (
	"strings"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripting"
)

// Scripting: EVAL, EVALSHA, their _RO forms and SCRIPT. The Lua
// environment is package scripting; this file is the front end's part:
// the commands, Redis's checks before a script runs (scriptPrepareForRun)
// and, in scripts_run.go, the path of redis.call back into the node.
//
// Keys and slots (docs/DESIGN.md §6): the declared keys' slots are locked
// by the dispatcher for the whole run, as for any keyed command, and the
// routing forwards EVAL to their primary (keys of several slots:
// -CROSSSLOT, as Redis Cluster). A key the script did not declare is
// reached under the rules of scripts_run.go.

// Redis's error texts for scripts.
const (
	errNoScript       = "NOSCRIPT No matching script. Please use EVAL."
	errNumKeysTooMany = "ERR Number of keys can't be greater than number of args"
	errNumKeysNeg     = "ERR Number of keys can't be negative"
	errNoCluster      = "ERR Can not run script on cluster, 'no-cluster' flag is set."
	errWriteScriptRO  = "ERR Can not execute a script with write flag using *_ro command."
	errScriptOOM      = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
	errNotBusy        = "NOTBUSY No scripts in execution right now."
	errScriptDebug    = "ERR Use SCRIPT DEBUG YES/SYNC/NO"
	// errNoDebugger: meshcache has no Lua debugger (docs/COMPATIBILITY.md).
	errNoDebugger  = "ERR SCRIPT DEBUG YES and SYNC are not supported: meshcache has no Lua debugger"
	errScriptFlush = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
)

func scriptingCommands() []*Command {
	const g, acl = "scripting", commands.ACLScripting
	evalFlags := FlagNoScript | FlagStale | FlagSkipMonitor | FlagNoMandatoryKeys
	// EVAL's keys: numkeys at argument 2, the keys after it.
	rw := []commands.KeySpec{commands.KeyNum(commands.RW|commands.Access|commands.Update, 2, 0, 1, 1)}
	rwNotes := rw[0]
	rwNotes.Notes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
	ro := []commands.KeySpec{commands.KeyNum(commands.RO|commands.Access, 2, 0, 1, 1)}
	roNotes := ro[0]
	roNotes.Notes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
	return []*Command{
		{Name: "eval", Arity: -3, Flags: evalFlags, ACL: acl, Keys: []commands.KeySpec{rwNotes},
			Group: g, Since: "2.6.0", Summary: "Executes a server-side Lua script.",
			Handler: fe(func(c *Call) { evalCommand(c, false, false) })},
		{Name: "evalsha", Arity: -3, Flags: evalFlags, ACL: acl, Keys: rw,
			Group: g, Since: "2.6.0", Summary: "Executes a server-side Lua script by SHA1 digest.",
			Handler: fe(func(c *Call) { evalCommand(c, true, false) })},
		{Name: "eval_ro", Arity: -3, Flags: evalFlags | FlagReadOnly, ACL: acl, Keys: []commands.KeySpec{roNotes},
			Group: g, Since: "7.0.0", Summary: "Executes a read-only server-side Lua script.",
			Handler: fe(func(c *Call) { evalCommand(c, false, true) })},
		{Name: "evalsha_ro", Arity: -3, Flags: evalFlags | FlagReadOnly, ACL: acl, Keys: ro,
			Group: g, Since: "7.0.0", Summary: "Executes a read-only server-side Lua script by SHA1 digest.",
			Handler: fe(func(c *Call) { evalCommand(c, true, true) })},
		{Name: "script", Arity: -2, Group: g, Since: "2.6.0", Summary: "A container for Lua scripts management commands.",
			Subcommands: []*Command{
				{Name: "script|debug", Arity: 3, Flags: FlagNoScript, ACL: acl,
					Group: g, Since: "3.2.0", Summary: "Sets the debug mode of server-side Lua scripts.",
					Handler: fe(scriptDebug),
					Help: []string{"DEBUG (YES|SYNC|NO)",
						"    Set the debug mode for subsequent scripts executed."}},
				{Name: "script|exists", Arity: -3, Flags: FlagNoScript, ACL: acl,
					Tips:  []string{commands.TipAllShards, commands.TipAggLogicalAnd},
					Group: g, Since: "2.6.0", Summary: "Determines whether server-side Lua scripts exist in the script cache.",
					Handler: fe(scriptExists),
					Help: []string{"EXISTS <sha1> [<sha1> ...]",
						"    Return information about the existence of the scripts in the script cache."}},
				{Name: "script|flush", Arity: -2, Flags: FlagNoScript, ACL: acl,
					Tips:  []string{commands.TipAllNodes, commands.TipAllSucceeded},
					Group: g, Since: "2.6.0", Summary: "Removes all server-side Lua scripts from the script cache.",
					Handler: fe(scriptFlush),
					Help: []string{"FLUSH [ASYNC|SYNC]",
						"    Flush the Lua scripts cache. Very dangerous on replicas.",
						"    When called without the optional mode argument, the behavior is determined by the",
						"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
						"    * ASYNC: Asynchronously flush the scripts cache.",
						"    * SYNC: Synchronously flush the scripts cache."}},
				{Name: "script|kill", Arity: 2, Flags: FlagNoScript | FlagAllowBusy, ACL: acl,
					Tips:  []string{commands.TipAllShards, commands.TipOneSucceeded},
					Group: g, Since: "2.6.0", Summary: "Terminates a server-side Lua script during execution.",
					Handler: fe(scriptKill),
					Help:    []string{"KILL", "    Kill the currently executing Lua script."}},
				{Name: "script|load", Arity: 3, Flags: FlagNoScript | FlagStale, ACL: acl,
					Tips:  []string{commands.TipAllNodes, commands.TipAllSucceeded},
					Group: g, Since: "2.6.0", Summary: "Loads a server-side Lua script to the script cache.",
					Handler: fe(scriptLoad),
					Help:    []string{"LOAD <script>", "    Load a script into the scripts cache without executing it."}},
				{Name: "script|help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: acl, Group: g, Since: "5.0.0",
					Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			}},
	}
}

// evalCommand is evalGenericCommand: EVAL script|sha numkeys key... arg...
func evalCommand(c *Call, bySHA, ro bool) {
	s, args := c.Server, c.Args
	numkeys, ok := resp.ParseInt64(args[2])
	switch {
	case !ok:
		c.Reply.Error(resp.ErrNotInteger)
		return
	case numkeys > int64(len(args)-3):
		c.Reply.Error(errNumKeysTooMany)
		return
	case numkeys < 0:
		c.Reply.Error(errNumKeysNeg)
		return
	}
	var script *scripting.Script
	if bySHA {
		if script = s.scripts.Lookup(args[1]); script == nil {
			c.Reply.Error(errNoScript)
			return
		}
	} else {
		var errText string
		if script, errText = s.scripts.Load(args[1]); script == nil {
			c.Reply.Error(errText)
			return
		}
	}
	run, errText := s.prepareScript(c, script.Flags, ro)
	if errText != "" {
		c.Reply.Error(errText)
		return
	}
	keys := args[3 : 3+numkeys]
	if len(keys) > 0 {
		run.slot = int(ring.KeySlot(keys[0]))
	}
	ctx := s.beginScript(run)
	run.lua = scripting.Run{Keys: keys, Args: args[3+numkeys:], Caller: run, Name: script.SHA, Watched: true}
	s.scripts.Eval(ctx, script, &run.lua, c.Reply)
	s.endScript(run)
	run.finish()
	s.releaseScript(run)
}

// prepareScript is scriptPrepareForRun: the checks of a script's flags
// before it runs, and the run's state. errText is Redis's error.
func (s *Server) prepareScript(c *Call, flags scripting.Flags, ro bool) (*scriptRun, string) {
	compat := flags&scripting.EvalCompat != 0
	oom := s.lim.maxMemory.Load() != 0 && !s.reclaim()
	if !compat {
		if flags&scripting.NoCluster != 0 && !s.standalone {
			return nil, errNoCluster
		}
		if flags&scripting.NoWrites == 0 && ro {
			return nil, errWriteScriptRO
		}
		if oom && flags&(scripting.AllowOOM|scripting.NoWrites) == 0 {
			return nil, errScriptOOM
		}
	}
	r, _ := s.scriptRuns.pool.Get().(*scriptRun)
	if r == nil {
		r = &scriptRun{}
	}
	r.s, r.c, r.tx, r.ownTx, r.slot, r.args, r.start = s, c.Client, c.Tx, false, -1, c.Args, c.Client.cmdStart()
	r.oom, r.dirty, r.function = oom, false, false
	r.readOnly = ro || (!compat && flags&scripting.NoWrites != 0)
	r.allowOOM = !compat && flags&scripting.AllowOOM != 0
	r.allowCross = compat || flags&scripting.AllowCrossSlot != 0
	r.busy.dirty.Store(false)
	return r, ""
}

func scriptExists(c *Call) {
	c.Reply.Array(len(c.Args) - 2)
	for _, sha := range c.Args[2:] {
		if c.Server.scripts.Exists(sha) {
			c.Reply.Int(1)
		} else {
			c.Reply.Int(0)
		}
	}
}

func scriptFlush(c *Call) { flushScripts(c, errScriptFlush, c.Server.scripts.Flush) }

// flushScripts is SCRIPT FLUSH and FUNCTION FLUSH [ASYNC|SYNC] (both
// flush at once): flush, then the same command on every other node.
// errSyntax answers another argument, in the command's words.
func flushScripts(c *Call, errSyntax string, flush func()) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !strings.EqualFold(string(c.Args[2]), "sync") && !strings.EqualFold(string(c.Args[2]), "async")) {
		c.Reply.Error(errSyntax)
		return
	}
	flush()
	c.Server.fanOut(c.Client, c.Args)
	c.Reply.OK()
}

func scriptLoad(c *Call) {
	script, errText := c.Server.scripts.Load(c.Args[2])
	if script == nil {
		c.Reply.Error(errText)
		return
	}
	c.Server.fanOut(c.Client, c.Args)
	c.Reply.BulkString(script.SHA)
}

func scriptKill(c *Call) {
	if msg := c.Server.killScripts(false); msg != "" {
		c.Reply.Error(msg)
		return
	}
	c.Reply.OK()
}

// scriptDebug: SCRIPT DEBUG NO is accepted (it is the only mode);
// meshcache has no Lua debugger for YES and SYNC.
func scriptDebug(c *Call) {
	switch strings.ToLower(string(c.Args[2])) {
	case "no":
		c.Reply.OK()
	case "yes", "sync":
		c.Reply.Error(errNoDebugger)
	default:
		c.Reply.Error(errScriptDebug)
	}
}
