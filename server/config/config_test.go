package config

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "meshcache.conf")
	require.NoError(t, os.WriteFile(file, []byte("# comment\nport 7000\nmaxmemory 1gb\nrequirepass \"from file\"\ntimeout 30\njoin a:1 b:2\n"), 0o600))
	env := map[string]string{"MESHCACHE_MAXMEMORY": "100mb", "MESHCACHE_TIMEOUT": "40"}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }

	var out strings.Builder
	cfg, err := Parse([]string{"--config", file, "--timeout", "50", "--cluster-redirect", "--replica-ack=all"}, lookup, &out)
	require.NoError(t, err)
	require.Equal(t, 7000, cfg.Port, "file over default")
	require.EqualValues(t, 100<<20, cfg.MaxMemory, "env over file")
	require.Equal(t, 50, cfg.Timeout, "flag over env")
	require.Equal(t, "from file", cfg.RequirePass)
	require.Equal(t, []string{"a:1", "b:2"}, cfg.Join)
	require.True(t, cfg.ClusterRedirect)
	require.Equal(t, "all", cfg.ReplicaAck)
	require.Equal(t, 17000, cfg.EffectiveClusterPort())
	require.Equal(t, file, cfg.File)
	require.Equal(t, time.Second, cfg.EffectiveMigrationInterval(), "lan's pace by default")
	require.Equal(t, 5*time.Second, cfg.EffectiveNodeTimeout(), "lan's node timeout by default")

	cfg, err = Parse([]string{"--gossip", "wan", "--migration-interval", "2s"}, lookup, &out)
	require.NoError(t, err)
	require.Equal(t, 2*time.Second, cfg.EffectiveMigrationInterval())
	require.Equal(t, 60*time.Second, cfg.EffectiveNodeTimeout(), "wan's node timeout is the profile's")
	cfg, err = Parse([]string{"--migration-interval", "250"}, lookup, &out)
	require.NoError(t, err)
	require.Equal(t, 250*time.Millisecond, cfg.EffectiveMigrationInterval(), "bare milliseconds")

	for _, bad := range [][]string{
		{"--migration-interval", "-1s"}, {"--migration-interval", "soon"},
		{"--maxmemory", "lots"}, {"--replica-ack", "some"}, {"--gossip", "moon"}, {"--join", "nohostport"},
		{"--port", "70000"}, {"--cluster-key", "short"}, {"--port", "60000"}, {"stray"},
	} {
		_, err := Parse(bad, lookup, &out)
		require.Error(t, err, "%v", bad)
	}
	out.Reset()
	_, err = Parse([]string{"--help"}, lookup, &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, p := range params {
		if p.usage != "" {
			require.Contains(t, out.String(), "-"+p.name, "--help documents %s", p.name)
		}
	}
	mem := map[string]int64{"0": 0, "1gb": 1 << 30, "100MB": 100 << 20, "5k": 5000, "12": 12, "3kb": 3072}
	for in, want := range mem {
		got, ok := ParseMemory(in)
		require.True(t, ok, in)
		require.Equal(t, want, got, in)
	}
	_, ok := ParseMemory("-1")
	require.False(t, ok)
	require.Equal(t, strconv.Itoa(Default().Port), "6379")
}

// TestTable checks the facts the CONFIG command reads through the table:
// lookup by name and alias, run-time settability, secrets, and CONFIG GET's
// pattern matching.
func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name, canonical string
		mutable, secret bool
	}{
		{"maxmemory", "maxmemory", true, false},
		{"min-slaves-to-write", "min-replicas-to-write", true, false},
		{"loglevel", "log-level", false, false},
		{"port", "port", false, false},
		{"requirepass", "requirepass", true, true},
		{"cluster-key", "cluster-key", false, true},
		{"databases", "databases", false, false},
	} {
		p := Lookup(tc.name)
		require.NotNil(t, p, tc.name)
		require.Equal(t, tc.canonical, p.Name(), tc.name)
		require.Equal(t, tc.mutable, p.Mutable(), tc.name)
		require.Equal(t, tc.secret, p.Secret(), tc.name)
	}
	require.Nil(t, Lookup("no-such-setting"))
	require.Nil(t, Lookup("MAXMEMORY"), "names are lower case; the caller folds")

	cfg := Default()
	require.ErrorIs(t, Lookup("port").Change(&cfg, "7000"), ErrImmutable)
	require.Equal(t, 6379, cfg.Port, "a refused change leaves cfg alone")
	require.Equal(t, "can't set immutable config", ErrImmutable.Error(), "CONFIG SET's reason, as Redis 7")
	require.NoError(t, Lookup("port").Set(&cfg, "7000"), "flags and files set immutable settings")
	require.Equal(t, "7000", Lookup("port").Get(&cfg))
	require.ErrorIs(t, Lookup("databases").Set(&cfg, "16"), ErrImmutable, "a read-only fact has no parser")
	require.NoError(t, Lookup("maxmemory").Change(&cfg, "2mb"))
	require.EqualValues(t, 2<<20, cfg.MaxMemory)
	require.EqualError(t, Lookup("maxmemory").Change(&cfg, "lots"), "argument must be a memory value")
	require.NoError(t, Lookup("maxmemory-policy").Change(&cfg, "allkeys-lfu"))
	require.Equal(t, cfg.EvictionPolicy(), cfg.StoreConfig().Policy)
	def := Default()
	require.NotEqual(t, def.EvictionPolicy(), cfg.EvictionPolicy())

	require.Equal(t, []string{"maxmemory", "maxmemory-clients", "maxmemory-policy", "maxmemory-samples"}, Match("maxmemory*"))
	// Redis's names that tools read answer what is true here and are
	// immutable, not unknown (issue 20).
	for name, want := range map[string]string{"maxmemory-clients": "0", "replicaof": "", "slaveof": "",
		"daemonize": "no", "protected-mode": "no"} {
		require.NotNil(t, Lookup(name), name)
		require.Equal(t, want, Lookup(name).Get(&cfg), name)
		require.ErrorIs(t, Lookup(name).Change(&cfg, "1"), ErrImmutable, name)
	}
	// A setting fixed here that Redis can change takes the value it has
	// (a tool sets back what it read); Redis's immutable ones never.
	for _, name := range []string{"port", "tcp-keepalive", "admin-addr", "protected-mode"} {
		require.NoError(t, Lookup(name).Change(&cfg, Lookup(name).Get(&cfg)), name)
	}
	for _, name := range []string{"daemonize", "databases", "cluster-enabled", "enable-debug-command", "replicaof"} {
		require.ErrorIs(t, Lookup(name).Change(&cfg, Lookup(name).Get(&cfg)), ErrImmutable, name)
	}
	// repl-backlog-size is accepted and shown, as list-compress-depth.
	require.Equal(t, "1048576", Lookup("repl-backlog-size").Get(&cfg))
	require.NoError(t, Lookup("repl-backlog-size").Change(&cfg, "10mb"))
	require.Equal(t, "10485760", Lookup("repl-backlog-size").Get(&cfg))
	// tracking-table-max-keys is Redis's, default and all (CLIENT TRACKING).
	require.Equal(t, "1000000", Lookup("tracking-table-max-keys").Get(&cfg))
	require.NoError(t, Lookup("tracking-table-max-keys").Change(&cfg, "0"))
	require.EqualValues(t, 0, cfg.TrackingTableMaxKeys)
	require.Error(t, Lookup("tracking-table-max-keys").Change(&cfg, "-1"))
	wd, err := os.Getwd()
	require.NoError(t, err)
	require.Equal(t, wd, Lookup("dir").Get(&cfg))
	require.Equal(t, []string{"min-replicas-to-write", "min-slaves-to-write"}, Match("min-*-to-write"), "aliases match too")
	require.Empty(t, Match("nothing*"))
	for _, name := range Match("*") {
		require.NotNil(t, Lookup(name), name)
	}
}

// FuzzOutputLimits: client-output-buffer-limit's parser never panics, a
// failed Set changes nothing, and what CONFIG GET shows parses back to the
// same limits.
func FuzzOutputLimits(f *testing.F) {
	for _, s := range []string{"pubsub 32mb 8mb 60", "normal 0 0 0 slave 1 2 3", "PUBSUB 2kb 1K 5", "pubsub 1mb",
		"master 1 1 1", "pubsub x 1 1", "pubsub 1 1 -1", "", "replica 99999999999999999999 1 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		l := DefaultOutputLimits
		before := l
		if err := l.Set(v); err != nil {
			if l != before {
				t.Fatalf("failed Set(%q) changed the limits", v)
			}
			return
		}
		var back OutputLimits
		if err := back.Set(l.String()); err != nil || back != l {
			t.Fatalf("%q: String %q does not parse back (%v)", v, l.String(), err)
		}
	})
}
