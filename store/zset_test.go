package store

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/zset"
)

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
			o.Convert()
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
	for i := 0; i < zset.DefaultLimits.Entries; i++ {
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
	// At least what the live data needs: a node of 4+1 words and the
	// member's 9-12 bytes each (arenas' slack and buckets come on top).
	assert.Greater(t, s.UsedMemory()-start, int64(5000*(5*8+9)))
	for i := 0; i < 5000; i++ {
		_, _ = tx.ZRem(k, []byte("member:"+strconv.Itoa(i)))
	}
	tx.Close()
	assert.Equal(t, start, s.UsedMemory(), "all back after removing every member")
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
