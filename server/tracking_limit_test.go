package server

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestTrackingTableMaxKeys: INFO counts the tracking table as Redis does
// (tracking_clients, tracking_total_keys, _items, _prefixes), and
// lowering tracking-table-max-keys below what the table holds forgets
// keys at once, each with an invalidation to its reader, down to the
// limit; 0 is no limit.
func TestTrackingTableMaxKeys(t *testing.T) {
	addr := startDataServer(t)
	tc, w := testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)
	tc.Must(t, "HELLO", "3")
	tc.Must(t, "CLIENT", "TRACKING", "on")
	b := testenv.DialRaw(t, addr)
	b.Must(t, "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "p:", "PREFIX", "q:")
	w.Must(t, "MSET", "k1", "1", "k2", "2", "k3", "3")
	tc.Must(t, "MGET", "k1", "k2", "k3")
	tc.Must(t, "GET", "k1") // read again: still one read of k1
	stat := func(name string) int {
		t.Helper()
		out := string(w.Must(t, "INFO", "everything"))
		_, v, ok := strings.Cut(out, "\r\n"+name+":")
		require.True(t, ok, name)
		v, _, _ = strings.Cut(v, "\r\n")
		n, err := strconv.Atoi(v)
		require.NoError(t, err, name)
		return n
	}
	assert.Equal(t, 2, stat("tracking_clients"))
	assert.Equal(t, 3, stat("tracking_total_keys"))
	assert.Equal(t, 3, stat("tracking_total_items"))
	assert.Equal(t, 2, stat("tracking_total_prefixes"))
	assert.Equal(t, "$7\r\n1000000\r\n", string(w.Must(t, "CONFIG", "GET", "tracking-table-max-keys"))[len("*2\r\n$23\r\ntracking-table-max-keys\r\n"):])

	require.Equal(t, "+OK\r\n", string(w.Must(t, "CONFIG", "SET", "tracking-table-max-keys", "1")))
	gone := map[string]bool{}
	for range 2 {
		var push []byte
		require.NoError(t, testenv.ReadReply(tc.Reader(), &push))
		s := string(push)
		require.True(t, strings.HasPrefix(s, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\n"), s)
		gone[s[len(s)-4:len(s)-2]] = true
	}
	assert.Len(t, gone, 2, "two different keys forgotten")
	assert.Equal(t, 1, stat("tracking_total_keys"))
	assert.Equal(t, 1, stat("tracking_total_items"))
	assert.Equal(t, "+PONG\r\n", string(tc.Must(t, "PING")), "no more invalidations")

	// The one key left is still tracked: its change is told.
	var left string
	for _, k := range []string{"k1", "k2", "k3"} {
		if !gone[k] {
			left = k
		}
	}
	require.Equal(t, "+OK\r\n", string(w.Must(t, "CONFIG", "SET", "tracking-table-max-keys", "0")))
	tc.Must(t, "MGET", "k1", "k2", "k3")
	assert.Equal(t, 3, stat("tracking_total_keys"), "no limit")
	w.Must(t, "SET", left, "x")
	var push []byte
	require.NoError(t, testenv.ReadReply(tc.Reader(), &push))
	assert.Equal(t, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$2\r\n"+left+"\r\n", string(push))
}

// TestReadEvictsFirst: under maxmemory a read evicts too, before it runs,
// as Redis's processCommand does, and the invalidation of the evicted key
// reaches its tracking reader before the read's reply (Redis's "Tracking
// invalidation message of eviction keys should be before response").
func TestReadEvictsFirst(t *testing.T) {
	addr := startDataServer(t)
	c := testenv.DialRaw(t, addr)
	c.Must(t, "HELLO", "3")
	c.Must(t, "CLIENT", "TRACKING", "on")
	used := 0
	out := string(c.Must(t, "INFO", "memory"))
	_, v, _ := strings.Cut(out, "\r\nused_memory:")
	v, _, _ = strings.Cut(v, "\r\n")
	used, err := strconv.Atoi(v)
	require.NoError(t, err)
	c.Must(t, "CONFIG", "SET", "maxmemory", strconv.Itoa(used+100<<10))
	c.Must(t, "CONFIG", "SET", "maxmemory-policy", "volatile-random")
	c.Must(t, "SETEX", "volatile-key", "10000", "x")
	c.Must(t, "GET", "volatile-key")
	c.Must(t, "SETBIT", "big-key", "1600000", "0") // 200 KB: over the limit
	got := string(c.Must(t, "GETBIT", "big-key", "0"))
	assert.Equal(t, ">2\r\n$10\r\ninvalidate\r\n*1\r\n$12\r\nvolatile-key\r\n", got, "the invalidation first")
	var reply []byte
	require.NoError(t, testenv.ReadReply(c.Reader(), &reply))
	assert.Equal(t, ":0\r\n", string(reply))
	assert.Equal(t, ":0\r\n", string(c.Must(t, "EXISTS", "volatile-key")))
	c.Must(t, "CONFIG", "SET", "maxmemory", "0")
}

// TestFlushForgetsStoppedReads: a flush while nobody tracks still drops
// the reads the table remembers of clients that stopped tracking, as
// Redis's flush frees its table: tracking again, the client is not told
// of a change of a key it read before the flush.
func TestFlushForgetsStoppedReads(t *testing.T) {
	addr := startDataServer(t)
	c, w := testenv.DialRaw(t, addr), testenv.DialRaw(t, addr)
	c.Must(t, "HELLO", "3")
	c.Must(t, "CLIENT", "TRACKING", "on")
	c.Must(t, "GET", "k")
	c.Must(t, "CLIENT", "TRACKING", "off") // the read stays remembered, lazily
	assert.Contains(t, string(w.Must(t, "INFO", "stats")), "\r\ntracking_total_keys:1\r\n")
	w.Must(t, "FLUSHALL")
	assert.Contains(t, string(w.Must(t, "INFO", "stats")), "\r\ntracking_total_keys:0\r\n")
	c.Must(t, "CLIENT", "TRACKING", "on")
	w.Must(t, "SET", "k", "v")
	assert.Equal(t, "+PONG\r\n", string(c.Must(t, "PING")), "no invalidation of a read made before the flush")
}
