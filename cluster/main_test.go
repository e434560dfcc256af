package cluster

import (
	"testing"

	"github.com/meshcache/meshcache/tests/testenv"
)

// TestMain fails the package if goroutines of this package outlive the
// tests: every node, transport and connection must stop when closed.
func TestMain(m *testing.M) {
	testenv.RunCheckingLeaks(m, "cluster", "meshcache/cluster.(", "meshcache/cluster/transport.(")
}
