package tests

import (
	"bufio"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// The introspection commands on a 3-node cluster (issue 20), through a
// go-redis ClusterClient and through plain connections to every node:
// CLIENT REPLY, LATENCY, DEBUG (SLEEP, OBJECT), PFSELFTEST and MONITOR.
func TestIntrospectionCluster(t *testing.T) {
	t.Parallel() // its own processes and ports
	tc := startCluster(t, 3, append([]string{"--enable-debug-command", "yes"}, formInOneStep...)...)
	ctx := testContext(t, 5*time.Minute)
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs()})
	t.Cleanup(func() { _ = cc.Close() })
	// keys[i] is led by node i (the ClusterClient's view of the slots).
	keys := make([]string, len(tc.nodes))
	for found, i := 0, 0; found < len(keys); i++ {
		k := "intro" + strconv.Itoa(i)
		m, err := cc.MasterForKey(ctx, k)
		require.NoError(t, err)
		for j, n := range tc.nodes {
			if m.Options().Addr == n.addr && keys[j] == "" {
				keys[j] = k
				found++
			}
		}
	}

	t.Run("ClientReply", func(t *testing.T) {
		for i, n := range tc.nodes {
			c := testenv.DialRaw(t, n.addr)
			far := keys[(i+1)%len(keys)] // led by another node: forwarded
			require.NoError(t, c.Send("CLIENT", "REPLY", "OFF"))
			require.NoError(t, c.Send("SET", far, "off"+strconv.Itoa(i)))
			require.NoError(t, c.Send("CLIENT", "REPLY", "SKIP"))
			require.NoError(t, c.Send("CLIENT", "REPLY", "ON"))
			assert.Equal(t, "+OK\r\n", string(c.Must(t, "CLIENT", "REPLY", "SKIP")), "node %d: the first reply read is ON's", i)
			require.NoError(t, c.Send("GET", far))
			assert.Equal(t, "$4\r\noff"+strconv.Itoa(i)+"\r\n", string(c.Must(t, "GET", far)), "node %d: SKIP silenced one reply", i)
			assert.Equal(t, "off"+strconv.Itoa(i), cc.Get(ctx, far).Val(), "the write made with replies off")
		}
	})

	t.Run("DebugAndLatency", func(t *testing.T) {
		require.NoError(t, cc.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
			if err := m.ConfigSet(ctx, "latency-monitor-threshold", "10").Err(); err != nil {
				return err
			}
			return m.Do(ctx, "LATENCY", "RESET").Err()
		}))
		for i, k := range keys {
			require.NoError(t, cc.Set(ctx, k, "12345", 0).Err())
			m, err := cc.MasterForKey(ctx, k)
			require.NoError(t, err)
			obj, err := m.Do(ctx, "DEBUG", "OBJECT", k).Text()
			require.NoError(t, err)
			assert.Contains(t, obj, "encoding:int", "DEBUG OBJECT on the key's leader")
			other := tc.nodes[(i+1)%len(tc.nodes)].client(2)
			assert.ErrorContains(t, other.Do(ctx, "DEBUG", "OBJECT", k).Err(), "led by another node")
			require.NoError(t, m.Do(ctx, "DEBUG", "SLEEP", "0.05").Err())
		}
		for i, n := range tc.nodes {
			c := n.client(3)
			latest, err := c.Do(ctx, "LATENCY", "LATEST").Slice()
			require.NoError(t, err)
			require.NotEmpty(t, latest, "node %d sampled DEBUG SLEEP", i)
			ev := latest[0].([]any)
			assert.Equal(t, "command", ev[0], "node %d", i)
			assert.GreaterOrEqual(t, ev[2].(int64), int64(50), "node %d", i)
			hist, err := c.Do(ctx, "LATENCY", "HISTORY", "command").Slice()
			require.NoError(t, err)
			assert.NotEmpty(t, hist, "node %d", i)
			assert.Equal(t, int64(1), c.Do(ctx, "LATENCY", "RESET", "command").Val(), "node %d", i)
		}
	})

	t.Run("PFSelfTest", func(t *testing.T) {
		// 10^7 elements: seconds on a race-built node, past go-redis's 3 s.
		slow := redis.NewClusterClient(&redis.ClusterOptions{Addrs: tc.addrs(), ReadTimeout: 3 * time.Minute})
		defer slow.Close()
		res, err := slow.Do(ctx, "PFSELFTEST").Result()
		require.NoError(t, err)
		assert.Equal(t, "OK", res)
		plain := redis.NewClient(&redis.Options{Addr: tc.nodes[2].addr, ReadTimeout: 3 * time.Minute})
		defer plain.Close()
		res, err = plain.Do(ctx, "PFSELFTEST").Result()
		require.NoError(t, err)
		assert.Equal(t, "OK", res)
	})

	t.Run("Monitor", func(t *testing.T) {
		// One monitor per node; each line is read with the key it names.
		mons := make([]*bufio.Reader, len(tc.nodes))
		for i, n := range tc.nodes {
			m := testenv.DialRaw(t, n.addr)
			require.Equal(t, "+OK\r\n", string(m.Must(t, "MONITOR")))
			mons[i] = m.Reader()
		}
		// Through the ClusterClient each command goes to its key's leader,
		// whose monitor shows it; a marker from a plain client to every
		// node ends what each monitor is read for.
		for _, k := range keys {
			require.NoError(t, cc.Set(ctx, k, "by-cluster-client", 0).Err())
		}
		plain := make([]*testenv.RawConn, len(tc.nodes))
		for i, n := range tc.nodes {
			plain[i] = testenv.DialRaw(t, n.addr)
			plain[i].Must(t, "ECHO", "mark-1")
			lines := monitorUntil(t, mons[i], `"mark-1"`)
			assert.Contains(t, lines, `"set" "`+keys[i]+`" "by-cluster-client"`, "node %d's monitor", i)
			for j, k := range keys {
				if j != i {
					assert.NotContains(t, lines, `"`+k+`"`, "node %d's monitor shows only its own clients' commands", i)
				}
			}
		}
		// A plain client on node 0 writes every key: node 0's monitor shows
		// them all with the client's address, the leaders' monitors none.
		var addr string
		for _, f := range strings.Fields(string(plain[0].Must(t, "CLIENT", "INFO"))) {
			if a, ok := strings.CutPrefix(f, "addr="); ok {
				addr = a
			}
		}
		for _, k := range keys {
			plain[0].Must(t, "SET", k, "by-plain-client")
		}
		for i := range tc.nodes {
			plain[i].Must(t, "ECHO", "mark-2")
			lines := monitorUntil(t, mons[i], `"mark-2"`)
			for _, k := range keys {
				line := `[0 ` + addr + `] "SET" "` + k + `" "by-plain-client"`
				if i == 0 {
					assert.Contains(t, lines, line)
				} else {
					assert.NotContains(t, lines, `"by-plain-client"`, "node %d", i)
				}
			}
		}
	})
}

// monitorUntil reads a monitor's lines until one contains want, and
// returns them.
func monitorUntil(t *testing.T, r *bufio.Reader, want string) string {
	t.Helper()
	var out []byte
	for !strings.Contains(string(out), want) {
		require.NoError(t, testenv.ReadReply(r, &out), "waiting for %s", want)
	}
	return string(out)
}
