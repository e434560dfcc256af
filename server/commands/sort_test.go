package commands_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/tests/testenv"
)

const (
	errSortBy  = "ERR BY option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
	errSortGet = "ERR GET option of SORT denied in Cluster mode when keys formed by the pattern may be in different slots."
)

// TestSortPatternsInOneSlot: BY and GET patterns are allowed only when
// every key they form is in the sorted key's slot (sort.go), and GET #
// always.
func TestSortPatternsInOneSlot(t *testing.T) {
	runTable(t, map[string][]testenv.Step{
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
	})
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
		assert.Equal(t, tc.want, commands.PatternSlot([]byte(tc.pattern)), tc.pattern)
	}
}

func TestSortGetKeys(t *testing.T) {
	keys := func(args ...string) []int {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		var out []int
		for _, k := range commands.SortGetKeys(b, nil) {
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
