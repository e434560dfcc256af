package commands_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands/commandstest"
)

// TestLockCommandErrors sends bad arguments to every LOCK.* command through
// go-redis and checks Redis's wording of each error.
func TestLockCommandErrors(t *testing.T) {
	addr := commandstest.StartServer(t, families...)
	c := commandstest.Client(t, addr, 2)
	ctx := commandstest.Ctx(t)
	cases := []struct {
		args []any
		want string
	}{
		{[]any{"lock.acquire"}, "ERR wrong number of arguments for 'lock.acquire' command"},
		{[]any{"LOCK.ACQUIRE", "n", "h"}, "ERR wrong number of arguments for 'lock.acquire' command"},
		{[]any{"lock.acquire", "n", "h", "10", "x"}, "ERR wrong number of arguments for 'lock.acquire' command"},
		{[]any{"lock.acquire", "n", "h", "ten"}, "ERR value is not an integer or out of range"},
		{[]any{"lock.acquire", "n", "h", "+10"}, "ERR value is not an integer or out of range"},
		{[]any{"lock.acquire", "n", "h", "0"}, "ERR invalid expire time in 'lock.acquire' command"},
		{[]any{"lock.acquire", "n", "h", "-5"}, "ERR invalid expire time in 'lock.acquire' command"},
		{[]any{"lock.acquire", "n", "", "100"}, "ERR invalid holder in 'lock.acquire' command"},
		{[]any{"lock.confirm", "n", "h"}, "ERR wrong number of arguments for 'lock.confirm' command"},
		{[]any{"lock.confirm", "n", "h", "abc"}, "ERR value is not an integer or out of range"},
		{[]any{"lock.confirm", "n", "h", "-1"}, "ERR value is not an integer or out of range"},
		{[]any{"lock.confirm", "n", "", "1"}, "ERR invalid holder in 'lock.confirm' command"},
		{[]any{"lock.confirm", "free", "h", "1"}, "NOTHELD the lock is not held by this holder"},
		{[]any{"lock.release", "n"}, "ERR wrong number of arguments for 'lock.release' command"},
		{[]any{"lock.release", "n", "h", "x"}, "ERR wrong number of arguments for 'lock.release' command"},
		{[]any{"lock.release", "n", ""}, "ERR invalid holder in 'lock.release' command"},
		{[]any{"lock.extend", "n", "h"}, "ERR wrong number of arguments for 'lock.extend' command"},
		{[]any{"lock.extend", "n", "h", "1.5"}, "ERR value is not an integer or out of range"},
		{[]any{"lock.extend", "n", "h", "0"}, "ERR invalid expire time in 'lock.extend' command"},
		{[]any{"lock.extend", "n", "", "10"}, "ERR invalid holder in 'lock.extend' command"},
	}
	for _, tc := range cases {
		err := c.Do(ctx, tc.args...).Err()
		require.Error(t, err, "%v", tc.args)
		assert.Equal(t, tc.want, err.Error(), "%v", tc.args)
	}
}

// TestLockCommands runs grant, taken, confirm, extend and release through
// go-redis in both protocols, and checks that the mark survives a release.
func TestLockCommands(t *testing.T) {
	addr := commandstest.StartServer(t, families...)
	for _, proto := range []int{2, 3} {
		c := commandstest.Client(t, addr, proto)
		ctx := commandstest.Ctx(t)
		name := "job-" + string(rune('0'+proto))

		v, err := c.Do(ctx, "LOCK.ACQUIRE", name, "alice", 60000).Int64Slice()
		require.NoError(t, err)
		require.Len(t, v, 2)
		assert.Equal(t, int64(1), v[0], "granted")
		mark := v[1]
		assert.Positive(t, mark, "a new table's floor is its creation time")

		// Taken: the reply carries the remaining lease.
		v, err = c.Do(ctx, "lock.acquire", name, "bob", 1000).Int64Slice()
		require.NoError(t, err)
		assert.Equal(t, int64(0), v[0])
		assert.InDelta(t, 60000, v[1], 60000, "pttl within the lease")
		assert.Positive(t, v[1])

		// A retry by the holder is granted again, with the same mark.
		v, err = c.Do(ctx, "lock.acquire", name, "alice", 60000).Int64Slice()
		require.NoError(t, err)
		assert.Equal(t, []int64{1, mark}, v)

		require.NoError(t, c.Do(ctx, "lock.confirm", name, "alice", mark+1).Err())
		err = c.Do(ctx, "lock.confirm", name, "bob", mark+2).Err()
		require.Error(t, err)
		assert.Equal(t, "NOTHELD the lock is not held by this holder", err.Error())

		n, err := c.Do(ctx, "lock.extend", name, "bob", 1000).Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(0), n, "only the holder extends")
		n, err = c.Do(ctx, "lock.extend", name, "alice", 60000).Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)

		n, err = c.Do(ctx, "lock.release", name, "bob").Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(0), n, "only the holder releases")
		n, err = c.Do(ctx, "lock.release", name, "alice").Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(1), n)
		n, err = c.Do(ctx, "lock.release", name, "alice").Int64()
		require.NoError(t, err)
		assert.Equal(t, int64(0), n, "released twice")

		// The next holder sees the confirmed token as the mark.
		v, err = c.Do(ctx, "lock.acquire", name, "bob", 1000).Int64Slice()
		require.NoError(t, err)
		assert.Equal(t, []int64{1, mark + 1}, v)
		err = c.Do(ctx, "lock.confirm", name, "bob", mark).Err()
		require.Error(t, err)
		assert.Contains(t, err.Error(), "STALETOKEN ")
		require.NoError(t, c.Do(ctx, "lock.release", name, "bob").Err())
	}
}

// TestLockLeaseExpires lets a short lease run out and checks that another
// holder gets it, with the mark the first holder confirmed.
func TestLockLeaseExpires(t *testing.T) {
	addr := commandstest.StartServer(t, families...)
	c := commandstest.Client(t, addr, 2)
	ctx := commandstest.Ctx(t)
	v, err := c.Do(ctx, "lock.acquire", "short", "a", 20).Int64Slice()
	require.NoError(t, err)
	require.NoError(t, c.Do(ctx, "lock.confirm", "short", "a", v[1]+7).Err())
	require.Eventually(t, func() bool {
		v, err := c.Do(ctx, "lock.acquire", "short", "b", 60000).Int64Slice()
		return err == nil && v[0] == 1
	}, 5*time.Second, 5*time.Millisecond)
	v2, err := c.Do(ctx, "lock.acquire", "short", "b", 60000).Int64Slice()
	require.NoError(t, err)
	assert.Equal(t, []int64{1, v[1] + 7}, v2)
	n, err := c.Do(ctx, "lock.extend", "short", "a", 1000).Int64()
	require.NoError(t, err)
	assert.Zero(t, n, "the expired holder cannot extend")
}
