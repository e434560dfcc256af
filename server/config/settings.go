package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/server/notify"
	"github.com/meshcache/meshcache/server/resp"
)

// A Setting is one row of the table: its name and aliases, its flag usage
// (empty for the read-only facts at the end of the table, which are no flag,
// environment variable or file setting), how to parse text into a Config,
// how CONFIG GET shows it, and whether CONFIG SET may change it at run time.
type Setting struct {
	name    string
	aliases []string // other names CONFIG GET/SET and the config file accept (Redis's)
	usage   string
	isBool  bool
	mutable bool
	secret  bool // its value is never logged
	// clusterWide: CONFIG SET on one node sets it on every member too
	// (what the cluster's leaders decide together: notify-keyspace-events).
	clusterWide bool
	// redisFixed: Redis itself refuses CONFIG SET of it, to any value
	// (IMMUTABLE_CONFIG). The other settings fixed here take the value
	// they have (see Change).
	redisFixed bool
	// set parses text into cfg; its error text is the CONFIG SET reason.
	set func(cfg *Config, v string) error
	get func(cfg *Config) string
}

// ErrImmutable is Change's answer for a setting that is fixed at start; its
// text is the reason Redis gives in CONFIG SET's error.
var ErrImmutable = errors.New("can't set immutable config")

// Name returns the setting's name (not an alias).
func (p *Setting) Name() string { return p.name }

// Mutable reports whether CONFIG SET may change the setting at run time.
func (p *Setting) Mutable() bool { return p.mutable }

// ClusterWide reports whether CONFIG SET of the setting on one node is
// applied on every member of the cluster too.
func (p *Setting) ClusterWide() bool { return p.clusterWide }

// ClusterWideArgs returns CONFIG SET of the cluster-wide settings among
// changed, with their values in cfg, for the other members; nil if none.
func ClusterWideArgs(changed []*Setting, cfg *Config) [][]byte {
	var args [][]byte
	for _, p := range changed {
		if p.clusterWide {
			args = append(args, []byte(p.name), []byte(p.get(cfg)))
		}
	}
	if args == nil {
		return nil
	}
	return append([][]byte{[]byte("config"), []byte("set")}, args...)
}

// Secret reports whether the value must not be logged (passwords, keys).
func (p *Setting) Secret() bool { return p.secret }

// Logged returns the setting's value in cfg as a log shows it: CONFIG
// GET's, or "(redacted)" for a secret one.
func (p *Setting) Logged(cfg *Config) string {
	if p.secret {
		return "(redacted)"
	}
	return p.get(cfg)
}

// Get returns the setting's value in cfg as CONFIG GET shows it.
func (p *Setting) Get(cfg *Config) string { return p.get(cfg) }

// Set parses v into cfg, whether or not the setting is mutable (flags, the
// environment and the config file set every setting). On an error, whose
// text is the reason CONFIG SET gives, cfg may be partly changed.
func (p *Setting) Set(cfg *Config, v string) error {
	if p.set == nil {
		return ErrImmutable // a read-only fact
	}
	return p.set(cfg, v)
}

// Change is Set at run time (CONFIG SET): ErrImmutable unless the setting
// is mutable. A setting that Redis can change but a node cannot (port,
// bind, tcp-keepalive ...), or that is meshcache's own, accepts the value
// it has, as CONFIG GET shows it, and changes nothing: a client or tool
// that sets back what it read is not refused (Redis's own CONFIG sanity
// test does that for every setting but Redis's immutable ones). A
// redisFixed one is refused even so, as Redis refuses it.
func (p *Setting) Change(cfg *Config, v string) error {
	if !p.mutable {
		if !p.redisFixed && p.get(cfg) == v {
			return nil
		}
		return ErrImmutable
	}
	return p.set(cfg, v)
}

// Lookup returns the setting named name (lower case) or one of its aliases;
// nil if there is none.
func Lookup(name string) *Setting { return paramsByName[name] }

var (
	errCfgNotInteger = errors.New("argument couldn't be parsed into an integer")
	errNotMemory     = errors.New("argument must be a memory value")
	errNotBool       = errors.New("argument must be 'yes' or 'no'")
	errNotifyClass   = errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.") //lint:ignore ST1005 Redis's text, byte for byte
)

func intRange(v string, lo, hi int64) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, errCfgNotInteger
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
	}
	return n, nil
}

func memRange(v string, lo, hi int64) (int64, error) {
	n, ok := ParseMemory(v)
	if !ok {
		return 0, errNotMemory
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
	}
	return n, nil
}

// ParseMemory parses a memory amount as redis.conf does: a plain number of
// bytes, or a number with a unit k (1000), kb (1024), m, mb, g, gb, case-insensitive.
func ParseMemory(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mul {
		return 0, false
	}
	return n * mul, true
}

func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "yes", "true", "1", "on":
		return true, nil
	case "no", "false", "0", "off":
		return false, nil
	}
	return false, errNotBool
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func oneOf(v string, allowed ...string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(allowed, ", "))
}

// policyNames lists the maxmemory policies in Redis's order (as its CONFIG SET error shows them).
var policyNames = []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}

// durationOrMillis parses a non-negative duration written as Go does (15s)
// or as a bare number of milliseconds, as Redis writes its timeouts.
func durationOrMillis(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms >= 0 {
		return time.Duration(ms) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, errors.New("argument must be a duration (15s) or milliseconds")
	}
	return d, nil
}

// params is the table of every setting; the encoding thresholds are in
// encodings.go. Read-only facts that clients ask CONFIG GET for (save,
// appendonly, databases ...) are at the end.
var params = slices.Concat([]*Setting{
	{name: "cluster-enabled", redisFixed: true, usage: "yes: run the cluster layer (alone without --join: a one-node cluster); no: a standalone node, no cluster port, keys of any slots in one command (Redis's cluster mode off)",
		set: func(c *Config, v string) error { b, err := parseBool(v); c.ClusterEnabled = b; return err },
		get: func(c *Config) string { return yesNo(c.ClusterEnabled) }},
	{name: "bind", usage: "address to listen on for clients",
		set: func(c *Config, v string) error { c.Bind = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return c.Bind }},
	{name: "port", usage: "client port (0 picks a free port)",
		set: func(c *Config, v string) error { n, err := intRange(v, 0, 65535); c.Port = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.Port) }},
	{name: "cluster-port", redisFixed: true, usage: "gossip and internode port (0 = port+10000)",
		set: func(c *Config, v string) error { n, err := intRange(v, 0, 65535); c.ClusterPort = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.ClusterPort) }},
	{name: "join", usage: "seed nodes to join, host:port of their cluster ports, comma separated",
		set: func(c *Config, v string) error {
			c.Join = nil
			for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' }) {
				if _, _, err := net.SplitHostPort(s); err != nil {
					return fmt.Errorf("invalid seed %q: want host:port", s)
				}
				c.Join = append(c.Join, s)
			}
			return nil
		},
		get: func(c *Config) string { return strings.Join(c.Join, ",") }},
	{name: "replicas", usage: "replicas of every slot",
		set: func(c *Config, v string) error { n, err := intRange(v, 0, 16); c.Replicas = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.Replicas) }},
	{name: "replica-ack", usage: "replicas that must have a write before it is acknowledged: none, one or all", mutable: true,
		set: func(c *Config, v string) error {
			s, err := oneOf(v, "none", "one", "all")
			c.ReplicaAck = s
			return err
		},
		get: func(c *Config) string { return c.ReplicaAck }},
	{name: "min-replicas-to-write", aliases: []string{"min-slaves-to-write"}, mutable: true,
		usage: "refuse writes to a slot with fewer synced replicas than this (-NOREPLICAS); 0 = accept them degraded",
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, 16)
			c.MinReplicasToWrite = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.MinReplicasToWrite) }},
	{name: "migration-rate", usage: "bytes per second slot transfers may send, all together (or with a unit: 4mb); 0 = 4mb", mutable: true,
		set: func(c *Config, v string) error {
			n, err := memRange(v, 0, math.MaxInt64)
			c.MigrationRate = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.MigrationRate, 10) }},
	{name: "migration-batch", usage: "slots migrating to new primaries at once (join, leave, rebalance); 0 = 512",
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, 16384)
			c.MigrationBatch = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.MigrationBatch) }},
	{name: "migration-interval", usage: "least time between two rebalance steps (1s, or milliseconds); 0 = the gossip profile's",
		set: func(c *Config, v string) error { d, err := durationOrMillis(v); c.MigrationInterval = d; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.EffectiveMigrationInterval().Milliseconds(), 10) }},
	{name: "failover-empty-after", usage: "give a slot with no reachable copy to a live node EMPTY after this long (30s, or milliseconds), losing its data; 0 = never: it stays unavailable until a copy returns",
		set: func(c *Config, v string) error { d, err := durationOrMillis(v); c.FailoverEmptyAfter = d; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.FailoverEmptyAfter.Milliseconds(), 10) }},
	{name: "maxmemory", usage: "memory limit of the keyspace (bytes, or with a unit: 100mb, 1gb); 0 = none", mutable: true,
		set: func(c *Config, v string) error { n, err := memRange(v, 0, math.MaxInt64); c.MaxMemory = n; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.MaxMemory, 10) }},
	{name: "maxmemory-policy", usage: "what to do at maxmemory: " + strings.Join(policyNames, ", "), mutable: true,
		set: func(c *Config, v string) error { s, err := oneOf(v, policyNames...); c.MaxMemoryPolicy = s; return err },
		get: func(c *Config) string { return c.MaxMemoryPolicy }},
	{name: "maxmemory-samples", usage: "keys sampled per eviction decision",
		set: func(c *Config, v string) error { n, err := intRange(v, 1, 64); c.MaxMemorySamples = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.MaxMemorySamples) }},
	{name: "requirepass", usage: "password clients must AUTH with; empty = none", mutable: true, secret: true,
		set: func(c *Config, v string) error { c.RequirePass = v; return nil },
		get: func(c *Config) string { return c.RequirePass }},
	{name: "repl-backlog-size", usage: "accepted and shown, never applied: no replication backlog (a replica that falls behind resyncs its slot)", mutable: true,
		set: func(c *Config, v string) error {
			n, err := memRange(v, 1, math.MaxInt64)
			c.ReplBacklogSize = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.ReplBacklogSize, 10) }},
	{name: "tracking-table-max-keys", usage: "keys client-side caching remembers at most; 0 = no limit", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt64)
			c.TrackingTableMaxKeys = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.TrackingTableMaxKeys, 10) }},
	{name: "maxclients", usage: "connected clients at most", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 1, math.MaxInt32)
			c.MaxClients = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.MaxClients) }},
	{name: "hll-sparse-max-bytes", usage: "largest sparse HyperLogLog, past which it is converted to dense (bytes or with a unit)", mutable: true,
		set: func(c *Config, v string) error {
			n, err := memRange(v, 0, math.MaxInt64)
			c.HLLSparseMaxBytes = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.HLLSparseMaxBytes, 10) }},
	{name: "proto-max-bulk-len", usage: "largest bulk string a client may send (bytes or with a unit)", mutable: true,
		set: func(c *Config, v string) error {
			n, err := memRange(v, 1<<20, math.MaxInt64)
			c.ProtoMaxBulkLen = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.ProtoMaxBulkLen, 10) }},
	{name: "client-query-buffer-limit", usage: "largest pending command of one client; a client over it is closed", mutable: true,
		set: func(c *Config, v string) error {
			n, err := memRange(v, 1<<20, math.MaxInt64)
			c.ClientQueryBufferLimit = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.ClientQueryBufferLimit, 10) }},
	{name: "client-output-buffer-limit", usage: "per class (normal, replica, pubsub): <class> <hard> <soft> <soft seconds>; a client whose unread output passes them is closed", mutable: true,
		set: func(c *Config, v string) error { return c.OutputLimits.Set(v) },
		get: func(c *Config) string { return c.OutputLimits.String() }},
	{name: "notify-keyspace-events", usage: "keyspace notification classes, as Redis: any of K E g $ l s h z x e t m d n A; empty = off; CONFIG SET applies it cluster-wide", mutable: true, clusterWide: true,
		set: func(c *Config, v string) error {
			f, ok := notify.Parse(v)
			if !ok {
				return errNotifyClass
			}
			c.NotifyKeyspaceEvents = f
			return nil
		},
		get: func(c *Config) string { return c.NotifyKeyspaceEvents.String() }},
	{name: "event-loops", usage: "event loops (epoll) serving client connections; 0 = a goroutine per connection",
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, 1024)
			c.EventLoops = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.EventLoops) }},
	{name: "timeout", usage: "close a client idle for this many seconds; 0 = never", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt32)
			c.Timeout = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.Timeout) }},
	{name: "slowlog-log-slower-than", usage: "log commands slower than this many microseconds; negative disables", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, -1, math.MaxInt64)
			c.SlowlogLogSlowerThan = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.SlowlogLogSlowerThan, 10) }},
	{name: "enable-debug-command", redisFixed: true, usage: "allow DEBUG: no, yes, or local (loopback connections only)",
		set: func(c *Config, v string) error {
			s, err := oneOf(v, "no", "yes", "local")
			c.EnableDebugCommand = s
			return err
		},
		get: func(c *Config) string { return c.EnableDebugCommand }},
	{name: "enable-module-command", redisFixed: true, usage: "allow MODULE LOAD, LOADEX and UNLOAD (no module ever loads): no, yes, or local",
		set: func(c *Config, v string) error {
			s, err := oneOf(v, "no", "yes", "local")
			c.EnableModuleCommand = s
			return err
		},
		get: func(c *Config) string { return c.EnableModuleCommand }},
	{name: "latency-monitor-threshold", usage: "sample commands that take at least this many milliseconds for LATENCY; 0 = off", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt64)
			c.LatencyMonitorThreshold = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.LatencyMonitorThreshold, 10) }},
	{name: "busy-reply-threshold", aliases: []string{"lua-time-limit"}, usage: "milliseconds a script runs before other clients get -BUSY; 0 = never", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt64)
			c.BusyReplyThreshold = n
			return err
		},
		get: func(c *Config) string { return strconv.FormatInt(c.BusyReplyThreshold, 10) }},
	{name: "slowlog-max-len", usage: "slow log entries kept", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 0, math.MaxInt32)
			c.SlowlogMaxLen = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.SlowlogMaxLen) }},
	{name: "log-level", aliases: []string{"loglevel"}, usage: "debug, info, warn or error",
		set: func(c *Config, v string) error {
			s, err := oneOf(v, "debug", "info", "warn", "error", "verbose", "notice", "warning")
			switch s {
			case "verbose":
				s = "debug"
			case "notice":
				s = "info"
			case "warning":
				s = "warn"
			}
			c.LogLevel = s
			return err
		},
		get: func(c *Config) string { return c.LogLevel }},
	{name: "cluster-allow-reads-when-down", mutable: true, isBool: true,
		usage: "yes: a node cut off from the majority (no quorum lease) still serves reads of its slots, possibly stale; no: it refuses them with -CLUSTERDOWN, as it refuses writes",
		set:   func(c *Config, v string) error { b, err := parseBool(v); c.ClusterAllowReadsWhenDown = b; return err },
		get:   func(c *Config) string { return yesNo(c.ClusterAllowReadsWhenDown) }},
	{name: "cluster-redirect", usage: "answer -MOVED for other nodes' slots instead of forwarding", isBool: true,
		set: func(c *Config, v string) error { b, err := parseBool(v); c.ClusterRedirect = b; return err },
		get: func(c *Config) string { return yesNo(c.ClusterRedirect) }},
	{name: "node-timeout", aliases: []string{"cluster-node-timeout"}, usage: "time before an unreachable node counts as failed (15s, or milliseconds); 0 = the gossip profile's default",
		set: func(c *Config, v string) error { d, err := durationOrMillis(v); c.NodeTimeout = d; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.EffectiveNodeTimeout().Milliseconds(), 10) }},
	{name: "gossip", usage: "gossip timing profile: lan, wan or local",
		set: func(c *Config, v string) error { s, err := oneOf(v, "lan", "wan", "local"); c.Gossip = s; return err },
		get: func(c *Config) string { return c.Gossip }},
	{name: "cluster-key", usage: "base64 gossip encryption key of 16, 24 or 32 bytes; empty = no encryption", secret: true,
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v != "" {
				k, err := base64.StdEncoding.DecodeString(v)
				if err != nil || (len(k) != 16 && len(k) != 24 && len(k) != 32) {
					return errors.New("argument must be base64 of a 16, 24 or 32 byte key")
				}
			}
			c.ClusterKey = v
			return nil
		},
		get: func(c *Config) string { return c.ClusterKey }},
	{name: "admin-addr", usage: "host:port of the HTTP admin port (/healthz, /readyz, /metrics, status page); empty = off",
		set: func(c *Config, v string) error {
			v = strings.TrimSpace(v)
			if v != "" {
				if _, _, err := net.SplitHostPort(v); err != nil {
					return fmt.Errorf("invalid admin address %q: want host:port", v)
				}
			}
			c.AdminAddr = v
			return nil
		},
		get: func(c *Config) string { return c.AdminAddr }},
	{name: "admin-token", usage: "credential of the admin port's cluster view and operator actions (Authorization: Bearer); empty = requirepass, or none without one",
		mutable: true, secret: true,
		set: func(c *Config, v string) error { c.AdminToken = v; return nil },
		get: func(c *Config) string { return c.AdminToken }},
}, encodingParams, []*Setting{
	// Facts, not settings: asked for by redis-benchmark and other tools.
	// save's only value here is the empty schedule, so CONFIG SET save ""
	// (what Redis's own test suite and many deployments send) is true and
	// accepted; a schedule is refused, for meshcache writes no RDB file.
	{name: "save", mutable: true, get: func(*Config) string { return "" },
		set: func(_ *Config, v string) error {
			if strings.TrimSpace(v) != "" {
				return errors.New("meshcache writes no RDB snapshots: save accepts only \"\"")
			}
			return nil
		}},
	{name: "appendonly", get: func(*Config) string { return "no" }},
	{name: "databases", redisFixed: true, get: func(*Config) string { return "1" }},
	// Redis's names that tools and client libraries read, answered with
	// what is true of meshcache (and refused by CONFIG SET as immutable,
	// with Redis's text, rather than as unknown):
	// no limit on clients' memory beyond client-output-buffer-limit,
	{name: "maxmemory-clients", get: func(*Config) string { return "0" }},
	// never a replica of a Redis primary (replication is the cluster's, §5),
	{name: "replicaof", redisFixed: true, aliases: []string{"slaveof"}, get: func(*Config) string { return "" }},
	// Go's listener keeps client connections alive every 15 s,
	{name: "tcp-keepalive", get: func(*Config) string { return "15" }},
	// the process stays in the foreground and listens where it is bound,
	{name: "daemonize", redisFixed: true, get: func(*Config) string { return "no" }},
	{name: "protected-mode", get: func(*Config) string { return "no" }},
	// and writes no files, so its directory is only where it was started.
	{name: "dir", get: func(*Config) string {
		d, err := os.Getwd()
		if err != nil {
			return ""
		}
		return d
	}},
})

// paramsByName indexes params by name and alias.
var paramsByName = func() map[string]*Setting {
	m := make(map[string]*Setting)
	for _, p := range params {
		m[p.name] = p
		for _, a := range p.aliases {
			m[a] = p
		}
	}
	return m
}()

// Match returns the names and aliases that match the glob pattern (CONFIG
// GET), each once, sorted; Lookup of each returns its setting.
func Match(pattern string) []string {
	var names []string
	for name := range paramsByName {
		if resp.GlobMatch([]byte(pattern), []byte(name), true) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}
