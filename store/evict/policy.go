package evict

import (
	"fmt"
	"strings"
)

// Policy is a maxmemory eviction policy.
type Policy uint8

// The eight Redis maxmemory policies.
const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

// policyNames are the policies' names as Redis spells them, indexed by Policy.
var policyNames = [...]string{
	NoEviction:     "noeviction",
	AllKeysLRU:     "allkeys-lru",
	AllKeysLFU:     "allkeys-lfu",
	AllKeysRandom:  "allkeys-random",
	VolatileLRU:    "volatile-lru",
	VolatileLFU:    "volatile-lfu",
	VolatileRandom: "volatile-random",
	VolatileTTL:    "volatile-ttl",
}

// PolicyNames returns the eight policy names in Redis's order, for error
// messages such as CONFIG SET's list of accepted values.
func PolicyNames() []string { return append([]string(nil), policyNames[:]...) }

// ParsePolicy parses a policy name as Redis spells it ("allkeys-lru"),
// ignoring case as Redis's CONFIG SET does.
func ParsePolicy(name string) (Policy, error) {
	for i, n := range policyNames {
		if strings.EqualFold(n, name) {
			return Policy(i), nil
		}
	}
	return NoEviction, fmt.Errorf("parse maxmemory policy %q: unknown policy", name)
}

// String returns the policy's Redis name.
func (p Policy) String() string {
	if int(p) < len(policyNames) {
		return policyNames[p]
	}
	return fmt.Sprintf("policy(%d)", uint8(p))
}

// Volatile reports whether p only evicts keys that have a TTL.
func (p Policy) Volatile() bool { return p >= VolatileLRU && p <= VolatileTTL }

// LFU reports whether p ranks keys by access frequency.
func (p Policy) LFU() bool { return p == AllKeysLFU || p == VolatileLFU }

// Random reports whether p evicts a random key instead of ranking samples.
func (p Policy) Random() bool { return p == AllKeysRandom || p == VolatileRandom }
