package server

import "github.com/meshcache/meshcache/server/events"

// The front end's side of MONITOR (package events keeps the monitors and
// writes their lines). What a node's monitors see, and when, is in
// docs/DESIGN.md §6: Redis's call() rules, each command once, on the node
// its client is connected to. Nobody monitoring costs one atomic load.

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
	} else if c.block.Parking {
		if c.block.Fed {
			return
		}
		c.block.Fed = true
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
