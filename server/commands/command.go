// Package commands holds the command table's type, the facts and helpers
// the families share (key specs, ACL categories and tips, option parsers,
// error texts, the merge of split replies), and the command families that
// need nothing but the keyspace: strings, generic keys, hashes, lists,
// sets, SORT, LCS, DUMP/RESTORE and the node-local LOCK.* commands. A
// family that is a concept of its own lives in a package under this one
// (zset, geo, bitmap, hyperloglog) that imports this one, never the other
// way. A family is a function returning its []*Command; the front end
// (package server) registers it with one line in its group list and does
// the rest: lookup, arity, auth, MULTI, routing, locking the slots of the
// keys, replication, stats. A handler sees only a Call: the arguments, the
// store transaction holding its keys' slots, the reply writer and what
// Host provides; never a connection or the cluster.
//
// Every fact about a command (arity, flags, ACL categories, tips, key
// specs, documentation, help text) is a field of its Command, as Redis 7
// publishes them in src/commands/*.json; COMMAND INFO, COMMAND DOCS,
// COMMAND GETKEYS and every decision of the front end are derived from
// these fields (see docs/DESIGN.md).
package commands

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Flags describe a command to the dispatcher and to COMMAND's reply. The
// ones up to FlagAllowBusy are Redis's command flags and COMMAND reports
// them under their Redis names; the ones after are meshcache's own facts
// that COMMAND does not report, because Redis has no such flag.
type Flags uint64

// Command flags, named as COMMAND reports them.
const (
	FlagWrite           Flags = 1 << iota // "write": changes the keyspace
	FlagReadOnly                          // "readonly": reads the keyspace only
	FlagDenyOOM                           // "denyoom": refused with -OOM above maxmemory
	FlagAdmin                             // "admin" (implies the @admin and @dangerous categories)
	FlagPubSub                            // "pubsub"
	FlagNoScript                          // "noscript"
	FlagBlocking                          // "blocking"
	FlagLoading                           // "loading"
	FlagStale                             // "stale"
	FlagSkipMonitor                       // "skip_monitor": the front end shows it to MONITOR before it runs, not after (as Redis's handlers of EVAL and FCALL feed the monitors themselves)
	FlagSkipSlowlog                       // "skip_slowlog": never in the slow log (EXEC logs its commands one by one; AUTH and HELLO carry passwords)
	FlagAsking                            // "asking"
	FlagFast                              // "fast": O(1) or O(log N)
	FlagNoAuth                            // "no_auth": allowed before AUTH
	FlagNoMandatoryKeys                   // "no_mandatory_keys"
	FlagNoAsyncLoading                    // "no_async_loading"
	FlagNoMulti                           // "no_multi": refused inside MULTI
	FlagAllowBusy                         // "allow_busy"

	// FlagRunsInMulti: runs at once even inside MULTI instead of being
	// queued (EXEC DISCARD MULTI WATCH QUIT RESET), as Redis does.
	FlagRunsInMulti
	// FlagWatchesKeys: the command names keys that this node keeps for
	// the connection (WATCH): they may span several slots of one node,
	// but never several nodes, and the command is never forwarded.
	FlagWatchesKeys
	// FlagSecretArgs: the arguments carry a password (AUTH, HELLO): the
	// command is never logged (slow log).
	FlagSecretArgs
	// FlagSubscribedOK: allowed while a RESP2 connection is in subscribed
	// mode ((P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PING, QUIT, RESET), as Redis.
	FlagSubscribedOK
	// FlagLocal: runs on the node the client is connected to, whoever
	// leads the slots its key specs name (SSUBSCRIBE, SUNSUBSCRIBE and
	// SPUBLISH name shard channels, which are the connection's or every
	// node's business): a cluster still refuses names in several slots
	// (-CROSSSLOT), but the command is never forwarded and locks no slot.
	FlagLocal
	// FlagNotKeyspace: a write that changes no key (FUNCTION LOAD, DELETE,
	// FLUSH, RESTORE: Redis flags them write, for the function
	// libraries): it is not keyspace-wide and no replica acknowledges it.
	FlagNotKeyspace
	// FlagProtected: refused unless enable-debug-command allows it for the
	// connection (DEBUG), as Redis's CMD_PROTECTED; COMMAND does not
	// report it, as Redis does not.
	FlagProtected
	// FlagMayReplicate: Redis's may_replicate, which COMMAND hides (EVAL,
	// EVALSHA, FCALL, PUBLISH, SPUBLISH, PFCOUNT): with the read and
	// write flags, what a MONITOR client may not run.
	FlagMayReplicate
	// FlagArgsTransient: the handler keeps no reference to its arguments
	// (their bytes or the slice of them) once it returns: what it stores
	// it copies (store writes, effects), what it answers it appends to the
	// reply. A batch of only such commands, run here to the end, lets the
	// connection read its next batch over this one's input
	// (resp.Conn.Recycle), so a steady pipeline allocates nothing. Set
	// only on handlers read for it; a command without it just keeps the
	// old way (its input buffer is never rewritten).
	FlagArgsTransient
	// FlagEndsMulti: refused before it runs (-BUSY while a script runs
	// long, a wrong number of arguments, -NOAUTH ...), the command ends the
	// open transaction and answers -EXECABORT with the refusal's reason
	// (EXEC), as Redis's rejectCommand calls execCommandAbort.
	FlagEndsMulti
)

// reportedFlags are the flags COMMAND reports, in Redis's order, with their
// names ("movablekeys", which is derived from the key specs, goes between
// no_multi and allow_busy).
var reportedFlags = []struct {
	f    Flags
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"}, {FlagAdmin, "admin"},
	{FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"}, {FlagBlocking, "blocking"}, {FlagLoading, "loading"},
	{FlagStale, "stale"}, {FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagAsking, "asking"}, {FlagFast, "fast"}, {FlagNoAuth, "no_auth"},
	{FlagNoMandatoryKeys, "no_mandatory_keys"}, {FlagNoAsyncLoading, "no_async_loading"},
	{FlagNoMulti, "no_multi"}, {0, "movablekeys"}, {FlagAllowBusy, "allow_busy"},
}

// Command is one entry of the command table: the single source for a
// command's name, arity, flags, ACL categories, tips, key specs,
// documentation, help text and handler. COMMAND, COMMAND INFO, COMMAND
// DOCS, COMMAND GETKEYS, HELP replies and the front end's routing, MULTI,
// slow log and merge decisions are all derived from it.
type Command struct {
	Name  string // lower case, as COMMAND reports it; "container|sub" for a subcommand
	Arity int    // as Redis: n means exactly n args (name included), -n at least n
	Flags Flags
	// ACL are the categories Redis's JSON lists for the command; the ones
	// implied by the flags (@write @read @admin @dangerous @pubsub @fast
	// @slow @blocking) are added by Categories, as Redis does.
	ACL ACL
	// Tips are Redis's command tips as COMMAND INFO reports them, lower
	// case: "request_policy:multi_shard", "response_policy:agg_sum",
	// "nondeterministic_output" ... (see the Tip constants).
	Tips []string
	// Keys locate the key arguments, as Redis 7's key specs. The legacy
	// first/last/step of COMMAND are derived from them (LegacyRange).
	Keys []KeySpec
	// VariableKeyFlags gives the flags of the keys of a VariableFlags key
	// spec from the arguments, as Redis's getkeys_proc of the command
	// (SET: OW without GET, RW with it).
	VariableKeyFlags func(args [][]byte) KeyFlags
	// KeysProc finds the keys of a command whose key specs cannot (an
	// Unknown spec), as Redis's getkeys_proc of the command (SORT's
	// STORE): it appends them to out. When set, it alone finds the keys.
	KeysProc func(args [][]byte, out []KeyRef) []KeyRef
	Group    string // COMMAND DOCS group: "string", "generic", "hash", "connection", "server", "transactions", "cluster"
	Since    string // Redis version that introduced the command
	Summary  string // one line for COMMAND DOCS
	// Help is what the container's HELP reply says about this command,
	// line by line as printed (descriptions indented by four spaces): a
	// subcommand's syntax and description, or for a container the text
	// for "(no subcommand)". HELP replies are generated from them.
	Help []string
	// TimeoutArg is, for a blocking command, the position of its timeout
	// argument in seconds; negative counts from the end (-1: the last).
	// The front end reads it to bound a blocked call it forwards.
	TimeoutArg int
	// Subcommands, for container commands (CLIENT, CONFIG ...). Their Name
	// is "container|sub", e.g. "client|setname", as COMMAND reports them.
	Subcommands []*Command
	// Event is the keyspace notification named after the command that
	// its handler emits (Call.NotifyOwn) where Redis's does: "incrby" for
	// INCR, DECR and INCRBY, "zremrangebyscore" ... Events several
	// commands share ("del", "set", "expire" ...) are notify's.
	Event notify.Event
	// Handler runs the command and writes exactly one reply.
	Handler func(c *Call)
}

// Host is what the front end provides to every command.
type Host interface {
	// ProtoMaxBulkLen is proto-max-bulk-len: the largest string a
	// command may build (APPEND, SETRANGE); 0 or less means the default.
	ProtoMaxBulkLen() int64
	// HLLSparseMaxBytes is hll-sparse-max-bytes: the largest sparse
	// HyperLogLog, past which it is promoted to dense.
	HLLSparseMaxBytes() int64
	// Command returns the table's command or "container|sub" named name
	// (any case), nil if none.
	Command(name string) *Command
	// Commands returns every top-level command of the table, in name
	// order (COMMAND, COMMAND COUNT, LIST, INFO and DOCS).
	Commands() []*Command
	// Leads reports whether this node leads slot now (a node alone leads
	// every slot). Keyspace-wide commands (KEYS, SCAN, RANDOMKEY) act on
	// the slots it leads, as on a Redis Cluster master, so a client that
	// asks every master counts every key once.
	Leads(slot uint16) bool
	// Standalone reports Redis's cluster mode off (--cluster-enabled no):
	// a command may reach keys of any slot, as SORT's BY and GET patterns
	// do on a standalone redis-server.
	Standalone() bool
}

// Call is one command being executed.
type Call struct {
	Args [][]byte // Args[0] is the command name as the client sent it
	// Tx holds the slots of every key of the command, as its key specs
	// find them (Command.KeyPositions). It is nil when the command has no
	// keys, and also when its specs do not fit Args (a keynum count that
	// is zero, negative, not a number or past the arguments): the command
	// then runs where it was sent, and its handler must answer the syntax
	// error before touching a key, as Redis's handlers do on Redis Cluster.
	Tx    *store.Tx
	Reply *resp.Reply // where the handler writes its reply
	// Store is the node's keyspace, for commands without keys (DBSIZE,
	// SCAN, FLUSHALL ...). Commands with keys use Tx.
	Store *store.Store
	Locks *lock.Table // the node-local lock table of the LOCK.* commands
	Host  Host
	// Conn is the front end's own state of the call (its connection and
	// server), opaque here; only the front end's commands read it.
	Conn any
	// Blocked is set by Block: a blocking command found nothing to serve
	// and wrote no reply (see blocking.go).
	Blocked *Block
	// Cmd is the table entry being run (nil in some tests).
	Cmd *Command
	// Events publishes the call's keyspace notifications (the node's
	// Hub); nil publishes none.
	Events Notifier
}

// Notifier publishes keyspace notifications (server/events' Hub): the
// caller leads the key's slot and holds its lock; it never blocks.
type Notifier interface {
	// Notify publishes ev for key if notify-keyspace-events selects it.
	Notify(ev notify.Event, key []byte)
	// Wants reports whether events of class c would be published now.
	Wants(c notify.Class) bool
}

// Notify emits the keyspace notification ev for key, where Redis's
// handler calls notifyKeyspaceEvent.
func (c *Call) Notify(ev notify.Event, key []byte) {
	if c.Events != nil {
		c.Events.Notify(ev, key)
	}
}

// NotifyOwn emits the command's own event (Command.Event) for key.
func (c *Call) NotifyOwn(key []byte) { c.Notify(c.Own(), key) }

// Own is the command's own event (Command.Event); none without a Cmd.
func (c *Call) Own() notify.Event {
	if c.Cmd == nil {
		return notify.Event{}
	}
	return c.Cmd.Event
}

// Wants reports whether an event of class cl would be published now: a
// handler that must look before it changes a key to know which events to
// emit looks only then.
func (c *Call) Wants(cl notify.Class) bool { return c.Events != nil && c.Events.Wants(cl) }

// NotifyGone emits "del" for key when the command left it missing: a
// collection whose last element it removed, as Redis's handlers follow
// their event with "del" when the key was removed. Free when "g" is off.
func (c *Call) NotifyGone(key []byte) {
	if c.Events != nil && c.Tx != nil && c.Events.Wants(notify.Generic) && !c.Tx.Has(key) {
		c.Events.Notify(notify.Del, key)
	}
}

// StoreExisted reports, before a *STORE command writes dst, whether dst
// exists; it looks only when "del" could be published (Stored).
func (c *Call) StoreExisted(dst []byte) bool { return c.Wants(notify.Generic) && c.Tx.Has(dst) }

// Stored finishes a *STORE command that stored n elements at dst, as
// Redis's: a non-empty result emits the command's own event and counts
// changes in rdb_changes_since_last_save (Redis counts 1 for the set
// operations, the elements for SORT and GEO*STORE); an empty one emits
// "del" when dst existed before (existed, from StoreExisted) and is now
// gone, and counts as the delete it was.
func (c *Call) Stored(dst []byte, n int64, existed bool, changes int) {
	if n > 0 {
		c.NotifyOwn(dst)
		c.CountChanges(changes)
	} else if existed {
		c.Notify(notify.Del, dst)
	}
}

// NotifyChanged emits ev for key and then, if the command removed key,
// "del" (NotifyGone): what Redis's HDEL, SREM, LPOP, ZREM ... emit.
func (c *Call) NotifyChanged(ev notify.Event, key []byte) {
	c.Notify(ev, key)
	c.NotifyGone(key)
}

// ReplyStoreError answers a failed store operation. Store errors carry
// their Redis error text (WRONGTYPE ..., OOM ...), so they are sent as is.
func (c *Call) ReplyStoreError(err error) { c.Reply.Error(err.Error()) }

// Name returns the lower-case name of the command being run, for error
// texts that name it (Redis uses c->cmd->fullname).
func (c *Call) Name() string { return string(bytes.ToLower(c.Args[0])) }

// MaxBulkLen is proto-max-bulk-len: the largest string a command may build
// (Host.ProtoMaxBulkLen, or the protocol's default when it sets none).
func (c *Call) MaxBulkLen() int64 {
	if c.Host != nil {
		if l := c.Host.ProtoMaxBulkLen(); l > 0 {
			return l
		}
	}
	return resp.MaxBulkLen
}

// ArityOK reports whether n arguments (the name included) fit the command's arity.
func (c *Command) ArityOK(n int) bool {
	if c.Arity > 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// HelpReply writes the HELP reply of container cmd as Redis's addReplyHelp
// does: a header line, the container's own Help, each subcommand's Help in
// the order of Subcommands, then HELP itself.
func HelpReply(r *resp.Reply, cmd *Command) {
	lines := cmd.Help
	for _, sc := range cmd.Subcommands {
		lines = append(lines[:len(lines):len(lines)], sc.Help...)
	}
	r.Array(len(lines) + 3)
	r.Status(strings.ToUpper(cmd.Name) + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		r.Status(l)
	}
	r.Status("HELP")
	r.Status("    Print this help.")
}

// FlagNames returns the flags COMMAND reports for c, in Redis's order.
func (c *Command) FlagNames() []string {
	var out []string
	movable := c.MovableKeys()
	for _, f := range reportedFlags {
		if (f.f != 0 && c.Flags&f.f != 0) || (f.f == 0 && movable) {
			out = append(out, f.name)
		}
	}
	return out
}

// SubcommandSyntaxError answers a container's subcommand called with
// arguments it does not take, as Redis's addReplySubcommandSyntaxError:
// the subcommand as sent, the container upper-cased.
func SubcommandSyntaxError(c *Call) {
	c.Reply.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try %s HELP.",
		resp.OneLine(c.Args[1]), strings.ToUpper(string(c.Args[0]))))
}

// Help is the handler of a container's HELP subcommand: the reply is
// generated from the container's table entry (HelpReply).
func Help(c *Call) {
	cmd := c.Host.Command(string(c.Args[0]))
	if cmd == nil {
		c.Reply.Error("ERR unknown command")
		return
	}
	HelpReply(c.Reply, cmd)
}

// CountChanges makes the command count n changes in INFO's
// rdb_changes_since_last_save, where Redis's handler adds n to
// server.dirty and that differs from one per key changed (LPUSH counts
// its elements, RENAME one). Called after the command's writes.
func (c *Call) CountChanges(n int) {
	if c.Tx != nil {
		c.Tx.CountChanges(n)
	}
}
