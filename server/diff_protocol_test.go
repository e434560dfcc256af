package server

import (
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/tests/testenv"
)

// TestProtocolAgainstRedis sends the same raw bytes, well-formed, odd and
// broken, to meshcache and to a real redis-server (skipped when it is not
// installed) and compares everything each sends back until it closes the
// connection: the replies of the commands before a protocol violation, the
// error's text, and that the connection ends. Inputs that break nothing
// end with QUIT. Both run their default limits (proto-max-bulk-len 512 MB,
// client-query-buffer-limit 1 GB). The replies do not depend on the
// protocol version, so RESP2 covers RESP3 too (HELLO's own reply differs
// by design: server version, id, mode).
func TestProtocolAgainstRedis(t *testing.T) {
	redisAddr := testenv.StartOneRedis(t).Addr
	ts := startServer(t, nil)
	for _, tc := range []struct{ name, in string }{
		{"inline", "PING\r\nECHO hi\r\nQUIT\r\n"},
		{"inline quotes", "SET k \"a b\"\r\nGET k\r\nSET k 'c d'\r\nGET k\r\nDEL k\r\nQUIT\r\n"},
		{"empty arrays", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\nQUIT\r\n"},
		{"empty lines", "\r\n\r\n  \r\nPING\r\nQUIT\r\n"},
		{"empty bulk", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\nQUIT\r\n"},
		{"pipeline", "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\nDEL k\r\nQUIT\r\n"},
		{"bad multibulk length", "PING\r\n*abc\r\n"},
		{"multibulk over INT_MAX", "*3000000000\r\n"},
		{"negative bulk", "*1\r\n$-1\r\n"},
		{"bad bulk length", "PING\r\n*1\r\n$x\r\n"},
		{"expected $", "*1\r\nfoo\r\n"},
		{"bulk CRLF not checked", "*1\r\n$4\r\nPINGxxQUIT\r\n"},
		{"count line ends at CR", "*2\rX$4\rYECHO\r\n$2\r\nhi\r\nQUIT\r\n"},
		{"bulk over proto-max-bulk-len", "*1\r\n$600000000\r\n"},
		{"unbalanced quotes", "PING\r\nGET \"a\r\n"},
		{"inline too big", strings.Repeat("a", 70*1024)},
		{"count line too big", "*" + strings.Repeat("1", 70*1024)},
		{"bulk count line too big", "*1\r\n$" + strings.Repeat("1", 70*1024)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := exchangeRaw(t, redisAddr, tc.in)
			got := exchangeRaw(t, ts.addr, tc.in)
			assert.Equal(t, string(want), string(got))
		})
	}
}

// TestProtocolUnauthenticatedAgainstRedis: with a password set, the
// tighter limits before AUTH and their lifting by AUTH, against
// redis-server with the same requirepass.
func TestProtocolUnauthenticatedAgainstRedis(t *testing.T) {
	redisAddr := testenv.StartOneRedis(t, "--requirepass", "pw").Addr
	ts := startServer(t, func(c *config.Config) { c.RequirePass = "pw" })
	for _, tc := range []struct{ name, in string }{
		{"multibulk", "*11\r\n"},
		{"bulk", "*1\r\n$16385\r\n"},
		{"NOAUTH then limit", "PING\r\n*11\r\n"},
		{"lifted by AUTH", "AUTH pw\r\n*11\r\n$4\r\nPING\r\n" + strings.Repeat("$1\r\nx\r\n", 10) + "QUIT\r\n"},
		{"wrong password", "AUTH no\r\n*11\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, string(exchangeRaw(t, redisAddr, tc.in)), string(exchangeRaw(t, ts.addr, tc.in)))
		})
	}
}

// exchangeRaw sends in to addr and returns everything read back until the
// server closes the connection.
func exchangeRaw(t *testing.T, addr, in string) []byte {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(20*time.Second)))
	go func() { _, _ = conn.Write([]byte(in)) }() // may block on input the server stops reading
	var out bytes.Buffer
	_, err = io.Copy(&out, conn)
	if err != nil && !strings.Contains(err.Error(), "reset") {
		require.NoError(t, err, "the server must close the connection (read so far: %q)", out.String())
	}
	return out.Bytes()
}
