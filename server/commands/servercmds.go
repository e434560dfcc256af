package commands

import (
	"strconv"
	"time"

	"github.com/meshcache/meshcache/server/resp"
)

// Server commands that need nothing of the node: TIME, and WAITAOF, which
// the node can only refuse.

// TimeCommand is TIME: the node's clock, seconds and microseconds.
func TimeCommand() *Command {
	return &Command{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Tips: []string{TipNondeterministic},
		Group: "server", Since: "2.6.0", Summary: "Returns the server time.", Handler: func(c *Call) {
			now := time.Now()
			c.Reply.Array(2)
			c.Reply.BulkString(strconv.FormatInt(now.Unix(), 10))
			c.Reply.BulkString(strconv.FormatInt(int64(now.Nanosecond()/1000), 10))
		}}
}

// WaitAOFCommand is WAITAOF (waitAOF).
func WaitAOFCommand() *Command {
	return &Command{Name: "waitaof", Arity: 4, Flags: FlagNoScript, Group: "generic", Since: "7.2.0",
		Summary: "Blocks until all of the preceding write commands sent by the connection are written to the append-only file of the master and/or replicas.",
		Handler: waitAOF}
}

// waitAOF: WAITAOF numlocal numreplicas timeout. meshcache keeps
// no append-only file on any node, so nothing can ever be fsynced: the
// arguments are checked as Redis does, then it answers an error.
func waitAOF(c *Call) {
	for _, a := range c.Args[1:3] {
		v, ok := resp.ParseInt64(a)
		if !ok {
			c.Reply.Error(resp.ErrNotInteger)
			return
		}
		if v < 0 {
			c.Reply.Error("ERR value is out of range, must be positive")
			return
		}
	}
	if _, ok := WaitTimeout(c, c.Args[3]); !ok {
		return
	}
	if v, _ := resp.ParseInt64(c.Args[1]); v > 0 {
		c.Reply.Error("ERR WAITAOF cannot be used when numlocal is set but appendonly is disabled.")
		return
	}
	c.Reply.Error("ERR WAITAOF is not supported: meshcache keeps no append-only file on any node (use WAIT for replica acknowledgements)")
}

// WaitTimeout parses the millisecond timeout of WAIT and WAITAOF, or
// answers Redis's error and reports false.
func WaitTimeout(c *Call, arg []byte) (int64, bool) {
	timeout, ok := resp.ParseInt64(arg)
	switch {
	case !ok:
		c.Reply.Error("ERR timeout is not an integer or out of range")
	case timeout < 0:
		c.Reply.Error("ERR timeout is negative")
	default:
		return timeout, true
	}
	return 0, false
}
