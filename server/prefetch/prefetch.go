// Package prefetch fetches ahead what the commands a connection has read
// will wait for, so that their cache misses overlap the work of the
// commands before them (docs/DESIGN.md §6, "Front end"): the lines of a
// command's slot in the store (store.Prefetch) and, for a write, the
// slot's replication state (membership.WritePrefetcher), then the index
// word where its key's lookup begins (store.PrefetchKey), then the entry
// that word names (store.PrefetchEntry), each step reading what the one
// before fetched. It is asked only for commands whose key is known without
// a lookup (OneKey): those of the connection's cached table entry with one
// key position (pipelines of GETs or SETs). Nothing here waits or
// allocates; a Window is owned by whoever serves its connection.
package prefetch

import (
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/membership"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// Cmd is what is known of a command ahead: its slot plus one (0: none
// fetched) and, once its index word was asked for, its key's hash.
type Cmd struct {
	slot   uint32
	hashed bool
	hash   uint64
}

// Window is what was fetched for the next three commands of the batch
// being run, indexed by their position mod 4. Element 0 also serves an
// event loop's round: the first command a connection read this round.
type Window [4]Cmd

// Ahead starts the fetches of a pipelined batch cmds before command i
// runs, in three steps a command apart: the lines of the slot of command
// i+3 (Slot), the index word of command i+2's key (FetchKey) and the entry
// that word names for command i+1 (FetchEntry). The batch's first commands
// get the first step only. e is the connection's cached table entry
// (OneKey).
func (w *Window) Ahead(st *store.Store, wp membership.WritePrefetcher, e *cmdtable.Entry, cmds [][][]byte, i int) {
	if i == 0 {
		for j := 1; j <= 2 && j < len(cmds); j++ {
			w[j&3] = Slot(st, wp, e, cmds[j])
		}
	}
	if j := i + 3; j < len(cmds) {
		w[j&3] = Slot(st, wp, e, cmds[j])
	}
	if j := i + 2; i > 0 && j < len(cmds) {
		w[j&3].FetchKey(st, OneKey(e, cmds[j]))
	}
	if j := i + 1; j < len(cmds) {
		w[j&3].FetchEntry(st)
	}
}

// Slot is the first step for command args: it prefetches the slot of its
// key (store.Prefetch, and for a write of e the slot's replication state)
// and returns what the next steps need, nothing when the key is not known
// (OneKey).
func Slot(st *store.Store, wp membership.WritePrefetcher, e *cmdtable.Entry, args [][]byte) Cmd {
	key := OneKey(e, args)
	if key == nil {
		return Cmd{}
	}
	slot := ring.KeySlot(key)
	st.Prefetch(slot)
	if e.Flags&commands.FlagWrite != 0 {
		wp.PrefetchWrite(slot)
	}
	return Cmd{slot: uint32(slot) + 1}
}

// FetchKey is the second step for a command ahead, whose slot a names:
// the index word of its key (store.PrefetchKey), when the first step
// fetched a slot and the key is known without a lookup (OneKey; nil: not).
func (a *Cmd) FetchKey(st *store.Store, key []byte) {
	if a.slot != 0 && key != nil {
		a.hash, a.hashed = st.PrefetchKey(uint16(a.slot-1), key), true
	}
}

// FetchEntry is the third step: the entry the index word of the second
// names (store.PrefetchEntry).
func (a Cmd) FetchEntry(st *store.Store) {
	if a.hashed {
		st.PrefetchEntry(uint16(a.slot-1), a.hash)
	}
}

// OneKey returns the key of args when args is a command of e, the
// connection's cached table entry (nil: none), with one key position,
// else nil.
func OneKey(e *cmdtable.Entry, args [][]byte) []byte {
	if e == nil || e.OneKey <= 0 || e.OneKey >= len(args) || !resp.EqualFold(args[0], e.Name) {
		return nil
	}
	return args[e.OneKey]
}
