package commands_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/store/rdb"
)

// dumpBuilds make one key "k" of each type and encoding size.
var dumpBuilds = [][]string{
	{"SET", "k", "hello"},
	{"SET", "k", "123"},
	{"RPUSH", "k", "a", "1", "b"},
	{"SADD", "k", "1", "2", "3"},
	{"SADD", "k", "a", "b"},
	{"ZADD", "k", "1.5", "a", "2", "b"},
	{"HSET", "k", "f", "v", "g", "w"},
}

func init() {
	var big []string
	for i := range 300 {
		big = append(big, strconv.Itoa(i), "member-"+strconv.Itoa(i))
	}
	dumpBuilds = append(dumpBuilds,
		append([]string{"RPUSH", "k"}, big...),
		append([]string{"SADD", "k"}, big...),
		append([]string{"ZADD", "k"}, big...),
		append([]string{"HSET", "k"}, big...),
	)
}

// TestRestoreReplicates: RESTORE (over a key of another type, with a TTL)
// emits effects that rebuild the same value and TTL on a replica, applied
// once or twice; the primary counts the value's memory.
func TestRestoreReplicates(t *testing.T) {
	for _, build := range dumpBuilds {
		name := strings.Join(build[:min(len(build), 4)], " ")
		rp := commandstest.NewReplPair(families...)
		src := store.New(store.Config{})
		require.NotContains(t, rp.Run(src, build...), "ERR", name)
		payload := rp.Run(src, "DUMP", "k")
		payload = payload[strings.IndexByte(payload, '\n')+1 : len(payload)-2]

		before := rp.Primary.UsedMemory()
		require.Equal(t, "+OK\r\n", rp.Run(rp.Primary, "RESTORE", "k", "0", payload), name)
		assert.Greater(t, rp.Primary.UsedMemory(), before, name)
		rp.Run(rp.Primary, "SET", "k", "old")
		require.NoError(t, rp.Replica.Apply(rp.Effects))
		rp.Effects = nil
		require.Equal(t, "+OK\r\n", rp.Run(rp.Primary, "RESTORE", "k", "4000000000000", payload, "ABSTTL", "REPLACE"), name)
		for range 2 {
			require.NoError(t, rp.Replica.Apply(rp.Effects), name)
			for _, st := range []*store.Store{rp.Primary, rp.Replica} {
				assert.Equal(t, rp.Run(src, "DUMP", "k"), rp.Run(st, "DUMP", "k"), name)
				assert.Equal(t, ":4000000000000\r\n", rp.Run(st, "PEXPIRETIME", "k"), name)
			}
		}
		// A deadline already past: the old key goes, on the replica too.
		rp.Effects = nil
		require.Equal(t, "+OK\r\n", rp.Run(rp.Primary, "RESTORE", "k", "1", payload, "ABSTTL", "REPLACE"), name)
		require.NoError(t, rp.Replica.Apply(rp.Effects))
		assert.Equal(t, ":0\r\n", rp.Run(rp.Replica, "EXISTS", "k"), name)
	}
}

// FuzzRestore: RESTORE of any payload (checksummed so the value decoder
// and the writes run) answers OK or an error, never panics, and what it
// restored DUMPs to a payload that restores again.
func FuzzRestore(f *testing.F) {
	src := store.New(store.Config{})
	run := commandstest.NewReplPair(families...).Run
	for _, build := range dumpBuilds {
		run(src, "FLUSHALL")
		run(src, build...)
		p := run(src, "DUMP", "k")
		f.Add([]byte(p[strings.IndexByte(p, '\n')+1 : len(p)-2]))
	}
	st := store.New(store.Config{})
	f.Fuzz(func(t *testing.T, p []byte) {
		run(st, "DEL", "k", "k2")
		if len(p) >= 10 {
			body := p[:len(p)-10]
			p = rdb.PayloadVersion(body, rdb.DumpVersion)
		}
		got := run(st, "RESTORE", "k", "0", string(p))
		if got != "+OK\r\n" {
			if !strings.HasPrefix(got, "-ERR ") {
				t.Fatalf("RESTORE answered %q", got)
			}
			return
		}
		d := run(st, "DUMP", "k")
		again := d[strings.IndexByte(d, '\n')+1 : len(d)-2]
		if r := run(st, "RESTORE", "k2", "0", again); r != "+OK\r\n" {
			t.Fatalf("re-RESTORE: %q", r)
		}
	})
}
