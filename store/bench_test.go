package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshcache/meshcache/ring"
)

const benchKeys = 100_000

// benchData returns n 16-byte keys and their slots.
func benchData(n int) ([][]byte, []uint16) {
	keys := make([][]byte, n)
	slots := make([]uint16, n)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("key:%012d", i))
		slots[i] = ring.KeySlot(keys[i])
	}
	return keys, slots
}

var benchValue = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

func loadBench(b *testing.B, s *Store, keys [][]byte, slots []uint16) {
	for i, k := range keys {
		tx := s.Lock(slots[i])
		if err := tx.Put(k, benchValue, 0); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

func BenchmarkGet(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(benchKeys)
	loadBench(b, s, keys, slots)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchKeys
		tx := s.Lock(slots[j])
		if _, ok, _ := tx.Get(keys[j]); !ok {
			b.Fatal("missing key")
		}
		tx.Close()
	}
}

func BenchmarkSet(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(benchKeys)
	loadBench(b, s, keys, slots)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchKeys
		tx := s.Lock(slots[j])
		if err := tx.Put(keys[j], benchValue, 0); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

// BenchmarkSetWithSink is BenchmarkSet with effects recorded for a sink,
// as on a primary with replicas.
func BenchmarkSetWithSink(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(benchKeys)
	loadBench(b, s, keys, slots)
	var n atomic.Int64
	s.SetEffectSink(func(_ uint16, es []Effect) { n.Add(int64(len(es))) })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % benchKeys
		tx := s.Lock(slots[j])
		if err := tx.Put(keys[j], benchValue, 0); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

func BenchmarkGetParallel(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(benchKeys)
	loadBench(b, s, keys, slots)
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		j := int(seed.Add(7919)) % benchKeys
		for pb.Next() {
			j = (j + 1) % benchKeys
			tx := s.Lock(slots[j])
			if _, ok, _ := tx.Get(keys[j]); !ok {
				panic("missing key")
			}
			tx.Close()
		}
	})
}

func BenchmarkSetParallel(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(benchKeys)
	loadBench(b, s, keys, slots)
	var seed atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		j := int(seed.Add(7919)) % benchKeys
		for pb.Next() {
			j = (j + 1) % benchKeys
			tx := s.Lock(slots[j])
			if err := tx.Put(keys[j], benchValue, 0); err != nil {
				panic(err)
			}
			tx.Close()
		}
	})
}

// BenchmarkInsert measures SET of new keys (arena and index growth).
func BenchmarkInsert(b *testing.B) {
	s := New(Config{})
	keys, slots := benchData(b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := s.Lock(slots[i])
		if err := tx.Put(keys[i], benchValue, 0); err != nil {
			b.Fatal(err)
		}
		tx.Close()
	}
}

// BenchmarkMemory1M loads 1M keys (16-byte keys, 32-byte values) and
// reports heap bytes per key, UsedMemory per key, and the cost of a full
// GC with the keys live (its wall time and the stop-the-world pauses),
// next to a map[string][]byte holding the same data for comparison.
func BenchmarkMemory1M(b *testing.B) {
	const n = 1_000_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key:%012d", i)
	}
	gcCost := func(b *testing.B) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		numGC := ms.NumGC
		start := time.Now()
		const rounds = 5
		for range rounds {
			runtime.GC()
		}
		wall := time.Since(start) / rounds
		runtime.ReadMemStats(&ms)
		var maxPause uint64
		for g := numGC; g < ms.NumGC; g++ {
			maxPause = max(maxPause, ms.PauseNs[(g+255)%256])
		}
		b.ReportMetric(float64(wall.Microseconds()), "gc-wall-µs")
		b.ReportMetric(float64(maxPause)/1000, "gc-maxpause-µs")
	}
	b.Run("store", func(b *testing.B) {
		for range b.N {
			before := heapAlloc()
			s := New(Config{})
			for _, k := range keys {
				kb := []byte(k)
				tx := s.Lock(ring.KeySlot(kb))
				if err := tx.Put(kb, benchValue, 0); err != nil {
					b.Fatal(err)
				}
				tx.Close()
			}
			after := heapAlloc()
			b.ReportMetric(float64(after-before)/n, "heap-B/key")
			b.ReportMetric(float64(s.UsedMemory())/n, "used-B/key")
			gcCost(b)
			runtime.KeepAlive(s)
		}
	})
	b.Run("gomap", func(b *testing.B) {
		for range b.N {
			before := heapAlloc()
			m := make(map[string][]byte)
			for _, k := range keys {
				m[string([]byte(k))] = append([]byte(nil), benchValue...)
			}
			after := heapAlloc()
			b.ReportMetric(float64(after-before)/n, "heap-B/key")
			gcCost(b)
			runtime.KeepAlive(m)
		}
	})
}

// BenchmarkApplyBatch applies batches of 8 SET effects of random keys
// among 1M, as a replica applies a replication call's entries: each
// lookup is a cache miss or two unless fetched ahead (ApplyUnless).
func BenchmarkApplyBatch(b *testing.B) {
	const n, batch = 1_000_000, 8
	s := New(Config{})
	keys, slots := benchData(n)
	loadBench(b, s, keys, slots)
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	effects := make([]Effect, batch)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := range effects {
			k := keys[order[(i*batch+j)%n]]
			effects[j] = Effect{Kind: EffectSet, Key: k, Value: benchValue}
		}
		if _, err := s.ApplyUnless(effects, nil); err != nil {
			b.Fatal(err)
		}
	}
}
