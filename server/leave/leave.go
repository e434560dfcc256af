// Package leave is a node's leaving of the cluster (docs/DESIGN.md §5):
// SHUTDOWN, CLUSTER LEAVE and the binary's SIGTERM path drain the node
// first: it keeps serving while the coordinator hands every slot it leads
// to another node and gives its replica roles away (cluster.Node.Leave);
// then it leaves the gossip and the server stops. The drain is bounded by
// DrainTimeout; past it the node leaves anyway (its slots fail over to
// their replicas) and says so in the log. The leave runs once per process,
// whoever asks first; later callers wait for it (Once).
package leave

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshcache/meshcache/cluster/replinfo"
)

// DrainTimeout bounds the drain before a node leaves.
const DrainTimeout = 60 * time.Second

// Node is what the leave asks of the node's membership
// (membership.ReplicationStats and membership.Leaver).
type Node interface {
	// ReplicationInfo describes what the node leads and replicates (the
	// drain's log).
	ReplicationInfo() replinfo.Info
	// Leave drains the node (hands off its slots), leaves the gossip and
	// closes the node.
	Leave(ctx context.Context) error
}

// Once makes the leave happen once. The zero value is ready.
type Once struct {
	draining atomic.Bool // a leave started (INFO)

	mu   sync.Mutex    // guards done, err
	done chan struct{} // closed when the leave ended; nil before it started
	err  error
}

// Leave drains n and leaves the cluster, once; concurrent and later
// callers wait for the first call and get its result (or ctx's error if
// ctx ends first). ctx bounds the drain: when it ends the node leaves
// without handing off what is left. It runs on the caller's goroutine and
// starts none.
func (l *Once) Leave(ctx context.Context, n Node, log *slog.Logger) error {
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
	info := n.ReplicationInfo()
	log.Info("draining: handing this node's slots to others before leaving the cluster",
		"slots_led", info.LedSlots, "slots_replicated", info.ReplicaSynced+info.ReplicaSyncing)
	err := n.Leave(ctx)
	if err != nil {
		log.Warn("left the cluster without a complete drain", "after", time.Since(start).Round(time.Millisecond), "err", err)
	} else {
		log.Info("drained and left the cluster", "after", time.Since(start).Round(time.Millisecond))
	}
	l.mu.Lock()
	l.err = err
	close(l.done)
	l.mu.Unlock()
	return err
}

// Draining reports whether a leave started.
func (l *Once) Draining() bool { return l.draining.Load() }
