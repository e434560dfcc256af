package cmdtable

import "github.com/meshcache/meshcache/server/commands"

// Keys returns the argument indexes of the keys of args, in dst (reset,
// so the caller's scratch is reused and nothing is allocated once it has
// grown): found by the key specs as Redis Cluster finds them
// (commands.Command.KeyPositions), movable keys included. None when the
// command has no key specs, or when a spec does not fit args (a bad
// numkeys): the command then runs here, without slots, and its handler
// answers the syntax error, as on Redis Cluster. It is also the
// events.Command that client tracking reads keys of.
func (e *Entry) Keys(args [][]byte, dst []int) []int {
	if e.OneKey > 0 && e.OneKey < len(args) {
		return append(dst[:0], e.OneKey) // inlined: the commonest case
	}
	return e.findKeys(args, dst)
}

// findKeys is Keys for every command but those with one key.
func (e *Entry) findKeys(args [][]byte, dst []int) []int {
	dst = dst[:0]
	if !e.Keyed {
		return dst
	}
	if e.rangeKeys {
		first, last, step, ok := e.keyRange(args)
		if !ok {
			return dst
		}
		for i := first; i <= last; i += step {
			dst = append(dst, i)
		}
		return dst
	}
	dst, ok := e.KeyPositions(args, dst)
	if !ok {
		return dst[:0]
	}
	return dst
}

// keyRange returns the argument indexes of the keys of args by the legacy
// range (lastKey -1 = the last argument, -2 the one before ...): keys are
// args[first], args[first+step] ... up to last; ok is false when args has
// none. Only for rangeKeys entries, whose specs it describes exactly.
func (e *Entry) keyRange(args [][]byte) (first, last, step int, ok bool) {
	if e.firstKey <= 0 || e.firstKey >= len(args) {
		return 0, 0, 0, false
	}
	last = e.lastKey
	if last < 0 {
		last = len(args) + last
	}
	if last >= len(args) {
		last = len(args) - 1
	}
	step = e.step
	if step <= 0 {
		step = 1
	}
	return e.firstKey, last, step, last >= e.firstKey
}

// SameSlotOnly reports whether a multi-key command needs all its keys in
// one slot, as Redis Cluster does: every multi-key command that the table
// does not split (not MultiShard) and that does not keep its keys on this
// node (WATCH). Its keys are changed together (RENAME, COPY), or all or
// none of them (MSETNX), which only one node can do atomically, and
// ownership changes as nodes come and go, so "same node" would make a
// command work or fail with the topology.
func (e *Entry) SameSlotOnly() bool {
	return !e.MultiShard && e.Flags&commands.FlagWatchesKeys == 0
}

// MayWrite reports whether the command writes, or may (a script or
// function not declared read-only, SPUBLISH): a node without its quorum
// lease refuses it up front with -CLUSTERDOWN, as Redis Cluster refuses
// every command but a read while the cluster is down, rather than running
// a script whose writes could only time out unacknowledged.
func (e *Entry) MayWrite() bool {
	return e.Flags&commands.FlagWrite != 0 || (e.Flags&commands.FlagMayReplicate != 0 && e.Flags&commands.FlagReadOnly == 0)
}

// CannotWait reports whether the command never waits once its slot is
// locked: fast, read-only, not blocking (what a cluster connection's
// reader may run itself: server.TryExecute).
func (e *Entry) CannotWait() bool {
	const want = commands.FlagReadOnly | commands.FlagFast
	return e.Flags&(want|commands.FlagBlocking|commands.FlagWrite|commands.FlagMayReplicate) == want
}

// MayStall reports whether the command may wait for more than its slots'
// locks and its replicas' acks: for another connection (blocking
// commands), another node or a long run (scripts and functions, EXEC,
// WAIT, and the other noscript or admin commands the table does not call
// fast, but for the connection group's own). An event loop runs the
// others itself (server's inlineSafe), and a cluster connection's reader
// runs a forwarded write of the others, its reply waiting for the replicas
// (server.TryExecute).
func (e *Entry) MayStall() bool {
	f := e.Flags
	return f&commands.FlagBlocking != 0 || f&commands.FlagAdmin != 0 && f&commands.FlagFast == 0 ||
		f&commands.FlagNoScript != 0 && f&commands.FlagFast == 0 && e.Group != ConnectionGroup
}

// ConnectionGroup is the table's group of the connection's own commands
// (PING, HELLO, CLIENT ...).
const ConnectionGroup = "connection"

// SkipSlowlog: the table's skip_slowlog flag (EXEC logs its commands one
// by one) and the commands whose arguments carry passwords (AUTH, HELLO).
func (e *Entry) SkipSlowlog() bool {
	return e.Flags&(commands.FlagSkipSlowlog|commands.FlagSecretArgs) != 0
}
