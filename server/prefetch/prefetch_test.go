package prefetch

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/cmdtable"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
)

func table() *cmdtable.Table {
	nop := func(*commands.Call) {}
	var t cmdtable.Table
	t.Build([]func() []*commands.Command{commands.StringCommands, func() []*commands.Command {
		return []*commands.Command{
			{Name: "ping", Arity: -1, Flags: commands.FlagFast, Handler: nop},
			{Name: "client", Arity: -2, Subcommands: []*commands.Command{{Name: "client|id", Arity: 2, Handler: nop}}},
		}
	}})
	return &t
}

// TestOneKey: the commands fetched ahead for are those the connection's
// cached entry names, whose table entry has one key position, and only
// their key.
func TestOneKey(t *testing.T) {
	tb := table()
	for _, tc := range []struct {
		last, next string
		want       string // "": none
	}{
		{"GET", "GET k1", "k1"},
		{"get", "gEt k1", "k1"},
		{"SET", "SET k2 v", "k2"},
		{"SET", "set k2 v EX 10", "k2"},
		{"GETRANGE", "GETRANGE k3 0 1", "k3"},
		{"GET", "SET k2 v", ""},     // not the cached entry
		{"GET", "GET", ""},          // no key argument
		{"MGET", "MGET a b", ""},    // more than one key position
		{"PING", "PING x", ""},      // no key
		{"CLIENT", "CLIENT ID", ""}, // a container
		{"", "GET k1", ""},          // no cached entry
	} {
		var e *cmdtable.Entry
		if tc.last != "" {
			e = tb.Lookup([]byte(tc.last), new([32]byte))
			require.NotNil(t, e, tc.last)
		}
		got := OneKey(e, commandstest.Args(strings.Fields(tc.next)...))
		if tc.want == "" {
			assert.Nil(t, got, "%s after %s", tc.next, tc.last)
		} else {
			assert.Equal(t, tc.want, string(got), "%s after %s", tc.next, tc.last)
		}
	}
}

// writes records the slots whose replication state was fetched ahead.
type writes []uint16

func (w *writes) PrefetchWrite(slot uint16) { *w = append(*w, slot) }

// TestAhead: before each command of a batch, the slot of the command
// three ahead (the first three at the start), the index word of the one
// two ahead (not at the start) and the entry of the next; the replication
// state for writes only; nothing for commands whose key is not known.
func TestAhead(t *testing.T) {
	tb := table()
	st := store.New(store.Config{})
	batch := func(cmd string, n int) [][][]byte {
		var cmds [][][]byte
		for i := range n {
			cmds = append(cmds, commandstest.Args(strings.Fields(fmt.Sprintf(cmd, i))...))
		}
		return cmds
	}
	slot := func(i int) uint16 { return ring.KeySlot([]byte(fmt.Sprintf("k%d", i))) }

	cmds := batch("SET k%d v", 6)
	e := tb.LookupName("set")
	var w Window
	var got writes
	steps := [][]uint16{{slot(1), slot(2), slot(3)}, {slot(4)}, {slot(5)}, nil, nil, nil}
	for i := range cmds {
		got = nil
		w.Ahead(st, &got, e, cmds, i)
		assert.Equal(t, writes(steps[i]), got, "before command %d", i)
		if j := i + 3; j < len(cmds) {
			assert.Equal(t, uint32(slot(j))+1, w[j&3].slot, "command %d's slot", j)
		}
		if j := i + 2; j < len(cmds) {
			assert.Equal(t, i > 0, w[j&3].hashed, "command %d's index word", j)
		}
	}

	got = nil
	w = Window{}
	reads := batch("GET k%d", 4)
	w.Ahead(st, &got, tb.LookupName("get"), reads, 0)
	assert.Empty(t, got, "reads fetch no replication state")
	assert.Equal(t, uint32(slot(1))+1, w[1].slot)

	w = Window{}
	w.Ahead(st, &got, tb.LookupName("get"), cmds, 0) // not the cached entry's
	assert.Equal(t, Window{}, w)
	assert.Empty(t, got)
}
