package connection

import (
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/resp"
)

// CLIENT's handlers. The subcommands' table entries and the parsing of
// their arguments are package clientinfo's (TRACKING, TRACKINGINFO,
// GETREDIR and CACHING: package events'); the handlers act on the
// connection (Conn) and, for LIST, KILL and UNBLOCK, on the node's other
// clients (Node).

func clientCommand() *commands.Command {
	return &commands.Command{
		Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.",
		Subcommands: append(clientinfo.Subcommands(clientinfo.Handlers{
			GetName: func(c *commands.Call) {
				if n := conn(c).Name(); n != "" {
					c.Reply.BulkString(n)
					return
				}
				c.Reply.Null()
			},
			ID: func(c *commands.Call) { c.Reply.Int(int64(conn(c).ClientID())) },
			Info: func(c *commands.Call) {
				c.Reply.Verbatim("txt", string(append(conn(c).AppendInfo(nil, time.Now(), true, c.Args), '\n')))
			},
			Kill: clientKill, List: clientList, Unblock: clientUnblock,
			SetName: func(c *commands.Call) {
				if !clientinfo.ValidName(c.Args[2]) {
					c.Reply.Error(errBadName)
					return
				}
				conn(c).SetName(string(c.Args[2]))
				c.Reply.OK()
			},
			Reply: clientReply, SetInfo: clientSetInfo,
			NoEvict: func(c *commands.Call) { onOff(c, conn(c).SetNoEvict) },
			NoTouch: func(c *commands.Call) { onOff(c, conn(c).SetNoTouch) },
		}, connFlags), events.TrackingSubcommands(connFlags)...),
	}
}

// clientReply: CLIENT REPLY ON|OFF|SKIP (replyMode).
func clientReply(c *commands.Call) {
	cn, mode := conn(c), strings.ToLower(string(c.Args[2]))
	r, ok := replyMode(cn.Replies(), mode)
	if !ok {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	cn.SetReplies(r)
	if mode == "on" {
		c.Reply.OK() // OFF and SKIP send no reply
	}
}

func onOff(c *commands.Call, set func(bool)) {
	on, msg := clientinfo.ParseOnOff(c.Args[2])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	set(on)
	c.Reply.OK()
}

func clientSetInfo(c *commands.Call) {
	libName, msg := clientinfo.ParseSetInfo(c.Args[2], c.Args[3])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	conn(c).SetLib(libName, string(c.Args[3]))
	c.Reply.OK()
}

// clientList: CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]].
func clientList(c *commands.Call) {
	f, msg := clientinfo.ParseFilter(c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	cn := conn(c)
	var b []byte
	now := time.Now()
	for _, p := range clientinfo.Chosen(f, cn.Node().Clients(), Peer.ClientID, Peer.Type) {
		b = append(p.AppendInfo(b, now, p.ClientID() == cn.ClientID(), c.Args), '\n')
	}
	c.Reply.Verbatim("txt", string(b))
}

// clientKill: CLIENT KILL ip:port, or CLIENT KILL <filter> <value> ...
// A client killing itself gets its reply first (Conn.CloseAfterReply).
func clientKill(c *commands.Call) {
	f, msg := clientinfo.ParseKill(c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	cn := conn(c)
	killed := int64(0)
	for _, p := range cn.Node().Clients() {
		remote, local := p.Addrs()
		self := p.ClientID() == cn.ClientID()
		if !f.Match(p.ClientID(), remote, local, p.Type(), self) {
			continue
		}
		if self {
			cn.CloseAfterReply()
		} else {
			p.Kill()
		}
		killed++
		if f.Legacy {
			break
		}
	}
	switch {
	case !f.Legacy:
		c.Reply.Int(killed)
	case killed == 0:
		c.Reply.Error(ErrNoSuchClnt)
	default:
		c.Reply.OK()
	}
}

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client parked by a
// blocking command (package blocking) answers as on timeout, or with
// -UNBLOCKED; the reply is 1 if it was parked, else 0.
func clientUnblock(c *commands.Call) {
	id, withError, msg := clientinfo.ParseUnblock(c.Args[1], c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	reason := blocking.Timeout
	if withError {
		reason = blocking.Error
	}
	if id > 0 && conn(c).Node().Unblock(uint64(id), reason) {
		c.Reply.Int(1)
		return
	}
	c.Reply.Int(0)
}
