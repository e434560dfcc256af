package commands

import (
	"math"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/resp"
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
	assert.Equal(t, ScanOptions{Count: defaultScanCount}, o)

	o, msg = parseScanOptions(args("MATCH", "a*", "count", "100", "TYPE", "hash"), false)
	require.Empty(t, msg)
	assert.Equal(t, int64(100), o.Count)
	assert.Equal(t, "a*", string(o.Pattern))
	assert.Equal(t, "hash", string(o.Type))

	o, msg = parseScanOptions(args("match", "*"), false)
	require.Empty(t, msg)
	assert.Nil(t, o.Pattern, "* matches everything: no pattern")

	o, msg = parseScanOptions(args("novalues", "count", "3"), true)
	require.Empty(t, msg)
	assert.True(t, o.NoValues)

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
