package server

import (
	"time"

	"github.com/meshcache/meshcache/server/info"

	"github.com/meshcache/meshcache/store"
)

// What the server shows of itself to readers outside the front end (the
// admin port's /metrics, /readyz and status page, server/admin): snapshots
// of the counters INFO reads, never the counters themselves.

// Stats is a snapshot of the node's counters: INFO's server, clients,
// stats and memory figures. Each field is read atomically; the fields
// together are not one instant.
type Stats struct {
	Started             time.Time // when New built the server (uptime)
	Clients             int64     // connections open now
	MaxClients          int64     // the maxclients setting
	CommandsProcessed   int64
	ConnectionsReceived int64
	RejectedConnections int64 // refused at maxclients
	NetInputBytes       int64
	NetOutputBytes      int64
	UnexpectedErrors    int64 // handler panics
	MaxMemory           int64 // the maxmemory setting; 0: no limit
	Keyspace            store.Stats
}

// Stats returns a snapshot of the node's counters. CONFIG RESETSTAT zeroes
// the resettable ones.
func (s *Server) Stats() Stats {
	return Stats{
		Started:             s.started,
		Clients:             s.nclients.Load(),
		MaxClients:          s.lim.maxClients.Load(),
		CommandsProcessed:   s.stats.commandsProcessed.Load(),
		ConnectionsReceived: s.stats.connectionsReceived.Load(),
		RejectedConnections: s.stats.rejectedConnections.Load(),
		NetInputBytes:       s.stats.netInputBytes.Load(),
		NetOutputBytes:      s.stats.netOutputBytes.Load(),
		UnexpectedErrors:    s.stats.unexpectedErrors.Load(),
		MaxMemory:           s.lim.maxMemory.Load(),
		Keyspace:            s.store.Stats(),
	}
}

// Stopping reports whether the server is shutting down (SHUTDOWN, Close):
// it no longer takes clients.
func (s *Server) Stopping() bool {
	select {
	case <-s.closed:
		return true
	default:
		return false
	}
}

// CommandStats is one command's counters at one moment (INFO commandstats
// and latencystats, /metrics).
type CommandStats = info.CommandStats

// CommandStats calls f with the counters of every command that was called,
// rejected or failed at least once since the last CONFIG RESETSTAT, in
// name order, each container followed by its subcommands, as INFO
// commandstats lists them.
func (s *Server) CommandStats(f func(CommandStats)) {
	s.table.Each(func(e *entry) {
		l := e.Stats.Latency() // one read: calls and histogram agree
		cs := CommandStats{Name: e.Name, Calls: l.Total(), Failed: e.Stats.Failed.Load(),
			Rejected: e.Stats.Rejected.Load(), Latency: l}
		if cs.Calls == 0 && cs.Failed == 0 && cs.Rejected == 0 {
			return
		}
		cs.Usec = e.Stats.Usec.Load()
		f(cs)
	})
}

// commandStats lists CommandStats, for INFO.
func (s *Server) commandStats() []CommandStats {
	var out []CommandStats
	s.CommandStats(func(cs CommandStats) { out = append(out, cs) })
	return out
}
