package server

import (
	"github.com/meshcache/meshcache/store"
)

// Flags describe a command to the dispatcher and to COMMAND's reply.
type Flags uint32

// Command flags, named as COMMAND reports them.
const (
	FlagWrite     Flags = 1 << iota // "write": changes the keyspace
	FlagReadOnly                    // "readonly": reads the keyspace only
	FlagDenyOOM                     // "denyoom": refused with -OOM above maxmemory
	FlagAdmin                       // "admin"
	FlagFast                        // "fast": O(1) or O(log N)
	FlagNoAuth                      // "no_auth": allowed before AUTH
	FlagNoMulti                     // "no_multi": not queued inside MULTI
	FlagLoading                     // "loading"
	FlagStale                       // "stale"
	FlagNoScript                    // "noscript"
	FlagAllowBusy                   // "allow_busy"
)

// Command is one entry of the command table: the single source for a
// command's name, arity, flags, key positions, documentation and handler.
// COMMAND, COMMAND INFO, COMMAND DOCS and routing are all derived from it.
type Command struct {
	Name  string // lower case, as COMMAND reports it
	Arity int    // as Redis: n means exactly n args (name included), -n at least n
	Flags Flags
	// FirstKey, LastKey and Step locate the keys in the arguments, as in
	// COMMAND's reply: LastKey -1 means the last argument, 0 means no keys.
	FirstKey, LastKey, Step int
	Group                   string // COMMAND DOCS group: "string", "generic", "hash", "connection", "server", "transactions", "cluster"
	Since                   string // Redis version that introduced the command
	Summary                 string // one line for COMMAND DOCS
	// Subcommands, for container commands (CLIENT, CONFIG ...). Their Name
	// is "container|sub", e.g. "client|setname", as COMMAND reports them.
	Subcommands []*Command
	// Handler runs the command and writes exactly one reply.
	Handler func(c *Call)
}

// Call is one command being executed.
type Call struct {
	Args   [][]byte  // Args[0] is the command name as the client sent it
	Client *Client   // the connection's state
	Tx     *store.Tx // holds the slots of every key of the command; nil when it has none
	Reply  *Reply    // where the handler writes its reply
	Server *Server
}

// Store returns the node's keyspace, for commands without keys (DBSIZE,
// SCAN, FLUSHALL ...). Commands with keys use c.Tx.
func (c *Call) Store() *store.Store { return c.Server.store }

// commandGroups lists every group of commands in the table. Each group is a
// function in the file for its group.
var commandGroups = []func() []*Command{
	connectionCommands,  // connection.go: PING ECHO QUIT AUTH SELECT HELLO CLIENT
	serverCommands,      // admin.go: COMMAND CONFIG INFO DBSIZE FLUSHALL FLUSHDB TIME SHUTDOWN MEMORY OBJECT SLOWLOG
	transactionCommands, // transactions.go: MULTI EXEC DISCARD WATCH UNWATCH
	stringCommands,      // strings.go
	keyCommands,         // keys.go
	hashCommands,        // hashes.go
	lockCommands,        // locks.go: LOCK.ACQUIRE LOCK.CONFIRM LOCK.RELEASE LOCK.EXTEND
}
