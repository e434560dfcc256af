package server

import (
	"github.com/meshcache/meshcache/ring"
	"github.com/meshcache/meshcache/server/watch"
)

// The front end's side of WATCH through any node (package watch, which
// tells how it works and what holds): a client's remote watch is its own
// (Client.rwatch, next to its local watched keys), routeExec opens the
// forwarded EXEC with its check, and the cluster port (ExecuteBatch)
// answers the token requests and runs the checks.

// watchRemote runs WATCH for keys of one slot led by owner (c.slots).
func (s *Server) watchRemote(c *Client, owner ring.NodeID, args [][]byte, single bool) {
	c.ranAway = true
	switch {
	case c.multi:
		c.reply.Error("ERR WATCH inside MULTI is not allowed")
		return
	case !single:
		c.reply.Error(errCrossSlot)
		return
	}
	rw, msg := watch.Watch(s.cluster, c.rwatch, len(c.watchSlots) > 0, owner, c.slots[0], args[1:], c.RESP3())
	if msg != "" {
		c.reply.Error(msg)
		return
	}
	c.rwatch = rw
	c.reply.OK()
}

// checkWatch runs the watch-check marker on the internal client c that
// then runs the forwarded MULTI ... EXEC: the watch's keys are c's
// watched keys, and a broken watch aborts the EXEC.
func (s *Server) checkWatch(c *Client, args [][]byte) {
	slot, broken, ok := watch.Check(s.cluster, s.store, &c.watcher, args)
	if !ok {
		c.reply.Error("ERR bad watch check")
		return
	}
	if broken {
		c.watchBroken = true
	}
	c.watchSlots = append(c.watchSlots, slot)
	c.reply.OK()
}
