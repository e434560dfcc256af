package server

import "github.com/meshcache/meshcache/server/events"

// The front end's side of MONITOR (package events keeps the monitors and
// writes their lines; docs/DESIGN.md §6). What a node's monitors see, as
// Redis's call() feeds them:
//   - every command a client connected to this node runs, after it ran
//     (whether it ran here or was forwarded to the slot's leader, split
//     across nodes or answered from a forwarded pipeline batch), with the
//     client's address; a blocking command once, when it first runs;
//   - the commands flagged skip_monitor (EVAL, EVALSHA, FCALL and their
//     _RO forms) before they run, so a script's commands follow it, and
//     the commands a script runs here with the address "lua";
//   - EXEC's queued commands one by one as EXEC runs them, then EXEC;
//   - never admin commands (CONFIG, CLIENT LIST, DEBUG, MONITOR ...),
//     never a command refused before it ran (unknown, arity, NOAUTH,
//     -CROSSSLOT, -MOVED ...), nor a command queued by MULTI;
//   - AUTH's and HELLO AUTH's secrets as "(redacted)" (the handlers mark
//     them, as Redis's redactClientCommandArgument).
// Commands that other nodes forward here run on internal clients and are
// not shown: each command is shown once, on the node its client is
// connected to; so are a forwarded script's commands, which run on the
// slot's leader and are shown nowhere.
// With nobody monitoring, a command pays one atomic load (Monitored).

// monitorFeeds reports whether c's commands are fed to the monitors: a
// client's connection, not an internal client running what another node
// forwarded.
func (c *Client) monitorFeeds() bool { return c.route == nil || !c.route.forwarded }

// feedMonitor shows args, which c (or, in a script's frame, the script)
// ran, to the node's monitors. A blocking command is shown on its first
// run only, not on the runs that follow a wake-up or a forwarded chunk.
func (s *Server) feedMonitor(c *Client, f frame, args [][]byte) {
	if !c.monitorFeeds() {
		return
	}
	addr := c.addr
	if f.script {
		addr = events.ScriptAddr
	} else if c.block.parking {
		if c.block.fed {
			return
		}
		c.block.fed = true
	}
	s.events.Feed(addr, args, c.redacted, &c.ev, f.reply)
}

// feedRan shows a command that ran on another node for c (forwarded, split,
// a pipelined batch's, a forwarded transaction's queued command): as if it
// ran here, but for admin commands, and with the skip_monitor ones (which
// are shown before they run) shown now.
func (s *Server) feedRan(c *Client, e *entry, args [][]byte) {
	if e != nil && e.Flags&FlagAdmin == 0 && s.events.Monitored() {
		s.feedMonitor(c, c.topFrame(), args)
	}
}

// redact marks c's argument i as secret for the monitors (AUTH, HELLO
// AUTH), until the command ends.
func (c *Client) redact(i int) { c.redacted = append(c.redacted, i) }
