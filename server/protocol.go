package server

import (
	"net"
	"time"

	"github.com/meshcache/meshcache/server/resp"
)

// The protocol validator of the bytes a client sends is resp.Conn; here is
// what it asks of the server.

// connLimits are the server's protocol limits as one connection's validator
// (resp.Conn) asks them at each read: the configured values, and whether
// this connection's client has yet to authenticate.
type connLimits struct {
	srv    *Server
	client *Client // set by Server.accept before the first Read
}

// IdleTimeout: timeout, which spares subscribers, as Redis does.
func (l *connLimits) IdleTimeout() time.Duration {
	if l.client != nil && l.client.ev.Subscribed() {
		return 0
	}
	return time.Duration(l.srv.lim.timeout.Load())
}
func (l *connLimits) QueryBufLimit() int64 { return l.srv.lim.queryBufLimit.Load() }
func (l *connLimits) MaxBulkLen() int64    { return l.srv.lim.protoMaxBulkLen.Load() }

// Unauthenticated: a password is set and the client has not given it. The
// client's authenticated flag is the connection goroutine's, which is the
// one reading.
func (l *connLimits) Unauthenticated() bool {
	return l.srv.lim.authRequired.Load() && l.client != nil && !l.client.authenticated
}

// protoConn is an accepted connection: its validator and the limits it
// asks.
type protoConn struct {
	*resp.Conn
	lim *connLimits
}

func newProtoConn(c net.Conn, s *Server) *protoConn {
	lim := &connLimits{srv: s}
	return &protoConn{Conn: resp.NewConn(c, lim, &s.stats.netInputBytes, &s.stats.netOutputBytes, s.log), lim: lim}
}
