// Package lease decides until when a node holds its quorum lease
// (docs/DESIGN.md §4, §5): the probes a majority of the routing table's
// members answered in, a time out. Pure: package cluster sends the probes,
// records the answers and asks Expiry after each change.
//
// Times are durations on one monotonic clock (package cluster measures them
// as time.Since of the node's start time, which Go reads from the
// monotonic clock): the wall clock never enters a lease, so a clock step
// (NTP, an operator) cannot stretch one.
//
// The argument (DESIGN §5 gives the numbers): a member answered a probe
// this node sent at time t, so the two could talk at some moment after t.
// The majority can promote a replica of this node's slots only after its
// failure detector declared this node dead, which takes at least
// ProbeTimeout + SuspicionMult*ProbeInterval after the last moment they
// could talk. A lease that ends L after the newest send time a majority
// answered, with L well under that, ends before any promotion. An answer
// that reports a newer routing table than this node's does not count: that
// member already follows a table this node has not seen (it may name
// another primary for this node's slots), so this node's table is not the
// one in force.
package lease

import (
	"slices"
	"time"

	"github.com/meshcache/meshcache/ring"
)

// Answer is the newest probe one member answered: when this node sent it
// (on the monotonic clock of Expiry's now) and the routing table the
// member reported holding when it answered. Table false: the member did
// not say (a node of an older build echoes the probe); it then counts as
// holding no newer table.
type Answer struct {
	Sent   time.Duration
	Table  bool
	Epoch  uint64
	Issuer ring.NodeID
}

// Record adds answer a to a member's answers, newest first, and returns
// them: at most two are kept, the newest of all and the newest of those
// that reported an older table than it. A member that adopted a newer table
// than this node's then still counts by its last answer from before,
// until that ages out of the lease: a table change does not cost every
// node that learns it a moment later its lease. The answers a member gave
// before this node's table was issued are too old to matter by then.
func Record(have []Answer, a Answer) []Answer {
	switch {
	case len(have) == 0:
		return []Answer{a}
	case sameTable(a, have[0]):
		if a.Sent > have[0].Sent {
			have[0] = a
		}
		return have
	case answerNewer(a, have[0]):
		return []Answer{a, have[0]}
	case len(have) == 1:
		return append(have, a)
	case a.Sent > have[1].Sent:
		have[1] = a
	}
	return have
}

func sameTable(a, b Answer) bool {
	return a.Table == b.Table && a.Epoch == b.Epoch && a.Issuer == b.Issuer
}

// answerNewer reports whether a reported a newer table than b (an answer
// without a table counts as the oldest).
func answerNewer(a, b Answer) bool {
	switch {
	case !a.Table:
		return false
	case !b.Table:
		return true
	}
	return newer(a.Epoch, a.Issuer, b.Epoch, b.Issuer)
}

// Expiry returns until when this node (self) holds its lease under the
// table of epoch and issuer with the given members: the latest time t such
// that a majority of the members answered probes sent at or after t, plus
// l; ok false when no such t exists (no members, or too few answers). self,
// if a member, counts as answering at now. Each other member counts by the
// newest of its answers (Record) that does not report a table newer than
// (epoch, issuer): this node is stale to it. Answers of non-members are
// not counted.
func Expiry(members []ring.NodeID, self ring.NodeID, epoch uint64, issuer ring.NodeID,
	answers map[ring.NodeID][]Answer, now, l time.Duration) (until time.Duration, ok bool) {
	if len(members) == 0 {
		return 0, false
	}
	sent := make([]time.Duration, 0, len(members))
	for _, id := range members {
		if id == self {
			sent = append(sent, now)
			continue
		}
		for _, a := range answers[id] {
			if !a.Table || !newer(a.Epoch, a.Issuer, epoch, issuer) {
				sent = append(sent, a.Sent)
				break
			}
		}
	}
	need := len(members)/2 + 1
	if len(sent) < need {
		return 0, false
	}
	// Newest first: the need-th newest send time is the latest t that
	// need members answered at or after.
	slices.SortFunc(sent, func(a, b time.Duration) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
	return sent[need-1] + l, true
}

// newer reports whether the table (e1, i1) is newer than (e2, i2), by
// ring.Newer's order: the higher epoch, then the higher issuer.
func newer(e1 uint64, i1 ring.NodeID, e2 uint64, i2 ring.NodeID) bool {
	if e1 != e2 {
		return e1 > e2
	}
	return i1 > i2
}

// Held reports whether a lease computed by Expiry is still held at now.
func Held(until time.Duration, ok bool, now time.Duration) bool { return ok && now < until }

// Duration returns the lease length for failure-detection timings: half
// of the shortest suspicion (SuspicionMult probe intervals). The majority
// cannot declare a node dead sooner than ProbeTimeout plus that suspicion
// after it last heard from it, so the lease ends at least ProbeTimeout +
// half a suspicion before the earliest promotion: 0.8 s on the lan
// profile (lease 0.6 s, earliest promotion 1.4 s), 0.4 s on local.
func Duration(probeInterval time.Duration, suspicionMult int) time.Duration {
	return time.Duration(suspicionMult) * probeInterval / 2
}

// ProbeEvery returns how often a node probes the table's members for a
// lease of length l: three rounds per lease, so that one lost or late
// round does not let the lease lapse.
func ProbeEvery(l time.Duration) time.Duration { return l / 3 }
