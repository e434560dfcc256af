package resp

import (
	"bytes"
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
	"github.com/stretchr/testify/require"
)

// These tests check the parsers against a real redis-server (skipped when
// it is not installed): the same inputs go to both, the replies must agree.

// dialRedis starts a throwaway redis-server (stopped when the test ends)
// and connects to it with a raw RESP client.
func dialRedis(t *testing.T) *testenv.RawConn {
	t.Helper()
	return testenv.DialRaw(t, testenv.StartOneRedis(t).Addr)
}

// TestGlobMatchAgainstRedis runs every glob case through KEYS on a real
// redis-server and checks that GlobMatch agrees with it.
func TestGlobMatchAgainstRedis(t *testing.T) {
	rc := dialRedis(t)
	for _, tc := range globCases {
		if tc.pattern == "*" {
			continue // KEYS * skips matching; so does keysCommand
		}
		rc.Must(t, "FLUSHALL")
		rc.Must(t, "SET", tc.str, "1")
		reply := rc.Must(t, "KEYS", tc.pattern)
		redisMatch := !bytes.Equal(reply, []byte("*0\r\n"))
		require.Equal(t, redisMatch, GlobMatch([]byte(tc.pattern), []byte(tc.str), false),
			"pattern %q string %q: redis says %v", tc.pattern, tc.str, redisMatch)
		require.Equal(t, tc.want, redisMatch, "globCases entry %q %q disagrees with redis", tc.pattern, tc.str)
	}
}

// TestLongDoubleAgainstRedis checks ParseLongDouble, AddLongDouble and
// FormatLongDouble against INCRBYFLOAT on a real redis-server.
func TestLongDoubleAgainstRedis(t *testing.T) {
	rc := dialRedis(t)
	cases := [][2]string{
		{"10.50", "0.1"}, {"1.1", "2.2"}, {"0.1", "0.2"}, {"5.0e3", "2.0e2"}, {"3", "-3"},
		{"-0.5", "0.25"}, {"1", "1e-20"}, {"1e300", "1e300"}, {"123456789.123456789", "0.000000001"},
		{"0x10", "0x1p-4"}, {"1.", ".5"}, {"9223372036854775807", "1"}, {"1e-4940", "0"},
		{"7", "1e-17"}, {"0.3333333333333333333333", "0.6666666666666666666667"},
		{"1e20", "-1e-20"}, {"-1e30", "1"}, {"2.5", "inf"}, {"1e4932", "1e4932"},
		{"abc", "1"}, {"1", "abc"}, {"1", " 1"}, {"1", "nan"}, {"1", "1e5000"}, {"1", "1e-5000"},
		{"1", "0x"}, {"1", "1e"}, {"1", "+.5e+1"}, {"1", "Infinity"},
	}
	for _, tc := range cases {
		rc.Must(t, "SET", "k", tc[0])
		want := rc.Must(t, "INCRBYFLOAT", "k", tc[1])

		var got Reply
		a, okA := ParseLongDouble([]byte(tc[0]))
		b, okB := ParseLongDouble([]byte(tc[1]))
		switch {
		case !okA || !okB:
			got.Error(ErrNotFloat)
		default:
			sum, ok := AddLongDouble(a, b)
			if !ok {
				got.Error(ErrNaNOrInf)
			} else {
				got.Bulk(FormatLongDouble(sum))
			}
		}
		require.Equal(t, string(want), string(got.Bytes()), "INCRBYFLOAT %s by %s", tc[0], tc[1])
	}
}
