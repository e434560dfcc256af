package server

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestListEncodingAndMemory checks OBJECT ENCODING of lists through the
// front end, as Redis 7.2 reports it (redis-server 7.0 always says
// quicklist, so the differential test cannot): listpack up to 8 KB,
// quicklist beyond, listpack again once a removal leaves one node of at
// most 4 KB. MEMORY USAGE grows with the list.
func TestListEncodingAndMemory(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	big := strings.Repeat("x", 100)
	args := []any{"RPUSH", "l"}
	for i := 0; i < 90; i++ { // 9000 raw bytes: past 8 KB
		args = append(args, big)
	}
	steps := []testenv.Step{
		{Args: []any{"RPUSH", "l", "a", "b"}, Want: int64(2)},
		{Args: []any{"OBJECT", "ENCODING", "l"}, Want: "listpack"},
		{Args: args, Want: int64(92)},
		{Args: []any{"OBJECT", "ENCODING", "l"}, Want: "quicklist"},
		{Args: []any{"LTRIM", "l", "0", "50"}, Want: "OK"},
		{Args: []any{"OBJECT", "ENCODING", "l"}, Want: "quicklist"},
		{Args: []any{"LTRIM", "l", "0", "30"}, Want: "OK"},
		{Args: []any{"OBJECT", "ENCODING", "l"}, Want: "listpack"},
		{Args: []any{"LPUSH", "one", strings.Repeat("y", 9000)}, Want: int64(1)},
		{Args: []any{"OBJECT", "ENCODING", "one"}, Want: "quicklist"},
		{Args: []any{"LSET", "one", "0", "small"}, Want: "OK"},
		{Args: []any{"OBJECT", "ENCODING", "one"}, Want: "listpack"},
		{Args: []any{"TYPE", "one"}, Want: "list"},
	}
	testenv.RunSteps(t, ctx, c, "resp2", steps)
	small, err := c.MemoryUsage(ctx, "one").Result()
	require.NoError(t, err)
	usage, err := c.MemoryUsage(ctx, "l").Result()
	require.NoError(t, err)
	require.Greater(t, usage, int64(31*100))
	require.Greater(t, usage, small)
}
