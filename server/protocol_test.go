package server

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

func TestProtocolLimits(t *testing.T) {
	ts := startServer(t, func(c *config.Config) {
		c.ProtoMaxBulkLen = 1 << 20
		c.ClientQueryBufferLimit = 2 << 20
	})
	cases := []struct {
		name   string
		in     string
		want   []string // reply lines, in order
		closed bool
	}{
		{"inline", "PING\r\nECHO hi\r\n", []string{"+PONG\r\n", "$2\r\n", "hi\r\n"}, false},
		{"empty arrays ignored", "*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n", []string{"+PONG\r\n"}, false},
		{"empty lines ignored", "\r\n\r\nPING\r\n", []string{"+PONG\r\n"}, false},
		{"bad multibulk length", "*abc\r\n", []string{"-ERR Protocol error: invalid multibulk length\r\n"}, true},
		{"multibulk over INT_MAX", "*3000000000\r\n", []string{"-ERR Protocol error: invalid multibulk length\r\n"}, true},
		{"bulk over proto-max-bulk-len", "*1\r\n$1048577\r\n", []string{"-ERR Protocol error: invalid bulk length\r\n"}, true},
		{"negative bulk", "*1\r\n$-1\r\n", []string{"-ERR Protocol error: invalid bulk length\r\n"}, true},
		{"expected $", "*1\r\nfoo\r\n", []string{"-ERR Protocol error: expected '$', got 'f'\r\n"}, true},
		{"commands before the error run", "PING\r\n*1\r\n$x\r\n", []string{"+PONG\r\n", "-ERR Protocol error: invalid bulk length\r\n"}, true},
		{"bulk CRLF not checked, as Redis", "*1\r\n$4\r\nPINGxx", []string{"+PONG\r\n"}, false},
		{"unbalanced quotes", "GET \"a\r\n", []string{"-ERR Protocol error: unbalanced quotes in request\r\n"}, true},
		{"inline too big", strings.Repeat("a", 70*1024), []string{"-ERR Protocol error: too big inline request\r\n"}, true},
		{"count line too big", "*" + strings.Repeat("1", 70*1024), []string{"-ERR Protocol error: too big mbulk count string\r\n"}, true},
		{"query buffer limit", "*3\r\n$3\r\nSET\r\n$1048576\r\n" + strings.Repeat("x", 1<<20) + "\r\n$1048576\r\n" + strings.Repeat("y", 1<<20), nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := ts.raw(t)
			go func() { _, _ = rc.conn.Write([]byte(tc.in)) }() // may block on a big input the server stops reading
			for _, w := range tc.want {
				require.Equal(t, w, rc.line(t))
			}
			if tc.closed {
				require.True(t, rc.closed(t), "connection must be closed")
			} else {
				rc.send(t, "PING\r\n")
				require.Equal(t, "+PONG\r\n", rc.line(t))
			}
		})
	}
}

func TestProtocolUnauthenticatedLimits(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.RequirePass = "pw" })
	rc := ts.raw(t)
	rc.send(t, "*11\r\n")
	require.Equal(t, "-ERR Protocol error: unauthenticated multibulk length\r\n", rc.line(t))
	require.True(t, rc.closed(t))

	rc = ts.raw(t)
	rc.send(t, "*1\r\n$16385\r\n")
	require.Equal(t, "-ERR Protocol error: unauthenticated bulk length\r\n", rc.line(t))
	require.True(t, rc.closed(t))

	rc = ts.raw(t)
	rc.send(t, "AUTH pw\r\n*11\r\n$4\r\nPING\r\n"+strings.Repeat("$1\r\nx\r\n", 10))
	require.Equal(t, "+OK\r\n", rc.line(t))
	require.Equal(t, "-ERR wrong number of arguments for 'ping' command\r\n", rc.line(t), "limits lifted after AUTH")
}

func TestMaxClients(t *testing.T) {
	ts := startServer(t, func(c *config.Config) { c.MaxClients = 2 })
	a, b := ts.raw(t), ts.raw(t)
	a.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", a.line(t))
	b.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", b.line(t))
	c := ts.raw(t)
	require.Equal(t, "-ERR max number of clients reached\r\n", c.line(t))
	require.True(t, c.closed(t))
	require.EqualValues(t, 1, ts.srv.stats.rejectedConnections.Load())

	// A freed place can be taken again.
	a.send(t, "QUIT\r\n")
	require.Equal(t, "+OK\r\n", a.line(t))
	require.True(t, a.closed(t))
	require.Eventually(t, func() bool { return ts.srv.nclients.Load() == 1 }, 10*time.Second, 10*time.Millisecond)
	d := ts.raw(t)
	d.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", d.line(t))
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, nil)
	admin := ts.raw(t)
	admin.send(t, "CONFIG SET timeout 1\r\n")
	require.Equal(t, "+OK\r\n", admin.line(t))
	idle := ts.raw(t)
	idle.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", idle.line(t))
	require.True(t, idle.closed(t), "an idle client is closed after timeout")
}

// pipeListener hands out one in-memory connection per input, for FuzzProtocol.
type pipeListener struct {
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379} }

// inputConn is a connection whose client sends input and then closes its
// side; what the server writes is collected.
type inputConn struct {
	r      *bytes.Reader
	mu     sync.Mutex
	out    bytes.Buffer
	closed chan struct{}
	once   sync.Once
}

func (c *inputConn) Read(p []byte) (int, error) {
	select {
	case <-c.closed:
		return 0, net.ErrClosed
	default:
	}
	return c.r.Read(p)
}

func (c *inputConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(p)
}

func (c *inputConn) Close() error        { c.once.Do(func() { close(c.closed) }); return nil }
func (c *inputConn) LocalAddr() net.Addr { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6379} }
func (c *inputConn) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (c *inputConn) SetDeadline(time.Time) error      { return nil }
func (c *inputConn) SetReadDeadline(time.Time) error  { return nil }
func (c *inputConn) SetWriteDeadline(time.Time) error { return nil }

var _ io.ReadWriteCloser = (*inputConn)(nil)

// FuzzProtocol feeds arbitrary bytes through the validator, redcon's reader
// and the dispatcher of a fresh node: it must neither panic (a recovered
// handler panic counts as a failure too) nor hang.
func FuzzProtocol(f *testing.F) {
	for _, seed := range []string{
		"PING\r\n",
		"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n",
		"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\n",
		"MULTI\r\nSET a 1\r\nINCR a\r\nEXEC\r\n",
		"WATCH a\r\nMULTI\r\nDEL a\r\nEXEC\r\n",
		"*0\r\n*-1\r\n*1\r\n$-1\r\n",
		"HELLO 3 SETNAME x\r\nCLIENT LIST\r\nCOMMAND INFO get\r\nCONFIG GET *\r\nINFO all\r\n",
		"*1\r\n$3\r\nfoo",
		"GET \"a\r\n",
		"*3\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		cfg := config.Default()
		cfg.ProtoMaxBulkLen = 1 << 20
		cfg.ClientQueryBufferLimit = 1 << 20
		srv := New(cfg, store.New(cfg.StoreConfig()), slog.New(slog.DiscardHandler))
		ln := &pipeListener{conns: make(chan net.Conn, 1), done: make(chan struct{})}
		conn := &inputConn{r: bytes.NewReader(in), closed: make(chan struct{})}
		ln.conns <- conn
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ctx, ln) }()
		// The connection ends at the end of its input (or earlier, on a
		// protocol error, QUIT or SHUTDOWN).
		deadline := time.After(10 * time.Second)
		for srv.stats.connectionsReceived.Load() == 0 || srv.nclients.Load() > 0 {
			select {
			case <-deadline:
				t.Fatalf("connection did not finish for input %q", in)
			case <-time.After(time.Millisecond):
			}
		}
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Fatalf("server did not stop for input %q", in)
		}
		require.Zero(t, srv.stats.unexpectedErrors.Load(), "a handler panicked on input %q", in)
	})
}
