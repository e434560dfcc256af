package server

import (
	"fmt"
	"syscall"

	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/server/netloop"
)

// The node's internode connections on the event loops (docs/DESIGN.md §6).
// The connections the node dials to its peers carry its forwards and its
// replication streams, and bring back their replies: a forwarded command's
// reply, a replica's acknowledgement of the writes its clients wait for.
// With event loops, the server has the node read those connections on the
// loops too (cluster.Node.PollLinks, transport.Poller): a reply read in a
// loop's round hands its client back to the loop (netloop.Conn.Post), and
// a post made in the round is resumed at the round's end, with the
// replies that round writes. Read by a goroutine of its own, each reply
// cost that goroutine's wake-up and its look at an empty socket, and the
// loop's wake-up by the post: an eventfd write and the poller's look.

// polledLink is the Ctx of an internode connection on a loop.
type polledLink struct{ r transport.Readable }

// Poll implements transport.Poller: the connection joins a loop, the next
// one in turn.
func (ls *loopServer) Poll(sc syscall.Conn, r transport.Readable) (func(), error) {
	s := (*Server)(ls)
	loops := s.loops
	if len(loops) == 0 {
		return nil, fmt.Errorf("poll internode connection: %w", netloop.ErrStopped)
	}
	lc, err := loops[s.linkTurn.Add(1)%uint64(len(loops))].Add(sc, &polledLink{r: r})
	if err != nil {
		return nil, fmt.Errorf("poll internode connection: %w", err)
	}
	return lc.Post, nil
}

// linkReady serves an internode connection its loop found readable, or
// that its client posted (closed): the connection reads and hands out its
// replies, and leaves the loop once it is over.
func linkReady(lc *netloop.Conn) bool {
	pl, ok := lc.Ctx.(*polledLink)
	if !ok {
		return false
	}
	if !pl.r.Readable(lc.Read) {
		_ = lc.Detach() // the loop's descriptor only: the client closed its own
	}
	return true
}
