package commands_test

import (
	"runtime"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

// liveHeap is the heap in use after full collections.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// TestSetMemoryAgainstRedis adds the same 1M small members to one set in
// redis-server and in a store, and compares the cost per member: the
// store's own estimate (UsedMemory, what INFO and eviction see) and the Go
// heap it really took, each against redis-server's used_memory growth.
// Both must be within 1.2x of Redis's, and the estimate within 15% of the
// heap.
func TestSetMemoryAgainstRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("1M members in two servers")
	}
	const n = 1_000_000
	member := func(i int) string { return "member:" + strconv.Itoa(i) }

	rp := testenv.StartOneRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: rp.Addr, Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	ctx := commandstest.Ctx(t)
	before := commandstest.UsedMemory(t, rc)
	for i := 0; i < n; i += 10000 {
		pipe := rc.Pipeline()
		for j := i; j < i+10000; j += 1000 {
			args := make([]any, 0, 1000)
			for k := j; k < j+1000; k++ {
				args = append(args, member(k))
			}
			pipe.SAdd(ctx, "s", args...)
		}
		_, err := pipe.Exec(ctx)
		require.NoError(t, err)
	}
	require.EqualValues(t, n, rc.SCard(ctx, "s").Val())
	redisPer := float64(commandstest.UsedMemory(t, rc)-before) / n

	st := store.New(store.Config{})
	heapBefore, usedBefore := liveHeap(), st.UsedMemory()
	args := make([][]byte, 1000)
	for i := 0; i < n; i += 1000 {
		for k := range args {
			args[k] = []byte(member(i + k))
		}
		tx := st.Lock(ring.KeySlotString("s"))
		_, err := tx.SAdd([]byte("s"), args...)
		tx.Close()
		require.NoError(t, err)
	}
	args = nil
	heapPer := float64(liveHeap()-heapBefore) / n
	usedPer := float64(st.UsedMemory()-usedBefore) / n
	tx := st.Lock(ring.KeySlotString("s"))
	card, err := tx.SCard([]byte("s"))
	tx.Close()
	require.NoError(t, err)
	require.Equal(t, n, card)
	runtime.KeepAlive(st)

	t.Logf("bytes per member: redis-server %.1f, meshcache estimate %.1f (%.2fx), Go heap %.1f (%.2fx)",
		redisPer, usedPer, usedPer/redisPer, heapPer, heapPer/redisPer)
	assert.LessOrEqual(t, usedPer/redisPer, 1.2)
	assert.LessOrEqual(t, heapPer/redisPer, 1.2)
	assert.InEpsilon(t, heapPer, usedPer, 0.15, "UsedMemory must be an honest estimate of the heap")
}
