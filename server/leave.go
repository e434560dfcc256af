package server

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Leaving the cluster (docs/DESIGN.md §5): SHUTDOWN, CLUSTER LEAVE and the
// binary's SIGTERM path drain the node first: it keeps serving while the
// coordinator hands every slot it leads to another node and gives its
// replica roles away (cluster.Node.Leave); then it leaves the gossip and
// the server stops. The drain is bounded by DrainTimeout; past it the node
// leaves anyway (its slots fail over to their replicas) and says so in the
// log. The leave runs once per process, whoever asks first; later callers
// wait for it.

// DrainTimeout bounds the drain before a node leaves.
const DrainTimeout = 60 * time.Second

// leaveState makes the leave happen once.
type leaveState struct {
	draining atomic.Bool // a leave started (INFO)

	mu   sync.Mutex    // guards done, err
	done chan struct{} // closed when the leave ended; nil before it started
	err  error
}

// Leave drains this node and leaves the cluster, once; concurrent and
// later callers wait for the first call and get its result (or ctx's
// error if ctx ends first). ctx bounds the drain: when it ends the node
// leaves without handing off what is left. A standalone server has
// nothing to leave.
func (s *Server) Leave(ctx context.Context) error {
	if s.standalone {
		return nil
	}
	l := &s.repl.leave
	l.mu.Lock()
	if ch := l.done; ch != nil {
		l.mu.Unlock()
		select {
		case <-ch:
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	l.done = make(chan struct{})
	l.mu.Unlock()
	l.draining.Store(true)

	start := time.Now()
	info := s.cluster.ReplicationInfo()
	s.log.Info("draining: handing this node's slots to others before leaving the cluster",
		"slots_led", info.LedSlots, "slots_replicated", info.ReplicaSynced+info.ReplicaSyncing)
	err := s.cluster.Leave(ctx)
	if err != nil {
		s.log.Warn("left the cluster without a complete drain", "after", time.Since(start).Round(time.Millisecond), "err", err)
	} else {
		s.log.Info("drained and left the cluster", "after", time.Since(start).Round(time.Millisecond))
	}
	l.mu.Lock()
	l.err = err
	close(l.done)
	l.mu.Unlock()
	return err
}

// Draining reports whether the node started leaving the cluster.
func (s *Server) Draining() bool { return s.repl.leave.draining.Load() }

// leaveAndStop drains (unless now), leaves the cluster and stops the
// server: SHUTDOWN, and CLUSTER LEAVE in the background.
func (s *Server) leaveAndStop(now bool) {
	ctx, cancel := context.WithTimeout(context.Background(), DrainTimeout)
	if now {
		cancel() // SHUTDOWN NOW|FORCE: leave without handing off; replicas take over
	}
	if err := s.Leave(ctx); err != nil {
		s.log.Debug("leave before shutdown", "err", err)
	}
	cancel()
	s.requestShutdown()
}
