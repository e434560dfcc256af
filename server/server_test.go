package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
	"github.com/meshcache/meshcache/store"
)

// testPanicCommands are registered for tests only: a command that panics,
// to prove a handler panic is answered with an error and never takes the
// node down.
func testPanicCommands() []*Command {
	return []*Command{
		{Name: "test.panic", Arity: -1, Flags: FlagFast, Group: "server", Since: "0.0.0",
			Summary: "Panics (tests only).", Handler: fe(func(c *Call) {
				c.Reply.Status("partial reply that must be discarded")
				panic("test.panic called")
			})},
		{Name: "test.panickey", Arity: 2, Flags: FlagWrite, Keys: []commands.KeySpec{commands.Range(commands.OW|commands.Update, 1, 0, 1)},
			Group: "server", Since: "0.0.0",
			Summary: "Writes a key, then panics while holding its slot (tests only).", Handler: func(c *commands.Call) {
				if err := c.Tx.Put(c.Args[1], []byte("x"), 0); err != nil {
					c.Reply.Error(err.Error())
					return
				}
				panic("test.panickey called")
			}},
	}
}

// Registered for this package's tests only, so not in commandGroups.
func init() { commandGroups = append(commandGroups, testPanicCommands) }

// testServer is an in-process server on a free loopback port.
type testServer struct {
	srv  *Server
	addr string
	done chan error // Serve's result
}

// startServer starts a server with the defaults changed by configure (may
// be nil) on 127.0.0.1:0. It is stopped, and its goroutines waited for,
// when the test ends.
func startServer(t testing.TB, configure func(*config.Config)) *testServer {
	t.Helper()
	cfg := config.Default()
	cfg.Port = 0
	if configure != nil {
		configure(&cfg)
	}
	st := store.New(cfg.StoreConfig())
	return serveTest(t, New(cfg, st, slog.New(slog.DiscardHandler)))
}

// serveTest serves srv on a free loopback port until the test ends, then
// stops it and checks that Serve returned cleanly.
func serveTest(t testing.TB, srv *Server) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{srv: srv, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ts.done:
			assert.NoError(t, err)
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return ts
}

// client returns a go-redis client speaking proto (2 or 3), with the
// handshake go-redis does by default (HELLO, CLIENT SETINFO).
func (ts *testServer) client(t *testing.T, proto int, opts ...func(*redis.Options)) *redis.Client {
	t.Helper()
	o := &redis.Options{Addr: ts.addr, Protocol: proto, MaxRetries: -1, PoolSize: 2,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second}
	for _, f := range opts {
		f(o)
	}
	c := redis.NewClient(o)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// raw opens a plain TCP connection for protocol-level tests.
func (ts *testServer) raw(t testing.TB) *rawClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", ts.addr, 5*time.Second)
	require.NoError(t, err)
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	t.Cleanup(func() { _ = conn.Close() })
	return &rawClient{conn: conn, r: bufio.NewReader(conn)}
}

// rawClient sends raw bytes and reads raw reply lines.
type rawClient struct {
	conn net.Conn
	r    *bufio.Reader
}

func (rc *rawClient) send(t *testing.T, s string) {
	t.Helper()
	_, err := rc.conn.Write([]byte(s))
	require.NoError(t, err)
}

// line reads one reply line, CRLF included.
func (rc *rawClient) line(t *testing.T) string {
	t.Helper()
	l, err := rc.r.ReadString('\n')
	require.NoError(t, err)
	return l
}

// closed reports whether the server closed the connection (EOF or reset,
// with nothing more to read).
func (rc *rawClient) closed(t *testing.T) bool {
	t.Helper()
	b, err := rc.r.ReadByte()
	if err == nil {
		t.Errorf("unexpected byte %q after the last reply", b)
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return errors.Is(err, io.EOF) || strings.Contains(err.Error(), "reset")
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestPanicIsRecovered(t *testing.T) {
	ts := startServer(t, nil)
	for _, proto := range []int{2, 3} {
		c := ts.client(t, proto)
		ctx := testCtx(t)
		err := c.Do(ctx, "test.panic").Err()
		require.EqualError(t, err, "ERR internal error running 'test.panic' (see the server log)")
		// The connection and the node still work, and the slot a panicking
		// command held was released (else this SET would block forever).
		err = c.Do(ctx, "test.panickey", "k").Err()
		require.EqualError(t, err, "ERR internal error running 'test.panickey' (see the server log)")
		require.Equal(t, "PONG", c.Ping(ctx).Val())
		require.NoError(t, c.Set(ctx, "k", "v", 0).Err())
		require.Equal(t, "v", c.Get(ctx, "k").Val())

		// Inside a transaction the panic answers that command only.
		cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "a", "1", 0)
			p.Do(ctx, "test.panic")
			p.Get(ctx, "a")
			return nil
		})
		require.Error(t, err)
		require.Len(t, cmds, 3)
		require.NoError(t, cmds[0].Err())
		require.EqualError(t, cmds[1].Err(), "ERR internal error running 'test.panic' (see the server log)")
		require.Equal(t, "1", cmds[2].(*redis.StringCmd).Val())
	}
	require.EqualValues(t, 6, ts.srv.stats.unexpectedErrors.Load())
}

func TestShutdownStopsServer(t *testing.T) {
	ts := startServer(t, nil)
	c := ts.client(t, 2)
	ctx := testCtx(t)
	require.NoError(t, c.Set(ctx, "a", "1", 0).Err())
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "bogus").Err(), "ERR syntax error")
	require.EqualError(t, c.Do(ctx, "SHUTDOWN", "ABORT").Err(), "ERR No shutdown in progress.")
	err := c.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	require.Error(t, err) // the connection closes without a reply, as Redis
	select {
	case err := <-ts.done:
		require.NoError(t, err)
		ts.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("SHUTDOWN did not stop the server")
	}
	_, err = net.DialTimeout("tcp", ts.addr, time.Second)
	require.Error(t, err, "listener still open")
}

func TestCloseStopsServe(t *testing.T) {
	ts := startServer(t, nil)
	rc := ts.raw(t)
	rc.send(t, "PING\r\n")
	require.Equal(t, "+PONG\r\n", rc.line(t))
	require.NoError(t, ts.srv.Close())
	select {
	case err := <-ts.done:
		require.NoError(t, err)
		ts.done <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not stop Serve")
	}
	require.True(t, rc.closed(t), "open connections are closed on stop")
}
