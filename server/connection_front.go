package server

import (
	"log/slog"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/connection"
	"github.com/meshcache/meshcache/server/events"
)

// The front end's side of the connection commands (package connection:
// PING ECHO QUIT AUTH SELECT HELLO RESET CLIENT READONLY READWRITE
// ASKING): their handlers find the client through the call
// (Call.Connection) as connFront and the node as connNode; the state they
// change stays the Client's, owned as its fields say (client.go).

// Connection gives the connection commands' handlers their client
// (connection.Front).
func (c *Call) Connection() connection.Conn { return (*connFront)(c.Client) }

// connFront is a Client as the connection commands see it
// (connection.Conn; connection.Peer for other connections' CLIENT LIST and
// KILL, which read only its immutable, locked and atomic fields).
type connFront Client

var _ connection.Conn = (*connFront)(nil)

func (cf *connFront) ClientID() uint64              { return cf.ID }
func (cf *connFront) Addrs() (remote, local string) { return cf.addr, cf.laddr }
func (cf *connFront) Type() clientinfo.Type         { return (*Client)(cf).clientType() }
func (cf *connFront) Kill()                         { (*Client)(cf).kill() }
func (cf *connFront) AppendInfo(dst []byte, now time.Time, self bool, args [][]byte) []byte {
	return (*Client)(cf).info(dst, now, self, args)
}
func (cf *connFront) Events() *events.Client   { return &cf.ev }
func (cf *connFront) Proto() int               { return int(cf.resp.Load()) }
func (cf *connFront) SetProto(v int)           { (*Client)(cf).setProto(v) }
func (cf *connFront) Name() string             { return (*Client)(cf).Name() }
func (cf *connFront) SetName(n string)         { (*Client)(cf).setName(n) }
func (cf *connFront) Authenticated() bool      { return cf.authenticated }
func (cf *connFront) SetAuthenticated(ok bool) { cf.authenticated = ok }
func (cf *connFront) CloseAfterReply()         { cf.closeAfterReply = true }
func (cf *connFront) SetNoEvict(on bool)       { cf.noEvict.Store(on) }
func (cf *connFront) SetNoTouch(on bool)       { cf.noTouch.Store(on) }
func (cf *connFront) DiscardMulti()            { (*Client)(cf).discardMulti() }
func (cf *connFront) Node() connection.Node    { return (*connNode)(cf.srv) }

// Redact marks argument i secret for the monitors until the command ends
// (feedMonitor reads c.redacted).
func (cf *connFront) Redact(i int) { cf.redacted = append(cf.redacted, i) }

// SetReadOnly sets READONLY's state, the route's (routeState) and CLIENT
// LIST's flags=r; READWRITE of a connection that never routed changes
// nothing.
func (cf *connFront) SetReadOnly(on bool) {
	if c := (*Client)(cf); on || c.route != nil {
		c.routeState().readonly = on
		c.readOnly.Store(on)
	}
}

func (cf *connFront) SetLib(libName bool, v string) {
	cf.mu.Lock()
	if libName {
		cf.libName = v
	} else {
		cf.libVer = v
	}
	cf.mu.Unlock()
}

func (cf *connFront) Replies() connection.Replies {
	return connection.Replies{Off: cf.replyOff, Skip: cf.replySkip, SkipNext: cf.skipNext}
}

func (cf *connFront) SetReplies(r connection.Replies) {
	cf.replyOff, cf.replySkip, cf.skipNext = r.Off, r.Skip, r.SkipNext
	cf.ev.SetRepliesOff(r.Off)
}

// connNode is a Server as the connection commands see it (connection.Node).
type connNode Server

func (n *connNode) AuthRequired() bool                        { return n.lim.authRequired.Load() }
func (n *connNode) RequirePass() string                       { return (*Server)(n).Config().RequirePass }
func (n *connNode) RedisVersion() string                      { return RedisVersion }
func (n *connNode) Log() *slog.Logger                         { return n.log }
func (n *connNode) Unblock(id uint64, r blocking.Reason) bool { return n.blocked.Unblock(id, r) }

func (n *connNode) Clients() []connection.Peer {
	list := (*Server)(n).clientList()
	peers := make([]connection.Peer, len(list))
	for i, c := range list {
		peers[i] = (*connFront)(c)
	}
	return peers
}
