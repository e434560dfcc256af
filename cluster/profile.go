package cluster

import "github.com/meshcache/meshcache/cluster/profile"

// Profile is a set of gossip and failure-detection timings (package
// profile).
type Profile = profile.Profile

// ProfileByName returns the named timing profile ("lan", "wan" or "local");
// the empty name means lan.
func ProfileByName(name string) (Profile, error) { return profile.ByName(name) }
