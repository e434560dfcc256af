package testenv

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// RunCheckingLeaks is a TestMain for packages whose goroutines must all
// stop when what started them is closed: it runs the tests and then, if
// they passed, waits up to 10 s for every goroutine whose stack names one
// of the given functions' prefixes (such as "meshcache/cluster.(") to end;
// any still running fail the package with their stacks. It exits.
func RunCheckingLeaks(m *testing.M, pkg string, prefixes ...string) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(10*time.Second, prefixes); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines leaked by package %s:\n%s\n", pkg, leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// waitNoLeaks returns the stacks of the goroutines that still run code
// under prefixes after d (polling), or "" once there are none. The
// goroutine running the check itself is never counted.
func waitNoLeaks(d time.Duration, prefixes []string) string {
	err := Until(d, func() error {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "testenv.RunCheckingLeaks") {
				continue
			}
			for _, p := range prefixes {
				if strings.Contains(g, p) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) > 0 {
			return fmt.Errorf("%s", strings.Join(leaked, "\n\n"))
		}
		return nil
	})
	if err != nil {
		return err.Error()
	}
	return ""
}

// Logger returns a logger that writes through t.Log while the test runs,
// at the level MESHCACHE_TEST_LOG names (debug, info; default warn), and
// drops what goroutines still log after the test ended (t.Log would
// panic then). Call it before starting what logs, so its cleanup runs
// after theirs.
func Logger(t testing.TB) *slog.Logger {
	level := slog.LevelWarn
	switch os.Getenv("MESHCACHE_TEST_LOG") {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	}
	w := &testWriter{t: t}
	t.Cleanup(w.stop)
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// testWriter forwards lines to t.Log until stop.
type testWriter struct {
	mu   sync.Mutex // guards done
	t    testing.TB
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSuffix(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

var _ io.Writer = (*testWriter)(nil)
