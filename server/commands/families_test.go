package commands_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/bitmap"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/commands/geo"
	"github.com/meshcache/meshcache/server/commands/hyperloglog"
	"github.com/meshcache/meshcache/server/commands/sortcmd"
	"github.com/meshcache/meshcache/server/commands/zset"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// families are the command families that need only the keyspace: this
// package's and those of the packages under it, as the front end
// registers them. These tests run them together, as DUMP and RESTORE and
// the table checks need every type.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, commands.HashCommands,
	commands.ListCommands, sortcmd.Commands, commands.SetCommands, zset.Commands, geo.Commands,
	commands.LockCommands, bitmap.Commands, commands.LCSCommands, hyperloglog.Commands, commands.DumpCommands}

// runTable runs each named case with both protocols on a fresh server of
// the families.
func runTable(t *testing.T, cases map[string][]testenv.Step) {
	commandstest.RunTable(t, cases, families...)
}

// hasKeyNum reports whether one of c's key specs is of type keynum or
// keyword.
func hasKeyNum(c *commands.Command) bool {
	for _, s := range c.Keys {
		if s.KeyNum || s.Keyword != "" {
			return true
		}
	}
	return false
}

func TestFamiliesTable(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandstest.NewHost(0, families...).Commands() {
		assert.Equal(t, strings.ToLower(c.Name), c.Name)
		assert.False(t, seen[c.Name], "%s twice", c.Name)
		seen[c.Name] = true
		assert.NotNil(t, c.Handler, c.Name)
		if c.Flags&commands.FlagBlocking != 0 {
			// The front end bounds a forwarded blocking call by it.
			assert.NotZero(t, c.TimeoutArg, "%s: a blocking command names its timeout argument", c.Name)
		}
		// Movable keys only from keynum specs (SINTERCARD, ZUNION, ZMPOP
		// ...) and keyword specs (GEORADIUS ... STORE key), which the
		// front end resolves per call (KeyPositions), or from a getkeys
		// procedure (SORT's STORE).
		assert.False(t, c.MovableKeys() && !hasKeyNum(c) && c.KeysProc == nil, c.Name)
		if strings.HasPrefix(c.Name, "lock.") {
			assert.Empty(t, c.Keys, "%s: LOCK.* are node-local, never routed by key", c.Name)
			continue
		}
		if len(c.Keys) == 0 && c.Flags&(commands.FlagAdmin|commands.FlagWrite|commands.FlagReadOnly) == commands.FlagAdmin {
			continue // an admin command that touches no key (PFSELFTEST), as in Redis's table
		}
		if len(c.Keys) == 0 {
			// KEYS SCAN RANDOMKEY act on the whole keyspace: Redis routes
			// them to every shard (or specially), never by key.
			assert.NotEmpty(t, c.RequestPolicy(), "%s has no keys and no request policy", c.Name)
		}
		assert.NotZero(t, c.Flags&(commands.FlagWrite|commands.FlagReadOnly), "%s reads or writes", c.Name)
		for _, s := range c.Keys {
			n := 0
			for _, f := range []commands.KeyFlags{commands.RO, commands.RW, commands.OW, commands.RM} {
				if s.Flags&f != 0 {
					n++
				}
			}
			assert.Equal(t, 1, n, "%s: a key spec has exactly one of RO RW OW RM", c.Name)
		}
	}
}

// FuzzDataCommands feeds arbitrary argument vectors (NUL-separated in raw)
// to every string, key, hash, bitmap, LCS and HyperLogLog command, as the dispatcher would call it,
// on a store that keeps the effects of earlier inputs. No input may panic,
// and each call must write exactly one well-formed reply.
func FuzzDataCommands(f *testing.F) {
	data := []commandstest.Family{commands.StringCommands, commands.KeyCommands, commands.HashCommands,
		bitmap.Commands, commands.LCSCommands, hyperloglog.Commands}
	// SETRANGE and APPEND may legitimately build strings up to this size
	// (proto-max-bulk-len): keep it small so that fuzz workers do not run
	// out of memory.
	host := commandstest.NewHost(1<<20, data...)
	var cmds []*commands.Command // in a fixed order: the corpus names commands by index
	for _, f := range data {
		cmds = append(cmds, f()...)
	}
	index := map[string]uint16{}
	for i, c := range cmds {
		index[c.Name] = uint16(i)
	}
	seed := [][]string{
		{"set", "k\x00v\x00EX\x0010\x00GET"}, {"set", "k\x00v\x00IFEQ\x00v\x00PXAT\x001"},
		{"getex", "k\x00PERSIST"}, {"incrbyfloat", "k\x000x1p3"}, {"setrange", "k\x00536870911\x00xx"},
		{"getrange", "k\x00-9223372036854775808\x009223372036854775807"},
		{"mset", "a\x001\x00b"}, {"msetnx", "a\x001\x00b\x002"}, {"delex", "k\x00IFNE\x00v"},
		{"expire", "k\x00-9223372036854775808\x00GT"}, {"copy", "a\x00b\x00DB\x000\x00REPLACE"},
		{"rename", "a\x00a"}, {"keys", "[a-\\"}, {"scan", "-1\x00MATCH\x00*[\x00COUNT\x001\x00TYPE\x00hash"},
		{"hset", "h\x00f\x00v\x00g\x00w"}, {"hincrbyfloat", "h\x00f\x00-1e4932"},
		{"hscan", "h\x000\x00NOVALUES\x00MATCH\x00?"}, {"hrandfield", "h\x00-5\x00WITHVALUES"},
		{"hrandfield", "h\x00-99999999999"},
	}
	for _, s := range seed {
		f.Add(index[s[0]], []byte(s[1]), false)
		f.Add(index[s[0]], []byte(s[1]), true)
	}
	st := store.New(store.Config{})
	f.Fuzz(func(t *testing.T, which uint16, raw []byte, resp3 bool) {
		cmd, args := commandstest.FuzzArgs(cmds, which, raw)
		if !cmd.ArityOK(len(args)) {
			return
		}
		var reply resp.Reply
		reply.SetRESP3(resp3)
		host.Exec(st, nil, &reply, args)
		commandstest.RequireOneReply(t, args, reply.Bytes())
	})
}
