// Package tests holds the integration suites: they build the real meshcache
// binary, start nodes as processes on loopback ports, and talk to them with
// real clients (go-redis, redis-cli, redis-py). Processes, ports and waits
// come from tests/testenv.
package tests

import (
	"os"
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Main(m)) }

// meshcache returns the race-built meshcache binary, built once for the
// package.
func meshcache(t testing.TB) string {
	t.Helper()
	return testenv.Meshcache(t, true)
}
