// Package profile holds the cluster's timing profiles: gossip and
// failure-detection timings, the coordinator's tick, node-timeout and the
// rebalance pace, by name (lan, wan, local). Pure data; the cluster node
// applies a profile to its memberlist configuration (Apply).
package profile

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
)

// Profile is a set of gossip and failure-detection timings.
//
// How long a failure takes to detect: a dead node is probed by some peer
// within about one ProbeInterval (every node probes one peer per interval,
// round robin); the probe and the indirect probes fail after ProbeInterval;
// the node is then suspect for SuspicionMult*max(1, log10(n))*ProbeInterval
// (up to SuspicionMaxTimeoutMult times that while no other node confirms the
// suspicion) before it is declared dead and the death is gossiped every
// GossipInterval. With fewer than 10 nodes, detection therefore takes
//
//	ProbeInterval + ProbeInterval + SuspicionMult*ProbeInterval (+ gossip)
//
// which is 0.4+0.4+1.2 = about 2 s for lan (2.8 s when nobody confirms;
// measured on loopback with 3 nodes: dead after 1.8-2.1 s, a routing table
// without the node on every survivor after 1.9-2.3 s),
// 0.2+0.2+0.6 = about 1 s for local, and 5+5+30 = about 40 s for wan.
type Profile struct {
	Name                    string
	ProbeInterval           time.Duration
	ProbeTimeout            time.Duration
	SuspicionMult           int
	SuspicionMaxTimeoutMult int
	GossipInterval          time.Duration
	GossipNodes             int
	GossipToTheDeadTime     time.Duration
	PushPullInterval        time.Duration
	TCPTimeout              time.Duration
	IndirectChecks          int
	RetransmitMult          int

	// RejoinInterval is how often the re-join loop contacts the seeds and
	// every known node that memberlist does not currently see alive.
	RejoinInterval time.Duration
	// CoordinatorInterval is the coordinator's step-loop tick; membership
	// events also wake it at once.
	CoordinatorInterval time.Duration
	// NodeTimeout is how long a node may miss a majority of the routing
	// table's members before it reports no quorum (Redis's node-timeout).
	NodeTimeout time.Duration
	// MigrationInterval is the least time between two rebalance steps:
	// every step is a routing table each node adopts, and a burst of work
	// (handoffs, new transfers), so a rebalance paced this way disturbs
	// clients once per interval, however small its batches.
	MigrationInterval time.Duration
}

// Profiles by name. lan is the default.
var profiles = map[string]Profile{
	"lan": {
		Name:                    "lan",
		ProbeInterval:           400 * time.Millisecond,
		ProbeTimeout:            200 * time.Millisecond,
		SuspicionMult:           3,
		SuspicionMaxTimeoutMult: 2,
		GossipInterval:          100 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     15 * time.Second,
		PushPullInterval:        15 * time.Second,
		TCPTimeout:              5 * time.Second,
		IndirectChecks:          3,
		RetransmitMult:          4,
		RejoinInterval:          5 * time.Second,
		CoordinatorInterval:     time.Second,
		NodeTimeout:             5 * time.Second,
		MigrationInterval:       time.Second,
	},
	"wan": {
		Name:                    "wan",
		ProbeInterval:           5 * time.Second,
		ProbeTimeout:            3 * time.Second,
		SuspicionMult:           6,
		SuspicionMaxTimeoutMult: 6,
		GossipInterval:          500 * time.Millisecond,
		GossipNodes:             4,
		GossipToTheDeadTime:     60 * time.Second,
		PushPullInterval:        60 * time.Second,
		TCPTimeout:              30 * time.Second,
		IndirectChecks:          3,
		RetransmitMult:          4,
		RejoinInterval:          30 * time.Second,
		CoordinatorInterval:     5 * time.Second,
		NodeTimeout:             60 * time.Second,
		MigrationInterval:       time.Second,
	},
	"local": {
		Name:                    "local",
		ProbeInterval:           200 * time.Millisecond,
		ProbeTimeout:            100 * time.Millisecond,
		SuspicionMult:           3,
		SuspicionMaxTimeoutMult: 2,
		GossipInterval:          50 * time.Millisecond,
		GossipNodes:             3,
		GossipToTheDeadTime:     5 * time.Second,
		PushPullInterval:        5 * time.Second,
		TCPTimeout:              2 * time.Second,
		IndirectChecks:          1,
		RetransmitMult:          3,
		RejoinInterval:          500 * time.Millisecond,
		CoordinatorInterval:     200 * time.Millisecond,
		NodeTimeout:             2 * time.Second,
		MigrationInterval:       20 * time.Millisecond,
	},
}

// ByName returns the named timing profile ("lan", "wan" or "local"); the
// empty name means lan.
func ByName(name string) (Profile, error) {
	if name == "" {
		name = "lan"
	}
	p, ok := profiles[name]
	if !ok {
		return Profile{}, fmt.Errorf("unknown cluster profile %q (want lan, wan or local)", name)
	}
	return p, nil
}

// Apply copies the profile's timings onto a memberlist configuration.
func (p Profile) Apply(c *memberlist.Config) {
	c.ProbeInterval = p.ProbeInterval
	c.ProbeTimeout = p.ProbeTimeout
	c.SuspicionMult = p.SuspicionMult
	c.SuspicionMaxTimeoutMult = p.SuspicionMaxTimeoutMult
	c.GossipInterval = p.GossipInterval
	c.GossipNodes = p.GossipNodes
	c.GossipToTheDeadTime = p.GossipToTheDeadTime
	c.PushPullInterval = p.PushPullInterval
	c.TCPTimeout = p.TCPTimeout
	c.IndirectChecks = p.IndirectChecks
	c.RetransmitMult = p.RetransmitMult
}
