package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/tests/testenv"
)

// echoExecutor is a real Executor: it answers every command with its
// arguments as a RESP array of bulk strings (a RESP3 set when resp3), so a
// test can check that the reply came from the right request.
type echoExecutor struct {
	mu    sync.Mutex // guards calls
	calls int
}

func (e *echoExecutor) Execute(resp3 bool, args [][]byte, reply []byte) []byte {
	e.mu.Lock()
	e.calls++
	e.mu.Unlock()
	return appendEcho(reply, resp3, args)
}

func appendEcho(b []byte, resp3 bool, args [][]byte) []byte {
	head := byte('*')
	if resp3 {
		head = '~'
	}
	b = append(b, head)
	b = strconv.AppendInt(b, int64(len(args)), 10)
	b = append(b, "\r\n"...)
	for _, a := range args {
		b = append(b, '$')
		b = strconv.AppendInt(b, int64(len(a)), 10)
		b = append(b, "\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// testLogger logs through t while the test runs (level from
// MESHCACHE_TEST_LOG) and drops lines after it.
func testLogger(t *testing.T) *slog.Logger { return testenv.Logger(t) }

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// clientPorts numbers the (gossiped, never bound) client addresses.
var clientPorts atomic.Int32

type nodeOpts struct {
	join     []string
	key      []byte
	faults   *transport.Faults
	tcp      bool // a real cluster port instead of the test's in-memory network
	maxFrame int
	replicas int
	batch    int    // Config.MigrationBatch
	profile  string // the timing profile; empty: local
}

// startNode starts a node with the local profile on the test's in-memory
// network (o.tcp: on 127.0.0.1 with a free cluster port); it is closed
// (without leaving) when the test ends.
func startNode(t *testing.T, ctx context.Context, logger *slog.Logger, o nodeOpts) (*Node, *echoExecutor) {
	t.Helper()
	exec := &echoExecutor{}
	n, err := New(Config{
		ClientAddr:   fmt.Sprintf("127.0.0.1:%d", 20000+clientPorts.Add(1)),
		BindAddr:     "127.0.0.1:0",
		Join:         o.join,
		Key:          o.key,
		Profile:      "local",
		Replicas:     o.replicas,
		MaxFrameSize: o.maxFrame,
		Faults:       o.faults,
		Network:      o.network(t),
	}, exec, logger)
	require.NoError(t, err)
	require.NoError(t, n.Start(ctx))
	t.Cleanup(func() { _ = n.Close() })
	return n, exec
}

// memNets are the tests' in-memory networks: one per Faults a test made,
// and one per top-level test for nodes without Faults.
var memNets struct {
	sync.Mutex // guards m
	m          map[any]*transport.MemNetwork
}

// network returns the in-memory network the node joins, or nil for a
// real cluster port (o.tcp). Every node of a test that shares o.faults (or
// has none) is on the same network, which is removed when the test that
// made it ends.
func (o nodeOpts) network(t *testing.T) *transport.MemNetwork {
	if o.tcp {
		return nil
	}
	var key any = strings.SplitN(t.Name(), "/", 2)[0]
	if o.faults != nil {
		key = o.faults
	}
	memNets.Lock()
	defer memNets.Unlock()
	if n := memNets.m[key]; n != nil {
		return n
	}
	if memNets.m == nil {
		memNets.m = make(map[any]*transport.MemNetwork)
	}
	n := transport.NewMemNetwork(o.faults)
	memNets.m[key] = n
	t.Cleanup(func() {
		memNets.Lock()
		delete(memNets.m, key)
		memNets.Unlock()
	})
	return n
}

// startCluster starts size nodes, each joining the first, and waits until
// all of them hold the same table naming all of them and are settled
// (Node.Settled: every node sees every other, nothing moving).
func startCluster(t *testing.T, ctx context.Context, size int, o nodeOpts) []*Node {
	t.Helper()
	logger := testLogger(t)
	first, _ := startNode(t, ctx, logger, o)
	nodes := []*Node{first}
	o.join = []string{first.ClusterAddr()}
	for range size - 1 {
		n, _ := startNode(t, ctx, logger, o)
		nodes = append(nodes, n)
	}
	waitConverged(t, nodes, nodes)
	waitMembership(t, nodes)
	members := make([]testenv.Member, len(nodes))
	for i, n := range nodes {
		members[i] = n
	}
	testenv.WaitMembersSettled(t, 20*time.Second, members...)
	return nodes
}

// waitMembership waits (up to 20 s) until every node sees every node alive
// by gossip, not only named in the table: the table reaches a joiner by
// push before gossip has told the joiners of each other, and a cut made in
// that window leaves two nodes of the majority unknown to each other.
func waitMembership(t *testing.T, nodes []*Node) {
	t.Helper()
	testenv.WaitWhy(t, 20*time.Second, "membership to converge", func() string {
		_, why := sees(nodes)
		return why
	})
}

// sees reports whether every node sees every node alive.
func sees(nodes []*Node) (bool, string) {
	for _, n := range nodes {
		alive := map[ring.NodeID]bool{}
		for _, m := range n.Members() {
			alive[m.ID] = m.Alive
		}
		for _, o := range nodes {
			if !alive[o.ID()] {
				return false, fmt.Sprintf("%s does not see %s alive", n.ID()[:8], o.ID()[:8])
			}
		}
	}
	return true, ""
}

// converged reports whether every node holds the same table (same epoch and
// issuer), naming exactly the members in want, with every slot assigned.
func converged(nodes, want []*Node) (bool, string) {
	first := nodes[0].Table()
	for _, n := range nodes {
		tb := n.Table()
		if tb == nil {
			return false, fmt.Sprintf("%s has no table", n.ID())
		}
		if tb.Epoch != first.Epoch || tb.Issuer != first.Issuer {
			return false, fmt.Sprintf("%s has epoch %d, %s has %d", n.ID(), tb.Epoch, nodes[0].ID(), first.Epoch)
		}
	}
	members := first.Members()
	if len(members) != len(want) {
		return false, fmt.Sprintf("table has %d members, want %d", len(members), len(want))
	}
	for _, n := range want {
		if _, ok := first.Member(n.ID()); !ok {
			return false, fmt.Sprintf("table lacks %s", n.ID())
		}
	}
	if first.Assigned() != ring.SlotCount {
		return false, fmt.Sprintf("%d slots assigned", first.Assigned())
	}
	return true, ""
}

// waitConverged waits (up to 20 s) until converged(nodes, want).
func waitConverged(t *testing.T, nodes, want []*Node) {
	t.Helper()
	testenv.Wait(t, 20*time.Second, "a converged cluster", func() error {
		if ok, why := converged(nodes, want); !ok {
			return errors.New(why)
		}
		return nil
	})
}

func clusterAddrs(nodes ...*Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.ClusterAddr()
	}
	return out
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
