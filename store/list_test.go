package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestListEncoding follows Redis 7.2's listpack/quicklist conversions
// under list-max-listpack-size -2.
func TestListEncoding(t *testing.T) {
	s := New(Config{})
	tx := lockKeys(s, "l")
	defer tx.Close()
	k := []byte("l")
	enc := func() string {
		o, err := tx.readObject(k, TypeList)
		require.NoError(t, err)
		return o.encoding()
	}
	_, err := tx.ListPush(k, [][]byte{[]byte("a")}, false, false)
	require.NoError(t, err)
	assert.Equal(t, "listpack", enc())
	// 10-byte strings take 12 listpack bytes: 682 fit in 8192 - 7.
	ten := []byte("abcdefghij")
	for i := 0; i < 600; i++ {
		_, err = tx.ListPush(k, [][]byte{ten}, false, false)
		require.NoError(t, err)
	}
	assert.Equal(t, "listpack", enc())
	for i := 0; i < 100; i++ {
		_, err = tx.ListPush(k, [][]byte{ten}, i%2 == 0, false)
		require.NoError(t, err)
	}
	assert.Equal(t, "quicklist", enc())
	// Shrinking back needs one chunk of at most 4096 bytes.
	_, err = tx.ListPop(k, 300, true, nil, func([]byte) {})
	require.NoError(t, err)
	assert.Equal(t, "quicklist", enc())
	_, err = tx.ListPop(k, 120, false, nil, func([]byte) {})
	require.NoError(t, err)
	assert.Equal(t, "listpack", enc())
	// One big element converts at once.
	_, err = tx.ListPush([]byte("l"), [][]byte{bytes.Repeat([]byte("x"), 9000)}, false, false)
	require.NoError(t, err)
	assert.Equal(t, "quicklist", enc())
	_, err = tx.ListTrim(k, 0, 0)
	require.NoError(t, err)
	assert.Equal(t, "listpack", enc())
}

// TestListTxAPI covers the commands' store operations, table by table.
func TestListTxAPI(t *testing.T) {
	s := New(Config{})
	tx := lockKeys(s, "{l}a", "{l}b", "{l}s")
	defer tx.Close()
	a, b, str := []byte("{l}a"), []byte("{l}b"), []byte("{l}s")
	bs := func(xs ...string) [][]byte {
		out := make([][]byte, len(xs))
		for i, x := range xs {
			out[i] = []byte(x)
		}
		return out
	}
	all := func(key []byte) []string {
		out := []string{}
		require.NoError(t, tx.ListRange(key, 0, -1, func(int) {}, func(e []byte) { out = append(out, string(e)) }))
		return out
	}
	n, err := tx.ListPush(a, bs("x"), true, true)
	require.NoError(t, err)
	assert.Zero(t, n, "LPUSHX on a missing key")
	n, err = tx.ListPush(a, bs("c", "b", "a"), true, false)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = tx.ListPush(a, bs("d", "e"), false, true)
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, []string{"a", "b", "c", "d", "e"}, all(a))

	ranges := []struct {
		start, stop int64
		want        []string
	}{
		{0, 0, []string{"a"}}, {-2, -1, []string{"d", "e"}}, {-100, 100, []string{"a", "b", "c", "d", "e"}},
		{3, 1, []string{}}, {5, 10, []string{}}, {1, -2, []string{"b", "c", "d"}}, {-1, -5, []string{}},
	}
	for _, r := range ranges {
		var got []string
		count := -1
		require.NoError(t, tx.ListRange(a, r.start, r.stop, func(n int) { count = n }, func(e []byte) { got = append(got, string(e)) }))
		assert.Equal(t, len(r.want), count, "range %d %d", r.start, r.stop)
		assert.Equal(t, r.want, append([]string{}, got...), "range %d %d", r.start, r.stop)
	}
	for _, ix := range []struct {
		i    int64
		want string
		ok   bool
	}{{0, "a", true}, {-1, "e", true}, {4, "e", true}, {5, "", false}, {-6, "", false}, {-5, "a", true}} {
		v, ok, err := tx.ListIndex(a, ix.i)
		require.NoError(t, err)
		assert.Equal(t, ix.ok, ok, "index %d", ix.i)
		assert.Equal(t, ix.want, string(v), "index %d", ix.i)
	}
	require.NoError(t, tx.ListSet(a, -1, []byte("E")))
	assert.ErrorIs(t, tx.ListSet(a, 5, []byte("x")), ErrIndexRange)
	assert.ErrorIs(t, tx.ListSet(b, 0, []byte("x")), ErrNoSuchKey)

	n, err = tx.ListInsert(a, true, []byte("c"), []byte("c0"))
	require.NoError(t, err)
	assert.Equal(t, 6, n)
	n, err = tx.ListInsert(a, false, []byte("E"), []byte("F"))
	require.NoError(t, err)
	assert.Equal(t, 7, n)
	n, err = tx.ListInsert(a, false, []byte("zz"), []byte("F"))
	require.NoError(t, err)
	assert.Equal(t, -1, n)
	n, err = tx.ListInsert(b, false, []byte("zz"), []byte("F"))
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Equal(t, []string{"a", "b", "c0", "c", "d", "E", "F"}, all(a))

	var idx []int64
	collect := func(i int64) bool { idx = append(idx, i); return len(idx) < 10 }
	for _, p := range []struct {
		e           string
		rank, maxln int64
		want        []int64
	}{{"c", 1, 0, []int64{3}}, {"c", -1, 0, []int64{3}}, {"c", 2, 0, nil}, {"a", 1, 0, []int64{0}}, {"F", 1, 3, nil}, {"F", -1, 1, []int64{6}}} {
		idx = nil
		found, err := tx.ListPos(a, []byte(p.e), p.rank, p.maxln, collect)
		require.NoError(t, err)
		assert.True(t, found)
		assert.Equal(t, p.want, idx, "%+v", p)
	}

	_, err = tx.ListPush(b, bs("x", "a", "x", "b", "x", "c", "x"), false, false)
	require.NoError(t, err)
	for _, r := range []struct {
		count int64
		n     int
		want  []string
	}{
		{1, 1, []string{"a", "x", "b", "x", "c", "x"}},
		{-1, 1, []string{"a", "x", "b", "x", "c"}},
		{0, 2, []string{"a", "b", "c"}},
		{0, 0, []string{"a", "b", "c"}},
	} {
		n, err := tx.ListRem(b, r.count, []byte("x"))
		require.NoError(t, err)
		assert.Equal(t, r.n, n)
		assert.Equal(t, r.want, all(b))
	}

	e, ok, err := tx.ListMove(a, b, true, false)
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "a", string(e))
	e, _, err = tx.ListMove(b, b, false, true)
	require.NoError(t, err)
	assert.Equal(t, "a", string(e))
	assert.Equal(t, []string{"a", "a", "b", "c"}, all(b))
	_, ok, err = tx.ListMove([]byte("{l}none"), b, true, true)
	require.NoError(t, err)
	assert.False(t, ok)

	require.NoError(t, tx.Put(str, []byte("v"), 0))
	_, _, err = tx.ListMove(a, str, true, true)
	assert.ErrorIs(t, err, ErrWrongType)
	assert.Equal(t, []string{"b", "c0", "c", "d", "E", "F"}, all(a), "nothing popped when the destination is of another type")
	_, err = tx.ListPush(str, bs("x"), true, false)
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = tx.ListPop(str, 1, true, nil, func([]byte) {})
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = tx.ListLen(str)
	assert.ErrorIs(t, err, ErrWrongType)

	removed, err := tx.ListTrim(a, 1, -2)
	require.NoError(t, err)
	assert.Equal(t, 2, removed, "the first and the last element")
	assert.Equal(t, []string{"c0", "c", "d", "E"}, all(a))
	var popped []string
	k, err := tx.ListPop(a, 3, false, nil, func(e []byte) { popped = append(popped, string(e)) })
	require.NoError(t, err)
	assert.Equal(t, 3, k)
	assert.Equal(t, []string{"E", "d", "c"}, popped)
	removed, err = tx.ListTrim(a, 1, 0)
	require.NoError(t, err)
	assert.Equal(t, 1, removed, "an empty range removes the rest")
	ex, _ := tx.Exists(a)
	assert.False(t, ex, "an empty list is deleted")
}

// listDump renders every key of s as dump does, lists with their head and
// elements.
func listDump(t *testing.T, s *Store) []string {
	t.Helper()
	out := dump(t, s)
	for i, line := range out {
		k, rest, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(rest, "list ") {
			continue
		}
		tx := lockKeys(s, k)
		o, err := tx.readObject([]byte(k), TypeList)
		require.NoError(t, err)
		l := o.(*listObj)
		var es []string
		l.Each(0, func(e []byte) bool { es = append(es, string(e)); return true })
		out[i] = fmt.Sprintf("%s head=%d %q", line, l.Head(), es)
		tx.Close()
	}
	return out
}

// elem returns a test element whose size depends on i and big: small
// strings, integers, and now and then a big one that fills a chunk alone.
func elem(rng *rand.Rand, i int) []byte {
	switch rng.IntN(10) {
	case 0:
		return []byte(strconv.Itoa(rng.IntN(100000) - 50000))
	case 1:
		return bytes.Repeat([]byte{byte('a' + i%26)}, 100+rng.IntN(300))
	case 2:
		if rng.IntN(20) == 0 {
			return bytes.Repeat([]byte("B"), 9000+rng.IntN(3000))
		}
		return nil
	}
	return []byte(fmt.Sprintf("e%d", i))
}

// randomListOps runs n random list commands (and a few generic ones) on s.
func randomListOps(t *testing.T, s *Store, rng *rand.Rand, n int) {
	keys := []string{"{t}a", "{t}b", "{t}c"}
	pick := func() []byte { return []byte(keys[rng.IntN(len(keys))]) }
	for i := 0; i < n; i++ {
		k1, k2 := pick(), pick()
		tx := lockKeys(s, "{t}")
		var err error
		e := elem(rng, i)
		switch rng.IntN(16) {
		case 0, 1, 2:
			_, err = tx.ListPush(k1, [][]byte{e, elem(rng, i+1)}, rng.IntN(2) == 0, false)
		case 3, 4:
			_, err = tx.ListPop(k1, 1+rng.IntN(3), rng.IntN(2) == 0, nil, func([]byte) {})
		case 5:
			err = tx.ListSet(k1, int64(rng.IntN(10)-5), e)
			if err == ErrNoSuchKey || err == ErrIndexRange {
				err = nil
			}
		case 6:
			_, err = tx.ListInsert(k1, rng.IntN(2) == 0, []byte(fmt.Sprintf("e%d", i-1-rng.IntN(5))), e)
		case 7:
			_, err = tx.ListRem(k1, int64(rng.IntN(5)-2), []byte(fmt.Sprintf("e%d", i-1-rng.IntN(5))))
		case 8:
			_, err = tx.ListTrim(k1, int64(rng.IntN(4)-1), int64(rng.IntN(8)-3))
		case 9, 10:
			_, _, err = tx.ListMove(k1, k2, rng.IntN(2) == 0, rng.IntN(2) == 0)
		case 11:
			_, err = tx.SetExpireAt(k1, tx.NowMS()+100_000)
		case 12:
			_, err = tx.Copy(k1, k2, rng.IntN(2) == 0)
		case 13:
			_, _, err = tx.Rename(k1, k2, true)
		case 14:
			if rng.IntN(5) == 0 {
				err = tx.Put(k1, []byte("string"), 0)
			}
		case 15:
			_, err = tx.Delete(k1)
		}
		tx.Close()
		if err != nil && err != ErrWrongType && err != ErrSameObject && err != ErrNoSuchKey {
			require.NoError(t, err)
		}
	}
}

// TestListEffectsReplay applies a primary's list effects to replicas
// (all at once, each twice, one by one) and compares contents and heads.
func TestListEffectsReplay(t *testing.T) {
	for seed := uint64(1); seed <= 25; seed++ {
		a, clk := newTestStore(t, Config{})
		rec := &recorder{}
		a.SetEffectSink(rec.sink)
		rng := rand.New(rand.NewPCG(seed, 3))
		randomListOps(t, a, rng, 600)
		effects := rec.take()
		want := listDump(t, a)

		b := New(Config{Now: clk.Now})
		require.NoError(t, b.Apply(effects))
		require.Equal(t, want, listDump(t, b), "seed %d", seed)

		c := New(Config{Now: clk.Now})
		for _, e := range effects {
			require.NoError(t, c.Apply([]Effect{e}))
			require.NoError(t, c.Apply([]Effect{e}), "applying %v twice", e.Kind)
		}
		require.Equal(t, want, listDump(t, c), "seed %d: each effect twice", seed)
	}
}

// TestListMiddleEditEffects checks that LINSERT and LREM ship the shorter
// shifted side, not the list, and that a replica keeps the TTL.
func TestListMiddleEditEffects(t *testing.T) {
	a, clk := newTestStore(t, Config{})
	b := New(Config{Now: clk.Now})
	rec := &recorder{}
	a.SetEffectSink(rec.sink)
	k := []byte("l")
	tx := lockKeys(a, "l")
	for i := 0; i < 1000; i++ {
		_, err := tx.ListPush(k, [][]byte{[]byte(fmt.Sprintf("e%d", i))}, false, false)
		require.NoError(t, err)
	}
	_, err := tx.SetExpireAt(k, clk.MS()+60_000)
	require.NoError(t, err)
	tx.Close()
	require.NoError(t, b.Apply(rec.take()))

	edits := []struct {
		name string
		run  func(tx *Tx) error
		max  int
	}{
		{"insert near the tail", func(tx *Tx) error { _, err := tx.ListInsert(k, true, []byte("e990"), []byte("x")); return err }, 12},
		{"insert near the head", func(tx *Tx) error { _, err := tx.ListInsert(k, false, []byte("e3"), []byte("y")); return err }, 6},
		{"remove near the head", func(tx *Tx) error { _, err := tx.ListRem(k, 0, []byte("e5")); return err }, 8},
		{"remove near the tail", func(tx *Tx) error { _, err := tx.ListRem(k, -1, []byte("e995")); return err }, 6},
		{"remove at both ends", func(tx *Tx) error {
			_, err := tx.ListPush(k, [][]byte{[]byte("z")}, true, false)
			if err == nil {
				_, err = tx.ListPush(k, [][]byte{[]byte("z")}, false, false)
			}
			if err == nil {
				_, err = tx.ListRem(k, 0, []byte("z"))
			}
			return err
		}, 3},
	}
	for _, e := range edits {
		tx := lockKeys(a, "l")
		require.NoError(t, e.run(tx), e.name)
		tx.Close()
		effects := rec.take()
		assert.LessOrEqual(t, len(effects), e.max, "%s: %d effects", e.name, len(effects))
		for _, ef := range effects {
			assert.NotEqual(t, EffectDel, ef.Kind, e.name)
		}
		require.NoError(t, b.Apply(effects))
		require.Equal(t, listDump(t, a), listDump(t, b), e.name)
	}
}

// TestListSnapshot rebuilds lists from SnapshotSlot into an empty store:
// same elements, same head, same TTL; and a replica that had another type
// at the key takes the list.
func TestListSnapshot(t *testing.T) {
	a, clk := newTestStore(t, Config{})
	rng := rand.New(rand.NewPCG(9, 9))
	randomListOps(t, a, rng, 800)
	tx := lockKeys(a, "{t}")
	for i := 0; i < 3000; i++ {
		_, err := tx.ListPush([]byte("{t}big"), [][]byte{[]byte(fmt.Sprint(i))}, i%3 == 0, false)
		require.NoError(t, err)
	}
	tx.Close()
	b := New(Config{Now: clk.Now})
	put(t, b, "{t}big", "a string", 0)
	var effects []Effect
	a.SnapshotSlot(keySlot("{t}"), func(e Effect) bool {
		effects = append(effects, e.Clone())
		return true
	})
	require.NoError(t, b.Apply(effects))
	assert.Equal(t, listDump(t, a), listDump(t, b))
}

// TestListMemory checks that UsedMemory grows with a list and returns to
// where it started once the list is popped empty.
func TestListMemory(t *testing.T) {
	s := New(Config{})
	base := s.UsedMemory()
	k := []byte("l")
	const n = 50000
	for i := 0; i < n; i++ {
		tx := lockKeys(s, "l")
		_, err := tx.ListPush(k, [][]byte{[]byte(fmt.Sprintf("elem%06d", i))}, i%2 == 0, false)
		tx.Close()
		require.NoError(t, err)
	}
	full := s.UsedMemory()
	perElem := float64(full-base) / n
	assert.Greater(t, perElem, 12.0, "at least the encoded elements")
	assert.Less(t, perElem, 15.0)
	for i := 0; i < n; i += 100 {
		tx := lockKeys(s, "l")
		_, err := tx.ListPop(k, 100, i%200 == 0, nil, func([]byte) {})
		tx.Close()
		require.NoError(t, err)
		if i == n/2 {
			assert.Less(t, s.UsedMemory(), full)
		}
	}
	assert.Equal(t, base, s.UsedMemory())
}

// TestListMemoryMillion measures the heap of 1M 10-byte elements, by the
// list's own estimate and by the Go heap, for comparison with
// redis-server's used_memory: redis-server 7.0 (jemalloc) grows
// used_memory by 12.17 bytes per element for RPUSHes of the strings
// "v000000000".."v000999999" (MEMORY USAGE: 12.09), and by 6.05 for the
// integers 1000000000..1000999999 (stored in 4 bytes).
func TestListMemoryMillion(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 1M elements")
	}
	for _, tc := range []struct {
		name  string
		first int
		redis float64
	}{{"strings", 0, 12.17}, {"integers", 1_000_000_000, 6.05}} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			used0 := s.UsedMemory()
			k := []byte("l")
			before := heapAlloc()
			tx := lockKeys(s, "l")
			for i := 0; i < 1_000_000; i++ {
				_, err := tx.ListPush(k, [][]byte{elem10(tc.first + i)}, false, false)
				require.NoError(t, err)
			}
			tx.Close()
			heap := float64(heapAlloc()-before) / 1e6
			est := float64(s.UsedMemory()-used0) / 1e6
			t.Logf("1M 10-byte %s: %.2f bytes/element estimated, %.2f by the Go heap; redis-server %.2f (ratio %.2f)",
				tc.name, est, heap, tc.redis, heap/tc.redis)
			assert.InDelta(t, heap, est, heap*0.1, "the estimate follows the heap")
			assert.Less(t, heap, tc.redis*1.2)
		})
	}
}

// elem10 is "v%09d" of i below 1e9, else i itself: 10 bytes either way.
func elem10(i int) []byte {
	if i < 1_000_000_000 {
		return []byte(fmt.Sprintf("v%09d", i))
	}
	return []byte(strconv.Itoa(i))
}

func TestListEffectArgs(t *testing.T) {
	set := Effect{Kind: EffectListSet, Key: []byte("l"), Field: []byte("-3"), Value: []byte("v")}
	trim := Effect{Kind: EffectListTrim, Key: []byte("l"), Field: []byte("2"), Value: []byte("5")}
	assert.Equal(t, "LISTSET l -3 v", string(bytes.Join(set.Args(), []byte(" "))))
	assert.Equal(t, "LISTTRIM l 2 5", string(bytes.Join(trim.Args(), []byte(" "))))
	assert.Equal(t, "listset", set.Kind.String())
	assert.Equal(t, "listtrim", trim.Kind.String())

	s := New(Config{})
	assert.Error(t, s.Apply([]Effect{{Kind: EffectListSet, Key: []byte("l"), Field: []byte("x"), Value: []byte("v")}}))
	require.NoError(t, s.Apply([]Effect{set}))
	assert.ErrorIs(t, s.Apply([]Effect{{Kind: EffectListSet, Key: []byte("l"), Field: []byte("7"), Value: []byte("v")}}),
		errListEffectPos, "a position away from the list is refused")
	put(t, s, "str", "v", 0)
	require.NoError(t, s.Apply([]Effect{{Kind: EffectListTrim, Key: []byte("str"), Field: []byte("0"), Value: []byte("0")}}),
		"nothing to trim in a string")
	require.NoError(t, s.Apply([]Effect{{Kind: EffectListSet, Key: []byte("str"), Field: []byte("0"), Value: []byte("x")}}))
	tx := lockKeys(s, "str")
	typ, _ := tx.Type([]byte("str"))
	tx.Close()
	assert.Equal(t, TypeList, typ, "a list effect replaces another type")
}
