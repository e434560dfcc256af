package commands

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
)

func TestKeyCommands(t *testing.T) {
	const nxErr = "ERR NX and XX, GT or LT options at the same time are not compatible"
	runTable(t, map[string][]step{
		"del unlink exists touch type": {
			{args: []any{"MSET", "a", "1", "b", "2", "c", "3"}, want: "OK"},
			{args: []any{"EXISTS", "a", "a", "nokey", "b"}, want: int64(3)},
			{args: []any{"TOUCH", "a", "nokey", "c"}, want: int64(2)},
			{args: []any{"DEL", "a", "a", "nokey"}, want: int64(1)},
			{args: []any{"UNLINK", "b", "c"}, want: int64(2)},
			{args: []any{"EXISTS", "a", "b", "c"}, want: int64(0)},
			{args: []any{"TYPE", "a"}, want: "none"},
			{args: []any{"SET", "s", "v"}, want: "OK"},
			{args: []any{"TYPE", "s"}, want: "string"},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"TYPE", "h"}, want: "hash"},
			{args: []any{"DEL", "h"}, want: int64(1)},
		},
		"expire ttl persist": {
			{args: []any{"EXPIRE", "k", "100"}, want: int64(0)},
			{args: []any{"TTL", "k"}, want: int64(-2)},
			{args: []any{"PTTL", "k"}, want: int64(-2)},
			{args: []any{"EXPIRETIME", "k"}, want: int64(-2)},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"TTL", "k"}, want: int64(-1)},
			{args: []any{"PEXPIRETIME", "k"}, want: int64(-1)},
			{args: []any{"PERSIST", "k"}, want: int64(0)},
			{args: []any{"EXPIRE", "k", "100"}, want: int64(1)},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"PEXPIRE", "k", "200000"}, want: int64(1)},
			{args: []any{"TTL", "k"}, want: int64(200)},
			{args: []any{"EXPIREAT", "k", "4000000000"}, want: int64(1)},
			{args: []any{"EXPIRETIME", "k"}, want: int64(4000000000)},
			{args: []any{"PEXPIREAT", "k", "4000000000500"}, want: int64(1)},
			{args: []any{"PEXPIRETIME", "k"}, want: int64(4000000000500)},
			{args: []any{"EXPIRETIME", "k"}, want: int64(4000000001)}, // rounded as Redis does
			{args: []any{"PERSIST", "k"}, want: int64(1)},
			{args: []any{"TTL", "k"}, want: int64(-1)},
			{args: []any{"EXPIRE", "k", "-1"}, want: int64(1)}, // in the past: deleted
			{args: []any{"EXISTS", "k"}, want: int64(0)},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"EXPIREAT", "k", "0"}, want: int64(1)},
			{args: []any{"EXISTS", "k"}, want: int64(0)},
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"EXPIRE", "k", "x"}, err: resp.ErrNotInteger},
			{args: []any{"EXPIRE", "k", "9223372036854775807"}, err: "ERR invalid expire time in 'expire' command"},
			{args: []any{"PEXPIRE", "k", "9223372036854775807"}, err: "ERR invalid expire time in 'pexpire' command"},
			{args: []any{"EXPIREAT", "k", "-9223372036854775808"}, err: "ERR invalid expire time in 'expireat' command"},
			{args: []any{"EXPIRE", "k", "10", "bogus"}, err: "ERR Unsupported option bogus"},
			{args: []any{"EXPIRE", "k", "10", "NX", "XX"}, err: nxErr},
			{args: []any{"EXPIRE", "k", "10", "gt", "nx"}, err: nxErr},
			{args: []any{"EXPIRE", "k", "10", "GT", "LT"}, err: "ERR GT and LT options at the same time are not compatible"},
		},
		"expire nx xx gt lt": {
			{args: []any{"SET", "k", "v"}, want: "OK"},
			{args: []any{"EXPIRE", "k", "100", "XX"}, want: int64(0)},
			{args: []any{"EXPIRE", "k", "100", "GT"}, want: int64(0)}, // no TTL is infinite
			{args: []any{"EXPIRE", "k", "100", "LT"}, want: int64(1)}, // anything is less than infinite
			{args: []any{"EXPIRE", "k", "50", "NX"}, want: int64(0)},
			{args: []any{"EXPIRE", "k", "200", "LT"}, want: int64(0)},
			{args: []any{"EXPIRE", "k", "200", "GT"}, want: int64(1)},
			{args: []any{"TTL", "k"}, want: int64(200)},
			{args: []any{"EXPIRE", "k", "100", "GT"}, want: int64(0)},
			{args: []any{"EXPIRE", "k", "100", "XX", "LT"}, want: int64(1)},
			{args: []any{"TTL", "k"}, want: int64(100)},
			{args: []any{"PERSIST", "k"}, want: int64(1)},
			{args: []any{"EXPIRE", "k", "100", "nx"}, want: int64(1)},
		},
		"rename renamenx": {
			{args: []any{"RENAME", "a", "b"}, err: resp.ErrNoSuchKey},
			{args: []any{"RENAMENX", "a", "b"}, err: resp.ErrNoSuchKey},
			{args: []any{"RENAME", "a", "a"}, err: resp.ErrNoSuchKey},
			{args: []any{"SET", "a", "1", "EX", "100"}, want: "OK"},
			{args: []any{"RENAME", "a", "a"}, want: "OK"},
			{args: []any{"RENAMENX", "a", "a"}, want: int64(0)},
			{args: []any{"RENAME", "a", "b"}, want: "OK"},
			{args: []any{"GET", "b"}, want: "1"},
			{args: []any{"TTL", "b"}, want: int64(100)},
			{args: []any{"EXISTS", "a"}, want: int64(0)},
			{args: []any{"SET", "c", "3"}, want: "OK"},
			{args: []any{"RENAMENX", "b", "c"}, want: int64(0)},
			{args: []any{"RENAMENX", "b", "d"}, want: int64(1)},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"RENAME", "h", "c"}, want: "OK"}, // overwrites a key of another type
			{args: []any{"TYPE", "c"}, want: "hash"},
		},
		"copy": {
			{args: []any{"COPY", "a", "b"}, want: int64(0)},
			{args: []any{"SET", "a", "1", "EX", "100"}, want: "OK"},
			{args: []any{"COPY", "a", "b"}, want: int64(1)},
			{args: []any{"GET", "b"}, want: "1"},
			{args: []any{"TTL", "b"}, want: int64(100)},
			{args: []any{"SET", "a", "2"}, want: "OK"},
			{args: []any{"COPY", "a", "b"}, want: int64(0)},
			{args: []any{"COPY", "a", "b", "REPLACE"}, want: int64(1)},
			{args: []any{"GET", "b"}, want: "2"},
			{args: []any{"COPY", "a", "b", "db", "0", "replace"}, want: int64(1)},
			{args: []any{"COPY", "a", "a"}, err: resp.ErrSameObject},
			{args: []any{"COPY", "a", "b", "DB", "1"}, err: "ERR Copying to another database is not allowed in cluster mode"},
			{args: []any{"COPY", "a", "b", "DB", "16"}, err: "ERR DB index is out of range"},
			{args: []any{"COPY", "a", "b", "DB", "x"}, err: resp.ErrNotInteger},
			{args: []any{"COPY", "a", "b", "DB"}, err: resp.ErrSyntax},
			{args: []any{"COPY", "a", "b", "bogus"}, err: resp.ErrSyntax},
			{args: []any{"HSET", "h", "f", "v"}, want: int64(1)},
			{args: []any{"COPY", "h", "h2"}, want: int64(1)},
			{args: []any{"HGET", "h2", "f"}, want: "v"},
		},
		"keys randomkey": {
			{args: []any{"RANDOMKEY"}, want: nil},
			{args: []any{"KEYS", "*"}, want: []any{}},
			{args: []any{"SET", "only", "1"}, want: "OK"},
			{args: []any{"RANDOMKEY"}, want: "only"},
			{args: []any{"KEYS", "o?ly"}, want: []any{"only"}},
			{args: []any{"KEYS", "x*"}, want: []any{}},
		},
		"scan errors": {
			{args: []any{"SCAN", "x"}, err: resp.ErrInvalidCursor},
			{args: []any{"SCAN", "0", "COUNT", "0"}, err: resp.ErrSyntax},
			{args: []any{"SCAN", "0", "COUNT", "x"}, err: resp.ErrNotInteger},
			{args: []any{"SCAN", "0", "MATCH"}, err: resp.ErrSyntax},
			{args: []any{"SCAN", "0", "NOVALUES"}, err: "ERR NOVALUES option can only be used in HSCAN"},
			{args: []any{"SCAN", "16384"}, want: []any{"0", []any{}}},
		},
	})
}

// TestKeysAndScan fills the keyspace and checks that KEYS and a full SCAN
// (with MATCH, TYPE and several COUNTs) return exactly the expected keys,
// each SCAN key exactly once.
func TestKeysAndScan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := newClients(t, startDataServer(t))["resp3"]
	const n = 2000
	var all, users, hashes []string
	pipe := c.Pipeline()
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("key:%d", i)
		if i%10 == 0 {
			k = fmt.Sprintf("user:%d", i)
			users = append(users, k)
		}
		if i%7 == 0 {
			pipe.HSet(ctx, k, "f", "v")
			hashes = append(hashes, k)
		} else {
			pipe.Set(ctx, k, "v", 0)
		}
		all = append(all, k)
	}
	_, err := pipe.Exec(ctx)
	require.NoError(t, err)

	keys, err := c.Keys(ctx, "*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, all, keys)
	keys, err = c.Keys(ctx, "user:*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, users, keys)

	scanAll := func(match string, count int64, typ string) []string {
		var out []string
		seen := map[string]bool{}
		var cursor uint64
		for calls := 0; ; calls++ {
			require.Less(t, calls, 100000, "SCAN does not terminate")
			var page []string
			var err error
			if typ != "" {
				page, cursor, err = c.ScanType(ctx, cursor, match, count, typ).Result()
			} else {
				page, cursor, err = c.Scan(ctx, cursor, match, count).Result()
			}
			require.NoError(t, err)
			for _, k := range page {
				require.False(t, seen[k], "SCAN returned %q twice", k)
				seen[k] = true
			}
			out = append(out, page...)
			if cursor == 0 {
				return out
			}
		}
	}
	for _, count := range []int64{1, 10, 1000, 100000} {
		assert.ElementsMatch(t, all, scanAll("", count, ""), "COUNT %d", count)
	}
	assert.ElementsMatch(t, users, scanAll("user:*", 10, ""))
	assert.ElementsMatch(t, hashes, scanAll("", 50, "hash"))
	assert.ElementsMatch(t, hashes, scanAll("", 50, "HASH"))
	assert.Empty(t, scanAll("", 50, "list"))

	// Keys present for the whole scan are returned even while other keys
	// are written and deleted during it.
	var cursor uint64
	seen := map[string]bool{}
	for i := 0; ; i++ {
		page, next, err := c.Scan(ctx, cursor, "", 25).Result()
		require.NoError(t, err)
		for _, k := range page {
			seen[k] = true
		}
		require.NoError(t, c.Set(ctx, fmt.Sprintf("churn:%d", i), "v", 0).Err())
		require.NoError(t, c.Del(ctx, fmt.Sprintf("churn:%d", i-1)).Err())
		cursor = next
		if cursor == 0 {
			break
		}
	}
	for _, k := range all {
		require.True(t, seen[k], "SCAN missed %q", k)
	}

	rk, err := c.RandomKey(ctx).Result()
	require.NoError(t, err)
	exists, err := c.Exists(ctx, rk).Result()
	require.NoError(t, err)
	assert.Equal(t, int64(1), exists, "RANDOMKEY answered %q", rk)
}

// TestExpiryIsHonoured checks that keys given a short TTL disappear, using
// a deadline instead of asserting a time.
func TestExpiryIsHonoured(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := newClients(t, startDataServer(t))["resp2"]
	require.NoError(t, c.Set(ctx, "k", "v", 50*time.Millisecond).Err())
	require.NoError(t, c.HSet(ctx, "h", "f", "v").Err())
	require.NoError(t, c.PExpire(ctx, "h", 50*time.Millisecond).Err())
	for {
		n, err := c.Exists(ctx, "k", "h").Result()
		require.NoError(t, err)
		if n == 0 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("keys did not expire")
		case <-time.After(10 * time.Millisecond):
		}
	}
	ttl, err := c.Do(ctx, "TTL", "k").Int64()
	require.NoError(t, err)
	assert.Equal(t, int64(-2), ttl)
}
