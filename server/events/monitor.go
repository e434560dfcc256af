package events

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// MONITOR (docs/DESIGN.md §6): a connection that sends MONITOR gets, from
// then on, one line per command the node's clients run, as Redis's
// replicationFeedMonitors writes it:
//
//	+<unix seconds>.<microseconds> [<db> <address>] "arg" "arg" ...
//
// The lines travel through the monitor's outbox, as a subscriber's
// messages do, so they never land inside a reply, a slow monitor never
// holds up the command it watches, and client-output-buffer-limit (normal
// class, pubsub when the monitor also subscribed) closes a monitor that
// does not read. The front end decides what is fed and when (the rules of
// Redis's call(): after the command, before it for the commands flagged
// skip_monitor, never admin commands) and calls Feed; with nobody
// monitoring, that costs it one atomic load (Monitored).

const errMonitorDenyBlocking = "ERR MONITOR isn't allowed for DENY BLOCKING client"

// ErrMonitorKeyspace is Redis's refusal of a command that reads or writes
// the keyspace (or may replicate) sent by a monitor, which Redis marks as
// a replica.
const ErrMonitorKeyspace = "ERR Replica can't interact with the keyspace"

// monitors is the node's MONITOR clients. list is copy-on-write: feeders
// load it without a lock; mu serializes the writers (MONITOR, RESET, a
// connection's end). list is nil when nobody monitors.
type monitors struct {
	mu   sync.Mutex
	list atomic.Pointer[[]*Client]
}

// MonitorCommands is MONITOR, for the command table.
func MonitorCommands() []*commands.Command {
	return []*commands.Command{
		{Name: "monitor", Arity: 1, Flags: commands.FlagAdmin | commands.FlagNoScript | commands.FlagLoading | commands.FlagStale,
			Group: "server", Since: "1.0.0", Summary: "Listens for all requests received by the server in real-time.",
			Handler: monitorCommand},
	}
}

// monitorCommand makes the connection a monitor: +OK, then the feed. A
// monitor sending MONITOR again gets no reply, as Redis's; inside EXEC it
// is refused, as Redis refuses a DENY BLOCKING client.
func monitorCommand(c *commands.Call) {
	sess := c.Conn.(Session)
	cl := sess.Events()
	switch {
	case sess.Execing():
		c.Reply.Error(errMonitorDenyBlocking)
		return
	case cl.forwarded:
		c.Reply.Error(errSubscribeForwarded)
		return
	case cl.monitor.Load():
		return
	}
	// Lines fed from now on wait until +OK is in the outbox (outbox.hold).
	cl.outbox().hold()
	cl.hub.addMonitor(cl)
	c.Reply.OK()
}

// Monitor reports whether the client is a monitor (CLIENT LIST flags=O,
// dispatch's keyspace refusal); any goroutine.
func (c *Client) Monitor() bool { return c.monitor.Load() }

// addMonitor adds c to the node's monitors.
func (h *Hub) addMonitor(c *Client) {
	h.mon.mu.Lock()
	defer h.mon.mu.Unlock()
	var next []*Client
	if p := h.mon.list.Load(); p != nil {
		next = append(next, *p...)
	}
	next = append(next, c)
	c.monitor.Store(true)
	h.mon.list.Store(&next)
}

// dropMonitor removes c from the node's monitors (RESET, the connection's
// end); a client that is not one costs one atomic load.
func (c *Client) dropMonitor() {
	if !c.monitor.Load() {
		return
	}
	h := c.hub
	h.mon.mu.Lock()
	defer h.mon.mu.Unlock()
	c.monitor.Store(false)
	p := h.mon.list.Load()
	if p == nil {
		return
	}
	next := make([]*Client, 0, len(*p))
	for _, m := range *p {
		if m != c {
			next = append(next, m)
		}
	}
	if len(next) == 0 {
		h.mon.list.Store(nil)
		return
	}
	h.mon.list.Store(&next)
}

// Monitored reports whether any client of the node monitors: the one
// atomic load a command pays when nobody does.
func (h *Hub) Monitored() bool { return h.mon.list.Load() != nil }

// ArgsFree reports whether none of the hub's features that take a
// command's key or argument slices is on (MONITOR, client tracking by any
// client, keyspace notifications), so that none can hold one past the
// command (the front end then lets the connection reuse its input).
func (h *Hub) ArgsFree() bool {
	return h.mon.list.Load() == nil && !h.tracking.active.Load() && h.notify.Load() == 0
}

// Monitors returns how many clients monitor (INFO, tests).
func (h *Hub) Monitors() int {
	if p := h.mon.list.Load(); p != nil {
		return len(*p)
	}
	return 0
}

// ScriptAddr is the address Redis shows for the commands a script runs.
const ScriptAddr = "lua"

// redactedArg is what a monitor sees in place of a secret argument.
const redactedArg = "(redacted)"

// Feed sends every monitor the line of one command: args as addr (a
// client's host:port, or ScriptAddr) ran them on db 0, the arguments at
// the positions in redacted shown as "(redacted)". The client that ran
// the command, when it monitors too, gets its line in its own reply
// (own) right where Redis writes it: after the command's reply, and
// inside EXEC's among the queued commands' replies. Safe from any
// goroutine (own only from the client's); a no-op when nobody monitors.
func (h *Hub) Feed(addr string, args [][]byte, redacted []int, self *Client, own *resp.Reply) {
	p := h.mon.list.Load()
	if p == nil {
		return
	}
	line := AppendMonitorLine(nil, time.Now(), addr, args, redacted)
	for _, m := range *p {
		switch o := m.outPub.Load(); {
		case m.repliesOff.Load() || o == nil:
		case m == self:
			own.Raw(line)
		default:
			o.deliver(line)
		}
	}
}

// AppendMonitorLine appends the line Redis's replicationFeedMonitors
// writes for one command run at now: "+sec.usec [0 addr] " and the
// arguments quoted as sdscatrepr quotes them, then CRLF.
func AppendMonitorLine(b []byte, now time.Time, addr string, args [][]byte, redacted []int) []byte {
	us := now.UnixMicro()
	b = append(b, '+')
	b = strconv.AppendInt(b, us/1e6, 10)
	b = append(b, '.')
	frac := us % 1e6
	for d := int64(100000); d > 1 && frac < d; d /= 10 {
		b = append(b, '0')
	}
	b = strconv.AppendInt(b, frac, 10)
	b = append(b, " [0 "...)
	b = append(b, addr...)
	b = append(b, "] "...)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		if isRedacted(redacted, i) {
			a = []byte(redactedArg)
		}
		b = AppendRepr(b, a)
	}
	return append(b, '\r', '\n')
}

func isRedacted(redacted []int, i int) bool {
	for _, r := range redacted {
		if r == i {
			return true
		}
	}
	return false
}

// AppendRepr appends s quoted as Redis's sdscatrepr: in double quotes,
// with \\ \" \n \r \t \a \b escaped, other bytes outside printable ASCII
// as \xhh.
func AppendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, ch := range s {
		switch ch {
		case '\\', '"':
			b = append(b, '\\', ch)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if ch >= ' ' && ch <= '~' {
				b = append(b, ch)
			} else {
				b = append(b, '\\', 'x', hex[ch>>4], hex[ch&15])
			}
		}
	}
	return append(b, '"')
}
