package config

import (
	"math"
	"strconv"
)

// The encoding thresholds: Redis 7.2's names, aliases, ranges and
// defaults (config.c), all mutable. The store reads them when each
// command begins (store.Encodings); a collection converts at its next
// write past them, never when they change.
var encodingParams = []*Setting{
	sizeSetting("hash-max-listpack-entries", "hash-max-ziplist-entries", "most fields of a hash in the listpack encoding", false,
		func(c *Config) *int { return &c.Encodings.Hash.Entries }),
	sizeSetting("hash-max-listpack-value", "hash-max-ziplist-value", "longest field or value of a hash in the listpack encoding, bytes", true,
		func(c *Config) *int { return &c.Encodings.Hash.Value }),
	sizeSetting("set-max-intset-entries", "", "most members of a set in the intset encoding", false,
		func(c *Config) *int { return &c.Encodings.Set.Intset }),
	sizeSetting("set-max-listpack-entries", "", "most members of a set in the listpack encoding", false,
		func(c *Config) *int { return &c.Encodings.Set.Entries }),
	sizeSetting("set-max-listpack-value", "", "longest member of a set in the listpack encoding, bytes", false,
		func(c *Config) *int { return &c.Encodings.Set.Value }),
	sizeSetting("zset-max-listpack-entries", "zset-max-ziplist-entries", "most members of a sorted set in the listpack encoding", false,
		func(c *Config) *int { return &c.Encodings.ZSet.Entries }),
	sizeSetting("zset-max-listpack-value", "zset-max-ziplist-value", "longest member of a sorted set in the listpack encoding, bytes", true,
		func(c *Config) *int { return &c.Encodings.ZSet.Value }),
	{name: "list-max-listpack-size", aliases: []string{"list-max-ziplist-size"}, mutable: true,
		usage: "size of a list's listpack and quicklist nodes: -1 to -5 = 4, 8, 16, 32, 64 kb; a positive number = elements",
		set: func(c *Config, v string) error {
			n, err := intRange(v, math.MinInt32, math.MaxInt32)
			if err == nil {
				c.Encodings.List.Fill = int(n)
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.Encodings.List.Fill) }},
	// list-compress-depth is kept and shown but changes nothing: compressing
	// a list's inner nodes trades CPU for memory, a trade meshcache does not
	// make (its nodes are never compressed). Replies do not depend on it;
	// configurations and Redis's test suite that set it run unchanged.
	{name: "list-compress-depth", mutable: true,
		usage: "accepted for compatibility; meshcache never compresses list nodes",
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt32)
			if err == nil {
				c.ListCompressDepth = int(n)
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.ListCompressDepth) }},
}

// sizeSetting is a row for a non-negative size (Redis's size_t configs,
// 0 to LONG_MAX); memory lets it take a unit (1kb), as Redis's MEMORY_CONFIG.
func sizeSetting(name, alias, usage string, memory bool, field func(*Config) *int) *Setting {
	p := &Setting{name: name, usage: usage, mutable: true,
		set: func(c *Config, v string) error {
			var n int64
			var err error
			if memory {
				n, err = memRange(v, 0, math.MaxInt64)
			} else {
				n, err = intRange(v, 0, math.MaxInt64)
			}
			if err == nil {
				*field(c) = int(n)
			}
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(*field(c)) }}
	if alias != "" {
		p.aliases = []string{alias}
	}
	return p
}
