package server

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/meshcache/meshcache/ring"
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
	if c.Client.route == nil || !c.Client.route.forwarded {
		s.setOnMembers(changed, &next)
	}
	c.Reply.OK()
}

// configFanOutTimeout bounds how long CONFIG SET waits for the members
// that take its cluster-wide settings.
const configFanOutTimeout = 2 * time.Second

// setOnMembers runs CONFIG SET of the cluster-wide settings among changed
// (config.Setting.ClusterWide) on every other alive member, and waits for
// them (configFanOutTimeout at most): the members then publish what the
// setting says. The members run it as a forwarded command, which is not
// fanned out again. A member that does not answer keeps its own value
// (logged); a node that joins later has its own configuration.
func (s *Server) setOnMembers(changed []*config.Setting, cfg *config.Config) {
	if s.standalone {
		return
	}
	args := [][]byte{[]byte("config"), []byte("set")}
	for _, p := range changed {
		if p.ClusterWide() {
			args = append(args, []byte(p.Name()), []byte(p.Get(cfg)))
		}
	}
	if len(args) == 2 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), configFanOutTimeout)
	defer cancel()
	self := s.cluster.Self().ID
	var wg sync.WaitGroup
	for _, m := range s.cluster.Members() {
		if m.Self || m.ID == self || !m.Alive {
			continue
		}
		wg.Add(1)
		go func(id ring.NodeID) { // ends when the call returns: ctx bounds it
			defer wg.Done()
			reply, err := s.cluster.Forward(ctx, id, false, args)
			if err != nil || (len(reply) > 0 && reply[0] == '-') {
				s.log.Warn("cluster-wide config not applied on a member", "member", id, "err", err, "reply", string(reply))
			}
		}(m.ID)
	}
	wg.Wait()
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
