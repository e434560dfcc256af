// Package connection holds the connection commands: PING, ECHO, QUIT,
// AUTH, SELECT, HELLO, RESET, READONLY, READWRITE, ASKING and CLIENT's
// handlers (connection.go, client.go), with Redis 7.2's table entries,
// replies and errors. CLIENT's subcommands' table and argument parsing
// are package clientinfo's, CLIENT TRACKING's and CACHING's package
// events'.
//
// It never sees the Server or the Client: the state these commands read
// and change (authentication, protocol, name, reply mode, read-only mode,
// MULTI) stays the front end's, which implements Conn for its client and
// Node for itself (server/connection_front.go) and passes its per-call
// state in commands.Call.Conn, which implements Front. The decisions (who
// is authenticated, which reply mode follows, whom CLIENT KILL closes)
// are made here.
package connection

import (
	"log/slog"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events"
)

// Front is the front end's state of a call (commands.Call.Conn), which
// finds the connection the command runs for.
type Front interface{ Connection() Conn }

func conn(c *commands.Call) Conn { return c.Conn.(Front).Connection() }

// Conn is the connection a command runs for. Its methods are called on
// the connection's own goroutine, which owns the state they read and
// change; Name, SetName and SetLib take the client's lock, as other
// connections' CLIENT LIST reads those fields (through Peer).
type Conn interface {
	Peer
	// Events is the connection's events state: its subscriptions (PING
	// answers differently while subscribed; RESET drops them), tracking
	// and monitor.
	Events() *events.Client
	// Proto is the protocol the connection speaks, 2 or 3; SetProto
	// switches it (HELLO, RESET).
	Proto() int
	SetProto(v int)
	// Name is the name set with CLIENT SETNAME or HELLO SETNAME ("":
	// none).
	Name() string
	SetName(name string)
	// SetLib sets CLIENT SETINFO's lib-name (libName) or lib-ver.
	SetLib(libName bool, v string)
	// Authenticated reports whether the connection may run commands
	// without the NOAUTH flag while a password is set.
	Authenticated() bool
	SetAuthenticated(ok bool)
	// Redact marks argument i of the running command secret: the
	// monitors see "(redacted)" in its place.
	Redact(i int)
	// CloseAfterReply closes the connection once the running command's
	// reply is written (QUIT, CLIENT KILL of itself).
	CloseAfterReply()
	// SetNoEvict and SetNoTouch set CLIENT NO-EVICT and NO-TOUCH.
	SetNoEvict(on bool)
	SetNoTouch(on bool)
	// Replies is the connection's CLIENT REPLY state; SetReplies replaces
	// it (the pushes of package events follow Replies.Off).
	Replies() Replies
	SetReplies(r Replies)
	// SetReadOnly is READONLY (on) and READWRITE: with it on, the
	// connection's reads of slots this node replicates in sync run here.
	SetReadOnly(on bool)
	// DiscardMulti leaves MULTI, dropping the queued commands, and forgets
	// the watched keys (RESET).
	DiscardMulti()
	// Node is the node the connection is on.
	Node() Node
}

// Peer is a connected client as another connection's CLIENT LIST and
// CLIENT KILL see it: its methods are safe from any goroutine.
type Peer interface {
	ClientID() uint64
	// Addrs are the connection's remote and local host:port.
	Addrs() (remote, local string)
	// Type is the client's type for CLIENT LIST TYPE and CLIENT KILL TYPE.
	Type() clientinfo.Type
	// AppendInfo appends the client's CLIENT LIST line (without the
	// newline) to dst; self: the client is the one running the command,
	// whose arguments are args.
	AppendInfo(dst []byte, now time.Time, self bool, args [][]byte) []byte
	// Kill closes the connection from another goroutine.
	Kill()
}

// Node is the node as the connection commands see it.
type Node interface {
	// AuthRequired reports whether a password is set (requirepass), and
	// RequirePass is that password.
	AuthRequired() bool
	RequirePass() string
	// Clients are the connected clients, in ID order.
	Clients() []Peer
	// Unblock ends the wait of client id, parked by a blocking command,
	// for reason; false: it was not parked.
	Unblock(id uint64, reason blocking.Reason) bool
	// RedisVersion is the Redis version the node reports (HELLO).
	RedisVersion() string
	Log() *slog.Logger
}

// Replies is a connection's CLIENT REPLY state: Off drops every reply
// until CLIENT REPLY ON; Skip drops the reply of the command being run,
// and SkipNext makes the next command's Skip (CLIENT REPLY SKIP). The
// front end drops the replies; only CLIENT REPLY and RESET change it.
type Replies struct{ Off, Skip, SkipNext bool }

// replyMode is CLIENT REPLY's change of r by mode (on, off or skip, lower
// case); ok false: no such mode. OFF and SKIP send no reply themselves,
// ON clears a pending skip (its +OK is sent), and SKIP while OFF changes
// nothing, as Redis.
func replyMode(r Replies, mode string) (next Replies, ok bool) {
	switch mode {
	case "on":
		return Replies{}, true
	case "off":
		r.Off = true
	case "skip":
		if !r.Off {
			r.SkipNext = true
		}
	default:
		return r, false
	}
	return r, true
}
