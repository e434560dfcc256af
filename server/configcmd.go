package server

import (
	"log/slog"

	"github.com/meshcache/meshcache/server/config"
)

// The front end's side of CONFIG (package config: its table entries, GET
// and SET's checks): applying an accepted change to the running node, and
// the statistics RESETSTAT zeroes.

// ConfigHost gives CONFIG's handlers their node (config.Conn).
func (c *Call) ConfigHost() config.Host { return configHost{c} }

// configHost is the node as CONFIG sees it, for the call c.
type configHost struct{ c *Call }

func (h configHost) Config() config.Config { return h.c.Server.Config() }

// Change changes the configuration under cfgMu (config.ChangeAll) and
// applies the change to the running node; a cluster-wide setting changed
// by a client here (not forwarded by another member) is shared with every
// member.
func (h configHost) Change(nameValues [][]byte) string {
	s := h.c.Server
	s.cfgMu.Lock()
	next, changed, errLine := config.ChangeAll(s.cfg, nameValues)
	if errLine != "" {
		s.cfgMu.Unlock()
		return errLine
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
		s.log.Info("config set", slog.String("name", p.Name()), slog.String("value", p.Logged(&next)))
	}
	if args := config.ClusterWideArgs(changed, &next); args != nil && !s.standalone && (h.c.Client.route == nil || !h.c.Client.route.forwarded) {
		s.events.ShareSetting(args) // every member's leaders emit what it says
	}
	return ""
}

// ResetStats zeroes INFO's stats, commandstats and the slow log.
func (h configHost) ResetStats() {
	s := h.c.Server
	for _, e := range s.table.Sorted {
		e.Stats.Reset()
		for _, sub := range e.Sorted {
			sub.Stats.Reset()
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
}
