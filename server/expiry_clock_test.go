package server

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestExpiryClockNeverBehindWallTime is issue 20's timing bug: a key given
// an absolute deadline must never report more time to live than the
// deadline leaves (the keyspace clock must not lag wall time), nor be gone
// before the deadline has passed.
func TestExpiryClockNeverBehindWallTime(t *testing.T) {
	ts := startServer(t, nil)
	ctx := testCtx(t)
	c := ts.client(t, 2)
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	for i := range 500 {
		at := time.Now().UnixMilli() + 10000
		require.NoError(t, c.Do(ctx, "GETEX", "k", "PXAT", strconv.FormatInt(at, 10)).Err())
		ttl, err := c.Do(ctx, "PTTL", "k").Int64()
		require.NoError(t, err)
		// PTTL is read after at was computed: at most 10000 ms remain.
		require.LessOrEqual(t, ttl, int64(10000), "try %d: PTTL %d after PXAT now+10000", i, ttl)
		require.GreaterOrEqual(t, ttl, int64(0), "try %d", i)
	}
	// A key whose deadline is still ahead is alive: set a deadline a
	// little ahead of wall time, then read it before the deadline.
	for i := range 200 {
		at := time.Now().UnixMilli() + 50
		require.NoError(t, c.Do(ctx, "SET", "d", "v", "PXAT", strconv.FormatInt(at, 10)).Err())
		before := time.Now().UnixMilli()
		n, err := c.Exists(ctx, "d").Result()
		require.NoError(t, err)
		if time.Now().UnixMilli() <= at && before <= at {
			require.EqualValues(t, 1, n, "try %d: key gone before its deadline", i)
		}
	}
}
