package server

import (
	"bytes"
	"context"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/blocking"
)

// Blocking commands forwarded to the slot's primary (see the top of
// blocking.go): each chunk goes in a batch opened by blockMarker, which
// names the client (its node, its ID, when it first blocked) and says
// whether the chunk is its last. The primary queues the chunk in the place
// where the client first blocked, and when a chunk ends unserved before
// its client's deadline it reserves that place for reserveGrace, so the
// next chunk takes it back and nobody behind it is served meanwhile
// (blocking.Queue.Reserve). A client that leaves while a chunk is
// forwarded makes its node send blockCancelMarker: the primary drops the
// chunk (or the reservation) and pops nothing for it. A pop already made,
// whose reply is on its way, reaches a closed connection: the same as a
// reply Redis sends to a client that closes meanwhile.

var (
	// blockMarker opens a forwarded chunk's batch: node, client ID, first
	// block (unix ns), last ("1" or "0").
	blockMarker = []byte("\x00meshcache:block")
	// blockCancelMarker is a batch of its own: node, client ID, first
	// block; the client left.
	blockCancelMarker = []byte("\x00meshcache:block-cancel")
)

// reserveGrace is how long the primary keeps a forwarded waiter's place
// between two chunks: the origin sends the next chunk as soon as the last
// one's reply arrives, so one round trip is enough; a reservation nobody
// claims (the origin node died) passes the turn on after it.
const reserveGrace = time.Second

// blockRef is c's Ref as the primary knows it: this node, c's ID, when c
// first blocked.
func (s *Server) blockRef(c *Client) blocking.Ref {
	return blocking.Ref{Origin: string(s.cluster.ID()), Client: c.ID, Order: c.block.order}
}

// appendRef appends the fields of ref to cmd.
func appendRef(cmd [][]byte, ref blocking.Ref) [][]byte {
	return append(cmd, []byte(ref.Origin), strconv.AppendUint(nil, ref.Client, 10), strconv.AppendInt(nil, ref.Order, 10))
}

// parseRef reads a Ref from the three fields at f.
func parseRef(f [][]byte) (blocking.Ref, bool) {
	if len(f) < 3 || len(f[0]) == 0 {
		return blocking.Ref{}, false
	}
	id, err1 := strconv.ParseUint(string(f[1]), 10, 64)
	order, err2 := strconv.ParseInt(string(f[2]), 10, 64)
	if err1 != nil || err2 != nil {
		return blocking.Ref{}, false
	}
	return blocking.Ref{Origin: string(f[0]), Client: id, Order: order}, true
}

// chunkMarker returns the marker command that opens c's forwarded chunk,
// nil when c's command is not a blocking command parked in chunks.
func (s *Server) chunkMarker(c *Client) [][]byte {
	bs := &c.block
	if !bs.parking || !bs.forwarded || c.ID == 0 {
		return nil
	}
	last := []byte("0")
	if bs.lastSent {
		last = []byte("1")
	}
	return append(appendRef([][]byte{blockMarker}, s.blockRef(c)), last)
}

// isChunkMarker reports whether args is a chunk's marker.
func isChunkMarker(args [][]byte) bool {
	return len(args) == 5 && bytes.Equal(args[0], blockMarker)
}

// adoptChunk makes internal client c run the chunk its marker args names
// (runBlocking reads it) and answers the marker +OK.
func (c *Client) adoptChunk(args [][]byte) {
	if ref, ok := parseRef(args[1:4]); ok {
		rs := c.routeState()
		rs.blockRef, rs.blockLast = ref, string(args[4]) == "1"
	}
	c.reply.OK()
}

// isChunkCancel reports whether cmds is a cancel batch.
func isChunkCancel(cmds [][][]byte) bool {
	return len(cmds) == 1 && len(cmds[0]) == 4 && bytes.Equal(cmds[0][0], blockCancelMarker)
}

// answerChunkCancel drops the chunk or reservation a cancel batch names.
func (s *Server) answerChunkCancel(args [][]byte) [][]byte {
	ref, ok := parseRef(args[1:])
	if !ok {
		return [][]byte{[]byte("-ERR bad block reference\r\n")}
	}
	// Remembered for a while, so a chunk still on its way is refused.
	s.blocked.Cancel(ref, time.Now().Add(blockChunk()+forwardTimeout).UnixNano())
	s.expireReservations(blockChunk() + forwardTimeout)
	return [][]byte{[]byte("+OK\r\n")}
}

// cancelOnGone watches c's connection while a chunk of its blocking
// command is forwarded to owner: when the peer leaves, it cancels the call
// (cancel) and tells owner to drop the chunk. stop ends the watch; the
// goroutine it starts is owned by the forwarding call and ends at stop or
// once the cancel batch is sent.
func (s *Server) cancelOnGone(c *Client, owner ring.NodeID, cancel context.CancelFunc) (stop func()) {
	gone := c.watchGone()
	if gone == nil {
		return func() {}
	}
	done := make(chan struct{})
	ref := s.blockRef(c)
	go func() {
		select {
		case <-gone:
		case <-done:
			return
		}
		cancel()
		ctx, cc := context.WithTimeout(context.Background(), forwardTimeout)
		defer cc()
		if _, err := s.cluster.ForwardBatch(ctx, owner, false, [][][]byte{appendRef([][]byte{blockCancelMarker}, ref)}); err != nil {
			s.log.Debug("cancel a forwarded blocking command", "to", owner, "err", err)
		}
	}()
	return func() { close(done) }
}

// watchGone returns the channel closed when c's peer leaves, watching the
// connection from the first call until runBlocking ends (nil for an
// internal client).
func (c *Client) watchGone() <-chan struct{} {
	bs := &c.block
	if bs.gone == nil && c.pc != nil && bs.parking {
		bs.gone, bs.stopGone = c.pc.AwaitClose()
	}
	return bs.gone
}

// reserve keeps forwarded waiter w's place for reserveGrace (see the top
// of this file).
func (s *Server) reserve(w *blocking.Waiter) {
	s.blocked.Reserve(w, time.Now().Add(reserveGrace).UnixNano())
	s.expireReservations(reserveGrace)
}

// expireReservations drops the reservations and tombstones whose time ran
// out, after d. The timer's goroutine runs once.
func (s *Server) expireReservations(d time.Duration) {
	time.AfterFunc(d+time.Millisecond, func() { s.blocked.Expire(time.Now().UnixNano()) })
}
