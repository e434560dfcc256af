package server

import (
	"bufio"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/meshcache/meshcache/cluster"
	"github.com/meshcache/meshcache/server/resp"
	"github.com/meshcache/meshcache/store"
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

	MaxMemory        int64  // bytes; 0 means no limit
	MaxMemoryPolicy  string // a Redis maxmemory policy name
	MaxMemorySamples int    // keys sampled per eviction round

	RequirePass            string // password of the default user; empty means none
	MaxClients             int    // connected clients at most
	ProtoMaxBulkLen        int64  // largest bulk string a client may send, bytes
	ClientQueryBufferLimit int64  // largest pending command of a client, bytes
	Timeout                int    // seconds of idleness before a client is closed; 0 = never

	SlowlogLogSlowerThan int64 // microseconds; negative disables the slow log
	SlowlogMaxLen        int   // entries kept

	LogLevel        string        // debug, info, warn or error
	ClusterRedirect bool          // answer -MOVED instead of forwarding
	NodeTimeout     time.Duration // 0 means the gossip profile's default
	Gossip          string        // memberlist timing profile: lan, wan or local
	ClusterKey      string        // base64 gossip encryption key (16, 24 or 32 bytes); empty = plaintext
	AdminAddr       string        // host:port of the HTTP admin port (health, metrics, status page); empty = off

	// File is the config file the node was started with ("" if none).
	File string
}

// DefaultConfig returns the defaults, which match Redis's where Redis has the setting.
func DefaultConfig() Config {
	return Config{
		ClusterEnabled:         true,
		Bind:                   "127.0.0.1",
		Port:                   6379,
		Replicas:               1,
		ReplicaAck:             "one",
		MaxMemoryPolicy:        "noeviction",
		MaxMemorySamples:       5,
		MaxClients:             10000,
		ProtoMaxBulkLen:        512 << 20,
		ClientQueryBufferLimit: 1 << 30,
		SlowlogLogSlowerThan:   10000,
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

// param describes one setting: how to read it from text, how to show it in
// CONFIG GET, and whether CONFIG SET may change it at run time. The table of
// params is the single source for flags, the config file, the environment
// and CONFIG GET/SET.
type param struct {
	name    string
	aliases []string // other names CONFIG GET/SET and the config file accept (Redis's)
	usage   string
	isBool  bool
	mutable bool
	// set parses text into cfg; its error text is the CONFIG SET reason.
	set func(cfg *Config, v string) error
	get func(cfg *Config) string
}

// configSetError formats a rejected CONFIG SET as Redis 7 does.
func configSetError(name, reason string) string {
	return "ERR CONFIG SET failed (possibly related to argument '" + name + "') - " + reason
}

var (
	errCfgNotInteger = errors.New("argument couldn't be parsed into an integer")
	errNotMemory     = errors.New("argument must be a memory value")
	errNotBool       = errors.New("argument must be 'yes' or 'no'")
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

// params is the table of every setting. Read-only facts that clients ask
// CONFIG GET for (save, appendonly, databases ...) are at the end.
var params = []*param{
	{name: "cluster-enabled", usage: "yes: run the cluster layer (alone without --join: a one-node cluster); no: a standalone node, no cluster port, keys of any slots in one command (Redis's cluster mode off)",
		set: func(c *Config, v string) error { b, err := parseBool(v); c.ClusterEnabled = b; return err },
		get: func(c *Config) string { return yesNo(c.ClusterEnabled) }},
	{name: "bind", usage: "address to listen on for clients",
		set: func(c *Config, v string) error { c.Bind = strings.TrimSpace(v); return nil },
		get: func(c *Config) string { return c.Bind }},
	{name: "port", usage: "client port (0 picks a free port)",
		set: func(c *Config, v string) error { n, err := intRange(v, 0, 65535); c.Port = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.Port) }},
	{name: "cluster-port", usage: "gossip and internode port (0 = port+10000)",
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
	{name: "maxmemory", usage: "memory limit of the keyspace (bytes, or with a unit: 100mb, 1gb); 0 = none", mutable: true,
		set: func(c *Config, v string) error { n, err := memRange(v, 0, math.MaxInt64); c.MaxMemory = n; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.MaxMemory, 10) }},
	{name: "maxmemory-policy", usage: "what to do at maxmemory: " + strings.Join(policyNames, ", "), mutable: true,
		set: func(c *Config, v string) error { s, err := oneOf(v, policyNames...); c.MaxMemoryPolicy = s; return err },
		get: func(c *Config) string { return c.MaxMemoryPolicy }},
	{name: "maxmemory-samples", usage: "keys sampled per eviction decision",
		set: func(c *Config, v string) error { n, err := intRange(v, 1, 64); c.MaxMemorySamples = int(n); return err },
		get: func(c *Config) string { return strconv.Itoa(c.MaxMemorySamples) }},
	{name: "requirepass", usage: "password clients must AUTH with; empty = none", mutable: true,
		set: func(c *Config, v string) error { c.RequirePass = v; return nil },
		get: func(c *Config) string { return c.RequirePass }},
	{name: "maxclients", usage: "connected clients at most", mutable: true,
		set: func(c *Config, v string) error {
			n, err := intRange(v, 1, math.MaxInt32)
			c.MaxClients = int(n)
			return err
		},
		get: func(c *Config) string { return strconv.Itoa(c.MaxClients) }},
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
	{name: "cluster-redirect", usage: "answer -MOVED for other nodes' slots instead of forwarding", isBool: true,
		set: func(c *Config, v string) error { b, err := parseBool(v); c.ClusterRedirect = b; return err },
		get: func(c *Config) string { return yesNo(c.ClusterRedirect) }},
	{name: "node-timeout", aliases: []string{"cluster-node-timeout"}, usage: "time before an unreachable node counts as failed (15s, or milliseconds); 0 = the gossip profile's default",
		set: func(c *Config, v string) error { d, err := durationOrMillis(v); c.NodeTimeout = d; return err },
		get: func(c *Config) string { return strconv.FormatInt(c.EffectiveNodeTimeout().Milliseconds(), 10) }},
	{name: "gossip", usage: "gossip timing profile: lan, wan or local",
		set: func(c *Config, v string) error { s, err := oneOf(v, "lan", "wan", "local"); c.Gossip = s; return err },
		get: func(c *Config) string { return c.Gossip }},
	{name: "cluster-key", usage: "base64 gossip encryption key of 16, 24 or 32 bytes; empty = no encryption",
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
	// Facts, not settings: asked for by redis-benchmark and other tools.
	{name: "save", get: func(*Config) string { return "" }},
	{name: "appendonly", get: func(*Config) string { return "no" }},
	{name: "databases", get: func(*Config) string { return "1" }},
}

// paramsByName indexes params by name and alias.
var paramsByName = func() map[string]*param {
	m := make(map[string]*param)
	for _, p := range params {
		m[p.name] = p
		for _, a := range p.aliases {
			m[a] = p
		}
	}
	return m
}()

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

// ParseConfig builds a Config from defaults, the config file named by
// --config, the environment and the command line flags, in that order of
// precedence (flags win). lookupEnv is os.LookupEnv outside tests. With
// --help it writes the usage to out and returns flag.ErrHelp.
func ParseConfig(args []string, lookupEnv func(string) (string, bool), out io.Writer) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("meshcache", flag.ContinueOnError)
	fs.SetOutput(out)
	type setting struct{ name, value string }
	var fromFlags []setting
	configFile := fs.String("config", "", "redis.conf style `file` of name value lines")
	for _, p := range params {
		if p.usage == "" {
			continue
		}
		fs.Var(&flagValue{p: p, record: func(v string) { fromFlags = append(fromFlags, setting{p.name, v}) }}, p.name, p.usage+" (default "+quoteDefault(p.get(&cfg))+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: meshcache [flags]\n\nA distributed in-memory cache that speaks the Redis protocol.\n"+
			"Settings come from flags, then MESHCACHE_<NAME> environment variables (e.g. MESHCACHE_MAXMEMORY),\n"+
			"then the --config file, then defaults.\n\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			arg, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\n    \t%s\n", f.Name, arg, usage)
		})
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *configFile != "" {
		if err := cfg.loadFile(*configFile); err != nil {
			return cfg, err
		}
		cfg.File = *configFile
	}
	for _, p := range params {
		if p.usage == "" {
			continue
		}
		env := "MESHCACHE_" + strings.ToUpper(strings.ReplaceAll(p.name, "-", "_"))
		if v, ok := lookupEnv(env); ok {
			if err := p.set(&cfg, v); err != nil {
				return cfg, fmt.Errorf("environment %s: %w", env, err)
			}
		}
	}
	for _, s := range fromFlags {
		if err := paramsByName[s.name].set(&cfg, s.value); err != nil {
			return cfg, fmt.Errorf("flag --%s: %w", s.name, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func quoteDefault(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

// loadFile applies a redis.conf style file: one `name value...` per line,
// # comments, values optionally in double or single quotes.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || text[0] == '#' {
			continue
		}
		name, rest, _ := strings.Cut(text, " ")
		name = strings.ToLower(name)
		rest = strings.TrimSpace(rest)
		if len(rest) >= 2 && (rest[0] == '"' || rest[0] == '\'') && rest[len(rest)-1] == rest[0] {
			rest = rest[1 : len(rest)-1]
		}
		p := paramsByName[name]
		if p == nil || p.usage == "" {
			return fmt.Errorf("config file %s:%d: unknown setting %q", path, line, name)
		}
		if err := p.set(c, rest); err != nil {
			return fmt.Errorf("config file %s:%d: %s: %w", path, line, name, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// flagValue adapts a param to the flag package. It only records the value:
// flags are applied last, after the file and the environment.
type flagValue struct {
	p      *param
	record func(string)
}

func (f *flagValue) String() string { return "" }

func (f *flagValue) Set(v string) error {
	var probe Config
	if err := f.p.set(&probe, v); err != nil {
		return err
	}
	f.record(v)
	return nil
}

func (f *flagValue) IsBoolFlag() bool { return f.p.isBool }

// policyOf converts a validated policy name to the store's Policy.
func policyOf(name string) store.Policy {
	p, err := store.ParsePolicy(name)
	if err != nil {
		// params validated name against policyNames, which is the store's list.
		return store.NoEviction
	}
	return p
}

// matchingParams returns the params whose name or alias matches pattern
// (CONFIG GET), each once, sorted by name, with the name that matched.
func matchingParams(pattern string) []string {
	var names []string
	for name := range paramsByName {
		if resp.GlobMatch([]byte(pattern), []byte(name), true) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// StoreConfig returns the settings of the keyspace engine.
func (c *Config) StoreConfig() store.Config {
	return store.Config{
		MaxMemory:        c.MaxMemory,
		Policy:           policyOf(c.MaxMemoryPolicy),
		MaxMemorySamples: c.MaxMemorySamples,
	}
}
