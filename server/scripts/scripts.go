// Package scripts is the front end's scripting: EVAL, EVALSHA, their _RO
// forms, SCRIPT, FCALL, FCALL_RO and FUNCTION; Redis's checks before a
// script runs (prepare); the rules of a script's own commands (run.go:
// scriptCall's checks, the slots of its keys); busy scripts and their
// watchdog (busy.go); and the spread of SCRIPT LOAD, FUNCTION LOAD and the
// like to every member (cluster.go). The Lua environment is package
// scripting; this package is what connects it to the node.
//
// It never sees a connection or the Server: the front end (package server)
// implements Front, runs a script's commands through it, and passes its
// per-call state in commands.Call.Conn, which implements Conn. The cluster
// is asked through Cluster, whose one-node form (cluster/solo) leads every
// slot and has no peers.
//
// Keys and slots (docs/DESIGN.md §6): the declared keys' slots are locked
// by the dispatcher for the whole run, as for any keyed command, and the
// routing forwards EVAL to their primary (keys of several slots:
// -CROSSSLOT, as Redis Cluster). A key the script did not declare is
// reached under the rules of run.go.
package scripts

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/server/scripting"
	"github.com/meshcache/meshcache/store"
)

// Front is the front end's part in a script's commands; package server
// implements it.
type Front interface {
	// Find returns the command args name (a container's subcommand when
	// args names one), the zero Cmd when there is none, and puts the
	// positions of its keys in args in f.Keys.
	Find(f *Frame, args [][]byte) Cmd
	// Exec runs cmd with args for the client that runs the script (its
	// Client.Handle), in the script's frame f (the reply goes to
	// f.Reply), holding tx (nil: it holds no slot; Exec never closes it).
	// Its stats, slow log, tracking and replication positions are those
	// of any command; a blocking command answers as if it timed out.
	Exec(client any, f *Frame, cmd Cmd, args [][]byte, tx *store.Tx)
	// CloseTx releases the Tx a keyless script took for the keys it
	// reached (a panic in the store is logged, not fatal).
	CloseTx(tx *store.Tx)
	// OverMaxMemory reports whether maxmemory is set and the node could
	// not get under it (Redis's OOM state when a script starts).
	OverMaxMemory() bool
}

// Cmd is a command of the table as Front.Find found it.
type Cmd struct {
	*commands.Command // nil: no such command
	// Keyspace: the command reads or writes keys without naming them
	// (DBSIZE, SCAN ...) and locks their slots itself.
	Keyspace bool
	// Ref is the front end's own handle of the command, given back to Exec.
	Ref any
}

// Frame is where a script's commands run: their reply, the positions of
// the current command's keys and the front end's scratch (Front), reused
// from one command to the next and, pooled, from one run to the next.
type Frame struct {
	Reply resp.Reply
	Keys  []int
	// Front is the front end's own state of the frame, made by it on
	// first use; nil until then.
	Front any
}

// Conn is the front end's state of a call (commands.Call.Conn), which the
// scripting commands' handlers ask for the node's scripts and the client.
type Conn interface {
	ScriptCall() (*Scripts, Client)
}

// Client is the client running a scripting command.
type Client struct {
	ID    uint64
	Start time.Time // when its command began
	// Forwarded: the command arrived forwarded by another member; it is
	// not fanned out again.
	Forwarded bool
	// Handle is the front end's client, given back to Front.Exec.
	Handle any
}

// Cluster is the node's membership as scripts use it: package server's
// Cluster implements it, and so does its one-node form (cluster/solo),
// which leads every slot and has no peers.
type Cluster interface {
	// ID is this node's ID, as the routing table names it.
	ID() ring.NodeID
	// Route returns the node leading slot now and whether that is this one.
	Route(slot uint16) (ring.NodeID, bool)
	Self() cluster.NodeInfo
	Members() []cluster.NodeInfo
	// Forward runs one command on node id and returns its raw RESP reply.
	Forward(ctx context.Context, id ring.NodeID, resp3 bool, args [][]byte) ([]byte, error)
}

// Scripts is one node's scripting: the Lua engine, the scripts running
// now and the function commands that arrived by fan-out. Safe for
// concurrent use.
type Scripts struct {
	engine *scripting.Engine
	front  Front
	store  *store.Store
	log    *slog.Logger
	// done is closed when the node stops: the watchdog ends.
	done <-chan struct{}
	// cluster and standalone are set by SetCluster before the node
	// serves; read-only afterwards. standalone: a node alone for good,
	// where Redis Cluster's rules for scripts do not apply.
	cluster    Cluster
	standalone bool
	runs       registry
	fanIn      fanInLog
}

// New returns the scripting of a node over st whose commands run through
// front; done is closed when the node stops. SetCluster must give it the
// node's membership before it serves.
func New(front Front, st *store.Store, log *slog.Logger, done <-chan struct{}) *Scripts {
	return &Scripts{engine: scripting.New(log), front: front, store: st, log: log, done: done}
}

// SetCluster gives the scripts the node's membership; standalone: the
// node is alone for good (cluster mode off). Called before the node serves.
func (sc *Scripts) SetCluster(c Cluster, standalone bool) {
	sc.cluster, sc.standalone = c, standalone
}

// Engine is the node's Lua engine: the script cache, the function
// libraries and the pool of states.
func (sc *Scripts) Engine() *scripting.Engine { return sc.engine }

// call is one scripting command being run: the table's call, the node's
// scripts and the client.
type call struct {
	*commands.Call
	sc     *Scripts
	client Client
}

// handler adapts a scripting handler to the table's handler type: the
// front end's Conn gives the scripts and the client.
func handler(h func(call)) func(*commands.Call) {
	return func(c *commands.Call) {
		sc, cl := c.Conn.(Conn).ScriptCall()
		h(call{Call: c, sc: sc, client: cl})
	}
}

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

// evalFlags are the flags of EVAL, EVALSHA, FCALL and (with readonly)
// their _RO forms.
const evalFlags = commands.FlagNoScript | commands.FlagStale | commands.FlagSkipMonitor | commands.FlagNoMandatoryKeys

// scriptKeys is the key spec of EVAL and FCALL (ro: their _RO forms):
// numkeys at argument 2, the keys after it, with Redis's note.
func scriptKeys(ro bool) commands.KeySpec {
	if ro {
		k := commands.KeyNum(commands.RO|commands.Access, 2, 0, 1, 1)
		k.Notes = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
		return k
	}
	k := commands.KeyNum(commands.RW|commands.Access|commands.Update, 2, 0, 1, 1)
	k.Notes = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
	return k
}

// ScriptingCommands is the EVAL family and SCRIPT.
func ScriptingCommands() []*commands.Command {
	const g, acl = "scripting", commands.ACLScripting
	rw, ro := scriptKeys(false), scriptKeys(true)
	// EVALSHA's and EVALSHA_RO's specs have no note in Redis's JSON.
	rwSHA, roSHA := rw, ro
	rwSHA.Notes, roSHA.Notes = "", ""
	return []*commands.Command{
		{Name: "eval", Arity: -3, Flags: evalFlags | commands.FlagMayReplicate, ACL: acl, Keys: []commands.KeySpec{rw},
			Group: g, Since: "2.6.0", Summary: "Executes a server-side Lua script.",
			Handler: handler(func(c call) { evalCommand(c, false, false) })},
		{Name: "evalsha", Arity: -3, Flags: evalFlags | commands.FlagMayReplicate, ACL: acl, Keys: []commands.KeySpec{rwSHA},
			Group: g, Since: "2.6.0", Summary: "Executes a server-side Lua script by SHA1 digest.",
			Handler: handler(func(c call) { evalCommand(c, true, false) })},
		{Name: "eval_ro", Arity: -3, Flags: evalFlags | commands.FlagReadOnly, ACL: acl, Keys: []commands.KeySpec{ro},
			Group: g, Since: "7.0.0", Summary: "Executes a read-only server-side Lua script.",
			Handler: handler(func(c call) { evalCommand(c, false, true) })},
		{Name: "evalsha_ro", Arity: -3, Flags: evalFlags | commands.FlagReadOnly, ACL: acl, Keys: []commands.KeySpec{roSHA},
			Group: g, Since: "7.0.0", Summary: "Executes a read-only server-side Lua script by SHA1 digest.",
			Handler: handler(func(c call) { evalCommand(c, true, true) })},
		{Name: "script", Arity: -2, Group: g, Since: "2.6.0", Summary: "A container for Lua scripts management commands.",
			Subcommands: []*commands.Command{
				{Name: "script|debug", Arity: 3, Flags: commands.FlagNoScript, ACL: acl,
					Group: g, Since: "3.2.0", Summary: "Sets the debug mode of server-side Lua scripts.",
					Handler: handler(scriptDebug),
					Help: []string{"DEBUG (YES|SYNC|NO)",
						"    Set the debug mode for subsequent scripts executed."}},
				{Name: "script|exists", Arity: -3, Flags: commands.FlagNoScript, ACL: acl,
					Tips:  []string{commands.TipAllShards, commands.TipAggLogicalAnd},
					Group: g, Since: "2.6.0", Summary: "Determines whether server-side Lua scripts exist in the script cache.",
					Handler: handler(scriptExists),
					Help: []string{"EXISTS <sha1> [<sha1> ...]",
						"    Return information about the existence of the scripts in the script cache."}},
				{Name: "script|flush", Arity: -2, Flags: commands.FlagNoScript, ACL: acl,
					Tips:  []string{commands.TipAllNodes, commands.TipAllSucceeded},
					Group: g, Since: "2.6.0", Summary: "Removes all server-side Lua scripts from the script cache.",
					Handler: handler(scriptFlush),
					Help: []string{"FLUSH [ASYNC|SYNC]",
						"    Flush the Lua scripts cache. Very dangerous on replicas.",
						"    When called without the optional mode argument, the behavior is determined by the",
						"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
						"    * ASYNC: Asynchronously flush the scripts cache.",
						"    * SYNC: Synchronously flush the scripts cache."}},
				{Name: "script|kill", Arity: 2, Flags: commands.FlagNoScript | commands.FlagAllowBusy, ACL: acl,
					Tips:  []string{commands.TipAllShards, commands.TipOneSucceeded},
					Group: g, Since: "2.6.0", Summary: "Terminates a server-side Lua script during execution.",
					Handler: handler(killCommand(false)),
					Help:    []string{"KILL", "    Kill the currently executing Lua script."}},
				{Name: "script|load", Arity: 3, Flags: commands.FlagNoScript | commands.FlagStale, ACL: acl,
					Tips:  []string{commands.TipAllNodes, commands.TipAllSucceeded},
					Group: g, Since: "2.6.0", Summary: "Loads a server-side Lua script to the script cache.",
					Handler: handler(scriptLoad),
					Help:    []string{"LOAD <script>", "    Load a script into the scripts cache without executing it."}},
				{Name: "script|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, ACL: acl, Group: g, Since: "5.0.0",
					Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
			}},
	}
}

// evalCommand is evalGenericCommand: EVAL script|sha numkeys key... arg...
func evalCommand(c call, bySHA, ro bool) {
	sc, args := c.sc, c.Args
	numkeys, errText := numKeys(args, resp.ErrNotInteger)
	if errText != "" {
		c.Reply.Error(errText)
		return
	}
	var script *scripting.Script
	if bySHA {
		if script = sc.engine.Lookup(args[1]); script == nil {
			c.Reply.Error(errNoScript)
			return
		}
	} else if script, errText = sc.engine.Load(args[1]); script == nil {
		c.Reply.Error(errText)
		return
	}
	sc.runScript(c, script.Flags, ro, false, numkeys, script.SHA, func(ctx context.Context, lua *scripting.Run) {
		sc.engine.Eval(ctx, script, lua, c.Reply)
	})
}

// numKeys parses the numkeys argument of EVAL and FCALL (args[2]); errText
// is Redis's error, notInt its words for one that is not a number.
func numKeys(args [][]byte, notInt string) (n int, errText string) {
	numkeys, ok := resp.ParseInt64(args[2])
	switch {
	case !ok:
		return 0, notInt
	case numkeys > int64(len(args)-3):
		return 0, errNumKeysTooMany
	case numkeys < 0:
		return 0, errNumKeysNeg
	}
	return int(numkeys), ""
}

// runScript runs a script (function: an FCALL) named name, whose keys
// are the numkeys arguments after numkeys: Redis's checks of its flags
// (prepare), then exec with the run's context and its Lua side, with the
// run registered for the watchdog and the KILLs meanwhile.
func (sc *Scripts) runScript(c call, flags scripting.Flags, ro, function bool, numkeys int, name string, exec func(context.Context, *scripting.Run)) {
	r, errText := sc.prepare(c, flags, ro)
	if errText != "" {
		c.Reply.Error(errText)
		return
	}
	r.function = function
	keys := c.Args[3 : 3+numkeys]
	if len(keys) > 0 {
		r.slot = int(ring.KeySlot(keys[0]))
	}
	ctx := sc.begin(r)
	r.lua = scripting.Run{Keys: keys, Args: c.Args[3+numkeys:], Caller: r, Name: name, Watched: true}
	exec(ctx, &r.lua)
	sc.end(r)
	r.finish()
	sc.release(r)
}

// prepare is scriptPrepareForRun: the checks of a script's flags before
// it runs, and the run's state. errText is Redis's error.
func (sc *Scripts) prepare(c call, flags scripting.Flags, ro bool) (*run, string) {
	compat := flags&scripting.EvalCompat != 0
	oom := sc.front.OverMaxMemory()
	if !compat {
		if flags&scripting.NoCluster != 0 && !sc.standalone {
			return nil, errNoCluster
		}
		if flags&scripting.NoWrites == 0 && ro {
			return nil, errWriteScriptRO
		}
		if oom && flags&(scripting.AllowOOM|scripting.NoWrites) == 0 {
			return nil, errScriptOOM
		}
	}
	r, _ := sc.runs.pool.Get().(*run)
	if r == nil {
		r = &run{}
	}
	r.sc, r.client, r.tx, r.ownTx, r.slot, r.args, r.start = sc, c.client, c.Tx, false, -1, c.Args, c.client.Start
	r.oom, r.dirty, r.function = oom, false, false
	r.readOnly = ro || (!compat && flags&scripting.NoWrites != 0)
	r.allowOOM = !compat && flags&scripting.AllowOOM != 0
	r.allowCross = compat || flags&scripting.AllowCrossSlot != 0
	r.busy.dirty.Store(false)
	return r, ""
}

func scriptExists(c call) {
	c.Reply.Array(len(c.Args) - 2)
	for _, sha := range c.Args[2:] {
		if c.sc.engine.Exists(sha) {
			c.Reply.Int(1)
		} else {
			c.Reply.Int(0)
		}
	}
}

func scriptFlush(c call) { flushScripts(c, errScriptFlush, c.sc.engine.Flush) }

// flushScripts is SCRIPT FLUSH and FUNCTION FLUSH [ASYNC|SYNC] (both
// flush at once): flush, then the same command on every other node.
// errSyntax answers another argument, in the command's words.
func flushScripts(c call, errSyntax string, flush func()) {
	if len(c.Args) > 3 || (len(c.Args) == 3 && !strings.EqualFold(string(c.Args[2]), "sync") && !strings.EqualFold(string(c.Args[2]), "async")) {
		c.Reply.Error(errSyntax)
		return
	}
	flush()
	c.sc.fanOut(c.client, c.Args)
	c.Reply.OK()
}

func scriptLoad(c call) {
	script, errText := c.sc.engine.Load(c.Args[2])
	if script == nil {
		c.Reply.Error(errText)
		return
	}
	c.sc.fanOut(c.client, c.Args)
	c.Reply.BulkString(script.SHA)
}

// killCommand is SCRIPT KILL (functions false) and FUNCTION KILL.
func killCommand(functions bool) func(call) {
	return func(c call) {
		if msg := c.sc.kill(functions); msg != "" {
			c.Reply.Error(msg)
			return
		}
		c.Reply.OK()
	}
}

// scriptDebug: SCRIPT DEBUG NO is accepted (it is the only mode);
// meshcache has no Lua debugger for YES and SYNC.
func scriptDebug(c call) {
	switch strings.ToLower(string(c.Args[2])) {
	case "no":
		c.Reply.OK()
	case "yes", "sync":
		c.Reply.Error(errNoDebugger)
	default:
		c.Reply.Error(errScriptDebug)
	}
}
