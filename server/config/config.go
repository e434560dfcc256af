package config

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/store"
	"github.com/meshcache/meshcache/store/evict"
)

// Config is the one configuration of a node. It is filled, in increasing
// order of precedence, from defaults, a redis.conf style file (--config),
// the environment (MESHCACHE_<NAME>, e.g. MESHCACHE_MAXMEMORY) and flags.
// The runtime-tunable fields are changed later with CONFIG SET.
type Config struct {
	// ClusterEnabled: the node runs the cluster layer (gossip, the cluster
	// port, routing, replicas), alone (a one-node cluster) or joining
	// others (Join). Off (--cluster-enabled no), it is a standalone node:
	// no cluster port, Redis's cluster-mode-off semantics (multi-key
	// commands and MULTI across slots), no replicas. Immutable.
	ClusterEnabled bool
	Bind           string   // client address to listen on
	Port           int      // client port
	ClusterPort    int      // gossip / internode port; 0 means Port+10000
	Join           []string // seeds, host:port of their cluster ports
	Replicas       int      // replicas per slot
	ReplicaAck     string   // none, one or all: replicas that must have a write before its reply
	// MinReplicasToWrite refuses writes to a slot with fewer synced live
	// replicas than this (-NOREPLICAS); 0 keeps taking writes, degraded.
	MinReplicasToWrite int
	// MigrationRate bounds the bytes per second slot transfers send; 0 = the cluster's default.
	MigrationRate int64
	// MigrationBatch bounds the slots moving at once; 0 = the cluster's default.
	MigrationBatch int
	// MigrationInterval is the least time between two rebalance steps; 0 = the gossip profile's.
	MigrationInterval time.Duration
	// FailoverEmptyAfter gives a slot with no reachable copy to a live
	// node empty (its data lost) after this long; 0 = never.
	FailoverEmptyAfter time.Duration

	MaxMemory        int64  // bytes; 0 means no limit
	MaxMemoryPolicy  string // a Redis maxmemory policy name
	MaxMemorySamples int    // keys sampled per eviction round

	RequirePass            string // password of the default user; empty means none
	MaxClients             int    // connected clients at most
	ProtoMaxBulkLen        int64  // largest bulk string a client may send, bytes
	HLLSparseMaxBytes      int64  // largest sparse HyperLogLog before it turns dense, bytes
	ClientQueryBufferLimit int64  // largest pending command of a client, bytes
	Timeout                int    // seconds of idleness before a client is closed; 0 = never
	// EventLoops is how many event loops (epoll, Linux) serve client
	// connections; 0 serves each with a goroutine of its own. Immutable.
	EventLoops int
	// OutputLimits is client-output-buffer-limit: how much output a client
	// that does not read may have pending, per class (outbuf.go).
	OutputLimits OutputLimits
	// NotifyKeyspaceEvents is notify-keyspace-events: the classes of
	// keyspace notifications the node publishes (0, the default: none).
	NotifyKeyspaceEvents notify.Class
	// TrackingTableMaxKeys is tracking-table-max-keys: the keys client-side
	// caching remembers at most (0: no limit); past it, keys are
	// forgotten and their readers told to drop them, as Redis does.
	TrackingTableMaxKeys int64

	// Encodings are the collections' encoding thresholds, Redis's
	// hash-max-listpack-entries, list-max-listpack-size,
	// set-max-intset-entries, zset-max-listpack-value and the rest
	// (encodings.go).
	Encodings store.Encodings
	// ReplBacklogSize is repl-backlog-size: accepted and shown, never
	// applied. A node keeps no replication backlog (a replica that falls
	// behind resyncs its slot, DESIGN §5); tools that size Redis's backlog
	// set it, and read back what they set.
	ReplBacklogSize int64
	// ListCompressDepth is list-compress-depth: accepted and shown, never
	// applied (meshcache does not compress list nodes).
	ListCompressDepth int

	SlowlogLogSlowerThan int64 // microseconds; negative disables the slow log
	// LatencyMonitorThreshold: commands at least this many milliseconds
	// long are sampled by the latency monitor (LATENCY); 0 = off.
	LatencyMonitorThreshold int64
	// EnableDebugCommand is enable-debug-command: "no" (Redis 7's
	// default), "yes", or "local" (loopback connections only).
	EnableDebugCommand string
	// EnableModuleCommand is enable-module-command, the same for MODULE
	// LOAD, LOADEX and UNLOAD (which load nothing here: server/module).
	EnableModuleCommand string
	// BusyReplyThreshold: milliseconds a script may run before other
	// clients' commands get -BUSY (busy-reply-threshold, alias
	// lua-time-limit); 0 = never.
	BusyReplyThreshold int64
	SlowlogMaxLen      int // entries kept

	LogLevel        string // debug, info, warn or error
	ClusterRedirect bool   // answer -MOVED instead of forwarding
	// ClusterAllowReadsWhenDown: a node without its quorum lease (cut off
	// from the majority, or paused) still serves reads of its slots from
	// its own copy, possibly stale (Redis's cluster-allow-reads-when-down).
	// Off, the default, such reads get -CLUSTERDOWN.
	ClusterAllowReadsWhenDown bool
	NodeTimeout               time.Duration // 0 means the gossip profile's default
	Gossip                    string        // memberlist timing profile: lan, wan or local
	ClusterKey                string        // base64 gossip encryption key (16, 24 or 32 bytes); empty = plaintext
	AdminAddr                 string        // host:port of the HTTP admin port (health, metrics, status page); empty = off
	AdminToken                string        // credential of the cluster view and actions; empty = RequirePass

	// File is the config file the node was started with ("" if none).
	File string
}

// Default returns the defaults, which match Redis's where Redis has the setting.
func Default() Config {
	return Config{
		ClusterEnabled:         true,
		Bind:                   "127.0.0.1",
		Port:                   6379,
		Replicas:               1,
		ReplicaAck:             "one",
		MaxMemoryPolicy:        "noeviction",
		MaxMemorySamples:       5,
		MaxClients:             10000,
		EventLoops:             runtime.GOMAXPROCS(0),
		ProtoMaxBulkLen:        512 << 20,
		HLLSparseMaxBytes:      3000,
		ClientQueryBufferLimit: 1 << 30,
		OutputLimits:           DefaultOutputLimits,
		TrackingTableMaxKeys:   1_000_000, // Redis's default
		ReplBacklogSize:        1 << 20,   // Redis's default; never applied
		Encodings:              store.DefaultEncodings(),
		SlowlogLogSlowerThan:   10000,
		EnableDebugCommand:     "no",
		EnableModuleCommand:    "no",
		BusyReplyThreshold:     5000,
		SlowlogMaxLen:          128,
		LogLevel:               "info",
		Gossip:                 "lan",
	}
}

// EffectiveClusterPort returns the cluster port, deriving it from Port when unset.
func (c *Config) EffectiveClusterPort() int {
	if c.ClusterPort != 0 {
		return c.ClusterPort
	}
	return c.Port + 10000
}

// EffectiveMigrationInterval returns MigrationInterval, or the gossip
// profile's when it is unset.
func (c *Config) EffectiveMigrationInterval() time.Duration {
	if c.MigrationInterval > 0 {
		return c.MigrationInterval
	}
	return c.profile().MigrationInterval
}

// EffectiveNodeTimeout returns NodeTimeout, or the gossip profile's default
// when it is unset: how long a node may be unreachable before it counts as failed.
func (c *Config) EffectiveNodeTimeout() time.Duration {
	if c.NodeTimeout > 0 {
		return c.NodeTimeout
	}
	return c.profile().NodeTimeout
}

// profile returns the gossip profile's timings; an unknown name (refused
// when the node starts) reads as the default profile's.
func (c *Config) profile() cluster.Profile {
	p, err := cluster.ProfileByName(c.Gossip)
	if err != nil {
		p, _ = cluster.ProfileByName("")
	}
	return p
}

// Addr returns the client address host:port.
func (c *Config) Addr() string { return net.JoinHostPort(c.Bind, strconv.Itoa(c.Port)) }

// Validate checks the settings against each other.
func (c *Config) Validate() error {
	if !c.ClusterEnabled && len(c.Join) > 0 {
		return errors.New("join: a node with cluster-enabled no is standalone and joins no cluster; drop join or set cluster-enabled yes")
	}
	if c.ClusterEnabled && c.ClusterPort == 0 && c.Port+10000 > 65535 { // a standalone node has no cluster port
		return fmt.Errorf("cluster-port: port %d + 10000 is not a valid port; set --cluster-port", c.Port)
	}
	if c.ClusterEnabled && c.ClusterPort != 0 && c.ClusterPort == c.Port && c.Port != 0 {
		return fmt.Errorf("cluster-port %d: must differ from port", c.ClusterPort)
	}
	if c.ClientQueryBufferLimit < c.ProtoMaxBulkLen {
		// Redis accepts this, but then a maximal bulk can never be sent.
		return fmt.Errorf("proto-max-bulk-len %d exceeds client-query-buffer-limit %d", c.ProtoMaxBulkLen, c.ClientQueryBufferLimit)
	}
	return nil
}

// EvictionPolicy returns MaxMemoryPolicy as the store's eviction policy.
func (c *Config) EvictionPolicy() evict.Policy {
	p, err := evict.ParsePolicy(c.MaxMemoryPolicy)
	if err != nil {
		// The table validated the name against policyNames, which are evict's names.
		return evict.NoEviction
	}
	return p
}

// StoreConfig returns the settings of the keyspace engine.
func (c *Config) StoreConfig() store.Config {
	return store.Config{
		MaxMemory:        c.MaxMemory,
		Policy:           c.EvictionPolicy(),
		MaxMemorySamples: c.MaxMemorySamples,
		Encodings:        &c.Encodings,
	}
}

// AckMode is the replica-ack setting, parsed (ParseAckMode).
type AckMode int32

const (
	AckNone AckMode = iota // reply at once (asynchronous replication)
	AckOne                 // reply once one synced replica applied the write
	AckAll                 // reply once every synced replica applied it
)

func (m AckMode) String() string {
	switch m {
	case AckOne:
		return "one"
	case AckAll:
		return "all"
	}
	return "none"
}

// ParseAckMode reads a replica-ack value (none, one or all; anything else
// is none: the setting's parser has refused it already).
func ParseAckMode(s string) AckMode {
	switch s {
	case "one":
		return AckOne
	case "all":
		return AckAll
	}
	return AckNone
}
