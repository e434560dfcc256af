package commands_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// The list behaviours the differential test cannot show: Redis 7.2 answers
// where redis-server 7.0 differs, big lists across many chunks, and the
// blocking commands' request to wait.

func TestListCommands(t *testing.T) {
	var big []any
	for i := 0; i < 5000; i++ {
		big = append(big, fmt.Sprintf("element-%04d", i))
	}
	runTable(t, map[string][]testenv.Step{
		"redis 7.2 answers": {
			{Args: []any{"RPUSH", "l", "a", "b", "a"}, Want: int64(3)},
			{Args: []any{"LPOS", "l", "a", "RANK", "-9223372036854775808"},
				Err: "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"},
			{Args: []any{"LPOS", "l", "a", "RANK", "-9223372036854775807"}, Want: nil},
			// 7.2 negates LONG_MIN into itself: every match goes.
			{Args: []any{"LREM", "l", "-9223372036854775808", "a"}, Want: int64(2)},
			{Args: []any{"LRANGE", "l", "0", "-1"}, Want: []any{"b"}},
		},
		"big lists": {
			{Args: append([]any{"RPUSH", "big"}, big...), Want: int64(5000)},
			{Args: []any{"LINDEX", "big", "2500"}, Want: "element-2500"},
			{Args: []any{"LINDEX", "big", "-1"}, Want: "element-4999"},
			{Args: []any{"LRANGE", "big", "2498", "2501"}, Want: []any{"element-2498", "element-2499", "element-2500", "element-2501"}},
			{Args: []any{"LSET", "big", "3000", "changed"}, Want: "OK"},
			{Args: []any{"LPOS", "big", "changed"}, Want: int64(3000)},
			{Args: []any{"LINSERT", "big", "BEFORE", "element-1000", "new"}, Want: int64(5001)},
			{Args: []any{"LINDEX", "big", "1000"}, Want: "new"},
			{Args: []any{"LINDEX", "big", "3001"}, Want: "changed"},
			{Args: []any{"LREM", "big", "0", "new"}, Want: int64(1)},
			{Args: []any{"LTRIM", "big", "100", "-101"}, Want: "OK"},
			{Args: []any{"LLEN", "big"}, Want: int64(4800)},
			{Args: []any{"LPOP", "big", "2"}, Want: []any{"element-0100", "element-0101"}},
			{Args: []any{"RPOP", "big", "2"}, Want: []any{"element-4899", "element-4898"}},
			{Args: []any{"LMPOP", "1", "big", "RIGHT", "COUNT", "1"}, Want: []any{"big", []any{"element-4897"}}},
		},
	})
}

// call runs one command of the list family directly, as the front end
// would, and returns the Call (to see Blocked) and its raw reply.
func call(t *testing.T, st *store.Store, args ...string) (*commands.Call, string) {
	t.Helper()
	reply := &resp.Reply{}
	c := commandstest.NewHost(0, families...).Exec(st, lock.NewTable(lock.TableConfig{}), reply, commandstest.Args(args...))
	require.NotNil(t, c, "%q: no handler ran: %q", args, reply.Bytes())
	return c, string(reply.Bytes())
}

// TestBlockingListCommands checks the blocking commands' two paths: a
// non-empty key is served at once; empty or missing keys ask to block
// with the right deadline and timeout reply, and write nothing.
func TestBlockingListCommands(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	st := store.New(store.Config{Now: func() time.Time { return now }})
	ms := now.UnixMilli()

	tests := []struct {
		args      []string
		deadline  int64
		nullArray bool
	}{
		{[]string{"BLPOP", "{k}a", "{k}b", "0"}, 0, true},
		{[]string{"BRPOP", "{k}a", "1.5"}, ms + 1500, true},
		{[]string{"BLPOP", "{k}a", "0.0001"}, ms + 1, true},
		{[]string{"BLMOVE", "{k}a", "{k}b", "LEFT", "RIGHT", "2"}, ms + 2000, false},
		{[]string{"BRPOPLPUSH", "{k}a", "{k}b", "0"}, 0, false},
		{[]string{"BLMPOP", "0.5", "2", "{k}a", "{k}b", "LEFT", "COUNT", "3"}, ms + 500, true},
	}
	for _, tc := range tests {
		c, out := call(t, st, tc.args...)
		require.NotNil(t, c.Blocked, "%v", tc.args)
		assert.Empty(t, out, "%v writes no reply when it blocks", tc.args)
		assert.Equal(t, tc.deadline, c.Blocked.Deadline, "%v", tc.args)
		assert.Equal(t, tc.nullArray, c.Blocked.NullArray, "%v", tc.args)
	}

	_, out := call(t, st, "RPUSH", "{k}b", "x", "y", "z")
	require.Equal(t, ":3\r\n", out)
	served := []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "{k}a", "{k}b", "0"}, "*2\r\n$4\r\n{k}b\r\n$1\r\nx\r\n"},
		{[]string{"BRPOP", "{k}a", "{k}b", "1"}, "*2\r\n$4\r\n{k}b\r\n$1\r\nz\r\n"},
		{[]string{"BLMOVE", "{k}b", "{k}a", "LEFT", "RIGHT", "0"}, "$1\r\ny\r\n"},
		{[]string{"BRPOPLPUSH", "{k}a", "{k}b", "0"}, "$1\r\ny\r\n"},
		{[]string{"BLMPOP", "0", "2", "{k}a", "{k}b", "LEFT", "COUNT", "3"}, "*2\r\n$4\r\n{k}b\r\n*1\r\n$1\r\ny\r\n"},
	}
	for _, tc := range served {
		c, out := call(t, st, tc.args...)
		assert.Nil(t, c.Blocked, "%v is served at once", tc.args)
		assert.Equal(t, tc.want, out, "%v", tc.args)
	}

	// Errors come before blocking.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"BLPOP", "{k}a", "-1"}, "-ERR timeout is negative\r\n"},
		{[]string{"BLPOP", "{k}a", "x"}, "-ERR timeout is not a float or out of range\r\n"},
		{[]string{"BLMPOP", "x", "0", "{k}a", "LEFT"}, "-ERR numkeys should be greater than 0\r\n"},
		{[]string{"BLMOVE", "{k}a", "{k}b", "UP", "LEFT", "0"}, "-ERR syntax error\r\n"},
	} {
		c, out := call(t, st, tc.args...)
		assert.Nil(t, c.Blocked, "%v", tc.args)
		assert.Equal(t, tc.want, out, "%v", tc.args)
	}
}
