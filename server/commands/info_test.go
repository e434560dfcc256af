package commands

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/resp"
)

// TestMovableKeysCommandInfo: COMMAND INFO keeps the legacy first/last/step
// Redis computes for movable-key commands (redis-server 7.0.15: zunionstore
// 1 1 1, xread 0 0 0, georadius 1 1 1, all flagged movablekeys), though the
// front end routes by the key specs. The commands are shaped as Redis's
// (their specs copied from src/commands/*.json).
func TestMovableKeysCommandInfo(t *testing.T) {
	const ro, ow = RO | Access, OW | Update
	for _, tc := range []struct {
		cmd  *Command
		want string
	}{
		{&Command{Name: "t.zunionstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: []KeySpec{
			Range(ow, 1, 0, 1), KeyNum(ro, 2, 0, 1, 1),
		}}, "*10\r\n$13\r\nt.zunionstore\r\n:-4\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n"},
		{&Command{Name: "t.xread", Arity: -4, Flags: FlagReadOnly, Keys: []KeySpec{
			{Flags: ro, Keyword: "STREAMS", StartFrom: 1, LastKey: -1, Step: 1, Limit: 2},
		}}, "*10\r\n$7\r\nt.xread\r\n:-4\r\n*2\r\n+readonly\r\n+movablekeys\r\n:0\r\n:0\r\n:0\r\n"},
		{&Command{Name: "t.georadius", Arity: -6, Flags: FlagWrite | FlagDenyOOM, Keys: []KeySpec{
			Range(ro, 1, 0, 1),
			{Flags: ow, Keyword: "STORE", StartFrom: 6, LastKey: 0, Step: 1},
			{Flags: ow, Keyword: "STOREDIST", StartFrom: 6, LastKey: 0, Step: 1},
		}}, "*10\r\n$11\r\nt.georadius\r\n:-6\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n"},
	} {
		var r resp.Reply
		tc.cmd.WriteInfo(&r)
		assert.True(t, strings.HasPrefix(string(r.Bytes()), tc.want), "%s: %q", tc.cmd.Name, r.Bytes())
	}
}

// containerForTest is a container whose subcommands are out of name order
// in the table: COMMAND INFO and DOCS list them by name, HELP in table order.
func containerForTest() *Command {
	return &Command{
		Name: "t.box", Arity: -2, Group: "server", Since: "1.0.0", Summary: "A container.",
		Subcommands: []*Command{
			{Name: "t.box|zeta", Arity: 2, Flags: FlagFast, Group: "server", Since: "2.0.0", Summary: "Z.",
				Tips: []string{TipNondeterministic}, Keys: []KeySpec{Range(RO|Access, 2, 0, 1)}},
			{Name: "t.box|alpha", Arity: -3, Flags: FlagAdmin, Group: "server", Since: "3.0.0", Summary: "A."},
		},
	}
}

// TestWriteInfoSubcommands checks a container's whole COMMAND INFO entry
// in RESP2 and RESP3: subcommands nested by name, each with its own range,
// categories, tips and key specs.
func TestWriteInfoSubcommands(t *testing.T) {
	keySpec := func(set, m string) string {
		return set + "1\r\n" + m + "3\r\n$5\r\nflags\r\n" + set + "2\r\n+RO\r\n+access\r\n" +
			"$12\r\nbegin_search\r\n" + m + "2\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n" + m + "1\r\n$5\r\nindex\r\n:2\r\n" +
			"$9\r\nfind_keys\r\n" + m + "2\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n" + m + "3\r\n" +
			"$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n"
	}
	for _, tc := range []struct {
		resp3  bool
		set, m string
	}{{false, "*", "*"}, {true, "~", "%"}} {
		var r resp.Reply
		r.SetRESP3(tc.resp3)
		containerForTest().WriteInfo(&r)
		set, m := tc.set, tc.m
		want := "*10\r\n$5\r\nt.box\r\n:-2\r\n" + set + "0\r\n:0\r\n:0\r\n:0\r\n" + set + "1\r\n+@slow\r\n" + set + "0\r\n" + set + "0\r\n" +
			set + "2\r\n" +
			"*10\r\n$11\r\nt.box|alpha\r\n:-3\r\n" + set + "1\r\n+admin\r\n:0\r\n:0\r\n:0\r\n" + set + "3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n" +
			set + "0\r\n" + set + "0\r\n" + set + "0\r\n" +
			"*10\r\n$10\r\nt.box|zeta\r\n:2\r\n" + set + "1\r\n+fast\r\n:2\r\n:2\r\n:1\r\n" + set + "1\r\n+@fast\r\n" +
			set + "1\r\n$23\r\nnondeterministic_output\r\n" + keySpec(set, m) + set + "0\r\n"
		if !tc.resp3 { // RESP2 maps are flat arrays of twice the length
			want = strings.ReplaceAll(want, "*3\r\n$5\r\nflags", "*6\r\n$5\r\nflags")
			want = strings.ReplaceAll(want, "$12\r\nbegin_search\r\n*2\r\n", "$12\r\nbegin_search\r\n*4\r\n")
			want = strings.ReplaceAll(want, "$4\r\nspec\r\n*1\r\n", "$4\r\nspec\r\n*2\r\n")
			want = strings.ReplaceAll(want, "$9\r\nfind_keys\r\n*2\r\n", "$9\r\nfind_keys\r\n*4\r\n")
			want = strings.ReplaceAll(want, "$4\r\nspec\r\n*3\r\n", "$4\r\nspec\r\n*6\r\n")
		}
		assert.Equal(t, want, string(r.Bytes()), "RESP3=%v", tc.resp3)
	}
}

// TestWriteDocs checks COMMAND DOCS's entry of a container: summary, since,
// group, then the subcommands' docs by name; a plain command has no
// subcommands field.
func TestWriteDocs(t *testing.T) {
	var r resp.Reply
	r.SetRESP3(true)
	box := containerForTest()
	box.WriteDocs(&r)
	doc := func(summary, since string) string {
		return "%3\r\n$7\r\nsummary\r\n$" + strconv.Itoa(len(summary)) + "\r\n" + summary + "\r\n$5\r\nsince\r\n$5\r\n" + since +
			"\r\n$5\r\ngroup\r\n$6\r\nserver\r\n"
	}
	want := "%4\r\n$7\r\nsummary\r\n$12\r\nA container.\r\n$5\r\nsince\r\n$5\r\n1.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n" +
		"$11\r\nsubcommands\r\n%2\r\n$11\r\nt.box|alpha\r\n" + doc("A.", "3.0.0") + "$10\r\nt.box|zeta\r\n" + doc("Z.", "2.0.0")
	assert.Equal(t, want, string(r.Bytes()))

	r.Reset()
	r.SetRESP3(false)
	box.Subcommands[0].WriteDocs(&r)
	assert.Equal(t, "*6\r\n$7\r\nsummary\r\n$2\r\nZ.\r\n$5\r\nsince\r\n$5\r\n2.0.0\r\n$5\r\ngroup\r\n$6\r\nserver\r\n", string(r.Bytes()))
	assert.Equal(t, "t.box|zeta", box.Subcommands[0].Name, "writing leaves the table's order alone")
}
