package server

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// TestLockCommandsAreNodeLocal checks the command table entries: no keys
// (never routed or forwarded), not keyspace writes (never replicated, never
// waiting for replicas), fast, and that COMMAND INFO reports them so.
func TestLockCommandsAreNodeLocal(t *testing.T) {
	ts := startServer(t, nil)
	for _, name := range []string{"lock.acquire", "lock.confirm", "lock.release", "lock.extend"} {
		e := ts.srv.table.LookupName(name)
		require.NotNil(t, e, name)
		assert.False(t, e.Keyed, name)
		assert.Equal(t, FlagFast, e.Flags, name)
		assert.False(t, e.Keyspace, name)
	}
	c := ts.client(t, 2)
	// An unknown LOCK.* name is the dispatcher's unknown command.
	require.EqualError(t, c.Do(testCtx(t), "lock.nosuch", "n").Err(),
		"ERR unknown command 'lock.nosuch', with args beginning with: 'n' ")
	info, err := c.Command(testCtx(t)).Result()
	require.NoError(t, err)
	ci := info["lock.acquire"]
	require.NotNil(t, ci)
	assert.Equal(t, int8(4), ci.Arity)
	assert.ElementsMatch(t, []string{"fast"}, ci.Flags)
	assert.Equal(t, int8(0), ci.FirstKeyPos)
}

// TestDerivedDispatchFacts checks that what the dispatcher derives from
// the table's facts picks exactly the commands its name switches picked
// before the facts existed: run at once inside MULTI, kept out of the slow
// log, keys in one slot only, split across nodes, merged by policy.
func TestDerivedDispatchFacts(t *testing.T) {
	srv := New(config.Default(), store.New(store.Config{}), slog.New(slog.DiscardHandler))
	var runsInMulti, skipSlowlog, sameSlot, split []string
	merge := map[string]string{}
	for _, e := range srv.table.Sorted {
		if e.RunsInMulti {
			runsInMulti = append(runsInMulti, e.Name)
		}
		if e.SkipSlowlog() {
			skipSlowlog = append(skipSlowlog, e.Name)
		}
		if first, last, _, _ := e.LegacyRange(); e.Keyed && (last < 0 || last > first) { // may name several keys
			if e.SameSlotOnly() {
				sameSlot = append(sameSlot, e.Name)
			}
			if e.MultiShard {
				split = append(split, e.Name)
				merge[e.Name] = e.ResponsePolicy()
			}
		}
		if e.Flags&FlagWatchesKeys != 0 {
			assert.Equal(t, "watch", e.Name)
		}
	}
	assert.ElementsMatch(t, []string{"exec", "discard", "multi", "watch", "quit", "reset"}, runsInMulti)
	assert.ElementsMatch(t, []string{"exec", "auth", "hello"}, skipSlowlog)
	assert.ElementsMatch(t, []string{"rename", "renamenx", "copy", "msetnx",
		"smove", "sinter", "sinterstore", "sunion", "sunionstore", "sdiff", "sdiffstore",
		"lmove", "rpoplpush", "blpop", "brpop", "blmove", "brpoplpush",
		"zrangestore", "bzpopmin", "bzpopmax", "geosearchstore",
		"bitop", "lcs", "pfcount", "pfmerge",
		"ssubscribe", "sunsubscribe"}, sameSlot) // shard channels: one slot (FlagLocal, events.OneSlot)
	assert.ElementsMatch(t, []string{"mget", "mset", "del", "unlink", "exists", "touch"}, split)
	assert.Equal(t, map[string]string{"mget": "", "mset": "all_succeeded", "del": "agg_sum", "unlink": "agg_sum",
		"exists": "agg_sum", "touch": "agg_sum"}, merge)
}

// TestHelpFromTable checks HELP replies generated from the subcommands'
// help lines: every container answers, and CLUSTER HELP describes
// FAILOVER, which works, rather than calling it refused.
func TestHelpFromTable(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.client(t, 3)
	ctx := testCtx(t)
	for _, e := range ts.srv.table.Sorted {
		if e.Subs == nil || e.Subs["help"] == nil {
			continue
		}
		lines, err := c.Do(ctx, e.Name, "HELP").StringSlice()
		require.NoError(t, err, e.Name)
		require.Greater(t, len(lines), 3, e.Name)
		assert.Equal(t, strings.ToUpper(e.Name)+" <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", lines[0])
		assert.Equal(t, []string{"HELP", "    Print this help."}, lines[len(lines)-2:])
		for _, sub := range e.Sorted {
			if sub.Name == e.Name+"|help" || sub.Name == "cluster|slaves" {
				continue // HELP describes itself; SLAVES is REPLICAS' old name
			}
			assert.NotEmpty(t, sub.Help, "%s has no help text", sub.Name)
		}
	}
	lines, err := c.Do(ctx, "CLUSTER", "HELP").StringSlice()
	require.NoError(t, err)
	text := strings.Join(lines, "\n")
	assert.Contains(t, text, "FAILOVER [FORCE|TAKEOVER]\n    Make this node the primary")
	assert.NotContains(t, text, "replicas of a failed node are promoted automatically")
	assert.Contains(t, text, "SETSLOT\n    Refused: slot placement is automatic in meshcache.")
}

// TestCommandInfoTips checks the tips as a cluster client reads them from
// COMMAND (go-redis parses them into the command policy its ClusterClient
// routes by: MGET is multi_shard), and the ACL categories.
func TestCommandInfoTips(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []int{2, 3} {
		c := ts.client(t, proto)
		infos, err := c.Command(testCtx(t)).Result()
		require.NoError(t, err)
		policy := func(name string) [2]string {
			require.NotNil(t, infos[name], name)
			p := infos[name].CommandPolicy
			require.NotNil(t, p, name)
			return [2]string{p.Request.String(), p.Response.String()}
		}
		assert.Equal(t, [2]string{"multi_shard", "default(hashslot)"}, policy("mget"), "RESP%d", proto)
		assert.Equal(t, [2]string{"multi_shard", "agg_sum"}, policy("del"), "RESP%d", proto)
		assert.Equal(t, [2]string{"multi_shard", "all_succeeded"}, policy("mset"), "RESP%d", proto)
		assert.Equal(t, [2]string{"default", "default(hashslot)"}, policy("msetnx"), "RESP%d", proto)
		assert.Equal(t, [2]string{"all_shards", "agg_sum"}, policy("dbsize"), "RESP%d", proto)
		assert.Equal(t, []string{"@read", "@string", "@fast"}, infos["mget"].ACLFlags, "RESP%d", proto)
		assert.Equal(t, []string{"@keyspace", "@write", "@slow", "@dangerous"}, infos["flushall"].ACLFlags, "RESP%d", proto)
	}
}
