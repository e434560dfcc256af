package testenv

import (
	"errors"
	"os/exec"
	"slices"
	"strconv"
	"testing"
)

// StartRedis starts n redis-server processes without persistence on fresh
// loopback ports, each with the extra configuration args (for instance
// "--cluster-enabled", "yes", or "--loglevel", "warning"), and waits until
// each answers as itself. A server that cannot start (its port was taken
// since it was found free) is started again on another port. The servers
// are stopped when the test ends; the test is skipped when redis-server is
// not installed.
func StartRedis(t testing.TB, n int, args ...string) []*Proc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH: skipping the tests against real Redis servers")
	}
	procs := make([]*Proc, n)
	for i := range procs {
		procs[i] = startOneRedis(t, bin, args)
	}
	return procs
}

// StartOneRedis is StartRedis for one server.
func StartOneRedis(t testing.TB, args ...string) *Proc {
	t.Helper()
	return StartRedis(t, 1, args...)[0]
}

func startOneRedis(t testing.TB, bin string, extra []string) *Proc {
	t.Helper()
	var last error
	for range 5 {
		companion := 0 // redis-server without cluster-enabled: no cluster port
		if slices.Contains(extra, "--cluster-enabled") {
			companion = ClusterOffset // its cluster bus listens on port+10000
		}
		port := Free(t, companion)
		args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no", "--dir", t.TempDir()}, extra...)
		p, err := startProc(t, port, bin, args...)
		if err == nil {
			return p
		}
		if errors.Is(err, errNotOurs) {
			t.Logf("redis-server: %v; another port", err)
		}
		last = err
	}
	t.Fatalf("redis-server did not start: %v", last)
	return nil
}
