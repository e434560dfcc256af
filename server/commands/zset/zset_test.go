package zset

import (
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/lock"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/commands/commandstest"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
)

// families are the groups the tests run: the sorted-set commands, with the string and
// key commands the tests also use.
var families = []commandstest.Family{commands.StringCommands, commands.KeyCommands, Commands}

// zharness runs commands straight through the handlers and returns raw
// replies, for exact RESP bytes.
type zharness struct {
	h  *commandstest.Host
	st *store.Store
	lk *lock.Table
}

func newZHarness() *zharness {
	return &zharness{h: commandstest.NewHost(0, families...), st: store.New(store.Config{}), lk: lock.NewTable(lock.TableConfig{})}
}

// do runs one command in RESP2 (resp3 false) or RESP3 and returns the reply.
func (z *zharness) do(resp3 bool, line string) string {
	var r resp.Reply
	r.SetRESP3(resp3)
	var args [][]byte
	for _, a := range strings.Fields(line) {
		args = append(args, []byte(a))
	}
	z.h.Run(z.st, z.lk, &r, args)
	return string(r.Bytes())
}

func TestAppendDouble(t *testing.T) {
	for _, c := range []struct {
		f    float64
		want string
	}{
		{0, "0"}, {math.Copysign(0, -1), "-0"}, {1, "1"}, {-7, "-7"}, {1.5, "1.5"}, {0.1, "0.1"},
		{1.0 / 3, "0.3333333333333333"}, {2.0 / 3, "0.6666666666666666"}, {3.14159, "3.14159"}, {-2.5, "-2.5"},
		{123456789012345678, "123456789012345680"}, {1 << 62, "4611686018427387904"},
		{1e19, "1e+19"}, {1e20, "1e+20"}, {1.5e21, "1.5e+21"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
		{1e-7, "1e-7"}, {1.5e-7, "1.5e-7"}, {0.0001, "0.0001"}, {0.001234, "0.001234"}, {1.23e-8, "1.23e-8"},
		{5e-324, "5e-324"}, {12345678.9, "12345678.9"}, {1000000000000000.5, "1000000000000000.5"},
		{123.456e-5, "0.00123456"}, {math.Inf(1), "inf"}, {math.Inf(-1), "-inf"}, {math.NaN(), "nan"},
	} {
		assert.Equal(t, c.want, string(appendDouble(nil, c.f)), "%v", c.f)
	}
}

func TestParseScores(t *testing.T) {
	ok := func(s string, want float64) {
		t.Helper()
		f, good := ParseScore([]byte(s))
		require.True(t, good, "%q", s)
		assert.Equal(t, want, f, "%q", s)
	}
	bad := func(s string) {
		t.Helper()
		_, good := ParseScore([]byte(s))
		assert.False(t, good, "%q", s)
	}
	ok("1", 1)
	ok("-1.5", -1.5)
	ok("+2", 2)
	ok(".5", 0.5)
	ok("5.", 5)
	ok("1.5e+2", 150)
	ok("inf", math.Inf(1))
	ok("-Infinity", math.Inf(-1))
	ok("+INF", math.Inf(1))
	ok("0x10", 16)
	ok("0x1p-2", 0.25)
	ok("4.9e-324", 5e-324)
	ok("-0", math.Copysign(0, -1))
	for _, s := range []string{"", " 1", "1 ", "x", "1e", "1e400", "-1e400", "1e-400", "nan", "NaN", "0x", "1.2.3", "--1", "1_0", "\x001"} {
		bad(s)
	}
	r, good := parseScoreRange([]byte("(1"), []byte(" 5"))
	require.True(t, good)
	assert.Equal(t, store.ZScoreRange{Min: 1, MinEx: true, Max: 5}, r)
	r, good = parseScoreRange([]byte("("), []byte("1e400"))
	require.True(t, good)
	assert.Equal(t, store.ZScoreRange{Min: 0, MinEx: true, Max: math.Inf(1)}, r)
	for _, s := range []string{"x", "(nan", "nan", "1 ", "((1"} {
		_, good = parseScoreRange([]byte(s), []byte("1"))
		assert.False(t, good, "%q", s)
	}
	for s, want := range map[string]store.ZLexBound{
		"-": {Inf: -1, Ex: true}, "+": {Inf: 1, Ex: true}, "[a": {Value: []byte("a")}, "(a": {Value: []byte("a"), Ex: true},
		"[": {Value: []byte{}},
	} {
		got, good := parseLexBound([]byte(s))
		require.True(t, good, "%q", s)
		assert.Equal(t, want, got, "%q", s)
	}
	for _, s := range []string{"", "a", "+a", "-b", "]a"} {
		_, good := parseLexBound([]byte(s))
		assert.False(t, good, "%q", s)
	}
}

// FuzzZSetParsers checks the score and range parsers on any input: no
// panic, strtod consumes a prefix that parses alike on its own, accepted
// scores are never NaN, and d2string's text parses back to the same
// finite double.
func FuzzZSetParsers(f *testing.F) {
	for _, s := range []string{"1", "(1.5", "-inf", "0x1p3", "1e400", " 2", "[abc", "nan(x)", "+", ".e1", "0x.8p1", "1e-400"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, n, _ := strtod(b)
		if n < 0 || n > len(b) {
			t.Fatalf("strtod consumed %d of %d", n, len(b))
		}
		if n > 0 {
			v2, n2, _ := strtod(b[:n])
			if n2 != n || !(v2 == v || (math.IsNaN(v) && math.IsNaN(v2))) {
				t.Fatalf("prefix %q parses as %v/%d, whole as %v/%d", b[:n], v2, n2, v, n)
			}
		}
		if s, ok := ParseScore(b); ok {
			if math.IsNaN(s) {
				t.Fatalf("%q accepted as NaN", b)
			}
			if !math.IsInf(s, 0) {
				back, ok := ParseScore(appendDouble(nil, s))
				if !ok || back != s {
					t.Fatalf("%v formats as %q which parses as %v", s, appendDouble(nil, s), back)
				}
			}
		}
		_, _ = parseScoreRange(b, b)
		_, _, _ = parseLexRange(b, b)
	})
}

func TestZSetReplies(t *testing.T) {
	z := newZHarness()
	for _, l := range []string{"ZADD z 0.1 a 1.5 b 3 c", "ZADD other 1 x"} {
		require.Equal(t, z.do(false, l)[0], byte(':'), l)
	}
	cases := []struct{ line, resp2, resp3 string }{
		{"ZSCORE z a", "$3\r\n0.1\r\n", ",0.1\r\n"},
		{"ZINCRBY z 0.2 a", "$19\r\n0.30000000000000004\r\n", ",0.30000000000000004\r\n"},
		{"ZRANK z b WITHSCORE", "*2\r\n:1\r\n$3\r\n1.5\r\n", "*2\r\n:1\r\n,1.5\r\n"},
		{"ZREVRANK z b withscore", "*2\r\n:1\r\n$3\r\n1.5\r\n", "*2\r\n:1\r\n,1.5\r\n"},
		{"ZRANK z nope WITHSCORE", "*-1\r\n", "_\r\n"},
		{"ZRANK nokey a WITHSCORE", "*-1\r\n", "_\r\n"},
		{"ZRANK z a", ":0\r\n", ":0\r\n"},
		{"ZREVRANK z a", ":2\r\n", ":2\r\n"},
		{"ZRANK z a WITHSCORES", "-ERR syntax error\r\n", "-ERR syntax error\r\n"},
		{"ZRANK z a WITHSCORE x", "-ERR wrong number of arguments for 'zrank' command\r\n", "-ERR wrong number of arguments for 'zrank' command\r\n"},
		{"ZRANGE z 1 1 WITHSCORES", "*2\r\n$1\r\nb\r\n$3\r\n1.5\r\n", "*1\r\n*2\r\n$1\r\nb\r\n,1.5\r\n"},
		{"ZPOPMIN other", "*2\r\n$1\r\nx\r\n$1\r\n1\r\n", "*2\r\n$1\r\nx\r\n,1\r\n"},
		{"ZSCAN z 0", "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$19\r\n0.30000000000000004\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n",
			"*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$19\r\n0.30000000000000004\r\n$1\r\nb\r\n$3\r\n1.5\r\n$1\r\nc\r\n$1\r\n3\r\n"},
	}
	for _, c := range cases {
		assert.Equal(t, c.resp2, z.do(false, c.line), "RESP2 %s", c.line)
	}
	z = newZHarness()
	for _, l := range []string{"ZADD z 0.1 a 1.5 b 3 c", "ZADD other 1 x"} {
		z.do(true, l)
	}
	for _, c := range cases {
		assert.Equal(t, c.resp3, z.do(true, c.line), "RESP3 %s", c.line)
	}
}

// blockCall runs a blocking command's handler directly and returns the
// call, so the test can see Blocked and the reply.
func blockCall(t *testing.T, st *store.Store, line string) *commands.Call {
	t.Helper()
	call := commandstest.NewHost(0, families...).Exec(st, nil, &resp.Reply{}, commandstest.Args(strings.Fields(line)...))
	require.NotNil(t, call, line)
	return call
}

func TestBlockingPops(t *testing.T) {
	st := store.New(store.Config{})
	for _, line := range []string{"BZPOPMIN a b 0", "BZPOPMAX a 1.5", "BZMPOP 0 2 a b MIN", "BZMPOP 2 1 a MAX COUNT 3"} {
		c := blockCall(t, st, line)
		require.NotNil(t, c.Blocked, line)
		assert.True(t, c.Blocked.NullArray, line)
		assert.Empty(t, c.Reply.Bytes(), "%s: a blocked handler writes nothing", line)
		if strings.Contains(line, " 0 ") || strings.HasSuffix(line, " 0") {
			if strings.HasPrefix(line, "BZPOP") {
				assert.Zero(t, c.Blocked.Deadline, line)
			}
		}
	}
	now := st.NowMS()
	c := blockCall(t, st, "BZPOPMAX a 1.5")
	assert.InDelta(t, now+1500, c.Blocked.Deadline, 1000)
	c = blockCall(t, st, "BZMPOP 2 1 a MAX COUNT 3")
	assert.InDelta(t, now+2000, c.Blocked.Deadline, 1000)

	z := &zharness{h: commandstest.NewHost(0, families...), st: st, lk: lock.NewTable(lock.TableConfig{})}
	z.do(false, "ZADD b 1 x 2 y")
	c = blockCall(t, st, "BZPOPMIN a b 0")
	assert.Nil(t, c.Blocked)
	assert.Equal(t, "*3\r\n$1\r\nb\r\n$1\r\nx\r\n$1\r\n1\r\n", string(c.Reply.Bytes()))
	c = blockCall(t, st, "BZMPOP 0 2 a b MAX COUNT 5")
	assert.Nil(t, c.Blocked)
	assert.Equal(t, "*2\r\n$1\r\nb\r\n*1\r\n*2\r\n$1\r\ny\r\n$1\r\n2\r\n", string(c.Reply.Bytes()))
	c = blockCall(t, st, "BZPOPMIN a -1")
	assert.Nil(t, c.Blocked)
	assert.Equal(t, "-ERR timeout is negative\r\n", string(c.Reply.Bytes()))
	z.do(false, "SET s v")
	c = blockCall(t, st, "BZPOPMIN a s 0")
	assert.Nil(t, c.Blocked)
	assert.Contains(t, string(c.Reply.Bytes()), "WRONGTYPE")
}

func TestZRandMember(t *testing.T) {
	z := newZHarness()
	const n = 300
	line := "ZADD z"
	for i := 0; i < n; i++ {
		line += " " + strconv.Itoa(i) + " m" + strconv.Itoa(i)
	}
	z.do(false, line)
	members := func(reply string) []string {
		var out []string
		for _, l := range strings.Split(reply, "\r\n") {
			if strings.HasPrefix(l, "m") {
				out = append(out, l)
			}
		}
		return out
	}
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		got := members(z.do(false, "ZRANDMEMBER z 50"))
		require.Len(t, got, 50)
		uniq := map[string]bool{}
		for _, m := range got {
			uniq[m] = true
			seen[m] = true
		}
		require.Len(t, uniq, 50, "positive counts are distinct")
	}
	assert.Greater(t, len(seen), n*9/10, "sampling reaches most members")
	got := members(z.do(false, "ZRANDMEMBER z -1000"))
	require.Len(t, got, 1000)
	uniq := map[string]bool{}
	for _, m := range got {
		uniq[m] = true
	}
	assert.Less(t, len(uniq), 1000, "negative counts repeat")
	assert.Len(t, members(z.do(false, "ZRANDMEMBER z 1000")), n)
	r := z.do(true, "ZRANDMEMBER z 2 WITHSCORES")
	assert.True(t, strings.HasPrefix(r, "*2\r\n*2\r\n$"), r)
}

// TestZSetBigThroughCommands drives a big (skiplist) set through the
// commands and checks ranges and pops against a model.
func TestZSetBigThroughCommands(t *testing.T) {
	z := newZHarness()
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string]int{}
	for i := 0; i < 2000; i++ {
		m := "m" + strconv.Itoa(rng.IntN(1500))
		s := rng.IntN(100)
		z.do(false, "ZADD z "+strconv.Itoa(s)+" "+m)
		model[m] = s
	}
	type e struct {
		m string
		s int
	}
	var all []e
	for m, s := range model {
		all = append(all, e{m, s})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s < all[j].s || (all[i].s == all[j].s && all[i].m < all[j].m) })
	assert.Equal(t, ":"+strconv.Itoa(len(all))+"\r\n", z.do(false, "ZCARD z"))
	want := func(list []e) string {
		var b strings.Builder
		b.WriteString("*" + strconv.Itoa(len(list)) + "\r\n")
		for _, x := range list {
			b.WriteString("$" + strconv.Itoa(len(x.m)) + "\r\n" + x.m + "\r\n")
		}
		return b.String()
	}
	assert.Equal(t, want(all[100:201]), z.do(false, "ZRANGE z 100 200"))
	var mid []e
	for _, x := range all {
		if x.s > 20 && x.s <= 40 {
			mid = append(mid, x)
		}
	}
	assert.Equal(t, want(mid), z.do(false, "ZRANGEBYSCORE z (20 40"))
	assert.Equal(t, ":"+strconv.Itoa(len(mid))+"\r\n", z.do(false, "ZCOUNT z (20 40"))
	assert.Equal(t, want(mid[5:15]), z.do(false, "ZRANGE z (20 40 BYSCORE LIMIT 5 10"))
	rev := make([]e, len(mid))
	for i := range mid {
		rev[i] = mid[len(mid)-1-i]
	}
	assert.Equal(t, want(rev[3:8]), z.do(false, "ZRANGE z 40 (20 BYSCORE REV LIMIT 3 5"))
	r := all[len(all)-1]
	assert.Equal(t, ":"+strconv.Itoa(len(all)-1)+"\r\n", z.do(false, "ZRANK z "+r.m))
	assert.Equal(t, ":0\r\n", z.do(false, "ZREVRANK z "+r.m))
	assert.Equal(t, ":10\r\n", z.do(false, "ZREMRANGEBYRANK z 0 9"))
	all = all[10:]
	got := z.do(false, "ZPOPMIN z 3")
	assert.True(t, strings.HasPrefix(got, "*6\r\n$"+strconv.Itoa(len(all[0].m))+"\r\n"+all[0].m+"\r\n"), got)
}

// TestZSetMemoryVsRedis measures the memory of 1M sorted-set members with
// small names: meshcache's accounted bytes and Go heap against
// redis-server's used_memory delta. It is a measurement, not a unit test:
// run it with MESHCACHE_ZSET_MEMORY=1.
func TestZSetMemoryVsRedis(t *testing.T) {
	zsetMemoryVsRedis(t)
}

// BenchmarkZAddZPopMinHandlers runs ZADD and ZPOPMIN through their
// handlers, as redis-benchmark's zadd and zpopmin tests do.
func BenchmarkZAddZPopMinHandlers(b *testing.B) {
	h := commandstest.NewHost(0, families...)
	st := store.New(store.Config{})
	add, pop := h.Command("zadd"), h.Command("zpopmin")
	key := []byte("myzset")
	slot := ring.KeySlot(key)
	var r resp.Reply
	args := [][]byte{[]byte("ZADD"), key, []byte("0"), nil}
	popArgs := [][]byte{[]byte("ZPOPMIN"), key}
	members := make([][]byte, 1000)
	for i := range members {
		members[i] = []byte("element:" + strconv.Itoa(i))
	}
	call := &commands.Call{Reply: &r, Store: st, Host: h}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		args[3] = members[i%1000]
		call.Args, call.Tx = args, st.Lock(slot)
		add.Handler(call)
		call.Tx.Close()
		call.Args, call.Tx = popArgs, st.Lock(slot)
		pop.Handler(call)
		call.Tx.Close()
		r.Reset()
	}
}

// FuzzZSetCommands feeds arbitrary argument vectors (NUL-separated in raw)
// to every sorted-set command on a store that keeps earlier inputs' data.
// No input may panic; each call writes exactly one well-formed reply, or
// none when it blocks.
func FuzzZSetCommands(f *testing.F) {
	cmds := Commands()
	index := map[string]uint16{}
	for i, c := range cmds {
		index[c.Name] = uint16(i)
	}
	for _, s := range [][]string{
		{"zadd", "z\x001\x00a\x002\x00b"}, {"zadd", "z\x00GT\x00CH\x00INCR\x00inf\x00a"}, {"zrange", "z\x00(1\x00+inf\x00BYSCORE\x00REV\x00LIMIT\x001\x002"},
		{"zrange", "z\x00[a\x00-\x00BYLEX\x00REV"}, {"zrangestore", "d\x00z\x000\x00-1"}, {"zunionstore", "d\x002\x00z\x00d\x00WEIGHTS\x002\x00inf"},
		{"zinter", "2\x00z\x00z\x00AGGREGATE\x00MIN\x00WITHSCORES"}, {"zmpop", "2\x00z\x00d\x00MAX\x00COUNT\x003"},
		{"bzpopmin", "z\x00q\x000.5"}, {"zrandmember", "z\x00-5\x00WITHSCORES"}, {"zscan", "z\x000\x00MATCH\x00*a*"},
		{"zremrangebylex", "z\x00(a\x00+"}, {"zintercard", "2\x00z\x00d\x00LIMIT\x001"},
	} {
		f.Add(index[s[0]], []byte(s[1]), false)
		f.Add(index[s[0]], []byte(s[1]), true)
	}
	st := store.New(store.Config{})
	host := commandstest.NewHost(1<<20, families...)
	f.Fuzz(func(t *testing.T, which uint16, raw []byte, resp3 bool) {
		cmd, args := commandstest.FuzzArgs(cmds, which, raw)
		if !cmd.ArityOK(len(args)) {
			return
		}
		if cmd.Name == "zrandmember" && len(args) > 2 {
			if n, ok := resp.ParseInt64(args[2]); ok && (n > 1<<16 || n < -(1<<16)) {
				return // a legitimately huge reply
			}
		}
		var reply resp.Reply
		reply.SetRESP3(resp3)
		call := host.Exec(st, nil, &reply, args)
		if call.Blocked != nil {
			require.Empty(t, reply.Bytes(), "%q blocked after replying", args)
			return
		}
		commandstest.RequireOneReply(t, args, reply.Bytes())
	})
}
