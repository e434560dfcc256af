package sortcmd

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// families are the groups the tests run: SORT, with the string, list and
// hash commands the tests also use.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, commands.HashCommands,
	commands.ListCommands, Commands}

const (
	errSortBy  = "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
	errSortGet = "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
)

// TestSortPatternsInOneSlot: BY and GET patterns are allowed only when
// every key they form is in the sorted key's slot (Commands), and GET #
// always.
func TestSortPatternsInOneSlot(t *testing.T) {
	commandstest.RunTable(t, map[string][]testenv.Step{
		"patterns": {
			{Args: []any{"RPUSH", "{t}l", "2", "1"}, Want: int64(2)},
			{Args: []any{"MSET", "{t}w1", "9", "{t}w2", "8"}, Want: "OK"},
			{Args: []any{"SORT", "{t}l", "BY", "{t}w*", "GET", "#"}, Want: []any{"2", "1"}},
			{Args: []any{"SORT", "{t}l", "BY", "w*"}, Err: errSortBy},
			{Args: []any{"SORT", "{t}l", "GET", "w*"}, Err: errSortGet},
			{Args: []any{"SORT", "{t}l", "GET", "w?{t}*"}, Err: errSortGet},
			{Args: []any{"SORT", "{t}l", "BY", "nosort", "GET", "#"}, Want: []any{"2", "1"}},
			{Args: []any{"SORT", "{t}l", "BY", "{t}w*", "STORE", "{t}out"}, Want: int64(2)},
			{Args: []any{"LRANGE", "{t}out", "0", "-1"}, Want: []any{"2", "1"}},
		},
	}, families...)
}

// TestSortPatternsStandalone: on a standalone node BY and GET patterns
// reach keys of any slot, as on a standalone redis-server (Commands), and
// STORE writes the result.
func TestSortPatternsStandalone(t *testing.T) {
	st := store.New(store.Config{})
	h := commandstest.NewHost(0, families...)
	h.Alone = true
	locks := lock.NewTable(lock.TableConfig{})
	do := func(args ...string) string { return h.Do(st, locks, args...) }
	do("RPUSH", "l", "1", "2", "3")
	do("MSET", "w_1", "30", "w_2", "10", "w_3", "20", "o_1", "one", "o_2", "two")
	do("HSET", "h_3", "f", "three")
	slots := map[uint16]bool{}
	for _, k := range []string{"l", "w_1", "w_2", "w_3", "o_1", "h_3"} {
		slots[ring.KeySlot([]byte(k))] = true
	}
	require.Len(t, slots, 6, "the keys are in six slots")
	assert.Equal(t, "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n", do("SORT", "l", "BY", "w_*"))
	assert.Equal(t, "*6\r\n$3\r\ntwo\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n$3\r\none\r\n$1\r\n1\r\n",
		do("SORT", "l", "BY", "w_*", "GET", "o_*", "GET", "#"))
	assert.Equal(t, "*3\r\n$-1\r\n$-1\r\n$5\r\nthree\r\n", do("SORT_RO", "l", "GET", "h_*->f"))
	assert.Equal(t, ":3\r\n", do("SORT", "l", "BY", "w_*", "GET", "w_*", "STORE", "out"))
	assert.Equal(t, "*3\r\n$2\r\n10\r\n$2\r\n20\r\n$2\r\n30\r\n", do("LRANGE", "out", "0", "-1"))

	h.Alone = false // a cluster node refuses the same patterns
	assert.Equal(t, "-"+errSortBy+"\r\n", do("SORT", "l", "BY", "w_*"))
}

func TestPatternSlot(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    int
	}{
		{"w_*", -1},
		{"{t}w_*", int(ring.KeySlot([]byte("t")))},
		{"w_{t}*", int(ring.KeySlot([]byte("t")))},
		{"{}w_*", -1},
		{"plain", int(ring.KeySlot([]byte("plain")))},
		{"{t\\}*", -1},
		{"{t?}", -1},
	} {
		assert.Equal(t, tc.want, patternSlot([]byte(tc.pattern)), tc.pattern)
	}
}

func TestSortGetKeys(t *testing.T) {
	keys := func(args ...string) []int {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		var out []int
		for _, k := range sortGetKeys(b, nil) {
			out = append(out, k.Pos)
		}
		return out
	}
	assert.Equal(t, []int{1}, keys("SORT", "k"))
	assert.Equal(t, []int{1, 3}, keys("SORT", "k", "STORE", "d"))
	assert.Equal(t, []int{1, 8}, keys("SORT", "k", "STORE", "a", "LIMIT", "0", "1", "STORE", "d"), "the last STORE")
	assert.Equal(t, []int{1, 3}, keys("SORT", "k", "STORE", "a", "LIMIT", "0", "STORE", "d"), "LIMIT takes two arguments, as Redis skips them")
	assert.Equal(t, []int{1}, keys("SORT", "k", "GET", "STORE"), "STORE as GET's pattern is not a keyword")
	assert.Equal(t, []int{1}, keys("SORT", "k", "STORE"))
}
