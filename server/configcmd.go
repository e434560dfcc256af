package server

import (
	"log/slog"

	"github.com/meshcache/meshcache/server/commands"
	"github.com/meshcache/meshcache/server/config"
)

// CONFIG GET / SET / RESETSTAT over the settings table of server/config;
// applying an accepted change to the running server is this file's.

func configCommand() *Command {
	sub := func(name string, arity int, since, summary string, h func(*Call), help ...string) *Command {
		return &Command{Name: "config|" + name, Arity: arity, Flags: adminFlags, Group: "server",
			Since: since, Summary: summary, Handler: fe(h), Help: help}
	}
	return &Command{
		Name: "config", Arity: -2, Group: "server", Since: "2.0.0", Summary: "A container for server configuration commands.",
		Subcommands: []*Command{
			sub("get", -3, "2.0.0", "Returns the effective values of configuration parameters.", configGet,
				"GET <pattern>",
				"    Return parameters matching the glob-like <pattern> and their values."),
			commands.Tipped(sub("set", -4, "2.0.0", "Sets configuration parameters in-flight.", configSet,
				"SET <directive> <value>",
				"    Set the configuration <directive> to <value>."), commands.TipAllNodes, commands.TipAllSucceeded),
			sub("resetstat", 2, "2.0.0", "Resets the server's statistics.", configResetStat,
				"RESETSTAT",
				"    Reset statistics reported by the INFO command."),
			{Name: "config|help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "5.0.0",
				Summary: "Returns helpful text about the different subcommands.", Handler: commands.Help},
		},
	}
}

// configGet: CONFIG GET pattern [pattern ...]; a map of every matching
// parameter to its value, each once.
func configGet(c *Call) {
	names := config.Matching(c.Args[2:])
	cfg := c.Server.Config()
	c.Reply.Map(len(names))
	for _, n := range names {
		c.Reply.BulkString(n)
		c.Reply.BulkString(config.Lookup(n).Get(&cfg))
	}
}

// configSet: CONFIG SET name value [name value ...]; all or nothing, as
// Redis 7 (config.ChangeAll), then applied to the running node.
func configSet(c *Call) {
	if len(c.Args)%2 != 0 {
		c.Reply.Error("ERR wrong number of arguments for 'config|set' command")
		return
	}
	s := c.Server
	s.cfgMu.Lock()
	next, changed, errLine := config.ChangeAll(s.cfg, c.Args[2:])
	if errLine != "" {
		s.cfgMu.Unlock()
		c.Reply.Error(errLine)
		return
	}
	prev := s.cfg
	s.cfg = next
	s.applyLimits(&next)
	s.cfgMu.Unlock()

	if next.MaxMemory != prev.MaxMemory {
		s.store.SetMaxMemory(next.MaxMemory)
	}
	if next.MaxMemoryPolicy != prev.MaxMemoryPolicy {
		s.store.SetPolicy(next.EvictionPolicy())
	}
	if next.Encodings != prev.Encodings {
		s.store.SetEncodings(next.Encodings)
	}
	if next.MigrationRate != prev.MigrationRate {
		s.cluster.SetMigrationRate(next.MigrationRate)
	}
	if next.SlowlogMaxLen < prev.SlowlogMaxLen {
		s.slowlog.Trim(next.SlowlogMaxLen)
	}
	for _, p := range changed {
		s.log.Info("config set", slog.String("name", p.Name()), slog.String("value", redactValue(p, &next)))
	}
	if args := config.ClusterWideArgs(changed, &next); args != nil && !s.standalone && (c.Client.route == nil || !c.Client.route.forwarded) {
		s.events.ShareSetting(args) // every member's leaders emit what it says
	}
	c.Reply.OK()
}

func redactValue(p *config.Setting, cfg *config.Config) string {
	if p.Secret() {
		return "(redacted)"
	}
	return p.Get(cfg)
}

// configResetStat zeroes INFO's stats, commandstats and the slow log.
func configResetStat(c *Call) {
	s := c.Server
	for _, e := range s.sorted {
		e.stats.Reset()
		for _, sub := range e.sorted {
			sub.stats.Reset()
		}
	}
	s.stats.connectionsReceived.Store(0)
	s.stats.rejectedConnections.Store(0)
	s.stats.commandsProcessed.Store(0)
	s.stats.netInputBytes.Store(0)
	s.stats.netOutputBytes.Store(0)
	s.stats.unexpectedErrors.Store(0)
	s.slowlog.Reset()
	s.store.ResetStats()
	c.Reply.OK()
}
