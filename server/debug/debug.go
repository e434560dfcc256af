// Package debug is the DEBUG command: the subcommands that tools and test
// suites call, with Redis's replies (debug.c); the ones that need Redis's
// internals (RELOAD, an RDB, the allocator, crashing the process on
// purpose) are refused by name. Like Redis 7 it is protected: the front end
// refuses it unless enable-debug-command allows it for the connection (the
// table's FlagProtected).
package debug

import (
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// Host is what DEBUG needs of its node.
type Host interface {
	// SetActiveExpiry turns the keyspace's active expiry on or off.
	SetActiveExpiry(on bool)
	// Log writes msg to the node's log as a warning.
	Log(msg string)
	// Object is DEBUG OBJECT's line for key (commands.DebugObject); ok is
	// false when the key does not exist, err says why it cannot be
	// described here.
	Object(key []byte) (line string, ok bool, err error)
}

// Conn is how DEBUG's handler finds its node: the call's Conn
// (commands.Call) implements it.
type Conn interface{ DebugHost() Host }

// helpText is DEBUG HELP's text for the subcommands meshcache has.
var helpText = []string{
	"ERROR <string>",
	"    Return a Redis protocol error with <string> as message. Useful for clients",
	"    unit tests to simulate Redis errors.",
	"LOG <message>",
	"    Write <message> to the server log.",
	"OBJECT <key>",
	"    Show low level info about `key` and associated value.",
	"PROTOCOL <type>",
	"    Reply with a test value of the specified type. <type> can be: string,",
	"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
	"    true, false.",
	"SET-ACTIVE-EXPIRE <0|1>",
	"    Setting it to 0 disables expiring keys in background when they are not",
	"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
	"    default.",
	"SLEEP <seconds>",
	"    Stop the server for <seconds>. Decimals allowed.",
}

// refused are Redis's DEBUG subcommands that need what meshcache does
// not have (an RDB or AOF file, jemalloc, Redis's replication IDs and
// encodings) or that crash the process on purpose.
var refused = map[string]bool{
	"reload": true, "loadaof": true, "restart": true, "crash-and-recover": true, "segfault": true,
	"panic": true, "assert": true, "oom": true, "leak": true, "jmap": true, "populate": true,
	"digest": true, "digest-value": true, "change-repl-id": true, "replicate": true, "mallctl": true,
	"mallctl-str": true, "htstats": true, "htstats-key": true, "sdslen": true, "listpack": true,
	"quicklist": true, "quicklist-packed-threshold": true, "stringmatch-test": true, "structsize": true,
	"aof-flush-sleep": true, "set-skip-checksum-validation": true, "set-disable-deny-scripts": true,
	"config-rewrite-force-all": true, "drop-cluster-packet-filter": true, "client-eviction": true,
	"pause-cron": true, "replybuffer": true, "clusterlink": true,
}

// Commands is DEBUG's entry in the command table: not a container in
// Redis's table (COMMAND lists no subcommands), so it dispatches itself.
func Commands() []*commands.Command {
	return []*commands.Command{{Name: "debug", Arity: -2,
		Flags: commands.FlagAdmin | commands.FlagNoScript | commands.FlagLoading | commands.FlagStale | commands.FlagProtected,
		Group: "server", Since: "1.0.0", Summary: "A container for debugging commands.", Handler: command}}
}

func command(c *commands.Call) {
	h := c.Conn.(Conn).DebugHost()
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "help" && n == 2:
		commands.HelpReply(c.Reply, &commands.Command{Name: "debug", Help: helpText})
	case sub == "sleep" && n == 3:
		// Redis stops the whole server; here only this connection waits.
		secs, _ := strconv.ParseFloat(string(c.Args[2]), 64) // strtod: junk is 0
		if d := time.Duration(secs * float64(time.Second)); d > 0 {
			time.Sleep(d)
		}
		c.Reply.OK()
	case sub == "set-active-expire" && n == 3:
		v, _ := strconv.Atoi(string(c.Args[2])) // atoi, as Redis
		h.SetActiveExpiry(v != 0)
		c.Reply.OK()
	case sub == "log" && n == 3:
		h.Log("DEBUG LOG: " + string(c.Args[2]))
		c.Reply.OK()
	case sub == "error" && n == 3:
		c.Reply.Raw([]byte("-" + resp.OneLine(c.Args[2]) + "\r\n"))
	case sub == "object" && n == 3:
		line, ok, err := h.Object(c.Args[2])
		switch {
		case err != nil:
			c.Reply.Error("ERR " + err.Error())
		case !ok:
			c.Reply.Error("ERR no such key")
		default:
			c.Reply.Status(line)
		}
	case sub == "protocol" && n == 3:
		protocol(c.Reply, strings.ToLower(string(c.Args[2])))
	case refused[sub]:
		c.Reply.Error("ERR DEBUG " + strings.ToUpper(sub) + " is not supported by meshcache (docs/COMPATIBILITY.md)")
	default:
		commands.SubcommandSyntaxError(c)
	}
}

// protocol is DEBUG PROTOCOL <type>: one test value of each RESP type.
func protocol(r *resp.Reply, name string) {
	switch name {
	case "string":
		r.BulkString("Hello World")
	case "integer":
		r.Int(12345)
	case "double":
		r.Double(3.141)
	case "bignum":
		if r.RESP3() {
			r.Raw([]byte("(1234567999999999999999999999999999999\r\n"))
		} else {
			r.BulkString("1234567999999999999999999999999999999")
		}
	case "null":
		r.Null()
	case "array", "set":
		if name == "set" {
			r.Set(3)
		} else {
			r.Array(3)
		}
		for j := int64(0); j < 3; j++ {
			r.Int(j)
		}
	case "map":
		r.Map(3)
		for j := int64(0); j < 3; j++ {
			r.Int(j)
			r.Bool(j == 1)
		}
	case "attrib":
		if r.RESP3() {
			r.Raw([]byte("|1\r\n"))
			r.BulkString("key-popularity")
			r.Array(2)
			r.BulkString("key:123")
			r.Int(90)
		}
		r.BulkString("Some real reply following the attribute")
	case "push":
		if !r.RESP3() {
			r.Error("ERR RESP2 is not supported by this command")
			return
		}
		r.Push(2)
		r.BulkString("server-cpu-usage")
		r.Int(42)
		r.BulkString("Some real reply following the push reply")
	case "true", "false":
		r.Bool(name == "true")
	case "verbatim":
		r.Verbatim("txt", "This is a verbatim\nstring")
	default:
		r.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// Allowed reports whether enable-debug-command (setting) lets a client at
// remoteAddr run a protected command: "yes", or "local" and a loopback
// address, as Redis's allowProtectedAction.
func Allowed(setting, remoteAddr string) bool {
	switch setting {
	case "yes":
		return true
	case "local":
		host, _, err := net.SplitHostPort(remoteAddr)
		ip := net.ParseIP(host)
		return err == nil && ip != nil && ip.IsLoopback()
	}
	return false
}

// Refusal is Redis's error for a protected command (name, lower case)
// that the connection may not run.
func Refusal(name string) string {
	return "ERR " + strings.ToUpper(name) + " command not allowed. If the enable-" + name +
		"-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
}
