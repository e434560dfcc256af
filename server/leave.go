package server

import (
	"context"

	"github.com/meshcache/meshcache/server/leave"
)

// Leaving the cluster: package leave drains the node and leaves, once;
// here the server asks it and stops.

// Leave drains this node and leaves the cluster, once; concurrent and
// later callers wait for the first call and get its result (or ctx's
// error if ctx ends first). ctx bounds the drain: when it ends the node
// leaves without handing off what is left. A standalone server has
// nothing to leave.
func (s *Server) Leave(ctx context.Context) error {
	if s.standalone {
		return nil
	}
	return s.repl.leave.Leave(ctx, &s.cluster, s.log)
}

// Draining reports whether the node started leaving the cluster.
func (s *Server) Draining() bool { return s.repl.leave.Draining() }

// leaveAndStop drains (unless now), leaves the cluster and stops the
// server: SHUTDOWN, and CLUSTER LEAVE in the background.
func (s *Server) leaveAndStop(now bool) {
	ctx, cancel := context.WithTimeout(context.Background(), leave.DrainTimeout)
	if now {
		cancel() // SHUTDOWN NOW|FORCE: leave without handing off; replicas take over
	}
	if err := s.Leave(ctx); err != nil {
		s.log.Debug("leave before shutdown", "err", err)
	}
	cancel()
	s.requestShutdown()
}
