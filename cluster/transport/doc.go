// Package transport is the cluster port of a meshcache node: how nodes
// reach each other. It never sees a cluster.Node.
//
//   - Endpoint: memberlist's transport (gossip packets and streams) plus
//     RPC connections, on one address. TCP is the real one (a UDP socket
//     and a TCP listener on one port, connections sorted by a preface);
//     MemNetwork hands out in-memory endpoints for tests, as memberlist's
//     MockNetwork does.
//   - Client and Server: internode RPC multiplexed over one connection per
//     peer (length-prefixed frames with a request id, a Kind and the
//     caller's timeout). Every call needs a deadline; a broken or stalled
//     connection fails its calls and the next call redials.
//   - With a cluster key, both ends of an RPC connection prove they know
//     it before any frame (auth.go).
//   - Faults cuts (both ways or one way) and delays traffic between
//     addresses inside the endpoints and the frame layer, so a test cuts
//     the network for real, on TCP and in memory alike.
package transport
