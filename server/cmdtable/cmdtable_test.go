package cmdtable

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
)

func nop(*commands.Call) {}

const ro, ow = commands.RO | commands.Access, commands.OW | commands.Update

// testCommands are commands shaped as Redis's, each with one way of
// naming its keys.
func testCommands() []*commands.Command {
	return []*commands.Command{
		{Name: "get", Arity: 2, Flags: commands.FlagReadOnly, Keys: []commands.KeySpec{commands.Range(ro, 1, 0, 1)}, Handler: nop},
		{Name: "mget", Arity: -2, Flags: commands.FlagReadOnly, Tips: []string{commands.TipMultiShard},
			Keys: []commands.KeySpec{commands.Range(ro, 1, -1, 1)}, Handler: nop},
		{Name: "mset", Arity: -3, Flags: commands.FlagWrite, Tips: []string{commands.TipMultiShard, commands.TipAllSucceeded},
			Keys: []commands.KeySpec{commands.Range(ow, 1, -1, 2)}, Handler: nop},
		{Name: "mgetfrom", Arity: -4, Flags: commands.FlagReadOnly, Keys: []commands.KeySpec{commands.Range(ro, 2, -2, 1)}, Handler: nop},
		{Name: "zunion", Arity: -3, Flags: commands.FlagReadOnly, Keys: []commands.KeySpec{commands.KeyNum(ro, 1, 0, 1, 1)}, Handler: nop},
		{Name: "dbsize", Arity: 1, Flags: commands.FlagReadOnly | commands.FlagFast, Handler: nop},
		{Name: "ping", Arity: -1, Flags: commands.FlagFast, Handler: nop},
		{Name: "client", Arity: -2, Subcommands: []*commands.Command{
			{Name: "client|setname", Arity: 3, Handler: nop},
			{Name: "client|id", Arity: 2, Handler: nop},
		}},
	}
}

func testTable() *Table {
	var t Table
	t.Build([]func() []*commands.Command{testCommands})
	return &t
}

// TestKeys: where Keys finds the keys of a call, by each kind of entry:
// one key (OneKey), the legacy range (first, last from the end, step),
// the key specs of movable keys, and none (no key specs, or arguments a
// spec does not fit).
func TestKeys(t *testing.T) {
	tb := testTable()
	for _, tc := range []struct {
		call   string
		want   []int
		oneKey int
		ranged bool
	}{
		{"get k", []int{1}, 1, true},
		{"get", nil, 1, true}, // short of its key: none (the arity check refuses it)
		{"mget a b c", []int{1, 2, 3}, 0, true},
		{"mset a 1 b 2 c 3", []int{1, 3, 5}, 0, true},
		{"mgetfrom FROM a b sfx", []int{2, 3}, 0, true},
		{"mgetfrom FROM sfx", nil, 0, true},
		{"zunion 2 a b", []int{2, 3}, 0, false},
		{"zunion 5 a", nil, 0, false}, // a bad numkeys: its handler answers
		{"dbsize", nil, 0, false},
		{"ping x", nil, 0, false},
	} {
		args := commandstest.Args(strings.Fields(tc.call)...)
		e := tb.Lookup(args[0], new([32]byte))
		require.NotNil(t, e, tc.call)
		assert.Equal(t, tc.oneKey, e.OneKey, tc.call)
		assert.Equal(t, tc.ranged, e.rangeKeys, tc.call)
		got := e.Keys(args, []int{9, 9, 9, 9}) // the scratch is reset
		if len(tc.want) == 0 {
			assert.Empty(t, got, tc.call)
		} else {
			assert.Equal(t, tc.want, got, tc.call)
		}
	}
}

// TestDerivedFacts: the facts Build derives from a command's definition.
func TestDerivedFacts(t *testing.T) {
	tb := testTable()
	for _, tc := range []struct {
		name                              string
		keyed, keyspace, multiShard, slot bool
	}{
		{"get", true, false, false, true},
		{"mget", true, false, true, false},
		{"mset", true, false, true, false},
		{"zunion", true, false, false, true},
		{"dbsize", false, true, false, true},
		{"ping", false, false, false, true},
	} {
		e := tb.LookupName(tc.name)
		assert.Equal(t, tc.keyed, e.Keyed, tc.name)
		assert.Equal(t, tc.keyspace, e.Keyspace, tc.name)
		assert.Equal(t, tc.multiShard, e.MultiShard, tc.name)
		assert.Equal(t, tc.slot, e.SameSlotOnly(), tc.name)
	}
	assert.True(t, tb.LookupName("mset").MayWrite())
	assert.False(t, tb.LookupName("get").MayWrite())
	assert.True(t, tb.LookupName("dbsize").CannotWait())
	assert.False(t, tb.LookupName("get").CannotWait(), "not fast")
}

// TestLookup: names are found in any case without allocating, a
// container's subcommands by their own name or "container|sub", and Each
// walks the table in name order, each container before its subcommands.
func TestLookup(t *testing.T) {
	tb := testTable()
	var buf [32]byte
	client := tb.Lookup([]byte("CLIENT"), &buf)
	require.NotNil(t, client)
	assert.Equal(t, "client|setname", client.LookupSub([]byte("SetName"), &buf).Name)
	assert.Same(t, client, client.LookupSub([]byte("id"), &buf).Parent)
	assert.Nil(t, client.LookupSub([]byte("nope"), &buf))
	assert.Nil(t, tb.Lookup([]byte(strings.Repeat("x", 33)), &buf), "longer than any name")
	assert.Nil(t, tb.Lookup([]byte("nope"), &buf))
	assert.Equal(t, "client|id", tb.LookupName("Client|ID").Name)
	assert.Nil(t, tb.LookupName("get|x"))
	name := []byte("GeT")
	assert.Zero(t, testing.AllocsPerRun(100, func() { tb.Lookup(name, &buf) }))

	var names []string
	tb.Each(func(e *Entry) { names = append(names, e.Name) })
	assert.Equal(t, []string{"client", "client|id", "client|setname", "dbsize", "get", "mget", "mgetfrom", "mset", "ping", "zunion"}, names)
}

// TestBuildRefuses: a malformed table panics at Build.
func TestBuildRefuses(t *testing.T) {
	for name, cmds := range map[string][]*commands.Command{
		"twice":       {{Name: "get", Arity: 2, Handler: nop}, {Name: "get", Arity: 2, Handler: nop}},
		"upper case":  {{Name: "GET", Arity: 2, Handler: nop}},
		"no arity":    {{Name: "get", Handler: nop}},
		"no handler":  {{Name: "get", Arity: 2}},
		"sub's name":  {{Name: "client", Arity: -2, Subcommands: []*commands.Command{{Name: "setname", Arity: 3, Handler: nop}}}},
		"other's sub": {{Name: "client", Arity: -2, Subcommands: []*commands.Command{{Name: "config|get", Arity: 3, Handler: nop}}}},
		// A multi_shard command whose keys are counted (keynum) cannot be
		// split; one whose replies have no merge cannot be merged.
		"keynum split": {{Name: "t.bad", Arity: -3, Flags: commands.FlagReadOnly, Tips: []string{commands.TipMultiShard},
			Keys: []commands.KeySpec{commands.KeyNum(ro, 1, 0, 1, 1)}, Handler: nop}},
		"no merge": {{Name: "t.bad", Arity: -2, Flags: commands.FlagReadOnly, Tips: []string{commands.TipMultiShard, "response_policy:special"},
			Keys: []commands.KeySpec{commands.Range(ro, 1, -1, 1)}, Handler: nop}},
	} {
		assert.Panics(t, func() { new(Table).Build([]func() []*commands.Command{func() []*commands.Command { return cmds }}) }, name)
	}
}
