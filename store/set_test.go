package store

import (
	"bytes"
	"math/rand/v2"
	"sort"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/store/set"
)

// bs turns strings into arguments.
func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// sadd adds members under its own Tx.
func sadd(t testing.TB, s *Store, key string, members ...string) int {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	n, err := tx.SAdd([]byte(key), bs(members...)...)
	require.NoError(t, err)
	return n
}

// smembers returns the members of key, sorted (nil when missing).
func smembers(t testing.TB, s *Store, key string) []string {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	var out []string
	_, err := tx.SMembers([]byte(key), nil, func(m []byte) { out = append(out, string(m)) })
	require.NoError(t, err)
	sort.Strings(out)
	return out
}

// setObjAt returns the set object at key, nil when missing.
func setObjAt(t testing.TB, s *Store, key string) *setObj {
	t.Helper()
	tx := lockKeys(s, key)
	defer tx.Close()
	o, err := tx.setAt([]byte(key))
	require.NoError(t, err)
	return o
}

// encodingOf is OBJECT ENCODING of the set at key.
func encodingOf(t testing.TB, s *Store, key string) string {
	t.Helper()
	o := setObjAt(t, s, key)
	require.NotNil(t, o, "%s is missing", key)
	return o.encoding()
}

// checkSet verifies the invariants of a set's layout (set.Set.Check).
func checkSet(t testing.TB, s *setObj) {
	t.Helper()
	require.NoError(t, s.Check(set.DefaultLimits))
}

func TestSetOps(t *testing.T) {
	s := New(Config{})
	tx := lockKeys(s, "s", "str", "nokey")
	defer tx.Close()
	k := []byte("s")

	n, err := tx.SAdd(k, bs("a", "b", "a", "c")...)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	n, err = tx.SAdd(k, bs("c", "d")...)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = tx.SCard(k)
	require.NoError(t, err)
	assert.Equal(t, 4, n)
	ok, err := tx.SIsMember(k, []byte("a"))
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = tx.SIsMember(k, []byte("z"))
	require.NoError(t, err)
	assert.False(t, ok)
	var got []bool
	require.NoError(t, tx.SMIsMember(k, bs("a", "z", "d"), func(b bool) { got = append(got, b) }))
	assert.Equal(t, []bool{true, false, true}, got)
	got = nil
	require.NoError(t, tx.SMIsMember([]byte("nokey"), bs("a"), func(b bool) { got = append(got, b) }))
	assert.Equal(t, []bool{false}, got)
	typ, _ := tx.Type(k)
	assert.Equal(t, TypeSet, typ)

	require.NoError(t, tx.Put([]byte("str"), []byte("x"), 0))
	_, err = tx.SAdd([]byte("str"), []byte("m"))
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = tx.SRem([]byte("str"), []byte("m"))
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = tx.SCard([]byte("str"))
	assert.ErrorIs(t, err, ErrWrongType)
	_, err = tx.SIsMember([]byte("str"), []byte("m"))
	assert.ErrorIs(t, err, ErrWrongType)
	_, _, err = tx.Get(k)
	assert.ErrorIs(t, err, ErrWrongType)

	n, err = tx.SRem(k, bs("a", "a", "zz")...)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = tx.SRem(k, bs("b", "c", "d", "e")...)
	require.NoError(t, err)
	assert.Equal(t, 3, n)
	exists, _ := tx.Exists(k)
	assert.False(t, exists, "a set goes away with its last member")
	n, err = tx.SRem(k, []byte("a"))
	require.NoError(t, err)
	assert.Zero(t, n)
}

// setMaxListpackValue is Redis's default set-max-listpack-value.
const setMaxListpackValue = 64

func TestSetEncodings(t *testing.T) {
	ints := func(from, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = strconv.Itoa(from + i)
		}
		return out
	}
	strs := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	long := string(bytes.Repeat([]byte("x"), setMaxListpackValue+1))
	limit := string(bytes.Repeat([]byte("y"), setMaxListpackValue))
	tests := []struct {
		name string
		adds [][]string // one SADD each
		want string
	}{
		{"integers", [][]string{{"1", "2", "-3"}}, "intset"},
		{"512 integers one by one", chunks(ints(0, 512), 1), "intset"},
		{"513 integers one by one", chunks(ints(0, 513), 1), "hashtable"},
		{"513 integers in one SADD", [][]string{ints(0, 513)}, "hashtable"},
		{"200 integers in one SADD", [][]string{ints(0, 200)}, "intset"},
		{"non-canonical integer", [][]string{{"01"}}, "listpack"},
		{"integers then a string", [][]string{{"1", "2"}, {"a"}}, "listpack"},
		{"127 integers then a string", [][]string{ints(0, 127), {"a"}}, "listpack"},
		{"128 integers then a string", [][]string{ints(0, 128), {"a"}}, "hashtable"},
		{"integers then a long string", [][]string{{"1"}, {long}}, "hashtable"},
		{"a 64-byte member", [][]string{{"a", limit}}, "listpack"},
		{"a 65-byte member", [][]string{{"a"}, {long}}, "hashtable"},
		{"128 strings", chunks(strs("m", 128), 1), "listpack"},
		{"129 strings", chunks(strs("m", 129), 1), "hashtable"},
		{"129 strings in one SADD", [][]string{strs("m", 129)}, "hashtable"},
		{"a listpack and an SADD of 129 known members", [][]string{strs("m", 10), append(strs("m", 10), strs("m", 119)...)}, "hashtable"},
		{"an intset and an SADD of 513 known members", [][]string{{"1"}, chunks(append(ints(1, 1), ints(1, 512)...), 513)[0]}, "hashtable"},
		{"a string first in an SADD of 129", [][]string{append([]string{"a"}, ints(0, 128)...)}, "hashtable"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(Config{})
			for _, a := range tc.adds {
				sadd(t, s, "k", a...)
			}
			assert.Equal(t, tc.want, encodingOf(t, s, "k"))
			checkSet(t, setObjAt(t, s, "k"))
		})
	}

	t.Run("removals never convert back", func(t *testing.T) {
		s := New(Config{})
		sadd(t, s, "k", strs("m", 200)...)
		tx := lockKeys(s, "k")
		_, err := tx.SRem([]byte("k"), bs(strs("m", 199)...)...)
		tx.Close()
		require.NoError(t, err)
		assert.Equal(t, "hashtable", encodingOf(t, s, "k"))
		sadd(t, s, "i", "1", "a")
		tx = lockKeys(s, "i")
		_, err = tx.SRem([]byte("i"), []byte("a"))
		tx.Close()
		require.NoError(t, err)
		assert.Equal(t, "listpack", encodingOf(t, s, "i"))
	})

	t.Run("SPOP keeping few members builds a new set", func(t *testing.T) {
		s := New(Config{})
		sadd(t, s, "h", strs("m", 300)...)
		sadd(t, s, "i", ints(0, 300)...)
		sadd(t, s, "hi", ints(0, 600)...)
		for key, want := range map[string]string{"h": "listpack", "i": "intset", "hi": "listpack"} {
			tx := lockKeys(s, key)
			n, _ := tx.SCard([]byte(key))
			found, err := tx.SPop([]byte(key), int64(n-10), func(int) {}, func([]byte) {})
			tx.Close()
			require.NoError(t, err)
			require.True(t, found)
			assert.Equal(t, want, encodingOf(t, s, key), key)
			assert.Len(t, smembers(t, s, key), 10)
			checkSet(t, setObjAt(t, s, key))
		}
		sadd(t, s, "few", strs("m", 300)...)
		tx := lockKeys(s, "few")
		_, err := tx.SPop([]byte("few"), 10, func(int) {}, func([]byte) {})
		tx.Close()
		require.NoError(t, err)
		assert.Equal(t, "hashtable", encodingOf(t, s, "few"), "popping a few keeps the set")
	})

	t.Run("stored results and SMOVE destinations", func(t *testing.T) {
		s := New(Config{})
		sadd(t, s, "{t}a", "1", "2", "3", "x")
		sadd(t, s, "{t}b", "2", "3", "x")
		sadd(t, s, "{t}big", strs("m", 200)...)
		tx := lockKeys(s, "{t}")
		defer tx.Close()
		store := func(op SetOp, keys ...string) string {
			n, err := tx.SetOpStore(op, []byte("{t}d"), bs(keys...))
			require.NoError(t, err)
			require.Positive(t, n)
			o, _ := tx.setAt([]byte("{t}d"))
			checkSet(t, o)
			return o.encoding()
		}
		assert.Equal(t, "listpack", store(SetUnion, "{t}a", "{t}b"))
		assert.Equal(t, "intset", store(SetDiff, "{t}a", "{t}b"))
		assert.Equal(t, "listpack", store(SetInter, "{t}a", "{t}b"))
		assert.Equal(t, "hashtable", store(SetUnion, "{t}a", "{t}big"))
		_, err := tx.SRem([]byte("{t}b"), []byte("x"))
		require.NoError(t, err)
		assert.Equal(t, "intset", store(SetInter, "{t}b", "{t}a"))
		for m, want := range map[string]string{"1": "intset", "x": "listpack"} {
			dst := []byte("{t}dst" + m)
			moved, err := tx.SMove([]byte("{t}a"), dst, []byte(m))
			require.NoError(t, err)
			require.True(t, moved)
			o, _ := tx.setAt(dst)
			assert.Equal(t, want, o.encoding())
		}
	})
}

// chunks splits ss into SADDs of n members.
func chunks(ss []string, n int) [][]string {
	var out [][]string
	for len(ss) > 0 {
		k := min(n, len(ss))
		out = append(out, ss[:k])
		ss = ss[k:]
	}
	return out
}

// TestSetModel runs random operations on sets of every encoding and
// compares them with a map after each, checking the layout's invariants.
func TestSetModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	s := New(Config{})
	model := map[string]map[string]bool{}
	keys := []string{"a", "b", "c"}
	member := func(key string) string {
		switch key {
		case "a": // integers mostly: an intset, sometimes converted
			if rng.IntN(50) == 0 {
				return "s" + strconv.Itoa(rng.IntN(40))
			}
			return strconv.Itoa(rng.IntN(700) - 100)
		case "b": // a small pool: listpack
			return "m" + strconv.Itoa(rng.IntN(150))
		}
		return "member:" + strconv.Itoa(rng.IntN(3000)) // hashtable
	}
	for i := 0; i < 30000; i++ {
		key := keys[rng.IntN(len(keys))]
		if model[key] == nil {
			model[key] = map[string]bool{}
		}
		tx := lockKeys(s, key)
		switch op := rng.IntN(10); {
		case op < 5:
			ms := make([]string, 1+rng.IntN(3))
			want := 0
			for j := range ms {
				ms[j] = member(key)
			}
			seen := map[string]bool{}
			for _, m := range ms {
				if !model[key][m] && !seen[m] {
					want++
				}
				seen[m] = true
			}
			n, err := tx.SAdd([]byte(key), bs(ms...)...)
			require.NoError(t, err)
			require.Equal(t, want, n)
			for _, m := range ms {
				model[key][m] = true
			}
		case op < 8:
			m := member(key)
			n, err := tx.SRem([]byte(key), []byte(m))
			require.NoError(t, err)
			require.Equal(t, boolToInt(model[key][m]), n)
			delete(model[key], m)
		case op < 9:
			var popped []string
			_, err := tx.SPop([]byte(key), int64(rng.IntN(4)), func(int) {}, func(m []byte) { popped = append(popped, string(m)) })
			require.NoError(t, err)
			for _, m := range popped {
				require.True(t, model[key][m], "popped %q, not a member", m)
				delete(model[key], m)
			}
		default:
			m := member(key)
			ok, err := tx.SIsMember([]byte(key), []byte(m))
			require.NoError(t, err)
			require.Equal(t, model[key][m], ok)
		}
		tx.Close()
		if i%500 == 0 || i == 29999 {
			for _, k := range keys {
				var want []string
				for m := range model[k] {
					want = append(want, m)
				}
				sort.Strings(want)
				require.Equal(t, want, smembers(t, s, k), "key %s after op %d", k, i)
				if o := setObjAt(t, s, k); o != nil {
					checkSet(t, o)
				}
			}
		}
	}
}

func boolToInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// dumpSets renders every set of s: key and sorted members.
func dumpSets(t *testing.T, s *Store) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for sn := range s.slots {
		var keys []string
		s.ScanSlot(uint16(sn), func(k []byte, typ Type) bool {
			if typ == TypeSet {
				keys = append(keys, string(k))
			}
			return true
		})
		for _, k := range keys {
			out[k] = smembers(t, s, k)
		}
	}
	return out
}

// TestSetEffectsRoundTrip applies the effects of random set commands on
// store a to store b, once and twice, and compares the stores.
func TestSetEffectsRoundTrip(t *testing.T) {
	a := New(Config{})
	var effects []Effect
	a.SetEffectSink(func(_ uint16, es []Effect) {
		for _, e := range es {
			effects = append(effects, e.Clone())
		}
	})
	rng := rand.New(rand.NewPCG(3, 4))
	keys := []string{"{t}a", "{t}b", "{t}c", "{t}d"}
	pick := func() []byte { return []byte(keys[rng.IntN(len(keys))]) }
	member := func() []byte {
		if rng.IntN(2) == 0 {
			return []byte(strconv.Itoa(rng.IntN(300)))
		}
		return []byte("m" + strconv.Itoa(rng.IntN(300)))
	}
	nop := func(int) {}
	for i := 0; i < 5000; i++ {
		tx := lockKeys(a, "{t}")
		var err error
		switch rng.IntN(20) {
		case 0, 1, 2, 3, 4, 5, 6, 7:
			_, err = tx.SAdd(pick(), member(), member(), member())
		case 8, 9:
			_, err = tx.SRem(pick(), member(), member())
		case 10, 11:
			_, err = tx.SPop(pick(), int64(rng.IntN(30)), nop, func([]byte) {})
		case 12, 13:
			_, err = tx.SMove(pick(), pick(), member())
		case 14, 15:
			_, err = tx.SetOpStore(SetOp(rng.IntN(3)), pick(), [][]byte{pick(), pick()})
		case 16:
			err = tx.Put(pick(), []byte("string"), 0)
		case 17:
			_, err = tx.Copy(pick(), pick(), true)
		case 18:
			_, err = tx.Delete(pick())
		case 19:
			_, err = tx.SetExpireAt(pick(), tx.NowMS()+1000000)
		}
		tx.Close()
		if err != nil && err != ErrWrongType && err != ErrSameObject {
			require.NoError(t, err)
		}
	}
	require.NotEmpty(t, dumpSets(t, a))
	b := New(Config{})
	require.NoError(t, b.Apply(effects))
	assert.Equal(t, dumpSets(t, a), dumpSets(t, b))
	c := New(Config{})
	for _, e := range effects {
		require.NoError(t, c.Apply([]Effect{e, e}))
	}
	assert.Equal(t, dumpSets(t, a), dumpSets(t, c), "each effect applied twice")
	for _, k := range keys {
		if o := setObjAt(t, b, k); o != nil {
			checkSet(t, o)
		}
	}
}

func TestSetEffectArgs(t *testing.T) {
	e := Effect{Kind: EffectSAdd, Key: []byte("k"), Field: []byte("m")}
	assert.Equal(t, "SADD k m", string(bytes.Join(e.Args(), []byte(" "))))
	assert.Equal(t, "sadd", e.Kind.String())
	e.Kind = EffectSRem
	assert.Equal(t, "SREM k m", string(bytes.Join(e.Args(), []byte(" "))))
	assert.Equal(t, "srem", e.Kind.String())

	s := New(Config{})
	put(t, s, "k", "string", 0)
	require.NoError(t, s.Apply([]Effect{{Kind: EffectSRem, Key: []byte("k"), Field: []byte("m")}}))
	v, _ := get(t, s, "k")
	assert.Equal(t, "string", v, "SREM on another type changes nothing")
	require.NoError(t, s.Apply([]Effect{{Kind: EffectSAdd, Key: []byte("k"), Field: []byte("m")}}))
	assert.Equal(t, []string{"m"}, smembers(t, s, "k"), "a replicated SADD replaces another type")
}

// TestSetSnapshotRebuild snapshots a slot holding sets of every encoding
// (one with a TTL) and rebuilds it in an empty store; COPY and RENAME go
// through the same rebuild.
func TestSetSnapshotRebuild(t *testing.T) {
	a, clk := newTestStore(t, Config{})
	sadd(t, a, "{s}i", "1", "2", "3")
	sadd(t, a, "{s}l", "a", "b", "1")
	for i := 0; i < 1000; i++ {
		sadd(t, a, "{s}h", "member:"+strconv.Itoa(i))
	}
	tx := lockKeys(a, "{s}")
	_, err := tx.SetExpireAt([]byte("{s}l"), clk.MS()+100000)
	require.NoError(t, err)
	_, err = tx.SRem([]byte("{s}h"), bs("member:1", "member:500")...)
	require.NoError(t, err)
	tx.Close()
	var snap []Effect
	a.SnapshotSlot(keySlot("{s}"), func(e Effect) bool {
		snap = append(snap, e.Clone())
		return true
	})
	b := New(Config{Now: clk.Now})
	require.NoError(t, b.Apply(snap))
	assert.Equal(t, dumpSets(t, a), dumpSets(t, b))
	tx = lockKeys(b, "{s}")
	at, _, _ := tx.ExpireAt([]byte("{s}l"))
	tx.Close()
	assert.Equal(t, clk.MS()+100000, at)

	tx = lockKeys(a, "{s}")
	_, err = tx.Copy([]byte("{s}h"), []byte("{s}h2"), false)
	require.NoError(t, err)
	_, _, err = tx.Rename([]byte("{s}i"), []byte("{s}i2"), false)
	require.NoError(t, err)
	tx.Close()
	assert.Equal(t, smembers(t, a, "{s}h"), smembers(t, a, "{s}h2"))
	assert.Equal(t, []string{"1", "2", "3"}, smembers(t, a, "{s}i2"))
	assert.Equal(t, "intset", encodingOf(t, a, "{s}i2"))
	assert.Equal(t, "hashtable", encodingOf(t, a, "{s}h2"))
	checkSet(t, setObjAt(t, a, "{s}h2"))
	// The copy is deep: changing one leaves the other.
	sadd(t, a, "{s}h2", "extra")
	assert.NotContains(t, smembers(t, a, "{s}h"), "extra")
}

// sscanAll runs a full SSCAN, calling between after each call.
func sscanAll(t *testing.T, s *Store, key string, count int, between func(round int)) map[string]int {
	t.Helper()
	seen := map[string]int{}
	cursor := uint64(0)
	for round := 0; ; round++ {
		require.Less(t, round, 100000, "scan does not terminate")
		tx := lockKeys(s, key)
		next, err := tx.SScan([]byte(key), cursor, count, func(m []byte) { seen[string(m)]++ })
		tx.Close()
		require.NoError(t, err)
		if next == 0 {
			return seen
		}
		cursor = next
		between(round)
	}
}

// TestSScanGuarantee adds and removes members during scans of a big set,
// including enough removals to close holes (which renumbers members), and
// checks every member present throughout was returned.
func TestSScanGuarantee(t *testing.T) {
	tests := []struct {
		name    string
		between func(t *testing.T, s *Store, round int, popped map[string]bool)
	}{
		{"no changes", func(*testing.T, *Store, int, map[string]bool) {}},
		{"remove and add", func(t *testing.T, s *Store, round int, _ map[string]bool) {
			tx := lockKeys(s, "k")
			defer tx.Close()
			_, err := tx.SRem([]byte("k"), []byte("tmp"+strconv.Itoa(round)))
			require.NoError(t, err)
			_, err = tx.SAdd([]byte("k"), []byte("new"+strconv.Itoa(round)))
			require.NoError(t, err)
		}},
		{"mass removal then growth", func(t *testing.T, s *Store, round int, _ map[string]bool) {
			if round != 5 {
				return
			}
			tx := lockKeys(s, "k")
			defer tx.Close()
			for i := 0; i < 2000; i++ {
				_, err := tx.SRem([]byte("k"), []byte("tmp"+strconv.Itoa(i)))
				require.NoError(t, err)
			}
			for i := 0; i < 3000; i++ {
				_, err := tx.SAdd([]byte("k"), []byte("new"+strconv.Itoa(i)))
				require.NoError(t, err)
			}
		}},
		{"SPOP", func(t *testing.T, s *Store, round int, popped map[string]bool) {
			// A popped member is not present for the whole scan.
			tx := lockKeys(s, "k")
			defer tx.Close()
			_, err := tx.SPop([]byte("k"), 20, func(int) {}, func(m []byte) { popped[string(m)] = true })
			require.NoError(t, err)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			popped := map[string]bool{}
			s := New(Config{})
			for i := 0; i < 2000; i++ {
				sadd(t, s, "k", "tmp"+strconv.Itoa(i))
				if i%4 == 0 {
					sadd(t, s, "k", "keep"+strconv.Itoa(i))
				}
			}
			gen := setObjAt(t, s, "k").Gen()
			seen := sscanAll(t, s, "k", 20, func(round int) { tc.between(t, s, round, popped) })
			for i := 0; i < 2000; i += 4 {
				m := "keep" + strconv.Itoa(i)
				if !popped[m] {
					assert.Positive(t, seen[m], "member %s missed", m)
				}
			}
			if tc.name == "mass removal then growth" {
				assert.NotEqual(t, gen, setObjAt(t, s, "k").Gen(), "the test must close holes")
			}
		})
	}
}

func TestSScanSmallReturnsAll(t *testing.T) {
	s := New(Config{})
	sadd(t, s, "i", "1", "2", "3")
	sadd(t, s, "l", "a", "b", "c")
	for _, k := range []string{"i", "l"} {
		tx := lockKeys(s, k)
		n := 0
		next, err := tx.SScan([]byte(k), 12345, 1, func([]byte) { n++ })
		tx.Close()
		require.NoError(t, err)
		assert.Zero(t, next)
		assert.Equal(t, 3, n)
	}
}

func TestSetMemoryAccounting(t *testing.T) {
	s := New(Config{})
	base := s.UsedMemory()
	const n = 20000
	for i := 0; i < n; i += 100 {
		var ms []string
		for j := i; j < i+100; j++ {
			ms = append(ms, "member:"+strconv.Itoa(j))
		}
		sadd(t, s, "k", ms...)
	}
	grown := s.UsedMemory()
	assert.Greater(t, grown-base, int64(n*(8+4+8)), "at least the members, offsets and index")
	assert.Less(t, grown-base, int64(n*100))
	assert.Equal(t, recomputeUsed(s), grown)
	tx := lockKeys(s, "k")
	for i := 0; i < n-1; i++ {
		_, err := tx.SRem([]byte("k"), []byte("member:"+strconv.Itoa(i)))
		require.NoError(t, err)
	}
	tx.Close()
	one := s.UsedMemory()
	assert.Less(t, one-base, int64(4096), "one member left")
	assert.Equal(t, recomputeUsed(s), one)
	tx = lockKeys(s, "k")
	_, err := tx.SRem([]byte("k"), []byte("member:"+strconv.Itoa(n-1)))
	tx.Close()
	require.NoError(t, err)
	assert.Equal(t, base, s.UsedMemory())
}

// TestSScanConcurrentWriters scans a big set while two goroutines add and
// remove other members (enough to close holes and grow the index), and
// checks every member present throughout was returned.
func TestSScanConcurrentWriters(t *testing.T) {
	s := New(Config{})
	for i := 0; i < 3000; i++ {
		sadd(t, s, "k", "keep"+strconv.Itoa(i), "tmp"+strconv.Itoa(i))
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() { // owned by the test: stops at close(stop)
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				m := []byte("tmp" + strconv.Itoa(rng.IntN(6000)))
				tx := lockKeys(s, "k")
				var err error
				if rng.IntN(2) == 0 {
					_, err = tx.SRem([]byte("k"), m)
				} else {
					_, err = tx.SAdd([]byte("k"), m)
				}
				tx.Close()
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	for round := 0; round < 5; round++ {
		seen := sscanAll(t, s, "k", 7, func(int) {})
		for i := 0; i < 3000; i++ {
			require.Positive(t, seen["keep"+strconv.Itoa(i)], "member keep%d missed in scan %d", i, round)
		}
	}
	close(stop)
	wg.Wait()
	checkSet(t, setObjAt(t, s, "k"))
}
