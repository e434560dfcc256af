package commands

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

// TestGetKeys checks key finding from key specs on the shapes Redis's own
// commands use, including those no family here has yet (keyword search,
// keynum, limit), with the positions getKeysUsingKeySpecs returns.
func TestGetKeys(t *testing.T) {
	cases := []struct {
		name string
		cmd  Command
		args string
		want []int // positions; nil with ok false
		ok   bool
	}{
		{"one key", Command{Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}}, "get k", []int{1}, true},
		{"all to the end", Command{Keys: []KeySpec{Range(RO, 1, -1, 1)}}, "mget a b c", []int{1, 2, 3}, true},
		{"pairs", Command{Keys: []KeySpec{Range(OW|Update, 1, -1, 2)}}, "mset a 1 b 2", []int{1, 3}, true},
		{"odd pairs", Command{Keys: []KeySpec{Range(OW|Update, 1, -1, 2)}}, "mset a 1 b", []int{1, 3}, true},
		{"two specs", Command{Keys: []KeySpec{Range(RO, 1, 0, 1), Range(OW, 2, 0, 1)}}, "copy a b replace", []int{1, 2}, true},
		{"all but the last", Command{Keys: []KeySpec{Range(RW, 1, -2, 1)}}, "blpop a b 0", []int{1, 2}, true},
		// XREAD-like: the keys after STREAMS, half of what is left.
		{"keyword and limit", Command{Keys: []KeySpec{{Flags: RO, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, Step: 1, Limit: 2}}},
			"xread count 2 streams a b 0 0", []int{4, 5}, true},
		{"keyword missing", Command{Keys: []KeySpec{{Flags: RO, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, Step: 1, Limit: 2}}},
			"xread count 2", nil, true},
		// MIGRATE-like: the keyword searched backwards from the end.
		{"keyword from the end", Command{Keys: []KeySpec{{Flags: RW, Keyword: "KEYS", StartFrom: -2, LastKey: -1, Step: 1}}},
			"migrate h p x 0 5 keys a b", []int{7, 8}, true},
		// ZUNIONSTORE-like: a destination, then numkeys and the keys.
		{"keynum", Command{Keys: []KeySpec{Range(OW, 1, 0, 1), KeyNum(RO, 2, 0, 1, 1)}}, "zunionstore d 2 a b weights 1 2", []int{1, 3, 4}, true},
		// No keys leaves last before first: a syntax error to Redis too.
		{"keynum zero", Command{Keys: []KeySpec{KeyNum(RO, 1, 0, 1, 1)}}, "sintercard 0", nil, false},
		{"keynum not a number", Command{Keys: []KeySpec{KeyNum(RO, 2, 0, 1, 1)}}, "zunionstore d x a", nil, false},
		{"keynum too many", Command{Keys: []KeySpec{KeyNum(RO, 2, 0, 1, 1)}}, "zunionstore d 5 a", nil, false},
		{"not a key", Command{Keys: []KeySpec{Range(RO|NotKey, 1, 0, 1)}}, "publish ch m", nil, true},
		{"out of range", Command{Keys: []KeySpec{Range(RO, 2, 0, 1)}}, "object", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			keys, ok := tc.cmd.GetKeys(args(tc.args), nil)
			require.Equal(t, tc.ok, ok)
			var got []int
			for _, k := range keys {
				got = append(got, k.Pos)
			}
			if ok {
				assert.Equal(t, tc.want, got)
			}
		})
	}
}

// TestKeyPositions checks the routing form of key finding: the positions
// GetKeys finds, NotKey specs included, none at all when a spec does not
// fit (Redis Cluster routes such a command nowhere: it runs where it was
// sent and its handler answers), and XREAD's limit needing an even split,
// as xreadGetKeys does.
func TestKeyPositions(t *testing.T) {
	xread := Command{Keys: []KeySpec{{Flags: RO, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, Step: 1, Limit: 2}}}
	zstore := Command{Keys: []KeySpec{Range(OW, 1, 0, 1), KeyNum(RO, 2, 0, 1, 1)}}
	cases := []struct {
		name string
		cmd  Command
		args string
		want []int
		ok   bool
	}{
		{"pairs", Command{Keys: []KeySpec{Range(OW|Update, 1, -1, 2)}}, "mset a 1 b 2", []int{1, 3}, true},
		{"keynum", zstore, "zunionstore d 2 a b weights 1 2", []int{1, 3, 4}, true},
		{"keynum zero drops every key", zstore, "zunionstore d 0 a", nil, false},
		{"keynum too many drops every key", zstore, "zunionstore d 5 a b", nil, false},
		{"keynum negative", zstore, "zunionstore d -1 a", nil, false},
		{"keyword and limit", xread, "xread count 2 streams a b 0 0", []int{4, 5}, true},
		{"unbalanced streams", xread, "xread streams a b 0", nil, false},
		{"keyword missing", xread, "xread count 2", nil, true},
		{"store keyword", Command{Keys: []KeySpec{Range(RO, 1, 0, 1), {Flags: OW, Keyword: "STORE", StartFrom: 6, Step: 1}}},
			"georadius s 0 0 1 km store d", []int{1, 7}, true},
		{"shard channel routes", Command{Keys: []KeySpec{Range(RO|NotKey, 1, 0, 1)}}, "spublish ch m", []int{1}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			scratch := make([]int, 0, 8)
			got, ok := tc.cmd.KeyPositions(args(tc.args), scratch)
			require.Equal(t, tc.ok, ok)
			if !ok {
				assert.Empty(t, got)
				return
			}
			if tc.want == nil {
				assert.Empty(t, got)
			} else {
				assert.Equal(t, tc.want, got)
			}
		})
	}
	// The scratch's memory is reused: no allocation once it is long enough.
	scratch := make([]int, 0, 8)
	a := args("zunionstore d 2 a b weights 1 2")
	assert.Zero(t, testing.AllocsPerRun(100, func() { scratch, _ = zstore.KeyPositions(a, scratch[:0]) }))
}

// TestVariableKeyFlags checks SET's key flags, which depend on GET, as
// Redis's setGetKeys gives them.
func TestVariableKeyFlags(t *testing.T) {
	var set *Command
	for _, c := range StringCommands() {
		if c.Name == "set" {
			set = c
		}
	}
	require.NotNil(t, set)
	for in, want := range map[string]KeyFlags{
		"set k v": OW | Update, "set k v get": RW | Access | Update, "set k v EX 1 GeT": RW | Access | Update,
		"set k get": OW | Update, // "get" is the value here
	} {
		keys, ok := set.GetKeys(args(in), nil)
		require.True(t, ok, in)
		require.Len(t, keys, 1, in)
		assert.Equal(t, KeyRef{Pos: 1, Flags: want}, keys[0], in)
	}
	get := Command{Keys: []KeySpec{Range(RO|Access, 1, 0, 1)}}
	keys, _ := get.GetKeys(args("get k"), nil)
	assert.Equal(t, []KeyRef{{Pos: 1, Flags: RO | Access}}, keys)
}

// TestLegacyRange checks first/last/step and movablekeys against what
// Redis 7 reports for commands of each shape.
func TestLegacyRange(t *testing.T) {
	cases := []struct {
		name              string
		keys              []KeySpec
		first, last, step int
		movable           bool
	}{
		{"no keys", nil, 0, 0, 0, false},
		{"get", []KeySpec{Range(RO, 1, 0, 1)}, 1, 1, 1, false},
		{"mset", []KeySpec{Range(OW, 1, -1, 2)}, 1, -1, 2, false},
		{"object encoding", []KeySpec{Range(RO, 2, 0, 1)}, 2, 2, 1, false},
		{"copy", []KeySpec{Range(RO, 1, 0, 1), Range(OW, 2, 0, 1)}, 1, 2, 1, false},
		{"rpoplpush-like", []KeySpec{Range(RW, 1, 0, 1), Range(RW, 2, 0, 1)}, 1, 2, 1, false},
		{"smove-like with a gap", []KeySpec{Range(RW, 1, 0, 1), Range(RW, 3, 0, 1)}, 1, 1, 1, true},
		{"blpop-like", []KeySpec{Range(RW, 1, -2, 1)}, 1, -2, 1, false},
		{"zunionstore-like", []KeySpec{Range(OW, 1, 0, 1), KeyNum(RO, 2, 0, 1, 1)}, 1, 1, 1, true},
		{"keynum only", []KeySpec{KeyNum(RO, 2, 0, 1, 1)}, 0, 0, 0, true},
		{"incomplete", []KeySpec{{Flags: RO | Incomplete, Index: 1, LastKey: 0, Step: 1}}, 1, 1, 1, true},
	}
	for _, tc := range cases {
		c := Command{Keys: tc.keys}
		first, last, step, movable := c.LegacyRange()
		assert.Equal(t, []int{tc.first, tc.last, tc.step}, []int{first, last, step}, tc.name)
		assert.Equal(t, tc.movable, movable, tc.name)
		assert.Equal(t, movable, c.MovableKeys(), tc.name)
		if tc.movable {
			assert.Contains(t, c.FlagNames(), "movablekeys", tc.name)
		} else {
			assert.NotContains(t, c.FlagNames(), "movablekeys", tc.name)
		}
	}
}

// TestCategories checks the categories implied by the flags, as Redis's
// setImplicitACLCategories adds them, in Redis's order.
func TestCategories(t *testing.T) {
	cases := []struct {
		cmd  Command
		want []string
	}{
		{Command{Flags: FlagReadOnly | FlagFast, ACL: ACLString}, []string{"@read", "@string", "@fast"}},
		{Command{Flags: FlagWrite | FlagDenyOOM, ACL: ACLKeyspace}, []string{"@keyspace", "@write", "@slow"}},
		{Command{Flags: FlagAdmin | FlagNoScript}, []string{"@admin", "@slow", "@dangerous"}},
		{Command{Flags: FlagWrite, ACL: ACLKeyspace | ACLDangerous}, []string{"@keyspace", "@write", "@slow", "@dangerous"}},
		{Command{Flags: FlagReadOnly, ACL: ACLScripting}, []string{"@slow", "@scripting"}},
		{Command{Flags: FlagBlocking | FlagWrite, ACL: ACLList}, []string{"@write", "@list", "@slow", "@blocking"}},
		{Command{}, []string{"@slow"}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, tc.cmd.Categories().Names())
	}
	for _, name := range aclNames {
		a, ok := ParseACL("@" + strings.ToUpper(name))
		require.True(t, ok, name)
		assert.Equal(t, []string{"@" + name}, a.Names())
	}
	_, ok := ParseACL("nosuch")
	assert.False(t, ok)
}

// TestPolicies checks the policy accessors the front end splits and merges by.
func TestPolicies(t *testing.T) {
	c := Command{Tips: []string{TipMultiShard, TipAggSum}}
	assert.Equal(t, "multi_shard", c.RequestPolicy())
	assert.Equal(t, "agg_sum", c.ResponsePolicy())
	assert.True(t, c.HasTip(TipAggSum))
	assert.False(t, c.HasTip(TipNondeterministic))
	var none Command
	assert.Empty(t, none.RequestPolicy())
	assert.Empty(t, none.ResponsePolicy())
}

// TestHelpReply checks a HELP reply generated from the subcommands' Help.
func TestHelpReply(t *testing.T) {
	cmd := &Command{Name: "thing", Help: []string{"(no subcommand)", "    Do the thing."},
		Subcommands: []*Command{
			{Name: "thing|get", Help: []string{"GET <key>", "    Get it."}},
			{Name: "thing|help"},
			{Name: "thing|set", Help: []string{"SET <key>", "    Set it."}},
		}}
	var r resp.Reply
	HelpReply(&r, cmd)
	assert.Equal(t, "*9\r\n+THING <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"+
		"+(no subcommand)\r\n+    Do the thing.\r\n+GET <key>\r\n+    Get it.\r\n+SET <key>\r\n+    Set it.\r\n"+
		"+HELP\r\n+    Print this help.\r\n", string(r.Bytes()))
	assert.Len(t, cmd.Help, 2, "HelpReply must not change the container's Help")
}

// TestFamiliesTable checks this package's table: lower-case unique names,
// keys that the front end can route (movable ones only through keynum
// specs), flags consistent
// with the key specs, and a handler for each command.
