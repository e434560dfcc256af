package transport

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestMain fails the package if goroutines of this package outlive the
// tests: every endpoint, server, client and connection must stop when
// closed.
func TestMain(m *testing.M) {
	testenv.RunCheckingLeaks(m, "transport", "cluster/transport.(")
}

// serveEndpoint starts e with an RPC server that answers pings with the
// caller's address and the payload, and returns a client dialing from e.
// All of it is closed when the test ends.
func serveEndpoint(t *testing.T, e Endpoint, faults *Faults, key []byte) *Client {
	t.Helper()
	logger := testLogger(t)
	srv := NewServer(e.Addr(), key, faults, MinFrameSize, logger)
	srv.Handle(KindPing, func(_ context.Context, from string, req, reply []byte) ([]byte, error) {
		return append(append(reply, from...), req...), nil
	})
	e.Start(srv)
	client := NewClient(e.Addr(), key, faults, MinFrameSize, e.DialRPC)
	t.Cleanup(func() {
		client.Close()
		require.NoError(t, e.Shutdown())
		srv.Close()
	})
	return client
}

// testLogger logs through t while the test runs and drops lines after it.
func testLogger(t *testing.T) *slog.Logger { return testenv.Logger(t) }

// testCtx returns a context that ends at the test's deadline minus a margin,
// or after d when the test has no deadline.
func testCtx(t *testing.T, d time.Duration) context.Context {
	if dl, ok := t.Deadline(); ok && time.Until(dl)-5*time.Second < d {
		d = time.Until(dl) - 5*time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startPing starts a server on an in-memory endpoint that answers
// KindPing with handler, and a client on a second endpoint; it returns
// the client and the server's address. Both end with the test.
func startPing(t *testing.T, handler Handler) (*Client, string) {
	t.Helper()
	return startServing(t, func(srv *Server) { srv.Handle(KindPing, handler) })
}

// startServing is startPing with the handlers register gives the server.
func startServing(t *testing.T, register func(*Server)) (*Client, string) {
	t.Helper()
	mn := NewMemNetwork(nil)
	e := mn.Endpoint()
	srv := NewServer(e.Addr(), nil, nil, MinFrameSize, testLogger(t))
	register(srv)
	e.Start(srv)
	other := mn.Endpoint()
	client := NewClient(other.Addr(), nil, nil, MinFrameSize, other.DialRPC)
	t.Cleanup(func() {
		client.Close()
		require.NoError(t, other.Shutdown())
		require.NoError(t, e.Shutdown())
		srv.Close()
	})
	return client, e.Addr()
}
