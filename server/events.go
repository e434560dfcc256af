package server

import (
	"context"
	"errors"

	"github.com/tidwall/redcon"

	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/events"
)

// The front end's side of package events (docs/DESIGN.md §6): Pub/Sub,
// the outbox and client tracking live there; the front end implements the
// small interfaces events consumes (events.Conn, Session, Clients,
// Command, Cluster) and calls its hooks at fixed points of a command's
// run (handle, callIn, invoke, the forwarding of a tracking client's
// commands in route.go and scatter.go).

// eventsConn is a Client as events sees its connection (events.Conn).
type eventsConn Client

func (c *eventsConn) Write(p []byte) (int, error) { return c.pc.Write(p) }
func (c *eventsConn) Kill()                       { (*Client)(c).kill() }
func (c *eventsConn) RESP3() bool                 { return (*Client)(c).RESP3() }

// Unflushed takes the replies redcon holds for the connection's pipeline
// batch so far (they move into the outbox, keeping their place).
func (c *eventsConn) Unflushed() []byte {
	w := redcon.BaseWriter(c.conn)
	if w == nil {
		return nil
	}
	b := w.Buffer()
	w.SetBuffer(nil)
	return b
}

// eventsClients is the Server as events finds clients (events.Clients).
type eventsClients Server

func (s *eventsClients) EventsClient(id uint64) *events.Client {
	if c := (*Server)(s).clientByID(id); c != nil {
		return &c.ev
	}
	return nil
}

// Events and Execing make a front-end Call the events.Session of the
// commands of package events.
func (c *Call) Events() *events.Client { return &c.Client.ev }
func (c *Call) Execing() bool          { return c.Client.execing }

// Keys makes a table entry the events.Command client tracking reads keys of.
func (e *entry) Keys(args [][]byte, dst []int) []int { return e.keys(args, dst) }

// clientByID returns the connected client with id, or nil.
func (s *Server) clientByID(id uint64) *Client {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	return s.clients[id]
}

// clearCaching ends CLIENT CACHING's effect after a command e, as Redis's
// resetClient: not inside MULTI, and not after a subcommand of the same
// container as CLIENT CACHING (CLIENT).
func (c *Client) clearCaching(e *entry) {
	if c.multi || (e != nil && e.parent != nil && e.parent.Name == "client") {
		return
	}
	c.ev.ClearCaching()
}

// errEmptyBatch: a node answered a forwarded batch with no reply at all.
var errEmptyBatch = errors.New("empty batch reply")

// forwardTracked forwards cmds to owner as one batch, opened by c's
// tracking marker (events.Hub.Marker) when c tracks; it returns the
// replies of cmds.
func (s *Server) forwardTracked(ctx context.Context, c *Client, owner ring.NodeID, resp3 bool, cmds [][][]byte) ([][]byte, error) {
	m := s.events.Marker(&c.ev)
	if m == nil {
		if len(cmds) == 1 {
			r, err := s.cluster.Forward(ctx, owner, resp3, cmds[0])
			return [][]byte{r}, err
		}
		return s.cluster.ForwardBatch(ctx, owner, resp3, cmds)
	}
	replies, err := s.cluster.ForwardBatch(ctx, owner, resp3, append([][][]byte{m}, cmds...))
	if err != nil {
		return nil, err
	}
	if len(replies) == 0 {
		return nil, errEmptyBatch
	}
	return replies[1:], nil
}

// runInternalFor is runInternal for a part of client c's split command:
// when c tracks, the part's reads are remembered for c.
func (s *Server) runInternalFor(c *Client, resp3 bool, args [][]byte) []byte {
	m := s.events.Marker(&c.ev)
	if m == nil {
		return s.runInternal(resp3, args, nil)
	}
	ic := s.getInternal(resp3)
	ic.ev.ReadFor(&c.ev, m)
	s.dispatch(ic, args)
	if ic.repl.pending() && !s.awaitReplicas(ic) {
		ic.reply.Reset()
		ic.reply.Error(errNotReplicated)
	}
	out := ic.reply.Bytes()
	s.putInternal(ic)
	return out
}

// sameSlot reports whether the arguments at pos (a FlagLocal command's
// shard channels) are all in one slot.
func (s *Server) sameSlot(args [][]byte, pos []int) bool {
	slot := ring.KeySlot(args[pos[0]])
	for _, i := range pos[1:] {
		if ring.KeySlot(args[i]) != slot {
			return false
		}
	}
	return true
}
