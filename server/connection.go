package server

import (
	"crypto/subtle"
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/resp"
)

const (
	errWrongPass   = "WRONGPASS invalid username-password pair or user is disabled."
	errAuthNoPass  = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errNoSuchClnt  = "ERR No such client"
	errHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
)

const connFlags = FlagNoScript | FlagLoading | FlagStale

func connectionCommands() []*Command {
	return []*Command{
		{Name: "ping", Arity: -1, Flags: FlagFast | FlagSubscribedOK | FlagArgsTransient, ACL: commands.ACLConnection, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
			Group: "connection", Since: "1.0.0",
			Summary: "Returns the server's liveliness response.", Handler: fe(pingCommand)},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale | FlagArgsTransient, ACL: commands.ACLConnection, Group: "connection", Since: "1.0.0",
			Summary: "Returns the given string.", Handler: fe(func(c *Call) { c.Reply.Bulk(c.Args[1]) })},
		{Name: "quit", Arity: -1, Flags: FlagFast | FlagSubscribedOK | FlagNoAuth | FlagAllowBusy | connFlags | FlagRunsInMulti, ACL: commands.ACLConnection,
			Group: "connection", Since: "1.0.0",
			Summary: "Closes the connection.", Handler: fe(func(c *Call) { c.Reply.OK(); c.Client.closeAfterReply = true })},
		{Name: "auth", Arity: -2, Flags: FlagFast | FlagNoAuth | FlagAllowBusy | connFlags | FlagSecretArgs, ACL: commands.ACLConnection,
			Group: "connection", Since: "1.0.0",
			Summary: "Authenticates the connection.", Handler: fe(authCommand)},
		{Name: "select", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale, ACL: commands.ACLConnection, Group: "connection", Since: "1.0.0",
			Summary: "Changes the selected database.", Handler: fe(selectCommand)},
		{Name: "hello", Arity: -1, Flags: FlagFast | FlagNoAuth | FlagAllowBusy | connFlags | FlagSecretArgs, ACL: commands.ACLConnection,
			Group: "connection", Since: "6.0.0",
			Summary: "Handshakes with the Redis server.", Handler: fe(helloCommand)},
		{Name: "reset", Arity: 1, Flags: FlagFast | FlagSubscribedOK | FlagNoAuth | FlagAllowBusy | connFlags | FlagRunsInMulti, ACL: commands.ACLConnection,
			Group: "connection", Since: "6.2.0",
			Summary: "Resets the connection.", Handler: fe(resetCommand)},
		clientCommand(),
	}
}

func pingCommand(c *Call) {
	if c.Client.ev.PingSubscribed(c.Reply, c.Args) {
		return
	}
	switch len(c.Args) {
	case 1:
		c.Reply.Status("PONG")
	case 2:
		c.Reply.Bulk(c.Args[1])
	default:
		c.Reply.Error("ERR wrong number of arguments for 'ping' command")
	}
}

// checkPassword compares a password with requirepass in constant time.
func (s *Server) checkPassword(user, pass []byte) bool {
	s.cfgMu.Lock()
	want := s.cfg.RequirePass
	s.cfgMu.Unlock()
	if user != nil && string(user) != "default" {
		return false
	}
	return subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

func authCommand(c *Call) {
	var user, pass []byte
	// The secrets are redacted for the monitors once the form is known,
	// as Redis's authCommand (monitor.go).
	switch len(c.Args) {
	case 2:
		c.Client.redact(1)
		pass = c.Args[1]
		if !c.Server.lim.authRequired.Load() {
			c.Reply.Error(errAuthNoPass)
			return
		}
	case 3:
		c.Client.redact(1)
		c.Client.redact(2)
		user, pass = c.Args[1], c.Args[2]
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if !c.Server.lim.authRequired.Load() {
		// No password: the default user is "nopass"; any password works for it.
		if string(user) != "default" {
			c.Reply.Error(errWrongPass)
			return
		}
		c.Client.authenticated = true
		c.Reply.OK()
		return
	}
	if !c.Server.checkPassword(user, pass) {
		c.Server.log.Warn("authentication failed", "client", c.Client.ID, "addr", c.Client.addr)
		c.Reply.Error(errWrongPass)
		return
	}
	c.Client.authenticated = true
	c.Reply.OK()
}

func selectCommand(c *Call) {
	db, ok := resp.ParseInt64(c.Args[1])
	if !ok || db < -2147483648 || db > 2147483647 {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	if db != 0 {
		c.Reply.Error("ERR DB index is out of range")
		return
	}
	c.Reply.OK()
}

// helloCommand: HELLO [protover [AUTH username password] [SETNAME clientname]].
func helloCommand(c *Call) {
	ver := int64(c.Client.resp.Load())
	if len(c.Args) >= 2 {
		v, ok := resp.ParseInt64(c.Args[1])
		if !ok {
			c.Reply.Error("ERR Protocol version is not an integer or out of range")
			return
		}
		ver = v
		if ver < 2 || ver > 3 {
			c.Reply.Error("NOPROTO unsupported protocol version")
			return
		}
	}
	var user, pass, name []byte
	hasAuth, hasName := false, false
	for i := 2; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch opt := strings.ToLower(string(c.Args[i])); {
		case opt == "auth" && more >= 2:
			c.Client.redact(i + 1)
			c.Client.redact(i + 2)
			user, pass, hasAuth = c.Args[i+1], c.Args[i+2], true
			i += 2
		case opt == "setname" && more >= 1:
			name, hasName = c.Args[i+1], true
			i++
		default:
			c.Reply.Error("ERR Syntax error in HELLO option '" + sanitize(c.Args[i]) + "'")
			return
		}
	}
	if hasAuth {
		if c.Server.lim.authRequired.Load() && !c.Server.checkPassword(user, pass) ||
			!c.Server.lim.authRequired.Load() && string(user) != "default" {
			c.Reply.Error(errWrongPass)
			return
		}
		c.Client.authenticated = true
	}
	if c.Server.lim.authRequired.Load() && !c.Client.authenticated {
		c.Reply.Error(errHelloNoAuth)
		return
	}
	if hasName {
		if !clientinfo.ValidName(name) {
			c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.Client.setName(string(name))
	}
	c.Client.setProto(int(ver))
	r := c.Reply
	r.Map(7)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString(RedisVersion)
	r.BulkString("proto")
	r.Int(ver)
	r.BulkString("id")
	r.Int(int64(c.Client.ID))
	r.BulkString("mode")
	r.BulkString("cluster")
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("modules")
	r.Array(0)
}

func resetCommand(c *Call) {
	cl := c.Client
	cl.discardMulti()
	cl.ev.Reset()
	cl.setProto(2)
	cl.db = 0
	cl.noEvict.Store(false)
	cl.noTouch.Store(false)
	cl.replyOff, cl.skipNext = false, false
	cl.ev.SetRepliesOff(false)
	cl.setName("") // RESET forgets the name (not lib-name, lib-ver), as Redis 7.2
	cl.authenticated = !c.Server.lim.authRequired.Load()
	c.Reply.Status("RESET")
}

func clientCommand() *Command {
	return &Command{
		Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.",
		Subcommands: append(clientinfo.Subcommands(clientinfo.Handlers{
			GetName: fe(func(c *Call) {
				if n := c.Client.Name(); n != "" {
					c.Reply.BulkString(n)
					return
				}
				c.Reply.Null()
			}),
			ID: fe(func(c *Call) { c.Reply.Int(int64(c.Client.ID)) }),
			Info: fe(func(c *Call) {
				c.Reply.Verbatim("txt", string(append(c.Client.info(nil, time.Now(), true, c.Args), '\n')))
			}),
			Kill: fe(clientKill), List: fe(clientList), Unblock: fe(clientUnblock),
			SetName: fe(func(c *Call) {
				if !clientinfo.ValidName(c.Args[2]) {
					c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.")
					return
				}
				c.Client.setName(string(c.Args[2]))
				c.Reply.OK()
			}),
			Reply: fe(clientReply), SetInfo: fe(clientSetInfo),
			NoEvict: fe(func(c *Call) { onOff(c, func(b bool) { c.Client.noEvict.Store(b) }) }),
			NoTouch: fe(func(c *Call) { onOff(c, func(b bool) { c.Client.noTouch.Store(b) }) }),
		}, connFlags), events.TrackingSubcommands(connFlags)...),
	}
}

// clientReply: CLIENT REPLY ON|OFF|SKIP. OFF and SKIP send no reply (the
// dispatcher drops it: handle); SKIP while OFF changes nothing, as Redis.
func clientReply(c *Call) {
	cl := c.Client
	switch strings.ToLower(string(c.Args[2])) {
	case "on":
		cl.replyOff, cl.replySkip, cl.skipNext = false, false, false
		cl.ev.SetRepliesOff(false)
		c.Reply.OK()
	case "off":
		cl.replyOff = true
		cl.ev.SetRepliesOff(true)
	case "skip":
		if !cl.replyOff {
			cl.skipNext = true
		}
	default:
		c.Reply.Error(resp.ErrSyntax)
	}
}

func onOff(c *Call, set func(bool)) {
	on, msg := clientinfo.ParseOnOff(c.Args[2])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	set(on)
	c.Reply.OK()
}

func clientSetInfo(c *Call) {
	libName, msg := clientinfo.ParseSetInfo(c.Args[2], c.Args[3])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	c.Client.mu.Lock()
	if libName {
		c.Client.libName = string(c.Args[3])
	} else {
		c.Client.libVer = string(c.Args[3])
	}
	c.Client.mu.Unlock()
	c.Reply.OK()
}

// clientList: CLIENT LIST [TYPE normal|master|replica|pubsub] [ID id [id ...]].
func clientList(c *Call) {
	f, msg := clientinfo.ParseFilter(c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	var b []byte
	now := time.Now()
	for _, cl := range clientinfo.Chosen(f, c.Server.clientList(), (*Client).id, (*Client).clientType) {
		b = append(cl.info(b, now, cl == c.Client, c.Args), '\n')
	}
	c.Reply.Verbatim("txt", string(b))
}

// clientKill: CLIENT KILL ip:port, or CLIENT KILL <filter> <value> ...
func clientKill(c *Call) {
	f, msg := clientinfo.ParseKill(c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	killed := int64(0)
	for _, cl := range c.Server.clientList() {
		if f.Match(cl.ID, cl.addr, cl.laddr, cl.clientType(), cl == c.Client) {
			killClient(c.Client, cl)
			killed++
			if f.Legacy {
				break
			}
		}
	}
	switch {
	case !f.Legacy:
		c.Reply.Int(killed)
	case killed == 0:
		c.Reply.Error(errNoSuchClnt)
	default:
		c.Reply.OK()
	}
}

// killClient closes target; a client killing itself gets its reply first.
func killClient(me, target *Client) {
	if target == me {
		me.closeAfterReply = true
		return
	}
	target.kill()
}

// clientUnblock is CLIENT UNBLOCK id [TIMEOUT|ERROR]: a client parked by a
// blocking command (blocking.go) answers as on timeout, or with
// -UNBLOCKED; the reply is 1 if it was parked, else 0.
func clientUnblock(c *Call) {
	id, withError, msg := clientinfo.ParseUnblock(c.Args[1], c.Args[2:])
	if msg != "" {
		c.Reply.Error(msg)
		return
	}
	reason := blocking.Timeout
	if withError {
		reason = blocking.Error
	}
	if id > 0 && c.Server.blocked.Unblock(uint64(id), reason) {
		c.Reply.Int(1)
		return
	}
	c.Reply.Int(0)
}
