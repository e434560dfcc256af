package store

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

// checkZSet checks z's invariants against the model: order, prev links,
// tail, spans at every level, ranks, byRank, the hash table and the
// memory estimate.
func checkZSet(t *testing.T, z *zsetObj, m zmodel) {
	t.Helper()
	want := m.sorted()
	require.Equal(t, len(want), z.length())
	var got []zentry
	z.each(func(mb string, s float64) bool { got = append(got, zentry{mb, s}); return true })
	if len(want) == 0 {
		require.Empty(t, got)
	} else {
		require.Equal(t, want, got)
	}
	for i, e := range want {
		r, s, ok := z.rank([]byte(e.member))
		require.True(t, ok)
		require.Equal(t, i, r, "rank of %s", e.member)
		require.Equal(t, e.score, s)
	}
	if z.zsl == nil {
		var data int64
		for _, e := range z.small {
			data += allocSize(len(e.member))
		}
		require.Equal(t, data, z.data)
		return
	}
	zsl := z.zsl
	// Level 0 order, prev links, tail.
	var prev *znode
	n := 0
	var data int64
	for x := zsl.head.lev[0].next; x != nil; x = x.lev[0].next {
		require.Equal(t, prev, x.prev)
		require.Equal(t, x, zsl.byRank(n))
		require.LessOrEqual(t, x.height(), zsl.level)
		data += nodeBytes(x.height()) + allocSize(len(x.member))
		prev = x
		n++
	}
	require.Equal(t, prev, zsl.tail)
	require.Equal(t, data, z.data)
	// Spans: at each level, the span is the level-0 distance.
	pos := map[*znode]int{zsl.head: 0}
	i := 1
	for x := zsl.head.lev[0].next; x != nil; x = x.lev[0].next {
		pos[x] = i
		i++
	}
	for lvl := 0; lvl < zsl.level; lvl++ {
		for x := zsl.head; x != nil; x = x.at(lvl).next {
			next := x.at(lvl).next
			if next == nil {
				require.Equal(t, uint32(zsl.length-pos[x]), x.at(lvl).span, "tail span at level %d", lvl)
			} else {
				require.Equal(t, uint32(pos[next]-pos[x]), x.at(lvl).span, "span at level %d", lvl)
			}
		}
	}
	// Hash table: every node in its bucket, counts agree.
	cnt := 0
	for b, x := range z.dict.buckets {
		for ; x != nil; x = x.hnext {
			require.Equal(t, uint64(b), x.hash&uint64(len(z.dict.buckets)-1))
			require.Equal(t, zhash(x.member), x.hash)
			cnt++
		}
	}
	require.Equal(t, zsl.length, cnt)
	require.Equal(t, cnt, z.dict.n)
}

func TestZSetRandomOps(t *testing.T) {
	for _, size := range []int{20, 300} {
		for seed := uint64(1); seed <= 4; seed++ {
			rng := rand.New(rand.NewPCG(seed, uint64(size)))
			z := newZSet()
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
					assert.Equal(t, !existed, z.set([]byte(mb), s))
					m[mb] = s
				case 3:
					_, existed := m[mb]
					assert.Equal(t, existed, z.del([]byte(mb)))
					delete(m, mb)
				case 4:
					s, ok := z.score([]byte(mb))
					ms, mok := m[mb]
					assert.Equal(t, mok, ok)
					assert.Equal(t, ms, s)
				}
				if i%100 == 0 {
					checkZSet(t, z, m)
				}
			}
			checkZSet(t, z, m)
			if size > zsetSmall {
				assert.Equal(t, "skiplist", z.encoding())
			}
			c := z.clone().(*zsetObj)
			checkZSet(t, c, m)
			assert.Equal(t, z.encoding(), c.encoding())
		}
	}
}

func TestZSetSpans(t *testing.T) {
	for _, big := range []bool{false, true} {
		s := New(Config{})
		tx := lockKeys(s, "z")
		k := []byte("z")
		for i, mb := range []string{"a", "b", "c", "d", "e"} {
			_, _, err := tx.ZAdd(k, []byte(mb), float64(i), 0, 1)
			require.NoError(t, err)
		}
		if big {
			o, _ := tx.zsetAt(k)
			o.convert()
		}
		span := func(r ZScoreRange) [2]int {
			lo, hi, _, err := tx.ZScoreSpan(k, r)
			require.NoError(t, err)
			return [2]int{lo, hi}
		}
		assert.Equal(t, [2]int{1, 4}, span(ZScoreRange{Min: 1, Max: 3}))
		assert.Equal(t, [2]int{2, 3}, span(ZScoreRange{Min: 1, Max: 3, MinEx: true, MaxEx: true}))
		assert.Equal(t, [2]int{0, 5}, span(ZScoreRange{Min: math.Inf(-1), Max: math.Inf(1)}))
		assert.Equal(t, [2]int{3, 3}, span(ZScoreRange{Min: 3, Max: 1}))
		lex := func(min, max ZLexBound) [2]int {
			lo, hi, _, err := tx.ZLexSpan(k, min, max)
			require.NoError(t, err)
			return [2]int{lo, hi}
		}
		// Scores differ here, so only the order matters: a..e ascending.
		assert.Equal(t, [2]int{1, 4}, lex(ZLexBound{Value: []byte("b")}, ZLexBound{Value: []byte("d")}))
		assert.Equal(t, [2]int{2, 3}, lex(ZLexBound{Value: []byte("b"), Ex: true}, ZLexBound{Value: []byte("d"), Ex: true}))
		assert.Equal(t, [2]int{0, 5}, lex(ZLexBound{Inf: -1}, ZLexBound{Inf: 1}))
		assert.Equal(t, [2]int{5, 5}, lex(ZLexBound{Inf: 1}, ZLexBound{Inf: 1}))
		var got []string
		require.NoError(t, tx.ZRangeByScore(k, ZScoreRange{Min: 1, Max: 3, MaxEx: true}, func(m []byte, _ float64) bool {
			got = append(got, string(m))
			return true
		}))
		assert.Equal(t, []string{"b", "c"}, got)
		n, err := tx.ZRemRanks(k, 1, 3)
		require.NoError(t, err)
		assert.Equal(t, 2, n)
		got = nil
		require.NoError(t, tx.ZIter(k, 2, true, func(m []byte, _ float64) bool { got = append(got, string(m)); return true }))
		assert.Equal(t, []string{"e", "d", "a"}, got)
		tx.Close()
	}
}

func TestZAddFlags(t *testing.T) {
	s := New(Config{})
	tx := lockKeys(s, "z", "s")
	defer tx.Close()
	k, m := []byte("z"), []byte("m")
	add := func(score float64, f ZAddFlags) (ZAddOutcome, float64) {
		out, sc, err := tx.ZAdd(k, m, score, f, 1)
		require.NoError(t, err)
		return out, sc
	}
	out, _ := add(5, ZAddXX)
	assert.Equal(t, ZAddNop, out)
	ok, _ := tx.Exists(k)
	assert.False(t, ok, "XX creates nothing")
	out, _ = add(5, 0)
	assert.Equal(t, ZAddAdded, out)
	out, _ = add(6, ZAddNX)
	assert.Equal(t, ZAddNop, out)
	out, _ = add(4, ZAddGT)
	assert.Equal(t, ZAddNop, out)
	out, sc := add(7, ZAddGT|ZAddXX)
	assert.Equal(t, ZAddUpdated, out)
	assert.Equal(t, 7.0, sc)
	out, _ = add(8, ZAddLT)
	assert.Equal(t, ZAddNop, out)
	out, _ = add(7, 0)
	assert.Equal(t, ZAddSame, out)
	out, sc = add(1.5, ZAddIncr)
	assert.Equal(t, ZAddUpdated, out)
	assert.Equal(t, 8.5, sc)
	out, sc = add(-1, ZAddIncr|ZAddGT)
	assert.Equal(t, ZAddNop, out)
	assert.Equal(t, 8.5, sc)
	add(math.Inf(1), 0)
	_, _, err := tx.ZAdd(k, m, math.Inf(-1), ZAddIncr, 1)
	assert.ErrorIs(t, err, ErrZScoreNaN)
	sc, _, _ = tx.ZScore(k, m)
	assert.Equal(t, math.Inf(1), sc)
	require.NoError(t, tx.Put([]byte("s"), []byte("x"), 0))
	_, _, err = tx.ZAdd([]byte("s"), m, 1, 0, 1)
	assert.ErrorIs(t, err, ErrWrongType)
}

func TestZSetEncoding(t *testing.T) {
	s := New(Config{})
	tx := lockKeys(s, "z", "w", "y")
	defer tx.Close()
	enc := func(k string) string {
		o, err := tx.zsetAt([]byte(k))
		require.NoError(t, err)
		return o.encoding()
	}
	for i := 0; i < zsetSmall; i++ {
		_, _, err := tx.ZAdd([]byte("z"), []byte("m"+strconv.Itoa(i)), float64(i), 0, 1)
		require.NoError(t, err)
	}
	assert.Equal(t, "listpack", enc("z"))
	_, _, _ = tx.ZAdd([]byte("z"), []byte("one more"), 0, 0, 1)
	assert.Equal(t, "skiplist", enc("z"))
	_, _ = tx.ZPop([]byte("z"), false, 100, nil)
	assert.Equal(t, "skiplist", enc("z"), "no conversion back")
	_, _, _ = tx.ZAdd([]byte("w"), make([]byte, 65), 0, 0, 1)
	assert.Equal(t, "skiplist", enc("w"))
	_, _, _ = tx.ZAdd([]byte("y"), []byte("a"), 0, 0, 129)
	assert.Equal(t, "skiplist", enc("y"), "ZADD with 129 pairs")
	n, err := tx.ZStore([]byte("y"), [][]byte{[]byte("a")}, []float64{1})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, "listpack", enc("y"), "a STORE picks the form from its result")
}

// zdump renders every sorted set of s (with TTLs) for comparisons.
func zdump(t *testing.T, s *Store, keys []string) []string {
	var out []string
	for _, k := range keys {
		tx := lockKeys(s, k)
		typ, err := tx.Type([]byte(k))
		require.NoError(t, err)
		at, _, _ := tx.ExpireAt([]byte(k))
		line := fmt.Sprintf("%s %s %d", k, typ, at)
		if typ == TypeZSet {
			require.NoError(t, tx.ZIter([]byte(k), 0, false, func(m []byte, sc float64) bool {
				line += fmt.Sprintf(" %s=%v", m, sc)
				return true
			}))
		}
		tx.Close()
		out = append(out, line)
	}
	return out
}

// zrandomOps runs random sorted-set operations on s.
func zrandomOps(t *testing.T, s *Store, rng *rand.Rand, keys []string, n int) {
	for i := 0; i < n; i++ {
		k, k2 := keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))]
		tx := lockKeys(s, k, k2)
		mb := []byte("m" + strconv.Itoa(rng.IntN(200)))
		var err error
		switch rng.IntN(10) {
		case 0, 1, 2:
			_, _, err = tx.ZAdd([]byte(k), mb, float64(rng.IntN(50))/4, ZAddFlags(rng.IntN(2))*ZAddIncr, 1)
		case 3:
			_, err = tx.ZRem([]byte(k), mb)
		case 4:
			_, err = tx.ZPop([]byte(k), rng.IntN(2) == 0, rng.IntN(5), nil)
		case 5:
			_, err = tx.ZRemRanks([]byte(k), rng.IntN(10), rng.IntN(20))
		case 6:
			_, err = tx.ZStore([]byte(k), [][]byte{mb, []byte("x")}, []float64{1, math.Inf(-1)})
		case 7:
			err = tx.Put([]byte(k), []byte("str"), 0)
		case 8:
			_, err = tx.Copy([]byte(k), []byte(k2), true)
		case 9:
			_, err = tx.Delete([]byte(k))
		}
		tx.Close()
		if err != nil && err != ErrWrongType && err != ErrSameObject {
			require.NoError(t, err)
		}
	}
}

func TestZSetEffectsReplay(t *testing.T) {
	keys := []string{"{z}a", "{z}b", "{z}c", "d"}
	for seed := uint64(1); seed <= 10; seed++ {
		a := New(Config{})
		rec := &recorder{}
		a.SetEffectSink(rec.sink)
		zrandomOps(t, a, rand.New(rand.NewPCG(seed, 7)), keys, 1500)
		effects := rec.take()
		b := New(Config{})
		require.NoError(t, b.Apply(effects))
		require.Equal(t, zdump(t, a, keys), zdump(t, b, keys), "seed %d", seed)
		for _, e := range effects {
			require.NoError(t, b.Apply([]Effect{e}))
			require.NoError(t, b.Apply([]Effect{e}))
		}
		require.Equal(t, zdump(t, a, keys), zdump(t, b, keys), "seed %d: each twice", seed)
	}
}

func TestZSetSnapshot(t *testing.T) {
	a := New(Config{})
	tx := lockKeys(a, "{s}z", "{s}big")
	for i := 0; i < 300; i++ {
		_, _, err := tx.ZAdd([]byte("{s}big"), []byte("m"+strconv.Itoa(i)), float64(i%7)+0.1, 0, 1)
		require.NoError(t, err)
	}
	_, _, _ = tx.ZAdd([]byte("{s}z"), []byte("x"), math.Inf(-1), 0, 1)
	_, _, _ = tx.ZAdd([]byte("{s}z"), []byte("y"), 1e-300, 0, 1)
	_, err := tx.SetExpireAt([]byte("{s}z"), a.NowMS()+100000)
	require.NoError(t, err)
	tx.Close()
	b := New(Config{})
	put(t, b, "{s}z", "stale", 0)
	var effects []Effect
	a.SnapshotSlot(keySlot("{s}"), func(e Effect) bool { effects = append(effects, e.Clone()); return true })
	require.NoError(t, b.Apply(effects))
	keys := []string{"{s}z", "{s}big"}
	assert.Equal(t, zdump(t, a, keys), zdump(t, b, keys))
}

func TestZScanGuarantee(t *testing.T) {
	s := New(Config{})
	k := []byte("z")
	tx := lockKeys(s, "z")
	const keep = 150
	for i := 0; i < keep; i++ {
		_, _, _ = tx.ZAdd(k, []byte("keep"+strconv.Itoa(i)), float64(i), 0, 1)
	}
	tx.Close()
	seen := map[string]bool{}
	sizes := map[int]bool{}
	cursor, round := uint64(0), 0
	for {
		tx := lockKeys(s, "z")
		next, err := tx.ZScan(k, cursor, 5, func(m []byte, _ float64) { seen[string(m)] = true })
		require.NoError(t, err)
		o, _ := tx.zsetAt(k)
		sizes[len(o.dict.buckets)] = true
		// Churn between calls: grow the table a lot, then shrink it, and
		// move scores of kept members.
		for j := 0; j < 200; j++ {
			if round < 10 {
				_, _, _ = tx.ZAdd(k, []byte(fmt.Sprintf("tmp%d-%d", round, j)), 0, 0, 1)
			} else {
				_, _ = tx.ZRem(k, []byte(fmt.Sprintf("tmp%d-%d", round-10, j)))
			}
		}
		_, _, _ = tx.ZAdd(k, []byte("keep"+strconv.Itoa(round%keep)), -float64(round), 0, 1)
		tx.Close()
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

func TestZSetMemory(t *testing.T) {
	s := New(Config{})
	start := s.UsedMemory()
	k := []byte("z")
	tx := lockKeys(s, "z")
	var last int64
	for i := 0; i < 5000; i++ {
		_, _, _ = tx.ZAdd(k, []byte("member:"+strconv.Itoa(i)), float64(i), 0, 1)
		if i%1000 == 999 {
			assert.Greater(t, s.UsedMemory(), last)
			last = s.UsedMemory()
		}
	}
	assert.Greater(t, s.UsedMemory()-start, int64(5000*70))
	for i := 0; i < 5000; i++ {
		_, _ = tx.ZRem(k, []byte("member:"+strconv.Itoa(i)))
	}
	tx.Close()
	assert.Equal(t, start, s.UsedMemory(), "all back after removing every member")
}

// TestZSetHeapPerElement compares the estimate with the Go heap for a big
// set and logs the per-element cost (see the memory report in the
// commands package's TestZSetMemoryVsRedis). The heap is the process's:
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
		z := newZSet()
		for i := 0; i < n; i++ {
			z.set([]byte("member:"+strconv.Itoa(i)), float64(i))
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		est := float64(z.bytes())
		runtime.KeepAlive(z)
		t.Logf("per element: estimate %.1f B, heap %.1f B", est/n, heap/n)
		if heap > 0 && math.Abs(est/heap-1) <= 0.15 {
			return
		}
		ratios = append(ratios, est/heap)
	}
	t.Errorf("estimate not within 15%% of the heap in any of three readings: estimate/heap %v", ratios)
}

func BenchmarkZAddZPopMin(b *testing.B) {
	s := New(Config{})
	k := []byte("z")
	members := make([][]byte, 1000)
	for i := range members {
		members[i] = []byte("member:" + strconv.Itoa(i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tx := s.Lock(keySlot("z"))
		_, _, _ = tx.ZAdd(k, members[i%1000], float64(i%1000), 0, 1)
		if i%2 == 1 {
			_, _ = tx.ZPop(k, false, 1, func([]byte, float64) {})
		}
		tx.Close()
	}
}

func TestZSetEffectArgs(t *testing.T) {
	var got [][]string
	s := New(Config{})
	s.SetEffectSink(func(_ uint16, effects []Effect) {
		for _, e := range effects {
			var line []string
			for _, a := range e.Args() {
				line = append(line, string(a))
			}
			got = append(got, append([]string{e.Kind.String()}, line...))
		}
	})
	tx := lockKeys(s, "z")
	_, _, _ = tx.ZAdd([]byte("z"), []byte("m"), 0.1, 0, 1)
	_, _, _ = tx.ZAdd([]byte("z"), []byte("n"), math.Inf(-1), 0, 1)
	_, _, _ = tx.ZAdd([]byte("z"), []byte("m"), 2, ZAddIncr, 1)
	_, _ = tx.ZRem([]byte("z"), []byte("n"))
	_, _ = tx.ZPop([]byte("z"), true, 5, nil)
	tx.Close()
	assert.Equal(t, [][]string{
		{"zadd", "ZADD", "z", "0.1", "m"}, {"zadd", "ZADD", "z", "-inf", "n"}, {"zadd", "ZADD", "z", "2.1", "m"},
		{"zrem", "ZREM", "z", "n"}, {"zrem", "ZREM", "z", "m"},
	}, got)
}
