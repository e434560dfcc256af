package connection

import (
	"crypto/subtle"
	"strings"

	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// Redis's errors of the connection commands.
const (
	ErrWrongPass   = "WRONGPASS invalid username-password pair or user is disabled."
	ErrAuthNoPass  = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	ErrNoSuchClnt  = "ERR No such client"
	ErrHelloNoAuth = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	errBadName     = "ERR Client names cannot contain spaces, newlines or special characters."
)

// connFlags are added to the flags of the commands a client must be able
// to send in any state (loading, stale, not from a script).
const connFlags = commands.FlagNoScript | commands.FlagLoading | commands.FlagStale

// Commands returns the connection commands' table entries, Redis 7.2's
// flags, ACL categories, tips and summaries (CLIENT's subcommands:
// clientinfo.Subcommands and events.TrackingSubcommands).
func Commands() []*commands.Command {
	const (
		fast, subOK, noAuth, busy = commands.FlagFast, commands.FlagSubscribedOK, commands.FlagNoAuth, commands.FlagAllowBusy
		loading, stale, transient = commands.FlagLoading, commands.FlagStale, commands.FlagArgsTransient
		inMulti, secret, acl      = commands.FlagRunsInMulti, commands.FlagSecretArgs, commands.ACLConnection
	)
	return []*commands.Command{
		{Name: "ping", Arity: -1, Flags: fast | subOK | transient, ACL: acl, Tips: []string{commands.TipAllShards, commands.TipAllSucceeded},
			Group: "connection", Since: "1.0.0",
			Summary: "Returns the server's liveliness response.", Handler: ping},
		{Name: "echo", Arity: 2, Flags: fast | loading | stale | transient, ACL: acl, Group: "connection", Since: "1.0.0",
			Summary: "Returns the given string.", Handler: func(c *commands.Call) { c.Reply.Bulk(c.Args[1]) }},
		{Name: "quit", Arity: -1, Flags: fast | subOK | noAuth | busy | connFlags | inMulti, ACL: acl,
			Group: "connection", Since: "1.0.0",
			Summary: "Closes the connection.", Handler: func(c *commands.Call) { c.Reply.OK(); conn(c).CloseAfterReply() }},
		{Name: "auth", Arity: -2, Flags: fast | noAuth | busy | connFlags | secret, ACL: acl,
			Group: "connection", Since: "1.0.0",
			Summary: "Authenticates the connection.", Handler: auth},
		{Name: "select", Arity: 2, Flags: fast | loading | stale, ACL: acl, Group: "connection", Since: "1.0.0",
			Summary: "Changes the selected database.", Handler: selectDB},
		{Name: "hello", Arity: -1, Flags: fast | noAuth | busy | connFlags | secret, ACL: acl,
			Group: "connection", Since: "6.0.0",
			Summary: "Handshakes with the Redis server.", Handler: hello},
		{Name: "reset", Arity: 1, Flags: fast | subOK | noAuth | busy | connFlags | inMulti, ACL: acl,
			Group: "connection", Since: "6.2.0",
			Summary: "Resets the connection.", Handler: reset},
		clientCommand(),
		// READONLY, READWRITE and ASKING are Redis's "cluster" group, but
		// the connection's state: READONLY lets its reads of slots this
		// node replicates in sync run here.
		{Name: "readonly", Arity: 1, Flags: fast | loading | stale, ACL: acl, Group: "cluster", Since: "3.0.0",
			Summary: "Enables read-only queries for a connection to a Redis Cluster replica node.",
			Handler: func(c *commands.Call) { conn(c).SetReadOnly(true); c.Reply.OK() }},
		{Name: "readwrite", Arity: 1, Flags: fast | loading | stale, ACL: acl, Group: "cluster", Since: "3.0.0",
			Summary: "Enables read-write queries for a connection to a Reids Cluster replica node.",
			Handler: func(c *commands.Call) { conn(c).SetReadOnly(false); c.Reply.OK() }},
		// ASKING is accepted for clients that send it; meshcache never
		// answers -ASK (a slot that moves is forwarded).
		{Name: "asking", Arity: 1, Flags: fast, ACL: acl, Group: "cluster", Since: "3.0.0",
			Summary: "Signals that a cluster client is following an -ASK redirect.",
			Handler: func(c *commands.Call) { c.Reply.OK() }},
	}
}

func ping(c *commands.Call) {
	if conn(c).Events().PingSubscribed(c.Reply, c.Args) {
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

// passwordOK reports whether user (nil: not given) and pass log in as the
// default user whose password is want, comparing in constant time.
func passwordOK(want string, user, pass []byte) bool {
	if user != nil && string(user) != "default" {
		return false
	}
	return subtle.ConstantTimeCompare(pass, []byte(want)) == 1
}

// loginOK reports whether user and pass log in on node n, which requires
// a password or not: without one the default user is "nopass", and any
// password works for it.
func loginOK(n Node, required bool, user, pass []byte) bool {
	if !required {
		return string(user) == "default"
	}
	return passwordOK(n.RequirePass(), user, pass)
}

// auth: AUTH [username] password. The secrets are redacted for the
// monitors once the form is known, as Redis's authCommand.
func auth(c *commands.Call) {
	cn := conn(c)
	n := cn.Node()
	required := n.AuthRequired()
	var user, pass []byte
	switch len(c.Args) {
	case 2:
		cn.Redact(1)
		pass = c.Args[1]
		if !required {
			c.Reply.Error(ErrAuthNoPass)
			return
		}
	case 3:
		cn.Redact(1)
		cn.Redact(2)
		user, pass = c.Args[1], c.Args[2]
	default:
		c.Reply.Error(resp.ErrSyntax)
		return
	}
	if !loginOK(n, required, user, pass) {
		if required {
			remote, _ := cn.Addrs()
			n.Log().Warn("authentication failed", "client", cn.ClientID(), "addr", remote)
		}
		c.Reply.Error(ErrWrongPass)
		return
	}
	cn.SetAuthenticated(true)
	c.Reply.OK()
}

// selectDB: SELECT index. There is one database, 0, as on Redis Cluster.
func selectDB(c *commands.Call) {
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

// hello: HELLO [protover [AUTH username password] [SETNAME clientname]].
func hello(c *commands.Call) {
	cn := conn(c)
	n := cn.Node()
	ver := int64(cn.Proto())
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
			cn.Redact(i + 1)
			cn.Redact(i + 2)
			user, pass, hasAuth = c.Args[i+1], c.Args[i+2], true
			i += 2
		case opt == "setname" && more >= 1:
			name, hasName = c.Args[i+1], true
			i++
		default:
			c.Reply.Error("ERR Syntax error in HELLO option '" + resp.OneLine(c.Args[i]) + "'")
			return
		}
	}
	required := n.AuthRequired()
	if hasAuth {
		if !loginOK(n, required, user, pass) {
			c.Reply.Error(ErrWrongPass)
			return
		}
		cn.SetAuthenticated(true)
	}
	if required && !cn.Authenticated() {
		c.Reply.Error(ErrHelloNoAuth)
		return
	}
	if hasName {
		if !clientinfo.ValidName(name) {
			c.Reply.Error(errBadName)
			return
		}
		cn.SetName(string(name))
	}
	cn.SetProto(int(ver))
	r := c.Reply
	r.Map(7)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString(n.RedisVersion())
	r.BulkString("proto")
	r.Int(ver)
	r.BulkString("id")
	r.Int(int64(cn.ClientID()))
	r.BulkString("mode")
	r.BulkString("cluster")
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("modules")
	r.Array(0)
}

// reset: RESET, as Redis 7.2's clearClientConnectionState: out of MULTI
// (the watched keys forgotten), subscriptions, tracking and monitor
// dropped, RESP2, CLIENT NO-EVICT and NO-TOUCH off, replies on (a skip
// already in force still drops RESET's own reply), the name forgotten
// (not lib-name, lib-ver), and authenticated only when no password is set.
func reset(c *commands.Call) {
	cn := conn(c)
	cn.DiscardMulti()
	cn.Events().Reset()
	cn.SetProto(2)
	cn.SetNoEvict(false)
	cn.SetNoTouch(false)
	r := cn.Replies()
	r.Off, r.SkipNext = false, false
	cn.SetReplies(r)
	cn.SetName("")
	cn.SetAuthenticated(!cn.Node().AuthRequired())
	c.Reply.Status("RESET")
}
