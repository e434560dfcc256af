package zset

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

const memMembers = 1_000_000

func memMember(i int) string { return "member:" + strconv.Itoa(i) }

// zsetMemoryVsRedis is TestZSetMemoryVsRedis (see there).
func zsetMemoryVsRedis(t *testing.T) {
	if os.Getenv("MESHCACHE_ZSET_MEMORY") == "" {
		t.Skip("a measurement: set MESHCACHE_ZSET_MEMORY=1 to run it")
	}
	ctx := commandstest.Ctx(t)
	rc := redis.NewClient(&redis.Options{Addr: testenv.StartOneRedis(t).Addr})
	defer rc.Close()
	before := commandstest.UsedMemory(t, rc)
	for i := 0; i < memMembers; i += 10000 {
		p := rc.Pipeline()
		for j := i; j < i+10000; j += 100 {
			args := []any{"ZADD", "z"}
			for k := j; k < j+100; k++ {
				args = append(args, k, memMember(k))
			}
			p.Do(ctx, args...)
		}
		_, err := p.Exec(ctx)
		require.NoError(t, err)
	}
	redisDelta := commandstest.UsedMemory(t, rc) - before

	st := store.New(store.Config{})
	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	used0 := st.UsedMemory()
	key := []byte("z")
	for i := 0; i < memMembers; i += 1000 {
		tx := st.Lock(ring.KeySlot(key))
		for k := i; k < i+1000; k++ {
			_, _, err := tx.ZAdd(key, []byte(memMember(k)), float64(k), 0, 1)
			require.NoError(t, err)
		}
		tx.Close()
	}
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	accounted := st.UsedMemory() - used0
	heap := int64(m1.HeapAlloc) - int64(m0.HeapAlloc)
	per := func(n int64) float64 { return float64(n) / memMembers }
	t.Logf("1M members %q..: redis used_memory delta %.1f B/member; meshcache accounted %.1f B/member (%.2fx), Go heap %.1f B/member (%.2fx)",
		memMember(0), per(redisDelta), per(accounted), float64(accounted)/float64(redisDelta), per(heap), float64(heap)/float64(redisDelta))
	runtime.KeepAlive(st)
}
