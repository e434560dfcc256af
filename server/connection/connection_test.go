package connection

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshcache/meshcache/server/blocking"
	"github.com/meshcache/meshcache/server/clientinfo"
	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/events"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeConn is a connection and its node as the handlers see them: the
// state the front end keeps, in plain fields.
type fakeConn struct {
	id             uint64
	addr           string
	ev             events.Client
	proto          int
	name, lib, ver string
	authed         bool
	redacted       []int
	closeAfter     bool
	noEvict        bool
	readOnly       bool
	replies        Replies
	discarded      bool
	killed         bool
	node           *fakeNode
	reply          *resp.Reply // the running command's, switched by SetProto as the client's
}

func (f *fakeConn) ClientID() uint64              { return f.id }
func (f *fakeConn) Addrs() (remote, local string) { return f.addr, "127.0.0.1:6379" }
func (f *fakeConn) Type() clientinfo.Type         { return clientinfo.Normal }
func (f *fakeConn) AppendInfo(dst []byte, _ time.Time, self bool, _ [][]byte) []byte {
	dst = strconv.AppendUint(append(dst, "id="...), f.id, 10)
	if self {
		dst = append(dst, " self"...)
	}
	return dst
}
func (f *fakeConn) Kill()                  { f.killed = true }
func (f *fakeConn) Events() *events.Client { return &f.ev }
func (f *fakeConn) Proto() int             { return f.proto }
func (f *fakeConn) SetProto(v int)         { f.proto = v; f.reply.SetRESP3(v == 3) }
func (f *fakeConn) Name() string           { return f.name }
func (f *fakeConn) SetName(n string)       { f.name = n }
func (f *fakeConn) SetLib(libName bool, v string) {
	if libName {
		f.lib = v
	} else {
		f.ver = v
	}
}
func (f *fakeConn) Authenticated() bool      { return f.authed }
func (f *fakeConn) SetAuthenticated(ok bool) { f.authed = ok }
func (f *fakeConn) Redact(i int)             { f.redacted = append(f.redacted, i) }
func (f *fakeConn) CloseAfterReply()         { f.closeAfter = true }
func (f *fakeConn) SetNoEvict(on bool)       { f.noEvict = on }
func (f *fakeConn) SetNoTouch(bool)          {}
func (f *fakeConn) Replies() Replies         { return f.replies }
func (f *fakeConn) SetReplies(r Replies)     { f.replies = r }
func (f *fakeConn) SetReadOnly(on bool)      { f.readOnly = on }
func (f *fakeConn) DiscardMulti()            { f.discarded = true }
func (f *fakeConn) Node() Node               { return f.node }

// Connection makes the fake the call's Conn (Front).
func (f *fakeConn) Connection() Conn { return f }

type fakeNode struct {
	pass    string
	clients []*fakeConn
	blocked map[uint64]bool
}

func (n *fakeNode) AuthRequired() bool   { return n.pass != "" }
func (n *fakeNode) RequirePass() string  { return n.pass }
func (n *fakeNode) RedisVersion() string { return "7.2.4" }
func (n *fakeNode) Log() *slog.Logger    { return slog.New(slog.DiscardHandler) }
func (n *fakeNode) Clients() []Peer {
	out := make([]Peer, len(n.clients))
	for i, c := range n.clients {
		out[i] = c
	}
	return out
}
func (n *fakeNode) Unblock(id uint64, _ blocking.Reason) bool { return n.blocked[id] }

// run runs the command line on f and returns the reply.
func run(t *testing.T, f *fakeConn, line string) string {
	t.Helper()
	var args [][]byte
	for _, a := range strings.Fields(line) {
		args = append(args, []byte(a))
	}
	cmd := find(t, args)
	f.reply = &resp.Reply{}
	f.reply.SetRESP3(f.proto == 3)
	cmd.Handler(&commands.Call{Args: args, Reply: f.reply, Conn: f, Cmd: cmd})
	return string(f.reply.Bytes())
}

func find(t *testing.T, args [][]byte) *commands.Command {
	t.Helper()
	for _, c := range Commands() {
		if c.Name != strings.ToLower(string(args[0])) {
			continue
		}
		if c.Subcommands == nil {
			return c
		}
		for _, sc := range c.Subcommands {
			if sc.Name == c.Name+"|"+strings.ToLower(string(args[1])) {
				return sc
			}
		}
	}
	t.Fatalf("no command %q", args)
	return nil
}

func newConn(id uint64, pass string) *fakeConn {
	f := &fakeConn{id: id, addr: fmt.Sprintf("10.0.0.1:%d", 4000+id), proto: 2, authed: pass == "",
		node: &fakeNode{pass: pass}}
	f.node.clients = []*fakeConn{f}
	return f
}

func TestAuth(t *testing.T) {
	cases := []struct {
		pass, line, want string
		authed           bool
		redacted         []int
	}{
		{"", "AUTH pw", "-" + ErrAuthNoPass + "\r\n", true, []int{1}},
		{"", "AUTH default any", "+OK\r\n", true, []int{1, 2}}, // the default user is nopass
		{"", "AUTH bob any", "-" + ErrWrongPass + "\r\n", true, []int{1, 2}},
		{"pw", "AUTH pw", "+OK\r\n", true, []int{1}},
		{"pw", "AUTH default pw", "+OK\r\n", true, []int{1, 2}},
		{"pw", "AUTH nope", "-" + ErrWrongPass + "\r\n", false, []int{1}},
		{"pw", "AUTH bob pw", "-" + ErrWrongPass + "\r\n", false, []int{1, 2}},
		{"pw", "AUTH a b c", "-" + resp.ErrSyntax + "\r\n", false, nil},
	}
	for _, tc := range cases {
		f := newConn(1, tc.pass)
		assert.Equal(t, tc.want, run(t, f, tc.line), "%q with requirepass %q", tc.line, tc.pass)
		assert.Equal(t, tc.authed, f.authed, tc.line)
		assert.Equal(t, tc.redacted, f.redacted, tc.line)
	}
}

func TestHello(t *testing.T) {
	f := newConn(3, "pw")
	assert.Equal(t, "-"+ErrHelloNoAuth+"\r\n", run(t, f, "HELLO 3"))
	assert.Equal(t, 2, f.proto, "refused: the protocol stays")
	assert.Equal(t, "-"+ErrWrongPass+"\r\n", run(t, f, "HELLO 3 AUTH default nope"))
	assert.Equal(t, []int{3, 4}, f.redacted)
	assert.Equal(t, "-NOPROTO unsupported protocol version\r\n", run(t, f, "HELLO 4"))
	assert.Equal(t, "-ERR Syntax error in HELLO option 'bogus'\r\n", run(t, f, "HELLO 3 bogus"))

	reply := run(t, f, "HELLO 3 AUTH default pw SETNAME app")
	assert.True(t, f.authed)
	assert.Equal(t, 3, f.proto)
	assert.Equal(t, "app", f.name)
	assert.True(t, strings.HasPrefix(reply, "%7\r\n"), reply)
	assert.Contains(t, reply, "$5\r\n7.2.4\r\n")
	assert.Contains(t, reply, ":3\r\n") // proto and id

	assert.Equal(t, "-"+errBadName+"\r\n", run(t, f, "HELLO 2 SETNAME a\x01b"))
	assert.Equal(t, 3, f.proto, "a bad name changes nothing after it")
}

// TestReplyMode: CLIENT REPLY's changes of the reply state, as Redis's
// clientCommand: ON clears everything, OFF sets Off, SKIP sets SkipNext
// unless Off.
func TestReplyMode(t *testing.T) {
	cases := []struct {
		from Replies
		mode string
		want Replies
		ok   bool
	}{
		{Replies{}, "on", Replies{}, true},
		{Replies{Off: true, Skip: true}, "on", Replies{}, true},
		{Replies{}, "off", Replies{Off: true}, true},
		{Replies{Skip: true}, "off", Replies{Off: true, Skip: true}, true},
		{Replies{}, "skip", Replies{SkipNext: true}, true},
		{Replies{Off: true}, "skip", Replies{Off: true}, true},
		{Replies{Off: true}, "maybe", Replies{Off: true}, false},
	}
	for _, tc := range cases {
		got, ok := replyMode(tc.from, tc.mode)
		assert.Equal(t, tc.ok, ok, "%+v %s", tc.from, tc.mode)
		assert.Equal(t, tc.want, got, "%+v %s", tc.from, tc.mode)
	}
	f := newConn(1, "")
	assert.Equal(t, "", run(t, f, "CLIENT REPLY OFF"))
	assert.Equal(t, Replies{Off: true}, f.replies)
	assert.Equal(t, "+OK\r\n", run(t, f, "CLIENT REPLY ON"))
	assert.Equal(t, "-"+resp.ErrSyntax+"\r\n", run(t, f, "CLIENT REPLY LOUD"))
}

// TestReset: RESET's state, and a skip already in force still drops
// RESET's own reply (the front end drops it: Replies.Skip stays).
func TestReset(t *testing.T) {
	f := newConn(1, "pw")
	f.authed, f.proto, f.name, f.noEvict = true, 3, "app", true
	f.replies = Replies{Off: true, Skip: true, SkipNext: true}
	assert.Equal(t, "+RESET\r\n", run(t, f, "RESET"))
	assert.True(t, f.discarded)
	assert.Equal(t, 2, f.proto)
	assert.Equal(t, "", f.name)
	assert.False(t, f.noEvict)
	assert.False(t, f.authed, "a password is set: RESET logs out")
	assert.Equal(t, Replies{Skip: true}, f.replies)
}

func TestClientKillAndList(t *testing.T) {
	me := newConn(1, "")
	other := &fakeConn{id: 2, addr: "10.0.0.2:5000", node: me.node}
	me.node.clients = append(me.node.clients, other)

	assert.Equal(t, "$15\r\nid=1 self\nid=2\n\r\n", run(t, me, "CLIENT LIST"))
	assert.Equal(t, "$15\r\nid=1\nid=2 self\n\r\n", run(t, other, "CLIENT LIST"), "in the node's order")
	assert.Equal(t, "+OK\r\n", run(t, me, "CLIENT SETINFO LIB-NAME redis-py"))
	assert.Equal(t, "redis-py", me.lib)
	assert.Equal(t, ":0\r\n", run(t, me, "CLIENT KILL ID 1"), "SKIPME yes spares the sender")
	assert.False(t, me.closeAfter)
	assert.Equal(t, "+OK\r\n", run(t, me, "CLIENT KILL "+me.addr), "the old form kills the sender too")
	assert.True(t, me.closeAfter, "a client killing itself gets its reply first")
	assert.Equal(t, "-"+ErrNoSuchClnt+"\r\n", run(t, me, "CLIENT KILL 1.2.3.4:5"))
	assert.Equal(t, ":1\r\n", run(t, me, "CLIENT KILL ADDR 10.0.0.2:5000"))
	assert.True(t, other.killed)
}

func TestClientUnblockAndReadOnly(t *testing.T) {
	f := newConn(1, "")
	f.node.blocked = map[uint64]bool{7: true}
	assert.Equal(t, ":1\r\n", run(t, f, "CLIENT UNBLOCK 7 ERROR"))
	assert.Equal(t, ":0\r\n", run(t, f, "CLIENT UNBLOCK 8"))
	assert.Equal(t, "+OK\r\n", run(t, f, "READONLY"))
	assert.True(t, f.readOnly)
	assert.Equal(t, "+OK\r\n", run(t, f, "READWRITE"))
	assert.False(t, f.readOnly)
}

// TestTable: the commands the package holds, each with its handlers.
func TestTable(t *testing.T) {
	var names []string
	for _, c := range Commands() {
		names = append(names, c.Name)
		require.True(t, c.Handler != nil || len(c.Subcommands) > 0, c.Name)
		for _, sc := range c.Subcommands {
			require.NotNil(t, sc.Handler, sc.Name)
		}
	}
	assert.Equal(t, []string{"ping", "echo", "quit", "auth", "select", "hello", "reset", "client", "readonly", "readwrite", "asking"}, names)
}
