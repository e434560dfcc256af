package server

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// dirtyField reads INFO persistence's rdb_changes_since_last_save.
var dirtyField = regexp.MustCompile(`rdb_changes_since_last_save:(\d+)`)

func readDirty(t *testing.T, c *testenv.RawConn) int {
	t.Helper()
	m := dirtyField.FindSubmatch(c.Must(t, "INFO", "persistence"))
	require.NotNil(t, m, "INFO persistence has rdb_changes_since_last_save")
	n, err := strconv.Atoi(string(m[1]))
	require.NoError(t, err)
	return n
}

// dirtyDiffScript adds the cases notifyDiffScript lacks: counts by
// element, commands that change nothing, flushes.
var dirtyDiffScript = []string{
	"RPUSH {t}dl a b a c a", "LREM {t}dl 2 a", "LREM {t}dl 0 zz", "LTRIM {t}dl 1 -1", "LTRIM {t}dl 0 -1",
	"HSET {t}dh a 1 b 2 c 3", "HSET {t}dh a 1", "HDEL {t}dh a b zz", "HMSET {t}dh x 1 y 2",
	"MSET {t}d1 1 {t}d2 2 {t}d3 3", "DEL {t}d1 {t}d2 {t}none", "MSETNX {t}d4 1 {t}d5 2",
	"SADD {t}ds a b c d", "SPOP {t}ds 10", "SETBIT {t}db 3 1", "SETBIT {t}db 3 1",
	"PFADD {t}dp a b c d e", "PFCOUNT {t}dp", "PFCOUNT {t}dp", "ZADD {t}dz 1 a 2 b 3 c", "ZADD {t}dz GT CH 5 a 0 b",
	"ZPOPMIN {t}dz 2", "EXPIRE {t}dz 100", "PERSIST {t}dz", "PERSIST {t}dz", "FLUSHALL", "FLUSHALL",
}

// TestDirtyAgainstRedis runs notifyDiffScript's commands (every family's
// writes, in the cases that change something and those that do not) on
// redis-server and on meshcache, and compares how much each one moved
// INFO's rdb_changes_since_last_save (Redis's server.dirty): a client or a
// test that waits for "n changes" must see the same n.
func TestDirtyAgainstRedis(t *testing.T) {
	var conns [2]*testenv.RawConn
	for i, addr := range []string{startRedis(t), startDataServer(t)} {
		conns[i] = testenv.DialRaw(t, addr)
		conns[i].Must(t, "FLUSHALL")
	}
	var before [2]int
	inMulti := false
	for _, step := range append(notifyDiffScript, dirtyDiffScript...) {
		if strings.HasPrefix(step, "CONFIG ") {
			continue
		}
		if key, ok := strings.CutPrefix(step, "WAITGONE "); ok {
			// The key's 1 ms TTL passes on both before the next step, so
			// that a FLUSHALL finds the same keys (a key expired but not
			// yet removed counts there, as Redis).
			for _, c := range conns {
				for string(c.Must(t, "EXISTS", key)) != ":0\r\n" { // polled: the TTL passing
				}
			}
			continue
		}
		args := splitCommand(step)
		for i, c := range conns {
			if !inMulti {
				before[i] = readDirty(t, c)
			}
			c.Must(t, args...)
		}
		// A transaction's commands are counted when EXEC runs them.
		inMulti = strings.EqualFold(args[0], "multi") || (inMulti && !strings.EqualFold(args[0], "exec"))
		if !inMulti {
			theirs, ours := readDirty(t, conns[0])-before[0], readDirty(t, conns[1])-before[1]
			assert.Equal(t, theirs, ours, "%s", step)
		}
	}
}
