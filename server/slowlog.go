package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// Slow log limits, as Redis's slowlog.h.
const (
	slowlogMaxArgc   = 32
	slowlogMaxArgLen = 128
)

// slowlog keeps the most recent commands that ran longer than
// slowlog-log-slower-than (SLOWLOG GET). mu guards every field.
type slowlog struct {
	mu      sync.Mutex
	nextID  int64
	entries []slowEntry // newest first
}

type slowEntry struct {
	id       int64
	at       int64 // unix seconds
	duration int64 // microseconds
	args     []string
	addr     string
	name     string
}

// add records a command, trimming the log to maxLen entries.
func (l *slowlog) add(c *Client, args [][]byte, at time.Time, dur time.Duration, maxLen int) {
	if maxLen <= 0 {
		return
	}
	n := len(args)
	if n > slowlogMaxArgc {
		n = slowlogMaxArgc
	}
	kept := make([]string, n)
	for i := 0; i < n; i++ {
		if i == slowlogMaxArgc-1 && len(args) > slowlogMaxArgc {
			kept[i] = "... (" + strconv.Itoa(len(args)-slowlogMaxArgc+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > slowlogMaxArgLen {
			kept[i] = string(a[:slowlogMaxArgLen]) + "... (" + strconv.Itoa(len(a)-slowlogMaxArgLen) + " more bytes)"
		} else {
			kept[i] = string(a)
		}
	}
	e := slowEntry{at: at.Unix(), duration: int64(dur / time.Microsecond), args: kept, addr: c.addr, name: c.Name()}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.id = l.nextID
	l.nextID++
	l.entries = append(l.entries, slowEntry{})
	copy(l.entries[1:], l.entries)
	l.entries[0] = e
	if len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
}

// get returns up to n newest entries (all when n < 0).
func (l *slowlog) get(n int) []slowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	return append([]slowEntry(nil), l.entries[:n]...)
}

func (l *slowlog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

func (l *slowlog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// trim applies a smaller slowlog-max-len at once.
func (l *slowlog) trim(maxLen int) {
	l.mu.Lock()
	if len(l.entries) > maxLen {
		l.entries = l.entries[:maxLen]
	}
	l.mu.Unlock()
}

// slowlogCommand: SLOWLOG GET [count] | LEN | RESET | HELP.
func slowlogGet(c *Call) {
	n := 10
	if len(c.Args) == 3 {
		v, ok := resp.ParseInt64(c.Args[2])
		if !ok || v < -1 {
			c.Reply.Error("ERR count should be greater than or equal to -1")
			return
		}
		n = int(v)
	}
	entries := c.Server.slowlog.get(n)
	c.Reply.Array(len(entries))
	for _, e := range entries {
		c.Reply.Array(6)
		c.Reply.Int(e.id)
		c.Reply.Int(e.at)
		c.Reply.Int(e.duration)
		c.Reply.Array(len(e.args))
		for _, a := range e.args {
			c.Reply.BulkString(a)
		}
		c.Reply.BulkString(e.addr)
		c.Reply.BulkString(e.name)
	}
}

func slowlogCommands() *Command {
	const f = FlagAdmin | FlagLoading | FlagStale
	return &Command{
		Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12", Summary: "A container for slow log commands.",
		Subcommands: []*Command{
			{Name: "slowlog|get", Arity: -2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the slow log's entries.", Handler: fe(slowlogGet),
				Help: []string{"GET [<count>]",
					"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
					"    Entries are made of:",
					"    id, timestamp, time in microseconds, arguments array, client IP and port,",
					"    client name"}},
			{Name: "slowlog|len", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAggSum, commands.TipNondeterministic},
				Group: "server", Since: "2.2.12", Summary: "Returns the number of entries in the slow log.",
				Handler: fe(func(c *Call) { c.Reply.Int(int64(c.Server.slowlog.len())) }),
				Help:    []string{"LEN", "    Return the length of the slowlog."}},
			{Name: "slowlog|reset", Arity: 2, Flags: f, Tips: []string{commands.TipAllNodes, commands.TipAllSucceeded},
				Group: "server", Since: "2.2.12", Summary: "Clears all entries from the slow log.",
				Handler: fe(func(c *Call) { c.Server.slowlog.reset(); c.Reply.OK() }),
				Help:    []string{"RESET", "    Reset the slowlog."}},
			{Name: "slowlog|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "6.2.0",
				Summary: "Show helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}
