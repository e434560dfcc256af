package testenv

import (
	"fmt"
	"testing"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Member is a cluster node in the test process, as *cluster.Node is.
type Member interface {
	ID() ring.NodeID
	// Table is the node's routing table (nil before the first).
	Table() *ring.Table
	// Settled reports whether the node sees the cluster at rest, and
	// if not why (cluster.Node.Settled).
	Settled() (bool, string)
}

// InProcessNode is a Member that others can join (by its cluster address).
type InProcessNode interface {
	Member
	ClusterAddr() string
}

// StartInProcess starts n in-process nodes with start, the first with no
// seeds and the others joining the first by its cluster address, and
// waits until they are settled (WaitMembersSettled). start builds, starts
// and registers the cleanup of one node: a cluster.Node with an echo
// executor, or a server.Server wired to one (see the package doc).
func StartInProcess[N any](t testing.TB, n int, start func(seeds []string) N, member func(N) InProcessNode) []N {
	t.Helper()
	nodes := []N{start(nil)}
	seeds := []string{member(nodes[0]).ClusterAddr()}
	for range n - 1 {
		nodes = append(nodes, start(seeds))
	}
	members := make([]Member, len(nodes))
	for i, nd := range nodes {
		members[i] = member(nd)
	}
	WaitMembersSettled(t, SettleTimeout, members...)
	return nodes
}

// WaitMembersSettled waits until MembersSettled, or fails the test after d
// with the last reason.
func WaitMembersSettled(t testing.TB, d time.Duration, members ...Member) {
	t.Helper()
	Wait(t, d, fmt.Sprintf("a settled cluster of %d in-process nodes", len(members)), func() error {
		return MembersSettled(members...)
	})
}

// MembersSettled returns nil when every member reports itself settled and
// all hold one table (same epoch and issuer) that names exactly them, else
// what is not settled yet.
func MembersSettled(members ...Member) error {
	first := members[0].Table()
	if first == nil {
		return fmt.Errorf("%s has no routing table", members[0].ID())
	}
	for _, m := range members {
		if ok, why := m.Settled(); !ok {
			return fmt.Errorf("%s: %s", m.ID(), why)
		}
		tb := m.Table()
		if tb.Epoch != first.Epoch || tb.Issuer != first.Issuer {
			return fmt.Errorf("%s holds epoch %d, %s epoch %d", m.ID(), tb.Epoch, members[0].ID(), first.Epoch)
		}
		if _, ok := first.Member(m.ID()); !ok {
			return fmt.Errorf("epoch %d does not name %s", first.Epoch, m.ID())
		}
	}
	if got := len(first.Members()); got != len(members) {
		return fmt.Errorf("epoch %d names %d members, want %d", first.Epoch, got, len(members))
	}
	return nil
}
