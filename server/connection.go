package server

import (
	"crypto/subtle"
	"fmt"
	"strconv"
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
		{Name: "ping", Arity: -1, Flags: FlagFast | FlagSubscribedOK, ACL: commands.ACLConnection, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
			Group: "connection", Since: "1.0.0",
			Summary: "Returns the server's liveliness response.", Handler: fe(pingCommand)},
		{Name: "echo", Arity: 2, Flags: FlagFast | FlagLoading | FlagStale, ACL: commands.ACLConnection, Group: "connection", Since: "1.0.0",
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
		if !validClientName(name) {
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

// validClientName: Redis allows printable ASCII without spaces ('!' to '~').
func validClientName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

func clientCommand() *Command {
	sub := func(name string, arity int, flags Flags, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "client|" + name, Arity: arity, Flags: flags | connFlags, ACL: commands.ACLConnection,
			Group: "connection", Since: since, Summary: summary, Handler: fe(h), Help: help}
	}
	nondet := commands.TipNondeterministic
	return &Command{
		Name: "client", Arity: -2, Group: "connection", Since: "2.4.0", Summary: "A container for client connection commands.",
		Subcommands: append([]*Command{
			sub("getname", 2, 0, "2.6.9", "Returns the name of the connection.", func(c *Call) {
				if n := c.Client.Name(); n != "" {
					c.Reply.BulkString(n)
					return
				}
				c.Reply.Null()
			},
				"GETNAME",
				"    Return the name of the current connection."),
			sub("id", 2, 0, "5.0.0", "Returns the unique client ID of the connection.",
				func(c *Call) { c.Reply.Int(int64(c.Client.ID)) },
				"ID",
				"    Return the ID of the current connection."),
			commands.Tipped(sub("info", 2, 0, "6.2.0", "Returns information about the connection.", func(c *Call) {
				c.Reply.Verbatim("txt", string(append(c.Client.info(nil, time.Now(), true, c.Args), '\n')))
			},
				"INFO",
				"    Return information about the current client connection."), nondet),
			sub("kill", -3, FlagAdmin, "2.4.0", "Terminates open connections.", clientKill,
				"KILL <ip:port>",
				"    Kill connection made from <ip:port>.",
				"KILL <option> <value> [<option> <value> [...]]",
				"    Kill connections. Options are:",
				"    * ADDR (<ip:port>|<unixsocket>:0)",
				"      Kill connections made from the specified address",
				"    * LADDR (<ip:port>|<unixsocket>:0)",
				"      Kill connections made to specified local address",
				"    * ID <client-id>",
				"      Kill connections by client id.",
				"    * SKIPME (YES|NO)",
				"      Skip killing current connection (default: yes)."),
			commands.Tipped(sub("list", -2, FlagAdmin, "2.4.0", "Lists open connections.", clientList,
				"LIST [options ...]",
				"    Return information about client connections. Options:",
				"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
				"      Return clients of specified type.",
				"    * ID <client-id> [<client-id> ...]",
				"      Return clients of specified IDs only."), nondet),
			sub("unblock", -3, FlagAdmin, "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", clientUnblock,
				"UNBLOCK <clientid> [TIMEOUT|ERROR]",
				"    Unblock the specified blocked client."),
			sub("setname", 3, 0, "2.6.9", "Sets the connection name.", func(c *Call) {
				if !validClientName(c.Args[2]) {
					c.Reply.Error("ERR Client names cannot contain spaces, newlines or special characters.")
					return
				}
				c.Client.setName(string(c.Args[2]))
				c.Reply.OK()
			},
				"SETNAME <name>",
				"    Assign the name <name> to the current connection."),
			sub("reply", 3, 0, "3.2.0", "Instructs the server whether to reply to commands.", clientReply,
				"REPLY (ON|OFF|SKIP)",
				"    Control the replies sent to the current connection."),
			sub("setinfo", 4, 0, "7.2.0", "Sets information specific to the client or connection.", clientSetInfo,
				"SETINFO <option> <value>",
				"    Set client meta attr. Options are:",
				"    * LIB-NAME: the client lib name.",
				"    * LIB-VER: the client lib version."),
			sub("no-evict", 3, FlagAdmin, "7.0.0", "Sets the client eviction mode of the connection.", func(c *Call) {
				onOff(c, func(b bool) { c.Client.noEvict.Store(b) })
			},
				"NO-EVICT (ON|OFF)",
				"    Protect current client connection from eviction."),
			sub("no-touch", 3, 0, "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", func(c *Call) {
				onOff(c, func(b bool) { c.Client.noTouch.Store(b) })
			},
				"NO-TOUCH (ON|OFF)",
				"    Will not touch LRU/LFU stats when this mode is on."),
			{Name: "client|help", Arity: 2, Flags: FlagLoading | FlagStale, ACL: commands.ACLConnection, Group: "connection",
				Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		}, events.TrackingSubcommands(connFlags)...),
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
	switch strings.ToLower(string(c.Args[2])) {
	case "on":
		set(true)
	case "off":
		set(false)
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	c.Reply.OK()
}

func clientSetInfo(c *Call) {
	opt := strings.ToLower(string(c.Args[2]))
	val := c.Args[3]
	if opt != "lib-name" && opt != "lib-ver" {
		c.Reply.Error("ERR Unrecognized option '" + sanitize(c.Args[2]) + "'")
		return
	}
	if !validClientName(val) && len(val) > 0 {
		c.Reply.Error("ERR " + opt + " cannot contain spaces, newlines or special characters.")
		return
	}
	c.Client.mu.Lock()
	if opt == "lib-name" {
		c.Client.libName = string(val)
	} else {
		c.Client.libVer = string(val)
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
	list := c.Server.clientList()
	add := func(cl *Client) {
		b = append(cl.info(b, now, cl == c.Client, c.Args), '\n')
	}
	if f.ByID {
		byID := make(map[uint64]*Client, len(list))
		for _, cl := range list {
			byID[cl.ID] = cl
		}
		for _, id := range f.IDs {
			if cl := byID[uint64(id)]; id > 0 && cl != nil {
				add(cl)
			}
		}
	} else {
		for _, cl := range list {
			if f.Match(cl.clientType()) {
				add(cl)
			}
		}
	}
	c.Reply.Verbatim("txt", string(b))
}

// clientKill: CLIENT KILL ip:port, or CLIENT KILL <filter> <value> ...
func clientKill(c *Call) {
	me := c.Client
	if len(c.Args) == 3 {
		addr := string(c.Args[2])
		for _, cl := range c.Server.clientList() {
			if cl.addr == addr {
				killClient(me, cl)
				c.Reply.OK()
				return
			}
		}
		c.Reply.Error(errNoSuchClnt)
		return
	}
	if len(c.Args)%2 != 0 {
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	var id uint64
	var addr, laddr, user string
	skipMe := true
	for i := 2; i < len(c.Args); i += 2 {
		val := string(c.Args[i+1])
		switch strings.ToLower(string(c.Args[i])) {
		case "id":
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil || v == 0 {
				c.Reply.Error("ERR client-id should be greater than 0")
				return
			}
			id = v
		case "addr":
			addr = val
		case "laddr":
			laddr = val
		case "user":
			user = val
		case "type":
			switch strings.ToLower(val) {
			case "normal", "master", "replica", "slave", "pubsub":
			default:
				c.Reply.Error("ERR Unknown client type '" + sanitize(c.Args[i+1]) + "'")
				return
			}
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				skipMe = true
			case "no":
				skipMe = false
			default:
				c.Reply.Error(resp.ErrSyntax)
				return
			}
		case "maxage":
			if _, err := strconv.ParseInt(val, 10, 64); err != nil {
				c.Reply.Error(resp.ErrNotInteger)
				return
			}
		default:
			c.Reply.Error(resp.ErrSyntax)
			return
		}
	}
	if user != "" && user != "default" {
		c.Reply.Error("ERR No such user '" + user + "'")
		return
	}
	killed := int64(0)
	for _, cl := range c.Server.clientList() {
		if (id != 0 && cl.ID != id) || (addr != "" && cl.addr != addr) || (laddr != "" && cl.laddr != laddr) {
			continue
		}
		if cl == me && skipMe {
			continue
		}
		killClient(me, cl)
		killed++
	}
	c.Reply.Int(killed)
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
	if len(c.Args) > 4 {
		c.Reply.Error(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLIENT HELP.", c.Args[1]))
		return
	}
	reason := blocking.Timeout
	if len(c.Args) == 4 {
		switch {
		case resp.EqualFold(c.Args[3], "timeout"):
		case resp.EqualFold(c.Args[3], "error"):
			reason = blocking.Error
		default:
			c.Reply.Error("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	id, ok := resp.ParseInt64(c.Args[2])
	if !ok {
		c.Reply.Error("ERR value is not an integer or out of range")
		return
	}
	if id > 0 && c.Server.blocked.Unblock(uint64(id), reason) {
		c.Reply.Int(1)
		return
	}
	c.Reply.Int(0)
}
