package commands

import "strings"

// ACL is a set of Redis ACL categories.
type ACL uint32

// ACL categories, in the order Redis lists them.
const (
	ACLKeyspace ACL = 1 << iota
	ACLRead
	ACLWrite
	ACLSet
	ACLSortedSet
	ACLList
	ACLHash
	ACLString
	ACLBitmap
	ACLHyperLogLog
	ACLGeo
	ACLStream
	ACLPubSub
	ACLAdmin
	ACLFast
	ACLSlow
	ACLBlocking
	ACLDangerous
	ACLConnection
	ACLTransaction
	ACLScripting
)

var aclNames = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting",
}

// Names returns the categories as "@name", in Redis's order.
func (a ACL) Names() []string {
	var out []string
	for i, n := range aclNames {
		if a&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

// ParseACL returns the category named name (with or without "@", any case).
func ParseACL(name string) (ACL, bool) {
	name = strings.ToLower(strings.TrimPrefix(name, "@"))
	for i, n := range aclNames {
		if n == name {
			return 1 << i, true
		}
	}
	return 0, false
}

// Categories returns the command's ACL categories: its own (c.ACL) plus
// those its flags imply, as Redis's setImplicitACLCategories adds them.
func (c *Command) Categories() ACL {
	a := c.ACL
	if c.Flags&FlagWrite != 0 {
		a |= ACLWrite
	}
	if c.Flags&FlagReadOnly != 0 && a&ACLScripting == 0 {
		a |= ACLRead
	}
	if c.Flags&FlagAdmin != 0 {
		a |= ACLAdmin | ACLDangerous
	}
	if c.Flags&FlagPubSub != 0 {
		a |= ACLPubSub
	}
	if c.Flags&FlagFast != 0 {
		a |= ACLFast
	}
	if c.Flags&FlagBlocking != 0 {
		a |= ACLBlocking
	}
	if a&ACLFast == 0 {
		a |= ACLSlow
	}
	return a
}

// Command tips, as COMMAND INFO reports them.
const (
	TipNondeterministic      = "nondeterministic_output"
	TipNondeterministicOrder = "nondeterministic_output_order"
	TipAllNodes              = "request_policy:all_nodes"
	TipAllShards             = "request_policy:all_shards"
	TipMultiShard            = "request_policy:multi_shard"
	TipSpecial               = "request_policy:special"
	TipOneSucceeded          = "response_policy:one_succeeded"
	TipAllSucceeded          = "response_policy:all_succeeded"
	TipAggLogicalAnd         = "response_policy:agg_logical_and"
	TipAggLogicalOr          = "response_policy:agg_logical_or"
	TipAggMin                = "response_policy:agg_min"
	TipAggMax                = "response_policy:agg_max"
	TipAggSum                = "response_policy:agg_sum"
	TipSpecialResponse       = "response_policy:special"
)

// HasTip reports whether the command carries tip.
func (c *Command) HasTip(tip string) bool {
	for _, t := range c.Tips {
		if t == tip {
			return true
		}
	}
	return false
}

// RequestPolicy returns the request_policy tip ("multi_shard" ...), "" for none.
func (c *Command) RequestPolicy() string { return c.policy("request_policy:") }

// ResponsePolicy returns the response_policy tip ("agg_sum" ...), "" for none.
func (c *Command) ResponsePolicy() string { return c.policy("response_policy:") }

func (c *Command) policy(prefix string) string {
	for _, t := range c.Tips {
		if p, ok := strings.CutPrefix(t, prefix); ok {
			return p
		}
	}
	return ""
}
