package server

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/scatter"
)

// entry is a Command as the dispatcher uses it: the table's definition plus
// what is derived from it once (subcommand index, dispatch hints) and the
// per-command counters of INFO commandstats.
type entry struct {
	*Command
	parent *entry
	subs   map[string]*entry // lower-case subcommand name -> entry; nil if not a container
	sorted []*entry          // subcommands by name

	// runsInMulti: executed at once even inside MULTI (the table's
	// FlagRunsInMulti: EXEC DISCARD MULTI WATCH QUIT RESET), as Redis does.
	runsInMulti bool
	// keyspace: reads or writes keys without naming them (DBSIZE, FLUSHALL,
	// SCAN ...); inside EXEC it runs outside the transaction's slot locks.
	keyspace bool
	// multiShard: the request_policy:multi_shard tip: split by owner when
	// the keys live on several nodes, the parts merged by the response
	// policy (scatter.go).
	multiShard bool
	// firstKey, lastKey, step: the legacy key range of COMMAND INFO,
	// derived from the key specs (Command.LegacyRange); the front end never
	// routes by it (it misses movable keys): it finds keys with keys.
	firstKey, lastKey, step int
	// keyed: the command has key specs, so its arguments name the keys
	// (or shard channels) it is routed, locked and replicated by.
	keyed bool
	// rangeKeys: the legacy range describes every key the specs find
	// (no movable keys), so keys computes them from it: the same keys,
	// as Redis Cluster finds them for such commands, without walking the
	// specs on the hot path (GET, SET, MGET ...).
	rangeKeys bool
	// oneKey: the argument index of the command's one key when the legacy
	// range names exactly one (GET, SET, INCR, HSET ...), else 0.
	oneKey int

	stats cmdstats.Counters
}

// hasKeys reports whether the command names keys in its arguments (it has
// key specs); a call may still find none (keys).
func (e *entry) hasKeys() bool { return e.keyed }

// buildTable indexes every group's commands. A duplicate name or a
// malformed entry is a programming error in the table and panics at start.
func (s *Server) buildTable() {
	s.commands = make(map[string]*entry)
	for _, group := range commandGroups {
		for _, cmd := range group() {
			e := newEntry(cmd, nil)
			if _, dup := s.commands[e.Name]; dup {
				panic(fmt.Sprintf("command table: %q defined twice", e.Name))
			}
			s.commands[e.Name] = e
			s.sorted = append(s.sorted, e)
		}
	}
	sort.Slice(s.sorted, func(i, j int) bool { return s.sorted[i].Name < s.sorted[j].Name })
}

func newEntry(cmd *Command, parent *entry) *entry {
	if cmd.Name != strings.ToLower(cmd.Name) || cmd.Arity == 0 {
		panic(fmt.Sprintf("command table: bad entry %q (arity %d)", cmd.Name, cmd.Arity))
	}
	e := &entry{Command: cmd, parent: parent}
	e.runsInMulti = cmd.Flags&FlagRunsInMulti != 0
	e.multiShard = cmd.RequestPolicy() == "multi_shard"
	var movable bool
	e.firstKey, e.lastKey, e.step, movable = cmd.LegacyRange()
	e.keyed = len(cmd.Keys) > 0
	e.rangeKeys = e.keyed && !movable && e.firstKey > 0
	if e.rangeKeys && e.lastKey == e.firstKey {
		e.oneKey = e.firstKey
	}
	if e.multiShard && !cmd.Mergeable() {
		panic(fmt.Sprintf("command table: %q is multi_shard with response policy %q, which scatter cannot merge", cmd.Name, cmd.ResponsePolicy()))
	}
	if _, ok := scatter.Spec(cmd); e.multiShard && !ok {
		panic(fmt.Sprintf("command table: %q is multi_shard but its key specs are not one range, which scatter cannot split", cmd.Name))
	}
	e.keyspace = !e.hasKeys() && cmd.Flags&(FlagWrite|FlagReadOnly) != 0 && cmd.Flags&FlagNotKeyspace == 0
	if len(cmd.Subcommands) > 0 {
		e.subs = make(map[string]*entry, len(cmd.Subcommands))
		for _, sc := range cmd.Subcommands {
			_, sub, ok := strings.Cut(sc.Name, "|")
			if !ok || !strings.HasPrefix(sc.Name, cmd.Name+"|") {
				panic(fmt.Sprintf("command table: subcommand %q of %q must be named %q", sc.Name, cmd.Name, cmd.Name+"|sub"))
			}
			se := newEntry(sc, e)
			e.subs[sub] = se
			e.sorted = append(e.sorted, se)
		}
		sort.Slice(e.sorted, func(i, j int) bool { return e.sorted[i].Name < e.sorted[j].Name })
	}
	if cmd.Handler == nil && e.subs == nil {
		panic(fmt.Sprintf("command table: %q has no handler", cmd.Name))
	}
	return e
}

// lookup finds the top-level command named name, case-insensitively,
// without allocating (the lower-case copy lives in buf).
func (s *Server) lookup(name []byte, buf *[32]byte) *entry {
	if len(name) > len(buf) {
		return nil // longer than any command name
	}
	return s.commands[string(lowerInto(buf, name))]
}

// lookupSub finds a subcommand of container e.
func (e *entry) lookupSub(name []byte, buf *[32]byte) *entry {
	if len(name) > len(buf) {
		return nil
	}
	return e.subs[string(lowerInto(buf, name))]
}

// lookupName finds a command or "container|sub" by its full name, for
// COMMAND INFO and COMMAND DOCS.
func (s *Server) lookupName(name string) *entry {
	name = strings.ToLower(name)
	top, sub, isSub := strings.Cut(name, "|")
	e := s.commands[top]
	if e == nil || !isSub {
		return e
	}
	return e.subs[sub]
}

func lowerInto(buf *[32]byte, b []byte) []byte {
	out := buf[:len(b)]
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		out[i] = c
	}
	return out
}

// keys returns the argument indexes of the keys of args, in dst (reset,
// so the caller's scratch is reused and nothing is allocated once it has
// grown): found by the key specs as Redis Cluster finds them
// (commands.Command.KeyPositions), movable keys included. None when the
// command has no key specs, or when a spec does not fit args (a bad
// numkeys): the command then runs here, without slots, and its handler
// answers the syntax error, as on Redis Cluster.
func (e *entry) keys(args [][]byte, dst []int) []int {
	if e.oneKey > 0 && e.oneKey < len(args) {
		return append(dst[:0], e.oneKey) // inlined: the commonest case
	}
	return e.findKeys(args, dst)
}

// findKeys is keys for every command but those with one key.
func (e *entry) findKeys(args [][]byte, dst []int) []int {
	dst = dst[:0]
	if !e.keyed {
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
func (e *entry) keyRange(args [][]byte) (first, last, step int, ok bool) {
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
