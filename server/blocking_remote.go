package server

import (
	"context"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/route"
)

// A forwarded blocking command's chunks carry its client's Ref, and a
// client that leaves while a chunk is forwarded has it cancelled on the
// primary (see package blocking's doc; the wire is blocking/wire.go, the
// watch and the cancel blocking/remote.go).

// blockRef is c's Ref as the primary knows it: this node, c's ID, when c
// first blocked.
func (s *Server) blockRef(c *Client) blocking.Ref {
	return blocking.Ref{Origin: string(s.cluster.ID()), Client: c.ID, Order: c.block.Order}
}

// chunkMarker returns the marker command that opens c's forwarded chunk,
// nil when c's command is not a blocking command parked in chunks.
func (s *Server) chunkMarker(c *Client) [][]byte {
	if bs := &c.block; bs.Parking && bs.Forwarded && c.ID != 0 {
		return blocking.ChunkMarker(s.blockRef(c), bs.LastSent)
	}
	return nil
}

// adoptChunk makes internal client c run the chunk its marker names
// (runBlocking reads it) and answers the marker +OK; it reports false
// when args is no marker.
func (c *Client) adoptChunk(args [][]byte) bool {
	ref, last, marker, ok := blocking.ParseChunkMarker(args)
	if !marker {
		return false
	}
	if ok {
		rs := c.routeState()
		rs.blockRef, rs.blockLast = ref, last
	}
	c.reply.OK()
	return true
}

// answerChunkCancel drops the chunk or reservation a cancel batch names,
// remembered for a while, so that a chunk still on its way is refused; nil
// when cmds is no cancel batch.
func (s *Server) answerChunkCancel(cmds [][][]byte) [][]byte {
	return s.blocked.AnswerCancel(cmds, blockChunk()+route.ForwardTimeout)
}

// watchChunk watches c while a chunk of its blocking command is forwarded
// to owner (blocking.Queue.WatchChunk): when the peer leaves it cancels
// the call (cancel) and tells owner to drop the chunk; when CLIENT UNBLOCK
// asks c here, it tells owner to unblock the chunk, whose reply answers c.
func (s *Server) watchChunk(c *Client, owner ring.NodeID, cancel context.CancelFunc) (stop func()) {
	ref := s.blockRef(c)
	return s.blocked.WatchChunk(&c.block, c.ID, c.watchGone(), owner, cancel,
		func(reason blocking.Reason) { s.sendCancel(owner, ref, reason) })
}

// cancelChunks tells the node c's last chunk went to that c stopped
// waiting between two chunks (reason: it left, or CLIENT UNBLOCK), so its
// reservation there passes the turn on at once. The goroutine it starts
// ends once the cancel batch is sent (a second cancel of a Ref is
// harmless).
func (s *Server) cancelChunks(c *Client, reason blocking.Reason) {
	if owner := c.block.Owner; owner != "" {
		ref := s.blockRef(c)
		go s.sendCancel(owner, ref, reason)
	}
}

// sendCancel sends the cancel batch of ref to owner, within
// route.ForwardTimeout.
func (s *Server) sendCancel(owner ring.NodeID, ref blocking.Ref, reason blocking.Reason) {
	if err := blocking.SendCancel(s.cluster, owner, ref, reason, route.ForwardTimeout); err != nil {
		s.log.Debug("cancel a forwarded blocking command", "to", owner, "err", err)
	}
}

// watchGone returns the channel closed when c's peer leaves, watching the
// connection from the first call until blocking.Run ends (nil for an
// internal client).
func (c *Client) watchGone() <-chan struct{} {
	bs := &c.block
	if bs.Gone == nil && c.pc != nil && bs.Parking {
		bs.Gone, bs.StopGone = c.pc.AwaitClose()
	}
	return bs.Gone
}
