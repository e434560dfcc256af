package replack

import (
	"context"
	"time"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/resp"
)

// WaitCall is what WAIT needs of its connection and node.
type WaitCall struct {
	Writes *Writes // the connection's account
	Node   Node
	// Ctx ends WAIT's blocking (the server's serving context), AtOnce
	// makes it answer without blocking (inside a transaction or a
	// script), Standalone: a node without replicas (it answers 0).
	Ctx        context.Context
	AtOnce     bool
	Standalone bool
}

// Conn is the connection of a WAIT call (commands.Call.Conn): package
// server's Call gives it.
type Conn interface{ WaitCall() WaitCall }

// Commands are the replication commands: WAIT, and WAITAOF (package
// commands: nothing is persisted).
func Commands() []*commands.Command {
	return []*commands.Command{
		{Name: "wait", Arity: 3, ACL: commands.ACLConnection, Tips: []string{commands.TipAllShards, commands.TipAggMin},
			Group: "generic", Since: "3.0.0",
			Summary: "Blocks until the asynchronous replication of all preceding write commands sent by the connection is completed.",
			Handler: waitCommand},
		commands.WaitAOFCommand(), // commands/servercmds.go
	}
}

// waitCommand: WAIT numreplicas timeout. It answers how many replicas
// applied the connection's writes (the fewest over the slots written),
// blocking until numreplicas did or timeout milliseconds passed (0 =
// forever). Inside a transaction or a script it answers at once, as
// Redis 7.2 does (a script may call WAIT: no noscript flag). A standalone
// node has no replicas: 0, at once.
func waitCommand(c *commands.Call) {
	want, ok := resp.ParseInt64(c.Args[1])
	if !ok {
		c.Reply.Error(resp.ErrNotInteger)
		return
	}
	timeout, ok := commands.WaitTimeout(c, c.Args[2])
	if !ok {
		return
	}
	wc := c.Conn.(Conn).WaitCall()
	if wc.Standalone {
		c.Reply.Int(0)
		return
	}
	ctx, cancel := context.WithCancel(wc.Ctx)
	defer cancel()
	if wc.AtOnce || want <= 0 {
		cancel() // count what acknowledged so far, without blocking
	} else if timeout > 0 {
		var tcancel context.CancelFunc
		ctx, tcancel = context.WithTimeout(ctx, time.Duration(timeout)*time.Millisecond)
		defer tcancel()
	}
	c.Reply.Int(int64(wc.Writes.Wait(ctx, wc.Node, int(want))))
}
