package zset

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zmodel is the reference model of a sorted set: member -> score.
type zmodel map[string]float64

// sorted returns the model's members in (score, member) order.
func (m zmodel) sorted() []zentry {
	out := make([]zentry, 0, len(m))
	for k, v := range m {
		out = append(out, zentry{member: k, score: v})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.score < b.score || (a.score == b.score && a.member < b.member)
	})
	return out
}

// checkZSet checks z's invariants (checkSkiplist) and its contents
// against the model: order, scores and ranks.
func checkZSet(t *testing.T, z *Set, m zmodel) {
	t.Helper()
	require.NoError(t, checkSkiplist(z))
	require.NoError(t, checkModel(z, m))
}

func TestZSetRandomOps(t *testing.T) {
	for _, size := range []int{20, 300} {
		for seed := uint64(1); seed <= 4; seed++ {
			rng := rand.New(rand.NewPCG(seed, uint64(size)))
			z := &Set{}
			m := zmodel{}
			for i := 0; i < 3000; i++ {
				mb := "m" + strconv.Itoa(rng.IntN(size))
				switch rng.IntN(5) {
				case 0, 1, 2:
					s := float64(rng.IntN(20))
					if rng.IntN(10) == 0 {
						s = math.Inf(rng.IntN(2)*2 - 1)
					}
					_, existed := m[mb]
					assert.Equal(t, !existed, z.Put([]byte(mb), s, DefaultLimits))
					m[mb] = s
				case 3:
					_, existed := m[mb]
					assert.Equal(t, existed, z.Remove([]byte(mb)))
					delete(m, mb)
				case 4:
					s, ok := z.Score([]byte(mb))
					ms, mok := m[mb]
					assert.Equal(t, mok, ok)
					assert.Equal(t, ms, s)
				}
				if i%100 == 0 {
					checkZSet(t, z, m)
				}
			}
			checkZSet(t, z, m)
			if size > DefaultLimits.Entries {
				assert.Equal(t, "skiplist", z.Encoding())
			}
			c := z.Clone()
			checkZSet(t, c, m)
			assert.Equal(t, z.Encoding(), c.Encoding())
		}
	}
}

// TestZSetHeapPerElement compares the estimate with the Go heap for a big
// set and logs the per-element cost (see the memory report in
// server/commands' TestZSetMemoryVsRedis). The heap is the process's:
// goroutines that earlier tests of the package left running (a store's
// active expiry until its test ends) allocate and free meanwhile, so a
// reading can be off by their churn; the estimate must match one of three
// readings, each of a fresh set.
func TestZSetHeapPerElement(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a big set")
	}
	const n = 200_000
	var ratios []float64
	for range 3 {
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		z := &Set{}
		for i := 0; i < n; i++ {
			z.Put([]byte("member:"+strconv.Itoa(i)), float64(i), DefaultLimits)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		est := float64(z.Bytes())
		runtime.KeepAlive(z)
		t.Logf("per element: estimate %.1f B, heap %.1f B", est/n, heap/n)
		if heap > 0 && math.Abs(est/heap-1) <= 0.15 {
			return
		}
		ratios = append(ratios, est/heap)
	}
	t.Errorf("estimate not within 15%% of the heap in any of three readings: estimate/heap %v", ratios)
}

// TestZScanGuarantee: a member present for the whole scan is returned
// although the hash table grows and shrinks between calls.
func TestZScanGuarantee(t *testing.T) {
	z := &Set{}
	const keep = 150
	for i := 0; i < keep; i++ {
		z.Put([]byte("keep"+strconv.Itoa(i)), float64(i), DefaultLimits)
	}
	seen := map[string]bool{}
	sizes := map[int]bool{}
	cursor, round := uint64(0), 0
	for {
		next := z.Scan(cursor, 5, func(m string, _ float64) { seen[m] = true })
		sizes[len(z.big.buckets)] = true
		// Churn between calls: grow the table a lot, then shrink it, and
		// move scores of kept members.
		for j := 0; j < 200; j++ {
			if round < 10 {
				z.Put([]byte(fmt.Sprintf("tmp%d-%d", round, j)), 0, DefaultLimits)
			} else {
				z.Remove([]byte(fmt.Sprintf("tmp%d-%d", round-10, j)))
			}
		}
		z.Put([]byte("keep"+strconv.Itoa(round%keep)), -float64(round), DefaultLimits)
		round++
		cursor = next
		if cursor == 0 {
			break
		}
		require.Less(t, round, 100000)
	}
	for i := 0; i < keep; i++ {
		assert.True(t, seen["keep"+strconv.Itoa(i)], "keep%d missed", i)
	}
	assert.True(t, sizes[4096] && sizes[256], "the table grew and shrank during the scan: %v", sizes)
}

// TestZSetLimits: under each limit, at it, below and above it, the set
// takes Redis's form; a lower limit converts at the next insert only, and
// nothing converts it back.
func TestZSetLimits(t *testing.T) {
	for _, lim := range []Limits{DefaultLimits, {Entries: 0, Value: 0}, {Entries: 3, Value: 2}, {Entries: 1, Value: 64}} {
		t.Run(fmt.Sprintf("%d/%d", lim.Entries, lim.Value), func(t *testing.T) {
			member := func(i int) []byte { return []byte(strconv.Itoa(i))[:min(len(strconv.Itoa(i)), lim.Value)] }
			z := &Set{}
			for i := range lim.Entries {
				z.Put(member(i), float64(i), lim)
			}
			assert.Equal(t, "listpack", z.Encoding(), "at the entries limit")
			assert.Equal(t, lim.Entries, z.Len())
			z.Put(member(lim.Entries), 0, lim)
			if z.Len() > lim.Entries {
				assert.Equal(t, "skiplist", z.Encoding(), "above the entries limit")
			}
			at := &Set{}
			at.Put(make([]byte, lim.Value), 1, lim)
			assert.Equal(t, lim.Entries == 0, at.Encoding() == "skiplist", "a member as long as the value limit")
			over := &Set{}
			over.Put(make([]byte, lim.Value+1), 1, lim)
			assert.Equal(t, "skiplist", over.Encoding(), "a member over the value limit")
			assert.True(t, lim.Small(lim.Entries, lim.Value))
			assert.False(t, lim.Small(lim.Entries+1, 0))
			assert.False(t, lim.Small(0, lim.Value+1))
		})
	}
	z := &Set{}
	for i := range 10 {
		z.Put([]byte("m"+strconv.Itoa(i)), 1, DefaultLimits)
	}
	z.Put([]byte("m0"), 2, Limits{Entries: 5, Value: 64})
	assert.Equal(t, "listpack", z.Encoding(), "an update inserts nothing")
	z.Put([]byte("m10"), 2, Limits{Entries: 5, Value: 64})
	assert.Equal(t, "skiplist", z.Encoding(), "an insert under a limit of 5")
	z.Remove([]byte("m10"))
	z.Put([]byte("m11"), 2, DefaultLimits)
	assert.Equal(t, "skiplist", z.Encoding(), "never back")
}
