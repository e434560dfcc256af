// Package ack decides whether a write a primary applied may be acknowledged
// to its client (docs/DESIGN.md §5): the state of one write position in,
// a verdict out. Pure; package cluster gathers the state and waits.
//
// A write position names the lineage of the node's copy of the slot it went
// into: the copy is dropped when a transfer begins, when the slot is no
// longer owned there or when a partial copy of a led slot is found, and
// offsets then start again from another primary's stream, so an offset
// alone cannot say whether a write is still there. A node that lost the
// lead of a slot while a write waited for its replica (a primary cut off by
// a partition that learns, on the heal, that the majority promoted the
// replica) has no replica left to wait for: the write is backed only if a
// replica applied it before, or a handoff found it applied by its target.
// A write in a slot the table in force names no other owner for (replicas
// 0, or a cluster of one) is backed by the local apply only while the node
// holds its quorum lease, judged again at each look: a node paused between
// the apply and the reply finds its lease expired and waits instead of
// acknowledging. A slot whose named replica is still being built (after a
// start, a join or a failover) waits for it: before 2026-12-06 such writes
// were acknowledged on the local apply and died with the node if it failed
// before the replica was built.
// Before 2026-12-04 such a write passed for degraded (no attachment left,
// quorum back) and was acknowledged, then lost (issue 18).
package ack

// State is what the node knows of one write position at one moment.
type State struct {
	Leads   bool // the node leads the slot now
	Lineage bool // the copy the write went into is still the node's copy
	Handed  bool // a handoff found that copy applied by its target past the write
	Synced  int  // synced replicas of the slot, backers owed an ack included
	Applied int  // of them, those that applied the write
	Lease   bool // the node holds its quorum lease now (package lease)
	Listed  int  // other owners the routing table in force names for the slot
}

// Verdict is Judge's decision about one write position.
type Verdict uint8

const (
	Wait     Verdict = iota // not backed yet: wait for a replica
	Done                    // enough synced replicas applied it
	Degraded                // the cluster left the slot no synced replica: backed by the local apply
	Lost                    // not backed and never will be: refuse the acknowledgement
)

func (v Verdict) String() string {
	return [...]string{"wait", "done", "degraded", "lost"}[v]
}

// Judge decides whether a write position is backed, wanting want replicas
// (or all the slot has, when fewer).
func Judge(s State, want int) Verdict {
	switch {
	case !s.Lineage:
		return Lost // the copy it went into was dropped
	case s.Synced > 0 && s.Applied >= min(want, s.Synced):
		return Done
	case s.Handed:
		return Done
	case !s.Leads:
		// The lead moved on without a handoff (a failover): the new
		// primary has what a replica applied, and this write is not
		// among it.
		return Lost
	case s.Synced > 0 || !s.Lease || s.Listed > 0:
		// A replica the table names, even one still being built (its
		// transfer then its stream bring the write), is waited for.
		return Wait
	default:
		return Degraded
	}
}
