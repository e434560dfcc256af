package transport

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestMain fails the package if goroutines of this package outlive the
// tests: every endpoint, server, client and connection must stop when
// closed.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(10 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by package transport:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

func waitNoLeaks(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "cluster/transport.(") && !strings.Contains(g, "transport.TestMain") && !strings.Contains(g, "transport.waitNoLeaks") {
				leaked = append(leaked, g)
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(50 * time.Millisecond)
	}
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

// testLogger logs through t while the test runs (warnings and up) and
// drops lines after it.
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct {
	mu   sync.Mutex // guards done
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(p[:len(p)-1]))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

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
