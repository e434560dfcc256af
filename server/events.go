package server

import (
	"github.com/meshcache/meshcache/server/events"
)

// The front end's side of package events (docs/DESIGN.md §6): Pub/Sub,
// the outbox and client tracking live there; the front end implements the
// small interfaces events consumes (events.Conn, Session, Clients,
// Command, Cluster) and calls its hooks at fixed points of a command's
// run (handle, callIn, invoke); a client's commands are forwarded through
// the Hub (Hub.Forward), which carries the client's tracking identity.

// eventsConn is a Client as events sees its connection (events.Conn).
type eventsConn Client

func (c *eventsConn) Write(p []byte) (int, error) { return c.pc.Write(p) }
func (c *eventsConn) Kill()                       { (*Client)(c).kill() }
func (c *eventsConn) RESP3() bool                 { return (*Client)(c).RESP3() }

// Unflushed takes the replies the connection holds for its batch so far
// (they move into the outbox, keeping their place).
func (c *eventsConn) Unflushed() []byte { return c.pc.Take() }

// eventsClients is the Server as events finds clients (events.Clients).
type eventsClients Server

func (s *eventsClients) EventsClient(id uint64) *events.Client {
	s.clientsMu.Lock()
	defer s.clientsMu.Unlock()
	if c := s.clients[id]; c != nil {
		return &c.ev
	}
	return nil
}

// Events and Execing make a front-end Call the events.Session of the
// commands of package events.
func (c *Call) Events() *events.Client { return &c.Client.ev }
func (c *Call) Execing() bool          { return c.Client.execing }

// clearCaching ends CLIENT CACHING's effect after a command e, as Redis's
// resetClient: not inside MULTI, and not after a subcommand of the same
// container as CLIENT CACHING (CLIENT).
func (c *Client) clearCaching(e *entry) {
	if c.multi || (e != nil && e.Parent != nil && e.Parent.Name == "client") {
		return
	}
	c.ev.ClearCaching()
}
