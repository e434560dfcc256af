package cluster

import (
	"log/slog"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// stallAfter is how long a rebalance may go without issuing a table before
// the coordinator says what it is waiting for.
const stallAfter = 10 * time.Second

// rebalanceWait is what a rebalance pass that changed nothing waited for.
type rebalanceWait struct {
	handoffs  int           // slots whose handoff waits for a synced target
	trims     int           // slots whose wanted replicas are not all synced
	migrating int           // slots with a new primary being built
	silent    []ring.NodeID // nodes that did not answer the replica-state call
}

// rebalanceStall notices a rebalance that makes no progress and logs, at
// most once per stallAfter, what it waits for: a stuck transfer, a node
// that does not answer. Owned by the control loop.
type rebalanceStall struct {
	since  time.Time // first pass without progress; zero while progressing
	logged time.Time
}

// observe records one rebalance pass.
func (s *rebalanceStall) observe(logger *slog.Logger, progressed bool, w rebalanceWait) {
	now := time.Now()
	if progressed {
		s.since, s.logged = time.Time{}, time.Time{}
		return
	}
	if s.since.IsZero() {
		s.since = now
		return
	}
	if now.Sub(s.since) < stallAfter || now.Sub(s.logged) < stallAfter {
		return
	}
	s.logged = now
	logger.Warn("rebalance not progressing", "for", now.Sub(s.since).Round(time.Second),
		"handoffs_waiting", w.handoffs, "trims_waiting", w.trims, "migrating", w.migrating,
		"unanswered", w.silent)
}
