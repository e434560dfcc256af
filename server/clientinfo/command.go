package clientinfo

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// Handlers are the front end's handlers of CLIENT's subcommands: they touch
// the connection's state, which only the front end has.
type Handlers struct {
	GetName, ID, Info, Kill, List, Unblock, SetName, Reply, SetInfo, NoEvict, NoTouch func(*commands.Call)
}

// Subcommands returns CLIENT's subcommands as Redis 7.2's table has them
// (arity, flags, version, summary, help text), with h's handlers and the
// front end's connection flags added to each.
func Subcommands(h Handlers, flags commands.Flags) []*commands.Command {
	sub := func(name string, arity int, f commands.Flags, since, summary string, hf func(*commands.Call), help ...string) *commands.Command {
		return &commands.Command{Name: "client|" + name, Arity: arity, Flags: f | flags, ACL: commands.ACLConnection,
			Group: "connection", Since: since, Summary: summary, Handler: hf, Help: help}
	}
	nondet, admin := commands.TipNondeterministic, commands.FlagAdmin
	return []*commands.Command{
		sub("getname", 2, 0, "2.6.9", "Returns the name of the connection.", h.GetName,
			"GETNAME", "    Return the name of the current connection."),
		sub("id", 2, 0, "5.0.0", "Returns the unique client ID of the connection.", h.ID,
			"ID", "    Return the ID of the current connection."),
		commands.Tipped(sub("info", 2, 0, "6.2.0", "Returns information about the connection.", h.Info,
			"INFO", "    Return information about the current client connection."), nondet),
		sub("kill", -3, admin, "2.4.0", "Terminates open connections.", h.Kill,
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
		commands.Tipped(sub("list", -2, admin, "2.4.0", "Lists open connections.", h.List,
			"LIST [options ...]",
			"    Return information about client connections. Options:",
			"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
			"      Return clients of specified type.",
			"    * ID <client-id> [<client-id> ...]",
			"      Return clients of specified IDs only."), nondet),
		sub("unblock", -3, admin, "5.0.0", "Unblocks a client blocked by a blocking command from a different connection.", h.Unblock,
			"UNBLOCK <clientid> [TIMEOUT|ERROR]", "    Unblock the specified blocked client."),
		sub("setname", 3, 0, "2.6.9", "Sets the connection name.", h.SetName,
			"SETNAME <name>", "    Assign the name <name> to the current connection."),
		sub("reply", 3, 0, "3.2.0", "Instructs the server whether to reply to commands.", h.Reply,
			"REPLY (ON|OFF|SKIP)", "    Control the replies sent to the current connection."),
		sub("setinfo", 4, 0, "7.2.0", "Sets information specific to the client or connection.", h.SetInfo,
			"SETINFO <option> <value>",
			"    Set client meta attr. Options are:",
			"    * LIB-NAME: the client lib name.",
			"    * LIB-VER: the client lib version."),
		sub("no-evict", 3, admin, "7.0.0", "Sets the client eviction mode of the connection.", h.NoEvict,
			"NO-EVICT (ON|OFF)", "    Protect current client connection from eviction."),
		sub("no-touch", 3, 0, "7.2.0", "Controls whether commands sent by the client affect the LRU/LFU of accessed keys.", h.NoTouch,
			"NO-TOUCH (ON|OFF)", "    Will not touch LRU/LFU stats when this mode is on."),
		{Name: "client|help", Arity: 2, Flags: commands.FlagLoading | commands.FlagStale, ACL: commands.ACLConnection, Group: "connection",
			Since: "5.0.0", Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
	}
}

// ValidName reports whether b may be a client name, lib-name or lib-ver:
// printable ASCII without spaces ('!' to '~'), as Redis's validateClientAttr.
func ValidName(b []byte) bool {
	for _, ch := range b {
		if ch < '!' || ch > '~' {
			return false
		}
	}
	return true
}

// KillFilter is CLIENT KILL's choice of clients.
type KillFilter struct {
	// Legacy: the old form, CLIENT KILL <ip:port> (Addr): exactly one
	// client, -ERR No such client when there is none, +OK otherwise.
	Legacy      bool
	ID          uint64 // 0: any
	Addr, LAddr string // "": any
	Type        Type
	HasType     bool
	SkipMe      bool // spare the connection that sends it (default)
}

// ParseKill reads CLIENT KILL's arguments (after KILL), with Redis's errors.
func ParseKill(args [][]byte) (KillFilter, string) {
	f := KillFilter{SkipMe: true}
	if len(args) == 1 {
		f.Legacy, f.Addr = true, string(args[0])
		return f, ""
	}
	if len(args)%2 != 0 {
		return f, resp.ErrSyntax
	}
	for i := 0; i < len(args); i += 2 {
		val := string(args[i+1])
		switch strings.ToLower(string(args[i])) {
		case "id":
			v, err := strconv.ParseUint(val, 10, 64)
			if err != nil || v == 0 {
				return f, "ERR client-id should be greater than 0"
			}
			f.ID = v
		case "addr":
			f.Addr = val
		case "laddr":
			f.LAddr = val
		case "user":
			if val != "default" {
				return f, "ERR No such user '" + val + "'"
			}
		case "type":
			t, ok := ParseType(args[i+1])
			if !ok {
				return f, "ERR Unknown client type '" + resp.OneLine(args[i+1]) + "'"
			}
			f.Type, f.HasType = t, true
		case "skipme":
			switch strings.ToLower(val) {
			case "yes":
				f.SkipMe = true
			case "no":
				f.SkipMe = false
			default:
				return f, resp.ErrSyntax
			}
		case "maxage":
			if _, err := strconv.ParseInt(val, 10, 64); err != nil {
				return f, resp.ErrNotInteger
			}
		default:
			return f, resp.ErrSyntax
		}
	}
	return f, ""
}

// Match reports whether the client id (remote addr, local laddr, type t)
// is one to kill; self is the connection sending CLIENT KILL.
func (f KillFilter) Match(id uint64, addr, laddr string, t Type, self bool) bool {
	return (f.ID == 0 || f.ID == id) && (f.Addr == "" || f.Addr == addr) && (f.LAddr == "" || f.LAddr == laddr) &&
		(!f.HasType || f.Type == t) && !(self && f.SkipMe && !f.Legacy)
}

// ParseSetInfo reads CLIENT SETINFO's option and value: which attribute
// (libName: LIB-NAME, else LIB-VER), with Redis's errors.
func ParseSetInfo(opt, val []byte) (libName bool, msg string) {
	name := strings.ToLower(string(opt))
	if name != "lib-name" && name != "lib-ver" {
		return false, "ERR Unrecognized option '" + resp.OneLine(opt) + "'"
	}
	if !ValidName(val) && len(val) > 0 {
		return false, "ERR " + name + " cannot contain spaces, newlines or special characters."
	}
	return name == "lib-name", ""
}

// ParseOnOff reads ON or OFF (CLIENT NO-EVICT, NO-TOUCH).
func ParseOnOff(arg []byte) (on bool, msg string) {
	switch {
	case resp.EqualFold(arg, "on"):
		return true, ""
	case resp.EqualFold(arg, "off"):
		return false, ""
	}
	return false, resp.ErrSyntax
}

// ParseUnblock reads CLIENT UNBLOCK's arguments (args[0] is UNBLOCK as
// sent): the client's ID and whether it answers -UNBLOCKED (ERROR) rather
// than as if it timed out, with Redis's errors.
func ParseUnblock(sub []byte, args [][]byte) (id int64, withError bool, msg string) {
	if len(args) > 2 {
		return 0, false, fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%.128s'. Try CLIENT HELP.", sub)
	}
	if len(args) == 2 {
		switch {
		case resp.EqualFold(args[1], "timeout"):
		case resp.EqualFold(args[1], "error"):
			withError = true
		default:
			return 0, false, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
		}
	}
	id, ok := resp.ParseInt64(args[0])
	if !ok {
		return 0, false, "ERR value is not an integer or out of range"
	}
	return id, withError, ""
}
