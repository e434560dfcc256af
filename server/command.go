package server

import (
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/bitmap"
	"github.com/meshcache/meshcache/server/commands/geo"
	"github.com/meshcache/meshcache/server/commands/hyperloglog"
	"github.com/meshcache/meshcache/server/commands/sortcmd"
	"github.com/meshcache/meshcache/server/commands/zset"
	"github.com/meshcache/meshcache/server/connection"
	"github.com/meshcache/meshcache/server/debug"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/latency"
	"github.com/meshcache/meshcache/server/module"
	"github.com/meshcache/meshcache/server/objects"
	"github.com/meshcache/meshcache/server/replack"
	"github.com/meshcache/meshcache/server/scripts"
)

// The command table's types live in package commands, with the families
// that need only the keyspace; the front end's own commands (INFO,
// SHUTDOWN, the transactions, CLUSTER LEAVE ...) use the same Command type,
// with handlers that also see the connection (fe).
type (
	Command = commands.Command
	Flags   = commands.Flags
	// entry is a command as the dispatcher uses it (package cmdtable).
	entry = cmdtable.Entry
)

// Command flags, as package commands defines them.
const (
	FlagWrite           = commands.FlagWrite
	FlagReadOnly        = commands.FlagReadOnly
	FlagDenyOOM         = commands.FlagDenyOOM
	FlagAdmin           = commands.FlagAdmin
	FlagNoScript        = commands.FlagNoScript
	FlagLoading         = commands.FlagLoading
	FlagStale           = commands.FlagStale
	FlagSkipMonitor     = commands.FlagSkipMonitor
	FlagSkipSlowlog     = commands.FlagSkipSlowlog
	FlagFast            = commands.FlagFast
	FlagNoAuth          = commands.FlagNoAuth
	FlagNoMulti         = commands.FlagNoMulti
	FlagAllowBusy       = commands.FlagAllowBusy
	FlagNoMandatoryKeys = commands.FlagNoMandatoryKeys
	FlagNoAsyncLoading  = commands.FlagNoAsyncLoading
	FlagBlocking        = commands.FlagBlocking
	FlagRunsInMulti     = commands.FlagRunsInMulti
	FlagWatchesKeys     = commands.FlagWatchesKeys
	FlagSecretArgs      = commands.FlagSecretArgs
	FlagPubSub          = commands.FlagPubSub
	FlagSubscribedOK    = commands.FlagSubscribedOK
	FlagLocal           = commands.FlagLocal
	FlagNotKeyspace     = commands.FlagNotKeyspace
	FlagProtected       = commands.FlagProtected
	FlagMayReplicate    = commands.FlagMayReplicate
	FlagArgsTransient   = commands.FlagArgsTransient
	FlagEndsMulti       = commands.FlagEndsMulti
)

// Call is one of the front end's own commands being executed: the
// commands.Call (arguments, Tx, reply, store) plus the connection and the
// server.
type Call struct {
	*commands.Call
	Client *Client // the connection's state
	Server *Server
	// Script: a script runs the command (a script's frame), which must
	// not block, as Redis's CLIENT_DENY_BLOCKING (WAIT answers at once).
	Script bool
}

// fe adapts a front-end handler to the table's handler type: the
// dispatcher puts the connection's *Call in commands.Call.Conn.
func fe(h func(*Call)) func(*commands.Call) {
	return func(c *commands.Call) { h(c.Conn.(*Call)) }
}

// commandGroups lists every group of commands in the table, the only place
// where groups are registered. Each group is a function in the file (or
// package) of its group; a new family, in package commands or a package of
// its own under it, is one line here.
var commandGroups = []func() []*Command{
	connection.Commands,       // connection/connection.go (connection_front.go: the front end's side): PING ECHO QUIT AUTH SELECT HELLO RESET CLIENT READONLY READWRITE ASKING
	serverCommands,            // servercmds.go: COMMAND (commands/commandcmd.go) CONFIG (config/command.go) INFO DBSIZE FLUSHALL FLUSHDB TIME (commands/servercmds.go) SHUTDOWN SLOWLOG (slowlog/command.go)
	objects.Commands,          // objects/objects.go (servercmds.go: the front end's side): MEMORY OBJECT
	transactionCommands,       // transactions.go: MULTI EXEC DISCARD WATCH UNWATCH
	clusterCommands,           // cluster_cmds.go (topology/commands.go): CLUSTER
	replack.Commands,          // replack/wait.go (replication.go: WaitCall): WAIT WAITAOF (commands/servercmds.go)
	latency.Commands,          // latency/command.go (latencycmd.go: the front end's side): LATENCY
	debug.Commands,            // debug/debug.go (debugcmd.go: who may run it): DEBUG
	module.Commands,           // module/module.go (debugcmd.go: who may run it): MODULE, which loads none
	events.PubSubCommands,     // events/pubsub.go: SUBSCRIBE PSUBSCRIBE SSUBSCRIBE (and UN-), PUBLISH SPUBLISH PUBSUB
	events.MonitorCommands,    // events/monitor.go (monitor.go: what the front end feeds): MONITOR
	scripts.ScriptingCommands, // scripts/scripts.go: EVAL EVALSHA EVAL_RO EVALSHA_RO SCRIPT
	scripts.FunctionCommands,  // scripts/functions.go: FCALL FCALL_RO FUNCTION
	commands.StringCommands,   // commands/strings.go
	commands.KeyCommands,      // commands/keys.go
	commands.HashCommands,     // commands/hashes.go
	commands.ListCommands,     // commands/lists.go: the list commands, blocking ones included
	sortcmd.Commands,          // commands/sortcmd: SORT SORT_RO
	commands.SetCommands,      // commands/sets.go
	zset.Commands,             // commands/zset: the sorted-set commands, blocking pops included
	geo.Commands,              // commands/geo: GEOADD GEOPOS GEODIST GEOHASH GEOSEARCH[STORE] GEORADIUS[BYMEMBER][_RO]
	bitmap.Commands,           // commands/bitmap: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO
	commands.LCSCommands,      // commands/lcs.go: LCS
	hyperloglog.Commands,      // commands/hyperloglog (commands/hll: the representation): PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST
	commands.LockCommands,     // commands/locks.go: LOCK.ACQUIRE LOCK.CONFIRM LOCK.RELEASE LOCK.EXTEND
	commands.DumpCommands,     // commands/dump.go (store/rdb: the encodings): DUMP RESTORE
}
