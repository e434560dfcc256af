package commands

import (
	"bufio"
	"bytes"
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/tests/testenv"
)

func TestParseStrOptions(t *testing.T) {
	args := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i := range s {
			out[i] = []byte(s[i])
		}
		return out
	}
	ok := []struct {
		args   []string
		forSet bool
		flags  strFlags
		expire string
		match  string
	}{
		{nil, true, 0, "", ""},
		{[]string{"nx"}, true, strNX, "", ""},
		{[]string{"NX", "nx"}, true, strNX, "", ""},
		{[]string{"xx", "GET"}, true, strXX | strGet, "", ""},
		{[]string{"ex", "10", "nx"}, true, strEX | strNX, "10", ""},
		{[]string{"EX", "10", "EX", "20"}, true, strEX, "20", ""},
		{[]string{"pxat", "5"}, true, strPXAT, "5", ""},
		{[]string{"keepttl", "get"}, true, strKeepTTL | strGet, "", ""},
		{[]string{"ifeq", "v"}, true, strIFEQ, "", "v"},
		{[]string{"IFNE", "v", "get", "px", "7"}, true, strIFNE | strGet | strPX, "7", "v"},
		{[]string{"persist"}, false, strPersist, "", ""},
		{[]string{"exat", "9"}, false, strEXAT, "9", ""},
	}
	for _, tc := range ok {
		o, msg := parseStrOptions(args(tc.args...), tc.forSet)
		require.Empty(t, msg, "%v", tc.args)
		assert.Equal(t, tc.flags, o.flags, "%v", tc.args)
		assert.Equal(t, tc.expire, string(o.expire), "%v", tc.args)
		assert.Equal(t, tc.match, string(o.match), "%v", tc.args)
	}
	bad := []struct {
		args   []string
		forSet bool
	}{
		{[]string{"nx", "xx"}, true},
		{[]string{"xx", "nx"}, true},
		{[]string{"ex"}, true},
		{[]string{"ex", "1", "px", "1"}, true},
		{[]string{"keepttl", "ex", "1"}, true},
		{[]string{"ex", "1", "keepttl"}, true},
		{[]string{"persist"}, true},
		{[]string{"nx"}, false},
		{[]string{"get"}, false},
		{[]string{"keepttl"}, false},
		{[]string{"persist", "ex", "1"}, false},
		{[]string{"ex", "1", "persist"}, false},
		{[]string{"ifeq"}, true},
		{[]string{"ifeq", "a", "nx"}, true},
		{[]string{"nx", "ifne", "a"}, true},
		{[]string{"ifeq", "a", "ifne", "b"}, true},
		{[]string{"bogus"}, true},
		{[]string{"nxx"}, true},
	}
	for _, tc := range bad {
		_, msg := parseStrOptions(args(tc.args...), tc.forSet)
		assert.Equal(t, resp.ErrSyntax, msg, "%v", tc.args)
	}
}

func TestExpireAtMillis(t *testing.T) {
	const now = 1_700_000_000_000
	cases := []struct {
		arg   string
		flags strFlags
		want  int64
		msg   string
	}{
		{"10", strEX, now + 10_000, ""},
		{"10", strPX, now + 10, ""},
		{"10", strEXAT, 10_000, ""},
		{"10", strPXAT, 10, ""},
		{"0", strEX, 0, resp.ErrInvalidExpire("set")},
		{"-1", strPX, 0, resp.ErrInvalidExpire("set")},
		{"x", strEX, 0, resp.ErrNotInteger},
		{"9223372036854775", strEXAT, 9223372036854775000, ""},
		{"9223372036854776", strEXAT, 0, resp.ErrInvalidExpire("set")},
		{"9223372036854775", strEX, 0, resp.ErrInvalidExpire("set")},
		{strconv.FormatInt(math.MaxInt64, 10), strPX, 0, resp.ErrInvalidExpire("set")},
		{strconv.FormatInt(math.MaxInt64, 10), strPXAT, math.MaxInt64, ""},
	}
	for _, tc := range cases {
		got, msg := expireAtMillis([]byte(tc.arg), tc.flags, now, "set")
		assert.Equal(t, tc.msg, msg, "%s %v", tc.arg, tc.flags)
		assert.Equal(t, tc.want, got, "%s %v", tc.arg, tc.flags)
	}
}

func TestParseExpireFlags(t *testing.T) {
	cases := []struct {
		args []string
		want expireFlags
		msg  string
	}{
		{nil, 0, ""},
		{[]string{"NX"}, expireNX, ""},
		{[]string{"xx", "gt"}, expireXX | expireGT, ""},
		{[]string{"lt", "XX", "lt"}, expireLT | expireXX, ""},
		{[]string{"nx", "xx"}, 0, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"gt", "nx"}, 0, "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{[]string{"gt", "lt"}, 0, "ERR GT and LT options at the same time are not compatible"},
		{[]string{"gt", "foo"}, 0, "ERR Unsupported option foo"},
		{[]string{"nx", "lt", "foo"}, 0, "ERR Unsupported option foo"},
	}
	for _, tc := range cases {
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		got, msg := parseExpireFlags(args)
		assert.Equal(t, tc.msg, msg, "%v", tc.args)
		assert.Equal(t, tc.want, got, "%v", tc.args)
	}
}

func TestParseScanOptions(t *testing.T) {
	args := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i := range s {
			out[i] = []byte(s[i])
		}
		return out
	}
	o, msg := parseScanOptions(nil, false)
	require.Empty(t, msg)
	assert.Equal(t, scanOptions{count: defaultScanCount}, o)

	o, msg = parseScanOptions(args("MATCH", "a*", "count", "100", "TYPE", "hash"), false)
	require.Empty(t, msg)
	assert.Equal(t, int64(100), o.count)
	assert.Equal(t, "a*", string(o.pattern))
	assert.Equal(t, "hash", string(o.typ))

	o, msg = parseScanOptions(args("match", "*"), false)
	require.Empty(t, msg)
	assert.Nil(t, o.pattern, "* matches everything: no pattern")

	o, msg = parseScanOptions(args("novalues", "count", "3"), true)
	require.Empty(t, msg)
	assert.True(t, o.noValues)

	bad := []struct {
		args  []string
		hscan bool
		msg   string
	}{
		{[]string{"count", "0"}, false, resp.ErrSyntax},
		{[]string{"count", "-1"}, false, resp.ErrSyntax},
		{[]string{"count", "x"}, false, resp.ErrNotInteger},
		{[]string{"count"}, false, resp.ErrSyntax},
		{[]string{"match"}, false, resp.ErrSyntax},
		{[]string{"type", "string"}, true, resp.ErrSyntax},
		{[]string{"novalues"}, false, "ERR NOVALUES option can only be used in HSCAN"},
		{[]string{"foo"}, true, resp.ErrSyntax},
	}
	for _, tc := range bad {
		_, msg := parseScanOptions(args(tc.args...), tc.hscan)
		assert.Equal(t, tc.msg, msg, "%v", tc.args)
	}
}

func TestSubstr(t *testing.T) {
	v := []byte("This is a string")
	cases := []struct {
		start, end int64
		want       string
	}{
		{0, 3, "This"},
		{-3, -1, "ing"},
		{0, -1, "This is a string"},
		{10, 100, "string"},
		{5, 3, ""},
		{-1, -5, ""},
		{-100, 2, "Thi"},
		{100, 200, ""},
		{math.MinInt64, math.MaxInt64, "This is a string"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, string(substr(v, tc.start, tc.end)), "%d %d", tc.start, tc.end)
	}
	assert.Empty(t, substr(nil, 0, -1))
}

// dataCommands returns the commands of the string, key, hash, bitmap, LCS and HyperLogLog groups.
func dataCommands() []*Command {
	var out []*Command
	for _, g := range []func() []*Command{StringCommands, KeyCommands, HashCommands, BitCommands, LCSCommands, HyperLogLogCommands} {
		out = append(out, g()...)
	}
	return out
}

// FuzzDataCommands feeds arbitrary argument vectors (NUL-separated in raw)
// to every string, key and hash command, as the dispatcher would call it,
// on a store that keeps the effects of earlier inputs. No input may panic,
// and each call must write exactly one well-formed reply.
func FuzzDataCommands(f *testing.F) {
	cmds := dataCommands()
	index := map[string]uint16{}
	for i, c := range cmds {
		index[c.Name] = uint16(i)
	}
	seed := [][]string{
		{"set", "k\x00v\x00EX\x0010\x00GET"}, {"set", "k\x00v\x00IFEQ\x00v\x00PXAT\x001"},
		{"getex", "k\x00PERSIST"}, {"incrbyfloat", "k\x000x1p3"}, {"setrange", "k\x00536870911\x00xx"},
		{"getrange", "k\x00-9223372036854775808\x009223372036854775807"},
		{"mset", "a\x001\x00b"}, {"msetnx", "a\x001\x00b\x002"}, {"delex", "k\x00IFNE\x00v"},
		{"expire", "k\x00-9223372036854775808\x00GT"}, {"copy", "a\x00b\x00DB\x000\x00REPLACE"},
		{"rename", "a\x00a"}, {"keys", "[a-\\"}, {"scan", "-1\x00MATCH\x00*[\x00COUNT\x001\x00TYPE\x00hash"},
		{"hset", "h\x00f\x00v\x00g\x00w"}, {"hincrbyfloat", "h\x00f\x00-1e4932"},
		{"hscan", "h\x000\x00NOVALUES\x00MATCH\x00?"}, {"hrandfield", "h\x00-5\x00WITHVALUES"},
		{"hrandfield", "h\x00-99999999999"},
	}
	for _, s := range seed {
		f.Add(index[s[0]], []byte(s[1]), false)
		f.Add(index[s[0]], []byte(s[1]), true)
	}
	st := store.New(store.Config{})
	// SETRANGE and APPEND may legitimately build strings up to this size
	// (proto-max-bulk-len): keep it small so that fuzz workers do not run
	// out of memory.
	host := newTestHost(1 << 20)
	f.Fuzz(func(t *testing.T, which uint16, raw []byte, resp3 bool) {
		cmd := cmds[int(which)%len(cmds)]
		args := append([][]byte{[]byte(cmd.Name)}, bytes.Split(raw, []byte{0})...)
		if len(raw) == 0 {
			args = args[:1]
		}
		if !cmd.ArityOK(len(args)) {
			return
		}
		keys, _ := cmd.GetKeys(args, nil)
		var slots []uint16
		for _, k := range keys {
			slots = append(slots, ring.KeySlot(args[k.Pos]))
		}
		var reply resp.Reply
		reply.SetRESP3(resp3)
		call := &Call{Args: args, Reply: &reply, Store: st, Host: host}
		if len(slots) > 0 {
			call.Tx = st.LockSlots(slots)
		}
		cmd.Handler(call)
		if call.Tx != nil {
			call.Tx.Close()
		}
		r := bufio.NewReader(bytes.NewReader(reply.Bytes()))
		var out []byte
		require.NoError(t, testenv.ReadReply(r, &out), "%q: malformed reply %q", args, reply.Bytes())
		require.Equal(t, len(reply.Bytes()), len(out), "%q: more than one reply: %q", args, reply.Bytes())
	})
}
