package list

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/rdb"
)

// checkList verifies l's invariants and that it holds exactly want.
func checkList(t *testing.T, l *List, want [][]byte) {
	t.Helper()
	require.Equal(t, len(want), l.n, "length")
	n, mem := 0, int64(0)
	for i, c := range l.chunks() {
		require.Positive(t, c.n, "chunk %d is empty", i)
		lp, k := int32(lpHeader), 0
		var num [20]byte
		for off := int(c.lo); off < int(c.hi); k++ {
			var e []byte
			e, off = readFwd(c.buf, off, &num)
			lp += lpEntrySize(e)
		}
		require.Equal(t, int(c.n), k, "chunk %d count", i)
		require.Equal(t, lp, c.lp, "chunk %d listpack size", i)
		n += k
		mem += int64(len(c.buf))
	}
	require.Equal(t, l.n, n)
	require.Equal(t, mem, l.mem, "buffer bytes")
	if !l.quick {
		require.LessOrEqual(t, len(l.chunks()), 1, "a listpack list is one chunk")
	}
	var fwd, rev [][]byte
	l.Each(0, func(e []byte) bool { fwd = append(fwd, bytes.Clone(e)); return true })
	l.EachRev(l.n-1, func(e []byte) bool { rev = append(rev, bytes.Clone(e)); return true })
	require.Equal(t, len(want), len(fwd))
	for i := range want {
		require.Equal(t, string(want[i]), string(fwd[i]), "element %d forward", i)
		require.Equal(t, string(want[i]), string(rev[len(rev)-1-i]), "element %d backward", i)
	}
	for _, i := range []int{0, len(want) / 3, len(want) / 2, len(want) - 1} {
		if i >= 0 && i < len(want) {
			require.Equal(t, string(want[i]), string(l.Index(i)), "index %d", i)
		}
	}
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

// TestListDeque runs random deque operations against a slice model,
// checking the invariants after each: chunk counts and listpack sizes,
// buffer accounting, both walking directions and index access.
func TestListDeque(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		l := &List{}
		var model [][]byte
		for step := 0; step < 1500; step++ {
			e := elem(rng, step)
			switch op := rng.IntN(12); {
			case op < 3:
				l.Grow(1, len(e), DefaultLimits)
				l.PushBack(e)
				model = append(model, e)
			case op < 6:
				l.Grow(1, len(e), DefaultLimits)
				l.PushFront(e)
				model = append([][]byte{e}, model...)
			case op == 6 && l.n > 0:
				require.Equal(t, string(model[0]), string(l.PopFront()))
				model = model[1:]
			case op == 7 && l.n > 0:
				require.Equal(t, string(model[len(model)-1]), string(l.PopBack()))
				model = model[:len(model)-1]
			case op == 8 && l.n > 0:
				i := rng.IntN(l.n)
				l.Grow(1, len(e), DefaultLimits)
				l.Set(i, e)
				model[i] = e
			case op == 9 && l.n > 1:
				i := 1 + rng.IntN(l.n-1)
				l.Grow(1, len(e), DefaultLimits)
				l.Insert(i, e)
				model = append(model[:i], append([][]byte{e}, model[i:]...)...)
			case op == 10 && l.n > 0:
				k := rng.IntN(l.n + 1)
				if rng.IntN(2) == 0 {
					l.TrimFront(k)
					model = model[k:]
				} else {
					l.TrimBack(k)
					model = model[:len(model)-k]
				}
			case op == 11 && l.n > 0 && rng.IntN(4) == 0:
				drop := string(model[rng.IntN(len(model))])
				var kept [][]byte
				for _, m := range model {
					if string(m) != drop {
						kept = append(kept, m)
					}
				}
				assert.Equal(t, len(model)-len(kept), l.filter(func(e []byte) bool { return string(e) != drop }))
				model = kept
			}
			l.Shrunk(DefaultLimits)
			if step%50 == 0 || l.n < 5 {
				checkList(t, l, model)
			}
		}
		checkList(t, l, model)
		c := l.Clone()
		checkList(t, c, model)
		assert.Equal(t, l.head, c.head)
	}
}

// TestListChunkBoundaries pushes and pops across many chunks at both ends.
func TestListChunkBoundaries(t *testing.T) {
	l := &List{}
	var model [][]byte
	for i := 0; i < 5000; i++ {
		e := []byte(fmt.Sprintf("element-%06d", i))
		l.Grow(1, len(e), DefaultLimits)
		if i%2 == 0 {
			l.PushBack(e)
			model = append(model, e)
		} else {
			l.PushFront(e)
			model = append([][]byte{e}, model...)
		}
	}
	require.True(t, l.quick)
	require.Greater(t, len(l.chunks()), 8)
	for _, c := range l.chunks() {
		assert.LessOrEqual(t, c.lp+listLPOverhead, int32(8192+listLPOverhead))
	}
	checkList(t, l, model)
	assert.Equal(t, int64(-2500), l.head)
	for i := 0; i < 4990; i++ {
		if i%3 == 0 {
			require.Equal(t, string(model[len(model)-1]), string(l.PopBack()))
			model = model[:len(model)-1]
		} else {
			require.Equal(t, string(model[0]), string(l.PopFront()))
			model = model[1:]
		}
	}
	checkList(t, l, model)
	l.Shrunk(DefaultLimits)
	if len(l.chunks()) == 1 {
		assert.Equal(t, "listpack", l.Encoding(), "back to one small chunk")
	} else {
		assert.Equal(t, "quicklist", l.Encoding(), "two chunks stay a quicklist")
	}
}

// FuzzListElem round-trips element encodings both ways and checks rdb.CanonicalInt
// against strconv.
func FuzzListElem(f *testing.F) {
	for _, s := range []string{"", "a", "123", "-0", "007", strings.Repeat("x", 200), "9223372036854775808", "-9223372036854775808",
		"127", "128", "-128", "-129", "32767", "32768", "-8388608", "2147483648", "9223372036854775807", "0", "-1"} {
		f.Add([]byte(s), []byte("b"))
	}
	f.Fuzz(func(t *testing.T, a, b []byte) {
		ea, eb := encodeOf(a), encodeOf(b)
		buf := make([]byte, ea.size+eb.size)
		ea.put(buf, a)
		eb.put(buf[ea.size:], b)
		var n1, n2 [20]byte
		e1, off := readFwd(buf, 0, &n1)
		e2, end := readFwd(buf, off, &n2)
		require.Equal(t, len(buf), end)
		require.Equal(t, off, skipFwd(buf, 0))
		require.Equal(t, string(a), string(e1))
		require.Equal(t, string(b), string(e2))
		r2, start := readBack(buf, len(buf), &n1)
		require.Equal(t, string(b), string(r2))
		r1, zero := readBack(buf, start, &n2)
		require.Equal(t, string(a), string(r1))
		require.Zero(t, zero)
		require.Equal(t, start, skipBack(buf, len(buf)))
		require.Equal(t, lpEntrySize(a), lpSize(ea, len(a)))
		v, ok := rdb.CanonicalInt(a)
		p, err := strconv.ParseInt(string(a), 10, 64)
		canon := err == nil && strconv.FormatInt(p, 10) == string(a)
		require.Equal(t, canon, ok, "%q", a)
		if ok {
			require.Equal(t, p, v)
		}
	})
}

// FuzzListOps drives the deque with operations decoded from the input
// and compares it with a slice model after each one.
func FuzzListOps(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	f.Add(bytes.Repeat([]byte{0, 200, 1, 255, 6}, 40))
	f.Fuzz(func(t *testing.T, ops []byte) {
		l := &List{}
		var model [][]byte
		for i := 0; i+1 < len(ops); i += 2 {
			op, arg := ops[i]%8, int(ops[i+1])
			var e []byte
			switch {
			case arg < 100:
				e = []byte(strconv.Itoa(arg*arg*arg - 50000))
			case arg < 200:
				e = bytes.Repeat([]byte{'a' + byte(arg%26)}, arg)
			default:
				e = bytes.Repeat([]byte{'z'}, arg*40)
			}
			switch op {
			case 0, 1:
				l.Grow(1, len(e), DefaultLimits)
				l.PushBack(e)
				model = append(model, e)
			case 2, 3:
				l.Grow(1, len(e), DefaultLimits)
				l.PushFront(e)
				model = append([][]byte{e}, model...)
			case 4:
				if l.n > 0 {
					require.Equal(t, string(model[0]), string(l.PopFront()))
					model = model[1:]
				}
			case 5:
				if l.n > 0 {
					require.Equal(t, string(model[len(model)-1]), string(l.PopBack()))
					model = model[:len(model)-1]
				}
			case 6:
				if l.n > 0 {
					j := arg % l.n
					l.Grow(1, len(e), DefaultLimits)
					l.Set(j, e)
					model[j] = e
				}
			case 7:
				if l.n > 1 {
					j := 1 + arg%(l.n-1)
					l.Grow(1, len(e), DefaultLimits)
					l.Insert(j, e)
					model = append(model[:j], append([][]byte{e}, model[j:]...)...)
				}
			}
			l.Shrunk(DefaultLimits)
		}
		checkList(t, l, model)
	})
}

// TestLPEntrySize holds the listpack sizes of Redis's encodings, which
// decide where chunks split and what OBJECT ENCODING reports.
func TestLPEntrySize(t *testing.T) {
	for _, tc := range []struct {
		e    string
		size int32
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"-4096", 3}, {"4096", 4}, {"32767", 4},
		{"32768", 5}, {"8388607", 5}, {"8388608", 6}, {"2147483647", 6}, {"2147483648", 10},
		{"9223372036854775807", 10}, {"-9223372036854775808", 10}, {"9223372036854775808", 21},
		{"-0", 4}, {"007", 5}, {"+1", 4}, {" 1", 4}, {"", 2}, {"abcdefghij", 12},
		{strings.Repeat("x", 63), 65}, {strings.Repeat("x", 64), 67}, {strings.Repeat("x", 125), 128}, {strings.Repeat("x", 126), 130},
		{strings.Repeat("x", 4095), 4099}, {strings.Repeat("x", 4096), 4103},
	} {
		assert.Equal(t, tc.size, lpEntrySize([]byte(tc.e)), "%q", tc.e)
	}
}

// TestPosAndRemoveEqual covers LPOS's rank and maxlen and LREM's count
// on one list, by table.
func TestPosAndRemoveEqual(t *testing.T) {
	mk := func() *List {
		l := &List{}
		for _, e := range []string{"x", "a", "x", "b", "x", "c", "x"} {
			l.Grow(1, 1, DefaultLimits)
			l.PushBack([]byte(e))
		}
		return l
	}
	for _, tc := range []struct {
		rank, maxlen int64
		want         []int64
	}{
		{1, 0, []int64{0, 2, 4, 6}}, {2, 0, []int64{2, 4, 6}}, {-1, 0, []int64{6, 4, 2, 0}},
		{-2, 0, []int64{4, 2, 0}}, {1, 3, []int64{0, 2}}, {-1, 2, []int64{6}}, {5, 0, nil},
	} {
		var got []int64
		mk().Pos([]byte("x"), tc.rank, tc.maxlen, func(i int64) bool { got = append(got, i); return true })
		assert.Equal(t, tc.want, got, "rank %d maxlen %d", tc.rank, tc.maxlen)
	}
	for _, tc := range []struct {
		count int64
		gone  []int
		left  string
	}{
		{1, []int{0}, "axbxcx"}, {2, []int{0, 2}, "abxcx"}, {-1, []int{6}, "xaxbxc"},
		{-3, []int{2, 4, 6}, "xabc"}, {0, []int{0, 2, 4, 6}, "abc"}, {9, []int{0, 2, 4, 6}, "abc"},
	} {
		l := mk()
		assert.Equal(t, tc.gone, l.RemoveEqual([]byte("x"), tc.count), "count %d", tc.count)
		var left []byte
		l.Each(0, func(e []byte) bool { left = append(left, e...); return true })
		assert.Equal(t, tc.left, string(left), "count %d", tc.count)
	}
}

// TestListLimits: list-max-listpack-size as Redis 7.2 reads it, bytes for
// a negative fill, elements for a positive one (with the 8 KB safety
// bound), and the list's encoding at, below and above it, back to
// listpack only within half of it, with a change of limits between writes.
func TestListLimits(t *testing.T) {
	for _, tc := range []struct {
		fill        int
		size, count int
	}{
		{-1, 4096, math.MaxInt}, {-2, 8192, math.MaxInt}, {-3, 16384, math.MaxInt},
		{-4, 32768, math.MaxInt}, {-5, 65536, math.MaxInt}, {-6, 65536, math.MaxInt},
		{0, math.MaxInt, 1}, {1, math.MaxInt, 1}, {4, math.MaxInt, 4}, {128, math.MaxInt, 128},
	} {
		lim := Limits{Fill: tc.fill}
		size, count := lim.bound()
		assert.Equal(t, tc.size, size, "fill %d", tc.fill)
		assert.Equal(t, tc.count, count, "fill %d", tc.fill)
		if tc.fill >= 0 {
			assert.True(t, lim.exceeds(sizeSafetyLimit+1, 1), "fill %d: the safety bound", tc.fill)
		}
	}

	// By elements: 4 stay a listpack, the 5th makes a quicklist of 4-element
	// chunks; popping to 2 (half of 4) in one chunk makes a listpack again.
	four := Limits{Fill: 4}
	l := &List{}
	var model [][]byte
	push := func(e string, lim Limits) {
		l.Grow(1, len(e), lim)
		l.PushBack([]byte(e))
		model = append(model, []byte(e))
	}
	for i := range 4 {
		push(strconv.Itoa(i), four)
	}
	assert.Equal(t, "listpack", l.Encoding(), "at 4 elements")
	push("4", four)
	assert.Equal(t, "quicklist", l.Encoding(), "above 4 elements")
	for i := 5; i < 12; i++ {
		push(strconv.Itoa(i), four)
	}
	for _, c := range l.chunks() {
		assert.LessOrEqual(t, c.n, int32(4))
	}
	checkList(t, l, model)
	for l.Len() > 3 {
		l.PopBack()
		model = model[:len(model)-1]
		l.Shrunk(four)
	}
	assert.Equal(t, "quicklist", l.Encoding(), "3 elements are more than half of 4")
	l.PopBack()
	model = model[:len(model)-1]
	l.Shrunk(four)
	assert.Equal(t, "listpack", l.Encoding(), "2 elements in one chunk: half of 4")
	checkList(t, l, model)

	// A limit raised at run time: the same list grows further as a listpack.
	for i := range 20 {
		push(strconv.Itoa(100+i), DefaultLimits)
	}
	assert.Equal(t, "listpack", l.Encoding(), "22 small elements under 8 KB")
	push("x", Limits{Fill: 10})
	assert.Equal(t, "quicklist", l.Encoding(), "23 elements under a limit of 10")
	checkList(t, l, model)

	// By bytes: -1 is 4 KB.
	b := &List{}
	e := strings.Repeat("b", 1000)
	for range 5 {
		b.Grow(1, len(e), Limits{Fill: -1})
		b.PushBack([]byte(e))
	}
	assert.Equal(t, "quicklist", b.Encoding(), "5 elements of 1000 bytes pass 4 KB")
	c := &List{}
	for range 5 {
		c.Grow(1, len(e), DefaultLimits)
		c.PushBack([]byte(e))
	}
	assert.Equal(t, "listpack", c.Encoding(), "and stay under 8 KB")
}
