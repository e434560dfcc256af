package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/meshcache/meshcache/cluster/events"
	"github.com/meshcache/meshcache/cluster/plan"
	"github.com/meshcache/meshcache/cluster/transport"
	"github.com/meshcache/meshcache/ring"
)

// The cluster view (docs/DESIGN.md §9): any node's admin port shows every
// member's figures. It asks each member for its report over the cluster
// port (transport.KindReport); the report is opaque to this package, made
// by the layer above that owns the figures (server/admin: keys, memory,
// ops/s, latency, and this node's recent events), so the cluster layer
// carries it without knowing the front end.

// Reporter makes this node's report for a peer's cluster view.
type Reporter interface {
	// Report returns the report, or an error if there is none to give.
	Report() ([]byte, error)
}

// noReport is the Reporter of a node whose admin port does not report: it
// answers every ask with an error the asker shows.
type noReport struct{}

func (noReport) Report() ([]byte, error) { return nil, errNoReporter }

var errNoReporter = fmt.Errorf("this node makes no report (no admin port)")

// reporterBox holds a Reporter in an atomic.Pointer (interfaces cannot be
// stored in one directly).
type reporterBox struct{ r Reporter }

// SetReporter makes r the reporter behind this node's answers to
// KindReport; nil restores the null one. Safe at any time.
func (n *Node) SetReporter(r Reporter) {
	if r == nil {
		r = noReport{}
	}
	n.reporter.Store(&reporterBox{r})
}

func (n *Node) currentReporter() Reporter {
	if b := n.reporter.Load(); b != nil {
		return b.r
	}
	return noReport{}
}

// AskReport asks member id for its report. ctx must carry a deadline (the
// view's); an unreachable or dead member is an error, which the view shows.
func (n *Node) AskReport(ctx context.Context, id ring.NodeID) ([]byte, error) {
	if id == n.id {
		return n.currentReporter().Report()
	}
	addr, err := n.addrOf(id)
	if err != nil {
		return nil, fmt.Errorf("report of %s: %w", id, err)
	}
	b, err := n.client.Call(ctx, addr, transport.KindReport, nil)
	if err != nil {
		return nil, fmt.Errorf("report of %s: %w", id, err)
	}
	return b, nil
}

// handleReport answers KindReport with this node's report.
func (n *Node) handleReport(_ context.Context, _ string, _, reply []byte) ([]byte, error) {
	b, err := n.currentReporter().Report()
	if err != nil {
		return nil, err
	}
	return append(reply, b...), nil
}

// Events returns the cluster events recorded at this node, oldest first.
func (n *Node) Events() []events.Event { return n.events.Recent() }

// record adds an event about node id (empty: the cluster) at now.
func (n *Node) record(kind events.Kind, id ring.NodeID, epoch uint64, format string, args ...any) {
	n.events.Record(events.Event{At: time.Now(), Kind: kind, Node: string(id), Epoch: epoch,
		Text: fmt.Sprintf(format, args...)})
}

// recordLiveness records a member's change of liveness when this node is
// the coordinator, so that one node, not every node, tells of it. A member
// that was draining left; any other stopped answering.
func (n *Node) recordLiveness(meta Meta, alive bool) {
	id, addr := meta.ID, meta.ClientAddr
	if id == n.id || coordinatorIn(n.see()).ID != n.id {
		return
	}
	switch {
	case alive:
		n.record(events.Recover, id, 0, "node %s at %s is alive again", events.Short(id), addr)
	case meta.State == StateDraining:
		n.record(events.Left, id, 0, "node %s at %s drained and left the cluster", events.Short(id), addr)
	default:
		n.record(events.Failed, id, 0, "node %s at %s failed (no answer to gossip)", events.Short(id), addr)
	}
}

// recordStep records a routing table this node issued as coordinator: the
// step, and the members it added or removed.
func (n *Node) recordStep(cur, next *ring.Table, s *step) {
	switch s.kind {
	case plan.Failover:
		n.record(events.Failover, "", next.Epoch, "failover: %d slots promoted to their replicas (epoch %d)", s.slots, next.Epoch)
	case plan.Prefer:
		for id, c := range s.preferred {
			if c > 0 {
				n.record(events.Prefer, id, next.Epoch, "CLUSTER FAILOVER: %d slots will move to %s (epoch %d)", c, events.Short(id), next.Epoch)
			}
		}
	default:
		n.record(events.Table, "", next.Epoch, "%s step: routing table epoch %d, %d slots changed owners", s.kind, next.Epoch, s.slots)
	}
	var before []ring.Member
	if cur != nil {
		before = cur.Members()
	}
	for _, e := range events.Membership(before, next.Members(), next.Epoch, time.Now()) {
		n.events.Record(e)
	}
}
