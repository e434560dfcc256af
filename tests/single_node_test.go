package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func testContext(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestGoRedisBothProtocols(t *testing.T) {
	n := startNode(t)
	for _, proto := range []int{2, 3} {
		t.Run("RESP"+strconv.Itoa(proto), func(t *testing.T) {
			ctx := testContext(t, 30*time.Second)
			c := n.client(proto)
			key := "greeting:" + strconv.Itoa(proto)
			require.NoError(t, c.Set(ctx, key, "hello", time.Minute).Err())
			assert.Equal(t, "hello", c.Get(ctx, key).Val())
			ttl := c.TTL(ctx, key).Val()
			assert.True(t, ttl > 50*time.Second && ttl <= time.Minute, "ttl %v", ttl)

			require.NoError(t, c.HSet(ctx, "h"+key, "a", "1", "b", "2").Err())
			assert.Equal(t, map[string]string{"a": "1", "b": "2"}, c.HGetAll(ctx, "h"+key).Val())

			_, err := c.Get(ctx, "missing:"+key).Result()
			assert.ErrorIs(t, err, redis.Nil)

			err = c.HSet(ctx, key, "f", "v").Err()
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "WRONGTYPE"), err.Error())

			// A pipeline of 1000 commands, and a MULTI/EXEC transaction.
			p := c.Pipeline()
			for i := range 1000 {
				p.Set(ctx, "p:"+strconv.Itoa(i), i, 0)
			}
			_, err = p.Exec(ctx)
			require.NoError(t, err)
			tx := c.TxPipeline()
			incr := tx.Incr(ctx, "counter"+key)
			tx.Incr(ctx, "counter"+key)
			_, err = tx.Exec(ctx)
			require.NoError(t, err)
			assert.Equal(t, int64(1), incr.Val())
			assert.Equal(t, "2", c.Get(ctx, "counter"+key).Val())
		})
	}
}

func TestWatchConflictAcrossClients(t *testing.T) {
	n := startNode(t)
	ctx := testContext(t, 30*time.Second)
	a, b := n.client(2), n.client(2)
	require.NoError(t, a.Set(ctx, "balance", 10, 0).Err())
	err := a.Watch(ctx, func(tx *redis.Tx) error {
		v, err := tx.Get(ctx, "balance").Int()
		if err != nil {
			return err
		}
		// Another client changes the key between WATCH and EXEC.
		if err := b.Set(ctx, "balance", 100, 0).Err(); err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "balance", v-1, 0)
			return nil
		})
		return err
	}, "balance")
	assert.ErrorIs(t, err, redis.TxFailedErr)
	assert.Equal(t, "100", a.Get(ctx, "balance").Val())
}

func TestSIGTERMExitsCleanly(t *testing.T) {
	n := startNode(t)
	ctx := testContext(t, 30*time.Second)
	c := n.client(2)
	require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
	require.NoError(t, n.Signal(syscall.SIGTERM, 10*time.Second), n.Out())
}

func TestShutdownCommandStopsNode(t *testing.T) {
	n := startNode(t)
	ctx := testContext(t, 30*time.Second)
	c := n.client(2)
	_ = c.Shutdown(ctx).Err() // the connection closes as the node stops
	select {
	case <-n.Done():
		assert.NoError(t, n.Err())
	case <-time.After(10 * time.Second):
		t.Fatal("node still running 10s after SHUTDOWN")
	}
}

func TestConfigFileEnvAndFlags(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "meshcache.conf")
	require.NoError(t, os.WriteFile(file, []byte(
		"# a comment\nmaxmemory 10mb\nmaxmemory-policy allkeys-lru\nrequirepass fromfile\n"), 0o600))
	t.Setenv("MESHCACHE_MAXMEMORY_POLICY", "volatile-ttl")
	n := startNode(t, "--config", file, "--maxmemory", "20mb")
	ctx := testContext(t, 30*time.Second)

	c := redis.NewClient(&redis.Options{Addr: n.addr, Password: "fromfile"})
	t.Cleanup(func() { c.Close() })
	// Flags beat the environment, which beats the file.
	assert.Equal(t, map[string]string{"maxmemory": strconv.Itoa(20 << 20)}, c.ConfigGet(ctx, "maxmemory").Val())
	assert.Equal(t, map[string]string{"maxmemory-policy": "volatile-ttl"}, c.ConfigGet(ctx, "maxmemory-policy").Val())

	anon := n.client(2)
	err := anon.Get(ctx, "k").Err()
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "NOAUTH"), err.Error())
}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	out, err := exec.Command(meshcache(t), "--help").CombinedOutput()
	require.NoError(t, err, string(out))
	for _, flag := range []string{"--bind", "--port", "--cluster-port", "--join", "--replicas",
		"--replica-ack", "--maxmemory", "--maxmemory-policy", "--requirepass", "--config"} {
		assert.Contains(t, string(out), flag)
	}
}

func TestBadFlagFailsWithMessage(t *testing.T) {
	out, err := exec.Command(meshcache(t), "--maxmemory-policy", "sometimes").CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "maxmemory-policy")
}
