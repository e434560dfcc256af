package tests

import (
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/meshcache/meshcache/tests/testenv"
)

// node is one meshcache node a test started: a testenv.Proc (Out, Done,
// Err, Signal, Kill, Stop) and the client address it serves. Nodes of one
// --local-cluster process share their Proc.
type node struct {
	*testenv.Proc
	t    *testing.T
	port int
	addr string
}

// startNode starts meshcache on a free port with extra flags and waits until
// it answers as itself. The process is stopped when the test ends.
func startNode(t *testing.T, args ...string) *node {
	t.Helper()
	return nodeOf(t, testenv.StartNode(t, meshcache(t), args...))
}

// startNodeOn is startNode on a given client port.
func startNodeOn(t *testing.T, port int, args ...string) *node {
	t.Helper()
	return nodeOf(t, testenv.StartNodeOn(t, port, meshcache(t), args...))
}

func nodeOf(t *testing.T, p *testenv.Proc) *node {
	return &node{Proc: p, t: t, port: p.Port, addr: p.Addr}
}

// client returns a go-redis client for the node, closed when the test ends.
func (n *node) client(protocol int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.addr, Protocol: protocol, MaxRetries: -1})
	n.t.Cleanup(func() { c.Close() })
	return c
}
