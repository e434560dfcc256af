// Package cmdtable is the command table as the front end's dispatcher
// reads it (docs/DESIGN.md §6): every command of the table's groups
// (package commands' Command) indexed by name, each container with its
// subcommands; the facts the dispatcher derives from a command once, at
// start (runs inside MULTI, reads or writes the whole keyspace, is split
// by owner, where its keys are); its counters (INFO commandstats); and the
// evaluation of its key specs on a call's arguments (Entry.Keys), which
// the front end routes, locks and replicates by. A malformed command is a
// programming error in the table and panics at Build. The table is
// read-only once built: lookups take no lock and allocate nothing.
package cmdtable

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshcache/meshcache/server/cmdstats"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/scatter"
)

// Entry is a Command as the dispatcher uses it: the table's definition plus
// what is derived from it once (subcommand index, dispatch hints) and the
// per-command counters of INFO commandstats.
type Entry struct {
	*commands.Command
	Parent *Entry
	Subs   map[string]*Entry // lower-case subcommand name -> entry; nil if not a container
	Sorted []*Entry          // subcommands by name

	// RunsInMulti: executed at once even inside MULTI (the table's
	// FlagRunsInMulti: EXEC DISCARD MULTI WATCH QUIT RESET), as Redis does.
	RunsInMulti bool
	// Keyspace: reads or writes keys without naming them (DBSIZE, FLUSHALL,
	// SCAN ...); inside EXEC it runs outside the transaction's slot locks.
	Keyspace bool
	// MultiShard: the request_policy:multi_shard tip: split by owner when
	// the keys live on several nodes, the parts merged by the response
	// policy (server/scatter.go).
	MultiShard bool
	// firstKey, lastKey, step: the legacy key range of COMMAND INFO,
	// derived from the key specs (Command.LegacyRange); the front end never
	// routes by it (it misses movable keys): it finds keys with Keys.
	firstKey, lastKey, step int
	// Keyed: the command has key specs, so its arguments name the keys
	// (or shard channels) it is routed, locked and replicated by; a call
	// may still find none (Keys).
	Keyed bool
	// rangeKeys: the legacy range describes every key the specs find
	// (no movable keys), so Keys computes them from it: the same keys,
	// as Redis Cluster finds them for such commands, without walking the
	// specs on the hot path (GET, SET, MGET ...).
	rangeKeys bool
	// OneKey: the argument index of the command's one key when the legacy
	// range names exactly one (GET, SET, INCR, HSET ...), else 0.
	OneKey int

	Stats cmdstats.Counters
}

// Table is the command table: the top-level entries by name. The zero
// value is empty; Build fills it.
type Table struct {
	byName map[string]*Entry
	// Sorted are the top-level entries by name, for COMMAND.
	Sorted []*Entry
}

// Build indexes every group's commands. A duplicate name or a malformed
// entry is a programming error in the table and panics.
func (t *Table) Build(groups []func() []*commands.Command) {
	t.byName, t.Sorted = make(map[string]*Entry), nil
	for _, group := range groups {
		for _, cmd := range group() {
			e := newEntry(cmd, nil)
			if _, dup := t.byName[e.Name]; dup {
				panic(fmt.Sprintf("command table: %q defined twice", e.Name))
			}
			t.byName[e.Name] = e
			t.Sorted = append(t.Sorted, e)
		}
	}
	sort.Slice(t.Sorted, func(i, j int) bool { return t.Sorted[i].Name < t.Sorted[j].Name })
}

func newEntry(cmd *commands.Command, parent *Entry) *Entry {
	if cmd.Name != strings.ToLower(cmd.Name) || cmd.Arity == 0 {
		panic(fmt.Sprintf("command table: bad entry %q (arity %d)", cmd.Name, cmd.Arity))
	}
	e := &Entry{Command: cmd, Parent: parent}
	e.RunsInMulti = cmd.Flags&commands.FlagRunsInMulti != 0
	e.MultiShard = cmd.RequestPolicy() == "multi_shard"
	var movable bool
	e.firstKey, e.lastKey, e.step, movable = cmd.LegacyRange()
	e.Keyed = len(cmd.Keys) > 0
	e.rangeKeys = e.Keyed && !movable && e.firstKey > 0
	if e.rangeKeys && e.lastKey == e.firstKey {
		e.OneKey = e.firstKey
	}
	if e.MultiShard && !cmd.Mergeable() {
		panic(fmt.Sprintf("command table: %q is multi_shard with response policy %q, which scatter cannot merge", cmd.Name, cmd.ResponsePolicy()))
	}
	if _, ok := scatter.Spec(cmd); e.MultiShard && !ok {
		panic(fmt.Sprintf("command table: %q is multi_shard but its key specs are not one range, which scatter cannot split", cmd.Name))
	}
	e.Keyspace = !e.Keyed && cmd.Flags&(commands.FlagWrite|commands.FlagReadOnly) != 0 && cmd.Flags&commands.FlagNotKeyspace == 0
	if len(cmd.Subcommands) > 0 {
		e.Subs = make(map[string]*Entry, len(cmd.Subcommands))
		for _, sc := range cmd.Subcommands {
			_, sub, ok := strings.Cut(sc.Name, "|")
			if !ok || !strings.HasPrefix(sc.Name, cmd.Name+"|") {
				panic(fmt.Sprintf("command table: subcommand %q of %q must be named %q", sc.Name, cmd.Name, cmd.Name+"|sub"))
			}
			se := newEntry(sc, e)
			e.Subs[sub] = se
			e.Sorted = append(e.Sorted, se)
		}
		sort.Slice(e.Sorted, func(i, j int) bool { return e.Sorted[i].Name < e.Sorted[j].Name })
	}
	if cmd.Handler == nil && e.Subs == nil {
		panic(fmt.Sprintf("command table: %q has no handler", cmd.Name))
	}
	return e
}

// Lookup finds the top-level command named name, case-insensitively,
// without allocating (the lower-case copy lives in buf).
func (t *Table) Lookup(name []byte, buf *[32]byte) *Entry {
	if len(name) > len(buf) {
		return nil // longer than any command name
	}
	return t.byName[string(lowerInto(buf, name))]
}

// LookupSub finds a subcommand of container e.
func (e *Entry) LookupSub(name []byte, buf *[32]byte) *Entry {
	if len(name) > len(buf) {
		return nil
	}
	return e.Subs[string(lowerInto(buf, name))]
}

// LookupName finds a command or "container|sub" by its full name, in any
// case, for COMMAND INFO and COMMAND DOCS.
func (t *Table) LookupName(name string) *Entry {
	name = strings.ToLower(name)
	top, sub, isSub := strings.Cut(name, "|")
	e := t.byName[top]
	if e == nil || !isSub {
		return e
	}
	return e.Subs[sub]
}

// Each calls f with every command in name order, each container followed
// by its subcommands, as INFO commandstats lists them.
func (t *Table) Each(f func(*Entry)) {
	for _, e := range t.Sorted {
		f(e)
		for _, sub := range e.Sorted {
			f(sub)
		}
	}
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
