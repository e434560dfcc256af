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

// Expiry returns until when this node (self) holds its lease under the
// table of epoch and issuer with the given members: the latest time t such
// that a majority of the members answered probes sent at or after t
// (answers[id].Sent >= t), plus l; ok false when no such t exists (no
// members, or too few answers). self, if a member, counts as answering
// at now. Answers of non-members are not counted. When any member's newest
// answer reports a table newer than (epoch, issuer), this node is stale and
// holds no lease at all, whatever the others answered: a member that is
// as stale as this node (it has not adopted the newer table either) must
// not lend it a majority (issue 18, cause 3).
func Expiry(members []ring.NodeID, self ring.NodeID, epoch uint64, issuer ring.NodeID,
	answers map[ring.NodeID]Answer, now, l time.Duration) (until time.Duration, ok bool) {
	if len(members) == 0 {
		return 0, false
	}
	for _, a := range answers {
		if a.Table && newer(a.Epoch, a.Issuer, epoch, issuer) {
			return 0, false
		}
	}
	sent := make([]time.Duration, 0, len(members))
	for _, id := range members {
		if id == self {
			sent = append(sent, now)
			continue
		}
		if a, answered := answers[id]; answered {
			sent = append(sent, a.Sent)
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
