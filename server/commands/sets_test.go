package commands_test

import (
	"sort"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/tests/testenv"
)

func TestSetCommands(t *testing.T) {
	runTable(t, map[string][]testenv.Step{
		"sadd srem scard sismember smismember smembers": {
			{Args: []any{"SADD", "s", "a", "b", "a"}, Want: int64(2)},
			{Args: []any{"SADD", "s", "b", "c"}, Want: int64(1)},
			{Args: []any{"SCARD", "s"}, Want: int64(3)},
			{Args: []any{"SISMEMBER", "s", "a"}, Want: int64(1)},
			{Args: []any{"SMISMEMBER", "s", "a", "z"}, Want: []any{int64(1), int64(0)}},
			{Args: []any{"SMEMBERS", "nokey"}, Want: []any{}},
			{Args: []any{"SREM", "s", "a", "b", "c", "d"}, Want: int64(3)},
			{Args: []any{"EXISTS", "s"}, Want: int64(0)},
			{Args: []any{"SET", "str", "v"}, Want: "OK"},
			{Args: []any{"SADD", "str", "a"}, Err: wrongType},
			{Args: []any{"SMEMBERS", "str"}, Err: wrongType},
			{Args: []any{"SMISMEMBER", "str", "a"}, Err: wrongType},
		},
		"spop srandmember errors": {
			{Args: []any{"SADD", "s", "a"}, Want: int64(1)},
			{Args: []any{"SPOP", "s", "-1"}, Err: "ERR value is out of range, must be positive"},
			{Args: []any{"SRANDMEMBER", "s", "-9223372036854775808"},
				Err: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
			{Args: []any{"SRANDMEMBER", "s", "-9223372036854775807"}, Err: "ERR value is out of range"},
			{Args: []any{"SRANDMEMBER", "s", "-3"}, Want: []any{"a", "a", "a"}},
		},
		"sintercard": {
			{Args: []any{"SADD", "{t}a", "1", "2", "3"}, Want: int64(3)},
			{Args: []any{"SADD", "{t}b", "2", "3", "4"}, Want: int64(3)},
			{Args: []any{"SINTERCARD", "2", "{t}a", "{t}b"}, Want: int64(2)},
			{Args: []any{"SINTERCARD", "2", "{t}a", "{t}b", "LIMIT", "1"}, Want: int64(1)},
			{Args: []any{"SINTERCARD", "0", "{t}a"}, Err: "ERR numkeys should be greater than 0"},
			{Args: []any{"SINTERCARD", "3", "{t}a", "{t}b"}, Err: "ERR Number of keys can't be greater than number of args"},
		},
	})
}

// chiSquare returns Pearson's statistic of counts against a uniform
// expectation over cats categories.
func chiSquare(counts map[string]int, cats int, total int) float64 {
	exp := float64(total) / float64(cats)
	x := 0.0
	seen := 0
	for _, c := range counts {
		d := float64(c) - exp
		x += d * d / exp
		seen++
	}
	// Categories never drawn count fully.
	x += float64(cats-seen) * exp
	return x
}

// chiLimit bounds the chi-square statistic for up to 20 degrees of
// freedom far above its 0.9999 quantile (45.3 for 20): a fair draw passes
// with certainty in practice, a draw that favours or skips members by even
// 10% (about 200 over 10 categories and 20000 draws) fails.
const chiLimit = 60.0

// TestSetRandomDistributions draws members with SRANDMEMBER and SPOP, from
// sets of each encoding, and checks the draws are members, distinct where
// Redis promises it, and uniform (chi-square with a fixed bound).
func TestSetRandomDistributions(t *testing.T) {
	addr := commandstest.StartServer(t, families...)
	c := commandstest.Client(t, addr, 3)
	ctx := commandstest.Ctx(t)
	kinds := map[string][]string{}
	for i := range 10 {
		kinds["intset"] = append(kinds["intset"], strconv.Itoa(i*7))
		kinds["listpack"] = append(kinds["listpack"], "m"+strconv.Itoa(i))
	}
	for i := range 200 {
		kinds["hashtable"] = append(kinds["hashtable"], "member:"+strconv.Itoa(i))
	}
	load := func(t *testing.T, key string, members []string) {
		t.Helper()
		require.NoError(t, c.Del(ctx, key).Err())
		require.NoError(t, c.SAdd(ctx, key, toAny(members)...).Err())
	}
	for kind, members := range kinds {
		isMember := map[string]bool{}
		for _, m := range members {
			isMember[m] = true
		}
		n := len(members)
		t.Run(kind+"/srandmember one", func(t *testing.T) {
			load(t, kind, members)
			counts := map[string]int{}
			draws := 100 * n
			pipe := c.Pipeline()
			cmds := make([]*redis.StringCmd, draws)
			for i := range cmds {
				cmds[i] = pipe.SRandMember(ctx, kind)
			}
			_, err := pipe.Exec(ctx)
			require.NoError(t, err)
			for _, cmd := range cmds {
				require.True(t, isMember[cmd.Val()], cmd.Val())
				counts[cmd.Val()]++
			}
			assert.Less(t, chiSquare(counts, n, draws), chiLimit*float64(n)/20+chiLimit)
		})
		t.Run(kind+"/srandmember negative count", func(t *testing.T) {
			load(t, kind, members)
			draws := 100 * n
			got, err := c.SRandMemberN(ctx, kind, int64(-draws)).Result()
			require.NoError(t, err)
			require.Len(t, got, draws)
			counts := map[string]int{}
			for _, m := range got {
				require.True(t, isMember[m], m)
				counts[m]++
			}
			assert.Less(t, chiSquare(counts, n, draws), chiLimit*float64(n)/20+chiLimit)
		})
		// Positive counts: a small part (Redis's CASE 4), most of the set
		// (CASE 3), all of it and more (CASE 2).
		for _, count := range []int{2, n * 2 / 3, n, n + 5} {
			t.Run(kind+"/srandmember count "+strconv.Itoa(count), func(t *testing.T) {
				load(t, kind, members)
				counts := map[string]int{}
				rounds := 2000 * n / min(count, n) / 10
				pipe := c.Pipeline()
				cmds := make([]*redis.StringSliceCmd, rounds)
				for r := range cmds {
					cmds[r] = pipe.SRandMemberN(ctx, kind, int64(count))
				}
				_, err := pipe.Exec(ctx)
				require.NoError(t, err)
				for _, cmd := range cmds {
					got := cmd.Val()
					require.Len(t, got, min(count, n))
					distinct := map[string]bool{}
					for _, m := range got {
						require.True(t, isMember[m], m)
						require.False(t, distinct[m], "%s twice", m)
						distinct[m] = true
						counts[m]++
					}
				}
				if count < n {
					assert.Less(t, chiSquare(counts, n, rounds*count), chiLimit*float64(n)/20+chiLimit)
				}
			})
		}
		for _, count := range []int{1, 3, n - 1} {
			t.Run(kind+"/spop count "+strconv.Itoa(count), func(t *testing.T) {
				counts := map[string]int{}
				want := append([]string(nil), members...)
				sort.Strings(want)
				rounds := (max(2000/count, 100) + 99) / 100 * 100
				for batch := 0; batch < rounds; batch += 100 {
					// Each round: a fresh set, a pop, what is left.
					pipe := c.Pipeline()
					pops := make([]*redis.StringSliceCmd, 100)
					one := make([]*redis.StringCmd, 100)
					rests := make([]*redis.StringSliceCmd, 100)
					for r := range 100 {
						pipe.Del(ctx, kind)
						pipe.SAdd(ctx, kind, toAny(members)...)
						if count == 1 {
							one[r] = pipe.SPop(ctx, kind)
						} else {
							pops[r] = pipe.SPopN(ctx, kind, int64(count))
						}
						rests[r] = pipe.SMembers(ctx, kind)
					}
					_, err := pipe.Exec(ctx)
					require.NoError(t, err)
					for r := range 100 {
						var got []string
						if count == 1 {
							got = []string{one[r].Val()}
						} else {
							got = pops[r].Val()
						}
						require.Len(t, got, count)
						all := append(append([]string(nil), got...), rests[r].Val()...)
						sort.Strings(all)
						require.Equal(t, want, all, "popped and left are the set")
						for _, m := range got {
							counts[m]++
						}
					}
				}
				assert.Less(t, chiSquare(counts, n, rounds*count), chiLimit*float64(n)/20+chiLimit)
			})
		}
	}
}

// TestSPopDrainsBigSet pops a 20000-member set one member at a time (many
// removals: holes, closing, shrinking) and then in batches, and checks
// every member comes out exactly once and the key goes away.
func TestSPopDrainsBigSet(t *testing.T) {
	addr := commandstest.StartServer(t, families...)
	c := commandstest.Client(t, addr, 2)
	ctx := commandstest.Ctx(t)
	const n = 20000
	members := make([]any, n)
	for i := range members {
		members[i] = "member:" + strconv.Itoa(i)
	}
	require.NoError(t, c.SAdd(ctx, "big", members...).Err())
	seen := map[string]bool{}
	pipe := c.Pipeline()
	var cmds []*redis.StringCmd
	for range n / 2 {
		cmds = append(cmds, pipe.SPop(ctx, "big"))
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)
	for _, cmd := range cmds {
		require.False(t, seen[cmd.Val()], "%s popped twice", cmd.Val())
		seen[cmd.Val()] = true
	}
	for {
		got, err := c.SPopN(ctx, "big", 777).Result()
		require.NoError(t, err)
		if len(got) == 0 {
			break
		}
		for _, m := range got {
			require.False(t, seen[m], "%s popped twice", m)
			seen[m] = true
		}
	}
	assert.Len(t, seen, n)
	assert.Zero(t, c.Exists(ctx, "big").Val())
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
