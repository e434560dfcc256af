package commands_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

func TestKeyCommands(t *testing.T) {
	const nxErr = "ERR NX and XX, GT or LT options at the same time are not compatible"
	runTable(t, map[string][]testenv.Step{
		"del unlink exists touch type": {
			{Args: []any{"MSET", "a", "1", "b", "2", "c", "3"}, Want: "OK"},
			{Args: []any{"EXISTS", "a", "a", "nokey", "b"}, Want: int64(3)},
			{Args: []any{"TOUCH", "a", "nokey", "c"}, Want: int64(2)},
			{Args: []any{"DEL", "a", "a", "nokey"}, Want: int64(1)},
			{Args: []any{"UNLINK", "b", "c"}, Want: int64(2)},
			{Args: []any{"EXISTS", "a", "b", "c"}, Want: int64(0)},
			{Args: []any{"TYPE", "a"}, Want: "none"},
			{Args: []any{"SET", "s", "v"}, Want: "OK"},
			{Args: []any{"TYPE", "s"}, Want: "string"},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"TYPE", "h"}, Want: "hash"},
			{Args: []any{"DEL", "h"}, Want: int64(1)},
		},
		"expire ttl persist": {
			{Args: []any{"EXPIRE", "k", "100"}, Want: int64(0)},
			{Args: []any{"TTL", "k"}, Want: int64(-2)},
			{Args: []any{"PTTL", "k"}, Want: int64(-2)},
			{Args: []any{"EXPIRETIME", "k"}, Want: int64(-2)},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"TTL", "k"}, Want: int64(-1)},
			{Args: []any{"PEXPIRETIME", "k"}, Want: int64(-1)},
			{Args: []any{"PERSIST", "k"}, Want: int64(0)},
			{Args: []any{"EXPIRE", "k", "100"}, Want: int64(1)},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"PEXPIRE", "k", "200000"}, Want: int64(1)},
			{Args: []any{"TTL", "k"}, Want: int64(200)},
			{Args: []any{"EXPIREAT", "k", "4000000000"}, Want: int64(1)},
			{Args: []any{"EXPIRETIME", "k"}, Want: int64(4000000000)},
			{Args: []any{"PEXPIREAT", "k", "4000000000500"}, Want: int64(1)},
			{Args: []any{"PEXPIRETIME", "k"}, Want: int64(4000000000500)},
			{Args: []any{"EXPIRETIME", "k"}, Want: int64(4000000001)}, // rounded as Redis does
			{Args: []any{"PERSIST", "k"}, Want: int64(1)},
			{Args: []any{"TTL", "k"}, Want: int64(-1)},
			{Args: []any{"EXPIRE", "k", "-1"}, Want: int64(1)}, // in the past: deleted
			{Args: []any{"EXISTS", "k"}, Want: int64(0)},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"EXPIREAT", "k", "0"}, Want: int64(1)},
			{Args: []any{"EXISTS", "k"}, Want: int64(0)},
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"EXPIRE", "k", "x"}, Err: resp.ErrNotInteger},
			{Args: []any{"EXPIRE", "k", "9223372036854775807"}, Err: "ERR invalid expire time in 'expire' command"},
			{Args: []any{"PEXPIRE", "k", "9223372036854775807"}, Err: "ERR invalid expire time in 'pexpire' command"},
			{Args: []any{"EXPIREAT", "k", "-9223372036854775808"}, Err: "ERR invalid expire time in 'expireat' command"},
			{Args: []any{"EXPIRE", "k", "10", "bogus"}, Err: "ERR Unsupported option bogus"},
			{Args: []any{"EXPIRE", "k", "10", "NX", "XX"}, Err: nxErr},
			{Args: []any{"EXPIRE", "k", "10", "gt", "nx"}, Err: nxErr},
			{Args: []any{"EXPIRE", "k", "10", "GT", "LT"}, Err: "ERR GT and LT options at the same time are not compatible"},
		},
		"expire nx xx gt lt": {
			{Args: []any{"SET", "k", "v"}, Want: "OK"},
			{Args: []any{"EXPIRE", "k", "100", "XX"}, Want: int64(0)},
			{Args: []any{"EXPIRE", "k", "100", "GT"}, Want: int64(0)}, // no TTL is infinite
			{Args: []any{"EXPIRE", "k", "100", "LT"}, Want: int64(1)}, // anything is less than infinite
			{Args: []any{"EXPIRE", "k", "50", "NX"}, Want: int64(0)},
			{Args: []any{"EXPIRE", "k", "200", "LT"}, Want: int64(0)},
			{Args: []any{"EXPIRE", "k", "200", "GT"}, Want: int64(1)},
			{Args: []any{"TTL", "k"}, Want: int64(200)},
			{Args: []any{"EXPIRE", "k", "100", "GT"}, Want: int64(0)},
			{Args: []any{"EXPIRE", "k", "100", "XX", "LT"}, Want: int64(1)},
			{Args: []any{"TTL", "k"}, Want: int64(100)},
			{Args: []any{"PERSIST", "k"}, Want: int64(1)},
			{Args: []any{"EXPIRE", "k", "100", "nx"}, Want: int64(1)},
		},
		"rename renamenx": {
			{Args: []any{"RENAME", "a", "b"}, Err: resp.ErrNoSuchKey},
			{Args: []any{"RENAMENX", "a", "b"}, Err: resp.ErrNoSuchKey},
			{Args: []any{"RENAME", "a", "a"}, Err: resp.ErrNoSuchKey},
			{Args: []any{"SET", "a", "1", "EX", "100"}, Want: "OK"},
			{Args: []any{"RENAME", "a", "a"}, Want: "OK"},
			{Args: []any{"RENAMENX", "a", "a"}, Want: int64(0)},
			{Args: []any{"RENAME", "a", "b"}, Want: "OK"},
			{Args: []any{"GET", "b"}, Want: "1"},
			{Args: []any{"TTL", "b"}, Want: int64(100)},
			{Args: []any{"EXISTS", "a"}, Want: int64(0)},
			{Args: []any{"SET", "c", "3"}, Want: "OK"},
			{Args: []any{"RENAMENX", "b", "c"}, Want: int64(0)},
			{Args: []any{"RENAMENX", "b", "d"}, Want: int64(1)},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"RENAME", "h", "c"}, Want: "OK"}, // overwrites a key of another type
			{Args: []any{"TYPE", "c"}, Want: "hash"},
		},
		"copy": {
			{Args: []any{"COPY", "a", "b"}, Want: int64(0)},
			{Args: []any{"SET", "a", "1", "EX", "100"}, Want: "OK"},
			{Args: []any{"COPY", "a", "b"}, Want: int64(1)},
			{Args: []any{"GET", "b"}, Want: "1"},
			{Args: []any{"TTL", "b"}, Want: int64(100)},
			{Args: []any{"SET", "a", "2"}, Want: "OK"},
			{Args: []any{"COPY", "a", "b"}, Want: int64(0)},
			{Args: []any{"COPY", "a", "b", "REPLACE"}, Want: int64(1)},
			{Args: []any{"GET", "b"}, Want: "2"},
			{Args: []any{"COPY", "a", "b", "db", "0", "replace"}, Want: int64(1)},
			{Args: []any{"COPY", "a", "a"}, Err: resp.ErrSameObject},
			{Args: []any{"COPY", "a", "b", "DB", "1"}, Err: "ERR Copying to another database is not allowed in cluster mode"},
			{Args: []any{"COPY", "a", "b", "DB", "16"}, Err: "ERR DB index is out of range"},
			{Args: []any{"COPY", "a", "b", "DB", "x"}, Err: resp.ErrNotInteger},
			{Args: []any{"COPY", "a", "b", "DB"}, Err: resp.ErrSyntax},
			{Args: []any{"COPY", "a", "b", "bogus"}, Err: resp.ErrSyntax},
			{Args: []any{"HSET", "h", "f", "v"}, Want: int64(1)},
			{Args: []any{"COPY", "h", "h2"}, Want: int64(1)},
			{Args: []any{"HGET", "h2", "f"}, Want: "v"},
		},
		"keys randomkey": {
			{Args: []any{"RANDOMKEY"}, Want: nil},
			{Args: []any{"KEYS", "*"}, Want: []any{}},
			{Args: []any{"SET", "only", "1"}, Want: "OK"},
			{Args: []any{"RANDOMKEY"}, Want: "only"},
			{Args: []any{"KEYS", "o?ly"}, Want: []any{"only"}},
			{Args: []any{"KEYS", "x*"}, Want: []any{}},
		},
		"scan errors": {
			{Args: []any{"SCAN", "x"}, Err: resp.ErrInvalidCursor},
			{Args: []any{"SCAN", "0", "COUNT", "0"}, Err: resp.ErrSyntax},
			{Args: []any{"SCAN", "0", "COUNT", "x"}, Err: resp.ErrNotInteger},
			{Args: []any{"SCAN", "0", "MATCH"}, Err: resp.ErrSyntax},
			{Args: []any{"SCAN", "0", "NOVALUES"}, Err: "ERR NOVALUES option can only be used in HSCAN"},
			{Args: []any{"SCAN", "16384"}, Want: []any{"0", []any{}}},
		},
	})
}

// TestKeysAndScan fills the keyspace and checks that KEYS and a full SCAN
// (with MATCH, TYPE and several COUNTs) return exactly the expected keys,
// each SCAN key exactly once.
func TestKeysAndScan(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := commandstest.Clients(t, commandstest.StartServer(t, families...))["resp3"]
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
	c := commandstest.Clients(t, commandstest.StartServer(t, families...))["resp2"]
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

// TestKeyspaceWideLedSlots: KEYS, SCAN and RANDOMKEY see only the slots
// this node leads (Host.Leads), as on a Redis Cluster master, though the
// store holds the others' keys too (as a replica would).
func TestKeyspaceWideLedSlots(t *testing.T) {
	h := commandstest.NewHost(0, families...)
	st := store.New(store.Config{})
	locks := lock.NewTable(lock.TableConfig{})
	do := func(args ...string) string { return h.Do(st, locks, args...) }
	led := map[string]bool{}
	for i := range 40 {
		k := fmt.Sprintf("led:%d", i)
		require.Equal(t, "+OK\r\n", do("SET", k, "v"))
		led[k] = ring.KeySlot([]byte(k))%2 == 0
	}
	h.Led = func(slot uint16) bool { return slot%2 == 0 }
	want := 0
	for _, l := range led {
		if l {
			want++
		}
	}
	require.Positive(t, want)
	require.Less(t, want, len(led))

	keys := do("KEYS", "*")
	assert.True(t, strings.HasPrefix(keys, fmt.Sprintf("*%d\r\n", want)), keys)
	scanned := do("SCAN", "0", "COUNT", "1000")
	for k, l := range led {
		assert.Equal(t, l, strings.Contains(keys, "\r\n"+k+"\r\n"), "KEYS %s", k)
		assert.Equal(t, l, strings.Contains(scanned, "\r\n"+k+"\r\n"), "SCAN %s", k)
	}
	for range 20 {
		r := do("RANDOMKEY")
		k := strings.Split(r, "\r\n")[1]
		assert.True(t, led[k], "RANDOMKEY %q from a slot not led", k)
	}
	h.Led = func(uint16) bool { return false }
	assert.Equal(t, "$-1\r\n", do("RANDOMKEY"), "no slot led: no key")
	assert.Equal(t, "*0\r\n", do("KEYS", "*"))
}
