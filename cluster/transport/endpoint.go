package transport

import (
	"context"
	"net"

	"github.com/hashicorp/memberlist"
)

// Endpoint is one node's cluster port: memberlist's transport for gossip,
// and connections for internode RPC. TCP is the real one; MemNetwork hands
// out in-memory ones for tests. Faults apply on both.
type Endpoint interface {
	memberlist.NodeAwareTransport
	// Addr is the advertised cluster address (host:port): the node's name
	// on the network, as peers dial it and as Faults know it.
	Addr() string
	// Start begins delivering: gossip to memberlist, inbound RPC
	// connections to rpc. Call it once, before memberlist starts.
	Start(rpc Acceptor)
	// DialRPC opens an RPC connection to the endpoint at addr; the far
	// end's Acceptor receives it with this endpoint's Addr as from.
	DialRPC(ctx context.Context, addr string) (net.Conn, error)
}

// Acceptor takes over an inbound RPC connection; from is the caller's
// advertised cluster address. Server is the Acceptor.
type Acceptor interface {
	ServeConn(c net.Conn, from string)
}
