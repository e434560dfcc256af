package resp

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// These tests check the parsers against a real redis-server (skipped when
// it is not installed): the same inputs go to both, the replies must agree.

// redisConn is a minimal RESP2 connection to redis-server that returns each
// reply's raw bytes.
type redisConn struct {
	conn net.Conn
	r    *bufio.Reader
}

// dialRedis starts a throwaway redis-server on a free loopback port (killed
// when the test ends) and connects to it.
func dialRedis(t *testing.T) *redisConn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir())
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			t.Cleanup(func() { _ = conn.Close() })
			return &redisConn{conn: conn, r: bufio.NewReader(conn)}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not start: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling for the port to open, not an assertion
	}
}

// must sends one command and returns its raw reply, a status, error, integer
// or bulk string (all these tests need).
func (rc *redisConn) must(t *testing.T, args ...string) []byte {
	t.Helper()
	var b []byte
	b = fmt.Appendf(b, "*%d\r\n", len(args))
	for _, a := range args {
		b = fmt.Appendf(b, "$%d\r\n%s\r\n", len(a), a)
	}
	require.NoError(t, rc.conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err := rc.conn.Write(b)
	require.NoError(t, err)
	line, err := rc.r.ReadBytes('\n')
	require.NoError(t, err)
	switch line[0] {
	case '$':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		require.NoError(t, err)
		if n < 0 {
			return line
		}
		body := make([]byte, n+2)
		_, err = io.ReadFull(rc.r, body)
		require.NoError(t, err)
		return append(line, body...)
	case '*':
		n, err := strconv.Atoi(string(line[1 : len(line)-2]))
		require.NoError(t, err)
		out := line
		for i := 0; i < n; i++ { // KEYS: bulk strings
			l, err := rc.r.ReadBytes('\n')
			require.NoError(t, err)
			m, err := strconv.Atoi(string(l[1 : len(l)-2]))
			require.NoError(t, err)
			body := make([]byte, m+2)
			_, err = io.ReadFull(rc.r, body)
			require.NoError(t, err)
			out = append(append(out, l...), body...)
		}
		return out
	}
	return line
}

// TestGlobMatchAgainstRedis runs every glob case through KEYS on a real
// redis-server and checks that GlobMatch agrees with it.
func TestGlobMatchAgainstRedis(t *testing.T) {
	rc := dialRedis(t)
	for _, tc := range globCases {
		if tc.pattern == "*" {
			continue // KEYS * skips matching; so does keysCommand
		}
		rc.must(t, "FLUSHALL")
		rc.must(t, "SET", tc.str, "1")
		reply := rc.must(t, "KEYS", tc.pattern)
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
		rc.must(t, "SET", "k", tc[0])
		want := rc.must(t, "INCRBYFLOAT", "k", tc[1])

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
