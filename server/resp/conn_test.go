package resp

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fixedLimits are ConnLimits that do not change.
type fixedLimits struct {
	queryBuf, maxBulk int64
	unauth            bool
}

func (l fixedLimits) IdleTimeout() time.Duration { return 0 }
func (l fixedLimits) QueryBufLimit() int64       { return l.queryBuf }
func (l fixedLimits) MaxBulkLen() int64          { return l.maxBulk }
func (l fixedLimits) Unauthenticated() bool      { return l.unauth }

// bytesConn is a net.Conn that reads in, a few bytes at a time (to cross
// every boundary), and records what is written.
type bytesConn struct {
	in  *strings.Reader
	out bytes.Buffer
}

func (c *bytesConn) Read(p []byte) (int, error) {
	if len(p) > 3 {
		p = p[:3]
	}
	return c.in.Read(p)
}
func (c *bytesConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *bytesConn) Close() error                     { return nil }
func (c *bytesConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *bytesConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *bytesConn) SetDeadline(time.Time) error      { return nil }
func (c *bytesConn) SetReadDeadline(time.Time) error  { return nil }
func (c *bytesConn) SetWriteDeadline(time.Time) error { return nil }

// TestConnValidates checks what passes through the validator, what it
// drops, and how it ends a connection: the valid bytes before a violation
// are handed on, then the error reply (none for the query buffer limit)
// and ErrClientClosed.
func TestConnValidates(t *testing.T) {
	open := fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20}
	for _, tc := range []struct {
		name   string
		lim    fixedLimits
		in     string
		passed string // what the reader is handed
		reply  string // what the client is told
		closed bool   // ends with ErrClientClosed (else io.EOF)
	}{
		{"valid", open, "*2\r\n$3\r\nget\r\n$1\r\nk\r\nping\r\n", "*2\r\n$3\r\nget\r\n$1\r\nk\r\nping\r\n", "", false},
		{"empty arrays dropped", open, "*0\r\n*-1\r\n*1\r\n$4\r\nping\r\n", "*1\r\n$4\r\nping\r\n", "", false},
		{"bad multibulk length", open, "*1\r\n$4\r\nping\r\n*x\r\n", "*1\r\n$4\r\nping\r\n", "-ERR Protocol error: invalid multibulk length\r\n", true},
		{"expected $", open, "*1\r\n+ping\r\n", "*1\r\n", "-ERR Protocol error: expected '$', got '+'\r\n", true},
		{"bad bulk CRLF", open, "*1\r\n$4\r\npingXX", "*1\r\n$4\r\nping", "-ERR Protocol error: invalid bulk length\r\n", true},
		{"bulk over proto-max-bulk-len", fixedLimits{queryBuf: 1 << 20, maxBulk: 3}, "*1\r\n$4\r\nping\r\n", "*1\r\n",
			"-ERR Protocol error: invalid bulk length\r\n", true},
		{"unauthenticated multibulk", fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20, unauth: true}, "*11\r\n", "",
			"-ERR Protocol error: unauthenticated multibulk length\r\n", true},
		{"unauthenticated bulk", fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20, unauth: true}, "*1\r\n$16385\r\n", "*1\r\n",
			"-ERR Protocol error: unauthenticated bulk length\r\n", true},
		{"query buffer limit: no reply", fixedLimits{queryBuf: 8, maxBulk: 512 << 20}, "*1\r\n$20\r\n" + strings.Repeat("a", 22), "*1\r\n$20\r\n", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := &bytesConn{in: strings.NewReader(tc.in)}
			var in, out atomic.Int64
			c := NewConn(raw, tc.lim, &in, &out, slog.New(slog.DiscardHandler))
			got, err := io.ReadAll(c)
			if tc.closed {
				require.True(t, errors.Is(err, ErrClientClosed), "err %v", err)
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, tc.passed, string(got))
			assert.Equal(t, tc.reply, raw.out.String())
			if tc.closed { // reading stops at the violation
				assert.True(t, in.Load() >= int64(len(got)) && in.Load() <= int64(len(tc.in)), "input bytes counted: %d", in.Load())
			} else {
				assert.Equal(t, int64(len(tc.in)), in.Load(), "input bytes counted")
			}
			assert.Zero(t, out.Load(), "error replies are not counted as output")
		})
	}
}

// TestConnPendingAndWrite: Pending is the part of a command received so
// far, Write counts output bytes.
func TestConnPendingAndWrite(t *testing.T) {
	raw := &bytesConn{in: strings.NewReader("*2\r\n$3\r\nget\r\n")}
	var in, out atomic.Int64
	c := NewConn(raw, fixedLimits{queryBuf: 1 << 20, maxBulk: 512 << 20}, &in, &out, slog.New(slog.DiscardHandler))
	_, err := io.ReadAll(c)
	require.NoError(t, err)
	assert.Equal(t, int64(13), c.Pending(), "half a command received")
	assert.Positive(t, c.Reads())
	_, err = c.Write([]byte("+OK\r\n"))
	require.NoError(t, err)
	assert.Equal(t, int64(5), out.Load())
	assert.Equal(t, "+OK\r\n", raw.out.String())
}
